//! The built `summons` binary, driven through a fake Lambda Runtime API against the emulator.
//!
//! A person is registered through the embedded pipeline on DynamoDB, SNS and KMS under a policy
//! whose summons day has always come already (`summon_days = 60`), so nothing is published and the
//! plan waits in the table's `sweep-due` index with its CPR number sealed. Then the binary gets one
//! scheduled event: it must publish exactly that summons, answer with what it did, print its
//! metrics line, leave nothing pending, and never print the CPR number. Needs the moto emulator
//! (`make test`).

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use samspil::aws::dynamo::create_table_for_tests;
use samspil::aws::{AwsClients, DynamoStore, KmsSealer, SnsPublisher};
use samspil::contract::Cpr;
use samspil::identity::PersonKeyer;
use samspil::pipeline::{Delivery, Pipeline, Store};
use samspil::policy::PolicyBook;
use samspil_runtime_tests::events::{SENDER, registration};
use samspil_runtime_tests::{Answer, FakeRuntime, Running, emulator_endpoint, lambda_command, unique_suffix};
use serde_json::Value;

const CPR: &str = "0101901212";
const SECRET: &str = "summons-runtime-test-secret";
const WAIT: Duration = Duration::from_secs(20);
/// Aalborg (851, the registration's municipality) summoned 60 business days ahead: always due.
const POLICIES: &str = "default_policy = \"baseline\"\n\
    [policies.always-due]\nbased_on = \"baseline\"\nsummon_days = 60\n\
    [municipalities.851]\nname = \"Aalborg\"\npolicy = \"always-due\"\n";

#[tokio::test]
async fn the_binary_publishes_the_summonses_due_when_its_schedule_invokes_it() {
    let endpoint = emulator_endpoint();
    let clients = AwsClients::from_env().await;
    let suffix = unique_suffix("summons");
    let table = format!("people-{suffix}");
    create_table_for_tests(&clients.dynamodb, &table).await.unwrap();
    let topic = clients.sns.create_topic().name(format!("meeting-updates-{suffix}")).send().await.unwrap();
    let topic_arn = topic.topic_arn().unwrap().to_string();
    let key = clients.kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    let updates = subscribed_queue(&clients, &topic_arn, &suffix).await;
    let policy_file = std::env::temp_dir().join(format!("policies-{suffix}.toml"));
    std::fs::write(&policy_file, POLICIES).unwrap();

    // The registration, through the inbound functions' pipeline: the plan stays internal.
    let policies = PolicyBook::from_toml(POLICIES, "test").unwrap();
    let keyer = PersonKeyer::new(SECRET.as_bytes()).unwrap();
    let store = DynamoStore::new(clients.dynamodb.clone(), &table, 400);
    let inbound = Pipeline::new(
        store.clone(),
        SnsPublisher::new(clients.sns.clone(), &topic_arn),
        KmsSealer::new(clients.kms.clone(), &key),
        policies,
        keyer.clone(),
    );
    let body = registration("summons-runtime-1", CPR);
    let delivery = Delivery { queue: "registrations", body: &body, sender: Some(SENDER), redelivered: false };
    inbound.handle(delivery, samspil::lambda::processing_time(Utc::now())).await.expect("the registration");
    let person = keyer.key(&Cpr::parse(CPR).unwrap());
    let pending = store.load(&person).await.unwrap().expect("stored").state;
    assert!(pending.sweep_due.is_some() && pending.pending_cpr.is_some(), "the plan waits for the sweep");
    assert!(receive(&clients, &updates).await.is_empty(), "nothing published before the sweep");

    let runtime = FakeRuntime::start().unwrap();
    let mut command = lambda_command(Path::new(env!("CARGO_BIN_EXE_summons")), &runtime, "samspil-summons");
    command
        .envs([
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("STACK_NAME", "samspil-test"),
            ("TABLE_NAME", &table),
            ("TOPIC_ARN", &topic_arn),
            ("SUMMONS_KEY_ID", &key),
            ("HMAC_SECRET", SECRET),
            ("POLICY_FILE", policy_file.to_str().unwrap()),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut function = Running(command.spawn().expect("spawn the summons binary"));
    let scheduled = r#"{"source": "aws.scheduler", "detail": {}}"#;
    runtime.next_poll(WAIT).unwrap().respond("sweep-1", scheduled).unwrap();
    let answer = runtime.answer("sweep-1", WAIT).unwrap();
    let _ready_again = runtime.next_poll(WAIT).unwrap();
    function.stop();

    let Answer::Response(body) = answer else { panic!("the sweep failed: {answer:?}") };
    let response: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((response["published"].as_u64(), response["left"].as_u64()), (Some(1), Some(0)), "{response}");
    let received = receive(&clients, &updates).await;
    assert_eq!(received.len(), 1, "exactly the one summons");
    let update: Value = serde_json::from_str(&received[0]).unwrap();
    assert_eq!(update["type"], "dk.jobcenter.meeting-scheduled.v1");
    assert_eq!((update["data"]["cpr"].as_str(), update["data"]["sequence"].as_u64()), (Some(CPR), Some(1)));
    let done = store.load(&person).await.unwrap().expect("stored").state;
    assert!(done.sweep_due.is_none() && done.pending_cpr.is_none(), "nothing pending, the sealed number gone");

    let mut logs = String::new();
    function.0.stdout.take().unwrap().read_to_string(&mut logs).unwrap();
    function.0.stderr.take().unwrap().read_to_string(&mut logs).unwrap();
    assert!(!logs.contains(CPR), "the CPR number must never be logged");
    let metrics: Value = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l.get("_aws").is_some())
        .expect("an EMF metrics line");
    assert_eq!((metrics["function"].as_str(), metrics["stack"].as_str()), (Some("summons"), Some("samspil-test")));
    assert_eq!((metrics["summonses"].as_u64(), metrics["summons_left"].as_u64()), (Some(1), Some(0)));
    let _ = std::fs::remove_file(policy_file);
}

/// A queue subscribed to the topic with raw delivery, as a subscriber's.
async fn subscribed_queue(clients: &AwsClients, topic_arn: &str, suffix: &str) -> String {
    let url = clients.sqs.create_queue().queue_name(format!("updates-{suffix}")).send().await.unwrap();
    let url = url.queue_url().unwrap().to_string();
    let arn = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    let subscribe = clients.sns.subscribe().topic_arn(topic_arn).protocol("sqs").endpoint(arn);
    subscribe.attributes("RawMessageDelivery", "true").send().await.unwrap();
    url
}

async fn receive(clients: &AwsClients, url: &str) -> Vec<String> {
    let output = clients.sqs.receive_message().queue_url(url).max_number_of_messages(10).send().await.unwrap();
    output.messages().iter().filter_map(|m| m.body().map(str::to_string)).collect()
}
