//! A run at TRACE with injected errors and a forced panic prints no synthetic CPR number.
//!
//! The test runs itself again as a child process (so that its output can be read whole, and the
//! panic ends only the child): the child installs the functions' log subscriber
//! (`samspil::telemetry::init`) with `RUST_LOG=trace`, logs at TRACE every value the pipeline holds
//! (records with raw bodies, parsed messages, states, updates), runs a batch whose store fails once
//! (an injected error) and whose publisher then panics, formatting the updates it was given into
//! the panic message. The parent checks the child's stdout and stderr: the panic happened, the
//! TRACE lines are there, and no synthetic CPR number is anywhere.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::Utc;
use samspil::contract::OutboundEvent;
use samspil::domain::PersonState;
use samspil::identity::{PersonKey, PersonKeyer};
use samspil::pipeline::memory::{MemoryDeadLetters, MemorySealer, MemoryStore};
use samspil::pipeline::{BatchHandler, BatchRecord, Pipeline, ProcessingTime, PublishError, Publisher, Store};
use samspil::pipeline::{StoreError, Stored};
use samspil::policy::PolicyBook;

const CHILD: &str = "SAMSPIL_TRACE_PANIC_CHILD";
const CPRS: [&str; 3] = ["0505905005", "0606906006", "0707907007"];

fn registration(id: &str, cpr: &str, registered_on: &str) -> String {
    serde_json::json!({
        "specversion": "1.0", "id": id, "source": "urn:dk:akasse:067",
        "type": "dk.akasse.registration.v1", "time": "2026-11-02T08:00:00+01:00",
        "data": {"cpr": cpr, "municipality": "851", "akasse": "067", "registered_on": registered_on}
    })
    .to_string()
}

/// A store that fails its first save, then works.
struct FailingOnce {
    inner: MemoryStore,
    saves: AtomicU32,
}

impl Store for FailingOnce {
    async fn load(&self, person: &PersonKey) -> Result<Option<Stored>, StoreError> {
        self.inner.load(person).await
    }

    async fn save(&self, person: &PersonKey, state: &PersonState, expected: Option<u64>) -> Result<u64, StoreError> {
        tracing::trace!(?state, "saving");
        if self.saves.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(StoreError::Unavailable("injected: the store is down".into()));
        }
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

/// A publisher that panics, putting what it was given into the panic message.
struct Panicking;

impl Publisher for Panicking {
    async fn publish(&self, events: Vec<OutboundEvent>) -> Result<(), PublishError> {
        tracing::trace!(?events, "publishing");
        let updates: Vec<_> = events.iter().map(|e| e.data()).collect();
        panic!("forced panic while publishing {updates:?} / {events:?}");
    }
}

async fn child() {
    samspil::telemetry::init();
    let keyer = PersonKeyer::new(b"trace-secret").unwrap();
    let store = FailingOnce { inner: MemoryStore::new(), saves: AtomicU32::new(0) };
    let pipeline = Pipeline::new(store, Panicking, MemorySealer::new(), PolicyBook::repository(), keyer);
    let handler = BatchHandler::new(pipeline, MemoryDeadLetters::new());
    let records: Vec<BatchRecord> = [
        registration("r1", CPRS[0], "2026-11-02"),
        registration("r2", CPRS[1], "2026-02-30"),
        registration("r3", CPRS[2], "2026-11-02"),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, body)| BatchRecord {
        message_id: Some(format!("m{i}")),
        queue: "registrations".into(),
        body: Some(body),
        sender: None,
        redelivered: false,
        marks: Default::default(),
        sent_at: None,
    })
    .collect();
    for record in &records {
        tracing::trace!(?record, "received");
        if let Ok(message) = samspil::contract::parse(&record.queue, record.body.as_deref().unwrap()) {
            tracing::trace!(?message, cpr = %message.cpr, "parsed");
        }
    }
    let time = ProcessingTime { today: "2026-11-02".parse().unwrap(), now: Utc::now() };
    let report = handler.handle(&records[..2], time).await;
    tracing::trace!(?report, "first batch (the injected store error)");
    tracing::trace!(letters = ?handler.dead_letters().take(), "dead letters");
    // The retry (and the third record) saves, then publishes: the publisher panics.
    handler.handle(&records, time).await;
    unreachable!("the publisher panics");
}

#[test]
fn a_run_at_trace_with_injected_errors_and_a_forced_panic_prints_no_cpr_number() {
    if std::env::var_os(CHILD).is_some() {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(child());
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_run_at_trace_with_injected_errors_and_a_forced_panic_prints_no_cpr_number", "--nocapture"])
        .env(CHILD, "1")
        .env("RUST_LOG", "trace")
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the child test");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the child panicked");
    assert!(text.contains("forced panic while publishing"), "the panic message is in the output");
    assert!(text.contains(r#""level":"TRACE""#) && text.contains("received"), "the child logged at TRACE");
    assert!(text.contains("injected: the store is down"), "the injected store error was logged");
    for (index, cpr) in CPRS.iter().enumerate() {
        assert!(!text.contains(cpr), "synthetic CPR number {index} appears in the output");
    }
}
