//! The machine-readable contract: JSON Schemas (draft 2020-12) of every message and an AsyncAPI
//! 3.0 document, generated from the Rust types.
//!
//! Systems on both sides are built against `docs/contract.md`; these files let them validate and
//! generate code instead of reading prose. They are generated, never hand-written: the inbound
//! schemas come from the very wire structs [`super::inbound`] deserializes into, the outbound ones
//! from [`OutboundEvent`]. They are checked in under `contracts/`, and a test
//! (`shared/tests/contract_drift.rs`) fails when the checked-in files differ from [`generate`];
//! `make contracts` rewrites them.
//!
//! Each schema carries `examples`; a test checks that every example validates against its schema
//! and is accepted by the parser (inbound) or reads back (outbound), so schema and code agree.

mod asyncapi;

use chrono::{NaiveDate, TimeZone, Utc};
use schemars::Schema;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use super::wire::{CvCompletedData, Envelope, JobExitData, JobExitWithdrawnData, RegistrationData};
use super::{
    AkasseParticipation, Cpr, InboundType, MeetingForm, MeetingKind, MeetingUpdate, OutboundEvent, UpdateReason,
    UpdateType,
};

/// The synthetic CPR number used in every example. Not a real person's.
const EXAMPLE_CPR: &str = "0101901234";

/// Every generated contract file: `(path relative to contracts/, pretty JSON ending in a
/// newline)`, in a fixed order.
pub fn generate() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for kind in InboundType::ALL {
        files.push((schema_path(kind.event_type()), pretty(&inbound_schema(kind))));
    }
    for update_type in UpdateType::ALL {
        files.push((schema_path(update_type.event_type()), pretty(&outbound_schema(update_type))));
    }
    files.push(("asyncapi.json".to_owned(), pretty(&asyncapi::document())));
    files
}

/// Where the schema of a CloudEvents `type` lives, relative to `contracts/`.
pub fn schema_path(event_type: &str) -> String {
    format!("schemas/{event_type}.json")
}

/// The JSON Schema of one inbound message: the envelope with `type` fixed and `data` narrowed.
pub fn inbound_schema(kind: InboundType) -> Value {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let data = match kind {
        InboundType::Registration => generator.subschema_for::<RegistrationData<'_>>(),
        InboundType::CvCompleted => generator.subschema_for::<CvCompletedData<'_>>(),
        InboundType::JobExit => generator.subschema_for::<JobExitData<'_>>(),
        InboundType::JobExitWithdrawn => generator.subschema_for::<JobExitWithdrawnData<'_>>(),
    };
    let root = generator.into_root_schema_for::<Envelope<'_>>();
    let description = format!(
        "{} Sent by an a-kasse system to the SQS queue `{}`, one CloudEvents 1.0 event in structured mode \
         per message body. Unknown members are ignored.",
        inbound_summary(kind),
        kind.queue()
    );
    let examples = inbound_examples(kind);
    finish(root, kind.event_type(), &description, data.to_value(), examples)
}

/// The JSON Schema of one outbound update type.
pub fn outbound_schema(update_type: UpdateType) -> Value {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let data = generator.subschema_for::<super::outbound::MeetingUpdateData>().to_value();
    let root = generator.into_root_schema_for::<OutboundEvent>();
    // What distinguishes the three types within the shared `data` shape: `previous_date`, and the
    // `reason` values each type can carry.
    let reasons: Vec<Value> = update_type.reasons().iter().map(|r| json!(r)).collect();
    let reason = json!({
        "$ref": "#/$defs/UpdateReason",
        "enum": reasons,
        "description": reason_description(update_type),
    });
    let narrowing = match update_type {
        UpdateType::Scheduled => json!({ "properties": { "previous_date": false, "reason": reason } }),
        UpdateType::Rescheduled => json!({ "required": ["previous_date"], "properties": { "reason": reason } }),
        UpdateType::Cancelled => json!({ "properties": { "previous_date": false, "reason": reason } }),
    };
    let mut data = data;
    merge(&mut data, narrowing);
    let description = format!(
        "{} Published by samspil on the SNS topic `meeting-updates` with the message attributes \
         `municipality`, `akasse` and `event_type`. Apply an update only if its `data.sequence` is \
         higher than the last one applied for the meeting.",
        outbound_summary(update_type)
    );
    let examples = vec![outbound_example(update_type)];
    finish(root, update_type.event_type(), &description, data, examples)
}

/// One sentence saying what an inbound message means.
pub(crate) fn inbound_summary(kind: InboundType) -> &'static str {
    match kind {
        InboundType::Registration => "A person registered as unemployed with an a-kasse.",
        InboundType::CvCompleted => "The person's CV conversation and draft plan are done.",
        InboundType::JobExit => "The person leaves unemployment because a job (or education) starts.",
        InboundType::JobExitWithdrawn => {
            "The job of an earlier job exit fell through before it started: that job exit, named by its \
             `job_starts_on`, counts as never received."
        }
    }
}

/// One sentence saying when an outbound update is sent.
pub(crate) fn outbound_summary(update_type: UpdateType) -> &'static str {
    match update_type {
        UpdateType::Scheduled => {
            "A first joint meeting is announced for the first time (no `reason`), or again after a \
             cancellation that was withdrawn or turned out wrong, or with corrected details (`reason`)."
        }
        UpdateType::Rescheduled => "A meeting's date changed; `previous_date` is the date before the move.",
        UpdateType::Cancelled => "A meeting will not be held; `date` is the day it would have been.",
    }
}

/// What `reason` says in one update type.
fn reason_description(update_type: UpdateType) -> &'static str {
    match update_type {
        UpdateType::Scheduled => {
            "Absent the first time a meeting is announced. When it is announced again: \"job_exit_withdrawn\" \
             (the job exit that cancelled it was withdrawn, rule R13) or \"corrected\" (the cancellation rested \
             on another period's fact, or the period's registration was corrected, rules R6 and R8)."
        }
        UpdateType::Rescheduled => "\"cv_completed\": the CV conversation ended too close to the meeting (rule R6).",
        UpdateType::Cancelled => {
            "\"job_exit\": a job starts within the cancel horizon (rule R7); \"superseded\": the meeting's period \
             turned out to be part of an earlier one, whose meeting replaces it (rule R8)."
        }
    }
}

/// Example bodies of one inbound type: a complete one and, where the type has optional members,
/// a minimal one relying on the defaults.
pub fn inbound_examples(kind: InboundType) -> Vec<Value> {
    let envelope = |id: &str, data: Value| {
        json!({
            "specversion": "1.0",
            "id": id,
            "source": "urn:dk:akasse:067",
            "type": kind.event_type(),
            "time": "2026-09-01T08:15:00+02:00",
            "datacontenttype": "application/json",
            "data": data,
        })
    };
    match kind {
        InboundType::Registration => vec![
            envelope(
                "reg-000123",
                json!({
                    "cpr": EXAMPLE_CPR, "municipality": "840", "akasse": "067", "registered_on": "2026-09-01",
                    "prior_hours": 74.0, "weekly_hours": 37, "akasse_participation": "yes",
                }),
            ),
            envelope(
                "reg-000124",
                json!({ "cpr": EXAMPLE_CPR, "municipality": "851", "akasse": "067", "registered_on": "2026-09-01" }),
            ),
        ],
        InboundType::CvCompleted => {
            vec![envelope("cv-000456", json!({ "cpr": EXAMPLE_CPR, "completed_on": "2026-09-24" }))]
        }
        InboundType::JobExit => vec![
            envelope("exit-000789", json!({ "cpr": EXAMPLE_CPR, "job_starts_on": "2026-10-01", "reason": "job" })),
            envelope("exit-000790", json!({ "cpr": EXAMPLE_CPR, "job_starts_on": "2026-10-01" })),
        ],
        InboundType::JobExitWithdrawn => {
            vec![envelope("exit-000791", json!({ "cpr": EXAMPLE_CPR, "job_starts_on": "2026-10-01" }))]
        }
    }
}

/// An example event of one outbound type.
pub fn outbound_example(update_type: UpdateType) -> Value {
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).expect("a real day");
    let (sequence, date, previous_date, reason) = match update_type {
        UpdateType::Scheduled => (1, day(10, 5), None, None),
        UpdateType::Rescheduled => (2, day(10, 7), Some(day(10, 5)), Some(UpdateReason::CvCompleted)),
        UpdateType::Cancelled => (3, day(10, 7), None, Some(UpdateReason::JobExit)),
    };
    let update = MeetingUpdate {
        update_type,
        meeting_id: "mtg-7f3c9a1e5b2d4c60".to_owned(),
        sequence,
        cpr: Cpr::new_unchecked(EXAMPLE_CPR),
        municipality: "840".into(),
        akasse: "067".into(),
        kind: MeetingKind::FirstJoint,
        date,
        form: MeetingForm::InPerson,
        akasse_participation: AkasseParticipation::Yes,
        deadline: day(11, 6),
        deadline_missed: false,
        previous_date,
        reason,
    };
    let time = Utc.with_ymd_and_hms(2026, 9, 1, 6, 15, 1).single().expect("a valid time");
    serde_json::to_value(OutboundEvent::new(&update, time)).expect("an OutboundEvent always serializes")
}

/// Gives a generated envelope schema its message-specific parts.
fn finish(root: Schema, event_type: &str, description: &str, data: Value, examples: Vec<Value>) -> Value {
    let mut root = root.to_value();
    let object = root.as_object_mut().expect("a struct's schema is an object");
    object.insert("title".to_owned(), json!(event_type));
    object.insert("description".to_owned(), json!(description));
    object.insert("examples".to_owned(), Value::Array(examples));
    let properties =
        object.get_mut("properties").and_then(Value::as_object_mut).expect("an envelope schema has properties");
    merge(&mut properties["type"], json!({ "const": event_type }));
    let data_description = properties["data"].get("description").cloned();
    let mut data = data;
    if let (Some(description), Some(data)) = (data_description, data.as_object_mut()) {
        data.insert("description".to_owned(), description);
    }
    properties.insert("data".to_owned(), data);
    root
}

/// Shallow-merges the members of `extra` into the object `target`, one level deep for objects.
fn merge(target: &mut Value, extra: Value) {
    let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) else { return };
    for (key, value) in extra {
        match (target.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(more)) => existing.extend(more),
            (_, value) => {
                target.insert(key, value);
            }
        }
    }
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a Value always serializes");
    text.push('\n');
    text
}
