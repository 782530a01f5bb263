//! The sweep against the in-memory adapters, with faults injected at every step: a write that takes
//! effect but reports failure, a write that fails, a publisher that fails, two runs at once.
//!
//! The person registers in Rebild (840, on `rebild-jit` here) on Monday 2026-11-02: the meeting is
//! planned for 2026-12-28 and summoned on Thursday 2026-12-10 (`domain/summons_tests.rs`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};

use crate::contract::{Cpr, OutboundEvent};
use crate::domain::{PersonState, SweepRun};
use crate::identity::{PersonKey, PersonKeyer};
use crate::pipeline::memory::{MemoryPublisher, MemorySealer, MemoryStore};
use crate::pipeline::{
    CprSealer, Delivery, Failure, NoSealer, Outcome, Pipeline, ProcessingTime, PublishError, Publisher, SWEEP_LEASE,
    Store, StoreError, Stored, SweepError,
};
use crate::policy::PolicyBook;

const ALICE: &str = "0101901111";
const BOB: &str = "0202852222";
const SECRET: &[u8] = b"sweep-test-secret";

fn policies() -> PolicyBook {
    let text = "default_policy = \"baseline\"\n[municipalities.840]\nname = \"Rebild\"\npolicy = \"rebild-jit\"\n";
    PolicyBook::from_toml(text, "sweep test").unwrap()
}

fn at(day: &str, hour: u32) -> ProcessingTime {
    let today: NaiveDate = day.parse().unwrap();
    let now = Utc.from_utc_datetime(&today.and_hms_opt(hour, 0, 0).unwrap());
    ProcessingTime { today, now }
}

fn later(time: ProcessingTime, by: TimeDelta) -> ProcessingTime {
    ProcessingTime { today: time.today, now: time.now + by }
}

fn key(cpr: &str) -> PersonKey {
    PersonKeyer::new(SECRET).unwrap().key(&Cpr::new_unchecked(cpr))
}

fn body(id: &str, cpr: &str, data: serde_json::Value, kind: &str) -> String {
    let mut data = data;
    data["cpr"] = cpr.into();
    serde_json::json!({
        "specversion": "1.0", "id": id, "source": "urn:dk:akasse:067",
        "type": format!("dk.akasse.{kind}.v1"), "time": "2026-11-02T08:00:00+01:00", "data": data
    })
    .to_string()
}

fn registration(id: &str, cpr: &str) -> String {
    let data = serde_json::json!({"municipality": "840", "akasse": "067", "registered_on": "2026-11-02"});
    body(id, cpr, data, "registration")
}

fn pipeline<S: Store, P: Publisher>(store: S, publisher: P) -> Pipeline<S, P, MemorySealer> {
    Pipeline::new(store, publisher, MemorySealer::new(), policies(), PersonKeyer::new(SECRET).unwrap())
}

async fn send<S: Store, P: Publisher, K: CprSealer>(
    p: &Pipeline<S, P, K>,
    queue: &str,
    body: &str,
    day: &str,
) -> Outcome {
    let delivery = Delivery { queue, body, sender: None, redelivered: false };
    p.handle(delivery, at(day, 8)).await.unwrap()
}

async fn stored<S: Store, P: Publisher, K: CprSealer>(p: &Pipeline<S, P, K>, cpr: &str) -> PersonState {
    p.store().load(&key(cpr)).await.unwrap().unwrap().state
}

/// The summons of Alice's meeting, as it must be published.
fn is_alices_summons(event: &OutboundEvent) -> bool {
    let update = event.to_update().unwrap();
    update.sequence == 1 && update.date == "2026-12-28".parse().unwrap() && update.cpr.expose() == ALICE
}

/// Alice and Bob registered in Rebild on 2026-11-02, both due on 2026-12-10.
async fn registered<S: Store, P: Publisher, K: CprSealer>(p: &Pipeline<S, P, K>) {
    for (id, cpr) in [("r1", ALICE), ("r2", BOB)] {
        let Outcome::Applied { updates } = send(p, "registrations", &registration(id, cpr), "2026-11-02").await else {
            panic!("a new registration applies")
        };
        assert!(updates.is_empty(), "the plan stays internal until its summons");
    }
}

#[tokio::test]
async fn a_pending_plan_is_sealed_once_and_summoned_once_on_its_day() {
    let p = pipeline(MemoryStore::new(), MemoryPublisher::new());
    registered(&p).await;
    let state = stored(&p, ALICE).await;
    assert_eq!(state.sweep_due, Some("2026-12-10".parse().unwrap()));
    assert!(state.pending_cpr.is_some(), "the number is sealed while the plan is pending");
    assert!(!serde_json::to_string(&state).unwrap().contains(ALICE), "never in clear");
    // A later message for Alice reuses the sealed number.
    let cv = body("c1", ALICE, serde_json::json!({"completed_on": "2026-11-20"}), "cv-completed");
    send(&p, "cv-completions", &cv, "2026-11-20").await;
    assert_eq!(p.sealer().seals(), 2, "one seal per person");

    // The first run visits everyone pending (no policies' fingerprint is recorded yet).
    let day_before = p.sweep(at("2026-12-09", 5), &SweepRun::start(at("2026-12-09", 5).now)).await.unwrap();
    assert_eq!((day_before.listed, day_before.published), (2, 0));
    assert!(p.publisher().take().is_empty());

    let report = p.sweep(at("2026-12-10", 5), &SweepRun::start(at("2026-12-10", 5).now)).await.unwrap();
    assert_eq!((report.listed, report.summoned, report.published, report.failed), (2, 2, 2, 0));
    let events = p.publisher().take();
    assert_eq!(events.iter().filter(|e| is_alices_summons(e)).count(), 1);
    let state = stored(&p, ALICE).await;
    assert_eq!((state.sweep_due, &state.pending_cpr, &state.unpublished_summons), (None, &None, &None));

    let again = p.sweep(at("2026-12-11", 5), &SweepRun::start(at("2026-12-11", 5).now)).await.unwrap();
    assert_eq!((again.listed, again.published), (0, 0));
    assert!(p.publisher().take().is_empty(), "a summons goes out once");
}

#[tokio::test]
async fn without_a_sealer_a_plan_that_would_wait_fails_its_message_transiently_and_nothing_is_written() {
    let p = Pipeline::new(
        MemoryStore::new(),
        MemoryPublisher::new(),
        NoSealer,
        policies(),
        PersonKeyer::new(SECRET).unwrap(),
    );
    let delivery =
        Delivery { queue: "registrations", body: &registration("r1", ALICE), sender: None, redelivered: false };
    let result = p.handle(delivery, at("2026-11-02", 8)).await;
    let Err(Failure::Transient(reason)) = result else { panic!("expected a transient failure: {result:?}") };
    assert!(reason.contains("SummonsKey") && !reason.contains(ALICE), "{reason}");
    assert!(p.store().is_empty(), "the message is retried, not half done");
}

#[tokio::test]
async fn a_day_without_a_run_is_caught_up_by_the_next() {
    let p = pipeline(MemoryStore::new(), MemoryPublisher::new());
    registered(&p).await;
    // No run on 10 or 11 December; Saturday's run summons.
    let report = p.sweep(at("2026-12-12", 5), &SweepRun::start(at("2026-12-12", 5).now)).await.unwrap();
    assert_eq!(report.published, 2);
}

#[tokio::test]
async fn a_job_exit_before_the_summons_publishes_nothing_ever_and_drops_the_sealed_number() {
    let p = pipeline(MemoryStore::new(), MemoryPublisher::new());
    registered(&p).await;
    let exit = body("j1", ALICE, serde_json::json!({"job_starts_on": "2027-01-04"}), "job-exit");
    let Outcome::Applied { updates } = send(&p, "job-exits", &exit, "2026-11-20").await else { panic!() };
    assert!(updates.is_empty());
    let state = stored(&p, ALICE).await;
    assert_eq!((state.sweep_due, &state.pending_cpr), (None, &None));
    p.sweep(at("2026-12-10", 5), &SweepRun::start(at("2026-12-10", 5).now)).await.unwrap();
    let events = p.publisher().take();
    assert_eq!(events.len(), 1, "only Bob is summoned");
    assert!(!events.iter().any(|e| e.to_update().unwrap().cpr.expose() == ALICE));
}

/// A store that fails chosen saves: `lost` ones take effect but report a failure (the answer was
/// lost), `refused` ones fail without effect. Saves are counted from 1.
#[derive(Default)]
struct FaultyStore {
    inner: MemoryStore,
    saves: AtomicU32,
    lost: Mutex<Vec<u32>>,
    refused: Mutex<Vec<u32>>,
}

impl FaultyStore {
    fn arm(&self, lost: &[u32], refused: &[u32]) {
        let base = self.saves.load(Ordering::SeqCst);
        *self.lost.lock().unwrap() = lost.iter().map(|n| base + n).collect();
        *self.refused.lock().unwrap() = refused.iter().map(|n| base + n).collect();
    }
}

impl Store for FaultyStore {
    async fn load(&self, person: &PersonKey) -> Result<Option<Stored>, StoreError> {
        self.inner.load(person).await
    }

    async fn save(&self, person: &PersonKey, state: &PersonState, expected: Option<u64>) -> Result<u64, StoreError> {
        let n = self.saves.fetch_add(1, Ordering::SeqCst) + 1;
        if self.refused.lock().unwrap().contains(&n) {
            return Err(StoreError::Unavailable("injected: refused".into()));
        }
        let saved = self.inner.save(person, state, expected).await?;
        if self.lost.lock().unwrap().contains(&n) {
            return Err(StoreError::Unavailable("injected: the answer was lost".into()));
        }
        Ok(saved)
    }

    async fn due_for_sweep(&self, today: NaiveDate) -> Result<Vec<PersonKey>, StoreError> {
        self.inner.due_for_sweep(today).await
    }

    async fn policies_mark(&self) -> Result<Option<String>, StoreError> {
        self.inner.policies_mark().await
    }

    async fn set_policies_mark(&self, fingerprint: &str) -> Result<(), StoreError> {
        self.inner.set_policies_mark(fingerprint).await
    }
}

/// Every event published per (meeting id, sequence), to check that repeats carry the same content.
fn by_meeting(events: &[OutboundEvent]) -> std::collections::HashMap<(String, u32), Vec<String>> {
    let mut map: std::collections::HashMap<(String, u32), Vec<String>> = Default::default();
    for e in events {
        let u = e.to_update().unwrap();
        map.entry((u.meeting_id.clone(), u.sequence)).or_default().push(serde_json::to_string(&e.data()).unwrap());
    }
    map
}

#[tokio::test]
async fn a_marker_write_that_took_effect_but_reported_failure_still_publishes_once() {
    let p = pipeline(FaultyStore::default(), MemoryPublisher::new());
    registered(&p).await;
    // Write 1 of the first person swept takes effect, but its answer is lost.
    p.store().arm(&[1], &[]);
    let report = p.sweep(at("2026-12-10", 5), &SweepRun::start(at("2026-12-10", 5).now)).await.unwrap();
    assert_eq!((report.summoned, report.published, report.failed), (2, 2, 0));
    let events = p.publisher().take();
    assert!(by_meeting(&events).values().all(|v| v.len() == 1), "each summons once");
    for cpr in [ALICE, BOB] {
        let state = stored(&p, cpr).await;
        assert_eq!((state.sweep_due, &state.unpublished_summons), (None, &None));
    }
}

#[tokio::test]
async fn a_run_that_dies_after_publishing_is_repeated_after_its_lease_with_the_same_content() {
    let p = pipeline(FaultyStore::default(), MemoryPublisher::new());
    registered(&p).await;
    // Every write is refused: nothing can be marked, so nothing is published.
    p.store().arm(&[], &(1..=20).collect::<Vec<_>>());
    let first = at("2026-12-10", 5);
    let result = p.sweep(first, &SweepRun::start(first.now)).await;
    p.store().arm(&[], &[]);
    let Err(SweepError::Incomplete { report, .. }) = result else { panic!("expected an incomplete run: {result:?}") };
    assert_eq!(report.failed, 2);
    assert!(p.publisher().take().is_empty());

    // Now only the clearing writes fail: write 1 (marker), publish, then write 2 refused 5 times.
    p.store().arm(&[], &[2, 3, 4, 5, 6]);
    let run = SweepRun::start(first.now);
    let result = p.sweep(first, &run).await;
    p.store().arm(&[], &[]);
    assert!(matches!(result, Err(SweepError::Incomplete { .. })), "{result:?}");
    let published = p.publisher().take();
    assert!(!published.is_empty());
    let alice = stored(&p, ALICE).await;
    let bob = stored(&p, BOB).await;
    let held = [&alice, &bob].into_iter().filter(|s| s.unpublished_summons.as_ref() == Some(&run)).count();
    assert_eq!(held, 1, "the person whose clearing failed still holds the run's marker");

    // Another run while the lease is live leaves that person alone.
    let busy = p.sweep(later(first, TimeDelta::minutes(5)), &SweepRun::start(first.now)).await.unwrap();
    assert_eq!((busy.busy, busy.published), (1, 0));
    assert!(p.publisher().take().is_empty());

    // After the lease, the next run publishes the same summons again, unchanged, and clears it.
    let after = later(first, SWEEP_LEASE + TimeDelta::minutes(1));
    let report = p.sweep(after, &SweepRun::start(after.now)).await.unwrap();
    assert_eq!((report.summoned, report.published), (1, 1));
    let again = p.publisher().take();
    let before = by_meeting(&published);
    for (id, content) in by_meeting(&again) {
        assert_eq!(before.get(&id), Some(&content), "republished unchanged");
    }
    for cpr in [ALICE, BOB] {
        let state = stored(&p, cpr).await;
        assert_eq!((state.sweep_due, &state.unpublished_summons, &state.pending_cpr), (None, &None, &None));
    }
}

/// A publisher that fails while `down` is set.
#[derive(Default)]
struct FlakyPublisher {
    inner: MemoryPublisher,
    down: Mutex<bool>,
}

impl Publisher for FlakyPublisher {
    async fn publish(&self, events: Vec<OutboundEvent>) -> Result<(), PublishError> {
        if *self.down.lock().unwrap() {
            return Err(PublishError("injected: SNS is down".into()));
        }
        self.inner.publish(events).await
    }
}

#[tokio::test]
async fn a_run_that_fails_to_publish_releases_its_lease_and_the_next_run_publishes_at_once() {
    // Two writes (a store outside the process, here `FaultyStore` with no fault armed) and one.
    a_run_that_fails_to_publish_hands_over(FaultyStore::default()).await;
    a_run_that_fails_to_publish_hands_over(MemoryStore::new()).await;
}

async fn a_run_that_fails_to_publish_hands_over<S: Store>(store: S) {
    let p = pipeline(store, FlakyPublisher::default());
    registered(&p).await;
    *p.publisher().down.lock().unwrap() = true;
    let first = at("2026-12-10", 5);
    let result = p.sweep(first, &SweepRun::start(first.now)).await;
    let Err(SweepError::Incomplete { report, first: reason }) = result else { panic!("{result:?}") };
    assert_eq!(report.failed, 2);
    let reason = reason.expect("the first failure");
    assert!(!reason.contains(ALICE) && !reason.contains(BOB), "no CPR number in errors");
    let held = stored(&p, ALICE).await;
    assert!(held.unpublished_summons.is_some(), "the marker names the summonses");
    assert!(held.pending_cpr.is_some(), "the next run can open the number");

    *p.publisher().down.lock().unwrap() = false;
    let next = later(first, TimeDelta::minutes(1));
    let report = p.sweep(next, &SweepRun::start(next.now)).await.unwrap();
    assert_eq!((report.busy, report.summoned, report.published), (0, 2, 2), "taken over at once");
    let events = p.publisher().inner.take();
    assert_eq!(events.iter().filter(|e| is_alices_summons(e)).count(), 1);
    let done = stored(&p, ALICE).await;
    assert_eq!((done.sweep_due, &done.pending_cpr, &done.unpublished_summons), (None, &None, &None));
}

/// A store that counts saves and passes everything on to a [`MemoryStore`], in this process.
#[derive(Default)]
struct CountingStore {
    inner: MemoryStore,
    saves: AtomicU32,
}

impl Store for CountingStore {
    const IN_PROCESS: bool = true;

    async fn load(&self, person: &PersonKey) -> Result<Option<Stored>, StoreError> {
        self.inner.load(person).await
    }

    async fn save(&self, person: &PersonKey, state: &PersonState, expected: Option<u64>) -> Result<u64, StoreError> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        self.inner.save(person, state, expected).await
    }

    async fn due_for_sweep(&self, today: NaiveDate) -> Result<Vec<PersonKey>, StoreError> {
        self.inner.due_for_sweep(today).await
    }

    async fn policies_mark(&self) -> Result<Option<String>, StoreError> {
        self.inner.policies_mark().await
    }

    async fn set_policies_mark(&self, fingerprint: &str) -> Result<(), StoreError> {
        self.inner.set_policies_mark(fingerprint).await
    }
}

#[tokio::test]
async fn a_store_in_this_process_takes_one_write_per_summons_and_any_other_store_two() {
    async fn saves_per_summons<S: Store>(p: &Pipeline<S, MemoryPublisher, MemorySealer>, saves: impl Fn() -> u32) {
        registered(p).await;
        // The policies mark is set on the day before, so the summons day's run is a daily one.
        p.sweep(at("2026-12-09", 5), &SweepRun::start(at("2026-12-09", 5).now)).await.unwrap();
        let before = saves();
        let report = p.sweep(at("2026-12-10", 5), &SweepRun::start(at("2026-12-10", 5).now)).await.unwrap();
        assert_eq!(report.summoned, 2);
        let per_summons = (saves() - before) / 2;
        assert_eq!(per_summons, if S::IN_PROCESS { 1 } else { 2 });
        assert_eq!(p.publisher().take().iter().filter(|e| is_alices_summons(e)).count(), 1);
        let state = stored(p, ALICE).await;
        assert_eq!((state.sweep_due, &state.pending_cpr, &state.unpublished_summons), (None, &None, &None));
    }
    let one = pipeline(CountingStore::default(), MemoryPublisher::new());
    saves_per_summons(&one, || one.store().saves.load(Ordering::SeqCst)).await;
    let two = pipeline(FaultyStore::default(), MemoryPublisher::new());
    saves_per_summons(&two, || two.store().saves.load(Ordering::SeqCst)).await;
}

/// A store whose loads wait, so two runs at once read the same version and race; in this process
/// or not as `IN_PROCESS` says (one write per summons or two).
struct SlowStore<const IN_PROCESS: bool> {
    inner: MemoryStore,
}

impl<const IN_PROCESS: bool> Store for SlowStore<IN_PROCESS> {
    const IN_PROCESS: bool = IN_PROCESS;

    async fn load(&self, person: &PersonKey) -> Result<Option<Stored>, StoreError> {
        let loaded = self.inner.load(person).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        loaded
    }

    async fn save(&self, person: &PersonKey, state: &PersonState, expected: Option<u64>) -> Result<u64, StoreError> {
        self.inner.save(person, state, expected).await
    }

    async fn due_for_sweep(&self, today: NaiveDate) -> Result<Vec<PersonKey>, StoreError> {
        self.inner.due_for_sweep(today).await
    }

    async fn policies_mark(&self) -> Result<Option<String>, StoreError> {
        self.inner.policies_mark().await
    }

    async fn set_policies_mark(&self, fingerprint: &str) -> Result<(), StoreError> {
        self.inner.set_policies_mark(fingerprint).await
    }
}

#[tokio::test]
async fn two_runs_at_once_publish_each_summons_once() {
    two_runs_at_once(SlowStore::<false> { inner: MemoryStore::new() }).await;
    two_runs_at_once(SlowStore::<true> { inner: MemoryStore::new() }).await;
}

async fn two_runs_at_once<S: Store>(store: S) {
    let p = pipeline(store, MemoryPublisher::new());
    registered(&p).await;
    let time = at("2026-12-10", 5);
    let (one, other) = (SweepRun::start(time.now), SweepRun::start(time.now));
    let (a, b) = tokio::join!(p.sweep(time, &one), p.sweep(time, &other));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.published + b.published, 2, "{a:?} {b:?}");
    let events = p.publisher().take();
    assert_eq!(events.len(), 2);
    assert!(by_meeting(&events).values().all(|v| v.len() == 1));
}

#[tokio::test]
async fn a_message_and_a_sweep_racing_give_the_summons_the_moved_date_or_a_move_after_it() {
    // No run since 10 December; on Monday 21 December the run and a CV completion of that day come
    // at once. The CV moves the meeting to 30 December (22, 23, 28, 29, 30). Whichever writes
    // first, the receivers end with the moved date: a summons of the 28th and then a move, or a
    // summons of the 30th.
    a_message_and_a_sweep_racing(SlowStore::<false> { inner: MemoryStore::new() }).await;
    a_message_and_a_sweep_racing(SlowStore::<true> { inner: MemoryStore::new() }).await;
}

async fn a_message_and_a_sweep_racing<S: Store>(store: S) {
    let p = pipeline(store, MemoryPublisher::new());
    registered(&p).await;
    let time = at("2026-12-21", 5);
    let cv = body("c1", ALICE, serde_json::json!({"completed_on": "2026-12-21"}), "cv-completed");
    let delivery = Delivery { queue: "cv-completions", body: &cv, sender: None, redelivered: false };
    let run = SweepRun::start(time.now);
    let (swept, handled) = tokio::join!(p.sweep(time, &run), p.handle(delivery, time));
    swept.unwrap();
    handled.unwrap();
    let events = p.publisher().take();
    let alice: Vec<_> = events.iter().map(|e| e.to_update().unwrap()).filter(|u| u.cpr.expose() == ALICE).collect();
    let last = alice.iter().max_by_key(|u| u.sequence).expect("Alice was summoned");
    let state = stored(&p, ALICE).await;
    assert_eq!(last.date, state.meetings[0].date, "the last update equals the plan");
    assert_eq!(last.date, "2026-12-30".parse::<NaiveDate>().unwrap(), "the CV moved it");
}

#[tokio::test]
async fn a_policy_edited_to_a_shorter_lead_moves_the_day_and_the_old_day_publishes_nothing() {
    let store = MemoryStore::new();
    let sealer = MemorySealer::new();
    let keyer = || PersonKeyer::new(SECRET).unwrap();
    let before = Pipeline::new(&store, MemoryPublisher::new(), &sealer, policies(), keyer());
    registered(&before).await;
    // The file now gives Rebild a summons 3 business days ahead: 28 December is summoned on the 21st.
    let text = "[policies.short]\nbased_on = \"rebild-jit\"\nsummon_days = 3\n\
                [municipalities.840]\nname = \"Rebild\"\npolicy = \"short\"\n";
    let after =
        Pipeline::new(&store, MemoryPublisher::new(), &sealer, PolicyBook::from_toml(text, "t").unwrap(), keyer());
    let old_day = at("2026-12-10", 5);
    let report = after.sweep(old_day, &SweepRun::start(old_day.now)).await.unwrap();
    assert_eq!((report.listed, report.published), (2, 0));
    assert!(after.publisher().take().is_empty());
    let state = store.load(&key(ALICE)).await.unwrap().unwrap().state;
    assert_eq!(state.sweep_due, Some("2026-12-21".parse().unwrap()));
    assert!(state.pending_cpr.is_some(), "still pending: the number stays sealed");
    let new_day = at("2026-12-21", 5);
    assert_eq!(after.sweep(new_day, &SweepRun::start(new_day.now)).await.unwrap().published, 2);
}

/// Rule R12, `docs/decisions.md`: a policy edit takes effect at the next sweep. Here the lead grows,
/// so the summons day moves before the day stored with each person, which the daily listing alone
/// would not reach until 10 December.
#[tokio::test]
async fn a_policy_edited_to_a_longer_lead_summons_at_the_next_sweep() {
    let store = MemoryStore::new();
    let sealer = MemorySealer::new();
    let keyer = || PersonKeyer::new(SECRET).unwrap();
    let before = Pipeline::new(&store, MemoryPublisher::new(), &sealer, policies(), keyer());
    registered(&before).await;
    let first = at("2026-11-30", 5);
    assert_eq!(before.sweep(first, &SweepRun::start(first.now)).await.unwrap().listed, 2, "the first run visits all");
    let quiet = at("2026-12-01", 5);
    assert_eq!(before.sweep(quiet, &SweepRun::start(quiet.now)).await.unwrap().listed, 0, "then only the due");

    // Rebild now summons 20 business days ahead: the meeting of 23 December on 25 November, past.
    let text = "[policies.long]\nbased_on = \"rebild-jit\"\nsummon_days = 20\n\
                [municipalities.840]\nname = \"Rebild\"\npolicy = \"long\"\n";
    let after =
        Pipeline::new(&store, MemoryPublisher::new(), &sealer, PolicyBook::from_toml(text, "t").unwrap(), keyer());
    let next = at("2026-12-02", 5);
    let report = after.sweep(next, &SweepRun::start(next.now)).await.unwrap();
    assert_eq!((report.listed, report.summoned, report.published), (2, 2, 2));
    assert_eq!(after.publisher().take().len(), 2);
    let following = at("2026-12-03", 5);
    let report = after.sweep(following, &SweepRun::start(following.now)).await.unwrap();
    assert_eq!((report.listed, report.published), (0, 0), "the edit is taken in: daily listings again");
}

/// The other way round: a municipality leaves `summon_days` out (every update at once, R5), and
/// its pending plans are announced at the next sweep.
#[tokio::test]
async fn a_policy_edited_to_announce_at_once_announces_pending_plans_at_the_next_sweep() {
    let store = MemoryStore::new();
    let sealer = MemorySealer::new();
    let keyer = || PersonKeyer::new(SECRET).unwrap();
    let before = Pipeline::new(&store, MemoryPublisher::new(), &sealer, policies(), keyer());
    registered(&before).await;
    let first = at("2026-11-03", 5);
    before.sweep(first, &SweepRun::start(first.now)).await.unwrap();
    let text = "[municipalities.840]\nname = \"Rebild\"\npolicy = \"baseline\"\n";
    let after =
        Pipeline::new(&store, MemoryPublisher::new(), &sealer, PolicyBook::from_toml(text, "t").unwrap(), keyer());
    let next = at("2026-11-04", 5);
    let report = after.sweep(next, &SweepRun::start(next.now)).await.unwrap();
    assert_eq!((report.summoned, report.published), (2, 2));
    let state = stored(&after, ALICE).await;
    assert_eq!((state.sweep_due, &state.pending_cpr), (None, &None), "nothing pending: the number is dropped");
}

#[tokio::test]
async fn the_listing_failing_is_an_error_and_does_nothing() {
    struct Unlisted(MemoryStore);
    impl Store for Unlisted {
        async fn load(&self, person: &PersonKey) -> Result<Option<Stored>, StoreError> {
            self.0.load(person).await
        }
        async fn save(
            &self,
            person: &PersonKey,
            state: &PersonState,
            expected: Option<u64>,
        ) -> Result<u64, StoreError> {
            self.0.save(person, state, expected).await
        }
        async fn due_for_sweep(&self, _today: NaiveDate) -> Result<Vec<PersonKey>, StoreError> {
            Err(StoreError::Unavailable("injected: the index is throttled".into()))
        }

        async fn policies_mark(&self) -> Result<Option<String>, StoreError> {
            self.0.policies_mark().await
        }

        async fn set_policies_mark(&self, fingerprint: &str) -> Result<(), StoreError> {
            self.0.set_policies_mark(fingerprint).await
        }
    }
    let p = pipeline(Unlisted(MemoryStore::new()), MemoryPublisher::new());
    registered(&p).await;
    let time = at("2026-12-10", 5);
    assert!(matches!(p.sweep(time, &SweepRun::start(time.now)).await, Err(SweepError::Listing(_))));
    assert!(p.publisher().take().is_empty());
}

#[test]
fn run_keys_are_unique_and_name_their_start() {
    let started: DateTime<Utc> = "2026-12-10T05:00:00Z".parse().unwrap();
    let (a, b) = (SweepRun::start(started), SweepRun::start(started));
    assert_ne!(a.key, b.key);
    assert_eq!(a.key.source, SweepRun::SOURCE);
    assert!(a.key.id.starts_with("2026-12-10T05:00:00Z/"), "{}", a.key.id);
    assert!(a.lease_is_live(started + TimeDelta::minutes(14)) && !a.lease_is_live(started + SWEEP_LEASE));
}

mod observability;
