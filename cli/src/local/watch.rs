//! The watcher: every meeting update published to the topic, printed as it arrives.
//!
//! It reads an SQS queue of its own, [`WATCH_QUEUE`], subscribed to the `meeting-updates` topic
//! with raw message delivery and no filter policy, the way any jobcenter or a-kasse system would
//! subscribe (only without a filter). Both are created through the API when the watcher starts and
//! reused when they exist; the queue is emptied then, so a run shows only its own updates. Each
//! update is printed as one readable line ([`crate::render::update_line`]: no CPR number).

use std::time::Duration;

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, QueueAttributeName};
use samspil::aws::{describe, long_poll};

use super::stop::Stop;
use crate::Error;

/// The queue the watcher reads.
pub const WATCH_QUEUE: &str = "samspil-local-watch";

/// A queue subscribed to the topic, read until stopped.
#[derive(Debug, Clone)]
pub struct Watcher {
    sqs: aws_sdk_sqs::Client,
    url: String,
}

impl Watcher {
    /// Creates (or finds) [`WATCH_QUEUE`] and its raw, unfiltered subscription to `topic_arn`, and
    /// empties the queue.
    pub async fn subscribe(
        sqs: &aws_sdk_sqs::Client,
        sns: &aws_sdk_sns::Client,
        topic_arn: &str,
    ) -> Result<Watcher, Error> {
        let watcher = Watcher::subscribe_queue(sqs, sns, topic_arn, WATCH_QUEUE).await?;
        if let Err(e) = sqs.purge_queue().queue_url(&watcher.url).send().await {
            eprintln!(
                "watch: could not empty {WATCH_QUEUE} (older updates may show): {}",
                describe("PurgeQueue", &e, None)
            );
        }
        Ok(watcher)
    }

    /// Creates (or finds) the queue `name` and its raw, unfiltered subscription to `topic_arn`.
    pub async fn subscribe_queue(
        sqs: &aws_sdk_sqs::Client,
        sns: &aws_sdk_sns::Client,
        topic_arn: &str,
        name: &str,
    ) -> Result<Watcher, Error> {
        let created = sqs.create_queue().queue_name(name).send().await;
        let url = created
            .map_err(|e| crate::Failure::aws(format!("{} ({name})", describe("CreateQueue", &e, None))))?
            .queue_url
            .ok_or_else(|| crate::Failure::aws("CreateQueue returned no URL"))?;
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| crate::Failure::aws(format!("{} ({name})", describe("GetQueueAttributes", &e, None))))?;
        let arn = attributes
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
            .ok_or_else(|| crate::Failure::aws("GetQueueAttributes returned no QueueArn"))?;
        match existing_subscription(sns, topic_arn, &arn).await? {
            Some(subscription) => {
                sns.set_subscription_attributes()
                    .subscription_arn(subscription)
                    .attribute_name("RawMessageDelivery")
                    .attribute_value("true")
                    .send()
                    .await
                    .map_err(|e| crate::Failure::aws(describe("SetSubscriptionAttributes", &e, None)))?;
            }
            None => {
                sns.subscribe()
                    .topic_arn(topic_arn)
                    .protocol("sqs")
                    .endpoint(&arn)
                    .attributes("RawMessageDelivery", "true")
                    .send()
                    .await
                    .map_err(|e| crate::Failure::aws(format!("{} ({name})", describe("Subscribe", &e, None))))?;
            }
        }
        Ok(Watcher { sqs: sqs.clone(), url })
    }

    pub fn queue_url(&self) -> &str {
        &self.url
    }

    /// Hands every message body to `out` as it arrives, until `stop`; then takes what is still
    /// waiting (updates published just before the stop). Returns how many arrived.
    pub async fn run(&self, stop: &Stop, wait_seconds: i32, mut out: impl FnMut(&str)) -> u64 {
        let mut seen = 0;
        while !stop.is_stopped() {
            let received = tokio::select! {
                received = self.take(wait_seconds) => received,
                () = stop.stopped_now() => return seen,
            };
            match received {
                Ok(bodies) => {
                    seen += bodies.len() as u64;
                    bodies.iter().for_each(|b| out(b));
                }
                Err(e) => {
                    eprintln!("watch: {e}; trying again in 1 s");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        () = stop.stopped() => break,
                    }
                }
            }
        }
        // The emulator delivers an update to the queue before its Publish returns: whatever was
        // published before the stop is there now. Take it without waiting.
        while let Ok(bodies) = self.take(0).await {
            if bodies.is_empty() {
                break;
            }
            seen += bodies.len() as u64;
            bodies.iter().for_each(|b| out(b));
        }
        seen
    }

    /// Receives up to ten messages (waiting up to `wait_seconds`) and deletes them.
    pub async fn take(&self, wait_seconds: i32) -> Result<Vec<String>, String> {
        let output = self
            .sqs
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            .wait_time_seconds(wait_seconds)
            .customize()
            .config_override(long_poll(wait_seconds))
            .send()
            .await
            .map_err(|e| describe("ReceiveMessage", &e, None))?;
        let messages = output.messages.unwrap_or_default();
        let entries: Vec<DeleteMessageBatchRequestEntry> = messages
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle()?)
                    .build()
                    .ok()
            })
            .collect();
        if !entries.is_empty() {
            let deleted = self.sqs.delete_message_batch().queue_url(&self.url).set_entries(Some(entries)).send().await;
            deleted.map_err(|e| describe("DeleteMessageBatch", &e, None))?;
        }
        Ok(messages.into_iter().filter_map(|m| m.body).collect())
    }
}

/// The ARN of `topic_arn`'s SQS subscription for the queue `queue_arn`, if there is one.
async fn existing_subscription(
    sns: &aws_sdk_sns::Client,
    topic_arn: &str,
    queue_arn: &str,
) -> Result<Option<String>, Error> {
    let mut next: Option<String> = None;
    loop {
        let page = sns
            .list_subscriptions_by_topic()
            .topic_arn(topic_arn)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| crate::Failure::aws(describe("ListSubscriptionsByTopic", &e, None)))?;
        let found =
            page.subscriptions().iter().find(|s| s.protocol() == Some("sqs") && s.endpoint() == Some(queue_arn));
        if let Some(arn) = found.and_then(|s| s.subscription_arn()) {
            return Ok(Some(arn.to_string()));
        }
        match page.next_token {
            Some(token) if !token.is_empty() => next = Some(token),
            _ => return Ok(None),
        }
    }
}
