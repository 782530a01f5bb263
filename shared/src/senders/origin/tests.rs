//! Working out who a message is checked as: the SQS sender, or a redriven message's original
//! sender from samspil's marks, never from marks an a-kasse wrote.

use super::*;
use crate::contract::{InboundMessage, parse};

const QUEUE: &str = "registrations";
const BODY: &str = "{\"a\":\"body\"}";

fn senders() -> Senders {
    Senders::parse("AROAKASSE048=048,AROAKASSE067=067,AROAOPERATOR=redrive,AROAOTHEROPS=redrive").unwrap()
}

fn seal() -> ProvenanceSeal {
    ProvenanceSeal::new(&PersonKeyer::new(b"origin-secret").unwrap())
}

/// Who a delivery of [`BODY`] on [`QUEUE`] sent by `sender` with `marks` is checked as.
fn origin(sender: &str, marks: &Marks) -> Origin {
    let seal = seal();
    senders().origin(Some(sender), marks, |claimed, s| seal.verifies(QUEUE, claimed, BODY, s))
}

/// The marks of a dead letter the pipeline wrote after checking [`BODY`] against `sender`.
fn sealed(sender: Option<&str>) -> Marks {
    let provenance = seal().provenance(QUEUE, sender, BODY);
    Marks { sender: provenance.sender, seal: Some(provenance.seal), ..Marks::default() }
}

fn redriven(dead_letter: &Marks, dead_letter_sender: &str) -> Marks {
    redriven_marks(dead_letter, dead_letter_sender).expect("a principal")
}

fn checked_as(sender: &str) -> Origin {
    Origin { sender: Some(sender.into()), redriven: true, unresolved: None }
}

fn registration(akasse: &str) -> InboundMessage {
    let body = serde_json::json!({
        "specversion": "1.0", "id": "r1", "source": format!("urn:dk:akasse:{akasse}"),
        "type": "dk.akasse.registration.v1", "time": "2026-11-02T08:00:00+01:00",
        "data": {"cpr": "0101900000", "municipality": "851", "akasse": akasse, "registered_on": "2026-11-02"},
    });
    parse(QUEUE, &body.to_string()).expect("a valid registration")
}

#[test]
fn an_akasse_s_own_samspil_attributes_are_ignored() {
    let forged = Marks {
        redriven: true,
        sender: Some("AROAKASSE067".into()),
        seal: Some("00".repeat(32)),
        dead_letter_senders: Some("AROAKASSE067".into()),
    };
    let got = origin("AROAKASSE048:batch", &forged);
    assert_eq!(got, Origin { sender: Some("AROAKASSE048".into()), redriven: false, unresolved: None });
    assert!(senders().check_origin(&got, &registration("067")).is_err(), "still 048's message");
}

#[test]
fn a_seal_holds_only_for_its_queue_sender_and_body() {
    let s = seal();
    let p = s.provenance(QUEUE, Some("AROAKASSE048"), BODY);
    assert_eq!(p.seal.len(), 64);
    assert!(s.verifies(QUEUE, Some("AROAKASSE048"), BODY, &p.seal));
    assert!(!s.verifies(QUEUE, Some("AROAKASSE067"), BODY, &p.seal), "another sender");
    assert!(!s.verifies(QUEUE, None, BODY, &p.seal), "no sender");
    assert!(!s.verifies("job-exits", Some("AROAKASSE048"), BODY, &p.seal), "another queue");
    assert!(!s.verifies(QUEUE, Some("AROAKASSE048"), "{}", &p.seal), "another body");
    assert!(!s.verifies(QUEUE, Some("AROAKASSE048"), BODY, "not hex"));
    let other = ProvenanceSeal::new(&PersonKeyer::new(b"another-secret").unwrap());
    assert!(!other.verifies(QUEUE, Some("AROAKASSE048"), BODY, &p.seal), "another secret");
    assert!(!format!("{s:?}").contains("origin-secret"));
}

#[test]
fn a_sealed_dead_letter_comes_back_as_the_sender_it_was_checked_against() {
    // The pipeline dead-lettered 048's message (sent in 067's name); the operator redrives it.
    let back = redriven(&sealed(Some("AROAKASSE048")), "AROAREGISTRATIONFN:samspil-registration");
    assert_eq!(origin("AROAOPERATOR:alice", &back), checked_as("AROAKASSE048"));
    let mismatch = senders().check_origin(&checked_as("AROAKASSE048"), &registration("067")).unwrap_err();
    assert_eq!(mismatch.code.as_str(), "sender_mismatch");
    // Redriven again after running out of retries, by another operator: still 048's.
    let again = redriven(&back, "AROAOPERATOR:alice");
    assert_eq!(origin("AROAOTHEROPS:bob", &again), checked_as("AROAKASSE048"));
}

#[test]
fn a_forged_or_stale_seal_falls_back_to_the_dead_letter_s_sender() {
    // The seal does not hold (forged, or made before the secret was rotated): the dead letter's
    // SenderId counts, here a function's role, which sends for no a-kasse.
    let mut dead_letter = sealed(Some("AROAKASSE067"));
    dead_letter.seal = Some("ab".repeat(32));
    let back = redriven(&dead_letter, "AROAREGISTRATIONFN:samspil-registration");
    let got = origin("AROAOPERATOR:alice", &back);
    assert_eq!(got, checked_as("AROAREGISTRATIONFN"));
    assert!(senders().check_origin(&got, &registration("067")).is_err());
}

#[test]
fn a_message_sqs_moved_after_its_retries_comes_back_as_its_sender_whatever_it_claimed() {
    // 048 put forged marks on a message in 067's name; an outage sent it to the DLQ unprocessed.
    let forged = Marks {
        redriven: true,
        sender: Some("AROAKASSE067".into()),
        seal: Some("cd".repeat(32)),
        dead_letter_senders: Some("AROAKASSE067,AROAOPERATOR".into()),
    };
    let back = redriven(&forged, "AROAKASSE048:batch");
    assert_eq!(back.dead_letter_senders.as_deref(), Some("AROAKASSE067,AROAOPERATOR,AROAKASSE048"));
    assert_eq!(origin("AROAOPERATOR:alice", &back), checked_as("AROAKASSE048"));
    // 067's own message, moved the same way: 067's.
    let genuine = redriven(&Marks::default(), "AROAKASSE067:batch");
    assert_eq!(origin("AROAOPERATOR:alice", &genuine), checked_as("AROAKASSE067"));
    // ... redriven during the outage, moved again after its retries, and redriven again.
    let twice = redriven(&genuine, "AROAOPERATOR:alice");
    assert_eq!(twice.dead_letter_senders.as_deref(), Some("AROAKASSE067,AROAOPERATOR"));
    assert_eq!(origin("AROAOTHEROPS:bob", &twice), checked_as("AROAKASSE067"));
}

#[test]
fn a_redriven_message_without_an_established_original_sender_is_refused() {
    let refused = |marks: &Marks| {
        let got = origin("AROAOPERATOR:alice", marks);
        assert_eq!((got.sender.as_deref(), got.unresolved.is_some()), (None, true), "{marks:?}");
        let err = senders().check_origin(&got, &registration("067")).unwrap_err();
        assert_eq!(err.code.as_str(), "sender_mismatch");
        err.message
    };
    let message = refused(&Marks { redriven: true, ..Marks::default() });
    assert!(message.contains("must name its original sender"), "{message}");
    refused(&Marks { dead_letter_senders: Some("AROAOPERATOR".into()), ..Marks::default() });
    refused(&Marks { dead_letter_senders: Some("AROAKASSE067,AROAOPERATOR:alice".into()), ..Marks::default() });
    refused(&Marks { dead_letter_senders: Some(String::new()), ..Marks::default() });
    let long = ["AROAKASSE067"; MAX_DEAD_LETTER_SENDERS + 1].join(",");
    refused(&Marks { dead_letter_senders: Some(long), ..Marks::default() });
    // Sealed without a sender: the pipeline could not establish one the last time either.
    refused(&sealed(None));
}

#[test]
fn redrive_appends_the_dead_letter_s_principal_and_keeps_at_most_the_newest_entries() {
    let letter = Marks { dead_letter_senders: Some("not a principal!,AROAA,AROAB".into()), ..sealed(Some("AROAX")) };
    let back = redriven(&letter, "AROAC:session:with:colons");
    assert_eq!(back.dead_letter_senders.as_deref(), Some("AROAA,AROAB,AROAC"));
    assert_eq!((back.sender.as_deref(), back.seal.as_ref()), (Some("AROAX"), letter.seal.as_ref()));
    assert!(back.redriven);
    let full = Marks { dead_letter_senders: Some(vec!["AROAA"; 20].join(",")), ..Marks::default() };
    let back = redriven(&full, "AROAB");
    let list: Vec<&str> = back.dead_letter_senders.as_deref().unwrap().split(',').collect();
    assert_eq!(list.len(), MAX_DEAD_LETTER_SENDERS);
    assert_eq!(list.last(), Some(&"AROAB"));
    assert_eq!(redriven_marks(&Marks::default(), ""), None, "no SenderId: not moved");
    assert_eq!(redriven_marks(&Marks::default(), "AROA-X:s"), None);
}

#[test]
fn marks_read_and_write_the_same_attributes() {
    let marks = redriven(&sealed(Some("AROAKASSE048")), "AROAFN:s");
    let attributes = marks.attributes();
    let names: Vec<&str> = attributes.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, [REDRIVEN_ATTRIBUTE, SENDER_ATTRIBUTE, SEAL_ATTRIBUTE, DEAD_LETTER_SENDERS_ATTRIBUTE]);
    let read = Marks::read(|name| attributes.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()));
    assert_eq!(read, marks);
    assert!(Marks::default().attributes().is_empty());
}

#[test]
fn without_a_map_nothing_is_checked_and_the_mark_is_trusted() {
    let marks = Marks { redriven: true, ..Marks::default() };
    let got = Senders::unchecked().origin(Some("AIDAANY:s"), &marks, |_, _| false);
    assert_eq!(got, Origin { sender: Some("AIDAANY".into()), redriven: true, unresolved: None });
    assert!(Senders::unchecked().check_origin(&got, &registration("067")).is_ok());
}
