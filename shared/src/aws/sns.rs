//! [`SnsPublisher`]: the [`Publisher`] port on the `meeting-updates` SNS topic.
//!
//! Each event is one SNS message whose body is [`OutboundEvent::to_json`], with the message
//! attributes `municipality`, `akasse` and `event_type` (all of data type `String`) that
//! subscribers filter on (`docs/contract.md`, "Outbound"). One event is one `Publish`; more are
//! sent with `PublishBatch`, ten per request, in order. An error names the operation and the failed
//! entries, never a message body (it holds a CPR number).

use aws_sdk_sns::Client;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};

use crate::contract::OutboundEvent;
use crate::pipeline::{PublishError, Publisher};

use super::describe;

/// The most entries SNS accepts in one `PublishBatch`.
pub const MAX_BATCH: usize = 10;

/// A [`Publisher`] on one SNS topic.
#[derive(Debug, Clone)]
pub struct SnsPublisher {
    client: Client,
    topic_arn: String,
}

impl SnsPublisher {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        SnsPublisher { client, topic_arn: topic_arn.into() }
    }

    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }

    async fn publish_one(&self, event: &OutboundEvent) -> Result<(), PublishError> {
        let mut request = self.client.publish().topic_arn(&self.topic_arn).message(event.to_json());
        for (name, value) in event.message_attributes() {
            request = request.message_attributes(name, attribute(value)?);
        }
        request.send().await.map_err(|e| PublishError(describe("Publish", &e, Some(event.data().cpr.expose()))))?;
        Ok(())
    }

    async fn publish_batch(&self, events: &[OutboundEvent]) -> Result<(), PublishError> {
        let mut entries = Vec::with_capacity(events.len());
        for (i, event) in events.iter().enumerate() {
            let mut entry = PublishBatchRequestEntry::builder().id(i.to_string()).message(event.to_json());
            for (name, value) in event.message_attributes() {
                entry = entry.message_attributes(name, attribute(value)?);
            }
            entries.push(entry.build().map_err(|e| PublishError(format!("PublishBatch entry {i}: {e}")))?);
        }
        let output = self
            .client
            .publish_batch()
            .topic_arn(&self.topic_arn)
            .set_publish_batch_request_entries(Some(entries))
            .send()
            .await
            .map_err(|e| {
                let cpr = events.first().map(|e| e.data().cpr.expose());
                PublishError(describe("PublishBatch", &e, cpr))
            })?;
        let failed = output.failed();
        if failed.is_empty() {
            return Ok(());
        }
        let reasons: Vec<String> = failed
            .iter()
            .map(|f| {
                let id = f.id();
                let event = id.parse::<usize>().ok().and_then(|i| events.get(i)).map_or("?", |e| e.id());
                format!("entry {id} (event {event}): {}", f.code())
            })
            .collect();
        Err(PublishError(format!("PublishBatch: {} of {} failed: {}", failed.len(), events.len(), reasons.join("; "))))
    }
}

fn attribute(value: &str) -> Result<MessageAttributeValue, PublishError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| PublishError(format!("message attribute: {e}")))
}

impl Publisher for SnsPublisher {
    async fn publish(&self, events: Vec<OutboundEvent>) -> Result<(), PublishError> {
        match events.as_slice() {
            [] => Ok(()),
            [event] => self.publish_one(event).await,
            _ => {
                for chunk in events.chunks(MAX_BATCH) {
                    self.publish_batch(chunk).await?;
                }
                Ok(())
            }
        }
    }
}
