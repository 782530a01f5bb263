//! `startup-bench BINARY [RUNS]`: how fast a function binary is ready for work, as Lambda sees it.
//!
//! Each run starts the binary with Lambda's environment against a fake Runtime API on 127.0.0.1 and
//! measures the time from spawn to its first `GET /runtime/invocation/next` (the cold start's init
//! phase). It then hands it an empty SQS event and measures the first invocation until its
//! answer, waits for the next poll, and reads the process's peak RSS (`VmHWM`) before killing it.
//! No AWS service is contacted: the secret is given directly (`HMAC_SECRET`) and an empty batch
//! touches no store. Run with `make startup`, on a release build.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use samspil_runtime_tests::{Answer, FakeRuntime, Running, lambda_command};

const WAIT: Duration = Duration::from_secs(10);

struct Sample {
    first_poll: Duration,
    first_invocation: Duration,
    peak_rss_kib: u64,
}

fn run_once(binary: &Path) -> Result<Sample, String> {
    let runtime = FakeRuntime::start()?;
    let mut command = lambda_command(binary, &runtime, "samspil-startup-bench");
    command
        .envs([
            ("TABLE_NAME", "people"),
            ("TOPIC_ARN", "arn:aws:sns:eu-north-1:123456789012:meeting-updates"),
            ("QUEUE_URL", "https://sqs.eu-north-1.amazonaws.com/123456789012/registrations"),
            ("DLQ_URL", "https://sqs.eu-north-1.amazonaws.com/123456789012/registrations-dlq"),
            ("HMAC_SECRET", "startup-bench-secret"),
            ("AKASSE_SENDERS", "AROAEXAMPLE=067"),
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
    poll.respond("bench-1", r#"{"Records":[]}"#)?;
    match runtime.answer("bench-1", WAIT)? {
        Answer::Response(_) => {}
        Answer::Error(body) => return Err(format!("the function failed the empty event: {body}")),
    }
    let first_invocation = invoked.elapsed();
    let _ready = runtime.next_poll(WAIT)?;
    let peak_rss_kib = function.peak_rss_kib().ok_or("cannot read VmHWM from /proc")?;
    function.stop();
    Ok(Sample { first_poll, first_invocation, peak_rss_kib })
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
    report("first invocation (empty batch)", samples.iter().map(|s| s.first_invocation.as_secs_f64() * 1e3), "ms");
    report("peak RSS", samples.iter().map(|s| s.peak_rss_kib as f64 / 1024.0), "MiB");
}

fn report(what: &str, values: impl Iterator<Item = f64>, unit: &str) {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    println!("{what:32} min {:7.2}  median {:7.2}  p90 {:7.2}  max {:7.2} {unit}", at(0.0), at(0.5), at(0.9), at(1.0));
}
