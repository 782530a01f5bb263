//! Inbound parsing, happy paths: every type, the defaults, unknown members, escaped strings.
//! (Bad input, code by code, is in `contract_inbound_errors.rs`.)
//!
//! All CPR numbers here are synthetic.

use chrono::NaiveDate;
use samspil::contract::{
    AkasseParticipation, CvCompleted, ErrorCode, ExitReason, Fact, JobExit, JobExitWithdrawal, MessageKey,
    Registration, WeeklyHours, parse,
};
use serde_json::{Value, json};

const CPR: &str = "0101901234";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn event(event_type: &str, data: Value) -> String {
    json!({
        "specversion": "1.0",
        "id": "msg-1",
        "source": "urn:dk:akasse:067",
        "type": event_type,
        "time": "2026-09-01T08:15:00+02:00",
        "datacontenttype": "application/json",
        "data": data,
    })
    .to_string()
}

fn registration(data: Value) -> Registration {
    let message = parse("registrations", &event("dk.akasse.registration.v1", data)).expect("a valid registration");
    match message.fact {
        Fact::Registration(r) => r,
        other => panic!("expected a registration, got {other:?}"),
    }
}

#[test]
fn registration_with_every_field() {
    let body = event(
        "dk.akasse.registration.v1",
        json!({
            "cpr": CPR, "municipality": "840", "akasse": "067", "registered_on": "2026-09-01",
            "prior_hours": 74.5, "weekly_hours": 30, "akasse_participation": "opted_out",
        }),
    );
    let message = parse("registrations", &body).unwrap();
    assert_eq!(message.key, MessageKey { source: "urn:dk:akasse:067".into(), id: "msg-1".into() });
    assert_eq!(message.cpr.expose(), CPR);
    assert_eq!(
        message.fact,
        Fact::Registration(Registration {
            municipality: "840".into(),
            akasse: "067".into(),
            registered_on: day(2026, 9, 1),
            prior_hours: 74.5,
            weekly_hours: WeeklyHours::PartTime,
            akasse_participation: AkasseParticipation::OptedOut,
        })
    );
}

#[test]
fn registration_defaults() {
    let r = registration(json!({ "cpr": CPR, "municipality": "851", "akasse": "067", "registered_on": "2026-09-01" }));
    assert_eq!(r.prior_hours, 0.0);
    assert_eq!(r.weekly_hours, WeeklyHours::FullTime);
    assert_eq!(r.akasse_participation, AkasseParticipation::Yes);
}

#[test]
fn null_optional_fields_take_their_defaults() {
    let r = registration(json!({
        "cpr": CPR, "municipality": "851", "akasse": "067", "registered_on": "2026-09-01",
        "prior_hours": null, "weekly_hours": null, "akasse_participation": null,
    }));
    assert_eq!(
        (r.prior_hours, r.weekly_hours, r.akasse_participation),
        (0.0, WeeklyHours::FullTime, AkasseParticipation::Yes)
    );
}

#[test]
fn registration_accepts_integer_and_float_spellings() {
    let base = json!({ "cpr": CPR, "municipality": "840", "akasse": "067", "registered_on": "2026-09-01" });
    let with = |key: &str, value: Value| {
        let mut data = base.clone();
        data[key] = value;
        registration(data)
    };
    assert_eq!(with("weekly_hours", json!(37.0)).weekly_hours, WeeklyHours::FullTime);
    assert_eq!(with("weekly_hours", json!(30)).weekly_hours, WeeklyHours::PartTime);
    assert_eq!(with("prior_hours", json!(0)).prior_hours, 0.0);
    assert_eq!(with("prior_hours", json!(-0.0)).prior_hours.to_bits(), 0.0f64.to_bits());
    assert_eq!(with("prior_hours", json!(1e3)).prior_hours, 1000.0);
    assert_eq!(with("akasse_participation", json!("yes")).akasse_participation, AkasseParticipation::Yes);
}

#[test]
fn cv_completed() {
    let message = parse(
        "cv-completions",
        &event("dk.akasse.cv-completed.v1", json!({ "cpr": CPR, "completed_on": "2026-09-24" })),
    )
    .unwrap();
    assert_eq!(message.fact, Fact::CvCompleted(CvCompleted { completed_on: day(2026, 9, 24) }));
    assert_eq!(message.cpr.expose(), CPR);
}

#[test]
fn job_exit_with_each_reason_and_the_default() {
    for (reason, expected) in [
        (Some("job"), ExitReason::Job),
        (Some("education"), ExitReason::Education),
        (Some("other"), ExitReason::Other),
        (None, ExitReason::Job),
    ] {
        let mut data = json!({ "cpr": CPR, "job_starts_on": "2026-10-01" });
        if let Some(reason) = reason {
            data["reason"] = json!(reason);
        }
        let message = parse("job-exits", &event("dk.akasse.job-exit.v1", data)).unwrap();
        assert_eq!(message.fact, Fact::JobExit(JobExit { job_starts_on: day(2026, 10, 1), reason: expected }));
    }
}

#[test]
fn job_exit_withdrawn_on_the_job_exits_queue() {
    let body = event("dk.akasse.job-exit-withdrawn.v1", json!({ "cpr": CPR, "job_starts_on": "2026-10-01" }));
    let message = parse("job-exits", &body).unwrap();
    assert_eq!(message.fact, Fact::JobExitWithdrawn(JobExitWithdrawal { job_starts_on: day(2026, 10, 1) }));
    assert_eq!(message.cpr.expose(), CPR);
    let missing = event("dk.akasse.job-exit-withdrawn.v1", json!({ "cpr": CPR }));
    let e = parse("job-exits", &missing).unwrap_err();
    assert_eq!(e.code, ErrorCode::MissingField);
    assert!(e.message.contains("`data.job_starts_on`"), "{e}");
    let e = parse("cv-completions", &body).unwrap_err();
    assert_eq!(e.code, ErrorCode::WrongQueue);
    assert!(!e.message.contains(CPR));
}

#[test]
fn the_cloudevents_time_is_kept_as_an_instant() {
    let body = event("dk.akasse.cv-completed.v1", json!({ "cpr": CPR, "completed_on": "2026-09-24" }));
    let message = parse("cv-completions", &body).unwrap();
    // 08:15 at +02:00 is 06:15 UTC.
    assert_eq!(message.time, "2026-09-01T06:15:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap());
}

#[test]
fn unknown_members_are_ignored_everywhere() {
    let body = json!({
        "specversion": "1.0", "id": "x", "source": "s", "type": "dk.akasse.cv-completed.v1",
        "time": "2026-09-01T06:15:00Z", "subject": "ignored", "traceparent": "00-abc",
        "extension": { "nested": [1, 2, { "deep": null }] }, "flag": true,
        "data": { "cpr": CPR, "completed_on": "2026-09-24", "note": "hello", "extra": [true, false], "n": 1.5, "o": {} },
    })
    .to_string();
    let message = parse("cv-completions", &body).unwrap();
    assert_eq!(message.fact, Fact::CvCompleted(CvCompleted { completed_on: day(2026, 9, 24) }));
}

#[test]
fn datacontenttype_is_optional() {
    let body = r#"{"specversion":"1.0","id":"1","source":"s","type":"dk.akasse.cv-completed.v1",
        "time":"2026-09-01T06:15:00Z","data":{"cpr":"0101901234","completed_on":"2026-09-24"}}"#;
    assert!(parse("cv-completions", body).is_ok());
}

#[test]
fn escaped_strings_and_member_names() {
    // `\u0030` is "0", `\/` is "/", and the member names are escaped too.
    let body = r#"  {"sp\u0065cversion":"1.0","id":"m\u00e6ssage \"1\"","source":"urn:dk:akasse:067\/x",
        "type":"dk.akasse.registration.v1","time":"2026-09-01T08:15:00Z","datacontenttype":"application\/json",
        "data":{"c\u0070r":"\u0030101901234","municipality":"8\u00340","akasse":"067",
                "registered_on":"2026\u002d09-01","akasse_participation":"opted\u005fout"}}
    "#;
    let message = parse("registrations", body).unwrap();
    assert_eq!(message.key, MessageKey { source: "urn:dk:akasse:067/x".into(), id: "mæssage \"1\"".into() });
    assert_eq!(message.cpr.expose(), CPR);
    let Fact::Registration(r) = message.fact else { panic!("a registration") };
    assert_eq!(r.municipality, "840");
    assert_eq!(r.registered_on, day(2026, 9, 1));
    assert_eq!(r.akasse_participation, AkasseParticipation::OptedOut);
}

#[test]
fn id_length_counts_characters_not_bytes() {
    let id = "æ".repeat(128); // 256 bytes, 128 characters
    let body = json!({
        "specversion": "1.0", "id": id, "source": "s", "type": "dk.akasse.cv-completed.v1",
        "time": "2026-09-01T06:15:00Z", "data": { "cpr": CPR, "completed_on": "2026-09-24" },
    });
    assert_eq!(parse("cv-completions", &body.to_string()).unwrap().key.id, id);
}

#[test]
fn cpr_numbers_are_not_checked_with_modulus_11() {
    // 0101901234 fails the modulus-11 check (weighted sum 84); numbers issued since 2007 can.
    let weights = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
    let sum: u32 = CPR.bytes().zip(weights).map(|(b, w)| u32::from(b - b'0') * w).sum();
    assert_ne!(sum % 11, 0);
    registration(json!({ "cpr": CPR, "municipality": "840", "akasse": "067", "registered_on": "2026-09-01" }));
}

#[test]
fn cpr_day_and_month_edges_that_are_valid() {
    for cpr in ["2902001234", "2902961234", "3112991234", "3004851234", "3101001234", "0112201234"] {
        let body = event("dk.akasse.cv-completed.v1", json!({ "cpr": cpr, "completed_on": "2026-09-24" }));
        assert_eq!(parse("cv-completions", &body).unwrap().cpr.expose(), cpr);
    }
}

#[test]
fn leap_day_in_a_leap_year_is_a_date() {
    let body = event("dk.akasse.job-exit.v1", json!({ "cpr": CPR, "job_starts_on": "2028-02-29" }));
    let Fact::JobExit(exit) = parse("job-exits", &body).unwrap().fact else { panic!("a job exit") };
    assert_eq!(exit.job_starts_on, day(2028, 2, 29));
}

#[test]
fn unknown_municipality_is_not_the_parsers_concern() {
    // `unknown_municipality` is raised by the pipeline, which knows the policy file.
    let r = registration(json!({ "cpr": CPR, "municipality": "999", "akasse": "067", "registered_on": "2026-09-01" }));
    assert_eq!(r.municipality, "999");
}

#[test]
fn rfc3339_time_variants() {
    for time in
        ["2026-09-01T08:15:00Z", "2026-09-01T08:15:00.123456+02:00", "2026-09-01t08:15:00z", "2026-12-31T23:59:60Z"]
    {
        let body = json!({
            "specversion": "1.0", "id": "1", "source": "s", "type": "dk.akasse.cv-completed.v1",
            "time": time, "data": { "cpr": CPR, "completed_on": "2026-09-24" },
        });
        assert!(parse("cv-completions", &body.to_string()).is_ok(), "time {time}");
    }
}

#[test]
fn debug_output_of_a_parsed_message_masks_the_cpr() {
    let body = event("dk.akasse.cv-completed.v1", json!({ "cpr": CPR, "completed_on": "2026-09-24" }));
    let message = parse("cv-completions", &body).unwrap();
    assert!(!format!("{message:?}").contains(CPR));
}

/// Rough throughput on one core: `cargo test --release -p samspil --test contract_inbound -- --ignored --nocapture`.
#[test]
#[ignore = "timing, run in release mode"]
fn parse_throughput() {
    let body = event(
        "dk.akasse.registration.v1",
        json!({
            "cpr": CPR, "municipality": "840", "akasse": "067", "registered_on": "2026-09-01",
            "prior_hours": 74.5, "weekly_hours": 37, "akasse_participation": "yes", "note": "an unknown member",
        }),
    );
    let n = 1_000_000;
    let start = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(parse("registrations", std::hint::black_box(&body)).unwrap());
    }
    let per = start.elapsed() / n;
    println!("parse: {per:?} per message ({} bytes)", body.len());
}
