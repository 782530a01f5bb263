//! The ports: where a person's state is kept and where meeting updates go.
//!
//! Both are traits with one adapter per environment (DynamoDB and SNS in AWS, in-memory for the
//! embedded mode). One contract test suite runs against every adapter, so the in-memory ones cannot
//! drift from the real services' behaviour.

use std::future::Future;

use chrono::NaiveDate;

use crate::contract::{Cpr, OutboundEvent};
use crate::domain::{PersonState, SealedCpr};
use crate::identity::PersonKey;
use crate::senders::Provenance;

/// A person's state as stored, with the version that guards the next write.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub state: PersonState,
    pub version: u64,
}

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Someone else wrote the person's state since it was read: reload and decide again.
    #[error("the person's state changed since it was read (expected version {expected:?})")]
    Conflict { expected: Option<u64> },
    /// The store could not be reached or refused for now (throttling, timeout, service error).
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// The stored item cannot be read back. Needs an operator; retrying will not help.
    #[error("the stored state cannot be read: {0}")]
    Corrupt(String),
}

/// Keeps one state per person, with optimistic concurrency on a version number.
pub trait Store: Send + Sync {
    /// Whether the store keeps its states in this process's memory (the in-memory store of the
    /// embedded mode): what it holds ends with the process, and a write it reports as failed did
    /// not take effect. The sweep then records a summons in one write instead of two
    /// (`pipeline/sweep.rs`, "One write"). `false`, the default, for every store whose writes
    /// outlive the process or whose answer can be lost after the write took effect (DynamoDB).
    const IN_PROCESS: bool = false;

    /// Reads a person's state, strongly consistent. `None` for a person never seen.
    fn load(&self, person: &PersonKey) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send;

    /// Writes a person's state if its stored version is still `expected` (`None`: no item yet).
    /// Returns the new version. Fails with [`StoreError::Conflict`] when someone wrote in between.
    ///
    /// Borrows the state: every adapter encodes it, and a caller that goes on with the state after
    /// the write (the sweep publishes, then clears its marker) keeps it without a copy.
    fn save(
        &self,
        person: &PersonKey,
        state: &PersonState,
        expected: Option<u64>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// R12: every person whose stored `sweep_due` is on or before `today`. Eventually consistent
    /// (a GSI): the sweep re-reads each person with `load` before acting.
    fn due_for_sweep(&self, today: NaiveDate) -> impl Future<Output = Result<Vec<PersonKey>, StoreError>> + Send;

    /// R12: the fingerprint of the policies every stored `sweep_due` was last worked out with
    /// ([`crate::policy::PolicyBook::fingerprint`]), as the last sweep that visited everyone with a
    /// plan pending left it; `None` before the first. Strongly consistent.
    fn policies_mark(&self) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Records `fingerprint` as the [`Store::policies_mark`]. Unconditional: two sweeps that both
    /// set it set the same value, and a sweep runs with the policies of its deployment.
    fn set_policies_mark(&self, fingerprint: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Why publishing failed. Always transient: the message is retried and its outbox published again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("publishing meeting updates failed: {0}")]
pub struct PublishError(pub String);

/// Sends meeting updates to jobcenter and a-kasse systems.
pub trait Publisher: Send + Sync {
    /// Publishes the events in order. On error, some may have been sent: receivers tolerate
    /// repeats through `sequence`.
    ///
    /// Takes the events by value: the caller renders them for this call only, and the in-memory
    /// publisher keeps them, so it moves them in rather than copying every string of every event.
    fn publish(&self, events: Vec<OutboundEvent>) -> impl Future<Output = Result<(), PublishError>> + Send;
}

impl<S: Store> Store for &S {
    const IN_PROCESS: bool = S::IN_PROCESS;

    fn load(&self, person: &PersonKey) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        (**self).load(person)
    }

    fn save(
        &self,
        person: &PersonKey,
        state: &PersonState,
        expected: Option<u64>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send {
        (**self).save(person, state, expected)
    }

    fn due_for_sweep(&self, today: NaiveDate) -> impl Future<Output = Result<Vec<PersonKey>, StoreError>> + Send {
        (**self).due_for_sweep(today)
    }

    fn policies_mark(&self) -> impl Future<Output = Result<Option<String>, StoreError>> + Send {
        (**self).policies_mark()
    }

    fn set_policies_mark(&self, fingerprint: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).set_policies_mark(fingerprint)
    }
}

impl<P: Publisher> Publisher for &P {
    fn publish(&self, events: Vec<OutboundEvent>) -> impl Future<Output = Result<(), PublishError>> + Send {
        (**self).publish(events)
    }
}

/// Why a message could not be moved to its dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sending to the dead-letter queue failed: {0}")]
pub struct DeadLetterError(pub String);

/// Where permanent failures go: the dead-letter queue of the queue they came from, with the
/// message attributes `error_code` and `error_message` (`docs/contract.md`, "Bad input"), and the sender
/// the message was checked against with its seal (`samspil-sender`, `samspil-seal`; see
/// [`crate::senders::Provenance`]). Nothing else: none of the message's own attributes.
pub trait DeadLetters: Send + Sync {
    /// Sends `body`, unchanged, to the dead-letter queue of `queue`, with the reason and the
    /// provenance.
    fn send(
        &self,
        queue: &str,
        body: &str,
        reason: &crate::contract::BadInput,
        provenance: &Provenance,
    ) -> impl Future<Output = Result<(), DeadLetterError>> + Send;
}

impl<D: DeadLetters> DeadLetters for &D {
    fn send(
        &self,
        queue: &str,
        body: &str,
        reason: &crate::contract::BadInput,
        provenance: &Provenance,
    ) -> impl Future<Output = Result<(), DeadLetterError>> + Send {
        (**self).send(queue, body, reason, provenance)
    }
}

/// Why sealing or opening a CPR number failed. Never holds the number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sealing or opening a CPR number failed: {0}")]
pub struct SealError(pub String);

/// Seals the CPR number a pending summons needs (rule R12, `docs/security.md`, "CPR number for
/// summonses"), so the stored state never holds it in clear.
pub trait CprSealer: Send + Sync {
    /// Encrypts `cpr` for `person` (KMS: encryption context {"samspil:person": <the item's pk>}).
    fn seal(&self, person: &PersonKey, cpr: &Cpr) -> impl Future<Output = Result<SealedCpr, SealError>> + Send;
    /// Decrypts what `seal` gave for the same person.
    fn open(&self, person: &PersonKey, sealed: &SealedCpr) -> impl Future<Output = Result<Cpr, SealError>> + Send;
}

impl<K: CprSealer> CprSealer for &K {
    fn seal(&self, person: &PersonKey, cpr: &Cpr) -> impl Future<Output = Result<SealedCpr, SealError>> + Send {
        (**self).seal(person, cpr)
    }

    fn open(&self, person: &PersonKey, sealed: &SealedCpr) -> impl Future<Output = Result<Cpr, SealError>> + Send {
        (**self).open(person, sealed)
    }
}

/// The sealer of an entry point that has no key to seal with: every call fails, naming why. With
/// it, a message whose policy sets `summon_days` fails transiently (and ends in the dead-letter
/// queue) instead of keeping a plan the sweep could never summon. Policies without `summon_days`
/// never seal.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSealer;

impl NoSealer {
    fn refuse() -> SealError {
        SealError("no CPR sealer is configured here (a policy with summon_days needs the SummonsKey)".to_owned())
    }
}

impl CprSealer for NoSealer {
    async fn seal(&self, _person: &PersonKey, _cpr: &Cpr) -> Result<SealedCpr, SealError> {
        Err(Self::refuse())
    }

    async fn open(&self, _person: &PersonKey, _sealed: &SealedCpr) -> Result<Cpr, SealError> {
        Err(Self::refuse())
    }
}
