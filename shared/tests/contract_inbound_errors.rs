//! Inbound bad input, one test per error code, plus the order of the checks and the promise that
//! no error message ever carries a received value (above all, never a CPR number).
//!
//! Every case asserts the code and that the message names the field it is about. All CPR numbers
//! here are synthetic.

use samspil::contract::{BadInput, ErrorCode, parse};
use serde_json::{Value, json};

const CPR: &str = "0101901234";

fn registration_data() -> Value {
    json!({ "cpr": CPR, "municipality": "840", "akasse": "067", "registered_on": "2026-09-01" })
}

fn envelope(event_type: &str, data: Value) -> Value {
    json!({
        "specversion": "1.0",
        "id": "msg-1",
        "source": "urn:dk:akasse:067",
        "type": event_type,
        "time": "2026-09-01T08:15:00Z",
        "data": data,
    })
}

fn registration() -> Value {
    envelope("dk.akasse.registration.v1", registration_data())
}

/// `value` with `path` (e.g. "data.cpr") set to `to`, or removed when `to` is `None`.
fn with(mut value: Value, path: &str, to: Option<Value>) -> String {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap();
    let mut target = &mut value;
    for part in parts {
        target = &mut target[part];
    }
    let object = target.as_object_mut().unwrap();
    match to {
        Some(v) => object.insert(last.to_owned(), v),
        None => object.remove(last),
    };
    value.to_string()
}

fn err(queue: &str, body: &str) -> BadInput {
    match parse(queue, body) {
        Ok(m) => panic!("expected bad input, parsed {m:?} from {body}"),
        Err(e) => e,
    }
}

/// Asserts the code and that the message names `field` (in backticks, as every message does).
#[track_caller]
fn assert_bad(queue: &str, body: &str, code: ErrorCode, field: &str) {
    let e = err(queue, body);
    assert_eq!(e.code, code, "body {body}: {e}");
    assert!(e.message.contains(&format!("`{field}`")), "message {:?} should name `{field}`", e.message);
}

#[test]
fn not_json() {
    for body in
        ["", " ", "not json", "{", "{\"specversion\":\"1.0\",", "{'a': 1}", "{\"a\":1} trailing", "[1,", "\u{feff}{}"]
    {
        let e = err("registrations", body);
        assert_eq!(e.code, ErrorCode::NotJson, "body {body:?}");
        assert!(e.message.contains("JSON"), "{}", e.message);
    }
}

#[test]
fn not_cloudevent() {
    for body in [
        "[]",
        "42",
        "\"a string\"",
        "null",
        "true",
        r#"["1.0","msg-1","s","dk.akasse.cv-completed.v1","2026-09-01T08:15:00Z",null,{}]"#,
    ] {
        let e = err("registrations", body);
        assert_eq!(e.code, ErrorCode::NotCloudEvent, "body {body:?}");
        assert!(e.message.contains("object"), "{}", e.message);
    }
    assert_bad("registrations", "{}", ErrorCode::NotCloudEvent, "specversion");
    for bad in [None, Some(json!(null)), Some(json!("0.3")), Some(json!("1.0 ")), Some(json!(1.0)), Some(json!({}))] {
        assert_bad("registrations", &with(registration(), "specversion", bad), ErrorCode::NotCloudEvent, "specversion");
    }
    for bad in [json!("text/plain"), json!("application/xml"), json!(1), json!("")] {
        let body = with(registration(), "datacontenttype", Some(bad));
        assert_bad("registrations", &body, ErrorCode::NotCloudEvent, "datacontenttype");
    }
}

#[test]
fn unknown_type() {
    for t in [
        "dk.akasse.unknown.v1",
        "dk.akasse.registration.v2",
        "DK.AKASSE.REGISTRATION.V1",
        "",
        "dk.jobcenter.meeting-scheduled.v1",
    ] {
        let body = with(registration(), "type", Some(json!(t)));
        assert_bad("registrations", &body, ErrorCode::UnknownType, "type");
    }
}

#[test]
fn wrong_queue() {
    let cv = envelope("dk.akasse.cv-completed.v1", json!({ "cpr": CPR, "completed_on": "2026-09-24" }));
    for (queue, body) in [
        ("job-exits", registration().to_string()),
        ("cv-completions", registration().to_string()),
        ("registrations", cv.to_string()),
        ("registrations-dlq", registration().to_string()),
        ("meeting-updates", registration().to_string()),
        ("", registration().to_string()),
    ] {
        assert_bad(queue, &body, ErrorCode::WrongQueue, "type");
    }
    let e = err("job-exits", &registration().to_string());
    assert!(e.message.contains("`registrations`") && e.message.contains("`job-exits`"), "{}", e.message);
}

#[test]
fn missing_field() {
    for attribute in ["id", "source", "time", "data", "type"] {
        assert_bad("registrations", &with(registration(), attribute, None), ErrorCode::MissingField, attribute);
        assert_bad(
            "registrations",
            &with(registration(), attribute, Some(Value::Null)),
            ErrorCode::MissingField,
            attribute,
        );
    }
    for field in ["cpr", "municipality", "akasse", "registered_on"] {
        let path = format!("data.{field}");
        assert_bad("registrations", &with(registration(), &path, None), ErrorCode::MissingField, &path);
        assert_bad("registrations", &with(registration(), &path, Some(Value::Null)), ErrorCode::MissingField, &path);
    }
    let cv = envelope("dk.akasse.cv-completed.v1", json!({ "cpr": CPR, "completed_on": "2026-09-24" }));
    assert_bad(
        "cv-completions",
        &with(cv.clone(), "data.completed_on", None),
        ErrorCode::MissingField,
        "data.completed_on",
    );
    assert_bad("cv-completions", &with(cv, "data.cpr", None), ErrorCode::MissingField, "data.cpr");
    let exit = envelope("dk.akasse.job-exit.v1", json!({ "cpr": CPR, "job_starts_on": "2026-10-01" }));
    assert_bad("job-exits", &with(exit, "data.job_starts_on", None), ErrorCode::MissingField, "data.job_starts_on");
}

#[test]
fn malformed_envelope_attributes() {
    let cases: Vec<(&str, Value)> = vec![
        ("type", json!(1)),
        ("type", json!(["dk.akasse.registration.v1"])),
        ("id", json!(1)),
        ("id", json!("")),
        ("id", json!("x".repeat(129))),
        ("id", json!("æ".repeat(129))),
        ("source", json!("")),
        ("source", json!(false)),
        ("time", json!("2026-09-01")),
        ("time", json!("2026-09-01T08:15:00")),
        ("time", json!("yesterday")),
        ("time", json!("2026-09-01T25:15:00Z")),
        ("time", json!(1_788_000_000)),
        ("data", json!("{\"cpr\":\"0101901234\"}")),
        ("data", json!([registration_data()])),
        ("data", json!(42)),
    ];
    for (attribute, value) in cases {
        assert_bad(
            "registrations",
            &with(registration(), attribute, Some(value)),
            ErrorCode::MalformedField,
            attribute,
        );
    }
}

#[test]
fn malformed_data_fields() {
    let cases: Vec<(&str, Value)> = vec![
        ("cpr", json!(101901234)),
        ("cpr", json!([CPR])),
        ("municipality", json!("84")),
        ("municipality", json!("8400")),
        ("municipality", json!("84a")),
        ("municipality", json!("８４０")),
        ("municipality", json!(840)),
        ("akasse", json!("67")),
        ("akasse", json!(67)),
        ("registered_on", json!("2026-9-1")),
        ("registered_on", json!("01-09-2026")),
        ("registered_on", json!("2026/09/01")),
        ("registered_on", json!("2026-09-01T00:00:00Z")),
        ("registered_on", json!("+026-09-01")),
        ("registered_on", json!(20260901)),
        ("prior_hours", json!(-1)),
        ("prior_hours", json!(-0.5)),
        ("prior_hours", json!("10")),
        ("weekly_hours", json!(40)),
        ("weekly_hours", json!(37.5)),
        ("weekly_hours", json!("37")),
        ("akasse_participation", json!("no")),
        ("akasse_participation", json!("Yes")),
        ("akasse_participation", json!(true)),
    ];
    for (field, value) in cases {
        let path = format!("data.{field}");
        assert_bad("registrations", &with(registration(), &path, Some(value)), ErrorCode::MalformedField, &path);
    }
    let exit = envelope("dk.akasse.job-exit.v1", json!({ "cpr": CPR, "job_starts_on": "2026-10-01" }));
    for reason in [json!("fired"), json!("JOB"), json!(1), json!({})] {
        let body = with(exit.clone(), "data.reason", Some(reason));
        assert_bad("job-exits", &body, ErrorCode::MalformedField, "data.reason");
    }
}

#[test]
fn repeated_members_are_malformed() {
    let body = r#"{"specversion":"1.0","id":"a","id":"b","source":"s","type":"dk.akasse.cv-completed.v1",
        "time":"2026-09-01T08:15:00Z","data":{"cpr":"0101901234","completed_on":"2026-09-24"}}"#;
    assert_eq!(err("cv-completions", body).code, ErrorCode::MalformedField);
    let body = r#"{"specversion":"1.0","id":"a","source":"s","type":"dk.akasse.cv-completed.v1",
        "time":"2026-09-01T08:15:00Z","data":{"cpr":"0101901234","cpr":"0202901234","completed_on":"2026-09-24"}}"#;
    assert_bad("cv-completions", body, ErrorCode::MalformedField, "data");
    // A repeated member in a body that is not JSON at all is still `not_json`.
    assert_eq!(err("cv-completions", r#"{"id":"a","id":"b","#).code, ErrorCode::NotJson);
}

#[test]
fn numbers_beyond_f64_are_malformed() {
    // Valid JSON (the grammar has no limit), but not a number samspil can use.
    let body =
        with(registration(), "data.prior_hours", Some(json!(0))).replace("\"prior_hours\":0", "\"prior_hours\":1e400");
    assert_bad("registrations", &body, ErrorCode::MalformedField, "data.prior_hours");
    let body = registration().to_string().replace("\"id\":\"msg-1\"", "\"id\":-1e999");
    assert_bad("registrations", &body, ErrorCode::MalformedField, "id");
    // In a member samspil does not read, such a number is ignored like the member.
    let body = registration().to_string().replace("\"id\":\"msg-1\"", "\"id\":\"msg-1\",\"x\":1e400");
    assert!(parse("registrations", &body).is_ok());
}

#[test]
fn impossible_date() {
    for date in
        ["2026-02-30", "2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-01-00", "2026-01-32", "0000-00-00"]
    {
        assert_bad(
            "registrations",
            &with(registration(), "data.registered_on", Some(json!(date))),
            ErrorCode::ImpossibleDate,
            "data.registered_on",
        );
    }
    let cv = envelope("dk.akasse.cv-completed.v1", json!({ "cpr": CPR, "completed_on": "2025-02-29" }));
    assert_bad("cv-completions", &cv.to_string(), ErrorCode::ImpossibleDate, "data.completed_on");
    let exit = envelope("dk.akasse.job-exit.v1", json!({ "cpr": CPR, "job_starts_on": "2026-06-31" }));
    assert_bad("job-exits", &exit.to_string(), ErrorCode::ImpossibleDate, "data.job_starts_on");
}

/// Not 10 ASCII digits, or DDMMYY not a valid day and month.
const INVALID_CPRS: [&str; 14] = [
    "",
    "123",
    "010190123",
    "01019012345",
    "010190123a",
    "0101-90123",
    "０101901234",
    "3201901234",
    "0013901234",
    "0001901234",
    "3104901234",
    "2902911234",
    "3002961234",
    "0100901234",
];

#[test]
fn invalid_cpr() {
    for cpr in INVALID_CPRS {
        let body = with(registration(), "data.cpr", Some(json!(cpr)));
        assert_bad("registrations", &body, ErrorCode::InvalidCpr, "data.cpr");
    }
    let cv = envelope("dk.akasse.cv-completed.v1", json!({ "cpr": "3201901234", "completed_on": "2026-09-24" }));
    assert_bad("cv-completions", &cv.to_string(), ErrorCode::InvalidCpr, "data.cpr");
}

#[test]
fn checks_run_in_the_contracts_order() {
    // not_cloudevent before unknown_type, which comes before everything else.
    let body = with(with_value(registration(), "type", json!("nope")), "specversion", Some(json!("0.3")));
    assert_eq!(err("registrations", &body).code, ErrorCode::NotCloudEvent);
    let body = with(with_value(registration(), "type", json!("nope")), "id", None);
    assert_eq!(err("registrations", &body).code, ErrorCode::UnknownType);
    // wrong_queue before missing or malformed attributes and data.
    let body = with(with_value(registration(), "data", json!(1)), "id", None);
    assert_eq!(err("job-exits", &body).code, ErrorCode::WrongQueue);
    // Envelope attributes before data; id before source before time before data.
    let body = with(with_value(registration(), "data.cpr", json!("bad")), "time", Some(json!("never")));
    assert_bad("registrations", &body, ErrorCode::MalformedField, "time");
    let body = with(with_value(registration(), "time", json!("never")), "source", None);
    assert_bad("registrations", &body, ErrorCode::MissingField, "source");
    let body = with(with_value(registration(), "source", json!("")), "id", Some(json!(7)));
    assert_bad("registrations", &body, ErrorCode::MalformedField, "id");
}

fn with_value(value: Value, path: &str, to: Value) -> Value {
    serde_json::from_str(&with(value, path, Some(to))).unwrap()
}

/// Every bad-input case we can think of whose body carries a CPR-like value somewhere.
fn bad_bodies() -> Vec<(&'static str, String)> {
    let mut bodies = Vec::new();
    for cpr in INVALID_CPRS.iter().copied().chain([CPR, "0101901234 ", "01019012340101901234"]) {
        if cpr != CPR {
            bodies.push(("registrations", with(registration(), "data.cpr", Some(json!(cpr)))));
        }
        for (path, value) in [
            ("id", json!(format!("{cpr}{}", "x".repeat(128)))),
            ("source", json!(cpr.parse::<u64>().unwrap_or(7))),
            ("time", json!(cpr)),
            ("type", json!(cpr)),
            ("specversion", json!(cpr)),
            ("datacontenttype", json!(cpr)),
            ("data", json!(cpr)),
            ("data.municipality", json!(cpr)),
            ("data.akasse", json!(cpr)),
            ("data.registered_on", json!(cpr)),
            ("data.prior_hours", json!(cpr)),
            ("data.weekly_hours", json!(cpr)),
            ("data.akasse_participation", json!(cpr)),
        ] {
            let body = with(with_value(registration(), "data.cpr", json!(cpr)), path, Some(value));
            bodies.push(("registrations", body));
        }
        bodies.push(("registrations", with(with_value(registration(), "data.cpr", json!(cpr)), "data.akasse", None)));
        let impossible = with_value(registration(), "data.registered_on", json!("2026-02-30"));
        bodies.push(("registrations", with(impossible, "data.cpr", Some(json!(cpr)))));
        let too_many_hours = with_value(registration(), "data.prior_hours", json!(6.0e8));
        bodies.push(("registrations", with(too_many_hours, "data.cpr", Some(json!(cpr)))));
        let last_century = with_value(registration(), "data.registered_on", json!("1999-12-31"));
        bodies.push(("registrations", with(last_century, "data.cpr", Some(json!(cpr)))));
        bodies.push(("registrations", format!("{{\"cpr\": \"{cpr}\"")));
        bodies.push(("registrations", format!("[\"{cpr}\"]")));
        bodies.push(("job-exits", with(registration(), "data.cpr", Some(json!(cpr)))));
    }
    bodies
}

#[test]
fn no_message_ever_contains_a_received_value() {
    let mut codes = std::collections::BTreeSet::new();
    for (queue, body) in bad_bodies() {
        let e = err(queue, &body);
        codes.insert(e.code);
        let text = e.to_string();
        let longest_digit_run = text.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
        assert!(longest_digit_run < 6, "{text:?} contains a run of digits (body {body})");
        for fragment in ["0101901234", "010190", "3201901234", "01019012345", "x".repeat(10).as_str()] {
            assert!(!text.contains(fragment), "{text:?} leaks {fragment:?}");
        }
    }
    // The cases above reach every code the parser can raise (the pipeline raises the others;
    // `senders::tests` checks that the sender check's messages hold no value either).
    let by_pipeline = [
        ErrorCode::UnknownMunicipality,
        ErrorCode::SenderMismatch,
        ErrorCode::TimeInFuture,
        ErrorCode::NotMember,
        ErrorCode::TooManyFacts,
    ];
    let expected: std::collections::BTreeSet<_> =
        ErrorCode::ALL.into_iter().filter(|c| !by_pipeline.contains(c)).collect();
    assert_eq!(codes, expected);
}

#[test]
fn the_parser_never_raises_unknown_municipality() {
    for (queue, body) in bad_bodies() {
        if let Err(e) = parse(queue, &body) {
            assert_ne!(e.code, ErrorCode::UnknownMunicipality);
        }
    }
}
