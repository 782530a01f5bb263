//! Coded errors for bad input (`docs/contract.md`, "Bad input").
//!
//! Every message that can never be processed gets one [`ErrorCode`] and a human-readable message.
//! The codes are stable: they travel as the SQS message attribute `error_code` on dead-lettered
//! messages and operators filter on them. The table in `docs/error-codes.md` lists them, and a test
//! keeps it in step with [`ErrorCode::ALL`]. Messages name fields, never values, so a CPR number
//! can never end up in one.

use std::fmt;

/// A stable, machine-readable reason why a message can never be processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorCode {
    /// The body is not valid JSON.
    NotJson,
    /// The body is JSON but not a CloudEvents 1.0 event: not an object, or `specversion` missing or
    /// not `"1.0"`.
    NotCloudEvent,
    /// The CloudEvents `type` is not one samspil accepts.
    UnknownType,
    /// The message's `type` belongs on another queue.
    WrongQueue,
    /// A required attribute or `data` field is missing.
    MissingField,
    /// An attribute or field has the wrong JSON type, format, length or value.
    MalformedField,
    /// A date is well formed (`YYYY-MM-DD`) but no such day exists.
    ImpossibleDate,
    /// `data.cpr` is not 10 digits starting with a valid day and month.
    InvalidCpr,
    /// A number or date lies outside the contract's bounds (`prior_hours` above 100,000, a date
    /// before 2000 or after 2099; see [`super::bounds`]).
    OutOfRange,
    /// The CloudEvents `time` lies more than five minutes after the message reached its queue
    /// (rule R14: `time` orders corrections, so a sender may not date its word ahead).
    TimeInFuture,
    /// The municipality has no policy and the policy file has no default.
    UnknownMunicipality,
    /// The message's sender (SQS `SenderId`) is not registered for the a-kasse in its `source` or
    /// `data.akasse` (see [`crate::senders`]).
    SenderMismatch,
    /// Rule R14: the message is about a period of a person who is a member of another a-kasse than
    /// the one in its `source`.
    NotMember,
    /// The person's state holds as many facts as samspil keeps for one person, or as many facts
    /// about no known period from this message's a-kasse (see `domain::limits`): a bound on what
    /// any sender can make a person's stored item grow to.
    TooManyFacts,
}

impl ErrorCode {
    /// Every code, in the order of the table in `docs/error-codes.md`.
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::NotJson,
        ErrorCode::NotCloudEvent,
        ErrorCode::UnknownType,
        ErrorCode::WrongQueue,
        ErrorCode::MissingField,
        ErrorCode::MalformedField,
        ErrorCode::ImpossibleDate,
        ErrorCode::InvalidCpr,
        ErrorCode::OutOfRange,
        ErrorCode::TimeInFuture,
        ErrorCode::UnknownMunicipality,
        ErrorCode::SenderMismatch,
        ErrorCode::NotMember,
        ErrorCode::TooManyFacts,
    ];

    /// The wire form, as sent in the `error_code` message attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotJson => "not_json",
            ErrorCode::NotCloudEvent => "not_cloudevent",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::WrongQueue => "wrong_queue",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::MalformedField => "malformed_field",
            ErrorCode::ImpossibleDate => "impossible_date",
            ErrorCode::InvalidCpr => "invalid_cpr",
            ErrorCode::OutOfRange => "out_of_range",
            ErrorCode::TimeInFuture => "time_in_future",
            ErrorCode::UnknownMunicipality => "unknown_municipality",
            ErrorCode::SenderMismatch => "sender_mismatch",
            ErrorCode::NotMember => "not_member",
            ErrorCode::TooManyFacts => "too_many_facts",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message that can never be processed: a permanent failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct BadInput {
    pub code: ErrorCode,
    /// Human readable. Names fields and expectations, never the values received.
    pub message: String,
}

impl BadInput {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        BadInput { code, message: message.into() }
    }
}
