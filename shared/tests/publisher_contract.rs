//! The publisher contract: ONE suite, run against every [`Publisher`] adapter, checking what a
//! subscriber observes: every published event, in order, with its body equal to
//! [`OutboundEvent::to_json`] and the message attributes `municipality`, `akasse` and `event_type`
//! that jobcenter and a-kasse systems filter on.
//!
//! For SNS the subscriber is an SQS queue subscribed to a fresh topic with raw message delivery, as
//! a jobcenter's queue would be; with raw delivery the SNS message attributes arrive as SQS message
//! attributes. (Real SNS standard topics do not promise delivery order; the emulator keeps it, and
//! receivers rely on `sequence`, not on order.) Also here: the SQS dead-letter adapter, the other
//! outbound adapter. Run with `make test` (the AWS halves fail without the emulator).

mod support;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use samspil::aws::{AwsClients, RequestCounter, SnsPublisher, SqsDeadLetters};
use samspil::contract::{BadInput, ErrorCode, OutboundEvent};
use samspil::pipeline::memory::{MemoryDeadLetters, MemoryPublisher};
use samspil::pipeline::{DeadLetters, Publisher};
use samspil::senders::Provenance;

use samspil::domain::updates_published_by;
use support::{CPR, cpr, events, transferred_state};

/// One message as a subscriber sees it: body and string message attributes.
#[derive(Debug, PartialEq, Eq)]
struct Received {
    body: String,
    attributes: BTreeMap<String, String>,
}

/// What a subscriber of `event` must see.
fn expected(event: &OutboundEvent) -> Received {
    Received {
        body: event.to_json(),
        attributes: event.message_attributes().iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    }
}

/// A publisher under test with its subscriber.
trait Subscribed {
    type P: Publisher;
    fn publisher(&self) -> &Self::P;
    /// The next `n` messages the subscriber received.
    async fn receive(&self, n: usize) -> Vec<Received>;
}

// ---------------------------------------------------------------------------------------------
// The cases.

async fn one_event_arrives_with_body_and_attributes(s: &impl Subscribed) {
    let events = events();
    s.publisher().publish(events[..1].to_vec()).await.expect("publish");
    let received = s.receive(1).await;
    assert!(received == vec![expected(&events[0])], "the subscriber must receive exactly the event as published");
}

async fn several_events_arrive_in_order(s: &impl Subscribed) {
    let events = events();
    s.publisher().publish(events.clone()).await.expect("publish");
    let received = s.receive(3).await;
    let want: Vec<Received> = events.iter().map(expected).collect();
    assert_eq!(received.len(), 3);
    for (i, (got, want)) in received.iter().zip(&want).enumerate() {
        assert!(got == want, "message {i} differs from the event published in that place");
    }
}

async fn more_events_than_one_batch_all_arrive_in_order(s: &impl Subscribed) {
    let base = events();
    let many: Vec<OutboundEvent> = (0..12).map(|i| base[i % 3].clone()).collect();
    s.publisher().publish(many.clone()).await.expect("publish");
    let received = s.receive(12).await;
    assert_eq!(received.len(), 12);
    for (i, got) in received.iter().enumerate() {
        assert!(*got == expected(&many[i]), "message {i} differs");
    }
}

/// Rule R8: a transfer's outbox, the cancellation for the old municipality and a-kasse, then the
/// meeting for the new ones: both arrive in that order, each with its own receivers' attributes
/// (so each jobcenter's filter policy lets through the one meant for it).
async fn a_transfer_outbox_arrives_in_order_with_each_update_s_own_receivers(s: &impl Subscribed) {
    let state = transferred_state(CPR);
    let cause = state.meetings.iter().find_map(|m| m.last_update.clone()).expect("an update").caused_by;
    let now = "2026-11-03T09:00:01Z".parse().expect("an instant");
    let outbox: Vec<OutboundEvent> =
        updates_published_by(&state, &cause, &cpr(CPR)).iter().map(|u| OutboundEvent::new(u, now)).collect();
    assert_eq!(outbox.len(), 2, "a cancellation and a meeting");
    s.publisher().publish(outbox.clone()).await.expect("publish");
    let received = s.receive(2).await;
    let municipalities: Vec<&str> = received.iter().map(|r| r.attributes["municipality"].as_str()).collect();
    assert_eq!(municipalities, ["851", "860"], "the old jobcenter first, then the new one");
    for (i, (got, event)) in received.iter().zip(&outbox).enumerate() {
        assert!(*got == expected(event), "message {i} differs from the update of the outbox in that place");
    }
}

async fn publishing_nothing_sends_nothing(s: &impl Subscribed) {
    s.publisher().publish(Vec::new()).await.expect("publish nothing");
    let events = events();
    s.publisher().publish(events[2..].to_vec()).await.expect("publish");
    let received = s.receive(1).await;
    assert!(received == vec![expected(&events[2])], "only the one event arrives");
}

// ---------------------------------------------------------------------------------------------
// The adapters and their subscribers.

struct Memory(MemoryPublisher);

impl Subscribed for Memory {
    type P = MemoryPublisher;
    fn publisher(&self) -> &MemoryPublisher {
        &self.0
    }
    async fn receive(&self, n: usize) -> Vec<Received> {
        let taken = self.0.take();
        assert_eq!(taken.len(), n, "number of events kept");
        taken.iter().map(|e| Received { body: e.to_json(), attributes: expected(e).attributes }).collect()
    }
}

struct Sns {
    publisher: SnsPublisher,
    clients: AwsClients,
    queue_url: String,
    requests: RequestCounter,
}

impl Sns {
    /// A fresh topic `meeting-updates-test-<unique>` with a fresh queue subscribed to it, raw.
    async fn new() -> Sns {
        let (clients, requests) = support::clients().await;
        let name = support::unique("meeting-updates-test");
        let topic_arn =
            clients.sns.create_topic().name(&name).send().await.expect("CreateTopic").topic_arn.expect("arn");
        let queue_url = create_queue(&clients, &name).await;
        let queue_arn = queue_arn(&clients, &queue_url).await;
        clients
            .sns
            .subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .attributes("RawMessageDelivery", "true")
            .send()
            .await
            .expect("Subscribe");
        requests.reset();
        Sns { publisher: SnsPublisher::new(clients.sns.clone(), topic_arn), clients, queue_url, requests }
    }
}

impl Subscribed for Sns {
    type P = SnsPublisher;
    fn publisher(&self) -> &SnsPublisher {
        &self.publisher
    }
    async fn receive(&self, n: usize) -> Vec<Received> {
        receive(&self.clients, &self.queue_url, n)
            .await
            .into_iter()
            .map(|m| Received { body: m.body, attributes: m.attributes })
            .collect()
    }
}

async fn create_queue(clients: &AwsClients, name: &str) -> String {
    clients.sqs.create_queue().queue_name(name).send().await.expect("CreateQueue").queue_url.expect("url")
}

async fn queue_arn(clients: &AwsClients, queue_url: &str) -> String {
    let attributes = clients
        .sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes
        .expect("attributes");
    attributes[&QueueAttributeName::QueueArn].clone()
}

struct Message {
    body: String,
    attributes: BTreeMap<String, String>,
}

/// Receives `n` messages from the queue, in arrival order, within 10 s; fails if fewer arrive or
/// more are waiting.
async fn receive(clients: &AwsClients, queue_url: &str, n: usize) -> Vec<Message> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut messages = Vec::new();
    loop {
        let output = clients
            .sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(if messages.len() < n { 1 } else { 0 })
            .message_attribute_names("All")
            .send()
            .await
            .expect("ReceiveMessage");
        let batch = output.messages.unwrap_or_default();
        let empty = batch.is_empty();
        for m in batch {
            let attributes = m
                .message_attributes
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.string_value.unwrap_or_default()))
                .collect();
            messages.push(Message { body: m.body.unwrap_or_default(), attributes });
        }
        if messages.len() > n {
            panic!("{} messages arrived, {n} expected", messages.len());
        }
        if messages.len() == n && empty {
            return messages;
        }
        if Instant::now() > deadline {
            panic!("only {} of {n} messages arrived within 10 s", messages.len());
        }
    }
}

macro_rules! publisher_contract {
    ($($case:ident),* $(,)?) => {
        mod memory {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(&Memory(MemoryPublisher::new())).await;
                }
            )*
        }

        mod sns {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(&Sns::new().await).await;
                }
            )*
        }
    };
}

publisher_contract!(
    one_event_arrives_with_body_and_attributes,
    several_events_arrive_in_order,
    more_events_than_one_batch_all_arrive_in_order,
    publishing_nothing_sends_nothing,
    a_transfer_outbox_arrives_in_order_with_each_update_s_own_receivers,
);

// ---------------------------------------------------------------------------------------------
// SNS only: the request budget.

#[tokio::test]
async fn sns_sends_one_publish_for_one_event_and_batches_of_ten_for_more() {
    let sns = Sns::new().await;
    let base = events();
    let counts = |requests: &RequestCounter| {
        let snapshot = requests.snapshot();
        requests.reset();
        snapshot
    };

    sns.publisher.publish(base[..1].to_vec()).await.expect("publish 1");
    assert_eq!(counts(&sns.requests), [("Publish".to_string(), 1)].into());
    sns.publisher.publish(base.clone()).await.expect("publish 3");
    assert_eq!(counts(&sns.requests), [("PublishBatch".to_string(), 1)].into());
    let many: Vec<OutboundEvent> = (0..21).map(|i| base[i % 3].clone()).collect();
    sns.publisher.publish(many.clone()).await.expect("publish 21");
    assert_eq!(counts(&sns.requests), [("PublishBatch".to_string(), 3)].into());
    sns.publisher.publish(Vec::new()).await.expect("publish 0");
    assert_eq!(counts(&sns.requests), BTreeMap::new());
    assert_eq!(sns.receive(25).await.len(), 25);
}

#[tokio::test]
async fn sns_errors_do_not_carry_the_message_body() {
    let (clients, _) = support::clients().await;
    let arn = "arn:aws:sns:eu-north-1:123456789012:no-such-topic";
    let publisher = SnsPublisher::new(clients.sns, arn);
    let events = events();
    for batch in [&events[..1], &events[..]] {
        let error = publisher.publish(batch.to_vec()).await.expect_err("the topic does not exist");
        assert!(
            !error.0.contains(support::CPR) && !error.0.contains(support::OTHER_CPR),
            "error carries a CPR: {error}"
        );
        assert!(!error.0.contains("meeting_id"), "error carries a body: {error}");
    }
}

// ---------------------------------------------------------------------------------------------
// Dead letters: body unchanged, with `error_code` and `error_message`.

fn bad_input() -> BadInput {
    BadInput::new(ErrorCode::InvalidCpr, "data.cpr: must be 10 digits starting with a valid day and month")
}

const BAD_BODY: &str = r#"{"specversion":"1.0","id":"x-1","data":{"cpr":"3213901234"}}  "#;

#[tokio::test]
async fn memory_dead_letters_keep_body_reason_and_provenance() {
    let letters = MemoryDeadLetters::new();
    letters.send("registrations", BAD_BODY, &bad_input(), &provenance()).await.expect("send");
    let taken = letters.take();
    assert_eq!(taken.len(), 1);
    assert_eq!((taken[0].queue.as_str(), taken[0].body.as_str()), ("registrations", BAD_BODY));
    assert_eq!(taken[0].error_code, "invalid_cpr");
    assert_eq!(taken[0].error_message, bad_input().message);
    assert_eq!(taken[0].provenance, provenance());
}

/// The sender a dead letter was checked against, and its seal (any 64 hex digits will do here).
fn provenance() -> Provenance {
    Provenance { sender: Some("AROAKASSE067".into()), seal: "5e".repeat(32) }
}

#[tokio::test]
async fn sqs_dead_letters_go_to_the_queues_dlq_unchanged_with_the_reason() {
    let (clients, requests) = support::clients().await;
    let registrations_dlq = create_queue(&clients, &support::unique("registrations-dlq")).await;
    let job_exits_dlq = create_queue(&clients, &support::unique("job-exits-dlq")).await;
    let letters = SqsDeadLetters::new(
        clients.sqs.clone(),
        HashMap::from([
            ("registrations".to_string(), registrations_dlq.clone()),
            ("job-exits".to_string(), job_exits_dlq.clone()),
        ]),
    );
    requests.reset();
    letters.send("registrations", BAD_BODY, &bad_input(), &provenance()).await.expect("send");
    assert_eq!(requests.snapshot(), [("SendMessage".to_string(), 1)].into());

    let received = receive(&clients, &registrations_dlq, 1).await;
    assert_eq!(received[0].body, BAD_BODY, "the body is unchanged, whitespace included");
    let want: BTreeMap<String, String> = [
        ("error_code".to_string(), "invalid_cpr".to_string()),
        ("error_message".to_string(), bad_input().message),
        ("samspil-sender".to_string(), "AROAKASSE067".to_string()),
        ("samspil-seal".to_string(), "5e".repeat(32)),
    ]
    .into();
    assert_eq!(received[0].attributes, want);
    assert!(receive(&clients, &job_exits_dlq, 0).await.is_empty(), "nothing in another queue's DLQ");

    let error =
        letters.send("cv-completions", BAD_BODY, &bad_input(), &provenance()).await.expect_err("no DLQ for this queue");
    assert!(error.0.contains("cv-completions"), "{error}");

    let single = SqsDeadLetters::single(clients.sqs.clone(), job_exits_dlq.clone());
    let unsent = Provenance { sender: None, seal: "00".repeat(32) };
    single.send("anything", "not json", &BadInput::new(ErrorCode::NotJson, ""), &unsent).await.expect("send");
    let received = receive(&clients, &job_exits_dlq, 1).await;
    assert_eq!(received[0].body, "not json");
    assert_eq!(received[0].attributes["error_code"], "not_json");
    assert!(!received[0].attributes.contains_key("samspil-sender"), "no sender: no attribute (SQS refuses empty ones)");
    assert_eq!(received[0].attributes["error_message"], "not_json", "an empty message falls back to the code");
}

#[tokio::test]
async fn the_memory_publisher_counts_and_drops_what_it_clears_and_keeps_what_follows() {
    let publisher = MemoryPublisher::new();
    let events = events();
    publisher.publish(events.clone()).await.expect("publish");
    assert_eq!(publisher.clear(), events.len());
    assert_eq!(publisher.clear(), 0, "cleared events are gone");
    publisher.publish(events[..1].to_vec()).await.expect("publish");
    publisher.publish(events[1..].to_vec()).await.expect("publish");
    assert_eq!(publisher.take(), events, "events after a clear are kept in order");
    assert!(publisher.take().is_empty());
}
