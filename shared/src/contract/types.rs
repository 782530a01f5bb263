//! Validated inbound facts and outbound meeting updates.
//!
//! These are the types the rest of samspil works with once a message has passed validation. They
//! carry no wire concerns: parsing lives in [`super::inbound`], rendering in [`super::outbound`].

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// A CPR number (CPR-nummer): 10 digits, DDMMYYSSSS.
///
/// Sensitive. Its `Debug` and `Display` print a mask, never the digits, so it cannot leak into a
/// log line, an error or a panic message by accident. Use [`Cpr::expose`] where the digits are
/// truly needed (the outbound `cpr` field and the keyed hash).
///
/// Held as its ten ASCII digits in place, not on the heap: every message carries one, and it is
/// copied into each update rendered for the person. Deserializing one validates it like the parser
/// does, with an error that never quotes the value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cpr([u8; 10]);

impl Cpr {
    /// Wraps digits that [`super::inbound`] has already validated.
    ///
    /// # Panics
    /// If `digits` is not ten bytes long (the message never names the digits).
    pub(crate) fn new_unchecked(digits: &str) -> Self {
        Cpr(digits.as_bytes().try_into().expect("a validated CPR number has ten digits"))
    }

    /// A CPR number from its ten digits, if they are one (see `docs/contract.md`: the first six are
    /// a valid DDMMYY; no modulus-11 check). For tools and tests; messages are validated on parse.
    pub fn parse(digits: &str) -> Option<Self> {
        super::inbound::is_valid_cpr(digits.as_bytes()).then(|| Cpr::new_unchecked(digits))
    }

    /// The ten digits. Call only where the number must leave the process by contract.
    pub fn expose(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a CPR number is ASCII digits")
    }
}

impl Serialize for Cpr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

const NOT_A_CPR: &str = "not a CPR number: expected a string of 10 digits, DDMMYYSSSS";

impl<'de> Deserialize<'de> for Cpr {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Digits;
        impl serde::de::Visitor<'_> for Digits {
            type Value = Cpr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a CPR number: 10 digits, the first six a valid DDMMYY")
            }
            // The error names what was expected, never the value (`invalid_value` would quote it).
            fn visit_str<E: serde::de::Error>(self, digits: &str) -> Result<Cpr, E> {
                Cpr::parse(digits).ok_or_else(|| E::custom(NOT_A_CPR))
            }
            // A number in its place (serde's own error would quote it).
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Cpr, E> {
                Err(E::custom(NOT_A_CPR))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Cpr, E> {
                Err(E::custom(NOT_A_CPR))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Cpr, E> {
                Err(E::custom(NOT_A_CPR))
            }
        }
        deserializer.deserialize_any(Digits)
    }
}

impl fmt::Debug for Cpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cpr(**********)")
    }
}

impl fmt::Display for Cpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("**********")
    }
}

/// The idempotency key of an inbound message: CloudEvents `(source, id)` (rule R10).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MessageKey {
    pub source: CompactString,
    pub id: CompactString,
}

/// The CloudEvents `source` prefix of an a-kasse system; the a-kasse's three-digit number follows.
pub const AKASSE_SOURCE_PREFIX: &str = "urn:dk:akasse:";

impl MessageKey {
    /// The a-kasse the `source` names (`urn:dk:akasse:<three digits>`), if it names one: who speaks
    /// in the message (rule R14).
    pub fn akasse(&self) -> Option<&str> {
        let number = self.source.strip_prefix(AKASSE_SOURCE_PREFIX)?;
        (number.len() == 3 && number.bytes().all(|b| b.is_ascii_digit())).then_some(number)
    }
}

/// Whether the a-kasse takes part in the joint meeting (rule R5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AkasseParticipation {
    Yes,
    OptedOut,
}

/// Hours in one week of benefit for the insured person (rule R1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WeeklyHours {
    /// Full-time insured: 37 h.
    FullTime,
    /// Part-time insured: 30 h.
    PartTime,
}

impl WeeklyHours {
    pub fn hours(self) -> u32 {
        match self {
            WeeklyHours::FullTime => 37,
            WeeklyHours::PartTime => 30,
        }
    }
}

/// Why a person leaves unemployment (afmeldt til job).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    Job,
    Education,
    Other,
}

/// The form of a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeetingForm {
    InPerson,
    Phone,
    Video,
}

/// `dk.akasse.registration.v1`: a person registered as unemployed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    /// Kommunekode, three digits.
    pub municipality: CompactString,
    /// The a-kasse's three-digit number.
    pub akasse: CompactString,
    pub registered_on: NaiveDate,
    /// Hours of cumulative unemployment (sammenlagt ledighed) used in earlier periods.
    pub prior_hours: f64,
    pub weekly_hours: WeeklyHours,
    pub akasse_participation: AkasseParticipation,
}

/// `dk.akasse.cv-completed.v1`: the CV conversation (CV-samtale) and draft plan are done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CvCompleted {
    pub completed_on: NaiveDate,
}

/// `dk.akasse.job-exit.v1`: the person leaves unemployment because a job (or education) starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobExit {
    pub job_starts_on: NaiveDate,
    pub reason: ExitReason,
}

/// `dk.akasse.job-exit-withdrawn.v1`: the job of an earlier job exit fell through before it started
/// (rule R13). It names the job exit it withdraws by that exit's `job_starts_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobExitWithdrawal {
    /// The `job_starts_on` of the job exit withdrawn.
    pub job_starts_on: NaiveDate,
}

/// What an inbound message says about a person, without the person's identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum Fact {
    Registration(Registration),
    CvCompleted(CvCompleted),
    JobExit(JobExit),
    JobExitWithdrawn(JobExitWithdrawal),
}

impl Fact {
    /// The business date of the fact: the date rule R9 orders messages by.
    pub fn business_date(&self) -> NaiveDate {
        match self {
            Fact::Registration(r) => r.registered_on,
            Fact::CvCompleted(c) => c.completed_on,
            Fact::JobExit(j) => j.job_starts_on,
            Fact::JobExitWithdrawn(w) => w.job_starts_on,
        }
    }

    /// The queue (and function) the fact arrives on; also the label used in summaries and metrics.
    pub fn kind(&self) -> FactKind {
        self.inbound_type().queue_kind()
    }

    /// The CloudEvents `type` the fact arrived as.
    pub fn inbound_type(&self) -> InboundType {
        match self {
            Fact::Registration(_) => InboundType::Registration,
            Fact::CvCompleted(_) => InboundType::CvCompleted,
            Fact::JobExit(_) => InboundType::JobExit,
            Fact::JobExitWithdrawn(_) => InboundType::JobExitWithdrawn,
        }
    }
}

/// The CloudEvents types samspil accepts, each on one queue. The `job-exits` queue takes two: job
/// exits and their withdrawals (rule R13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InboundType {
    Registration,
    CvCompleted,
    JobExit,
    JobExitWithdrawn,
}

impl InboundType {
    pub const ALL: [InboundType; 4] =
        [InboundType::Registration, InboundType::CvCompleted, InboundType::JobExit, InboundType::JobExitWithdrawn];

    /// The CloudEvents `type`.
    pub fn event_type(self) -> &'static str {
        match self {
            InboundType::Registration => "dk.akasse.registration.v1",
            InboundType::CvCompleted => "dk.akasse.cv-completed.v1",
            InboundType::JobExit => "dk.akasse.job-exit.v1",
            InboundType::JobExitWithdrawn => "dk.akasse.job-exit-withdrawn.v1",
        }
    }

    pub fn from_event_type(t: &str) -> Option<InboundType> {
        InboundType::ALL.into_iter().find(|k| k.event_type() == t)
    }

    /// The queue this type must arrive on.
    pub fn queue_kind(self) -> FactKind {
        match self {
            InboundType::Registration => FactKind::Registration,
            InboundType::CvCompleted => FactKind::CvCompleted,
            InboundType::JobExit | InboundType::JobExitWithdrawn => FactKind::JobExit,
        }
    }

    /// The SQS queue this type must arrive on.
    pub fn queue(self) -> &'static str {
        self.queue_kind().queue()
    }
}

/// The three inbound queues, each served by one Lambda function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactKind {
    Registration,
    CvCompleted,
    JobExit,
}

impl FactKind {
    pub const ALL: [FactKind; 3] = [FactKind::Registration, FactKind::CvCompleted, FactKind::JobExit];

    /// The SQS queue this kind of message must arrive on.
    pub fn queue(self) -> &'static str {
        match self {
            FactKind::Registration => "registrations",
            FactKind::CvCompleted => "cv-completions",
            FactKind::JobExit => "job-exits",
        }
    }

    /// The CloudEvents types the queue accepts.
    pub fn inbound_types(self) -> impl Iterator<Item = InboundType> {
        InboundType::ALL.into_iter().filter(move |t| t.queue_kind() == self)
    }

    pub fn from_queue(q: &str) -> Option<FactKind> {
        FactKind::ALL.into_iter().find(|k| k.queue() == q)
    }
}

/// One valid inbound message: who it is about, its idempotency key and its fact.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub key: MessageKey,
    /// The CloudEvents `time`: when the sender recorded the fact. Rule R8 breaks ties between two
    /// registrations of the same day by it.
    pub time: DateTime<Utc>,
    pub cpr: Cpr,
    pub fact: Fact,
}

/// The three outbound update types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateType {
    Scheduled,
    Rescheduled,
    Cancelled,
}

impl UpdateType {
    pub const ALL: [UpdateType; 3] = [UpdateType::Scheduled, UpdateType::Rescheduled, UpdateType::Cancelled];

    /// The `reason` values an update of this type can carry (`docs/contract.md`). A first
    /// `scheduled` update carries none.
    pub fn reasons(self) -> &'static [UpdateReason] {
        match self {
            UpdateType::Scheduled => &[UpdateReason::JobExitWithdrawn, UpdateReason::Corrected],
            UpdateType::Rescheduled => &[UpdateReason::CvCompleted],
            UpdateType::Cancelled => &[UpdateReason::JobExit, UpdateReason::Superseded, UpdateReason::Transferred],
        }
    }

    /// The CloudEvents `type`.
    pub fn event_type(self) -> &'static str {
        match self {
            UpdateType::Scheduled => "dk.jobcenter.meeting-scheduled.v1",
            UpdateType::Rescheduled => "dk.jobcenter.meeting-rescheduled.v1",
            UpdateType::Cancelled => "dk.jobcenter.meeting-cancelled.v1",
        }
    }
}

/// Why a meeting was rescheduled, cancelled or scheduled again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateReason {
    /// Rescheduled: the CV conversation ended too close to the meeting (rule R6).
    CvCompleted,
    /// Cancelled: a job starts within the cancel horizon (rule R7).
    JobExit,
    /// Cancelled: a registration that arrived late showed that this meeting's period is part of an
    /// earlier one, whose meeting replaces it (rule R8).
    Superseded,
    /// Scheduled again: the job exit that cancelled the meeting was withdrawn (rule R13).
    JobExitWithdrawn,
    /// Scheduled again: the cancellation rested on a fact of another period, or the period's
    /// registration was corrected by one sent later for the same day (rules R6 and R8).
    Corrected,
    /// Cancelled, to the old municipality and a-kasse: a correction moved the meeting to other
    /// ones, which are sent it as `scheduled` with reason `corrected` right after (rule R8).
    Transferred,
}

/// The kind of meeting. Only the first joint meeting (fællessamtale) so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeetingKind {
    FirstJoint,
}

/// A meeting update for jobcenter and a-kasse systems: the `data` of an outbound CloudEvent.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingUpdate {
    pub update_type: UpdateType,
    pub meeting_id: String,
    pub sequence: u32,
    pub cpr: Cpr,
    pub municipality: CompactString,
    pub akasse: CompactString,
    pub kind: MeetingKind,
    pub date: NaiveDate,
    pub form: MeetingForm,
    pub akasse_participation: AkasseParticipation,
    pub deadline: NaiveDate,
    pub deadline_missed: bool,
    pub previous_date: Option<NaiveDate>,
    pub reason: Option<UpdateReason>,
}

#[cfg(test)]
mod cpr_tests {
    use super::Cpr;

    #[test]
    fn a_cpr_number_round_trips_through_json_and_a_bad_one_is_refused_without_its_digits() {
        let cpr = Cpr::parse("0101901111").unwrap();
        let json = serde_json::to_string(&cpr).unwrap();
        assert_eq!(json, "\"0101901111\"");
        assert_eq!(serde_json::from_str::<Cpr>(&json).unwrap(), cpr);
        for bad in ["\"3201901111\"", "\"010190111\"", "\"01019011112\"", "\"01019O1111\"", "101901111", "1.5e9"] {
            let error = serde_json::from_str::<Cpr>(bad).unwrap_err().to_string();
            assert!(error.contains("not a CPR number") && !error.contains("0190111"), "{bad}: {error}");
        }
    }
}
