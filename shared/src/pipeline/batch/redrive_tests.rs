//! Batches with distinct principals, as in AWS: a-kasse senders, a function's role dead-lettering,
//! and an operator redriving. A redrive keeps the original sender and has it checked again; marks
//! an a-kasse writes itself change nothing. (The emulator reports one sender for every message;
//! the same cases run there in `tests/e2e/tests/stack/security.rs`.)

use crate::pipeline::memory::{DeadLetter, MemoryDeadLetters, MemoryPublisher, MemorySealer, MemoryStore};
use crate::pipeline::{BatchHandler, BatchRecord, BatchReport, Pipeline};
use crate::policy::PolicyBook;
use crate::senders::{Marks, Senders, redriven_marks};

use super::tests::{ALICE, BOB, registration, time};

const AKASSE_067: &str = "AROAKASSE067:batch-1";
const AKASSE_048: &str = "AROAKASSE048:batch-7";
const OPERATOR: &str = "AROAOPERATOR:alice";
/// The registration function's role session, the `SenderId` of what it dead-letters.
const FUNCTION: &str = "AROAREGISTRATIONFN:samspil-registration";

type Handler = BatchHandler<MemoryStore, MemoryPublisher, MemorySealer, MemoryDeadLetters>;

fn handler_with(policies: PolicyBook) -> Handler {
    let senders = Senders::parse("AROAKASSE067=067,AROAKASSE048=048,AROAOPERATOR=redrive").unwrap();
    let keyer = crate::identity::PersonKeyer::new(b"test-secret").unwrap();
    let pipeline = Pipeline::new(MemoryStore::new(), MemoryPublisher::new(), MemorySealer::new(), policies, keyer)
        .with_senders(senders);
    BatchHandler::new(pipeline, MemoryDeadLetters::new())
}

fn handler() -> Handler {
    handler_with(PolicyBook::builtin())
}

/// A handler whose policy file lacks Aalborg and has no default: a registration for Aalborg is
/// dead-lettered as `unknown_municipality`, a genuine dead letter of its sender.
fn handler_without_aalborg() -> Handler {
    let no_policy = PolicyBook::from_toml("[municipalities.860]\nname = \"Hjørring\"\npolicy = \"baseline\"\n", "t")
        .expect("a policy file");
    handler_with(no_policy)
}

fn sent(id: &str, sender: &str, body: &str, marks: Marks) -> BatchRecord {
    BatchRecord {
        message_id: Some(id.into()),
        queue: "registrations".into(),
        body: Some(body.into()),
        sender: Some(sender.into()),
        redelivered: false,
        marks,
        sent_at: None,
    }
}

/// What `samspil redrive` sends back for `letter`, which the function's role dead-lettered.
fn redriven(id: &str, letter: &DeadLetter) -> BatchRecord {
    let marks = redriven_marks(&letter.marks(), FUNCTION).expect("a principal");
    sent(id, OPERATOR, &letter.body, marks)
}

fn only_letter(h: &Handler) -> DeadLetter {
    let mut letters = h.dead_letters().take();
    assert_eq!(letters.len(), 1, "one dead letter");
    letters.remove(0)
}

async fn one(h: &Handler, record: BatchRecord) -> BatchReport {
    h.handle(&[record], time()).await
}

#[tokio::test]
async fn a_forged_registration_dead_lettered_as_sender_mismatch_is_refused_again_after_a_redrive() {
    let h = handler();
    // 048 sends a registration in 067's name (source and data.akasse 067).
    let forged = registration("r-forged", ALICE, "2026-11-02");
    let report = one(&h, sent("m1", AKASSE_048, &forged, Marks::default())).await;
    assert_eq!(report.counts.permanent_failures, 1);
    let letter = only_letter(&h);
    assert_eq!(letter.error_code, "sender_mismatch");
    assert_eq!(letter.provenance.sender.as_deref(), Some("AROAKASSE048"), "the real sender, recorded");

    // The operator redrives sender_mismatch on purpose: it is 048's message still.
    let report = one(&h, redriven("m2", &letter)).await;
    assert_eq!((report.counts.permanent_failures, report.counts.scheduled), (1, 0), "refused again");
    let again = only_letter(&h);
    assert_eq!(
        (again.error_code.as_str(), again.provenance.sender.as_deref()),
        ("sender_mismatch", Some("AROAKASSE048"))
    );
    // And after any number of redrives.
    let report = one(&h, redriven("m3", &again)).await;
    assert_eq!(report.counts.permanent_failures, 1);
    assert_eq!(only_letter(&h).error_code, "sender_mismatch");
    assert!(h.pipeline().store().is_empty(), "nothing stored");
    assert!(h.pipeline().publisher().take().is_empty(), "nothing published");
}

#[tokio::test]
async fn forged_marks_on_an_akasse_s_own_message_launder_nothing() {
    let h = handler();
    let forged = registration("r-forged", ALICE, "2026-11-02");
    // 048 writes what a redriven message of 067's would carry; it is still 048's message.
    let marks = Marks {
        redriven: true,
        sender: Some("AROAKASSE067".into()),
        seal: Some("00".repeat(32)),
        dead_letter_senders: Some("AROAKASSE067".into()),
    };
    let report = one(&h, sent("m1", AKASSE_048, &forged, marks)).await;
    assert_eq!(report.counts.permanent_failures, 1);
    let letter = only_letter(&h);
    assert_eq!(
        (letter.error_code.as_str(), letter.provenance.sender.as_deref()),
        ("sender_mismatch", Some("AROAKASSE048"))
    );
    assert!(h.pipeline().store().is_empty());
}

#[tokio::test]
async fn a_message_an_akasse_marks_as_redriven_is_a_plain_duplicate_and_republishes_nothing() {
    let h = handler();
    let body = registration("r1", ALICE, "2026-11-02");
    let report = one(&h, sent("m1", AKASSE_067, &body, Marks::default())).await;
    assert_eq!(report.counts.scheduled, 1);
    assert_eq!(h.pipeline().publisher().take().len(), 1);

    let marked = Marks { redriven: true, ..Marks::default() };
    let report = one(&h, sent("m2", AKASSE_067, &body, marked)).await;
    assert_eq!(report.counts.duplicates, 1);
    assert!(h.pipeline().publisher().take().is_empty(), "a fresh duplicate publishes nothing again");
}

#[tokio::test]
async fn a_genuine_dead_letter_comes_back_as_its_sender_and_a_redrive_republishes_what_it_caused() {
    // 067's registration for Aalborg while the policy file lacks Aalborg and has no default.
    let before = handler_without_aalborg();
    let body = registration("r1", ALICE, "2026-11-02");
    one(&before, sent("m1", AKASSE_067, &body, Marks::default())).await;
    let letter = only_letter(&before);
    assert_eq!(
        (letter.error_code.as_str(), letter.provenance.sender.as_deref()),
        ("unknown_municipality", Some("AROAKASSE067"))
    );

    // Fixed; redriven: processed as 067's.
    let after = handler();
    let report = one(&after, redriven("m2", &letter)).await;
    assert_eq!(report.counts.scheduled, 1, "{report:?}");
    assert_eq!(after.pipeline().publisher().take().len(), 1);

    // A message SQS moved after its retries (no seal; its own SenderId), redriven after it had in
    // fact been processed: the operator's mark is honoured, its update is published again.
    let bob = registration("r2", BOB, "2026-11-02");
    one(&after, sent("m3", AKASSE_067, &bob, Marks::default())).await;
    assert_eq!(after.pipeline().publisher().take().len(), 1);
    let moved = redriven_marks(&Marks::default(), AKASSE_067).expect("a principal");
    let report = one(&after, sent("m4", OPERATOR, &bob, moved)).await;
    assert_eq!(report.counts.duplicates, 1);
    assert_eq!(after.pipeline().publisher().take().len(), 1, "the redriven duplicate republishes its update");
    assert_eq!(after.pipeline().store().len(), 2, "Alice and Bob, each once");
}

/// A dead letter sent back by a role that is not a redrive principal (an operator in a hurry with
/// the wrong role) is checked as that role and dead-lettered again, but keeps its original sender:
/// a proper redrive afterwards still checks it as 048's, and a genuine message of 067's still
/// comes back as 067's.
#[tokio::test]
async fn a_dead_letter_sent_back_by_another_role_keeps_its_original_sender() {
    const STRANGER: &str = "AROASTRANGER:bob";
    let h = handler();
    let forged = registration("r-forged", ALICE, "2026-11-02");
    one(&h, sent("m1", AKASSE_048, &forged, Marks::default())).await;
    let letter = only_letter(&h);
    let wrong_role = sent("m2", STRANGER, &letter.body, redriven_marks(&letter.marks(), FUNCTION).unwrap());
    assert_eq!(one(&h, wrong_role).await.counts.permanent_failures, 1);
    let again = only_letter(&h);
    assert_eq!(again.provenance.sender.as_deref(), Some("AROAKASSE048"), "the original sender, not the role");
    // A proper redrive of that dead letter (moved from the queue the stranger's message reached).
    let marks = redriven_marks(&again.marks(), FUNCTION).unwrap();
    let report = one(&h, sent("m3", OPERATOR, &again.body, marks)).await;
    assert_eq!((report.counts.permanent_failures, report.counts.scheduled), (1, 0), "still 048's: refused");
    assert_eq!(only_letter(&h).provenance.sender.as_deref(), Some("AROAKASSE048"));

    // 067's own message, dead-lettered, sent back by the stranger, then redriven properly: 067's.
    let before = handler_without_aalborg();
    let body = registration("r1", BOB, "2026-11-02");
    one(&before, sent("m1", AKASSE_067, &body, Marks::default())).await;
    let letter = only_letter(&before);
    let wrong_role = sent("m2", STRANGER, &letter.body, redriven_marks(&letter.marks(), FUNCTION).unwrap());
    one(&before, wrong_role).await;
    let again = only_letter(&before);
    assert_eq!(again.provenance.sender.as_deref(), Some("AROAKASSE067"));
    let after = handler();
    let marks = redriven_marks(&again.marks(), FUNCTION).unwrap();
    assert_eq!(one(&after, sent("m3", OPERATOR, &again.body, marks)).await.counts.scheduled, 1);
}
