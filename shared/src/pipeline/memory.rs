//! In-memory adapters for the embedded mode and unit tests.
//!
//! They behave like the DynamoDB and SNS adapters where it matters (versioned conditional writes,
//! publish order) and pass the same contract tests, but keep everything in this process.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::NaiveDate;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::codec;
use crate::contract::{Cpr, OutboundEvent};
use crate::domain::{PersonState, SealedCpr};
use crate::identity::PersonKey;
use crate::senders::{Marks, Provenance};

use super::ports::{
    CprSealer, DeadLetterError, DeadLetters, PublishError, Publisher, SealError, Store, StoreError, Stored,
};

/// A [`Store`] in a hash map. Keys are HMAC outputs, already uniformly spread, so the map uses the
/// cheap Fx hash rather than SipHash's protection against chosen keys.
///
/// Each state is kept in the compact encoding of [`crate::codec`] (with its meeting ids written
/// out, [`codec::encode_keeping_ids`]): one short buffer per person. Loading decodes it, which is
/// faster than cloning a state of many small heap values scattered over memory (each a cache
/// miss, with hundreds of thousands of people), and runs the stored encoding through every message
/// of the embedded mode.
///
/// Like the DynamoDB table's sparse index, it keeps the people with a `sweep_due` in an index by
/// day, so [`Store::due_for_sweep`] reads only the people due, never all of them: the simulation
/// sweeps every simulated day. The index is a few hundred days, each with a hash set of people:
/// a save that moves a person's day costs two hash operations, not two searches of an ordered set
/// of everyone waiting (which made saves under a policy with `summon_days` dearer).
#[derive(Debug, Default)]
pub struct MemoryStore {
    items: Mutex<FxHashMap<PersonKey, Item>>,
    /// The people of every stored state with a `sweep_due`, by that day. Locked after `items`.
    due: Mutex<BTreeMap<NaiveDate, FxHashSet<PersonKey>>>,
    /// [`Store::policies_mark`].
    policies_mark: Mutex<Option<String>>,
}

#[derive(Debug)]
struct Item {
    state: Vec<u8>,
    version: u64,
    /// The state's `sweep_due`, as the index holds it.
    sweep_due: Option<NaiveDate>,
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

    /// The earliest `sweep_due` of anyone stored (rule R12), for runs that skip days nobody is due.
    pub fn next_sweep_due(&self) -> Option<NaiveDate> {
        self.due.lock().expect("store index lock").first_key_value().map(|(day, _)| *day)
    }
}

impl Store for MemoryStore {
    /// A hash map of this process; a save fails only on a version conflict, before it changes
    /// anything.
    const IN_PROCESS: bool = true;

    async fn load(&self, person: &PersonKey) -> Result<Option<Stored>, StoreError> {
        let items = self.items.lock().expect("store lock");
        let Some(item) = items.get(person) else { return Ok(None) };
        let state = codec::decode(person, &item.state)
            .map_err(|e| StoreError::Corrupt(format!("in-memory state does not decode: {e}")))?;
        Ok(Some(Stored { state, version: item.version }))
    }

    async fn save(&self, person: &PersonKey, state: &PersonState, expected: Option<u64>) -> Result<u64, StoreError> {
        let sweep_due = state.sweep_due;
        let mut items = self.items.lock().expect("store lock");
        let current = items.get(person).map(|s| (s.version, s.sweep_due));
        if current.map(|(version, _)| version) != expected {
            return Err(StoreError::Conflict { expected });
        }
        let version = expected.map_or(1, |v| v + 1);
        let before = current.and_then(|(_, due)| due);
        if before != sweep_due {
            let mut due = self.due.lock().expect("store index lock");
            if let Some(day) = before
                && let Some(people) = due.get_mut(&day)
            {
                people.remove(person);
                if people.is_empty() {
                    due.remove(&day);
                }
            }
            if let Some(day) = sweep_due {
                due.entry(day).or_default().insert(*person);
            }
        }
        // Replacing in place keeps the key the map already holds and the old state's buffer.
        match items.get_mut(person) {
            Some(stored) => {
                codec::encode_keeping_ids_into(state, &mut stored.state);
                stored.version = version;
                stored.sweep_due = sweep_due;
            }
            None => {
                items.insert(*person, Item { state: codec::encode_keeping_ids(state), version, sweep_due });
            }
        }
        Ok(version)
    }

    async fn due_for_sweep(&self, today: NaiveDate) -> Result<Vec<PersonKey>, StoreError> {
        // By day, and within a day in key order (as the ordered set of (day, person) gave them), so
        // a run sweeps people in the same order every time.
        let due = self.due.lock().expect("store index lock");
        let mut people = Vec::new();
        for (_, day) in due.range(..=today) {
            let from = people.len();
            people.extend(day.iter().copied());
            people[from..].sort_unstable();
        }
        Ok(people)
    }

    async fn policies_mark(&self) -> Result<Option<String>, StoreError> {
        Ok(self.policies_mark.lock().expect("store mark lock").clone())
    }

    async fn set_policies_mark(&self, fingerprint: &str) -> Result<(), StoreError> {
        *self.policies_mark.lock().expect("store mark lock") = Some(fingerprint.to_owned());
        Ok(())
    }
}

/// A [`CprSealer`] that keeps the numbers in this process: a sealed number is an opaque token
/// (`memory-sealed-<n>`), the number stays in a map here and never enters the state. Opening needs
/// the person it was sealed for, like KMS's encryption context.
///
/// The numbers are kept in sealing order, so a token's `<n>` is its place in the list (no map of
/// token strings to keep).
#[derive(Debug, Default)]
pub struct MemorySealer {
    sealed: Mutex<Vec<(PersonKey, Cpr)>>,
}

/// What every token of [`MemorySealer`] starts with.
const SEALED_PREFIX: &str = "memory-sealed-";

impl MemorySealer {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many numbers were sealed so far (each call seals anew, as KMS does).
    pub fn seals(&self) -> usize {
        self.sealed.lock().expect("sealer lock").len()
    }
}

impl CprSealer for MemorySealer {
    async fn seal(&self, person: &PersonKey, cpr: &Cpr) -> Result<SealedCpr, SealError> {
        let mut sealed = self.sealed.lock().expect("sealer lock");
        sealed.push((*person, *cpr));
        Ok(SealedCpr(format!("{SEALED_PREFIX}{}", sealed.len())))
    }

    async fn open(&self, person: &PersonKey, token: &SealedCpr) -> Result<Cpr, SealError> {
        // Only the exact texts `seal` writes ("memory-sealed-1", ...), no "+1" or "01".
        let place = token
            .0
            .strip_prefix(SEALED_PREFIX)
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0'))
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1));
        match place.and_then(|i| self.sealed.lock().expect("sealer lock").get(i).cloned()) {
            Some((owner, cpr)) if owner == *person => Ok(cpr),
            Some(_) => Err(SealError("the sealed number belongs to another person".to_owned())),
            None => Err(SealError("unknown sealed number (sealed by another process?)".to_owned())),
        }
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

    /// Takes the events published since the last call (or since [`Self::clear`]).
    pub fn take(&self) -> Vec<OutboundEvent> {
        self.events.lock().expect("publisher lock").drain(..).collect()
    }

    /// Drops the events published since the last call and says how many there were. Unlike
    /// [`Self::take`], the publisher keeps its buffer: a caller that only counts (the simulation)
    /// does not make it grow again from nothing, through fresh pages from the system, every time.
    pub fn clear(&self) -> usize {
        let mut events = self.events.lock().expect("publisher lock");
        let published = events.len();
        events.clear();
        published
    }
}

impl Publisher for MemoryPublisher {
    async fn publish(&self, events: Vec<OutboundEvent>) -> Result<(), PublishError> {
        self.events.lock().expect("publisher lock").extend(events);
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
    /// The sender it was checked against and the seal (`samspil-sender`, `samspil-seal`).
    pub provenance: Provenance,
}

impl DeadLetter {
    /// samspil's marks as the dead letter carries them in SQS, for redriving it in tests.
    pub fn marks(&self) -> Marks {
        Marks { sender: self.provenance.sender.clone(), seal: Some(self.provenance.seal.clone()), ..Marks::default() }
    }
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
    async fn send(
        &self,
        queue: &str,
        body: &str,
        reason: &crate::contract::BadInput,
        provenance: &Provenance,
    ) -> Result<(), DeadLetterError> {
        self.letters.lock().expect("dead letters lock").push(DeadLetter {
            queue: queue.to_string(),
            body: body.to_string(),
            error_code: reason.code.as_str().to_string(),
            error_message: reason.message.clone(),
            provenance: provenance.clone(),
        });
        Ok(())
    }
}
