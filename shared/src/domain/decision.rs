//! What deciding a message (or a sweep) gives back: the new state and the updates to publish, or
//! why the message is refused.

use crate::contract::MeetingUpdate;

use super::state::PersonState;

/// The outcome of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The `(source, id)` was processed before: nothing changes, nothing is published (R10). The
    /// state is handed back unchanged. The same for a message about a period folded away
    /// (`compaction.rs`): it is inert.
    Duplicate(PersonState),
    /// The fact was recorded. `updates` may be empty: not every fact changes a meeting.
    Applied { state: PersonState, updates: Vec<MeetingUpdate> },
}

/// Why a message cannot be decided: each is bad input, dead-lettered with its code, never retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A period's municipality has no policy and the policy book has no default
    /// (`unknown_municipality`).
    #[error("municipality {municipality} has no policy and there is no default policy")]
    NoPolicy { municipality: String },
    /// Rule R14: the message is about a period of a person whose a-kasse is not the one in its
    /// `source` (`not_member`).
    #[error("the message's period belongs to a member of another a-kasse than its source (rule R14)")]
    NotMember,
    /// A date the rules compute lies beyond what the calendar represents (`out_of_range`). The
    /// contract's bounds keep every parsed message clear of it; an item stored before them may not be.
    #[error("a date the rules compute lies beyond the calendar's range")]
    OutOfRange,
    /// The person already has [`super::limits::MAX_FACTS`] facts, or this fact is about no known
    /// period and its a-kasse already has [`super::limits::MAX_UNPLACED_PER_AKASSE`] such facts for
    /// the person (`too_many_facts`).
    #[error("the person has as many facts as samspil keeps (or as many about no known period from this a-kasse)")]
    TooManyFacts,
}
