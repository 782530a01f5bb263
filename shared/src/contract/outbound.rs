//! Rendering meeting updates as outbound CloudEvents for the `meeting-updates` topic, and reading
//! them back.
//!
//! An [`OutboundEvent`] is the exact structured-mode CloudEvent a jobcenter or a-kasse system
//! receives. Its `id` is derived from the meeting id and the update's sequence, so republishing an
//! update after a crash (the outbox: `docs/decisions.md`, "Outbox") yields a byte-identical event
//! that receivers recognise as a duplicate. Serialization is a derived `Serialize` over owned and
//! `'static` fields, with no intermediate `serde_json::Value`.
//!
//! The same struct deserializes, so tests, the CLI and the local runner can read published updates
//! back ([`OutboundEvent::from_json`]); the JSON Schemas of the three outbound types are generated
//! from it too.

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use compact_str::CompactString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::wire::{CPR_PATTERN, THREE_DIGITS_PATTERN};
use super::{
    AkasseParticipation, BadInput, Cpr, ErrorCode, MeetingForm, MeetingKind, MeetingUpdate, UpdateReason, UpdateType,
};

/// The CloudEvents `source` of every update samspil publishes.
pub const PUBLISHER_SOURCE: &str = "urn:dk:samspil";

const SPECVERSION: &str = "1.0";
const DATA_CONTENT_TYPE: &str = "application/json";

/// An outbound CloudEvent: one meeting update as published on `meeting-updates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OutboundEvent {
    /// The CloudEvents version: always "1.0".
    #[schemars(extend("const" = "1.0"))]
    specversion: Cow<'static, str>,
    /// `{meeting_id}-{sequence}`: the same update always has the same id.
    #[schemars(length(min = 1))]
    id: String,
    /// Always "urn:dk:samspil".
    #[schemars(extend("const" = PUBLISHER_SOURCE))]
    source: Cow<'static, str>,
    /// The update type.
    #[serde(rename = "type")]
    event_type: Cow<'static, str>,
    /// When samspil published the update (RFC 3339, UTC, whole seconds).
    time: DateTime<Utc>,
    /// Always "application/json".
    #[schemars(extend("const" = DATA_CONTENT_TYPE))]
    datacontenttype: Cow<'static, str>,
    /// The meeting id.
    #[schemars(length(min = 1))]
    subject: String,
    /// The update itself.
    data: MeetingUpdateData,
}

/// The `data` of an outbound event: the contract's meeting update fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MeetingUpdateData {
    /// Stable for a person, period and meeting kind (rule R11); reveals nothing about the CPR number.
    #[schemars(length(min = 1))]
    pub meeting_id: String,
    /// 1 for the first update of a meeting, then +1 per update. Apply an update only if its
    /// sequence is higher than the last one applied.
    #[schemars(range(min = 1))]
    pub sequence: u32,
    /// The person's CPR number, DDMMYYSSSS.
    #[schemars(with = "String", pattern(CPR_PATTERN))]
    pub cpr: Cpr,
    /// Kommunekode, as received.
    #[schemars(with = "String", pattern(THREE_DIGITS_PATTERN))]
    pub municipality: CompactString,
    /// The a-kasse's number, as received.
    #[schemars(with = "String", pattern(THREE_DIGITS_PATTERN))]
    pub akasse: CompactString,
    /// The kind of meeting.
    pub kind: MeetingKind,
    /// The meeting day (for a cancellation: the day it would have been).
    pub date: NaiveDate,
    /// How the meeting is held.
    pub form: MeetingForm,
    /// Whether the a-kasse takes part.
    pub akasse_participation: AkasseParticipation,
    /// The last day the policy allows for the meeting.
    pub deadline: NaiveDate,
    /// True when no day on or before the deadline was possible (rule R4).
    pub deadline_missed: bool,
    /// The date before the move; only in `dk.jobcenter.meeting-rescheduled.v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "NaiveDate")]
    pub previous_date: Option<NaiveDate>,
    /// Why the meeting was moved or cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "UpdateReason")]
    pub reason: Option<UpdateReason>,
}

impl OutboundEvent {
    /// Renders `update` as the event published at `time`. Its `id` is derived from the meeting id
    /// and the sequence, so publishing the same update twice yields the same event.
    pub fn new(update: &MeetingUpdate, time: DateTime<Utc>) -> Self {
        let rescheduled = update.update_type == UpdateType::Rescheduled;
        // `<meeting id>-<sequence>`, in a buffer sized once (`format!` grew it while writing).
        let mut id = String::with_capacity(update.meeting_id.len() + 11);
        id.push_str(&update.meeting_id);
        id.push('-');
        write!(id, "{}", update.sequence).expect("writing to a String cannot fail");
        OutboundEvent {
            specversion: Cow::Borrowed(SPECVERSION),
            id,
            source: Cow::Borrowed(PUBLISHER_SOURCE),
            event_type: Cow::Borrowed(update.update_type.event_type()),
            time: time.trunc_subsecs(0),
            datacontenttype: Cow::Borrowed(DATA_CONTENT_TYPE),
            subject: update.meeting_id.clone(),
            data: MeetingUpdateData {
                meeting_id: update.meeting_id.clone(),
                sequence: update.sequence,
                cpr: update.cpr,
                municipality: update.municipality.clone(),
                akasse: update.akasse.clone(),
                kind: update.kind,
                date: update.date,
                form: update.form,
                akasse_participation: update.akasse_participation,
                deadline: update.deadline,
                deadline_missed: update.deadline_missed,
                previous_date: update.previous_date.filter(|_| rescheduled),
                reason: update.reason,
            },
        }
    }

    /// The JSON text of the event.
    pub fn to_json(&self) -> String {
        // Cannot fail: every field is a string, number, bool or struct with string keys.
        serde_json::to_string(self).expect("an OutboundEvent always serializes")
    }

    /// Reads an event back from its JSON text, e.g. a message received from the topic.
    ///
    /// The error names the failing field but, unlike serde's own text, never the value, so a CPR
    /// number cannot leak through it.
    pub fn from_json(json: &str) -> Result<Self, BadInput> {
        let not_json = || BadInput::new(ErrorCode::NotJson, "the meeting update is not valid JSON");
        let mut de = serde_json::Deserializer::from_str(json);
        let event = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            // A data error can come before a syntax error further on; the body must be JSON first.
            if !e.inner().is_data() || serde_json::from_str::<serde::de::IgnoredAny>(json).is_err() {
                return not_json();
            }
            let message = format!("`{}` is missing or malformed in the meeting update", e.path());
            BadInput::new(ErrorCode::MalformedField, message)
        })?;
        de.end().map_err(|_| not_json())?;
        Ok(event)
    }

    /// The CloudEvents `id`: `{meeting_id}-{sequence}`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The CloudEvents `type`, also sent as the SNS message attribute `event_type`.
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// The update type, or `None` for a `type` this version does not know.
    pub fn update_type(&self) -> Option<UpdateType> {
        UpdateType::ALL.into_iter().find(|t| t.event_type() == self.event_type)
    }

    /// When the update was published.
    pub fn time(&self) -> DateTime<Utc> {
        self.time
    }

    /// The CloudEvents `subject`: the meeting id.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The meeting update carried as `data`.
    pub fn data(&self) -> &MeetingUpdateData {
        &self.data
    }

    /// The SNS message attribute `municipality`.
    pub fn municipality(&self) -> &str {
        &self.data.municipality
    }

    /// The SNS message attribute `akasse`.
    pub fn akasse(&self) -> &str {
        &self.data.akasse
    }

    /// The SNS message attributes every update carries, as `(name, value)` pairs, so subscribers
    /// can filter on them.
    pub fn message_attributes(&self) -> [(&'static str, &str); 3] {
        [("municipality", self.municipality()), ("akasse", self.akasse()), ("event_type", self.event_type())]
    }

    /// The [`MeetingUpdate`] this event carries, or `None` if its `type` is unknown.
    pub fn to_update(&self) -> Option<MeetingUpdate> {
        let d = &self.data;
        Some(MeetingUpdate {
            update_type: self.update_type()?,
            meeting_id: d.meeting_id.clone(),
            sequence: d.sequence,
            cpr: d.cpr,
            municipality: d.municipality.clone(),
            akasse: d.akasse.clone(),
            kind: d.kind,
            date: d.date,
            form: d.form,
            akasse_participation: d.akasse_participation,
            deadline: d.deadline,
            deadline_missed: d.deadline_missed,
            previous_date: d.previous_date,
            reason: d.reason,
        })
    }
}
