//! The pipeline for one message, with its retry on lost races and its outbox.
//!
//! Happy path: one read, one conditional write, one publish. A lost race (someone else wrote the
//! person's state since it was read) reloads and decides again, a bounded number of times with
//! jittered backoff. The updates a message causes are part of the state it writes (each meeting
//! remembers its last update and the message that caused it), and are published after the write;
//! when the message is delivered again because that publish never happened or failed, its updates
//! are published again from the stored state. See `docs/decisions.md`, "Outbox".
//!
//! Rule R12: when `decide` leaves a plan awaiting its summons (the state has a `sweep_due`) and the
//! state holds no sealed CPR number yet, the number of the message is sealed with the [`CprSealer`]
//! and goes into the same write (one seal per person entering a pending state, none per message
//! after that). When nothing is due for the sweep any more, the sealed number is dropped. Message
//! handling stays one read and one write.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use crate::contract::{self, BadInput, ErrorCode, Fact, InboundMessage, MeetingUpdate, OutboundEvent};
use crate::domain::{self, Decision};
use crate::identity::PersonKeyer;
use crate::policy::PolicyBook;
use crate::senders::{Marks, Origin, Provenance, ProvenanceSeal, Senders};

use super::ports::{CprSealer, Publisher, Store, StoreError};

/// How many times a message is decided again after losing a race before it is handed back to the
/// queue as a transient failure.
const MAX_ATTEMPTS: u32 = 5;

/// One message as the queue delivered it. Its `Debug` hides the body (`pipeline/redacted.rs`).
#[derive(Clone, Copy)]
pub struct Delivery<'a> {
    /// The queue it arrived on: `registrations`, `cv-completions` or `job-exits`.
    pub queue: &'a str,
    /// The SQS message body.
    pub body: &'a str,
    /// Who sent it: the SQS `SenderId`, if the queue said (see [`crate::senders`]). In-process
    /// runs have none; a batch from SQS goes through [`Pipeline::origin`] instead, which also
    /// weighs samspil's own attributes.
    pub sender: Option<&'a str>,
    /// Whether this message may have been processed before without finishing: SQS delivered it
    /// more than once, or it was moved back from a dead-letter queue.
    pub redelivered: bool,
}

/// When a message is processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessingTime {
    /// The processing day in Europe/Copenhagen (rule R0).
    pub today: NaiveDate,
    /// The instant, for the `time` of published updates.
    pub now: DateTime<Utc>,
}

/// What happened to a message that was processed.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The fact was recorded; these updates were published (possibly none).
    Applied { updates: Vec<MeetingUpdate> },
    /// Seen before (R10). `republished` updates from its outbox were sent again because the
    /// message was redelivered, or because this processing's own save may have taken effect
    /// unseen (a lost answer, then a retry refused by the version condition).
    Duplicate { republished: usize },
}

/// Why a message was not processed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Failure {
    /// It can never be processed: send it to the dead-letter queue with this code.
    #[error("permanent failure: {0}")]
    Permanent(BadInput),
    /// It may succeed later: hand it back to the queue.
    #[error("transient failure: {0}")]
    Transient(String),
}

impl Failure {
    fn from_store(error: StoreError) -> Self {
        Failure::Transient(error.to_string())
    }
}

/// The pipeline over a [`Store`], a [`Publisher`] and a [`CprSealer`].
#[derive(Debug)]
pub struct Pipeline<S, P, K> {
    store: S,
    publisher: P,
    sealer: K,
    policies: PolicyBook,
    keyer: PersonKeyer,
    senders: Senders,
    seal: ProvenanceSeal,
}

impl<S: Store, P: Publisher, K: CprSealer> Pipeline<S, P, K> {
    pub fn new(store: S, publisher: P, sealer: K, policies: PolicyBook, keyer: PersonKeyer) -> Self {
        let seal = ProvenanceSeal::new(&keyer);
        Pipeline { store, publisher, sealer, policies, keyer, senders: Senders::unchecked(), seal }
    }

    /// Checks every delivery's sender against `senders` (the Lambda functions and the local runner
    /// do; in-process runs without SQS have no sender to check).
    pub fn with_senders(mut self, senders: Senders) -> Self {
        self.senders = senders;
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn publisher(&self) -> &P {
        &self.publisher
    }

    pub fn sealer(&self) -> &K {
        &self.sealer
    }

    pub fn policies(&self) -> &PolicyBook {
        &self.policies
    }

    /// Who a message on `queue` with `body`, sent by `sender` (SQS `SenderId`) and carrying
    /// samspil's `marks`, is checked as: see [`Senders::origin`]. The seal is this pipeline's.
    pub fn origin(&self, queue: &str, body: &str, sender: Option<&str>, marks: &Marks) -> Origin {
        self.senders.origin(sender, marks, |claimed, seal| self.seal.verifies(queue, claimed, body, seal))
    }

    /// What to record with `body`, from `queue`, when it is dead-lettered: the sender it was
    /// checked against, sealed. A dead letter sent back by a role that is not a redrive principal
    /// is checked as that role (and so refused), but keeps the original sender its seal proves:
    /// the pipeline wrote that seal over this very queue, sender and body, so a later redrive by a
    /// redrive principal checks the message as its original sender again.
    pub fn provenance(&self, queue: &str, body: &str, origin: &Origin, marks: &Marks) -> Provenance {
        if !origin.redriven
            && let Some(seal) = marks.seal.as_deref()
            && self.seal.verifies(queue, marks.sender.as_deref(), body, seal)
        {
            return Provenance { sender: marks.sender.clone(), seal: seal.to_owned() };
        }
        self.seal.provenance(queue, origin.sender.as_deref(), body)
    }

    /// Parses and validates a delivery. Public so that batch handling can group by person first.
    pub fn parse(&self, delivery: &Delivery<'_>) -> Result<InboundMessage, BadInput> {
        self.parse_from(delivery.queue, delivery.body, &Origin::sent_by(delivery.sender), None)
    }

    /// Parses and validates `body` from `queue`, sent as `origin` says ([`Pipeline::origin`]), that
    /// reached its queue at `sent_at` (SQS `SentTimestamp`; `None` in-process, where nothing is
    /// checked against it).
    pub fn parse_from(
        &self,
        queue: &str,
        body: &str,
        origin: &Origin,
        sent_at: Option<DateTime<Utc>>,
    ) -> Result<InboundMessage, BadInput> {
        let message = contract::parse(queue, body)?;
        self.senders.check_origin(origin, &message)?;
        if sent_at.is_some_and(|sent| is_dated_ahead(message.time, sent)) {
            return Err(BadInput::new(
                ErrorCode::TimeInFuture,
                "the CloudEvents `time` is more than 5 minutes after the message reached its queue",
            ));
        }
        if let Fact::Registration(r) = &message.fact
            && self.policies.for_municipality(&r.municipality).is_none()
        {
            return Err(unknown_municipality());
        }
        Ok(message)
    }

    /// Processes one delivery.
    pub async fn handle(&self, delivery: Delivery<'_>, time: ProcessingTime) -> Result<Outcome, Failure> {
        let message = self.parse(&delivery).map_err(Failure::Permanent)?;
        self.handle_message(&message, delivery.redelivered, time).await
    }

    /// Processes one message that has already been parsed.
    pub async fn handle_message(
        &self,
        message: &InboundMessage,
        redelivered: bool,
        time: ProcessingTime,
    ) -> Result<Outcome, Failure> {
        let person = self.keyer.key(&message.cpr);
        // Once a save has failed, the item may hold this very message: the write took effect but
        // its answer was lost, and the SDK's retry then failed the version condition against the
        // item it had written itself. A duplicate found then is ours to publish, exactly as if the
        // queue had delivered the message again (`docs/decisions.md`, "Outbox").
        let mut may_have_saved = redelivered;
        // A number sealed for a write that lost its race serves the next attempt too.
        let mut sealed = None;
        for attempt in 1..=MAX_ATTEMPTS {
            let stored = self.store.load(&person).await.map_err(Failure::from_store)?;
            let (state, version) = match stored {
                Some(s) => (s.state, Some(s.version)),
                None => (Default::default(), None),
            };
            let decision = domain::decide(state, &person, message, time.today, &self.policies)
                .map_err(|refusal| Failure::Permanent(refused(&refusal)))?;
            match decision {
                Decision::Duplicate(state) => {
                    let republished = if may_have_saved {
                        let updates = domain::updates_published_by(&state, &message.key, &message.cpr);
                        self.publish(&updates, time.now).await?;
                        updates.len()
                    } else {
                        0
                    };
                    return Ok(Outcome::Duplicate { republished });
                }
                Decision::Applied { state: mut next, updates } => {
                    self.keep_sealed_cpr(&person, &mut next, &message.cpr, &mut sealed).await?;
                    match self.store.save(&person, &next, version).await {
                        Ok(_) => {
                            self.publish(&updates, time.now).await?;
                            return Ok(Outcome::Applied { updates });
                        }
                        Err(StoreError::Conflict { .. }) if attempt < MAX_ATTEMPTS => {
                            may_have_saved = true;
                            backoff(attempt).await;
                        }
                        Err(e) => return Err(Failure::from_store(e)),
                    }
                }
            }
        }
        unreachable!("the last attempt returns")
    }

    /// R12: seals the message's CPR number into `next` when it has something due for the sweep and
    /// no sealed number yet (one KMS request per person entering a pending state); drops the sealed
    /// number when nothing is due any more.
    async fn keep_sealed_cpr(
        &self,
        person: &crate::identity::PersonKey,
        next: &mut domain::PersonState,
        cpr: &contract::Cpr,
        sealed_before: &mut Option<domain::SealedCpr>,
    ) -> Result<(), Failure> {
        match (next.sweep_due, &next.pending_cpr) {
            (Some(_), None) => {
                let sealed = match sealed_before {
                    Some(sealed) => sealed.clone(),
                    None => self.sealer.seal(person, cpr).await.map_err(|e| Failure::Transient(e.to_string()))?,
                };
                *sealed_before = Some(sealed.clone());
                next.pending_cpr = Some(sealed);
            }
            (None, Some(_)) => next.pending_cpr = None,
            _ => {}
        }
        Ok(())
    }

    pub(super) async fn publish(&self, updates: &[MeetingUpdate], now: DateTime<Utc>) -> Result<(), Failure> {
        if updates.is_empty() {
            return Ok(());
        }
        let events: Vec<OutboundEvent> = updates.iter().map(|u| OutboundEvent::new(u, now)).collect();
        self.publisher.publish(events).await.map_err(|e| Failure::Transient(e.to_string()))
    }
}

/// The bad input a refusal of `decide` is: its code, and a text that names no value.
pub(crate) fn refused(refusal: &domain::Refusal) -> BadInput {
    match refusal {
        domain::Refusal::NoPolicy { .. } => unknown_municipality(),
        domain::Refusal::NotMember => BadInput::new(
            ErrorCode::NotMember,
            "the message is about a period of a person who is a member of another a-kasse than the one in `source` (rule R14)",
        ),
        domain::Refusal::TooManyFacts => BadInput::new(
            ErrorCode::TooManyFacts,
            "the person already has as many facts as samspil keeps for one person, or as many about no known period from this a-kasse",
        ),
        domain::Refusal::OutOfRange => BadInput::new(
            ErrorCode::OutOfRange,
            "a date the rules compute from this message and the person's earlier ones lies beyond the calendar",
        ),
    }
}

/// Rule R14: how far a message's CloudEvents `time` may lie after the message reached its queue.
/// `time` orders corrections (R8, R13), so a sender may not date its word ahead; the margin allows
/// for clocks a little out of step.
pub const MAX_TIME_AHEAD: TimeDelta = TimeDelta::minutes(5);

/// Whether `time` lies more than [`MAX_TIME_AHEAD`] after `sent` (checked: a `sent` at the end of
/// the calendar has no limit after it, and nothing is ahead of it).
pub fn is_dated_ahead(time: DateTime<Utc>, sent: DateTime<Utc>) -> bool {
    sent.checked_add_signed(MAX_TIME_AHEAD).is_some_and(|limit| time > limit)
}

fn unknown_municipality() -> BadInput {
    BadInput::new(
        ErrorCode::UnknownMunicipality,
        "`data.municipality` has no policy in the policy file, and the file has no default policy",
    )
}

/// Waits before retry `attempt` after a lost race: 5 ms, 10 ms, 20 ms, ... with full jitter, so two
/// writers that collided do not collide again in step.
async fn backoff(attempt: u32) {
    let ceiling = 5u64 << attempt.min(6);
    let wait = Duration::from_micros(fastrand::u64(0..ceiling * 1000));
    tokio::time::sleep(wait).await;
}
