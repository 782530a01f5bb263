//! `decide` and `summon` are total on parsed input: for every message the parser accepts, in any
//! sequence, on any processing day within the contract's bounds, under every built-in policy and a
//! policy at the edges of every range the policy file allows, deciding never panics and never
//! leaves the calendar (`Refusal::OutOfRange`). The only refusals are the two that depend on the
//! data: a municipality without a policy, and a message about another a-kasse's member (R14).
//!
//! The generator leans on the edges: the first and last day of the bounds (2000-01-01,
//! 2099-12-31), dates and numbers just outside them (which the parser must refuse), `prior_hours`
//! at 0, at the bound of 100,000 and far beyond it, and CloudEvents times at both ends.

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use samspil::contract::{self, ErrorCode, InboundMessage};
use samspil::domain::{Decision, PersonState, Refusal, decide, summon};
use samspil::identity::PersonKeyer;
use samspil::policy::PolicyBook;
use serde_json::{Value, json};

const CPR: &str = "0101900001";

/// Policies at both edges of every range the policy file allows.
const EDGES: &str = r#"
default_policy = "far"
[policies.far]
based_on = "rebild-jit"
target_week = 104
latest_week = 104
cv_prep_days = 60
notice_days = 60
summon_days = 60
cancel_horizon_days = 365
meeting_weekdays = ["sun"]
[policies.near]
based_on = "baseline"
target_week = 1
latest_week = 1
cv_prep_days = 0
notice_days = 0
summon_days = 1
cancel_horizon_days = 0
[municipalities.851]
name = "Aalborg"
policy = "near"
[municipalities.840]
name = "Rebild"
policy = "rebild-jit"
"#;

fn books() -> Vec<PolicyBook> {
    vec![PolicyBook::builtin(), PolicyBook::repository(), PolicyBook::from_toml(EDGES, "edges.toml").expect("edges")]
}

fn date() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just("2000-01-01".to_string()),
        3 => Just("2099-12-31".to_string()),
        1 => Just("2000-02-29".to_string()),
        1 => Just("2099-12-24".to_string()),
        1 => Just("1999-12-31".to_string()),
        1 => Just("2100-01-01".to_string()),
        1 => Just("0001-01-01".to_string()),
        1 => Just("9999-12-31".to_string()),
        6 => (0u64..36_524).prop_map(|n| (first() + Days::new(n)).to_string()),
    ]
}

fn first() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()
}

fn prior_hours() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(100_000)),
        Just(json!(99_999.999_9)),
        Just(json!(100_000.000_1)),
        Just(json!(6.0e8)),
        Just(json!(1.0e308)),
        Just(json!(f64::MIN_POSITIVE)),
        (0.0f64..100_000.0).prop_map(|h| json!(h)),
    ]
}

fn time() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("2000-01-01T00:00:00Z".to_string()),
        Just("2099-12-31T23:59:59+14:00".to_string()),
        Just("0001-01-01T00:00:00Z".to_string()),
        Just("9999-12-31T23:59:59Z".to_string()),
        (0i64..3_155_760_000).prop_map(|s| chrono::DateTime::from_timestamp(946_684_800 + s, 0).unwrap().to_rfc3339()),
    ]
}

fn source() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("urn:dk:akasse:067"), Just("urn:dk:akasse:010"), Just("urn:other")]
}

/// One SQS body (queue, JSON) of any inbound type, its values drawn from the edges above.
fn body() -> impl Strategy<Value = (&'static str, String)> {
    let registration = (date(), prior_hours(), prop_oneof![Just(37), Just(30)], prop_oneof![Just("851"), Just("840"), Just("999")], prop_oneof![Just("067"), Just("010")])
        .prop_map(|(day, hours, weekly, municipality, akasse)| {
            ("registrations", "dk.akasse.registration.v1", json!({"cpr": CPR, "municipality": municipality, "akasse": akasse, "registered_on": day, "prior_hours": hours, "weekly_hours": weekly}))
        });
    let cv = date()
        .prop_map(|day| ("cv-completions", "dk.akasse.cv-completed.v1", json!({"cpr": CPR, "completed_on": day})));
    let exit = date().prop_map(|day| ("job-exits", "dk.akasse.job-exit.v1", json!({"cpr": CPR, "job_starts_on": day})));
    let withdrawal = date()
        .prop_map(|day| ("job-exits", "dk.akasse.job-exit-withdrawn.v1", json!({"cpr": CPR, "job_starts_on": day})));
    (prop_oneof![3 => registration, 2 => cv, 2 => exit, 1 => withdrawal], source(), time(), 0u32..1000).prop_map(
        |((queue, event_type, data), source, time, id)| {
            let body = json!({"specversion": "1.0", "id": format!("m{id}"), "source": source, "type": event_type, "time": time, "data": data});
            (queue, body.to_string())
        },
    )
}

fn today() -> impl Strategy<Value = NaiveDate> {
    prop_oneof![
        Just(first()),
        Just(NaiveDate::from_ymd_opt(2099, 12, 31).unwrap()),
        (0u64..36_524).prop_map(|n| first() + Days::new(n))
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn decide_and_summon_never_panic_nor_leave_the_calendar_on_parsed_input(
        bodies in prop::collection::vec((body(), today()), 1..10),
        sweep_day in today(),
    ) {
        let keyer = PersonKeyer::new(b"total-secret").unwrap();
        let cpr = contract::Cpr::parse(CPR).unwrap();
        let person = keyer.key(&cpr);
        for policies in books() {
            let mut state = PersonState::default();
            for ((queue, body), day) in &bodies {
                let message: InboundMessage = match contract::parse(queue, body) {
                    Ok(message) => message,
                    Err(e) => {
                        // Outside the bounds is refused by the parser, with the field named.
                        prop_assert_ne!(e.code, ErrorCode::NotJson);
                        continue;
                    }
                };
                match decide(state.clone(), &person, &message, *day, &policies) {
                    Ok(Decision::Applied { state: next, .. } | Decision::Duplicate(next)) => state = next,
                    Err(Refusal::NoPolicy { .. } | Refusal::NotMember | Refusal::TooManyFacts) => {}
                    Err(Refusal::OutOfRange) => prop_assert!(false, "left the calendar on parsed input: {body}"),
                }
            }
            let run = contract::MessageKey { source: "urn:samspil:summons".into(), id: "sweep".into() };
            match summon(state, sweep_day, &policies, &cpr, &run) {
                Ok(_) | Err(Refusal::NoPolicy { .. }) => {}
                Err(other) => prop_assert!(false, "summon refused: {other:?}"),
            }
        }
    }
}
