//! The inbound wire structs: what the parser deserializes into, and what the JSON Schemas under
//! `contracts/` are generated from.
//!
//! One set of structs serves both so the two cannot drift apart: a field added here appears in the
//! schema, and the `#[schemars]` attributes beside each field state the contract's rule that
//! [`super::inbound`] enforces for it.
//!
//! The structs borrow from the message body and are deliberately lenient: every member is an
//! `Option<`[`Field`]`>` that accepts any JSON value, so deserializing a JSON object never fails on
//! a wrong type or a missing member. [`super::inbound`] then checks the members one by one, in the
//! order the contract fixes, and can name exactly the field that is wrong without ever echoing the
//! value it received. (A strictly typed struct would fail at the first wrong member in document
//! order, and serde's error text quotes the offending value, which could be a CPR number.) JSON
//! `null` deserializes to `None`, so it counts as missing.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{AkasseParticipation, ExitReason};

/// A CPR number: 10 digits, the first six a plausible day and month (DDMMYY). The exact day/month
/// check (30 April, 29 February in years divisible by 4) is the parser's.
pub(crate) const CPR_PATTERN: &str = "^(0[1-9]|[12][0-9]|3[01])(0[1-9]|1[0-2])[0-9]{6}$";
/// A date from 2000-01-01 to 2099-12-31 (contract bounds), shaped YYYY-MM-DD.
pub(crate) const DATE_PATTERN: &str = "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";
/// A kommunekode or an a-kasse number.
pub(crate) const THREE_DIGITS_PATTERN: &str = "^[0-9]{3}$";

/// One JSON member as received, before validation.
///
/// Strings borrow from the body unless they contain escapes. Numbers are kept as `f64`, which is
/// all the contract needs (`prior_hours`, `weekly_hours`). Booleans, arrays and objects are only
/// ever the wrong type for a samspil field, so they are skipped and remembered as [`Field::Other`].
/// Its `Debug` names the kind and the length, never the value: a field may be the CPR number.
#[derive(Clone, PartialEq)]
pub(crate) enum Field<'a> {
    Str(Cow<'a, str>),
    Num(f64),
    Other,
}

impl fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Str(s) => write!(f, "Str(<{} bytes>)", s.len()),
            Field::Num(_) => f.write_str("Num(<number>)"),
            Field::Other => f.write_str("Other"),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Field<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldVisitor(PhantomData))
    }
}

struct FieldVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for FieldVisitor<'a> {
    type Value = Field<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Owned(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Field::Num(v as f64))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Field::Num(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Field::Num(v))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Field::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Field::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Field::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Field::Other)
    }
}

/// A CloudEvents 1.0 event in structured mode, as sent by an a-kasse system.
///
/// This is the parser's strict reading: `data` stays raw until `type` is known, and is then parsed
/// into the struct for that type. The parser's fast path (`super::one_pass`) reads the same members
/// and `data` in one pass, and falls back to this reading whenever it gives up.
/// The schema of each message narrows `type` to one value and `data` to that type's members.
#[derive(Deserialize, JsonSchema)]
pub(crate) struct Envelope<'a> {
    /// The CloudEvents version: always "1.0".
    #[serde(borrow)]
    #[schemars(with = "String", extend("const" = "1.0"))]
    pub specversion: Option<Field<'a>>,
    /// Unique per `source`; `(source, id)` is the idempotency key.
    #[serde(borrow)]
    #[schemars(with = "String", length(min = 1, max = 128))]
    pub id: Option<Field<'a>>,
    /// The sending system, e.g. "urn:dk:akasse:067".
    #[serde(borrow)]
    #[schemars(with = "String", length(min = 1))]
    pub source: Option<Field<'a>>,
    /// The message type; it decides the queue and the shape of `data`.
    #[serde(borrow, rename = "type")]
    #[schemars(with = "String")]
    pub event_type: Option<Field<'a>>,
    /// When the sender recorded the fact (RFC 3339).
    #[serde(borrow)]
    #[schemars(with = "chrono::DateTime<chrono::FixedOffset>")]
    pub time: Option<Field<'a>>,
    /// The media type of `data`: "application/json" when present.
    #[serde(borrow, default)]
    #[schemars(with = "String", extend("const" = "application/json"))]
    pub datacontenttype: Option<Field<'a>>,
    /// The fact itself; its members depend on `type`.
    #[serde(borrow)]
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub data: Option<&'a RawValue>,
}

impl fmt::Debug for Envelope<'_> {
    // `data` is raw JSON holding the CPR number: only its length is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("specversion", &self.specversion)
            .field("id", &self.id)
            .field("source", &self.source)
            .field("event_type", &self.event_type)
            .field("time", &self.time)
            .field("datacontenttype", &self.datacontenttype)
            .field("data", &self.data.map(|d| format!("<{} bytes>", d.get().len())))
            .finish()
    }
}

/// `data` of `dk.akasse.registration.v1`: a person registered as unemployed.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct RegistrationData<'a> {
    /// CPR number, DDMMYYSSSS (no modulus-11 check).
    #[serde(borrow)]
    #[schemars(with = "String", pattern(CPR_PATTERN))]
    pub cpr: Option<Field<'a>>,
    /// Kommunekode, three digits.
    #[serde(borrow)]
    #[schemars(with = "String", pattern(THREE_DIGITS_PATTERN))]
    pub municipality: Option<Field<'a>>,
    /// The a-kasse's number, three digits.
    #[serde(borrow)]
    #[schemars(with = "String", pattern(THREE_DIGITS_PATTERN))]
    pub akasse: Option<Field<'a>>,
    /// The first day of the unemployment period.
    #[serde(borrow)]
    #[schemars(schema_with = "date_schema")]
    pub registered_on: Option<Field<'a>>,
    /// Hours of cumulative unemployment used in earlier periods.
    #[serde(borrow, default)]
    #[schemars(schema_with = "prior_hours_schema")]
    pub prior_hours: Option<Field<'a>>,
    /// Hours in one benefit week: 37 (full-time insured) or 30 (part-time insured).
    #[serde(borrow, default)]
    #[schemars(schema_with = "weekly_hours_schema")]
    pub weekly_hours: Option<Field<'a>>,
    /// Whether the a-kasse takes part in the joint meeting.
    #[serde(borrow, default)]
    #[schemars(with = "AkasseParticipation", extend("default" = "yes"))]
    pub akasse_participation: Option<Field<'a>>,
}

/// `data` of `dk.akasse.cv-completed.v1`: the CV conversation and draft plan are done.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct CvCompletedData<'a> {
    /// CPR number, DDMMYYSSSS (no modulus-11 check).
    #[serde(borrow)]
    #[schemars(with = "String", pattern(CPR_PATTERN))]
    pub cpr: Option<Field<'a>>,
    /// The day the CV conversation was completed.
    #[serde(borrow)]
    #[schemars(schema_with = "date_schema")]
    pub completed_on: Option<Field<'a>>,
}

/// `data` of `dk.akasse.job-exit.v1`: the person leaves unemployment.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct JobExitData<'a> {
    /// CPR number, DDMMYYSSSS (no modulus-11 check).
    #[serde(borrow)]
    #[schemars(with = "String", pattern(CPR_PATTERN))]
    pub cpr: Option<Field<'a>>,
    /// The first day of the job (or education).
    #[serde(borrow)]
    #[schemars(schema_with = "date_schema")]
    pub job_starts_on: Option<Field<'a>>,
    /// Why the person leaves unemployment.
    #[serde(borrow, default)]
    #[schemars(with = "ExitReason", extend("default" = "job"))]
    pub reason: Option<Field<'a>>,
}

/// `data` of `dk.akasse.job-exit-withdrawn.v1`: the job of an earlier job exit fell through (rule R13).
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct JobExitWithdrawnData<'a> {
    /// CPR number, DDMMYYSSSS (no modulus-11 check).
    #[serde(borrow)]
    #[schemars(with = "String", pattern(CPR_PATTERN))]
    pub cpr: Option<Field<'a>>,
    /// The `job_starts_on` of the job exit withdrawn.
    #[serde(borrow)]
    #[schemars(schema_with = "date_schema")]
    pub job_starts_on: Option<Field<'a>>,
}

fn prior_hours_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "number",
        "minimum": 0,
        "maximum": super::bounds::MAX_PRIOR_HOURS,
        "default": 0,
    })
}

/// A calendar date within the contract's bounds (2000 to 2099); the exact day check is the parser's.
fn date_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "format": "date",
        "pattern": DATE_PATTERN,
    })
}

fn weekly_hours_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "integer",
        "enum": [37, 30],
        "default": 37,
    })
}

#[cfg(test)]
mod debug_tests {
    use super::*;

    #[test]
    fn envelopes_and_fields_print_no_values() {
        let cpr = "0101900000";
        let body = format!(r#"{{"specversion":"1.0","id":"x","source":"{cpr}","data":{{"cpr":"{cpr}"}}}}"#);
        let envelope: Envelope<'_> = serde_json::from_str(&body).unwrap();
        let shown = format!("{envelope:?}");
        assert!(!shown.contains(cpr) && shown.contains("Str(<10 bytes>)") && shown.contains("bytes>"), "{shown}");
        let json = format!(r#"{{"cpr":"{cpr}"}}"#);
        let data: CvCompletedData<'_> = serde_json::from_str(&json).unwrap();
        assert!(!format!("{data:?}").contains(cpr));
    }
}
