//! One SQS batch through the pipeline, with partial batch responses.
//!
//! SQS hands a Lambda function up to ten records at once. [`BatchHandler::handle`] parses every
//! record first, then:
//!
//! - works out who each record is checked as ([`Pipeline::origin`]): its SQS sender, or for a
//!   message a redrive principal sent back from a dead-letter queue, its original sender; only then
//!   is a `samspil-redriven` mark honoured (see [`crate::senders`]).
//! - sends bad input (a permanent failure, `docs/contract.md`, "Bad input") straight to the queue's
//!   dead-letter queue with its `error_code` and the sender it was checked against, sealed
//!   ([`crate::senders::Provenance`]); such a record counts as done and is not retried. If that
//!   send fails, the record is reported as failed instead, so SQS retries it and nothing is lost.
//! - groups the valid records by person (by CPR number, in memory only: the keyed hash is computed
//!   once per record, by the pipeline) and runs the groups concurrently,
//!   each group sequentially in batch order. Records for one person never race each other, and
//!   their facts are recorded in arrival order.
//! - reports a transient failure as a batch item failure (the record's message id). Once a record
//!   of a person fails, that person's later records in the batch are reported as failed without
//!   being processed, so they are retried after it and keep their order.
//!
//! - contains a panic to the person whose records caused it: their records are reported as failed
//!   (and reach the dead-letter queue after `maxReceiveCount` if it happens every time), while the
//!   other people of the batch finish normally.
//! - keeps to the invocation's deadline ([`BatchHandler::handle_until`]): a record is not started
//!   with less than [`START_RESERVE`] left, and one still running [`ANSWER_RESERVE`] before the
//!   deadline is abandoned; both are reported as failed, so the caller can answer in time and
//!   only those records come back. Abandoning a record at any await point is safe: whatever it
//!   had written is found again on its redelivery (see [`super::handle`]).
//!
//! A batch item failure with an empty or missing id makes Lambda fail the *whole* batch
//! (`docs/decisions.md`, "A record without a message id fails the whole invocation"). A record
//! without a message id is therefore processed like any other, but if it must be retried the report
//! says so in [`BatchReport::abort`]: the caller then fails the whole invocation on purpose, which
//! is the only honest way to have that record retried. Records of the batch that did succeed are
//! then delivered again and recognised as duplicates (rule R10).
//!
//! The types here carry no Lambda or SQS SDK types, so the Lambda glue and the local runner share
//! this code.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::join_all;
use tokio::time::Instant;

use crate::contract::{BadInput, InboundMessage, UpdateType};
use crate::senders::{Marks, Origin};

use super::handle::{Failure, Outcome, Pipeline, ProcessingTime};
use super::ports::{CprSealer, DeadLetters, Publisher, Store};

/// A record is not started with less time than this left before the deadline: one record is a
/// load, a save and a publish, each bounded by the SDK's operation timeout
/// ([`crate::aws::config::OPERATION_TIMEOUT`], 5 s); with less than that left it would most likely
/// be abandoned halfway.
pub const START_RESERVE: Duration = Duration::from_secs(5);

/// A record still running this long before the deadline is abandoned, so that the report (and the
/// retry back-off calls made with it) reach SQS before the invocation is killed.
pub const ANSWER_RESERVE: Duration = Duration::from_secs(1);

/// One record of an SQS batch, as far as the pipeline cares. Its `Debug` hides the body
/// (`pipeline/redacted.rs`).
#[derive(Clone, PartialEq, Eq)]
pub struct BatchRecord {
    /// The SQS message id; `None` if the event did not carry one.
    pub message_id: Option<String>,
    /// The queue it arrived on (see [`queue_from_arn`]).
    pub queue: String,
    /// The message body. SQS never sends an empty one; a missing body is bad input (`not_json`).
    pub body: Option<String>,
    /// The SQS `SenderId` system attribute: who sent the message (see [`crate::senders`]).
    pub sender: Option<String>,
    /// Whether SQS delivered it before (see [`is_redelivered`]).
    pub redelivered: bool,
    /// samspil's own message attributes as the message carries them: trusted only when `sender`
    /// is a redrive principal ([`crate::senders::Senders::origin`]).
    pub marks: Marks,
    /// When the message reached its queue: the SQS `SentTimestamp` system attribute. Its
    /// CloudEvents `time` may not lie more than 5 minutes after it (rule R14, `time_in_future`).
    /// A message `samspil redrive` sent back reached its queue when it was redriven.
    pub sent_at: Option<DateTime<Utc>>,
}

/// The instant an SQS `SentTimestamp` (epoch milliseconds, as text) names; `None` if it is missing
/// or no instant.
pub fn sent_timestamp(epoch_ms: Option<&str>) -> Option<DateTime<Utc>> {
    epoch_ms.and_then(|ms| ms.parse::<i64>().ok()).and_then(DateTime::from_timestamp_millis)
}

/// The queue name in an SQS queue ARN: its last `:`-separated segment.
pub fn queue_from_arn(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// Whether SQS delivered a message before: its system attribute `ApproximateReceiveCount` is above
/// one. (A message moved back from a dead-letter queue may have been processed before too: that is
/// its `samspil-redriven` mark, which only a redrive principal's message has honoured.)
pub fn is_redelivered(approximate_receive_count: Option<&str>) -> bool {
    approximate_receive_count.and_then(|c| c.parse::<u64>().ok()).unwrap_or(1) > 1
}

/// How the records of one batch ended, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    /// Records in the batch.
    pub messages: u64,
    /// Records recognised as already processed (rule R10).
    pub duplicates: u64,
    /// Meeting updates published, by type.
    pub scheduled: u64,
    pub rescheduled: u64,
    pub cancelled: u64,
    /// Records dead-lettered as bad input.
    pub permanent_failures: u64,
    /// Records handed back to the queue: they failed, their dead-lettering failed, or an earlier
    /// record of the same person failed.
    pub transient_failures: u64,
}

/// The whole invocation must fail: a record without a message id has to be retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {index} of the batch has no message id and must be retried: {reason}")]
pub struct AbortBatch {
    /// The record's position in the batch.
    pub index: usize,
    pub reason: String,
}

/// What the caller reports back to SQS, and what it records as metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Message ids to retry (`batchItemFailures`), in batch order. Never empty strings.
    pub failed_message_ids: Vec<String>,
    /// Set when a record without a message id must be retried: fail the whole invocation.
    pub abort: Option<AbortBatch>,
    pub counts: BatchCounts,
}

/// How one record ended.
#[derive(Debug)]
enum Settled {
    Done(Outcome),
    DeadLettered,
    Retry(String),
}

/// Runs SQS batches through a [`Pipeline`], dead-lettering bad input through `D`.
#[derive(Debug)]
pub struct BatchHandler<S, P, K, D> {
    pipeline: Pipeline<S, P, K>,
    dead_letters: D,
}

impl<S: Store, P: Publisher, K: CprSealer, D: DeadLetters> BatchHandler<S, P, K, D> {
    pub fn new(pipeline: Pipeline<S, P, K>, dead_letters: D) -> Self {
        BatchHandler { pipeline, dead_letters }
    }

    pub fn pipeline(&self) -> &Pipeline<S, P, K> {
        &self.pipeline
    }

    pub fn dead_letters(&self) -> &D {
        &self.dead_letters
    }

    /// Processes one batch with no deadline; see the module documentation for the rules.
    pub async fn handle(&self, records: &[BatchRecord], time: ProcessingTime) -> BatchReport {
        self.handle_until(records, time, None).await
    }

    /// Processes one batch that must be answered by `deadline` (the Lambda invocation's, or the
    /// end of the local runner's visibility timeout).
    pub async fn handle_until(
        &self,
        records: &[BatchRecord],
        time: ProcessingTime,
        deadline: Option<Instant>,
    ) -> BatchReport {
        let mut bad = Vec::new();
        let mut groups: Vec<Vec<(usize, InboundMessage)>> = Vec::new();
        let mut group_of = HashMap::new();
        let origins: Vec<Origin> =
            records.iter().map(|r| self.pipeline.origin(&r.queue, body(r), r.sender.as_deref(), &r.marks)).collect();
        for (index, record) in records.iter().enumerate() {
            match self.pipeline.parse_from(&record.queue, body(record), &origins[index], record.sent_at) {
                Ok(message) => {
                    let group = *group_of.entry(message.cpr).or_insert_with(|| {
                        groups.push(Vec::new());
                        groups.len() - 1
                    });
                    groups[group].push((index, message));
                }
                Err(reason) => bad.push((index, reason)),
            }
        }

        let origins = &origins;
        let dead_lettering = join_all(bad.iter().map(|(index, reason)| async move {
            (*index, self.dead_letter(&records[*index], &origins[*index], reason).await)
        }));
        let people =
            join_all(groups.iter().map(|group| self.person_contained(records, origins, group, time, deadline)));
        let (dead_lettered, people) = futures::future::join(dead_lettering, people).await;

        let mut settled: Vec<Option<Settled>> = records.iter().map(|_| None).collect();
        for (index, outcome) in dead_lettered.into_iter().chain(people.into_iter().flatten()) {
            settled[index] = Some(outcome);
        }
        report(records, settled)
    }

    /// One person's records; a panic while processing them fails those records only.
    async fn person_contained(
        &self,
        records: &[BatchRecord],
        origins: &[Origin],
        group: &[(usize, InboundMessage)],
        time: ProcessingTime,
        deadline: Option<Instant>,
    ) -> Vec<(usize, Settled)> {
        // Unwind safety: the handler shares nothing mutable between people; a store or publisher
        // left mid-call by the panic is in the same position as after a dropped connection.
        let person = AssertUnwindSafe(self.person(records, origins, group, time, deadline));
        person.catch_unwind().await.unwrap_or_else(|_| {
            let ids: Vec<&str> = group.iter().map(|(index, _)| id_for_log(&records[*index])).collect();
            tracing::error!(message_ids = ?ids, "processing panicked; these records are retried");
            group.iter().map(|(index, _)| (*index, Settled::Retry("processing panicked".into()))).collect()
        })
    }

    /// One person's records, in batch order. After a transient failure the rest are not tried.
    async fn person(
        &self,
        records: &[BatchRecord],
        origins: &[Origin],
        group: &[(usize, InboundMessage)],
        time: ProcessingTime,
        deadline: Option<Instant>,
    ) -> Vec<(usize, Settled)> {
        let mut out = Vec::with_capacity(group.len());
        let mut failed = false;
        for (index, message) in group {
            let (record, origin) = (&records[*index], &origins[*index]);
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            let outcome = if failed {
                Settled::Retry("an earlier message for the same person in this batch failed".into())
            } else if left.is_some_and(|left| left < START_RESERVE) {
                Settled::Retry("not started: the invocation's deadline is too close".into())
            } else {
                let redelivered = record.redelivered || origin.redriven;
                let handled = self.pipeline.handle_message(message, redelivered, time);
                let handled = match deadline {
                    Some(deadline) => {
                        let abandon = deadline.checked_sub(ANSWER_RESERVE).unwrap_or(deadline);
                        tokio::time::timeout_at(abandon, handled).await
                    }
                    None => Ok(handled.await),
                };
                match handled {
                    Ok(Ok(outcome)) => Settled::Done(outcome),
                    Ok(Err(Failure::Permanent(reason))) => self.dead_letter(record, origin, &reason).await,
                    Ok(Err(Failure::Transient(reason))) => Settled::Retry(reason),
                    Err(_) => Settled::Retry("abandoned at the invocation's deadline".into()),
                }
            };
            failed |= matches!(outcome, Settled::Retry(_));
            out.push((*index, outcome));
        }
        out
    }

    async fn dead_letter(&self, record: &BatchRecord, origin: &Origin, reason: &BadInput) -> Settled {
        let (id, queue, code) = (id_for_log(record), &record.queue, reason.code);
        let body = body(record);
        let provenance = self.pipeline.provenance(queue, body, origin, &record.marks);
        match self.dead_letters.send(queue, body, reason, &provenance).await {
            Ok(()) => {
                tracing::warn!(message_id = id, queue, error_code = %code, "dead-lettered bad input");
                Settled::DeadLettered
            }
            Err(e) => {
                tracing::error!(message_id = id, queue, error_code = %code, error = %e, "could not dead-letter bad input");
                Settled::Retry(format!("dead-lettering ({code}) failed: {e}"))
            }
        }
    }
}

/// The record's body; a missing one is parsed as an empty body (bad input, `not_json`).
fn body(record: &BatchRecord) -> &str {
    record.body.as_deref().unwrap_or("")
}

fn id_for_log(record: &BatchRecord) -> &str {
    record.message_id.as_deref().unwrap_or("-")
}

/// Turns per-record outcomes into the report, in batch order.
fn report(records: &[BatchRecord], settled: Vec<Option<Settled>>) -> BatchReport {
    let mut report = BatchReport::default();
    report.counts.messages = records.len() as u64;
    for (index, (record, outcome)) in records.iter().zip(settled).enumerate() {
        let id = id_for_log(record);
        match outcome.expect("every record is settled") {
            Settled::Done(Outcome::Applied { updates }) => {
                tracing::info!(message_id = id, updates = updates.len(), "applied");
                for update in &updates {
                    match update.update_type {
                        UpdateType::Scheduled => report.counts.scheduled += 1,
                        UpdateType::Rescheduled => report.counts.rescheduled += 1,
                        UpdateType::Cancelled => report.counts.cancelled += 1,
                    }
                }
            }
            Settled::Done(Outcome::Duplicate { republished }) => {
                tracing::info!(message_id = id, republished, "duplicate");
                report.counts.duplicates += 1;
            }
            Settled::DeadLettered => report.counts.permanent_failures += 1,
            Settled::Retry(reason) => {
                tracing::warn!(message_id = id, reason = %reason, "transient failure; retrying");
                report.counts.transient_failures += 1;
                match record.message_id.as_deref().filter(|id| !id.is_empty()) {
                    Some(id) => report.failed_message_ids.push(id.to_string()),
                    None if report.abort.is_none() => report.abort = Some(AbortBatch { index, reason }),
                    None => {}
                }
            }
        }
    }
    report
}

#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod redrive_tests;
#[cfg(test)]
mod tests;
