//! The built `registration` binary, driven through a fake Lambda Runtime API against the emulator.
//!
//! One SQS event with a valid registration and a bad record goes in; the test checks what Lambda
//! and the rest of AWS would see: a valid `SqsBatchResponse` with no failures, the bad record in the
//! dead-letter queue with its `error_code`, the person's state in DynamoDB, and the process's log
//! and metrics lines (message ids and codes, never the CPR number). Needs the moto emulator
//! (`make test`, or `scripts/with-moto.sh cargo test`). A second test: a record that fails for now
//! is reported as a batch item failure and its message waits (the back-off) before it returns.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use samspil::aws::AwsClients;
use samspil::aws::dynamo::create_table_for_tests;
use samspil_runtime_tests::events::{SENDERS, registration, sqs_record};
use samspil_runtime_tests::{Answer, FakeRuntime, Running, emulator_endpoint, lambda_command, unique_suffix};
use serde_json::{Value, json};

const CPR: &str = "0101901111";
const WAIT: Duration = Duration::from_secs(15);

fn registration_body() -> String {
    registration("reg-runtime-1", CPR)
}

#[tokio::test]
async fn the_binary_answers_a_batch_through_the_runtime_api_and_writes_to_aws() {
    let endpoint = emulator_endpoint();
    let clients = AwsClients::from_env().await;
    let suffix = unique_suffix("rt");
    let table = format!("people-{suffix}");
    create_table_for_tests(&clients.dynamodb, &table).await.unwrap();
    let topic = clients.sns.create_topic().name(format!("meeting-updates-{suffix}")).send().await.unwrap();
    let dlq = clients.sqs.create_queue().queue_name(format!("registrations-dlq-{suffix}")).send().await.unwrap();
    let dlq_url = dlq.queue_url().unwrap().to_string();
    let queue = clients.sqs.create_queue().queue_name(format!("registrations-{suffix}")).send().await.unwrap();

    let runtime = FakeRuntime::start().unwrap();
    let mut command = lambda_command(Path::new(env!("CARGO_BIN_EXE_registration")), &runtime, "samspil-registration");
    command
        .envs([
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("STACK_NAME", "samspil-test"),
            ("TABLE_NAME", &table),
            ("TOPIC_ARN", topic.topic_arn().unwrap()),
            ("QUEUE_URL", queue.queue_url().unwrap()),
            ("DLQ_URL", &dlq_url),
            ("HMAC_SECRET", "runtime-test-secret"),
            ("AKASSE_SENDERS", SENDERS),
            // Rule R12: not used by these messages (no municipality of theirs has summon_days).
            ("SUMMONS_KEY_ID", "alias/samspil-summons-unused"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut function = Running(command.spawn().expect("spawn the registration binary"));

    let event = json!({"Records": [sqs_record("m-valid", &registration_body()), sqs_record("m-bad", "{not json")]});
    runtime.next_poll(WAIT).unwrap().respond("req-1", &event.to_string()).unwrap();
    let answer = runtime.answer("req-1", WAIT).unwrap();
    let _ready_again = runtime.next_poll(WAIT).unwrap();
    function.stop();

    let Answer::Response(body) = answer else { panic!("the function reported an error: {answer:?}") };
    let response: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(response, json!({"batchItemFailures": []}));

    let received = clients
        .sqs
        .receive_message()
        .queue_url(&dlq_url)
        .message_attribute_names("All")
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let letters = received.messages();
    assert_eq!(letters.len(), 1, "exactly the bad record is dead-lettered");
    assert_eq!(letters[0].body(), Some("{not json"));
    let code = letters[0].message_attributes().and_then(|a| a.get("error_code")).and_then(|v| v.string_value());
    assert_eq!(code, Some("not_json"));

    let keyer = samspil::identity::PersonKeyer::new(b"runtime-test-secret").unwrap();
    let key = samspil::aws::item_key::partition_key(&keyer.key(&samspil::contract::Cpr::parse(CPR).unwrap()));
    let item = clients
        .dynamodb
        .get_item()
        .table_name(&table)
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(key.clone()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert!(item.item().is_some(), "the person's state is stored under the HMAC key");
    assert!(key.starts_with("person#") && !key.contains(CPR));

    let mut logs = String::new();
    function.0.stdout.take().unwrap().read_to_string(&mut logs).unwrap();
    function.0.stderr.take().unwrap().read_to_string(&mut logs).unwrap();
    assert!(!logs.contains(CPR), "the CPR number must never be logged");
    assert!(logs.contains("m-valid") && logs.contains("m-bad") && logs.contains("not_json"), "logs name ids and codes");
    let metrics: Value = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l.get("_aws").is_some())
        .expect("an EMF metrics line");
    assert_eq!((metrics["messages"].as_u64(), metrics["scheduled"].as_u64()), (Some(2), Some(1)));
    assert_eq!(metrics["permanent_failures"].as_u64(), Some(1));
    assert_eq!((metrics["function"].as_str(), metrics["stack"].as_str()), (Some("registration"), Some("samspil-test")));
}

#[tokio::test]
async fn a_record_that_fails_for_now_is_reported_and_waits_before_it_returns() {
    let endpoint = emulator_endpoint();
    let clients = AwsClients::from_env().await;
    let suffix = unique_suffix("rt-backoff");
    let queue = clients.sqs.create_queue().queue_name(format!("registrations-{suffix}")).send().await.unwrap();
    let queue_url = queue.queue_url().unwrap().to_string();
    let dlq = clients.sqs.create_queue().queue_name(format!("registrations-dlq-{suffix}")).send().await.unwrap();
    clients.sqs.send_message().queue_url(&queue_url).message_body(registration_body()).send().await.unwrap();
    // Received as Lambda's event source would, with a visibility timeout of 1 s.
    let received = clients
        .sqs
        .receive_message()
        .queue_url(&queue_url)
        .visibility_timeout(1)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await
        .unwrap();
    let message = &received.messages()[0];
    let mut record = sqs_record(message.message_id().unwrap(), &registration_body());
    record["receiptHandle"] = json!(message.receipt_handle().unwrap());

    let runtime = FakeRuntime::start().unwrap();
    let mut command = lambda_command(Path::new(env!("CARGO_BIN_EXE_registration")), &runtime, "samspil-registration");
    command
        .envs([
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("STACK_NAME", "samspil-test"),
            ("TABLE_NAME", "no-such-table"), // every load fails: a transient failure
            ("TOPIC_ARN", "arn:aws:sns:eu-north-1:123456789012:no-such-topic"),
            ("QUEUE_URL", &queue_url),
            ("DLQ_URL", dlq.queue_url().unwrap()),
            ("AKASSE_SENDERS", SENDERS),
            // Rule R12: not used by these messages (no municipality of theirs has summon_days).
            ("SUMMONS_KEY_ID", "alias/samspil-summons-unused"),
            ("HMAC_SECRET", "runtime-test-secret"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut function = Running(command.spawn().expect("spawn the registration binary"));
    let event = json!({ "Records": [record] });
    runtime.next_poll(WAIT).unwrap().respond("req-1", &event.to_string()).unwrap();
    let answer = runtime.answer("req-1", WAIT).unwrap();
    function.stop();

    let Answer::Response(body) = answer else { panic!("the function reported an error: {answer:?}") };
    let response: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(response, json!({"batchItemFailures": [{"itemIdentifier": message.message_id().unwrap()}]}));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let early = clients.sqs.receive_message().queue_url(&queue_url).send().await.unwrap();
    assert!(early.messages().is_empty(), "past its 1 s visibility timeout the failed message still waits (1 min)");
}
