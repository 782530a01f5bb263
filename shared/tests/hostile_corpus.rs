//! The hostile corpus (`tests/hostile/`) through the embedded pipeline: every case is dead-lettered
//! with the code its file name gives, and nothing is stored or published.
//!
//! One file per case, `tests/hostile/<queue>/<error_code>--<case>.<json|bin>`; the file is the SQS
//! message body. A case that is hostile only given what came before (a message about another
//! a-kasse's member, rule R14) has a sibling `<error_code>--<case>.before.jsonl`: valid messages in
//! the replay format (`queue`, `body`), sent and applied first; the case then changes nothing they
//! left. SQS carries only Unicode text, so a `.bin` case (bytes that are not UTF-8) is sent
//! as what such bytes become on the way, with U+FFFD in place of each bad sequence. Two kinds of
//! case do more, by their name:
//!
//! - `...-then-redriven`: once dead-lettered, it is redriven as `samspil redrive --error-code
//!   <code>` sends it (by an operator whose role is a redrive principal here), and must be
//!   dead-lettered again with the same code.
//! - `...-forged-redrive-marks`: the sender puts samspil's own attributes on it, as a redriven
//!   message of the a-kasse it names would carry them ([`forged_marks`]); they must change nothing.
//!
//! The same cases go through the stack deployed into the emulator in
//! `tests/e2e/tests/stack/security.rs`, and seed the fuzz target (`make fuzz`).

use std::path::{Path, PathBuf};

use chrono::Utc;
use samspil::contract::Cpr;
use samspil::identity::PersonKeyer;
use samspil::pipeline::memory::{MemoryDeadLetters, MemoryPublisher, MemorySealer, MemoryStore};
use samspil::pipeline::{
    BatchHandler, BatchRecord, CprSealer, DeadLetters, Pipeline, ProcessingTime, Publisher, Store, Stored,
};
use samspil::policy::PolicyBook;
use samspil::senders::{Marks, Senders, redriven_marks};

/// The sender every case is sent by; registered for 067, 010 and 048 as in the local stack.
const SENDER: &str = "AIDAIT2UOQQY3AUEKVGXU";
/// The principal of a-kasse 099, in whose name the forged cases are written.
const AKASSE_099: &str = "AROAKASSE099";
/// An operator's role session, a redrive principal.
const OPERATOR: &str = "AROAOPERATOR:alice";
/// The role session of the function that dead-lettered a case.
const FUNCTION: &str = "AROAREGISTRATIONFN:samspil-registration";

/// What a sender writes on a `...-forged-redrive-marks` case: samspil's attributes as a redriven
/// message of 099's would carry them, and an `error_code` of its choosing.
fn forged_marks() -> Marks {
    Marks {
        redriven: true,
        sender: Some(AKASSE_099.into()),
        seal: Some("0".repeat(64)),
        dead_letter_senders: Some(AKASSE_099.into()),
    }
}

struct Case {
    queue: String,
    code: String,
    name: String,
    body: String,
    /// The messages the case needs to have been applied first: (queue, body).
    before: Vec<(String, String)>,
}

/// The `.before.jsonl` beside a case: its lines as (queue, body); none when there is no such file.
fn before(case: &Path) -> Vec<(String, String)> {
    let path = case.with_extension("before.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else { return Vec::new() };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let line: serde_json::Value = serde_json::from_str(line).expect("a replay-format line");
            (line["queue"].as_str().expect("queue").to_owned(), line["body"].to_string())
        })
        .collect()
}

fn corpus() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/hostile");
    let mut cases = Vec::new();
    for queue in ["registrations", "cv-completions", "job-exits"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(queue)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for path in files.into_iter().filter(|p| p.extension().is_some_and(|e| e == "json" || e == "bin")) {
            let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
            let (code, name) = stem.split_once("--").expect("<code>--<case>");
            let bytes = std::fs::read(&path).unwrap();
            cases.push(Case {
                queue: queue.into(),
                code: code.into(),
                name: name.into(),
                body: String::from_utf8_lossy(&bytes).into_owned(),
                before: before(&path),
            });
        }
    }
    cases
}

#[tokio::test]
async fn every_hostile_case_is_dead_lettered_with_its_code_and_changes_nothing() {
    let cases = corpus();
    assert!(cases.len() >= 25, "the corpus is in tests/hostile/");
    let senders =
        Senders::parse(&format!("{SENDER}=067,{SENDER}=010,{SENDER}=048,{AKASSE_099}=099,AROAOPERATOR=redrive"))
            .unwrap();
    let keyer = PersonKeyer::new(b"hostile-secret").unwrap();
    let pipeline =
        Pipeline::new(MemoryStore::new(), MemoryPublisher::new(), MemorySealer::new(), PolicyBook::repository(), keyer)
            .with_senders(senders);
    let handler = BatchHandler::new(pipeline, MemoryDeadLetters::new());
    let time = ProcessingTime { today: "2026-11-02".parse().unwrap(), now: Utc::now() };
    // When every message reached its queue (SQS `SentTimestamp`): after every case's own `time`
    // but the `time_in_future` cases' (rule R14).
    let sent_at: chrono::DateTime<Utc> = "2026-11-04T00:00:00Z".parse().unwrap();
    // What the cases need first, applied without a failure.
    let setup: Vec<BatchRecord> = cases
        .iter()
        .flat_map(|c| c.before.iter())
        .enumerate()
        .map(|(i, (queue, body))| BatchRecord {
            message_id: Some(format!("setup-{i}")),
            queue: queue.clone(),
            body: Some(body.clone()),
            sender: Some(SENDER.into()),
            redelivered: false,
            marks: Marks::default(),
            sent_at: Some(sent_at),
        })
        .collect();
    assert!(!setup.is_empty(), "some cases need messages before them (R14)");
    for record in &setup {
        let report = handler.handle(std::slice::from_ref(record), time).await;
        assert_eq!(report.counts.permanent_failures + report.counts.transient_failures, 0, "setup applied");
    }
    let stored_before = handler.pipeline().store().len();
    let held = setup_state(&handler).await;
    handler.pipeline().publisher().take();
    let (mut redriven, mut forged) = (0, 0);
    for case in &cases {
        let marks = if case.name.ends_with("forged-redrive-marks") { forged_marks() } else { Marks::default() };
        forged += usize::from(marks.redriven);
        let mut record = BatchRecord {
            message_id: Some(case.name.clone()),
            queue: case.queue.clone(),
            body: Some(case.body.clone()),
            sender: Some(SENDER.into()),
            redelivered: false,
            marks,
            sent_at: Some(sent_at),
        };
        let trips = if case.name.ends_with("-then-redriven") { 2 } else { 1 };
        for trip in 1..=trips {
            let report = handler.handle(std::slice::from_ref(&record), time).await;
            assert_eq!(
                report.counts.permanent_failures, 1,
                "{}/{} (trip {trip}): dead-lettered",
                case.queue, case.name
            );
            let letters = handler.dead_letters().take();
            assert_eq!(letters.len(), 1, "{}", case.name);
            assert_eq!(
                (letters[0].queue.as_str(), letters[0].error_code.as_str()),
                (case.queue.as_str(), case.code.as_str()),
                "{} (trip {trip})",
                case.name
            );
            assert_eq!(letters[0].body, case.body, "{}: the body is unchanged", case.name);
            assert!(!letters[0].error_message.contains("0101900001"), "{}: no CPR in error_message", case.name);
            // What `samspil redrive --error-code <code>` sends back, as the operator.
            let marks = redriven_marks(&letters[0].marks(), FUNCTION).expect("a principal");
            record =
                BatchRecord { sender: Some(OPERATOR.into()), marks, message_id: Some(format!("{trip}")), ..record };
        }
        redriven += trips - 1;
    }
    assert!(redriven >= 1 && forged >= 1, "the corpus has forged-then-redriven and forged-marks cases");
    assert_eq!(handler.pipeline().store().len(), stored_before, "no state was written");
    assert_eq!(setup_state(&handler).await, held, "the setup's person is as the setup left them");
    assert!(handler.pipeline().publisher().take().is_empty(), "nothing was published");
}

/// The stored state of the person the setup messages are about (every case's CPR number).
async fn setup_state<S: Store, P: Publisher, K: CprSealer, D: DeadLetters>(
    handler: &BatchHandler<S, P, K, D>,
) -> Option<Stored> {
    let keyer = PersonKeyer::new(b"hostile-secret").unwrap();
    let person = keyer.key(&Cpr::parse("0101900001").unwrap());
    handler.pipeline().store().load(&person).await.unwrap()
}
