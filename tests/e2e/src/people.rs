//! Synthetic people and the messages their a-kasse sends about them.
//!
//! Every [`Person`] gets a random synthetic CPR number (a valid day and month, random digits), so
//! tests in one run, and runs against the same long-lived emulator, never share a person. Message
//! ids carry a random tag of the test binary's run and a counter, so they never repeat either.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDate;
use samspil::contract::MessageKey;

/// The a-kasse sending every test message.
pub const AKASSE: &str = "067";
/// Its CloudEvents `source`.
pub const SOURCE: &str = "urn:dk:akasse:067";
/// The `SenderId` the emulator reports for every message (its default IAM user); the local stack's
/// sender map registers it for 067, 010 and 048 (`scripts/deploy_local.py`).
pub const EMULATOR_SENDER: &str = "AIDAIT2UOQQY3AUEKVGXU";
/// The processing day the tests run on (rule R0), as the embedded reference does.
pub const DAY: &str = "2026-11-02";

pub fn day() -> NaiveDate {
    DAY.parse().expect("a date")
}

/// One person, known by a synthetic CPR number that `Debug` does not show.
#[derive(Clone, PartialEq, Eq)]
pub struct Person {
    cpr: String,
}

impl fmt::Debug for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Person(**********)")
    }
}

impl Default for Person {
    fn default() -> Self {
        Self::new()
    }
}

impl Person {
    /// A person no other test has: DDMMYY of a random day (1 to 28, so every month has it) and
    /// four random digits.
    pub fn new() -> Person {
        let (d, m, y, serial) =
            (fastrand::u32(1..=28), fastrand::u32(1..=12), fastrand::u32(0..100), fastrand::u32(0..10_000));
        Person { cpr: format!("{d:02}{m:02}{y:02}{serial:04}") }
    }

    /// The digits, for comparing with what arrives. Never print them.
    pub fn cpr(&self) -> &str {
        &self.cpr
    }

    pub fn registration(&self, municipality: &str, registered_on: &str) -> Msg {
        let data = serde_json::json!({
            "cpr": self.cpr, "municipality": municipality, "akasse": AKASSE, "registered_on": registered_on,
        });
        Msg::new("registrations", "dk.akasse.registration.v1", data)
    }

    pub fn cv_completed(&self, completed_on: &str) -> Msg {
        Msg::new(
            "cv-completions",
            "dk.akasse.cv-completed.v1",
            serde_json::json!({"cpr": self.cpr, "completed_on": completed_on}),
        )
    }

    pub fn job_exit(&self, job_starts_on: &str) -> Msg {
        let data = serde_json::json!({"cpr": self.cpr, "job_starts_on": job_starts_on, "reason": "job"});
        Msg::new("job-exits", "dk.akasse.job-exit.v1", data)
    }

    /// The withdrawal of the job exit with this job start (rule R13), on the same queue.
    pub fn job_exit_withdrawn(&self, job_starts_on: &str) -> Msg {
        let data = serde_json::json!({"cpr": self.cpr, "job_starts_on": job_starts_on});
        Msg::new("job-exits", "dk.akasse.job-exit-withdrawn.v1", data)
    }
}

/// One inbound message: the queue it goes to and its body.
#[derive(Clone, PartialEq, Eq)]
pub struct Msg {
    pub queue: &'static str,
    pub id: String,
    pub body: String,
}

impl fmt::Debug for Msg {
    // The body holds the CPR number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Msg({} {})", self.queue, self.id)
    }
}

impl Msg {
    fn new(queue: &'static str, event_type: &str, data: serde_json::Value) -> Msg {
        let id = next_id();
        let event = serde_json::json!({
            "specversion": "1.0", "id": id, "source": SOURCE, "type": event_type,
            "time": format!("{DAY}T08:00:00+01:00"), "datacontenttype": "application/json", "data": data,
        });
        Msg { queue, id, body: event.to_string() }
    }

    /// The same message sent to another queue (bad input: `wrong_queue`).
    pub fn to_queue(mut self, queue: &'static str) -> Msg {
        self.queue = queue;
        self
    }

    /// The same message with `field` of `data` set to `value` (keeps the id).
    pub fn with_data(mut self, field: &str, value: &str) -> Msg {
        let mut event: serde_json::Value = serde_json::from_str(&self.body).expect("own JSON");
        event["data"][field] = serde_json::Value::String(value.to_string());
        self.body = event.to_string();
        self
    }

    /// The same message with the CloudEvents `source` set to `source` (keeps the id).
    pub fn with_source(mut self, source: &str) -> Msg {
        let mut event: serde_json::Value = serde_json::from_str(&self.body).expect("own JSON");
        event["source"] = serde_json::Value::String(source.to_string());
        self.body = event.to_string();
        self
    }

    /// The same message with the CloudEvents `time` set to `time` (keeps the id): a correction sent
    /// later than the message it corrects (rule R8).
    pub fn at(mut self, time: &str) -> Msg {
        let mut event: serde_json::Value = serde_json::from_str(&self.body).expect("own JSON");
        event["time"] = serde_json::Value::String(time.to_string());
        self.body = event.to_string();
        self
    }

    /// Its idempotency key (rule R10).
    pub fn key(&self) -> MessageKey {
        MessageKey { source: SOURCE.into(), id: self.id.as_str().into() }
    }
}

/// `e2e-<run tag>-<n>`: unique in this run, and across runs against the same emulator.
fn next_id() -> String {
    static RUN: OnceLock<String> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let run = RUN.get_or_init(|| format!("{:08x}", fastrand::u32(..)));
    format!("e2e-{run}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}
