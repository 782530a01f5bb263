//! Shared helpers for the adapter contract tests: reaching the AWS emulator, unique resource names,
//! synthetic people and their states, and outbound events.
//!
//! The AWS halves of the suites need the moto emulator that `make test` starts
//! (`scripts/with-moto.sh`). Without it they FAIL, saying so: they never skip, and they never fall
//! back to real AWS (an unset `AWS_ENDPOINT_URL` is refused).

#![allow(dead_code)]

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::NaiveDate;
use samspil::aws::{AwsClients, RequestCounter, sdk_config};
use samspil::contract::{self, Cpr, InboundMessage, OutboundEvent};
use samspil::domain::{self, Decision, PersonState};
use samspil::identity::{PersonKey, PersonKeyer};
use samspil::policy::PolicyBook;

/// A synthetic CPR number (valid day and month; no real person).
pub const CPR: &str = "0101901234";
/// Another one.
pub const OTHER_CPR: &str = "0202852222";

const RUN_HINT: &str = "run the AWS adapter tests with `make test`, which starts the moto emulator \
                        (scripts/with-moto.sh) and points the SDK at it";

/// The emulator's URL from `AWS_ENDPOINT_URL`, after checking that something answers there.
/// Panics (fails the test) with instructions otherwise.
pub fn emulator() -> String {
    let url = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    if url.is_empty() {
        panic!("AWS_ENDPOINT_URL is not set, so there is no AWS emulator to test against: {RUN_HINT}");
    }
    let authority = url.trim_start_matches("http://").trim_start_matches("https://");
    let authority = authority.split('/').next().unwrap_or(authority);
    let reachable = authority
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok());
    if !reachable {
        panic!("the AWS emulator at {url} (AWS_ENDPOINT_URL) is not reachable: {RUN_HINT}");
    }
    url
}

/// SDK clients on the emulator, all counting their requests into the returned counter.
pub async fn clients() -> (AwsClients, RequestCounter) {
    emulator();
    let counter = RequestCounter::new();
    let clients = AwsClients::with_counter(&sdk_config().await, counter.clone());
    (clients, counter)
}

/// A name no other test, in this run or an earlier one against the same emulator, has used.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_nanos();
    format!("{prefix}-{}-{}-{}", std::process::id(), nanos % 1_000_000_000_000, NEXT.fetch_add(1, Ordering::Relaxed))
}

pub fn keyer() -> PersonKeyer {
    PersonKeyer::new(b"contract-test-secret").expect("non-empty secret")
}

pub fn cpr(digits: &str) -> Cpr {
    serde_json::from_value(serde_json::Value::String(digits.to_string())).expect("CPR digits")
}

/// The storage key of the person with this synthetic CPR number.
pub fn person(digits: &str) -> PersonKey {
    keyer().key(&cpr(digits))
}

pub fn date(text: &str) -> NaiveDate {
    text.parse().expect("test date")
}

fn message(queue: &str, id: &str, event_type: &str, data: serde_json::Value) -> InboundMessage {
    message_at(queue, id, event_type, data, "2026-11-02T08:00:00+01:00")
}

fn message_at(queue: &str, id: &str, event_type: &str, data: serde_json::Value, time: &str) -> InboundMessage {
    let body = serde_json::json!({
        "specversion": "1.0",
        "id": id,
        "source": "urn:dk:akasse:067",
        "type": event_type,
        "time": time,
        "data": data,
    });
    contract::parse(queue, &body.to_string()).unwrap_or_else(|e| panic!("test message {id} is invalid: {e}"))
}

/// Facts for one person, applied with the real domain to build realistic states.
pub struct History {
    key: PersonKey,
    cpr: String,
    state: PersonState,
    policies: PolicyBook,
    next_id: u32,
}

impl History {
    pub fn new(cpr: &str) -> Self {
        History {
            key: person(cpr),
            cpr: cpr.to_string(),
            state: PersonState::default(),
            policies: PolicyBook::builtin(),
            next_id: 0,
        }
    }

    fn apply(&mut self, message: InboundMessage, today: &str) -> &mut Self {
        match domain::decide(self.state.clone(), &self.key, &message, date(today), &self.policies).expect("a policy") {
            Decision::Applied { state, .. } => self.state = state,
            Decision::Duplicate(_) => panic!("test message was a duplicate"),
        }
        self
    }

    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{}", self.next_id)
    }

    pub fn register(&mut self, municipality: &str, day: &str) -> &mut Self {
        let id = self.id("reg");
        let data =
            serde_json::json!({"cpr": self.cpr, "municipality": municipality, "akasse": "067", "registered_on": day});
        let m = message("registrations", &id, "dk.akasse.registration.v1", data);
        self.apply(m, day)
    }

    /// Rule R8: a registration for `day` sent at `time`; later than the one it corrects, it wins.
    pub fn correct(&mut self, municipality: &str, day: &str, time: &str, today: &str) -> &mut Self {
        let id = self.id("reg");
        let data =
            serde_json::json!({"cpr": self.cpr, "municipality": municipality, "akasse": "067", "registered_on": day});
        let m = message_at("registrations", &id, "dk.akasse.registration.v1", data, time);
        self.apply(m, today)
    }

    pub fn cv_completed(&mut self, day: &str) -> &mut Self {
        let id = self.id("cv");
        let data = serde_json::json!({"cpr": self.cpr, "completed_on": day});
        let m = message("cv-completions", &id, "dk.akasse.cv-completed.v1", data);
        self.apply(m, day)
    }

    pub fn job_exit(&mut self, job_starts_on: &str, today: &str) -> &mut Self {
        let id = self.id("job");
        let data = serde_json::json!({"cpr": self.cpr, "job_starts_on": job_starts_on, "reason": "job"});
        let m = message("job-exits", &id, "dk.akasse.job-exit.v1", data);
        self.apply(m, today)
    }

    pub fn state(&self) -> PersonState {
        self.state.clone()
    }
}

/// A state with an open period: registered, CV completed, a meeting planned and moved.
pub fn open_state(cpr: &str) -> PersonState {
    let state = History::new(cpr).register("851", "2026-11-02").cv_completed("2026-11-04").state();
    assert!(state.closed_since().is_none() && !state.meetings.is_empty(), "open_state fixture");
    state
}

/// A state whose only period is closed by a job exit.
pub fn closed_state(cpr: &str) -> PersonState {
    let state = History::new(cpr).register("851", "2026-11-02").job_exit("2026-12-01", "2026-11-05").state();
    assert!(state.closed_since().is_some(), "closed_state fixture");
    state
}

/// A state whose meeting a correction moved from Rebild (851) to Aalborg (860, rule R8): its
/// outbox holds two updates, the cancellation to Rebild and the meeting for Aalborg.
pub fn transferred_state(cpr: &str) -> PersonState {
    let state = History::new(cpr)
        .register("851", "2026-11-02")
        .correct("860", "2026-11-02", "2026-11-03T09:00:00+01:00", "2026-11-03")
        .state();
    assert!(
        state.meetings.iter().any(|m| m.last_update.as_ref().is_some_and(|u| !u.transferred_from.is_empty())),
        "transferred_state fixture"
    );
    state
}

/// [`transferred_state`], then on the next day a job exit that cancels the meeting in Aalborg
/// (rule R7): the transfer is a day old, so the job exit's outbox sends Rebild's cancellation
/// again (its sequence, 2, kept from the transfer), then Aalborg's (sequence 4).
pub fn overtaken_transfer_state(cpr: &str) -> PersonState {
    let state = History::new(cpr)
        .register("851", "2026-11-02")
        .correct("860", "2026-11-02", "2026-11-03T09:00:00+01:00", "2026-11-03")
        .job_exit("2027-01-04", "2026-11-04")
        .state();
    let transfers = state.meetings.iter().filter_map(|m| m.last_update.as_ref()).map(|u| u.transferred_from.len());
    assert_eq!(transfers.sum::<usize>(), 1, "overtaken_transfer_state fixture");
    state
}

/// Meeting updates as published: three, for different municipalities, a-kasser and types.
pub fn events() -> Vec<OutboundEvent> {
    let event = |n: u32, update_type: &str, municipality: &str, akasse: &str, cpr: &str| -> OutboundEvent {
        let meeting_id = format!("{n:032x}");
        let mut data = serde_json::json!({
            "meeting_id": meeting_id,
            "sequence": n,
            "cpr": cpr,
            "municipality": municipality,
            "akasse": akasse,
            "kind": "first_joint",
            "date": "2026-12-07",
            "form": "in_person",
            "akasse_participation": "yes",
            "deadline": "2026-12-11",
            "deadline_missed": false,
        });
        match update_type {
            "rescheduled" => {
                data["previous_date"] = "2026-11-30".into();
                data["reason"] = "cv_completed".into();
            }
            "cancelled" => data["reason"] = "job_exit".into(),
            _ => {}
        }
        let json = serde_json::json!({
            "specversion": "1.0",
            "id": format!("{meeting_id}-{n}"),
            "source": "urn:dk:samspil",
            "type": format!("dk.jobcenter.meeting-{update_type}.v1"),
            "time": "2026-11-02T09:00:00Z",
            "datacontenttype": "application/json",
            "subject": meeting_id,
            "data": data,
        });
        OutboundEvent::from_json(&json.to_string()).unwrap_or_else(|e| panic!("test event {n}: {e}"))
    };
    vec![
        event(1, "scheduled", "851", "067", CPR),
        event(2, "rescheduled", "840", "010", OTHER_CPR),
        event(3, "cancelled", "101", "048", CPR),
    ]
}
