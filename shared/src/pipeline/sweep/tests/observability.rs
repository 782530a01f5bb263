//! What a sweep run tells about itself when it goes wrong: a person whose load or publish fails is
//! logged with the person key (never the CPR number) and the run goes on; a run that reaches its
//! deadline before the end abandons whoever is stuck, counts the rest as unreached, and its metrics
//! line still goes out, counting them all in `summons_left`.

use std::collections::HashSet;
use std::sync::Mutex;

use tokio::time::Instant;
use tracing::instrument::WithSubscriber;

use super::*;
use crate::lambda::summons::{FUNCTION, sweep_and_report};
use crate::pipeline::SWEEP_START_RESERVE;
use crate::telemetry::{CapturedLogs, Metrics};

const CAROL: &str = "0303803333";

/// A store with faults for chosen people: loads that fail, a first person listed whose load never
/// answers, and loads that take their time.
#[derive(Default)]
struct TroubledStore {
    inner: MemoryStore,
    failing: Mutex<Vec<PersonKey>>,
    stall_first_listed: Mutex<bool>,
    stalled: Mutex<Option<PersonKey>>,
    delay: Mutex<Duration>,
}

impl Store for TroubledStore {
    async fn load(&self, person: &PersonKey) -> Result<Option<Stored>, StoreError> {
        if self.failing.lock().unwrap().contains(person) {
            return Err(StoreError::Unavailable("injected: the load failed".into()));
        }
        if *self.stalled.lock().unwrap() == Some(*person) {
            std::future::pending::<()>().await;
        }
        let delay = *self.delay.lock().unwrap();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        self.inner.load(person).await
    }

    async fn save(&self, person: &PersonKey, state: &PersonState, expected: Option<u64>) -> Result<u64, StoreError> {
        self.inner.save(person, state, expected).await
    }

    async fn due_for_sweep(&self, today: NaiveDate) -> Result<Vec<PersonKey>, StoreError> {
        let listed = self.inner.due_for_sweep(today).await?;
        if *self.stall_first_listed.lock().unwrap() {
            *self.stalled.lock().unwrap() = listed.first().copied();
        }
        Ok(listed)
    }

    async fn policies_mark(&self) -> Result<Option<String>, StoreError> {
        self.inner.policies_mark().await
    }

    async fn set_policies_mark(&self, fingerprint: &str) -> Result<(), StoreError> {
        self.inner.set_policies_mark(fingerprint).await
    }
}

/// A publisher that refuses every batch holding an update for one person.
struct RefusingFor {
    inner: MemoryPublisher,
    cpr: &'static str,
}

impl Publisher for RefusingFor {
    async fn publish(&self, events: Vec<OutboundEvent>) -> Result<(), PublishError> {
        if events.iter().any(|e| e.to_update().unwrap().cpr.expose() == self.cpr) {
            return Err(PublishError("injected: SNS refused the batch".into()));
        }
        self.inner.publish(events).await
    }
}

#[tokio::test]
async fn a_person_that_fails_is_logged_with_the_person_key_and_the_others_are_still_summoned() {
    let p = pipeline(TroubledStore::default(), RefusingFor { inner: MemoryPublisher::new(), cpr: BOB });
    registered(&p).await;
    send(&p, "registrations", &registration("r3", CAROL), "2026-11-02").await;
    p.store().failing.lock().unwrap().push(key(ALICE));
    let logs = CapturedLogs::default();
    let time = at("2026-12-10", 5);
    let run = SweepRun::start(time.now);

    let result = p.sweep(time, &run).with_subscriber(logs.subscriber()).await;

    let Err(SweepError::Incomplete { report, first }) = result else { panic!("an incomplete run: {result:?}") };
    assert_eq!((report.listed, report.summoned, report.failed, report.unreached), (3, 1, 2, 0));
    assert_eq!(report.left(), 2);
    let published: Vec<_> = p.publisher().inner.take().iter().map(|e| e.to_update().unwrap()).collect();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].cpr.expose(), CAROL, "the run went on past the failures");

    let warnings: Vec<_> = logs.lines().into_iter().filter(|l| l["level"] == "WARN").collect();
    let failed: HashSet<String> = warnings.iter().filter_map(|l| l["person"].as_str().map(String::from)).collect();
    assert_eq!(failed, HashSet::from([key(ALICE).to_string(), key(BOB).to_string()]), "{warnings:?}");
    for line in &warnings {
        assert_eq!(line["run"].as_str(), Some(run.key.id.as_ref()), "{line}");
        let error = line["error"].as_str().unwrap_or_default();
        let expected = if line["person"] == key(ALICE).to_string() { "the load failed" } else { "SNS refused" };
        assert!(error.contains(expected), "{line}");
    }
    let first = first.expect("the first failure");
    assert!(first.contains(&key(ALICE).to_string()) || first.contains(&key(BOB).to_string()), "{first}");
    let text = logs.text();
    for cpr in [ALICE, BOB, CAROL] {
        assert!(!text.contains(cpr) && !first.contains(cpr), "a CPR number was logged: {text}");
    }
}

#[tokio::test]
async fn a_run_past_its_deadline_starts_nobody_and_still_prints_its_metrics_with_everyone_left() {
    let p = pipeline(MemoryStore::new(), MemoryPublisher::new());
    registered(&p).await;
    let time = at("2026-12-10", 5);
    let run = SweepRun::start(time.now);
    let metrics = Metrics::new(FUNCTION, "samspil-test");
    let mut printed = Vec::new();

    let result = sweep_and_report(&p, &metrics, time, &run, Some(Instant::now()), |line| printed.push(line)).await;

    let Err(SweepError::Incomplete { report, first: None }) = result else { panic!("out of time: {result:?}") };
    assert_eq!((report.listed, report.unreached, report.failed, report.summoned), (2, 2, 0, 0));
    assert!(p.publisher().take().is_empty());
    for cpr in [ALICE, BOB] {
        assert_eq!(stored(&p, cpr).await.sweep_due, Some(time.today), "still due");
    }
    assert_eq!(p.store().policies_mark().await.unwrap(), None, "a pass that reached nobody records no policies");
    let [line] = printed.as_slice() else { panic!("one metrics line: {printed:?}") };
    let line: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!((line["people_due"].as_u64(), line["summons_left"].as_u64()), (Some(2), Some(2)), "{line}");
    assert_eq!((line["unreached"].as_u64(), line["stack"].as_str()), (Some(2), Some("samspil-test")), "{line}");

    // The next run, with time, takes them.
    let next = later(time, TimeDelta::minutes(1));
    let report = p.sweep(next, &SweepRun::start(next.now)).await.unwrap();
    assert_eq!((report.summoned, report.published, report.left()), (2, 2, 0));
}

/// Twenty people due; the first listed never gets an answer from the store and each of the others
/// takes 3 s. Eight start at once; with the first stuck, no slot frees until the deadline
/// abandons it, and by then it is too late to start anyone.
#[tokio::test(start_paused = true)]
async fn a_run_that_reaches_its_deadline_midway_abandons_who_is_stuck_and_counts_the_rest_unreached() {
    let p = pipeline(TroubledStore::default(), MemoryPublisher::new());
    let people: Vec<String> = (0..20).map(|i| format!("0101{}{:04}", 70 + i, 1000 + i)).collect();
    for (i, cpr) in people.iter().enumerate() {
        send(&p, "registrations", &registration(&format!("r{i}"), cpr), "2026-11-02").await;
    }
    *p.store().stall_first_listed.lock().unwrap() = true;
    *p.store().delay.lock().unwrap() = Duration::from_secs(3);
    let logs = CapturedLogs::default();
    let time = at("2026-12-10", 5);
    let run = SweepRun::start(time.now);
    let deadline = Instant::now() + SWEEP_START_RESERVE + Duration::from_secs(5);

    let result = p.sweep_until(time, &run, Some(deadline)).with_subscriber(logs.subscriber()).await;

    assert_eq!(Instant::now(), deadline, "the run reports at its deadline");
    let Err(SweepError::Incomplete { report, first }) = result else { panic!("out of time: {result:?}") };
    assert_eq!((report.listed, report.summoned, report.failed, report.unreached), (20, 7, 1, 12));
    assert_eq!(report.left(), 13);
    let stuck = p.store().stalled.lock().unwrap().expect("the first listed").to_string();
    assert!(first.is_some_and(|f| f.contains(&stuck) && f.contains("abandoned")));
    let lines = logs.lines();
    assert!(lines.iter().any(|l| l["level"] == "WARN" && l["person"] == stuck.as_str()), "{lines:?}");
    assert!(lines.iter().any(|l| l["level"] == "WARN" && l["unreached"] == 12), "{lines:?}");
    assert_eq!(p.publisher().take().len(), 7);

    // The next run, with nobody stuck, takes the thirteen left.
    *p.store().stall_first_listed.lock().unwrap() = false;
    *p.store().stalled.lock().unwrap() = None;
    let next = later(time, TimeDelta::minutes(1));
    let report = p.sweep(next, &SweepRun::start(next.now)).await.unwrap();
    assert_eq!((report.listed, report.summoned, report.left()), (13, 13, 0));
}
