//! Batch handling when calls fail after taking effect, stall, or panic.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::tests::{ALICE, BOB, CAROL, FlakyPublisher, handler, key, record, registration, time};
use crate::contract::UpdateType;
use crate::domain::PersonState;
use crate::identity::PersonKey;
use crate::pipeline::BatchRecord;
use crate::pipeline::memory::{MemoryDeadLetters, MemoryPublisher, MemoryStore};
use crate::pipeline::{START_RESERVE, Store, StoreError, Stored};

/// A store whose first save takes effect but answers `Conflict`: the answer was lost, the SDK
/// retried, and the retry failed the version condition against the item it had just written.
#[derive(Default)]
struct LostAnswerStore {
    inner: MemoryStore,
    answered_once: AtomicBool,
}

impl Store for LostAnswerStore {
    async fn load(&self, person: &PersonKey) -> Result<Option<Stored>, StoreError> {
        self.inner.load(person).await
    }

    async fn save(&self, person: &PersonKey, state: &PersonState, expected: Option<u64>) -> Result<u64, StoreError> {
        let saved = self.inner.save(person, state, expected).await?;
        if self.answered_once.swap(true, Ordering::SeqCst) { Ok(saved) } else { Err(StoreError::Conflict { expected }) }
    }

    async fn due_for_sweep(&self, today: chrono::NaiveDate) -> Result<Vec<PersonKey>, StoreError> {
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
async fn a_save_that_took_effect_but_lost_its_answer_still_publishes_its_updates() {
    let handler = handler(LostAnswerStore::default(), MemoryPublisher::new(), MemoryDeadLetters::new());
    let report = handler.handle(&[record(Some("m1"), &registration("r1", ALICE, "2026-11-02"))], time()).await;

    assert!(report.failed_message_ids.is_empty(), "nothing to retry");
    let published = handler.pipeline().publisher().take();
    assert_eq!(published.len(), 1, "the meeting is announced although the save reported a lost race");
    let stored = handler.pipeline().store().load(&key(ALICE)).await.unwrap().unwrap();
    assert_eq!(stored.version, 1, "written once");
    assert_eq!(published[0].to_update().unwrap(), stored.state.meetings[0].render(&cpr(ALICE)).unwrap());
}

/// Rule R8: Alice's registration in Rebild (851), then its correction to Aalborg (860), sent later.
fn transfer() -> [BatchRecord; 2] {
    let correction = serde_json::json!({
        "specversion": "1.0", "id": "r2", "source": "urn:dk:akasse:067",
        "type": "dk.akasse.registration.v1", "time": "2026-11-02T09:00:00+01:00",
        "data": {"cpr": ALICE, "municipality": "860", "akasse": "067", "registered_on": "2026-11-02"}
    });
    [record(Some("m1"), &registration("r1", ALICE, "2026-11-02")), record(Some("m2"), &correction.to_string())]
}

/// What was published, as (type, municipality, sequence).
fn published(events: &[crate::contract::OutboundEvent]) -> Vec<(UpdateType, String, u32)> {
    events
        .iter()
        .map(|e| e.to_update().expect("an update"))
        .map(|u| (u.update_type, u.municipality.to_string(), u.sequence))
        .collect()
}

const TRANSFERRED: [(UpdateType, &str, u32); 2] =
    [(UpdateType::Cancelled, "851", 2), (UpdateType::Scheduled, "860", 3)];

fn transferred() -> Vec<(UpdateType, String, u32)> {
    TRANSFERRED.iter().map(|(t, m, s)| (*t, m.to_string(), *s)).collect()
}

#[tokio::test]
async fn a_transfer_whose_save_lost_its_answer_still_publishes_both_updates_in_order() {
    let handler = handler(LostAnswerStore::default(), MemoryPublisher::new(), MemoryDeadLetters::new());
    let [first, correction] = transfer();
    // The first save loses its answer: the registration is announced anyway.
    assert!(handler.handle(&[first], time()).await.failed_message_ids.is_empty());
    handler.pipeline().publisher().take();
    assert!(handler.handle(&[correction], time()).await.failed_message_ids.is_empty());
    assert_eq!(published(&handler.pipeline().publisher().take()), transferred());
}

#[tokio::test]
async fn a_transfer_whose_publish_failed_after_the_write_publishes_both_again_on_redelivery() {
    let handler = handler(MemoryStore::new(), FlakyPublisher::default(), MemoryDeadLetters::new());
    let [first, correction] = transfer();
    assert!(handler.handle(&[first], time()).await.failed_message_ids.is_empty());
    handler.pipeline().publisher().inner.take();
    *handler.pipeline().publisher().down.lock().unwrap() = true;
    assert_eq!(handler.handle(std::slice::from_ref(&correction), time()).await.failed_message_ids, ["m2"]);
    let written = handler.pipeline().store().load(&key(ALICE)).await.unwrap().unwrap();

    *handler.pipeline().publisher().down.lock().unwrap() = false;
    for _ in 0..2 {
        let again = BatchRecord { redelivered: true, ..correction.clone() };
        let report = handler.handle(&[again], time()).await;
        assert_eq!((report.failed_message_ids.len(), report.counts.duplicates), (0, 1));
        assert_eq!(published(&handler.pipeline().publisher().inner.take()), transferred(), "the same two, in order");
    }
    let after = handler.pipeline().store().load(&key(ALICE)).await.unwrap().unwrap();
    assert_eq!(after.version, written.version, "a redelivery writes nothing");
}

/// Rule R8: a transfer whose publish failed, then a job exit for Alice that cancels the meeting
/// arrives before the transfer is delivered again. The job exit's publish tells Rebild (851) the
/// transfer's cancellation again before the meeting's own, and the redelivery of the transfer,
/// which caused nothing that is still the meeting's last update, publishes nothing: each
/// jobcenter ends with a cancellation, and none is left holding the meeting.
#[tokio::test]
async fn a_transfer_whose_publish_failed_and_was_overtaken_still_reaches_the_old_jobcenter() {
    let handler = handler(MemoryStore::new(), FlakyPublisher::default(), MemoryDeadLetters::new());
    let publisher = handler.pipeline().publisher();
    let [first, correction] = transfer();
    assert!(handler.handle(&[first], time()).await.failed_message_ids.is_empty());
    let mut heard = published(&publisher.inner.take());
    *publisher.down.lock().unwrap() = true;
    assert_eq!(handler.handle(std::slice::from_ref(&correction), time()).await.failed_message_ids, ["m2"]);
    *publisher.down.lock().unwrap() = false;

    let job_exit = serde_json::json!({
        "specversion": "1.0", "id": "x1", "source": "urn:dk:akasse:067",
        "type": "dk.akasse.job-exit.v1", "time": "2026-11-02T10:00:00+01:00",
        "data": {"cpr": ALICE, "job_starts_on": "2026-12-01", "reason": "job"}
    });
    let job_exit = BatchRecord { queue: "job-exits".into(), ..record(Some("m3"), &job_exit.to_string()) };
    assert!(handler.handle(&[job_exit], time()).await.failed_message_ids.is_empty());
    let overtaking = published(&publisher.inner.take());
    assert_eq!(
        overtaking,
        [(UpdateType::Cancelled, "851".into(), 2), (UpdateType::Cancelled, "860".into(), 4)],
        "the transfer's cancellation first, then the job exit's"
    );
    heard.extend(overtaking);
    let again = BatchRecord { redelivered: true, ..correction };
    let report = handler.handle(&[again], time()).await;
    assert_eq!((report.failed_message_ids.len(), report.counts.duplicates), (0, 1));
    heard.extend(published(&publisher.inner.take()));

    // What each jobcenter holds: the update with the highest sequence it was sent (R11).
    for jobcenter in ["851", "860"] {
        let last = heard.iter().filter(|(_, m, _)| m == jobcenter).max_by_key(|(_, _, sequence)| *sequence);
        let (update_type, _, _) = last.unwrap_or_else(|| panic!("{jobcenter} heard of the meeting"));
        assert_eq!(*update_type, UpdateType::Cancelled, "{jobcenter} must not be left holding the meeting");
    }
}

/// A store that panics for some people and stalls (never answers) for others.
#[derive(Default)]
struct MisbehavingStore {
    inner: MemoryStore,
    panics_for: HashSet<PersonKey>,
    stalls_for: HashSet<PersonKey>,
    /// How long every other load takes.
    delay: Duration,
    loads: Mutex<Vec<PersonKey>>,
}

impl Store for MisbehavingStore {
    async fn load(&self, person: &PersonKey) -> Result<Option<Stored>, StoreError> {
        self.loads.lock().unwrap().push(*person);
        if self.panics_for.contains(person) {
            panic!("injected panic while loading a person");
        }
        if self.stalls_for.contains(person) {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(self.delay).await;
        self.inner.load(person).await
    }

    async fn save(&self, person: &PersonKey, state: &PersonState, expected: Option<u64>) -> Result<u64, StoreError> {
        self.inner.save(person, state, expected).await
    }

    async fn due_for_sweep(&self, today: chrono::NaiveDate) -> Result<Vec<PersonKey>, StoreError> {
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
async fn a_panic_fails_only_the_records_of_the_person_it_happened_for() {
    let store = MisbehavingStore { panics_for: HashSet::from([key(ALICE)]), ..Default::default() };
    let handler = handler(store, MemoryPublisher::new(), MemoryDeadLetters::new());
    let records = [
        record(Some("a1"), &registration("a1", ALICE, "2026-11-02")),
        record(Some("b1"), &registration("b1", BOB, "2026-11-02")),
        record(Some("a2"), &registration("a2", ALICE, "2026-12-01")),
    ];
    let report = handler.handle(&records, time()).await;

    assert_eq!(report.failed_message_ids, ["a1", "a2"], "the panicking person's records come back");
    assert!(report.abort.is_none());
    assert_eq!(report.counts.scheduled, 1, "Bob's meeting is planned");
    assert_eq!(handler.pipeline().publisher().take().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_batch_keeps_to_its_deadline_and_reports_what_it_did_not_finish() {
    let store = MisbehavingStore {
        stalls_for: HashSet::from([key(ALICE)]),
        delay: START_RESERVE + Duration::from_secs(3),
        ..Default::default()
    };
    let handler = handler(store, MemoryPublisher::new(), MemoryDeadLetters::new());
    let records = [
        record(Some("a1"), &registration("a1", ALICE, "2026-11-02")),
        record(Some("b1"), &registration("b1", BOB, "2026-11-02")),
        record(Some("c1"), &registration("c1", CAROL, "2026-11-02")),
        record(Some("c2"), &registration("c2", CAROL, "2026-12-01")),
    ];
    let started = Instant::now();
    let deadline = started + START_RESERVE * 2 + Duration::from_secs(2);
    let report = handler.handle_until(&records, time(), Some(deadline)).await;

    assert!(Instant::now() < deadline, "answered before the deadline");
    // Alice's call never answers: abandoned. Carol's second record would start with less than
    // START_RESERVE left: not started. Bob's and Carol's first finish.
    assert_eq!(report.failed_message_ids, ["a1", "c2"]);
    assert_eq!(report.counts.scheduled, 2);
    let carol_loads = handler.pipeline().store().loads.lock().unwrap().iter().filter(|k| **k == key(CAROL)).count();
    assert_eq!(carol_loads, 1, "Carol's second record was never started");
}

fn cpr(digits: &str) -> crate::contract::Cpr {
    crate::contract::Cpr::new_unchecked(digits)
}
