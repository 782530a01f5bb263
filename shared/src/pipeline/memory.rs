//! In-memory adapters for the embedded mode and unit tests.
//!
//! They behave like the DynamoDB and SNS adapters where it matters (versioned conditional writes,
//! publish order) and pass the same contract tests, but keep everything in this process.

use std::sync::Mutex;

use rustc_hash::FxHashMap;

use crate::codec;
use crate::contract::OutboundEvent;
use crate::domain::PersonState;
use crate::identity::PersonKey;

use super::ports::{DeadLetterError, DeadLetters, PublishError, Publisher, Store, StoreError, Stored};

/// A [`Store`] in a hash map. Keys are HMAC outputs, already uniformly spread, so the map uses the
/// cheap Fx hash rather than SipHash's protection against chosen keys.
///
/// Each state is kept in the compact encoding of [`crate::codec`] (with its meeting ids written
/// out, [`codec::encode_keeping_ids`]): one short buffer per person. Loading decodes it, which is
/// faster than cloning a state of many small heap values scattered over memory (each a cache
/// miss, with hundreds of thousands of people), and runs the stored encoding through every message
/// of the embedded mode.
#[derive(Debug, Default)]
pub struct MemoryStore {
    items: Mutex<FxHashMap<PersonKey, Item>>,
}

#[derive(Debug)]
struct Item {
    state: Vec<u8>,
    version: u64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many people are stored.
    pub fn len(&self) -> usize {
        self.items.lock().expect("store lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Store for MemoryStore {
    async fn load(&self, person: &PersonKey) -> Result<Option<Stored>, StoreError> {
        let items = self.items.lock().expect("store lock");
        let Some(item) = items.get(person) else { return Ok(None) };
        let state = codec::decode(person, &item.state)
            .map_err(|e| StoreError::Corrupt(format!("in-memory state does not decode: {e}")))?;
        Ok(Some(Stored { state, version: item.version }))
    }

    async fn save(&self, person: &PersonKey, state: PersonState, expected: Option<u64>) -> Result<u64, StoreError> {
        let state = codec::encode_keeping_ids(&state);
        let mut items = self.items.lock().expect("store lock");
        let current = items.get(person).map(|s| s.version);
        if current != expected {
            return Err(StoreError::Conflict { expected });
        }
        let version = current.map_or(1, |v| v + 1);
        let item = Item { state, version };
        // Replacing in place keeps the key the map already holds (no copy of it).
        match items.get_mut(person) {
            Some(stored) => *stored = item,
            None => {
                items.insert(person.clone(), item);
            }
        }
        Ok(version)
    }
}

/// A [`Publisher`] that keeps every published event, in order, until taken.
#[derive(Debug, Default)]
pub struct MemoryPublisher {
    events: Mutex<Vec<OutboundEvent>>,
}

impl MemoryPublisher {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the events published since the last call.
    pub fn take(&self) -> Vec<OutboundEvent> {
        std::mem::take(&mut *self.events.lock().expect("publisher lock"))
    }
}

impl Publisher for MemoryPublisher {
    async fn publish(&self, events: &[OutboundEvent]) -> Result<(), PublishError> {
        self.events.lock().expect("publisher lock").extend_from_slice(events);
        Ok(())
    }
}

/// A message in an in-memory dead-letter queue. Its `Debug` hides the body (`pipeline/redacted.rs`).
#[derive(Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub queue: String,
    pub body: String,
    pub error_code: String,
    pub error_message: String,
}

/// A [`DeadLetters`] that keeps every dead-lettered message, in order.
#[derive(Debug, Default)]
pub struct MemoryDeadLetters {
    letters: Mutex<Vec<DeadLetter>>,
}

impl MemoryDeadLetters {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the messages dead-lettered since the last call.
    pub fn take(&self) -> Vec<DeadLetter> {
        std::mem::take(&mut *self.letters.lock().expect("dead letters lock"))
    }
}

impl DeadLetters for MemoryDeadLetters {
    async fn send(&self, queue: &str, body: &str, reason: &crate::contract::BadInput) -> Result<(), DeadLetterError> {
        self.letters.lock().expect("dead letters lock").push(DeadLetter {
            queue: queue.to_string(),
            body: body.to_string(),
            error_code: reason.code.as_str().to_string(),
            error_message: reason.message.clone(),
        });
        Ok(())
    }
}
