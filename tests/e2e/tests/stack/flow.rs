//! Messages through the local stack: what a subscriber of the topic receives.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use samspil::contract::{MeetingUpdate, UpdateType};
use samspil::policy::PolicyBook;
use samspil_cli::local::PollOptions;
use samspil_e2e::faults::{Counter, SlowStore};
use samspil_e2e::people::{Msg, Person};
use samspil_e2e::reference::{assert_same_outcome, assert_sequences_complete, in_order, last_per_meeting};
use samspil_e2e::runner::{
    dynamo, handler, handler_with, options, poller, poller_with, run_until_idle, send, sns, stored,
};
use samspil_e2e::stack::{root, setup, subscriber_queue_url};
use samspil_e2e::subscriber::{Subscriber, take_from_shared_queue};

fn types(updates: &[MeetingUpdate]) -> Vec<UpdateType> {
    updates.iter().map(|u| u.update_type).collect()
}

fn sorted(mut updates: Vec<MeetingUpdate>) -> Vec<MeetingUpdate> {
    updates.sort_by(|a, b| (&a.meeting_id, a.sequence).cmp(&(&b.meeting_id, b.sequence)));
    updates
}

#[tokio::test]
async fn messages_sent_to_the_queues_come_out_of_the_topic_as_the_embedded_pipeline_says() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let (anna, bo) = (Person::new(), Person::new());
    let registrations = vec![anna.registration("860", "2026-11-02"), bo.registration("813", "2026-11-02")];
    let later = vec![anna.cv_completed("2026-11-26"), bo.job_exit("2026-12-01")];
    let want = sorted(in_order(&[registrations.clone(), later.clone()].concat()).await);
    let count = |t: UpdateType| types(&want).into_iter().filter(|u| *u == t).count();
    let counts = (count(UpdateType::Scheduled), count(UpdateType::Rescheduled), count(UpdateType::Cancelled));
    assert_eq!(counts, (2, 1, 1), "the reference schedules two meetings, moves one and cancels the other");

    let runner = poller(&env, handler(&env));
    send(&env, &registrations).await;
    let first = run_until_idle(&runner).await;
    send(&env, &later).await;
    let second = run_until_idle(&runner).await;
    assert_eq!((first.counts.scheduled, second.counts.rescheduled, second.counts.cancelled), (2, 1, 1));
    assert_eq!(first.left_for_retry + second.left_for_retry, 0);

    let received = subscriber.updates_for(&[&anna, &bo]).await;
    for update in &received {
        let data = update.event.data();
        let want_attributes = BTreeMap::from([
            ("akasse".to_string(), data.akasse.to_string()),
            ("event_type".to_string(), update.event.event_type().to_string()),
            ("municipality".to_string(), data.municipality.to_string()),
        ]);
        assert_eq!(update.attributes, want_attributes, "the message attributes subscribers filter on");
    }
    let got = sorted(received.iter().map(|u| u.update()).collect());
    assert_eq!(got, want, "the stack's updates are the embedded pipeline's, field for field");
    subscriber.remove().await;
}

#[tokio::test]
async fn a_withdrawn_job_exit_on_the_job_exits_queue_schedules_the_meeting_again() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let (first, second) = (Person::new(), Person::new());
    // Withdrawn after the cancellation, and withdrawn before the job exit arrives.
    let registrations = vec![first.registration("851", "2026-11-02"), second.registration("851", "2026-11-02")];
    let exits = vec![first.job_exit("2027-01-04"), second.job_exit_withdrawn("2027-01-04")];
    let later = vec![first.job_exit_withdrawn("2027-01-04"), second.job_exit("2027-01-04")];
    let want = sorted(in_order(&[registrations.clone(), exits.clone(), later.clone()].concat()).await);

    let runner = poller(&env, handler(&env));
    for batch in [&registrations, &exits, &later] {
        send(&env, batch).await;
        let summary = run_until_idle(&runner).await;
        assert_eq!(summary.left_for_retry, 0);
    }
    let got: Vec<MeetingUpdate> =
        sorted(subscriber.updates_for(&[&first, &second]).await.iter().map(|u| u.update()).collect());
    assert_eq!(got, want, "the stack's updates are the embedded pipeline's, field for field");
    let first_updates: Vec<&MeetingUpdate> = got.iter().filter(|u| u.cpr.expose() == first.cpr()).collect();
    assert_eq!(
        first_updates.iter().map(|u| (u.update_type, u.sequence)).collect::<Vec<_>>(),
        [(UpdateType::Scheduled, 1), (UpdateType::Cancelled, 2), (UpdateType::Scheduled, 3)]
    );
    assert_eq!(first_updates[2].reason, Some(samspil::contract::UpdateReason::JobExitWithdrawn));
    assert_eq!(first_updates[2].date, first_updates[0].date, "back at the date it had");
    let second_updates = got.iter().filter(|u| u.cpr.expose() == second.cpr()).count();
    assert_eq!(second_updates, 1, "the job exit was void when it came: only the first announcement");
    subscriber.remove().await;
}

#[tokio::test]
async fn duplicates_and_shuffled_order_give_the_same_final_updates() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let people = [Person::new(), Person::new(), Person::new()];
    let [moved, cancelled, unchanged] = &people;
    let messages = vec![
        moved.registration("787", "2026-11-02"),
        moved.cv_completed("2026-11-26"),
        cancelled.registration("860", "2026-11-02"),
        cancelled.job_exit("2026-12-01"),
        unchanged.registration("813", "2026-11-02"),
        unchanged.cv_completed("2026-11-05"),
    ];
    let want = last_per_meeting(&in_order(&messages).await);
    assert_eq!(want.len(), 3, "one meeting per person");

    let mut shuffled: Vec<Msg> = messages.iter().flat_map(|m| vec![m.clone(); fastrand::usize(1..=3)]).collect();
    fastrand::shuffle(&mut shuffled);
    send(&env, &shuffled).await;
    let summary = run_until_idle(&poller(&env, handler(&env))).await;
    assert_eq!(summary.counts.duplicates, (shuffled.len() - messages.len()) as u64, "every extra copy is a duplicate");

    let received: Vec<MeetingUpdate> =
        subscriber.updates_for(&people.iter().collect::<Vec<_>>()).await.iter().map(|u| u.update()).collect();
    assert_sequences_complete(&received);
    assert_same_outcome(&last_per_meeting(&received), &want);
    for person in &people {
        let state = stored(&env, person).await.expect("a stored state");
        let theirs: Vec<&Msg> = messages.iter().filter(|m| m.body.contains(person.cpr())).collect();
        assert_eq!(state.facts.len(), theirs.len(), "each fact recorded once");
        assert!(theirs.iter().all(|m| state.has_processed(&m.key())), "every message's fact is recorded");
    }
    subscriber.remove().await;
}

#[tokio::test]
async fn two_runners_on_the_same_people_at_once_lose_no_update() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let people = [Person::new(), Person::new()];
    let mut messages = Vec::new();
    for p in &people {
        let registration = p.registration("860", "2026-11-02");
        messages.extend([registration.clone(), p.cv_completed("2026-11-26"), p.job_exit("2027-03-01"), registration]);
    }
    let want = last_per_meeting(&in_order(&messages).await);

    // Every load waits, so that the two runners (and each runner's three queue loops) read one
    // person's state at the same time and race to write it. One message per batch spreads the
    // messages over both runners.
    let conflicts = Counter::default();
    let runner = || {
        let store = SlowStore { inner: dynamo(&env), delay: Duration::from_millis(300), conflicts: conflicts.clone() };
        poller_with(
            &env,
            handler_with(&env, store, sns(&env), PolicyBook::repository()),
            PollOptions { batch_size: 1, ..options() },
        )
    };
    let (one, two) = (runner(), runner());
    send(&env, &messages).await;
    let (a, b) = tokio::join!(run_until_idle(&one), run_until_idle(&two));
    assert!(a.counts.messages > 0 && b.counts.messages > 0, "both runners took messages");
    assert!(conflicts.get() > 0, "the runners raced (conditional writes were refused and retried)");

    let received: Vec<MeetingUpdate> =
        subscriber.updates_for(&people.iter().collect::<Vec<_>>()).await.iter().map(|u| u.update()).collect();
    assert_sequences_complete(&received);
    let last = last_per_meeting(&received);
    assert_same_outcome(&last, &want);
    for person in &people {
        let state = stored(&env, person).await.expect("a stored state");
        assert_eq!(state.facts.len(), 3, "registration, CV completion and job exit are all recorded");
        let cpr = samspil::contract::Cpr::parse(person.cpr()).expect("a synthetic CPR number");
        for meeting in &state.meetings {
            if let Some(stored_last) = meeting.render(&cpr) {
                assert_eq!(
                    last.get(&meeting.id),
                    Some(&stored_last),
                    "meeting {}: the last update sent is the stored one",
                    meeting.id
                );
            }
        }
    }
    subscriber.remove().await;
}

/// What an a-kasse system written in Python does: boto3's `send_message` to the local queue.
const BOTO3_SEND: &str = "import os, sys, boto3
sqs = boto3.client('sqs', endpoint_url=os.environ['AWS_ENDPOINT_URL'],
                   region_name=os.environ.get('AWS_REGION', 'eu-north-1'))
sqs.send_message(QueueUrl=sys.argv[1], MessageBody=sys.stdin.read())
";

fn send_with_boto3(queue_url: &str, body: &str) {
    let python = root().join(".venv/bin/python");
    let mut child = Command::new(python)
        .args(["-c", BOTO3_SEND, queue_url])
        .stdin(Stdio::piped())
        .spawn()
        .expect("starting .venv/bin/python");
    // The body goes through stdin, not the command line, which other processes can read.
    child.stdin.take().expect("stdin").write_all(body.as_bytes()).expect("writing the body");
    assert!(child.wait().expect("python").success(), "boto3 could not send the message");
}

#[tokio::test]
async fn a_registration_sent_with_boto3_reaches_the_jobcenter_subscriber_stack() {
    let env = setup().await;
    // The subscriber stack of infra/subscriber.yaml for jobcenter 851, which the deployer adds.
    let example = subscriber_queue_url("jobcenter-851");
    let (aalborg, hjorring) = (Person::new(), Person::new());
    let registrations = env.stack.queue("registrations").expect("the registrations queue").url.clone();
    send_with_boto3(&registrations, &aalborg.registration("851", "2026-11-02").body);
    send_with_boto3(&registrations, &hjorring.registration("860", "2026-11-02").body);
    let summary = run_until_idle(&poller(&env, handler(&env))).await;
    assert_eq!(summary.counts.scheduled, 2);

    // The subscription filters on municipality 851: Aalborg's update arrives, Hjørring's does not.
    let received = take_from_shared_queue(&env.clients.sqs, &example, &[&aalborg, &hjorring]).await;
    assert_eq!(received.len(), 1, "exactly one update for the two people reaches samspil-jobcenter-851-updates");
    let update = &received[0];
    assert_eq!(update.event.event_type(), "dk.jobcenter.meeting-scheduled.v1");
    assert_eq!(update.event.data().cpr.expose(), aalborg.cpr(), "the update is Aalborg's person's");
    assert_eq!(update.attributes.get("municipality").map(String::as_str), Some("851"));
}
