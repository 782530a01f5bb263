//! Fuzzes what an a-kasse system can reach: parsing and validation of an SQS body, the sender
//! check, and `decide` on the person's state the earlier messages built.
//!
//! Input: up to four messages separated by the byte 0x1E (record separator). Each message's first
//! byte picks its queue (registrations, cv-completions, job-exits) and the processing day (near
//! 2026-11-02 for small values, anywhere from 2000 to 2099 for the others); the rest is the body,
//! as SQS would carry it (invalid UTF-8 becomes U+FFFD). The dictionary `fuzz/pipeline.dict` gives
//! the mutator the contract's edges: the first and last dates of the bounds and just beyond them,
//! `prior_hours` at and far past its bound, huge and tiny numbers. Besides "never panics", it checks
//! what must hold for every input:
//!
//! - a message the parser accepts never makes `decide` leave the calendar (`OutOfRange`);
//! - an error message never holds a run of six digits (it names fields, never values: no CPR);
//! - a decided state survives a JSON round trip (what DynamoDB stores) unchanged, and holds no CPR;
//! - the same message decided again on the new state is a duplicate (rule R10);
//! - every update carries the message's CPR and a sequence of at least 1.
//!
//! Seeded from tests/hostile/ and examples/ by scripts/fuzz.sh.

#![no_main]

use chrono::{Days, NaiveDate};
use libfuzzer_sys::fuzz_target;
use samspil::contract::{BadInput, Fact};
use samspil::domain::{Decision, PersonState, Refusal, decide};
use samspil::identity::PersonKeyer;
use samspil::policy::PolicyBook;
use samspil::senders::Senders;
use std::sync::OnceLock;

const QUEUES: [&str; 3] = ["registrations", "cv-completions", "job-exits"];
const SENDER: &str = "AIDAIT2UOQQY3AUEKVGXU";

struct Fixed {
    policies: PolicyBook,
    keyer: PersonKeyer,
    senders: Senders,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| Fixed {
        policies: PolicyBook::repository(),
        keyer: PersonKeyer::new(b"fuzz-secret").unwrap(),
        senders: Senders::parse(&format!("{SENDER}=067,{SENDER}=010,{SENDER}=048")).unwrap(),
    })
}

fn assert_names_no_value(error: &BadInput) {
    let mut run = 0;
    for c in error.message.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        assert!(run < 6, "an error message holds a run of digits: {:?}", error.code);
    }
}

fuzz_target!(|data: &[u8]| {
    let fixed = fixed();
    let mut state: Option<PersonState> = None;
    let mut person = None;
    for chunk in data.split(|b| *b == 0x1E).take(4) {
        let Some((&selector, body)) = chunk.split_first() else { continue };
        let queue = QUEUES[usize::from(selector % 3)];
        let today = match selector / 3 {
            n @ 0..10 => NaiveDate::from_ymd_opt(2026, 11, 2).unwrap() + Days::new(u64::from(n) * 5),
            n => NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + Days::new(u64::from(n - 10) * 480),
        };
        let body = String::from_utf8_lossy(body);
        let message = match samspil::contract::parse(queue, &body) {
            Ok(message) => message,
            Err(error) => {
                assert_names_no_value(&error);
                continue;
            }
        };
        if let Err(error) = fixed.senders.check(Some(SENDER), &message) {
            assert_names_no_value(&error);
            continue;
        }
        if let Fact::Registration(r) = &message.fact {
            assert_eq!(message.fact.kind().queue(), queue);
            assert_eq!(r.municipality.len(), 3);
        }
        // One person per input: the first valid message's CPR keys the state.
        let key = person.get_or_insert_with(|| fixed.keyer.key(&message.cpr)).clone();
        let before = state.take().unwrap_or_default();
        let decision = match decide(before.clone(), &key, &message, today, &fixed.policies) {
            Ok(decision) => decision,
            Err(Refusal::OutOfRange) => panic!("a parsed message made decide leave the calendar"),
            Err(_) => {
                state = Some(before);
                continue;
            }
        };
        let next = match decision {
            Decision::Duplicate(s) => s,
            Decision::Applied { state: next, updates } => {
                for update in &updates {
                    assert_eq!(update.cpr, message.cpr);
                    assert!(update.sequence >= 1);
                }
                let again = decide(next.clone(), &key, &message, today, &fixed.policies).unwrap();
                assert!(matches!(again, Decision::Duplicate(_)), "a message decided twice is a duplicate");
                next
            }
        };
        let json = serde_json::to_string(&next).unwrap();
        assert!(!json.contains(message.cpr.expose()), "the stored state holds the CPR number");
        let back: PersonState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, next, "the state survives its JSON round trip");
        let stored = samspil::codec::encode(&key, &next);
        let back = samspil::codec::decode(&key, &stored).expect("the stored encoding decodes");
        assert_eq!(back, next, "the state survives its stored (compact) round trip");
        state = Some(next);
    }
});
