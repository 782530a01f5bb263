//! What deciding a message (or a sweep) gives back: the new state and the updates to publish, or
//! the one way a decision can fail.

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

/// A period's municipality has no policy and the policy book has no default.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("municipality {municipality} has no policy and there is no default policy")]
pub struct NoPolicy {
    pub municipality: String,
}
