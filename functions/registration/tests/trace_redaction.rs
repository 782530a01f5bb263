//! The built `registration` binary at TRACE, with injected errors: no CPR number in its output.
//!
//! The function runs with `AWS_LAMBDA_LOG_LEVEL=TRACE` and `RUST_LOG=trace`, the finest levels
//! an operator could set. The AWS SDK, its HTTP stack and the Lambda runtime log raw events and
//! request bodies at TRACE; `samspil::telemetry::caps` must keep them quiet whatever the level. Two
//! invocations go through a fake Runtime API against the emulator:
//!
//! 1. a batch with a valid registration (written to DynamoDB and published to SNS: request bodies
//!    with the CPR number), one for a person whose stored item is corrupt (an injected store
//!    error), and a bad record holding a CPR number whose dead-lettering fails (an injected SQS
//!    error: the dead-letter queue does not exist);
//! 2. an event the runtime cannot deserialize, whose offending value is a CPR number (the
//!    deserializer's error message would quote it).
//!
//! Everything the process writes to stdout and stderr is checked: no synthetic CPR number. The
//! forced panic is in `shared/tests/trace_panic.rs` (a panic needs code of its own to raise it).

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use samspil::aws::AwsClients;
use samspil::aws::dynamo::create_table_for_tests;
use samspil::aws::item_key::partition_key;
use samspil::contract::Cpr;
use samspil::identity::PersonKeyer;
use samspil_runtime_tests::events::{SENDERS, registration, sqs_record as record};
use samspil_runtime_tests::{Answer, FakeRuntime, Running, emulator_endpoint, lambda_command, unique_suffix};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(15);
const SECRET: &str = "trace-test-secret";
/// Synthetic CPR numbers: the valid registration, the corrupt item, the bad record, the bad event.
const CPRS: [&str; 4] = ["0101907001", "0202907002", "0303907003", "0404907004"];

#[tokio::test]
async fn a_run_at_trace_with_injected_errors_prints_no_cpr_number() {
    let endpoint = emulator_endpoint();
    let clients = AwsClients::from_env().await;
    let suffix = unique_suffix("trace");
    let table = format!("people-{suffix}");
    create_table_for_tests(&clients.dynamodb, &table).await.unwrap();
    let topic = clients.sns.create_topic().name(format!("meeting-updates-{suffix}")).send().await.unwrap();
    let missing_dlq = format!("{endpoint}/123456789012/no-such-dlq-{suffix}");
    // Injected back-off error too: the queue whose failed messages would wait does not exist.
    let missing_queue = format!("{endpoint}/123456789012/no-such-queue-{suffix}");

    // Injected store error: the second person's item does not decode.
    let keyer = PersonKeyer::new(SECRET.as_bytes()).unwrap();
    let corrupt_key = partition_key(&keyer.key(&Cpr::parse(CPRS[1]).unwrap()));
    clients
        .dynamodb
        .put_item()
        .table_name(&table)
        .item("pk", AttributeValue::S(corrupt_key))
        .item("version", AttributeValue::N("1".into()))
        .item("state", AttributeValue::S("{not a state".into()))
        .send()
        .await
        .unwrap();

    let runtime = FakeRuntime::start().unwrap();
    let mut command = lambda_command(Path::new(env!("CARGO_BIN_EXE_registration")), &runtime, "samspil-registration");
    command
        .envs([
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("STACK_NAME", "samspil-test"),
            ("TABLE_NAME", &table),
            ("TOPIC_ARN", topic.topic_arn().unwrap()),
            ("QUEUE_URL", &missing_queue),
            ("DLQ_URL", &missing_dlq),
            ("HMAC_SECRET", SECRET),
            ("AKASSE_SENDERS", SENDERS),
            // Rule R12: not used by these messages (no municipality of theirs has summon_days).
            ("SUMMONS_KEY_ID", "alias/samspil-summons-unused"),
            ("AWS_LAMBDA_LOG_LEVEL", "TRACE"),
            ("RUST_LOG", "trace"),
            ("RUST_BACKTRACE", "1"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut function = Running(command.spawn().expect("spawn the registration binary"));
    // Read the output as it comes, so that a full pipe never stalls the function.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(function.0.stdout.take().unwrap()));
    let stderr = drain(Box::new(function.0.stderr.take().unwrap()));

    let bad_record = registration("trace-bad", CPRS[2]).replace("2026-11-02\"}", "2026-02-30\"}");
    let batch = json!({"Records": [
        record("m-valid", &registration("trace-valid", CPRS[0])),
        record("m-corrupt", &registration("trace-corrupt", CPRS[1])),
        record("m-bad", &bad_record),
    ]});
    runtime.next_poll(WAIT).unwrap().respond("req-1", &batch.to_string()).unwrap();
    let Answer::Response(body) = runtime.answer("req-1", WAIT).unwrap() else { panic!("the first batch failed") };
    let response: Value = serde_json::from_str(&body).unwrap();
    let failed: Vec<&str> = response["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["m-corrupt", "m-bad"], "the injected errors were hit and reported as transient");

    // An event whose `Records` is a CPR number: the runtime cannot deserialize it.
    let undecodable = json!({"Records": CPRS[3]});
    runtime.next_poll(WAIT).unwrap().respond("req-2", &undecodable.to_string()).unwrap();
    let answer = runtime.answer("req-2", WAIT).unwrap();
    assert!(matches!(answer, Answer::Error(_)), "the runtime reports the undecodable event as an error");
    if let Answer::Error(report) = &answer {
        assert!(CPRS.iter().all(|c| !report.contains(c)), "the error sent to the Runtime API holds a CPR number");
    }
    let _ready_again = runtime.next_poll(WAIT).unwrap();
    function.stop();

    let output = stdout.join().unwrap() + &stderr.join().unwrap();
    assert!(output.lines().count() >= 5, "the function logged (at TRACE)");
    assert!(output.contains("m-corrupt") && output.contains("m-bad"), "the failures are logged by message id");
    for (index, cpr) in CPRS.iter().enumerate() {
        assert!(!output.contains(cpr), "synthetic CPR number {index} appears in the function's output");
    }
}
