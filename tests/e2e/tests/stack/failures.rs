//! Failures through the local stack: nothing is ever lost.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use samspil::contract::MeetingUpdate;
use samspil::pipeline::Backoff;
use samspil::policy::PolicyBook;
use samspil_cli::local::{PollOptions, Stop};
use samspil_cli::redrive::{Plan, redrive};
use samspil_e2e::faults::{Counter, FlakyPublisher, FlakyStore};
use samspil_e2e::people::{DAY, Person};
use samspil_e2e::reference::in_order;
use samspil_e2e::runner::{
    dynamo, handler, handler_with, options, poller, poller_with, run_until_idle, send, sns, stored,
};
use samspil_e2e::stack::{Env, setup};
use samspil_e2e::subscriber::{Subscriber, receive, take_matching};

fn updates(received: Vec<samspil_e2e::subscriber::Update>) -> Vec<MeetingUpdate> {
    received.iter().map(|u| u.update()).collect()
}

#[tokio::test]
async fn bad_input_lands_in_the_dead_letter_queue_at_once_with_its_error_code() {
    let env = setup().await;
    let person = Person::new();
    let impossible = person.registration("860", "2026-02-30");
    let wrong_queue = person.cv_completed("2026-11-05").to_queue("registrations");
    let invalid_cpr = person.registration("860", DAY).with_data("cpr", "3102901111");
    let sent = [impossible.clone(), wrong_queue.clone(), invalid_cpr.clone()];
    send(&env, &sent).await;
    let summary = run_until_idle(&poller(&env, handler(&env))).await;
    assert_eq!((summary.counts.permanent_failures, summary.left_for_retry), (3, 0), "dead-lettered, not retried");

    let dlq = &env.stack.queue("registrations").expect("registrations").dlq_url;
    let letters =
        take_matching(&env.clients.sqs, dlq, |m| sent.iter().any(|s| m.body() == Some(s.body.as_str()))).await;
    let attribute = |m: &aws_sdk_sqs::types::Message, name: &str| {
        m.message_attributes().and_then(|a| a.get(name)).and_then(|v| v.string_value()).unwrap_or_default().to_string()
    };
    let codes: BTreeMap<String, String> = letters
        .iter()
        .map(|m| {
            let message = attribute(m, "error_message");
            assert!(
                !message.is_empty() && !message.contains(person.cpr()),
                "error_message: readable, without the CPR number"
            );
            let id =
                sent.iter().find(|s| m.body() == Some(s.body.as_str())).expect("a sent body, unchanged").id.clone();
            (id, attribute(m, "error_code"))
        })
        .collect();
    let want = BTreeMap::from([
        (impossible.id.clone(), "impossible_date".to_string()),
        (wrong_queue.id.clone(), "wrong_queue".to_string()),
        (invalid_cpr.id.clone(), "invalid_cpr".to_string()),
    ]);
    assert_eq!(codes, want, "each bad message is in registrations-dlq, body unchanged, with its error_code");
    assert!(stored(&env, &person).await.is_none(), "bad input changes no state");
}

#[tokio::test]
async fn a_failed_publish_is_retried_by_redelivery_and_the_outbox_publishes_the_update() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let person = Person::new();
    let registration = person.registration("860", DAY);
    let calls = Counter::default();
    let publisher = FlakyPublisher { inner: sns(&env), failures: 1, calls: calls.clone() };
    let runner = poller(&env, handler_with(&env, dynamo(&env), publisher, PolicyBook::repository()));
    send(&env, std::slice::from_ref(&registration)).await;
    let summary = run_until_idle(&runner).await;

    // First delivery: the state (with its outbox) is written, the publish fails, the message stays.
    // Second delivery (ApproximateReceiveCount 2): already processed, so its outbox is published.
    assert_eq!((summary.counts.messages, summary.counts.transient_failures, summary.left_for_retry), (2, 1, 1));
    assert_eq!(summary.counts.duplicates, 1, "the redelivery is recognised as processed");
    assert_eq!(calls.get(), 2, "one failed publish, one from the outbox");
    let state = stored(&env, &person).await.expect("the state was written on the first delivery");
    assert!(state.has_processed(&registration.key()));
    let got = updates(subscriber.updates_for(&[&person]).await);
    assert_eq!(got, in_order(&[registration]).await, "the update went out once, as planned");
    subscriber.remove().await;
}

#[tokio::test]
async fn a_store_outage_is_retried_by_redelivery_without_losing_the_message() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let person = Person::new();
    let registration = person.registration("813", DAY);
    let loads = Counter::default();
    let store = FlakyStore { inner: dynamo(&env), failures: 2, loads: loads.clone() };
    let runner = poller(&env, handler_with(&env, store, sns(&env), PolicyBook::repository()));
    send(&env, std::slice::from_ref(&registration)).await;
    let summary = run_until_idle(&runner).await;

    assert_eq!((summary.counts.messages, summary.counts.transient_failures, summary.counts.scheduled), (3, 2, 1));
    assert_eq!(loads.get(), 3);
    let got = updates(subscriber.updates_for(&[&person]).await);
    assert_eq!(got, in_order(&[registration]).await);
    subscriber.remove().await;
}

async fn visible(env: &Env, url: &str) -> u64 {
    let output = env
        .clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .expect("GetQueueAttributes");
    output.attributes.unwrap_or_default()[&QueueAttributeName::ApproximateNumberOfMessages].parse().expect("a count")
}

#[tokio::test]
async fn samspil_redrive_moves_dead_letters_back_after_the_fix_and_they_are_processed() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let (aalborg, hjorring) = (Person::new(), Person::new());
    let no_policy = aalborg.registration("851", DAY);
    let exhausted = hjorring.registration("860", DAY);

    // Before the fix: the policy file lacks Aalborg (851) and has no default, and the table is
    // down. The first message is bad input at once; the second fails until SQS gives up on it and,
    // on the receive after maxReceiveCount (8), moves it to the dead-letter queue.
    let policies = PolicyBook::from_toml("[municipalities.860]\nname = \"Hjørring\"\npolicy = \"baseline\"\n", "e2e")
        .expect("a policy file");
    let down = FlakyStore { inner: dynamo(&env), failures: u32::MAX, loads: Counter::default() };
    send(&env, &[no_policy.clone(), exhausted.clone()]).await;
    let before = run_until_idle(&poller(&env, handler_with(&env, down, sns(&env), policies))).await;
    assert_eq!(
        (before.counts.permanent_failures, before.counts.transient_failures),
        (1, samspil::pipeline::MAX_RECEIVES as u64)
    );

    let dlq = env.stack.queue("registrations").expect("registrations").dlq_url.clone();
    let waiting = visible(&env, &dlq).await;
    assert_eq!(waiting, 2, "both are in the dead-letter queue");
    let exhausted_only = Plan { dry_run: true, ..Plan::retries_exhausted("registrations") };
    let listed = redrive(&env.clients.sqs, &exhausted_only, |_| {}).await.expect("a dry run");
    let codes: Vec<Option<&str>> = listed.moved.iter().map(|r| r.error_code.as_deref()).collect();
    assert_eq!(codes, [None], "by default only exhausted retries, without a code, would move");
    assert_eq!(listed.left, BTreeMap::from([("unknown_municipality".to_string(), 1)]), "bad input is left");
    let both = Plan { error_codes: vec!["unknown_municipality".into()], ..exhausted_only.clone() };
    let listed = redrive(&env.clients.sqs, &both, |_| {}).await.expect("a dry run");
    assert_eq!(listed.moved.len(), 2, "named on purpose, the bad input would move too");
    let one = redrive(&env.clients.sqs, &Plan { max: Some(1), ..both.clone() }, |_| {}).await.expect("a dry run");
    assert_eq!(one.moved.len(), 1, "--max 1: one would move, the other stays");
    assert_eq!(visible(&env, &dlq).await, waiting, "both are visible again");
    assert_eq!(visible(&env, &dlq).await, waiting, "a dry run changes nothing and shows the messages again");

    // After the fix: a routine redrive moves the exhausted one and leaves the other, visible.
    let moved = redrive(&env.clients.sqs, &Plan::retries_exhausted("registrations"), |_| {}).await.expect("a redrive");
    assert_eq!((moved.moved.len(), moved.left_total()), (1, 1));
    assert!(moved.moved.iter().all(|r| r.new_message_id.is_some()));
    assert_eq!(visible(&env, &dlq).await, 1, "the bad input stays in the dead-letter queue, visible again at once");
    // The municipality is in the policy file now: move its message back on purpose.
    let named = Plan { error_codes: vec!["unknown_municipality".into()], ..Plan::retries_exhausted("registrations") };
    let moved = redrive(&env.clients.sqs, &named, |_| {}).await.expect("a redrive");
    assert_eq!((moved.moved.len(), moved.left_total()), (1, 0));
    assert_eq!(visible(&env, &dlq).await, 0);
    let after = run_until_idle(&poller(&env, handler(&env))).await;
    assert!(after.counts.scheduled >= 2, "both redriven registrations schedule a meeting");

    let mut got = updates(subscriber.updates_for(&[&aalborg, &hjorring]).await);
    let mut want = in_order(&[no_policy, exhausted]).await;
    for list in [&mut got, &mut want] {
        list.sort_by(|a, b| a.meeting_id.cmp(&b.meeting_id));
    }
    assert_eq!(got, want, "each redriven message scheduled its meeting once");
    subscriber.remove().await;
}

#[tokio::test]
async fn a_failed_message_waits_longer_than_the_visibility_timeout_before_it_returns() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let person = Person::new();
    let registration = person.registration("860", DAY);
    let down = FlakyStore { inner: dynamo(&env), failures: 1, loads: Counter::default() };
    // A 1 s visibility timeout, but the failed message is to wait 6 s (the back-off).
    let backoff = Backoff { first: Duration::from_secs(6), cap: Duration::from_secs(6) };
    let options = PollOptions { once: true, until_idle: None, visibility_timeout: 1, backoff, ..options() };
    send(&env, std::slice::from_ref(&registration)).await;
    let first = poller_with(&env, handler_with(&env, down, sns(&env), PolicyBook::repository()), options);
    let summary = first.run(&Stop::new()).await.expect("polling");
    assert_eq!(summary.left_for_retry, 1, "the store was down");

    tokio::time::sleep(Duration::from_secs(2)).await;
    let url = &env.stack.queue("registrations").expect("registrations").url;
    let early = receive(&env.clients.sqs, url, 0, 0).await;
    assert!(
        !early.iter().any(|m| m.body() == Some(registration.body.as_str())),
        "past its 1 s visibility timeout the failed message is still waiting"
    );

    let summary = run_until_idle(&poller(&env, handler(&env))).await;
    assert_eq!(summary.counts.scheduled, 1, "it came back after the back-off and was processed");
    let got = updates(subscriber.updates_for(&[&person]).await);
    assert_eq!(got, in_order(&[registration]).await);
    subscriber.remove().await;
}
