//! Parsing and validating inbound CloudEvents: one SQS message body in, one [`InboundMessage`] or
//! one coded [`BadInput`] out.
//!
//! This is the first step of every message on the hot path, so the happy path never builds a
//! `serde_json::Value`, and the body is normally read in one pass. There are two readings of it,
//! both into borrowed, lenient structs whose members accept any JSON value:
//!
//! - the one-pass reading ([`super::one_pass`]) deserializes the envelope and every member `data`
//!   can have, whatever the type, in a single scan of the body. It is the fast path, and it gives up
//!   on anything it cannot be sure of: a body that is not a JSON object, a `data` that is neither an
//!   object nor `null`, a repeated member or a number beyond `f64` (even in a member of `data` that
//!   the message's type does not use);
//! - the strict reading ([`super::wire`]) keeps `data` as a raw slice until `type` is known, and
//!   then deserializes it a second time into the struct for that type. It runs only when the
//!   one-pass reading gave up, and decides the answer, which is then usually an error.
//!
//! Either way, the members read are then checked one by one (on an `Attributes` and a
//! `DataMembers` view, the same code for both readings) in the contract's order:
//!
//! 1. the body is JSON (`not_json`);
//! 2. it is an object with `specversion` "1.0", and `datacontenttype`, when present, is
//!    "application/json" (`not_cloudevent`);
//! 3. `type` is one samspil accepts (`unknown_type`);
//! 4. the type belongs on this queue (`wrong_queue`);
//! 5. `id`, `source`, `time` and `data` (`missing_field`, `malformed_field`);
//! 6. the members of `data` (`missing_field`, `malformed_field`, `impossible_date`, `invalid_cpr`,
//!    and `out_of_range` for a value beyond the contract's bounds, [`super::bounds`]).
//!
//! When the one-pass reading succeeds, the strict reading would have found the same members with
//! the same values (see [`super::one_pass`]), so the two readings always give the same result;
//! `inbound_tests` checks that on generated and hostile bodies.
//!
//! Error messages name the field and what was expected, never the value received, so a CPR number
//! can never reach a dead-letter attribute or a log line through them.

use chrono::{DateTime, NaiveDate, Utc};
use compact_str::CompactString;
use serde_json::value::RawValue;

use super::bounds;
use super::one_pass::{self, AnyData, OnePassEnvelope};
use super::wire::{CvCompletedData, Envelope, Field, JobExitData, JobExitWithdrawnData, RegistrationData};
use super::{
    AkasseParticipation, BadInput, Cpr, CvCompleted, ErrorCode, ExitReason, Fact, FactKind, InboundMessage,
    InboundType, JobExit, JobExitWithdrawal, MessageKey, Registration, WeeklyHours,
};

const ID: &str = "a string of 1 to 128 characters";
const SOURCE: &str = "a non-empty string";
const TIME: &str = "an RFC 3339 timestamp, e.g. 2026-11-02T09:30:00Z";
const CPR: &str = "a string of 10 digits, DDMMYYSSSS, whose first six are a valid day and month";
const THREE_DIGITS: &str = "a string of exactly 3 digits";
const DATE: &str = "a date string shaped YYYY-MM-DD";
const DATE_RANGE: &str = "a date from 2000-01-01 to 2099-12-31";
const PRIOR_HOURS: &str = "a number from 0 to 100,000 (default 0)";

/// Parses one SQS message body that arrived on `queue` into a valid message, or says why it can
/// never be processed.
pub fn parse(queue: &str, body: &str) -> Result<InboundMessage, BadInput> {
    match one_pass::read(body) {
        Some(envelope) => parse_one_pass(queue, &envelope),
        None => parse_two_pass(queue, body),
    }
}

/// Steps 2 to 6 on the one-pass reading.
fn parse_one_pass(queue: &str, envelope: &OnePassEnvelope<'_>) -> Result<InboundMessage, BadInput> {
    let attributes = Attributes {
        specversion: &envelope.specversion,
        id: &envelope.id,
        source: &envelope.source,
        event_type: &envelope.event_type,
        time: &envelope.time,
        datacontenttype: &envelope.datacontenttype,
    };
    let head = check_attributes(queue, &attributes)?;
    if !envelope.has_data {
        return Err(missing("data", "an object"));
    }
    let (cpr, fact) = check_data(head.kind, &DataMembers::of_any(&envelope.data))?;
    Ok(head.into_message(cpr, fact))
}

/// The strict reading, on its own: the whole parser before the one-pass reading, and what decides
/// whenever that reading gives up.
pub(super) fn parse_two_pass(queue: &str, body: &str) -> Result<InboundMessage, BadInput> {
    let envelope = read_envelope(body)?;
    let attributes = Attributes {
        specversion: &envelope.specversion,
        id: &envelope.id,
        source: &envelope.source,
        event_type: &envelope.event_type,
        time: &envelope.time,
        datacontenttype: &envelope.datacontenttype,
    };
    let head = check_attributes(queue, &attributes)?;
    let data = data_object(envelope.data)?;
    let (cpr, fact) = match head.kind {
        InboundType::Registration => {
            let d: RegistrationData<'_> = read_data(data)?;
            let members = DataMembers {
                cpr: &d.cpr,
                municipality: &d.municipality,
                akasse: &d.akasse,
                registered_on: &d.registered_on,
                prior_hours: &d.prior_hours,
                weekly_hours: &d.weekly_hours,
                akasse_participation: &d.akasse_participation,
                ..DataMembers::NONE
            };
            check_data(head.kind, &members)?
        }
        InboundType::CvCompleted => {
            let d: CvCompletedData<'_> = read_data(data)?;
            check_data(head.kind, &DataMembers { cpr: &d.cpr, completed_on: &d.completed_on, ..DataMembers::NONE })?
        }
        InboundType::JobExit => {
            let d: JobExitData<'_> = read_data(data)?;
            let members =
                DataMembers { cpr: &d.cpr, job_starts_on: &d.job_starts_on, reason: &d.reason, ..DataMembers::NONE };
            check_data(head.kind, &members)?
        }
        InboundType::JobExitWithdrawn => {
            let d: JobExitWithdrawnData<'_> = read_data(data)?;
            check_data(head.kind, &DataMembers { cpr: &d.cpr, job_starts_on: &d.job_starts_on, ..DataMembers::NONE })?
        }
    };
    Ok(head.into_message(cpr, fact))
}

/// The envelope members a reading found, borrowed for steps 2 to 5.
struct Attributes<'m, 'a> {
    specversion: &'m Option<Field<'a>>,
    id: &'m Option<Field<'a>>,
    source: &'m Option<Field<'a>>,
    event_type: &'m Option<Field<'a>>,
    time: &'m Option<Field<'a>>,
    datacontenttype: &'m Option<Field<'a>>,
}

/// The members of `data` a reading found, borrowed for step 6. The strict reading reads only the
/// members of the message's type; the others are [`DataMembers::NONE`]'s `None`, and no check of
/// that type looks at them.
struct DataMembers<'m, 'a> {
    cpr: &'m Option<Field<'a>>,
    municipality: &'m Option<Field<'a>>,
    akasse: &'m Option<Field<'a>>,
    registered_on: &'m Option<Field<'a>>,
    prior_hours: &'m Option<Field<'a>>,
    weekly_hours: &'m Option<Field<'a>>,
    akasse_participation: &'m Option<Field<'a>>,
    completed_on: &'m Option<Field<'a>>,
    job_starts_on: &'m Option<Field<'a>>,
    reason: &'m Option<Field<'a>>,
}

impl DataMembers<'static, 'static> {
    const NONE: Self = DataMembers {
        cpr: &None,
        municipality: &None,
        akasse: &None,
        registered_on: &None,
        prior_hours: &None,
        weekly_hours: &None,
        akasse_participation: &None,
        completed_on: &None,
        job_starts_on: &None,
        reason: &None,
    };
}

impl<'m, 'a> DataMembers<'m, 'a> {
    fn of_any(d: &'m AnyData<'a>) -> Self {
        DataMembers {
            cpr: &d.cpr,
            municipality: &d.municipality,
            akasse: &d.akasse,
            registered_on: &d.registered_on,
            prior_hours: &d.prior_hours,
            weekly_hours: &d.weekly_hours,
            akasse_participation: &d.akasse_participation,
            completed_on: &d.completed_on,
            job_starts_on: &d.job_starts_on,
            reason: &d.reason,
        }
    }
}

/// What steps 2 to 5 found, less `data`.
struct Head<'m> {
    kind: InboundType,
    id: &'m str,
    source: &'m str,
    time: DateTime<Utc>,
}

impl Head<'_> {
    fn into_message(self, cpr: Cpr, fact: Fact) -> InboundMessage {
        let key = MessageKey { source: self.source.into(), id: self.id.into() };
        InboundMessage { key, time: self.time, cpr, fact }
    }
}

/// Steps 2 to 5, up to `data`, which each reading holds in its own way.
fn check_attributes<'m>(queue: &str, attributes: &Attributes<'m, '_>) -> Result<Head<'m>, BadInput> {
    check_cloudevent(attributes)?;
    let kind = check_type(attributes)?;
    check_queue(kind, queue)?;

    let id = text(attributes.id, "id", ID)?;
    if id.is_empty() || (id.len() > 128 && id.chars().count() > 128) {
        return Err(malformed("id", ID));
    }
    let source = text(attributes.source, "source", SOURCE)?;
    if source.is_empty() {
        return Err(malformed("source", SOURCE));
    }
    let time = DateTime::parse_from_rfc3339(text(attributes.time, "time", TIME)?)
        .map_err(|_| malformed("time", TIME))?
        .to_utc();
    Ok(Head { kind, id, source, time })
}

/// Step 6.
fn check_data(kind: InboundType, data: &DataMembers<'_, '_>) -> Result<(Cpr, Fact), BadInput> {
    match kind {
        InboundType::Registration => registration(data),
        InboundType::CvCompleted => cv_completed(data),
        InboundType::JobExit => job_exit(data),
        InboundType::JobExitWithdrawn => job_exit_withdrawn(data),
    }
}

/// Step 1 and the "is an object" half of step 2.
fn read_envelope(body: &str) -> Result<Envelope<'_>, BadInput> {
    // serde's derived struct visitor would also accept a JSON array (as positional fields), so only
    // an object is handed to it.
    let is_object = body.trim_start_matches([' ', '\t', '\n', '\r']).starts_with('{');
    if is_object && let Ok(envelope) = serde_json::from_str::<Envelope<'_>>(body) {
        return Ok(envelope);
    }
    // The slow path only says why.
    if serde_json::from_str::<serde::de::IgnoredAny>(body).is_err() {
        return Err(BadInput::new(
            ErrorCode::NotJson,
            "the body is not valid JSON; expected a CloudEvents 1.0 JSON object",
        ));
    }
    if !is_object {
        return Err(BadInput::new(
            ErrorCode::NotCloudEvent,
            "the body is JSON but not an object; expected a CloudEvents 1.0 event in structured mode",
        ));
    }
    Err(wire_error::<Envelope<'_>>(body, "", "the event"))
}

/// Step 2.
fn check_cloudevent(attributes: &Attributes<'_, '_>) -> Result<(), BadInput> {
    match attributes.specversion {
        Some(Field::Str(v)) if v == "1.0" => {}
        Some(_) => return Err(BadInput::new(ErrorCode::NotCloudEvent, "`specversion` must be the string \"1.0\"")),
        None => return Err(BadInput::new(ErrorCode::NotCloudEvent, "`specversion` is missing; expected \"1.0\"")),
    }
    match attributes.datacontenttype {
        None => Ok(()),
        Some(Field::Str(v)) if v == "application/json" => Ok(()),
        Some(_) => {
            Err(BadInput::new(ErrorCode::NotCloudEvent, "`datacontenttype` must be \"application/json\" when present"))
        }
    }
}

/// Step 3.
fn check_type(attributes: &Attributes<'_, '_>) -> Result<InboundType, BadInput> {
    let expected = || {
        let types: Vec<&str> = InboundType::ALL.iter().map(|k| k.event_type()).collect();
        format!("one of {}", types.join(", "))
    };
    match attributes.event_type {
        Some(Field::Str(t)) => InboundType::from_event_type(t).ok_or_else(|| {
            let message = format!("`type` is not a type samspil accepts; expected {}", expected());
            BadInput::new(ErrorCode::UnknownType, message)
        }),
        Some(_) => Err(malformed("type", &expected())),
        None => Err(missing("type", &expected())),
    }
}

/// Step 4.
fn check_queue(kind: InboundType, queue: &str) -> Result<(), BadInput> {
    match FactKind::from_queue(queue) {
        Some(expected) if expected == kind.queue_kind() => Ok(()),
        Some(expected) => Err(BadInput::new(
            ErrorCode::WrongQueue,
            format!(
                "`type` belongs on queue `{}`; queue `{}` accepts only {}",
                kind.queue(),
                expected.queue(),
                expected.inbound_types().map(InboundType::event_type).collect::<Vec<_>>().join(" and ")
            ),
        )),
        None => Err(BadInput::new(
            ErrorCode::WrongQueue,
            format!("`type` belongs on queue `{}`; this queue is not a samspil inbound queue", kind.queue()),
        )),
    }
}

/// The `data` attribute of the strict reading: present and an object.
fn data_object(data: Option<&RawValue>) -> Result<&str, BadInput> {
    let raw = data.ok_or_else(|| missing("data", "an object"))?.get().trim_start();
    if !raw.starts_with('{') {
        return Err(malformed("data", "an object"));
    }
    Ok(raw)
}

fn registration(d: &DataMembers<'_, '_>) -> Result<(Cpr, Fact), BadInput> {
    let cpr = cpr(d.cpr)?;
    let municipality = three_digits(d.municipality, "data.municipality")?;
    let akasse = three_digits(d.akasse, "data.akasse")?;
    let registered_on = date(d.registered_on, "data.registered_on")?;
    let prior_hours = match d.prior_hours {
        None => 0.0,
        Some(Field::Num(h)) if h.is_finite() && *h >= 0.0 => {
            if !bounds::prior_hours_in_bounds(*h) {
                return Err(out_of_range("data.prior_hours", PRIOR_HOURS));
            }
            *h + 0.0 // `+ 0.0` turns -0 into 0
        }
        Some(_) => return Err(malformed("data.prior_hours", PRIOR_HOURS)),
    };
    let weekly_hours = match d.weekly_hours {
        None => WeeklyHours::FullTime,
        Some(Field::Num(h)) if *h == 37.0 => WeeklyHours::FullTime,
        Some(Field::Num(h)) if *h == 30.0 => WeeklyHours::PartTime,
        Some(_) => return Err(malformed("data.weekly_hours", "the number 37 or 30 (default 37)")),
    };
    let akasse_participation = match d.akasse_participation {
        None => AkasseParticipation::Yes,
        Some(Field::Str(s)) if s == "yes" => AkasseParticipation::Yes,
        Some(Field::Str(s)) if s == "opted_out" => AkasseParticipation::OptedOut,
        Some(_) => {
            return Err(malformed("data.akasse_participation", "\"yes\" or \"opted_out\" (default \"yes\")"));
        }
    };
    let registration =
        Registration { municipality, akasse, registered_on, prior_hours, weekly_hours, akasse_participation };
    Ok((cpr, Fact::Registration(registration)))
}

fn cv_completed(d: &DataMembers<'_, '_>) -> Result<(Cpr, Fact), BadInput> {
    let cpr = cpr(d.cpr)?;
    let completed_on = date(d.completed_on, "data.completed_on")?;
    Ok((cpr, Fact::CvCompleted(CvCompleted { completed_on })))
}

fn job_exit(d: &DataMembers<'_, '_>) -> Result<(Cpr, Fact), BadInput> {
    let cpr = cpr(d.cpr)?;
    let job_starts_on = date(d.job_starts_on, "data.job_starts_on")?;
    let reason = match d.reason {
        None => ExitReason::Job,
        Some(Field::Str(s)) => match s.as_ref() {
            "job" => ExitReason::Job,
            "education" => ExitReason::Education,
            "other" => ExitReason::Other,
            _ => return Err(malformed("data.reason", "\"job\", \"education\" or \"other\" (default \"job\")")),
        },
        Some(_) => return Err(malformed("data.reason", "\"job\", \"education\" or \"other\" (default \"job\")")),
    };
    Ok((cpr, Fact::JobExit(JobExit { job_starts_on, reason })))
}

fn job_exit_withdrawn(d: &DataMembers<'_, '_>) -> Result<(Cpr, Fact), BadInput> {
    let cpr = cpr(d.cpr)?;
    let job_starts_on = date(d.job_starts_on, "data.job_starts_on")?;
    Ok((cpr, Fact::JobExitWithdrawn(JobExitWithdrawal { job_starts_on })))
}

/// Deserializes `data` (known to be valid JSON and an object) into its lenient wire struct.
fn read_data<'a, T: serde::Deserialize<'a>>(data: &'a str) -> Result<T, BadInput> {
    serde_json::from_str(data).map_err(|_| wire_error::<T>(data, "data.", "`data`"))
}

/// Why a lenient wire struct rejected an object that is valid JSON. Only two things can cause
/// that: a member that appears twice, or a number too large for an `f64` in a member samspil
/// reads (the JSON grammar has no limit; serde_json has). Slow, so only for errors:
/// `serde_path_to_error` finds the member.
fn wire_error<'a, T: serde::Deserialize<'a>>(json: &'a str, prefix: &str, what: &str) -> BadInput {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(e) if !e.inner().is_data() => {
            malformed(&format!("{prefix}{}", e.path()), "a number within the range of a 64-bit float")
        }
        _ => BadInput::new(
            ErrorCode::MalformedField,
            format!("{what} repeats a member; expected each member at most once"),
        ),
    }
}

fn cpr(field: &Option<Field<'_>>) -> Result<Cpr, BadInput> {
    let s = text(field, "data.cpr", CPR)?;
    if !is_valid_cpr(s.as_bytes()) {
        return Err(BadInput::new(ErrorCode::InvalidCpr, format!("`data.cpr` is not a CPR number; expected {CPR}")));
    }
    Ok(Cpr::new_unchecked(s))
}

/// 10 ASCII digits whose first six are a valid DDMMYY. No modulus-11 check: numbers issued since
/// 2007 can fail it. 29 February is valid in every year YY divisible by 4 (the century is in the
/// seventh digit, and 2000 was a leap year).
pub(crate) fn is_valid_cpr(b: &[u8]) -> bool {
    if b.len() != 10 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let (day, month, year) = (two_digits(&b[0..2]), two_digits(&b[2..4]), two_digits(&b[4..6]));
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

fn three_digits(field: &Option<Field<'_>>, path: &str) -> Result<CompactString, BadInput> {
    let s = text(field, path, THREE_DIGITS)?;
    if s.len() != 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(path, THREE_DIGITS));
    }
    Ok(s.into())
}

/// An ISO 8601 calendar date, `YYYY-MM-DD`. Shaped but not a real day is `impossible_date`.
fn date(field: &Option<Field<'_>>, path: &str) -> Result<NaiveDate, BadInput> {
    let b = text(field, path, DATE)?.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [&b[0..4], &b[5..7], &b[8..10]].iter().all(|part| part.iter().all(u8::is_ascii_digit));
    if !shaped {
        return Err(malformed(path, DATE));
    }
    let year = two_digits(&b[0..2]) as i32 * 100 + two_digits(&b[2..4]) as i32;
    let day = NaiveDate::from_ymd_opt(year, two_digits(&b[5..7]), two_digits(&b[8..10])).ok_or_else(|| {
        BadInput::new(ErrorCode::ImpossibleDate, format!("`{path}` is shaped YYYY-MM-DD but no such day exists"))
    })?;
    if !bounds::date_in_bounds(day) {
        return Err(out_of_range(path, DATE_RANGE));
    }
    Ok(day)
}

fn two_digits(b: &[u8]) -> u32 {
    u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0')
}

/// A required string member: absent or `null` is `missing_field`, any other JSON type
/// `malformed_field`.
fn text<'f>(field: &'f Option<Field<'_>>, path: &str, expected: &str) -> Result<&'f str, BadInput> {
    match field {
        Some(Field::Str(s)) => Ok(s),
        Some(_) => Err(malformed(path, expected)),
        None => Err(missing(path, expected)),
    }
}

fn missing(path: &str, expected: &str) -> BadInput {
    BadInput::new(ErrorCode::MissingField, format!("`{path}` is missing; expected {expected}"))
}

fn out_of_range(path: &str, expected: &str) -> BadInput {
    BadInput::new(ErrorCode::OutOfRange, format!("`{path}` is out of range; expected {expected}"))
}

fn malformed(path: &str, expected: &str) -> BadInput {
    BadInput::new(ErrorCode::MalformedField, format!("`{path}` is malformed; expected {expected}"))
}
