//! `startup-bench BINARY [RUNS]`: how fast a function binary is ready for work, as Lambda sees it,
//! and what the first invocation a user waits for costs.
//!
//! Each run starts the binary with Lambda's environment against a fake Runtime API on 127.0.0.1 and
//! measures the time from spawn to its first `GET /runtime/invocation/next` (the cold start's init
//! phase). It then hands it one SQS record, a registration, and measures the first invocation until
//! its answer: the SSM parameter with the HMAC secret, the first DynamoDB `GetItem` and `PutItem`
//! and the SNS `Publish`, each against a stub on 127.0.0.1 that answers at once ([`stub`]), so the
//! time is the function's own (SDK clients and TLS configuration built on first use, signing,
//! the pipeline). It waits for the next poll, and reads the process's peak RSS (`VmHWM`) before
//! killing it. The report says how many connections and requests the invocation made: each is a
//! round trip (a connection also a TCP and a TLS handshake) that AWS adds. Run with `make startup`,
//! on a release build.

mod stub;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use samspil_runtime_tests::events::{SENDERS, registration, sqs_record};
use samspil_runtime_tests::{Answer, FakeRuntime, Running, lambda_command};

/// A synthetic CPR number (a valid day, made-up digits).
const CPR: &str = "0101900000";

const WAIT: Duration = Duration::from_secs(10);

struct Sample {
    first_poll: Duration,
    first_invocation: Duration,
    /// Of the first invocation, the time the stub spent answering.
    in_stub: Duration,
    seen: stub::Seen,
    peak_rss_kib: u64,
}

fn run_once(binary: &Path) -> Result<Sample, String> {
    let runtime = FakeRuntime::start()?;
    let aws = stub::Stub::start()?;
    let mut command = lambda_command(binary, &runtime, "samspil-startup-bench");
    command
        .envs([
            ("STACK_NAME", "samspil-test"),
            ("TABLE_NAME", "people"),
            ("TOPIC_ARN", "arn:aws:sns:eu-north-1:123456789012:meeting-updates"),
            ("QUEUE_URL", "https://sqs.eu-north-1.amazonaws.com/123456789012/registrations"),
            ("DLQ_URL", "https://sqs.eu-north-1.amazonaws.com/123456789012/registrations-dlq"),
            ("HMAC_SECRET_PARAMETER", "/samspil/hmac-secret"),
            ("AKASSE_SENDERS", SENDERS),
            ("AWS_ENDPOINT_URL", aws.url.as_str()),
            ("SUMMONS_KEY_ID", "alias/samspil-summons"),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let spawned = Instant::now();
    let mut function = Running(command.spawn().map_err(|e| format!("spawning {}: {e}", binary.display()))?);
    let poll = runtime.next_poll(WAIT)?;
    let first_poll = poll.at - spawned;
    let invoked = Instant::now();
    let event = serde_json::json!({ "Records": [sqs_record("m-1", &registration("startup-1", CPR))] }).to_string();
    poll.respond("bench-1", &event)?;
    match runtime.answer("bench-1", WAIT)? {
        Answer::Response(body) if body.contains(r#""batchItemFailures":[]"#) => {}
        Answer::Response(_) => return Err("the function did not process the registration".into()),
        Answer::Error(_) => return Err("the function failed the registration".into()),
    }
    let first_invocation = invoked.elapsed();
    let seen = aws.take();
    let expected = ["ssm:GetParameter", "dynamodb:GetItem", "dynamodb:PutItem", "sns:Publish"];
    if seen.operations != expected {
        return Err(format!("the first invocation called {:?}, expected {expected:?}", seen.operations));
    }
    let _ready = runtime.next_poll(WAIT)?;
    let peak_rss_kib = function.peak_rss_kib().ok_or("cannot read VmHWM from /proc")?;
    function.stop();
    Ok(Sample { first_poll, first_invocation, in_stub: seen.answering, seen, peak_rss_kib })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(binary) = args.next().map(PathBuf::from) else {
        eprintln!("usage: startup-bench BINARY [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(20);
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        match run_once(&binary) {
            Ok(sample) => samples.push(sample),
            Err(e) => {
                eprintln!("startup-bench: {e}");
                std::process::exit(1);
            }
        }
    }
    let size = std::fs::metadata(&binary).map(|m| m.len()).unwrap_or(0);
    println!("{} ({:.1} MiB), {runs} runs", binary.display(), size as f64 / 1048576.0);
    report("spawn to first poll", samples.iter().map(|s| s.first_poll.as_secs_f64() * 1e3), "ms");
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    report("first invocation (a registration)", samples.iter().map(|s| ms(s.first_invocation)), "ms");
    report("  of it in the AWS stub", samples.iter().map(|s| ms(s.in_stub)), "ms");
    report("cold start (poll + invocation)", samples.iter().map(|s| ms(s.first_poll + s.first_invocation)), "ms");
    if let Some(first) = samples.first() {
        println!(
            "first invocation: {} requests ({}), on {} connection(s) to the one stub host; against AWS \
             the three services are three hosts: three new connections (DNS, TCP and TLS handshakes) \
             and a round trip per request come on top of the figures above",
            first.seen.operations.len(),
            first.seen.operations.join(", "),
            first.seen.connections.len()
        );
    }
    report("peak RSS", samples.iter().map(|s| s.peak_rss_kib as f64 / 1024.0), "MiB");
}

fn report(what: &str, values: impl Iterator<Item = f64>, unit: &str) {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    println!("{what:32} min {:7.2}  median {:7.2}  p90 {:7.2}  max {:7.2} {unit}", at(0.0), at(0.5), at(0.9), at(1.0));
}
