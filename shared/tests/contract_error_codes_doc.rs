//! `docs/error-codes.md` documents exactly the codes in [`ErrorCode::ALL`], in the same order, and
//! each row's example `error_message` is what the pipeline writes for a sample message with that
//! mistake.
//!
//! Operators and senders read that table to find out what a dead-lettered message's `error_code`
//! means; a code added in Rust without a row, a row left behind after a rename, or an example the
//! program no longer prints would leave them guessing.

use std::path::Path;

use chrono::Utc;
use samspil::contract::ErrorCode;
use samspil::identity::PersonKeyer;
use samspil::pipeline::memory::{MemoryPublisher, MemorySealer, MemoryStore};
use samspil::pipeline::{Delivery, Failure, Pipeline, ProcessingTime};
use samspil::policy::PolicyBook;
use samspil::senders::{Origin, Senders};
use serde_json::{Value, json};

fn page() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/error-codes.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The table's rows, each as its cells: code, when, example `error_message`, what to do.
fn rows() -> Vec<Vec<String>> {
    page()
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| line.trim().trim_matches('|').split('|').map(|c| c.trim().to_owned()).collect())
        .collect()
}

/// The first-column codes of the table's rows, in order.
fn documented_codes() -> Vec<String> {
    rows().iter().map(|row| row[0].trim_matches('`').to_owned()).collect()
}

#[test]
fn every_code_has_a_row() {
    let documented = documented_codes();
    for code in ErrorCode::ALL {
        assert!(documented.iter().any(|c| c == code.as_str()), "docs/error-codes.md has no row for `{code}`");
    }
}

#[test]
fn every_row_is_a_code() {
    let known: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    for code in documented_codes() {
        assert!(
            known.contains(&code.as_str()),
            "docs/error-codes.md documents `{code}`, which is not in ErrorCode::ALL"
        );
    }
}

#[test]
fn rows_follow_the_order_of_all_without_duplicates() {
    let known: Vec<String> = ErrorCode::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    assert_eq!(documented_codes(), known);
}

/// The only sender of the samples: registered for a-kasse 067 (and, for `sender_mismatch`, only 010).
const SENDER: &str = "AROAEXAMPLESENDER";

fn event(queue_type: &str, source: &str, data: Value) -> Value {
    json!({"specversion": "1.0", "id": "sample-1", "source": source, "type": queue_type,
           "time": "2026-11-02T08:00:00Z", "data": data})
}

fn registration(changes: &[(&str, Value)]) -> String {
    let mut data = json!({"cpr": "0101901234", "municipality": "851", "akasse": "067", "registered_on": "2026-11-02"});
    for (member, value) in changes {
        if value.is_null() {
            data.as_object_mut().unwrap().remove(*member);
        } else {
            data[*member] = value.clone();
        }
    }
    event("dk.akasse.registration.v1", "urn:dk:akasse:067", data).to_string()
}

/// A message with the mistake `code` names: (queue, body, senders, policy file, messages sent first).
fn sample(code: ErrorCode) -> (&'static str, String, String, &'static str, Vec<(&'static str, String)>) {
    let own = format!("{SENDER}=067,{SENDER}=010");
    let registrations = "registrations";
    let (queue, body) = match code {
        ErrorCode::NotJson => (registrations, "{\"specversion\": \"1.0\",".to_owned()),
        ErrorCode::NotCloudEvent => {
            let mut body: Value = serde_json::from_str(&registration(&[])).unwrap();
            body["specversion"] = json!("0.3");
            (registrations, body.to_string())
        }
        ErrorCode::UnknownType => {
            (registrations, event("dk.akasse.moved.v1", "urn:dk:akasse:067", json!({})).to_string())
        }
        ErrorCode::WrongQueue => ("job-exits", registration(&[])),
        ErrorCode::MissingField => (registrations, registration(&[("registered_on", Value::Null)])),
        ErrorCode::MalformedField => (registrations, registration(&[("municipality", json!("85"))])),
        ErrorCode::ImpossibleDate => (registrations, registration(&[("registered_on", json!("2026-02-30"))])),
        ErrorCode::InvalidCpr => (registrations, registration(&[("cpr", json!("01019O1234"))])),
        ErrorCode::OutOfRange => (registrations, registration(&[("prior_hours", json!(250000))])),
        ErrorCode::UnknownMunicipality => {
            return (registrations, registration(&[]), own, "", Vec::new());
        }
        ErrorCode::SenderMismatch => {
            return (
                registrations,
                registration(&[]),
                format!("{SENDER}=010"),
                "default_policy = \"baseline\"",
                Vec::new(),
            );
        }
        ErrorCode::NotMember => {
            let cv = event(
                "dk.akasse.cv-completed.v1",
                "urn:dk:akasse:067",
                json!({"cpr": "0101901234", "completed_on": "2026-11-05"}),
            );
            let mut by_010: Value = serde_json::from_str(&registration(&[("akasse", json!("010"))])).unwrap();
            by_010["source"] = json!("urn:dk:akasse:010");
            return (
                "cv-completions",
                cv.to_string(),
                own,
                "default_policy = \"baseline\"",
                vec![(registrations, by_010.to_string())],
            );
        }
        ErrorCode::TooManyFacts => {
            // 32 job exits of 067 about no known period (no registration yet), then one more.
            let job = |i: u64| {
                let mut e = event(
                    "dk.akasse.job-exit.v1",
                    "urn:dk:akasse:067",
                    json!({"cpr": "0101901234", "job_starts_on": format!("2025-{:02}-{:02}", i / 28 + 1, i % 28 + 1)}),
                );
                e["id"] = json!(format!("sample-job-{i}"));
                e.to_string()
            };
            return (
                "job-exits",
                job(32),
                own,
                "default_policy = \"baseline\"",
                (0..32).map(|i| ("job-exits", job(i))).collect(),
            );
        }
        // Checked against when the message reached its queue, which only a batch from SQS knows:
        // see `message_for`. The sample's `time` is 2026-11-02T08:00:00Z.
        ErrorCode::TimeInFuture => (registrations, registration(&[])),
    };
    (queue, body, own, "default_policy = \"baseline\"", Vec::new())
}

/// The `error_message` the pipeline gives the sample of `code`, checking that the code is `code`.
async fn message_for(code: ErrorCode) -> String {
    let (queue, body, senders, policies, before) = sample(code);
    let pipeline = Pipeline::new(
        MemoryStore::new(),
        MemoryPublisher::new(),
        MemorySealer::new(),
        PolicyBook::from_toml(policies, "policies.toml").unwrap(),
        PersonKeyer::new(b"error-codes-doc").unwrap(),
    )
    .with_senders(Senders::parse(&senders).unwrap());
    let time = ProcessingTime { today: "2026-11-05".parse().unwrap(), now: Utc::now() };
    let delivery = |queue, body| Delivery { queue, body, sender: Some(SENDER), redelivered: false };
    for (queue, body) in &before {
        pipeline.handle(delivery(queue, body), time).await.expect("the messages sent first are applied");
    }
    if code == ErrorCode::TimeInFuture {
        // It reached its queue ten minutes before the `time` it says it was recorded at.
        let sent_at = "2026-11-02T07:50:00Z".parse().unwrap();
        let bad = pipeline.parse_from(queue, &body, &Origin::sent_by(Some(SENDER)), Some(sent_at)).unwrap_err();
        assert_eq!(bad.code, code, "the sample of `{code}` gives another code: {bad}");
        return bad.message;
    }
    match pipeline.handle(delivery(queue, &body), time).await {
        Err(Failure::Permanent(bad)) => {
            assert_eq!(bad.code, code, "the sample of `{code}` gives another code: {bad}");
            bad.message
        }
        other => panic!("the sample of `{code}` is not refused as bad input: {other:?}"),
    }
}

#[tokio::test]
async fn every_example_message_is_what_the_pipeline_writes() {
    let rows = rows();
    for code in ErrorCode::ALL {
        let row = rows.iter().find(|r| r[0] == format!("`{code}`")).expect("a row (checked above)");
        let shown = row[2].as_str();
        assert_eq!(shown, message_for(code).await, "docs/error-codes.md: the example `error_message` of `{code}`");
    }
}
