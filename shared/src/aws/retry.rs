//! [`back_off`]: makes failed messages wait before SQS delivers them again.
//!
//! After a transient failure, each failed message's visibility timeout is raised with its receive
//! count ([`Backoff`]), in one `ChangeMessageVisibilityBatch` per batch, so an outage is ridden out
//! on the queue instead of emptying it into the dead-letter queue. It is best effort: a message
//! whose change fails comes back after the queue's own visibility timeout, as it would have anyway.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::ChangeMessageVisibilityBatchRequestEntry;

use crate::pipeline::Backoff;

use super::describe;

/// A received message that failed: its receipt handle and `ApproximateReceiveCount`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedReceipt<'a> {
    pub receipt_handle: &'a str,
    pub receive_count: u32,
}

/// Raises the visibility timeout of `failed` messages of the queue at `queue_url` by `backoff`.
/// Returns how many were changed; an error describes the request that failed (no message content).
pub async fn back_off(
    sqs: &Client,
    queue_url: &str,
    failed: &[FailedReceipt<'_>],
    backoff: Backoff,
) -> Result<usize, String> {
    let mut changed = 0;
    for chunk in failed.chunks(10) {
        let entries: Vec<ChangeMessageVisibilityBatchRequestEntry> = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(f.receipt_handle)
                    .visibility_timeout(backoff.delay_seconds(f.receive_count))
                    .build()
                    .ok()
            })
            .collect();
        if entries.is_empty() {
            continue;
        }
        let output = sqs
            .change_message_visibility_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| describe("ChangeMessageVisibilityBatch", &e, None))?;
        changed += output.successful().len();
    }
    Ok(changed)
}

/// The `ApproximateReceiveCount` attribute as a number (1 when missing or unreadable).
pub fn receive_count(attribute: Option<&str>) -> u32 {
    attribute.and_then(|c| c.parse().ok()).unwrap_or(1)
}
