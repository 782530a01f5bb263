//! The SQS poller: what Lambda's SQS event source mapping does, done by this process.
//!
//! For each queue, one loop: `ReceiveMessage` (a batch of up to ten, long polling, with a visibility
//! timeout, the system attributes `ApproximateReceiveCount` and `SenderId`, and all message attributes), then the
//! batch through [`BatchHandler::handle`] (the code every Lambda function runs), then
//! `DeleteMessageBatch` for the records that did not fail. The failed ones are left alone: they
//! become visible again when their visibility timeout ends and are received again, with a higher
//! receive count (which makes the pipeline republish their outbox); after the queue's
//! `maxReceiveCount` SQS moves them to the dead-letter queue on a later receive, exactly as it does
//! for Lambda. A batch the handler aborts (a record without a message id must be retried) is not
//! acknowledged at all, like a failed invocation.
//!
//! A failed message is made to wait before it comes back: its visibility timeout is raised with its
//! receive count ([`PollOptions::backoff`]), as the Lambda functions do, so an outage of the store or
//! the topic does not empty the queues into their dead-letter queues.
//!
//! The three loops run concurrently, as three functions would. Stopping ([`Stop`]) always finishes
//! the batch in hand, acknowledgement included.
//!
//! With [`PollOptions::until_idle`] the poller stops by itself once every queue has had no message
//! (visible, in flight or delayed, per `GetQueueAttributes`) for that long: that is how tests and
//! scripts wait for "everything processed, retries included".

use std::time::{Duration, Instant};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName, QueueAttributeName};
use chrono::{NaiveDate, Utc};
use futures::future::join_all;
use samspil::aws::{FailedReceipt, back_off, describe, long_poll, receive_count};
use samspil::pipeline::{
    Backoff, BatchCounts, BatchHandler, BatchRecord, BatchReport, CprSealer, DeadLetters, ProcessingTime, Publisher,
    Store,
};

use super::records::{batch_line, batch_record};
use super::stop::Stop;
use crate::Error;

/// The processing day (rule R0) the poller hands the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProcessingDay {
    /// Today in Europe/Copenhagen, as in Lambda.
    #[default]
    Today,
    /// A fixed day (tests, demonstrations); the instant is still the real one.
    Fixed(NaiveDate),
}

impl ProcessingDay {
    pub fn time(self) -> ProcessingTime {
        let now = Utc::now();
        match self {
            ProcessingDay::Today => samspil::lambda::processing_time(now),
            ProcessingDay::Fixed(today) => ProcessingTime { today, now },
        }
    }
}

/// How the poller receives.
#[derive(Debug, Clone)]
pub struct PollOptions {
    /// Messages per `ReceiveMessage`, 1 to 10 (Lambda's batch size).
    pub batch_size: i32,
    /// Long polling: seconds a receive waits for messages (0 to 20). Short keeps stopping snappy.
    pub wait_seconds: i32,
    /// Seconds a received message stays invisible; a failed one comes back after this.
    pub visibility_timeout: i32,
    pub day: ProcessingDay,
    /// Stop once every queue has been empty, in flight included, for this long.
    pub until_idle: Option<Duration>,
    /// Stop after one receive per queue.
    pub once: bool,
    /// Print one line per batch to stderr.
    pub report: bool,
    /// How long a failed message waits before it is received again (raised per receive, as the
    /// Lambda functions do with [`Backoff::LAMBDA`]).
    pub backoff: Backoff,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            batch_size: 10,
            wait_seconds: 5,
            visibility_timeout: 30,
            day: ProcessingDay::Today,
            until_idle: None,
            once: false,
            report: true,
            backoff: Backoff { first: Duration::from_secs(30), cap: Duration::from_secs(3600) },
        }
    }
}

/// A queue to poll: its contract name (`registrations`, ...) and URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    pub name: String,
    pub url: String,
}

/// What a run did, summed over all batches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub batches: u64,
    pub counts: BatchCounts,
    /// Messages acknowledged (deleted from their queue).
    pub deleted: u64,
    /// Messages left on their queue to be received again.
    pub left_for_retry: u64,
}

impl RunSummary {
    fn add(&mut self, report: &BatchReport, deleted: u64, left: u64) {
        self.merge(RunSummary { batches: 1, counts: report.counts, deleted, left_for_retry: left });
    }

    fn merge(&mut self, other: RunSummary) {
        let (c, o) = (&mut self.counts, other.counts);
        c.messages += o.messages;
        c.duplicates += o.duplicates;
        c.scheduled += o.scheduled;
        c.rescheduled += o.rescheduled;
        c.cancelled += o.cancelled;
        c.permanent_failures += o.permanent_failures;
        c.transient_failures += o.transient_failures;
        self.batches += other.batches;
        self.deleted += other.deleted;
        self.left_for_retry += other.left_for_retry;
    }
}

/// Polls queues into one [`BatchHandler`].
#[derive(Debug)]
pub struct Poller<S, P, K, D> {
    handler: BatchHandler<S, P, K, D>,
    sqs: Client,
    queues: Vec<Queue>,
    options: PollOptions,
}

impl<S: Store, P: Publisher, K: CprSealer, D: DeadLetters> Poller<S, P, K, D> {
    pub fn new(handler: BatchHandler<S, P, K, D>, sqs: Client, queues: Vec<Queue>, options: PollOptions) -> Self {
        Poller { handler, sqs, queues, options }
    }

    pub fn handler(&self) -> &BatchHandler<S, P, K, D> {
        &self.handler
    }

    pub fn queues(&self) -> &[Queue] {
        &self.queues
    }

    /// Polls until `stop` (or, with `until_idle` / `once`, until done; it then calls `stop` itself
    /// so that whatever shares the signal ends too). Fails at once if a queue does not exist.
    pub async fn run(&self, stop: &Stop) -> Result<RunSummary, Error> {
        self.backlog().await.map_err(|e| crate::Failure::aws(format!("the queues cannot be read: {e}")))?;
        let loops = async {
            let summaries = join_all(self.queues.iter().map(|q| self.poll_queue(q, stop))).await;
            stop.stop();
            summaries
        };
        let (summaries, ()) = tokio::join!(loops, self.stop_when_idle(stop));
        let mut total = RunSummary::default();
        for summary in summaries {
            total.merge(summary);
        }
        Ok(total)
    }

    async fn poll_queue(&self, queue: &Queue, stop: &Stop) -> RunSummary {
        let mut summary = RunSummary::default();
        while !stop.is_stopped() {
            let received = tokio::select! {
                received = self.receive(queue) => received,
                () = stop.stopped_now() => break,
            };
            let messages = match received {
                Ok(messages) => messages,
                Err(e) => {
                    eprintln!("{}: ReceiveMessage failed, trying again in 1 s: {e}", queue.name);
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        () = stop.stopped() => break,
                    }
                }
            };
            if !messages.is_empty() {
                self.handle_batch(queue, &messages, &mut summary).await;
            }
            if self.options.once {
                break;
            }
        }
        summary
    }

    async fn receive(&self, queue: &Queue) -> Result<Vec<Message>, String> {
        let output = self
            .sqs
            .receive_message()
            .queue_url(&queue.url)
            .max_number_of_messages(self.options.batch_size)
            .wait_time_seconds(self.options.wait_seconds)
            .visibility_timeout(self.options.visibility_timeout)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_system_attribute_names(MessageSystemAttributeName::SenderId)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .message_attribute_names("All")
            .customize()
            .config_override(long_poll(self.options.wait_seconds))
            .send()
            .await
            .map_err(|e| describe("ReceiveMessage", &e, None))?;
        Ok(output.messages.unwrap_or_default())
    }

    /// One batch: the handler, then the acknowledgement of what did not fail.
    async fn handle_batch(&self, queue: &Queue, messages: &[Message], summary: &mut RunSummary) {
        let records: Vec<BatchRecord> = messages.iter().map(|m| batch_record(&queue.name, m)).collect();
        let report = self.handler.handle(&records, self.options.day.time()).await;
        let done: Vec<&Message> = if report.abort.is_some() {
            Vec::new() // the whole "invocation" failed: every record comes back
        } else {
            messages
                .iter()
                .filter(|m| !m.message_id().is_some_and(|id| report.failed_message_ids.iter().any(|f| f == id)))
                .collect()
        };
        let deleted = self.delete(queue, &done).await;
        let left = messages.len() as u64 - deleted;
        let failed: Vec<FailedReceipt<'_>> = messages
            .iter()
            .filter(|m| !done.iter().any(|d| d.message_id() == m.message_id()))
            .filter_map(|m| {
                let count = m.attributes().and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount));
                Some(FailedReceipt {
                    receipt_handle: m.receipt_handle()?,
                    receive_count: receive_count(count.map(String::as_str)),
                })
            })
            .collect();
        if !failed.is_empty()
            && let Err(e) = back_off(&self.sqs, &queue.url, &failed, self.options.backoff).await
        {
            eprintln!("{}: {e}; the failed messages return after the visibility timeout", queue.name);
        }
        if self.options.report {
            eprintln!("{}", batch_line(&queue.name, &report, left));
        }
        summary.add(&report, deleted, left);
    }

    /// Deletes the messages; returns how many were deleted. One that could not be is received
    /// again later and recognised as a duplicate.
    async fn delete(&self, queue: &Queue, messages: &[&Message]) -> u64 {
        let entries: Vec<DeleteMessageBatchRequestEntry> = messages
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                let handle = m.receipt_handle()?;
                DeleteMessageBatchRequestEntry::builder().id(i.to_string()).receipt_handle(handle).build().ok()
            })
            .collect();
        if entries.is_empty() {
            return 0;
        }
        let count = entries.len() as u64;
        let request = self.sqs.delete_message_batch().queue_url(&queue.url).set_entries(Some(entries));
        match request.send().await {
            Ok(output) if output.failed().is_empty() => count,
            Ok(output) => {
                let codes: Vec<&str> = output.failed().iter().map(|f| f.code()).collect();
                eprintln!(
                    "{}: {} message(s) not deleted ({}); they will come back as duplicates",
                    queue.name,
                    codes.len(),
                    codes.join(", ")
                );
                count - codes.len() as u64
            }
            Err(e) => {
                eprintln!(
                    "{}: {}; the batch will come back as duplicates",
                    queue.name,
                    describe("DeleteMessageBatch", &e, None)
                );
                0
            }
        }
    }

    /// Messages on all queues: visible, in flight and delayed.
    async fn backlog(&self) -> Result<u64, String> {
        backlog(&self.sqs, &self.queues).await
    }

    /// With `until_idle`: stops once the backlog has been zero for that long. Otherwise waits for stop.
    async fn stop_when_idle(&self, stop: &Stop) {
        let Some(idle_for) = self.options.until_idle else { return stop.stopped().await };
        let mut idle_since: Option<Instant> = None;
        loop {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(200)) => {}
                () = stop.stopped() => return,
            }
            match self.backlog().await {
                Ok(0) => {
                    if idle_since.get_or_insert_with(Instant::now).elapsed() >= idle_for {
                        stop.stop();
                        return;
                    }
                }
                Ok(_) => idle_since = None,
                Err(e) => {
                    eprintln!("{e}");
                    idle_since = None;
                }
            }
        }
    }
}

/// Messages on `queues`, added up: visible, in flight and delayed (`GetQueueAttributes`).
pub async fn backlog(sqs: &Client, queues: &[Queue]) -> Result<u64, String> {
    let mut total = 0;
    for queue in queues {
        let output = sqs
            .get_queue_attributes()
            .queue_url(&queue.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .map_err(|e| format!("{}: {}", queue.name, describe("GetQueueAttributes", &e, None)))?;
        let attributes = output.attributes.unwrap_or_default();
        total += attributes.values().filter_map(|v| v.parse::<u64>().ok()).sum::<u64>();
    }
    Ok(total)
}
