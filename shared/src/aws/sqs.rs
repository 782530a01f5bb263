//! [`SqsDeadLetters`]: the [`DeadLetters`] port on SQS dead-letter queues.
//!
//! A permanent failure is sent, body unchanged, to the dead-letter queue of the queue it came from,
//! with the message attributes `error_code` and `error_message` (`docs/contract.md`, "Bad input"), and
//! `samspil-sender` and `samspil-seal`: the sender the pipeline checked it against, sealed
//! ([`crate::senders::Provenance`]), which `samspil redrive` carries back with it. A
//! function that reads one queue is built with [`SqsDeadLetters::single`]; the local runner, which
//! reads all three, with [`SqsDeadLetters::new`] and a map from queue name to DLQ URL.

use std::collections::HashMap;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::MessageAttributeValue;

use crate::contract::BadInput;
use crate::pipeline::{DeadLetterError, DeadLetters};
use crate::senders::{ERROR_CODE_ATTRIBUTE, ERROR_MESSAGE_ATTRIBUTE, Provenance, SEAL_ATTRIBUTE, SENDER_ATTRIBUTE};

use super::describe;

/// Where each queue's dead letters go.
#[derive(Debug, Clone)]
enum Routes {
    /// Every queue's: for a function that reads one queue.
    Single(String),
    /// By source queue name.
    ByQueue(HashMap<String, String>),
}

/// A [`DeadLetters`] on SQS.
#[derive(Debug, Clone)]
pub struct SqsDeadLetters {
    client: Client,
    routes: Routes,
}

impl SqsDeadLetters {
    /// Dead letters of each queue (by name, e.g. `registrations`) go to the DLQ URL it maps to.
    pub fn new(client: Client, dlq_urls: HashMap<String, String>) -> Self {
        SqsDeadLetters { client, routes: Routes::ByQueue(dlq_urls) }
    }

    /// All dead letters go to `dlq_url`, whatever queue they came from.
    pub fn single(client: Client, dlq_url: impl Into<String>) -> Self {
        SqsDeadLetters { client, routes: Routes::Single(dlq_url.into()) }
    }

    /// The DLQ URL for messages from `queue`, if one is configured.
    pub fn dlq_url(&self, queue: &str) -> Option<&str> {
        match &self.routes {
            Routes::Single(url) => Some(url),
            Routes::ByQueue(urls) => urls.get(queue).map(String::as_str),
        }
    }
}

fn attribute(value: &str) -> Result<MessageAttributeValue, DeadLetterError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| DeadLetterError(format!("message attribute: {e}")))
}

impl DeadLetters for SqsDeadLetters {
    async fn send(
        &self,
        queue: &str,
        body: &str,
        reason: &BadInput,
        provenance: &Provenance,
    ) -> Result<(), DeadLetterError> {
        let url = self
            .dlq_url(queue)
            .ok_or_else(|| DeadLetterError(format!("no dead-letter queue is configured for queue `{queue}`")))?;
        let code = reason.code.as_str();
        // SQS refuses empty attribute values; a reason always has a code to fall back on.
        let message = if reason.message.is_empty() { code } else { reason.message.as_str() };
        let mut send = self
            .client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .message_attributes(ERROR_CODE_ATTRIBUTE, attribute(code)?)
            .message_attributes(ERROR_MESSAGE_ATTRIBUTE, attribute(message)?)
            .message_attributes(SEAL_ATTRIBUTE, attribute(&provenance.seal)?);
        if let Some(sender) = provenance.sender.as_deref().filter(|s| !s.is_empty()) {
            send = send.message_attributes(SENDER_ATTRIBUTE, attribute(sender)?);
        }
        send.send().await.map_err(|e| DeadLetterError(describe("SendMessage", &e, None)))?;
        Ok(())
    }
}
