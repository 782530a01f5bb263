//! The hostile corpus (`tests/hostile/`) through the embedded pipeline: every case is dead-lettered
//! with the code its file name gives, and nothing is stored or published.
//!
//! One file per case, `tests/hostile/<queue>/<error_code>--<case>.<json|bin>`; the file is the SQS
//! message body. A case that is hostile only given what came before (a message about another
//! a-kasse's member, rule R14) has a sibling `<error_code>--<case>.before.jsonl`: valid messages in
//! the replay format (`queue`, `body`), sent and applied first; the case then changes nothing they
//! left. SQS carries only Unicode text, so a `.bin` case (bytes that are not UTF-8) is sent
//! as what such bytes become on the way, with U+FFFD in place of each bad sequence. The same cases
//! go through the stack deployed into the emulator in `tests/e2e/tests/stack/security.rs`, and
//! seed the fuzz target (`make fuzz`).

use std::path::{Path, PathBuf};

use chrono::Utc;
use samspil::contract::Cpr;
use samspil::identity::PersonKeyer;
use samspil::pipeline::memory::{MemoryDeadLetters, MemoryPublisher, MemorySealer, MemoryStore};
use samspil::pipeline::{
    BatchHandler, BatchRecord, CprSealer, DeadLetters, Pipeline, ProcessingTime, Publisher, Store, Stored,
};
use samspil::policy::PolicyBook;
use samspil::senders::Senders;

/// The sender every case is sent by; registered for 067, 010 and 048 as in the local stack.
const SENDER: &str = "AIDAIT2UOQQY3AUEKVGXU";

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
    let senders = Senders::parse(&format!("{SENDER}=067,{SENDER}=010,{SENDER}=048")).unwrap();
    let keyer = PersonKeyer::new(b"hostile-secret").unwrap();
    let pipeline =
        Pipeline::new(MemoryStore::new(), MemoryPublisher::new(), MemorySealer::new(), PolicyBook::repository(), keyer)
            .with_senders(senders);
    let handler = BatchHandler::new(pipeline, MemoryDeadLetters::new());
    let time = ProcessingTime { today: "2026-11-02".parse().unwrap(), now: Utc::now() };
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
    for case in &cases {
        let record = BatchRecord {
            message_id: Some(case.name.clone()),
            queue: case.queue.clone(),
            body: Some(case.body.clone()),
            sender: Some(SENDER.into()),
            redelivered: false,
        };
        let report = handler.handle(&[record], time).await;
        assert_eq!(report.counts.permanent_failures, 1, "{}/{}: dead-lettered", case.queue, case.name);
        let letters = handler.dead_letters().take();
        assert_eq!(letters.len(), 1, "{}", case.name);
        assert_eq!(
            (letters[0].queue.as_str(), letters[0].error_code.as_str()),
            (case.queue.as_str(), case.code.as_str()),
            "{}",
            case.name
        );
        assert_eq!(letters[0].body, case.body, "{}: the body is unchanged", case.name);
        assert!(!letters[0].error_message.contains("0101900001"), "{}: no CPR in error_message", case.name);
    }
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
