//! Batch handling against the in-memory adapters and a few failing test doubles.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};

use crate::contract::{BadInput, MessageKey};
use crate::domain::PersonState;
use crate::identity::{PersonKey, PersonKeyer};
use crate::pipeline::memory::{MemoryDeadLetters, MemoryPublisher, MemorySealer, MemoryStore};
use crate::pipeline::{
    BatchHandler, BatchRecord, DeadLetterError, DeadLetters, Pipeline, ProcessingTime, PublishError, Publisher, Store,
    StoreError, Stored, is_redelivered, queue_from_arn,
};
use crate::policy::PolicyBook;
use crate::senders::Provenance;

pub(super) const ALICE: &str = "0101901111";
pub(super) const BOB: &str = "0202852222";
pub(super) const CAROL: &str = "0303803333";

pub(super) fn time() -> ProcessingTime {
    ProcessingTime {
        today: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
        now: Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap(),
    }
}

pub(super) fn registration(id: &str, cpr: &str, registered_on: &str) -> String {
    serde_json::json!({
        "specversion": "1.0", "id": id, "source": "urn:dk:akasse:067",
        "type": "dk.akasse.registration.v1", "time": "2026-11-02T08:00:00+01:00",
        "data": {"cpr": cpr, "municipality": "851", "akasse": "067", "registered_on": registered_on}
    })
    .to_string()
}

pub(super) fn record(id: Option<&str>, body: &str) -> BatchRecord {
    BatchRecord {
        message_id: id.map(str::to_string),
        queue: "registrations".into(),
        body: Some(body.to_string()),
        sender: None,
        redelivered: false,
        marks: Default::default(),
        sent_at: None,
    }
}

pub(super) fn handler<S: Store, P: Publisher, D: DeadLetters>(
    store: S,
    publisher: P,
    dlq: D,
) -> BatchHandler<S, P, MemorySealer, D> {
    let keyer = PersonKeyer::new(b"test-secret").unwrap();
    BatchHandler::new(Pipeline::new(store, publisher, MemorySealer::new(), PolicyBook::builtin(), keyer), dlq)
}

pub(super) fn key(cpr: &str) -> PersonKey {
    PersonKeyer::new(b"test-secret").unwrap().key(&crate::contract::Cpr::new_unchecked(cpr))
}

fn ids(keys: impl IntoIterator<Item = MessageKey>) -> Vec<String> {
    keys.into_iter().map(|k| k.id.into()).collect()
}

/// A store that takes 20 ms per load and records how many loads overlap, overall and per person.
#[derive(Default)]
struct SlowStore {
    inner: MemoryStore,
    in_flight: Mutex<(usize, usize, HashMap<PersonKey, usize>, usize)>,
}

impl SlowStore {
    /// (most loads at once, most loads of one person at once)
    fn overlap(&self) -> (usize, usize) {
        let g = self.in_flight.lock().unwrap();
        (g.1, g.3)
    }
}

impl Store for SlowStore {
    async fn load(&self, person: &PersonKey) -> Result<Option<Stored>, StoreError> {
        {
            let mut g = self.in_flight.lock().unwrap();
            g.0 += 1;
            g.1 = g.1.max(g.0);
            let mine = g.2.entry(*person).or_default();
            *mine += 1;
            let mine = *mine;
            g.3 = g.3.max(mine);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        {
            let mut g = self.in_flight.lock().unwrap();
            g.0 -= 1;
            *g.2.get_mut(person).unwrap() -= 1;
        }
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

/// A store that is unavailable for some people.
#[derive(Default)]
struct FlakyStore {
    inner: MemoryStore,
    down_for: Mutex<HashSet<PersonKey>>,
}

impl Store for FlakyStore {
    async fn load(&self, person: &PersonKey) -> Result<Option<Stored>, StoreError> {
        if self.down_for.lock().unwrap().contains(person) {
            return Err(StoreError::Unavailable("throttled".into()));
        }
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

/// A publisher that fails while `down` is set, and otherwise keeps events like [`MemoryPublisher`].
#[derive(Default)]
pub(super) struct FlakyPublisher {
    pub(super) inner: MemoryPublisher,
    pub(super) down: Mutex<bool>,
}

impl Publisher for FlakyPublisher {
    async fn publish(&self, events: Vec<crate::contract::OutboundEvent>) -> Result<(), PublishError> {
        if *self.down.lock().unwrap() {
            return Err(PublishError("SNS is throttling".into()));
        }
        self.inner.publish(events).await
    }
}

struct BrokenDeadLetters;

impl DeadLetters for BrokenDeadLetters {
    async fn send(&self, _: &str, _: &str, _: &BadInput, _: &Provenance) -> Result<(), DeadLetterError> {
        Err(DeadLetterError("SQS is unavailable".into()))
    }
}

#[tokio::test]
async fn people_run_concurrently_and_each_person_in_arrival_order() {
    let h = handler(SlowStore::default(), MemoryPublisher::new(), MemoryDeadLetters::new());
    let batch = [
        record(Some("m1"), &registration("a-1", ALICE, "2026-11-02")),
        record(Some("m2"), &registration("b-1", BOB, "2026-11-02")),
        record(Some("m3"), &registration("a-2", ALICE, "2026-10-01")),
        record(Some("m4"), &registration("c-1", CAROL, "2026-11-02")),
        record(Some("m5"), &registration("a-3", ALICE, "2026-09-01")),
    ];
    let report = h.handle(&batch, time()).await;
    assert_eq!(report.failed_message_ids, Vec::<String>::new());
    assert_eq!(report.abort, None);
    let (overall, per_person) = h.pipeline().store().overlap();
    assert!(overall >= 3, "three people should be loaded at once, saw at most {overall}");
    assert_eq!(per_person, 1, "one person's records must not overlap");
    let alice = h.pipeline().store().inner.load(&key(ALICE)).await.unwrap().unwrap();
    assert_eq!(ids(alice.state.facts.into_iter().map(|f| f.key)), ["a-1", "a-2", "a-3"]);
    assert_eq!(report.counts.messages, 5);
}

#[tokio::test]
async fn bad_input_goes_to_the_dead_letter_queue_with_its_code_and_is_not_retried() {
    let h = handler(MemoryStore::new(), MemoryPublisher::new(), MemoryDeadLetters::new());
    let wrong_queue = registration("r-1", ALICE, "2026-11-02");
    let mut batch = vec![record(Some("m1"), "not json"), record(Some("m2"), &wrong_queue)];
    batch[1].queue = "job-exits".into();
    batch.push(record(Some("m3"), &registration("r-2", BOB, "2026-11-02")));
    batch.push(BatchRecord { body: None, ..record(Some("m4"), "") });

    let report = h.handle(&batch, time()).await;
    assert_eq!(report.failed_message_ids, Vec::<String>::new());
    assert_eq!(report.counts.permanent_failures, 3);
    assert_eq!(report.counts.scheduled, 1);
    let letters = h.dead_letters().take();
    let got: Vec<(&str, &str, &str)> =
        letters.iter().map(|l| (l.queue.as_str(), l.body.as_str(), l.error_code.as_str())).collect();
    assert_eq!(
        got,
        [
            ("registrations", "not json", "not_json"),
            ("job-exits", wrong_queue.as_str(), "wrong_queue"),
            ("registrations", "", "not_json")
        ]
    );
    assert!(letters.iter().all(|l| !l.error_message.contains(ALICE)));
}

/// Rule R14: the registrations are timed 2026-11-02T07:00:00Z; a message may say so if it reached
/// its queue at 06:55 or later, not earlier. Without a `SentTimestamp` nothing is checked.
#[tokio::test]
async fn a_time_more_than_five_minutes_after_the_message_reached_its_queue_is_time_in_future() {
    let h = handler(MemoryStore::new(), MemoryPublisher::new(), MemoryDeadLetters::new());
    let sent = |hour, minute, second| Some(Utc.with_ymd_and_hms(2026, 11, 2, hour, minute, second).unwrap());
    let batch = [
        BatchRecord { sent_at: sent(6, 54, 59), ..record(Some("m1"), &registration("r-1", ALICE, "2026-11-02")) },
        BatchRecord { sent_at: sent(6, 55, 0), ..record(Some("m2"), &registration("r-2", BOB, "2026-11-02")) },
        BatchRecord { sent_at: None, ..record(Some("m3"), &registration("r-3", CAROL, "2026-11-02")) },
    ];
    let report = h.handle(&batch, time()).await;
    assert_eq!((report.counts.permanent_failures, report.counts.scheduled), (1, 2));
    let letters = h.dead_letters().take();
    assert_eq!(letters.len(), 1);
    assert_eq!(
        (letters[0].error_code.as_str(), letters[0].body.as_str()),
        ("time_in_future", batch[0].body.as_deref().unwrap())
    );
    assert!(h.pipeline().store().load(&key(ALICE)).await.unwrap().is_none(), "nothing stored for the refused one");
}

#[test]
fn being_dated_ahead_is_checked_arithmetic_at_the_calendar_s_ends() {
    use crate::pipeline::is_dated_ahead;
    let (min, max) = (chrono::DateTime::<Utc>::MIN_UTC, chrono::DateTime::<Utc>::MAX_UTC);
    assert!(!is_dated_ahead(max, max), "no limit after the last instant, and nothing ahead of it");
    assert!(is_dated_ahead(max, min));
    assert!(!is_dated_ahead(min, min));
    assert_eq!(
        crate::pipeline::sent_timestamp(Some("1793174400000")),
        Some(Utc.with_ymd_and_hms(2026, 10, 28, 8, 0, 0).unwrap())
    );
    assert_eq!(crate::pipeline::sent_timestamp(Some("not a number")), None);
    assert_eq!(crate::pipeline::sent_timestamp(Some(&i64::MAX.to_string())), None);
    assert_eq!(crate::pipeline::sent_timestamp(None), None);
}

#[tokio::test]
async fn bad_input_that_cannot_be_dead_lettered_is_retried() {
    let h = handler(MemoryStore::new(), MemoryPublisher::new(), BrokenDeadLetters);
    let batch = [record(Some("m1"), "{"), record(Some("m2"), &registration("r-1", ALICE, "2026-11-02"))];
    let report = h.handle(&batch, time()).await;
    assert_eq!(report.failed_message_ids, ["m1"]);
    assert_eq!((report.counts.permanent_failures, report.counts.transient_failures), (0, 1));
}

#[tokio::test]
async fn a_transient_failure_fails_that_record_and_the_same_persons_later_records() {
    let store = FlakyStore::default();
    store.down_for.lock().unwrap().insert(key(ALICE));
    let h = handler(store, MemoryPublisher::new(), MemoryDeadLetters::new());
    let batch = [
        record(Some("m1"), &registration("a-1", ALICE, "2026-11-02")),
        record(Some("m2"), &registration("b-1", BOB, "2026-11-02")),
        record(Some("m3"), &registration("a-2", ALICE, "2026-10-01")),
    ];
    let report = h.handle(&batch, time()).await;
    assert_eq!(report.failed_message_ids, ["m1", "m3"]);
    assert_eq!(report.counts.transient_failures, 2);
    assert_eq!(report.counts.scheduled, 1, "Bob's registration is not held up by Alice's");
    assert!(!format!("{report:?}").contains(ALICE));

    // Retried once the store is back, in the same order.
    h.pipeline().store().down_for.lock().unwrap().clear();
    let retry =
        [BatchRecord { redelivered: true, ..batch[0].clone() }, BatchRecord { redelivered: true, ..batch[2].clone() }];
    let report = h.handle(&retry, time()).await;
    assert_eq!(report.failed_message_ids, Vec::<String>::new());
    let alice = h.pipeline().store().inner.load(&key(ALICE)).await.unwrap().unwrap();
    assert_eq!(ids(alice.state.facts.into_iter().map(|f| f.key)), ["a-1", "a-2"]);
}

#[tokio::test]
async fn a_failed_publish_is_retried_and_republished_from_the_outbox_as_a_duplicate() {
    let h = handler(MemoryStore::new(), FlakyPublisher::default(), MemoryDeadLetters::new());
    *h.pipeline().publisher().down.lock().unwrap() = true;
    let batch = [record(Some("m1"), &registration("a-1", ALICE, "2026-11-02"))];
    assert_eq!(h.handle(&batch, time()).await.failed_message_ids, ["m1"]);

    *h.pipeline().publisher().down.lock().unwrap() = false;
    let retry = [BatchRecord { redelivered: true, ..batch[0].clone() }];
    let report = h.handle(&retry, time()).await;
    assert_eq!(report.failed_message_ids, Vec::<String>::new());
    assert_eq!(report.counts.duplicates, 1);
    assert_eq!(h.pipeline().publisher().inner.take().len(), 1, "the scheduled update is published again");
}

#[tokio::test]
async fn duplicates_in_one_batch_are_counted_and_publish_nothing_new() {
    let h = handler(MemoryStore::new(), MemoryPublisher::new(), MemoryDeadLetters::new());
    let body = registration("a-1", ALICE, "2026-11-02");
    let report = h.handle(&[record(Some("m1"), &body), record(Some("m2"), &body)], time()).await;
    assert_eq!(report.failed_message_ids, Vec::<String>::new());
    assert_eq!((report.counts.scheduled, report.counts.duplicates), (1, 1));
    assert_eq!(h.pipeline().publisher().take().len(), 1);
}

#[tokio::test]
async fn a_record_without_message_id_is_processed_and_aborts_the_batch_only_when_it_must_be_retried() {
    let h = handler(FlakyStore::default(), MemoryPublisher::new(), MemoryDeadLetters::new());
    let ok = [record(None, &registration("a-1", ALICE, "2026-11-02")), record(Some(""), "not json")];
    let report = h.handle(&ok, time()).await;
    assert_eq!((report.failed_message_ids.len(), report.abort.clone()), (0, None));
    assert_eq!((report.counts.scheduled, report.counts.permanent_failures), (1, 1));

    h.pipeline().store().down_for.lock().unwrap().insert(key(BOB));
    let batch = [
        record(Some("m1"), &registration("b-1", BOB, "2026-11-02")),
        record(None, &registration("b-2", BOB, "2026-10-01")),
        record(Some(""), &registration("b-3", BOB, "2026-09-01")),
    ];
    let report = h.handle(&batch, time()).await;
    assert_eq!(report.failed_message_ids, ["m1"], "no empty item identifier, ever");
    assert_eq!(report.abort.as_ref().map(|a| a.index), Some(1));
    assert!(!report.abort.unwrap().to_string().contains(BOB));
}

#[test]
fn queue_names_come_from_the_arn_and_redelivery_from_the_receive_count() {
    assert_eq!(queue_from_arn("arn:aws:sqs:eu-north-1:123456789012:registrations"), "registrations");
    assert_eq!(queue_from_arn("registrations"), "registrations");
    assert!(!is_redelivered(Some("1")));
    assert!(!is_redelivered(None));
    assert!(!is_redelivered(Some("many")));
    assert!(is_redelivered(Some("2")));
}
