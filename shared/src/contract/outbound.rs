//! Rendering meeting updates as outbound CloudEvents. (STUB: to be implemented.)

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::MeetingUpdate;

/// The CloudEvents `source` of every update samspil publishes.
pub const PUBLISHER_SOURCE: &str = "urn:dk:samspil";

/// An outbound CloudEvent, ready to serialize.
#[derive(Debug, Clone, Serialize)]
pub struct OutboundEvent {}

impl OutboundEvent {
    /// Renders `update` as the event published at `time`. Its `id` is derived from the meeting id
    /// and the sequence, so publishing the same update twice yields the same event.
    pub fn new(update: &MeetingUpdate, time: DateTime<Utc>) -> Self {
        let _ = (update, time);
        todo!()
    }

    /// The JSON text of the event.
    pub fn to_json(&self) -> String {
        todo!()
    }
}
