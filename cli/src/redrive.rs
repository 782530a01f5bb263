//! `samspil redrive --queue NAME [--dry-run]`: moves messages from `NAME-dlq` back to `NAME`.
//!
//! For after a fix: a policy that was missing, a table that was down long enough for SQS to give
//! up. Each message is received from the dead-letter queue (with its message attributes), printed
//! (message id and `error_code`; never the body, which holds a CPR number), sent to the queue with
//! the body unchanged and its message attributes minus `error_code` and `error_message`, plus
//! [`REDRIVEN_ATTRIBUTE`] = `1` (so the pipeline treats it as a redelivery and republishes its
//! outbox if it was processed before), and only THEN deleted from the dead-letter queue. Stopping
//! at any point never loses a message: at worst one is in both queues, and the pipeline's
//! idempotency (rule R10) absorbs the duplicate.
//!
//! It moves the messages that are in the dead-letter queue when it starts: at most as many as
//! `ApproximateNumberOfMessages` says, stopping at the first empty receive, so a message that fails
//! again while it runs is left for the next redrive rather than moved in circles.
//!
//! `--dry-run` receives with a short visibility timeout, prints what it would move, changes
//! nothing, and makes the messages visible again at once.

use std::collections::HashMap;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, Message, MessageAttributeValue, QueueAttributeName,
};
use samspil::aws::describe;
use samspil::pipeline::REDRIVEN_ATTRIBUTE;

use crate::{Error, Format};

/// Seconds a message being moved stays invisible in the dead-letter queue: if the move stops
/// between the send and the delete, it is back in the DLQ after this (and moved again later).
const MOVE_VISIBILITY_TIMEOUT: i32 = 60;
/// Seconds a dry run hides the messages it lists, should it stop before showing them again.
const DRY_RUN_VISIBILITY_TIMEOUT: i32 = 10;
/// The attributes a dead-lettering adds, which a redriven message must not carry.
const DLQ_ATTRIBUTES: [&str; 2] = ["error_code", "error_message"];

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The queue to move messages back to, as SQS names it (in AWS with the stack's name prefix,
    /// e.g. samspil-registrations); the messages come from NAME-dlq.
    #[arg(long, value_name = "NAME")]
    queue: String,
    /// Only list what would be moved.
    #[arg(long)]
    dry_run: bool,
}

/// One message moved (or, in a dry run, that would be moved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redriven {
    /// Its message id in the dead-letter queue.
    pub message_id: String,
    /// Its `error_code`, if it was dead-lettered as bad input; `None` for exhausted retries.
    pub error_code: Option<String>,
    /// Its message id in the queue, once moved.
    pub new_message_id: Option<String>,
}

pub fn run(args: Args, format: Format) -> Result<(), Error> {
    crate::runtime()?.block_on(async {
        let clients = crate::clients().await;
        let dlq = format!("{}-dlq", args.queue);
        let what = if args.dry_run { "listing (dry run, nothing changes)" } else { "moving" };
        eprintln!(
            "samspil redrive: {what} the messages of {dlq} back to {} at {}",
            args.queue,
            crate::sqs_target(&clients.sqs)
        );
        let moved = redrive(&clients.sqs, &args.queue, args.dry_run, |r| {
            let code = r.error_code.as_deref().unwrap_or("- (retries exhausted)");
            match (format, &r.new_message_id) {
                (Format::Json, _) => println!(
                    "{}",
                    serde_json::json!({"message_id": r.message_id, "error_code": r.error_code,
                        "moved_as": r.new_message_id, "queue": args.queue})
                ),
                (Format::Text, Some(new)) => {
                    println!("moved {} -> {} as {new}  error_code {code}", r.message_id, args.queue)
                }
                (Format::Text, None) => println!("would move {}  error_code {code}", r.message_id),
            }
        })
        .await?;
        match args.dry_run {
            true => eprintln!(
                "dry run: {} message(s) in {dlq} would be moved to {}; nothing changed",
                moved.len(),
                args.queue
            ),
            false => eprintln!("moved {} message(s) from {dlq} to {}", moved.len(), args.queue),
        }
        Ok(())
    })
}

/// Moves the messages of `<queue>-dlq` back to `queue` (or, with `dry_run`, only lists them),
/// calling `report` for each; see the module documentation.
pub async fn redrive(
    sqs: &Client,
    queue: &str,
    dry_run: bool,
    mut report: impl FnMut(&Redriven),
) -> Result<Vec<Redriven>, Error> {
    let queue_url = crate::queue_url(sqs, queue).await?;
    let dlq_url = crate::queue_url(sqs, &format!("{queue}-dlq")).await?;
    let limit = waiting(sqs, &dlq_url).await?;
    let visibility = if dry_run { DRY_RUN_VISIBILITY_TIMEOUT } else { MOVE_VISIBILITY_TIMEOUT };
    let mut done = Vec::new();
    let mut listed: Vec<String> = Vec::new(); // receipt handles to show again after a dry run
    while (done.len() as u64) < limit {
        let batch = (limit - done.len() as u64).min(10) as i32;
        let output = sqs
            .receive_message()
            .queue_url(&dlq_url)
            .max_number_of_messages(batch)
            .wait_time_seconds(1)
            .visibility_timeout(visibility)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| format!("{} (from {queue}-dlq)", describe("ReceiveMessage", &e, None)))?;
        let messages = output.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        for message in messages {
            let mut item = Redriven {
                message_id: message.message_id.clone().unwrap_or_default(),
                error_code: error_code(&message),
                new_message_id: None,
            };
            if dry_run {
                listed.extend(message.receipt_handle.clone());
            } else {
                item.new_message_id = Some(move_one(sqs, &queue_url, &dlq_url, message).await?);
            }
            report(&item);
            done.push(item);
        }
    }
    if dry_run {
        show_again(sqs, &dlq_url, &listed).await?;
    }
    Ok(done)
}

/// Sends `message` to the queue, then deletes it from the DLQ; returns its new message id.
async fn move_one(sqs: &Client, queue_url: &str, dlq_url: &str, message: Message) -> Result<String, Error> {
    let id = message.message_id.as_deref().unwrap_or("-").to_string();
    let body = message.body.clone().ok_or_else(|| format!("message {id} has no body"))?;
    let sent = sqs
        .send_message()
        .queue_url(queue_url)
        .message_body(body)
        .set_message_attributes(Some(redriven_attributes(message.message_attributes.clone().unwrap_or_default())?))
        .send()
        .await
        .map_err(|e| format!("{} for {id} (it stays in the DLQ)", describe("SendMessage", &e, None)))?;
    let handle = message.receipt_handle.ok_or_else(|| format!("message {id} has no receipt handle"))?;
    sqs.delete_message().queue_url(dlq_url).receipt_handle(handle).send().await.map_err(|e| {
        format!(
            "{} for {id} after moving it (it is now in both queues; the copy is a duplicate)",
            describe("DeleteMessage", &e, None)
        )
    })?;
    Ok(sent.message_id.unwrap_or_default())
}

/// The attributes a redriven message carries: its own, minus the dead-lettering's, plus the mark.
pub fn redriven_attributes(
    mut attributes: HashMap<String, MessageAttributeValue>,
) -> Result<HashMap<String, MessageAttributeValue>, Error> {
    for name in DLQ_ATTRIBUTES {
        attributes.remove(name);
    }
    let mark = MessageAttributeValue::builder().data_type("String").string_value("1").build()?;
    attributes.insert(REDRIVEN_ATTRIBUTE.to_string(), mark);
    Ok(attributes)
}

fn error_code(message: &Message) -> Option<String> {
    message.message_attributes.as_ref()?.get("error_code")?.string_value.clone()
}

/// `ApproximateNumberOfMessages` of the queue at `url`.
async fn waiting(sqs: &Client, url: &str) -> Result<u64, Error> {
    let output = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .map_err(|e| describe("GetQueueAttributes", &e, None))?;
    let attributes = output.attributes.unwrap_or_default();
    Ok(attributes.get(&QueueAttributeName::ApproximateNumberOfMessages).and_then(|n| n.parse().ok()).unwrap_or(0))
}

/// Makes the listed messages visible again at once.
async fn show_again(sqs: &Client, dlq_url: &str, handles: &[String]) -> Result<(), Error> {
    for chunk in handles.chunks(10) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, h)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(h)
                    .visibility_timeout(0)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        sqs.change_message_visibility_batch().queue_url(dlq_url).set_entries(Some(entries)).send().await.map_err(
            |e| {
                format!(
                    "{} (the messages show again in {DRY_RUN_VISIBILITY_TIMEOUT} s)",
                    describe("ChangeMessageVisibilityBatch", &e, None)
                )
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &str) -> MessageAttributeValue {
        MessageAttributeValue::builder().data_type("String").string_value(value).build().unwrap()
    }

    #[test]
    fn a_redriven_message_keeps_its_attributes_but_not_the_dead_lettering_reason() {
        let attributes = HashMap::from([
            ("error_code".to_string(), text("unknown_municipality")),
            ("error_message".to_string(), text("data.municipality: no policy")),
            ("trace".to_string(), text("abc")),
        ]);
        let out = redriven_attributes(attributes).unwrap();
        let mut names: Vec<&str> = out.keys().map(String::as_str).collect();
        names.sort();
        assert_eq!(names, [REDRIVEN_ATTRIBUTE, "trace"]);
        assert_eq!(out[REDRIVEN_ATTRIBUTE].string_value(), Some("1"));
    }
}
