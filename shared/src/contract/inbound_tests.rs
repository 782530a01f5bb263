//! The one-pass parser gives exactly the answer of the strict two-pass reading, for generated
//! bodies of all four inbound types (valid and perturbed) and for the hostile corpus.
//!
//! Synthetic CPR numbers only.

use std::path::Path;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

use super::inbound::parse_two_pass;
use super::one_pass;
use super::{ErrorCode, InboundType, parse};

/// The queues every body is parsed for: the three inbound queues, and one that is none of them.
const QUEUES: [&str; 4] = ["registrations", "cv-completions", "job-exits", "no-such-queue"];

/// A JSON value, as text.
type Json = String;

/// A member as written: key and value, both JSON text.
type Member = (Json, Json);

fn quoted(s: &str) -> Json {
    serde_json::to_string(s).unwrap()
}

/// Values that are never right for a samspil member (the wrong JSON type, a number serde_json
/// cannot hold, a string serde_json cannot decode), and some that are right for a few.
fn odd_value() -> impl Strategy<Value = Json> {
    let odd = prop_oneof![
        Just("null"),
        Just("true"),
        Just("false"),
        Just("0"),
        Just("-0"),
        Just("37"),
        Just("30.0"),
        Just("3.7e1"),
        Just("-1"),
        Just("1e999"),
        Just("-1e999"),
        Just("123456789012345678901234567890"),
        Just(r#"["0101901111","851"]"#),
        Just("[]"),
        Just("{}"),
        Just(r#"{"cpr":"0101901111"}"#),
        Just(r#""""#),
        Just(r#""\ud800""#),
        Just(r#""x\"y\\z""#),
    ]
    .prop_map(str::to_owned);
    let deep = format!("{}{}", "[".repeat(140), "]".repeat(140));
    prop_oneof![19 => odd, 1 => Just(deep)]
}

/// A string literal with one of its characters written as a `\u` escape.
fn escaped(s: &'static str) -> impl Strategy<Value = Json> {
    (0..s.len().max(1)).prop_map(move |i| {
        let mut out = String::from("\"");
        for (j, c) in s.chars().enumerate() {
            if j == i {
                out.push_str(&format!("\\u{:04x}", c as u32));
            } else {
                let q = quoted(&c.to_string());
                out.push_str(&q[1..q.len() - 1]);
            }
        }
        out.push('"');
        out
    })
}

/// `clean` most of the time, `perturbed` with probability `noise`.
fn either<T: std::fmt::Debug + 'static>(
    noise: f64,
    clean: BoxedStrategy<T>,
    perturbed: BoxedStrategy<T>,
) -> BoxedStrategy<T> {
    proptest::bool::weighted(noise).prop_flat_map(move |p| if p { perturbed.clone() } else { clean.clone() }).boxed()
}

/// One of `values` (JSON texts), a string sometimes with a `\u` escape, which changes nothing.
fn one_of(values: &'static [&'static str]) -> BoxedStrategy<Json> {
    let plain = proptest::sample::select(values).prop_map(str::to_owned);
    let strings: Vec<&'static str> =
        values.iter().filter_map(|v| v.strip_prefix('"').and_then(|v| v.strip_suffix('"'))).collect();
    if strings.is_empty() {
        return plain.boxed();
    }
    prop_oneof![4 => plain, 1 => proptest::sample::select(strings).prop_flat_map(escaped)].boxed()
}

/// A key, sometimes with its first character escaped (`"\u0063pr"` is `"cpr"`).
fn key(k: &'static str) -> impl Strategy<Value = Json> + Clone {
    prop_oneof![9 => Just(quoted(k)), 1 => escaped(k)]
}

/// What a member may be.
struct Spec {
    key: &'static str,
    /// Values the contract accepts (JSON texts).
    valid: &'static [&'static str],
    /// Values of the right JSON type that the contract rejects.
    invalid: &'static [&'static str],
    /// Whether leaving the member out is valid.
    optional: bool,
}

/// One member: when clean, written once with a valid value (or left out when optional); when
/// perturbed, written with an invalid or odd value, left out, or written twice.
fn member(spec: &'static Spec, noise: f64) -> BoxedStrategy<Vec<Member>> {
    let once = (key(spec.key), one_of(spec.valid)).prop_map(|m| vec![m]);
    let clean = if spec.optional { prop_oneof![3 => once, 1 => Just(vec![])].boxed() } else { once.boxed() };
    let invalid = if spec.invalid.is_empty() { odd_value().boxed() } else { one_of(spec.invalid) };
    let any_value = prop_oneof![one_of(spec.valid), invalid.clone(), odd_value()];
    let perturbed = prop_oneof![
        6 => (key(spec.key), invalid).prop_map(|m| vec![m]),
        3 => (key(spec.key), odd_value()).prop_map(|m| vec![m]),
        2 => Just(vec![]),
        2 => (key(spec.key), any_value.clone(), any_value).prop_map(|(k, a, b)| vec![(k.clone(), a), (k, b)]),
    ];
    either(noise, clean, perturbed.boxed())
}

/// Members nobody asked for: harmless whatever their value.
fn unknown_members() -> impl Strategy<Value = Vec<Member>> {
    let name = proptest::sample::select(&["subject", "extra", "dataschema", "Data", "CPR", "cpr ", ""][..]);
    proptest::collection::vec((name.prop_map(quoted), odd_value()), 0..3)
}

const fn required(key: &'static str, valid: &'static [&'static str], invalid: &'static [&'static str]) -> Spec {
    Spec { key, valid, invalid, optional: false }
}

const fn optional(key: &'static str, valid: &'static [&'static str], invalid: &'static [&'static str]) -> Spec {
    Spec { key, valid, invalid, optional: true }
}

const DATES: &[&str] = &[r#""2027-01-04""#, r#""2028-02-29""#, r#""1999-12-31""#];
const BAD_DATES: &[&str] = &[r#""2027-02-29""#, r#""2027-13-01""#, r#""2027-1-04""#, r#""2027-01-04T00:00:00Z""#];
const THREE: &[&str] = &[r#""851""#, r#""067""#, r#""101""#];
const BAD_THREE: &[&str] = &[r#""85""#, r#""8510""#, r#""85a""#];

static SPECVERSION: Spec = required("specversion", &[r#""1.0""#], &[r#""1.1""#, r#""1""#, "1.0"]);
static ID: Spec = required("id", &[r#""reg-12345""#, r#""é""#, r#""a/b c""#], &[r#""""#]);
static SOURCE: Spec = required("source", &[r#""urn:dk:akasse:067""#, r#""x""#], &[r#""""#]);
static TIME: Spec = required(
    "time",
    &[r#""2027-01-04T08:00:00Z""#, r#""2027-01-04T08:00:00.5+01:00""#],
    &[r#""2027-01-04""#, r#""2027-02-30T08:00:00Z""#],
);
static DATACONTENTTYPE: Spec = optional("datacontenttype", &[r#""application/json""#], &[r#""text/plain""#]);
static CPR: Spec = required(
    "cpr",
    &[r#""0101901111""#, r#""2902921111""#, r#""3112991111""#],
    &[r#""3102901111""#, r#""010190111""#, r#""01019011O1""#, r#""010190-1111""#],
);
static MUNICIPALITY: Spec = required("municipality", THREE, BAD_THREE);
static AKASSE: Spec = required("akasse", THREE, BAD_THREE);
static REGISTERED_ON: Spec = required("registered_on", DATES, BAD_DATES);
static PRIOR_HOURS: Spec = optional("prior_hours", &["0", "0.0", "-0", "120.5", "1e3"], &["-1", "-0.5"]);
static WEEKLY_HOURS: Spec = optional("weekly_hours", &["37", "30", "37.0", "3e1"], &["30.5", "40"]);
static AKASSE_PARTICIPATION: Spec =
    optional("akasse_participation", &[r#""yes""#, r#""opted_out""#], &[r#""no""#, r#""Yes""#]);
static COMPLETED_ON: Spec = required("completed_on", DATES, BAD_DATES);
static JOB_STARTS_ON: Spec = required("job_starts_on", DATES, BAD_DATES);
static REASON: Spec = optional("reason", &[r#""job""#, r#""education""#, r#""other""#], &[r#""Job""#, r#""""#]);

/// The members of `data` of `kind`.
fn data_members(kind: InboundType, noise: f64) -> BoxedStrategy<Vec<Member>> {
    let specs: &[&'static Spec] = match kind {
        InboundType::Registration => {
            &[&CPR, &MUNICIPALITY, &AKASSE, &REGISTERED_ON, &PRIOR_HOURS, &WEEKLY_HOURS, &AKASSE_PARTICIPATION]
        }
        InboundType::CvCompleted => &[&CPR, &COMPLETED_ON],
        InboundType::JobExit => &[&CPR, &JOB_STARTS_ON, &REASON],
        InboundType::JobExitWithdrawn => &[&CPR, &JOB_STARTS_ON],
    };
    members(specs, noise)
}

fn members(specs: &[&'static Spec], noise: f64) -> BoxedStrategy<Vec<Member>> {
    let members: Vec<BoxedStrategy<Vec<Member>>> = specs.iter().map(|spec| member(spec, noise)).collect();
    members.prop_map(|m| m.into_iter().flatten().collect()).boxed()
}

/// Members of `data` that belong to some other type: the strict reading skips them, the one-pass
/// reading reads them (and gives up when one is repeated or cannot be decoded).
fn foreign_data_members() -> impl Strategy<Value = Vec<Member>> {
    let name = proptest::sample::select(
        &[
            "municipality",
            "akasse",
            "registered_on",
            "prior_hours",
            "weekly_hours",
            "akasse_participation",
            "completed_on",
            "job_starts_on",
            "reason",
        ][..],
    );
    let value = prop_oneof![3 => one_of(&[r#""851""#, r#""2027-01-04""#, "37"]), 1 => odd_value()];
    proptest::collection::vec((name.prop_map(quoted), value), 0..3)
}

/// `data`: an object (members shuffled), or, when perturbed, missing or something else.
fn data(kind: InboundType, noise: f64) -> BoxedStrategy<Option<Json>> {
    let extra = prop_oneof![3 => Just((vec![], vec![])), 1 => (foreign_data_members(), unknown_members())];
    let object = (data_members(kind, noise), extra)
        .prop_flat_map(|(own, (foreign, unknown))| {
            let all: Vec<Member> = own.into_iter().chain(foreign).chain(unknown).collect();
            Just(all).prop_shuffle()
        })
        .prop_map(|members| Some(object(&members)));
    let positional = data_members(kind, noise)
        .prop_map(|members| Some(format!("[{}]", members.into_iter().map(|(_, v)| v).collect::<Vec<_>>().join(","))));
    let perturbed = prop_oneof![
        1 => Just(None),
        1 => Just(Some("null".to_owned())),
        1 => positional,
        1 => odd_value().prop_map(Some),
        1 => Just(Some(r#"  {"cpr":"0101901111"}"#.to_owned())),
    ];
    either(noise / 3.0, object.boxed(), perturbed.boxed())
}

fn object(members: &[Member]) -> Json {
    let members: Vec<String> = members.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("{{{}}}", members.join(","))
}

fn any_kind() -> impl Strategy<Value = InboundType> {
    proptest::sample::select(InboundType::ALL.to_vec())
}

/// The envelope members for a message of `kind`, `data` included.
fn envelope(kind: InboundType, noise: f64) -> BoxedStrategy<Vec<Member>> {
    let event_type = quoted(kind.event_type());
    let type_member = either(
        noise,
        (key("type"), Just(event_type.clone())).prop_map(|m| vec![m]).boxed(),
        prop_oneof![
            3 => (key("type"), any_kind().prop_map(|k| quoted(k.event_type()))).prop_map(|m| vec![m]),
            1 => Just(vec![(quoted("type"), quoted("dk.akasse.unknown.v1"))]),
            1 => (key("type"), odd_value()).prop_map(|m| vec![m]),
            1 => Just(vec![]),
            1 => Just(vec![(quoted("type"), event_type.clone()), (quoted("type"), event_type)]),
        ]
        .boxed(),
    );
    let unknown = prop_oneof![3 => Just(vec![]), 1 => unknown_members()];
    (members(&[&SPECVERSION, &ID, &SOURCE, &TIME, &DATACONTENTTYPE], noise), type_member, unknown, data(kind, noise))
        .prop_flat_map(|(attributes, event_type, unknown, data)| {
            let mut all: Vec<Member> = attributes.into_iter().chain(event_type).chain(unknown).collect();
            if let Some(data) = data {
                all.push((quoted("data"), data));
            }
            Just(all).prop_shuffle()
        })
        .boxed()
}

/// A whole body: a CloudEvent of one of the four types, valid or perturbed (how much is chosen per
/// body), members in any order; when perturbed, sometimes not an object or not JSON at all.
fn body() -> impl Strategy<Value = String> {
    let noise = proptest::sample::select(&[0.0, 0.02, 0.05, 0.1, 0.3][..]);
    (any_kind(), noise).prop_flat_map(|(kind, noise)| {
        envelope(kind, noise).prop_flat_map(move |members| {
            let as_object = object(&members);
            let padded = format!(" \n\t{as_object} \r\n");
            let positional = format!("[{}]", members.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>().join(","));
            let trailing_comma = format!("{as_object},");
            let whole = as_object.clone();
            let truncated = (0..as_object.len()).prop_map(move |mut n| {
                while !as_object.is_char_boundary(n) {
                    n -= 1;
                }
                as_object[..n].to_owned()
            });
            let perturbed = prop_oneof![Just(padded), Just(positional), truncated, Just(trailing_comma)];
            either(noise / 3.0, Just(whole).boxed(), perturbed.boxed())
        })
    })
}

fn assert_same_answer(body: &str) -> Result<(), TestCaseError> {
    for queue in QUEUES {
        prop_assert_eq!(parse(queue, body), parse_two_pass(queue, body), "queue {}", queue);
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: 4096, ..Config::default() })]

    #[test]
    fn the_one_pass_parser_answers_as_the_two_pass_reading(body in body()) {
        assert_same_answer(&body)?;
    }
}

/// The generator reaches valid messages and every kind of error, each both from bodies the one-pass
/// reading decides and from bodies it leaves to the strict reading.
#[test]
fn the_generator_reaches_both_answers_and_both_readings() {
    let mut runner = TestRunner::deterministic();
    let strategy = body();
    // (read in one pass, answer ok) -> count, over every body and queue
    let mut answers = std::collections::BTreeMap::<(bool, bool), u32>::new();
    let mut codes = std::collections::BTreeMap::<ErrorCode, u32>::new();
    for _ in 0..4096 {
        let body = strategy.new_tree(&mut runner).unwrap().current();
        let in_one_pass = one_pass::read(&body).is_some();
        for queue in QUEUES {
            let answer = parse(queue, &body);
            *answers.entry((in_one_pass, answer.is_ok())).or_default() += 1;
            if let Err(e) = answer {
                *codes.entry(e.code).or_default() += 1;
            }
        }
    }
    eprintln!("(one pass, ok) -> count: {answers:?}\nerror codes: {codes:?}");
    let count = |one_pass, ok| answers.get(&(one_pass, ok)).copied().unwrap_or(0);
    assert!(count(true, true) > 1000, "valid messages read in one pass: {answers:?}");
    assert!(count(true, false) > 1000, "errors found on the one-pass reading: {answers:?}");
    assert!(count(false, false) > 1000, "errors found on the strict reading: {answers:?}");
    assert!(count(false, true) > 0, "valid messages the one-pass reading gave up on: {answers:?}");
    let reached = [
        ErrorCode::NotJson,
        ErrorCode::NotCloudEvent,
        ErrorCode::UnknownType,
        ErrorCode::WrongQueue,
        ErrorCode::MissingField,
        ErrorCode::MalformedField,
        ErrorCode::ImpossibleDate,
        ErrorCode::InvalidCpr,
    ];
    assert!(reached.iter().all(|c| codes.get(c).is_some_and(|&n| n >= 10)), "error codes reached: {codes:?}");
}

#[test]
fn data_null_is_missing_and_data_not_an_object_is_malformed_on_both_readings() {
    let envelope = r#""specversion":"1.0","id":"x","source":"urn:dk:akasse:067","time":"2027-01-04T08:00:00Z""#;
    let cases = [
        (r#""data":null"#, ErrorCode::MissingField),
        ("", ErrorCode::MissingField),
        (r#""data":["0101901111","2027-01-04"]"#, ErrorCode::MalformedField),
        (r#""data":"{}""#, ErrorCode::MalformedField),
    ];
    for (data, code) in cases {
        let comma = if data.is_empty() { "" } else { "," };
        let body = format!(r#"{{{envelope},"type":"dk.akasse.cv-completed.v1"{comma}{data}}}"#);
        let old = parse_two_pass("cv-completions", &body);
        assert_eq!(old.as_ref().map_err(|e| e.code).err(), Some(code), "{data}");
        assert!(old.unwrap_err().message.contains("`data`"));
        assert_eq!(parse("cv-completions", &body), parse_two_pass("cv-completions", &body), "{data}");
    }
}

/// Members of `data` that the message's type does not use are skipped by the strict reading, so a
/// repeated or undecodable one must not change the answer.
#[test]
fn members_of_other_types_do_not_change_the_answer() {
    let head = r#""specversion":"1.0","id":"x","source":"urn:dk:akasse:067","time":"2027-01-04T08:00:00Z""#;
    for extra in [r#""municipality":"851","municipality":"851""#, r#""municipality":1e999"#, r#""reason":"\ud800""#] {
        let body = format!(
            r#"{{"data":{{"cpr":"0101901111","job_starts_on":"2027-02-01",{extra}}},{head},"type":"dk.akasse.job-exit-withdrawn.v1"}}"#
        );
        assert!(one_pass::read(&body).is_none(), "{extra}: the one-pass reading gives up");
        assert!(parse("job-exits", &body).is_ok(), "{extra}");
        assert_eq!(parse("job-exits", &body), parse_two_pass("job-exits", &body));
    }
}

#[test]
fn the_hostile_corpus_gets_the_same_answers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/hostile");
    let mut cases = 0;
    for dir in ["registrations", "cv-completions", "job-exits"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let body = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            for queue in QUEUES {
                assert_eq!(parse(queue, &body), parse_two_pass(queue, &body), "{} on {queue}", path.display());
            }
            cases += 1;
        }
    }
    assert!(cases >= 25, "the corpus is in tests/hostile/");
}
