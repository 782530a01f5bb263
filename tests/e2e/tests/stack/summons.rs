//! Rule R12 on the stack: summonses published by the sweep, through the table's `sweep-due`
//! index, the stack's `SummonsKey` in the emulator's KMS, and the topic.
//!
//! The tests bring their own policy file (Rebild, 840, on `rebild-jit`: summoned 10 business days
//! before the meeting), so the repository's `infra/policies.toml` and `make run` stay as they are.
//! Each sweep is the pipeline the `summons` function and `samspil sweep` build
//! ([`samspil_cli::local::sweeper::pipeline`]), run for a chosen day.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use samspil::aws::KmsSealer;
use samspil::contract::{OutboundEvent, UpdateType};
use samspil::domain::{PersonState, SweepRun};
use samspil::lambda::summons::SweepPipeline;
use samspil::pipeline::{Pipeline, ProcessingTime, PublishError, Publisher, SweepError, SweepReport};
use samspil::policy::PolicyBook;
use samspil_cli::local::LOCAL_HMAC_SECRET;
use samspil_e2e::faults::{Counter, SlowStore};
use samspil_e2e::people::Person;
use samspil_e2e::runner::{dynamo, handler_with, keyer, kms, poller, run_until_idle, send, sns, stored};
use samspil_e2e::stack::{Env, setup};
use samspil_e2e::subscriber::{Subscriber, Update};

/// Rebild on `rebild-jit`; everyone else on `baseline`.
const POLICIES: &str = r#"
default_policy = "baseline"

[municipalities.840]
name = "Rebild"
policy = "rebild-jit"
"#;

fn policies() -> PolicyBook {
    PolicyBook::from_toml(POLICIES, "the summons tests' policy file").expect("a valid policy file")
}

/// The sweep of the `summons` function, on the stack.
fn sweep_pipeline(env: &Env) -> SweepPipeline {
    let key = env.stack.summons_key.as_deref().expect("the stack's SummonsKeyArn");
    samspil_cli::local::sweeper::pipeline(
        &env.clients,
        &env.stack.table,
        &env.stack.topic_arn,
        key,
        policies(),
        LOCAL_HMAC_SECRET.as_bytes(),
    )
    .expect("the sweep's pipeline")
}

/// One sweep run for `today`.
async fn sweep<S, P>(pipeline: &Pipeline<S, P, KmsSealer>, today: NaiveDate) -> Result<SweepReport, SweepError>
where
    S: samspil::pipeline::Store,
    P: Publisher,
{
    let now = Utc::now();
    pipeline.sweep(ProcessingTime { today, now }, &SweepRun::start(now)).await
}

/// Registers `people` in Rebild on the tests' day, through the queues and the runner; nothing is
/// published. Returns each one's summons day (`sweep_due`).
async fn register(env: &Env, people: &[&Person]) -> Vec<NaiveDate> {
    let messages: Vec<_> = people.iter().map(|p| p.registration("840", "2026-11-02")).collect();
    send(env, &messages).await;
    let summary = run_until_idle(&poller(env, handler_with(env, dynamo(env), sns(env), policies()))).await;
    assert_eq!(summary.left_for_retry, 0);
    assert_eq!(summary.counts.scheduled, 0, "R12: the plans stay internal");
    let mut days = Vec::new();
    for person in people {
        let state = stored(env, person).await.expect("a stored state");
        assert!(state.pending_cpr.is_some(), "the CPR number is sealed while the plan is pending");
        days.push(state.sweep_due.expect("the plan's summons day"));
    }
    days
}

fn scheduled_once(updates: &[Update]) -> OutboundEvent {
    assert_eq!(updates.len(), 1, "exactly one update for the person");
    let update = updates[0].update();
    assert_eq!((update.update_type, update.sequence), (UpdateType::Scheduled, 1), "the summons is the first update");
    updates[0].event.clone()
}

fn nothing_pending(state: &PersonState) {
    assert_eq!(state.sweep_due, None, "nothing left for the sweep");
    assert!(state.pending_cpr.is_none(), "the sealed CPR number is gone once nothing is pending");
    assert!(state.unpublished_summons.is_none(), "no run's marker is left");
}

#[tokio::test]
async fn a_summons_is_published_exactly_once_by_the_sweep_that_makes_it_due() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let person = Person::new();
    let due = register(&env, &[&person]).await[0];
    let sweeper = sweep_pipeline(&env);

    sweep(&sweeper, due.pred_opt().expect("a day")).await.expect("the sweep of the day before");
    assert!(subscriber.updates_for(&[&person]).await.is_empty(), "nothing before the summons day");

    sweep(&sweeper, due).await.expect("the sweep of the summons day");
    let summons = scheduled_once(&subscriber.updates_for(&[&person]).await);
    let state = stored(&env, &person).await.expect("a stored state");
    assert_eq!(
        Some(summons.data().date),
        state.meetings.first().map(|m| m.date),
        "the summons carries the plan's date"
    );
    nothing_pending(&state);

    sweep(&sweeper, due).await.expect("the same day again");
    sweep(&sweeper, due.succ_opt().expect("a day")).await.expect("the next day");
    assert!(subscriber.updates_for(&[&person]).await.is_empty(), "later sweeps publish nothing more");
    subscriber.remove().await;
}

#[tokio::test]
async fn a_job_exit_before_the_summons_leaves_the_subscriber_queue_empty() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let person = Person::new();
    let due = register(&env, &[&person]).await[0];

    send(&env, &[person.job_exit("2026-12-01")]).await;
    let runner = poller(&env, handler_with(&env, dynamo(&env), sns(&env), policies()));
    let summary = run_until_idle(&runner).await;
    assert_eq!((summary.counts.cancelled, summary.left_for_retry), (0, 0), "nobody was told, so nobody is told");
    nothing_pending(&stored(&env, &person).await.expect("a stored state"));

    sweep(&sweep_pipeline(&env), due + chrono::Days::new(30)).await.expect("a sweep long after");
    assert!(subscriber.updates_for(&[&person]).await.is_empty(), "nothing is ever published for the meeting");
    subscriber.remove().await;
}

#[tokio::test]
async fn two_sweeps_at_once_publish_each_summons_once() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let people = [Person::new(), Person::new(), Person::new()];
    let refs: Vec<&Person> = people.iter().collect();
    let last = *register(&env, &refs).await.iter().max().expect("days");

    // Every load waits, so that both runs read each person before either writes.
    let conflicts = Counter::default();
    let racing = || {
        let store = SlowStore { inner: dynamo(&env), delay: Duration::from_millis(300), conflicts: conflicts.clone() };
        Pipeline::new(store, sns(&env), kms(&env), policies(), keyer())
    };
    let (one, two) = (racing(), racing());
    let (a, b) = tokio::join!(sweep(&one, last), sweep(&two, last));
    let (a, b) = (a.expect("the first run"), b.expect("the second run"));
    assert!(conflicts.get() > 0 || a.busy + b.busy > 0, "the runs raced: {a:?} {b:?}");

    let received = subscriber.updates_for(&refs).await;
    for person in &people {
        let theirs: Vec<Update> =
            received.iter().filter(|u| u.event.data().cpr.expose() == person.cpr()).cloned().collect();
        scheduled_once(&theirs);
        nothing_pending(&stored(&env, person).await.expect("a stored state"));
    }
    subscriber.remove().await;
}

/// A publisher whose calls after the first `good` ones fail, sending nothing.
struct FailsAfter<P> {
    inner: P,
    good: u32,
    calls: Arc<AtomicU32>,
}

impl<P: Publisher> Publisher for FailsAfter<P> {
    async fn publish(&self, events: Vec<OutboundEvent>) -> Result<(), PublishError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) >= self.good {
            return Err(PublishError("injected failure: the topic is unavailable".into()));
        }
        self.inner.publish(events).await
    }
}

#[tokio::test]
async fn a_sweep_that_fails_halfway_and_runs_again_loses_nothing() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let people = [Person::new(), Person::new(), Person::new(), Person::new()];
    let refs: Vec<&Person> = people.iter().collect();
    let last = *register(&env, &refs).await.iter().max().expect("days");

    // The first run publishes one summons, then the topic fails for the rest.
    let calls = Arc::new(AtomicU32::new(0));
    let failing = Pipeline::new(
        dynamo(&env),
        FailsAfter { inner: sns(&env), good: 1, calls: calls.clone() },
        kms(&env),
        policies(),
        keyer(),
    );
    let first = sweep(&failing, last).await;
    let Err(SweepError::Incomplete { report, .. }) = first else {
        panic!("the first run must fail halfway: {first:?}")
    };
    assert!(report.failed >= 1 && report.published >= 1, "it published some and failed some: {report:?}");
    let halfway = subscriber.updates_for(&refs).await;
    assert!(!halfway.is_empty() && halfway.len() < people.len(), "halfway: {} of {}", halfway.len(), people.len());

    // The next run, at once (the failed run released its leases), publishes the rest.
    sweep(&sweep_pipeline(&env), last).await.expect("the second run");
    let rest = subscriber.updates_for(&refs).await;
    let all: Vec<Update> = halfway.into_iter().chain(rest).collect();
    for person in &people {
        let theirs: Vec<Update> = all.iter().filter(|u| u.event.data().cpr.expose() == person.cpr()).cloned().collect();
        scheduled_once(&theirs);
        nothing_pending(&stored(&env, person).await.expect("a stored state"));
    }
    subscriber.remove().await;
}

/// The request budget of rule R12 (docs/operations.md), counted at the SDK: a registration that
/// leaves a plan pending is one `GetItem`, one `PutItem` and one KMS `Encrypt` (message handling
/// stays one read and one write); a later message of the pending person reuses the sealed number;
/// a summons is one `Query` per index shard (shared by everyone due), one `GetItem`, one KMS
/// `Decrypt`, two `PutItem`s and one `Publish`.
#[tokio::test]
async fn requests_of_a_pending_plan_and_its_summons_stay_within_the_budget() {
    use samspil::aws::sweep_index::SWEEP_SHARDS;
    use samspil::pipeline::BatchRecord;
    use samspil_e2e::stack::counted_clients;

    let env = setup().await;
    let (clients, counter) = counted_clients().await;
    let handler =
        samspil_cli::local::handler(&clients, env.stack, policies(), LOCAL_HMAC_SECRET.as_bytes()).expect("a handler");
    let person = Person::new();
    let time = ProcessingTime { today: samspil_e2e::people::day(), now: Utc::now() };
    let record = |id: &str, message: samspil_e2e::people::Msg| BatchRecord {
        message_id: Some(id.to_string()),
        queue: message.queue.to_string(),
        body: Some(message.body),
        sender: Some(samspil_e2e::people::EMULATOR_SENDER.to_string()),
        redelivered: false,
        marks: Default::default(),
        sent_at: None,
    };
    let budget = |pairs: &[(&str, u64)]| pairs.iter().map(|(op, n)| (op.to_string(), *n)).collect();

    counter.reset();
    let report = handler.handle(&[record("r12-1", person.registration("840", "2026-11-02"))], time).await;
    assert!(report.failed_message_ids.is_empty());
    let registration = counter.snapshot();
    assert_eq!(registration, budget(&[("GetItem", 1), ("PutItem", 1), ("Encrypt", 1)]), "registration, plan pending");

    counter.reset();
    let report = handler.handle(&[record("r12-2", person.cv_completed("2026-11-05"))], time).await;
    assert!(report.failed_message_ids.is_empty());
    let later = counter.snapshot();
    assert_eq!(later, budget(&[("GetItem", 1), ("PutItem", 1)]), "a later message reuses the sealed number");

    let due = stored(&env, &person).await.expect("a stored state").sweep_due.expect("pending");
    let key = env.stack.summons_key.as_deref().expect("SummonsKeyArn");
    let sweeper = samspil_cli::local::sweeper::pipeline(
        &clients,
        &env.stack.table,
        &env.stack.topic_arn,
        key,
        policies(),
        LOCAL_HMAC_SECRET.as_bytes(),
    )
    .expect("the sweep's pipeline");
    // A run first reads the policies' fingerprint; one that finds it changed (the first ever, or
    // after another test's policies) visits everyone pending. The run before makes it this file's.
    sweep(&sweeper, due.pred_opt().expect("a day")).await.expect("the sweep of the day before");
    counter.reset();
    let report = sweep(&sweeper, due).await.expect("the sweep");
    let summons = counter.snapshot();
    assert_eq!(report.summoned, 1, "only this person was due: {report:?}");
    let want =
        budget(&[("Query", u64::from(SWEEP_SHARDS)), ("GetItem", 2), ("Decrypt", 1), ("PutItem", 2), ("Publish", 1)]);
    assert_eq!(
        summons, want,
        "a summons: the run's policies mark, then the person's GetItem, Decrypt, PutItems, Publish"
    );
    println!("\nAWS requests under rule R12 (counted at the SDK, against the local stack):");
    println!("registration leaving a plan pending: {registration:?}");
    println!("later message of the pending person: {later:?}");
    println!("sweep summoning one person:          {summons:?}");
}

/// `samspil local`'s timer: the same sweep, round after round, until stopped; a summons goes out
/// in the first round whose day has come, and only once however many rounds follow.
#[tokio::test]
async fn the_local_runner_sweeps_on_a_timer() {
    use samspil_cli::local::{ProcessingDay, Stop, Sweeper};

    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let person = Person::new();
    let due = register(&env, &[&person]).await[0];
    let sweeper = Sweeper::new(sweep_pipeline(&env), Duration::from_millis(200), ProcessingDay::Fixed(due));
    let stop = Stop::new();
    let stopper = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.stop();
    };
    let (published, ()) = tokio::join!(sweeper.run(&stop), stopper);
    assert!(published >= 1, "the rounds published the summons");
    scheduled_once(&subscriber.updates_for(&[&person]).await);
    nothing_pending(&stored(&env, &person).await.expect("a stored state"));
    subscriber.remove().await;
}

/// Rule R12, `docs/decisions.md`: a policy edit takes effect at the next sweep, on the emulator's
/// DynamoDB too. Rebild's lead grows from rebild-jit's to 20 business days, so the summons day
/// moves before the day stored with the person; the next sweep, which finds the policies'
/// fingerprint changed, visits everyone pending and summons the person at once. On a table of its
/// own, so that its edit does not make the other tests' sweeps full passes.
#[tokio::test]
async fn a_policy_edit_takes_effect_at_the_next_sweep() {
    use samspil::aws::DEFAULT_RETENTION_DAYS;
    use samspil::aws::dynamo::{DynamoStore, create_table_for_tests};
    use samspil::pipeline::{BatchRecord, Store};

    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let table = format!("samspil-policy-edit-{:08x}", fastrand::u32(..));
    create_table_for_tests(&env.clients.dynamodb, &table).await.expect("a table");
    let store = DynamoStore::new(env.clients.dynamodb.clone(), &table, DEFAULT_RETENTION_DAYS);
    let handler = handler_with(&env, store.clone(), sns(&env), policies());
    let person = Person::new();
    let message = person.registration("840", "2026-11-02");
    let record = BatchRecord {
        message_id: Some("policy-edit-1".into()),
        queue: message.queue.to_string(),
        body: Some(message.body),
        sender: None,
        redelivered: false,
        marks: Default::default(),
        sent_at: None,
    };
    let time = ProcessingTime { today: samspil_e2e::people::day(), now: Utc::now() };
    assert!(handler.handle(&[record], time).await.failed_message_ids.is_empty());
    let key = samspil_e2e::runner::keyer().key(&samspil::contract::Cpr::parse(person.cpr()).expect("a CPR number"));
    let due = store.load(&key).await.expect("load").expect("stored").state.sweep_due.expect("a plan pending");

    let sweeper = |policies: PolicyBook| {
        let summons_key = env.stack.summons_key.as_deref().expect("SummonsKeyArn");
        samspil_cli::local::sweeper::pipeline(
            &env.clients,
            &table,
            &env.stack.topic_arn,
            summons_key,
            policies,
            LOCAL_HMAC_SECRET.as_bytes(),
        )
        .expect("the sweep's pipeline")
    };
    let day = due - chrono::Days::new(7);
    let before = sweep(&sweeper(policies()), day).await.expect("a sweep before the edit");
    assert_eq!((before.listed, before.summoned), (1, 0), "the first run visits everyone pending, summons nobody");
    assert!(subscriber.updates_for(&[&person]).await.is_empty());

    let edited = POLICIES.replace("policy = \"rebild-jit\"", "policy = \"long\"")
        + "\n[policies.long]\nbased_on = \"rebild-jit\"\nsummon_days = 20\n";
    let edited = PolicyBook::from_toml(&edited, "the edited policy file").expect("a valid policy file");
    let after = sweep(&sweeper(edited), day).await.expect("the sweep after the edit");
    assert_eq!((after.listed, after.summoned, after.published), (1, 1, 1), "summoned at the next sweep");
    scheduled_once(&subscriber.updates_for(&[&person]).await);
    nothing_pending(&store.load(&key).await.expect("load").expect("stored").state);
    subscriber.remove().await;
}
