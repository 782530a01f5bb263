//! `samspil redrive --queue NAME [--error-code CODE]... [--max N] [--dry-run]`: moves messages
//! from `NAME-dlq` back to `NAME`.
//!
//! For after a fix: a policy that was missing, a table that was down long enough for SQS to give
//! up. By default it moves only the dead letters without an `error_code`: messages SQS moved there
//! after their retries ran out (transient failures). Bad input, which the pipeline dead-lettered
//! with its `error_code`, would fail again unchanged, and a `sender_mismatch` is refused for good
//! reason: such a message is moved only when the operator names its code with `--error-code`, on
//! purpose (after adding a missing municipality, say). Messages left behind stay in the
//! dead-letter queue, untouched, and are visible again when the run ends.
//!
//! Each message moved is received from the dead-letter queue with its message attributes and its
//! `SenderId`, printed (message id and `error_code`; never the body, which holds a CPR number),
//! sent to the queue with the body unchanged and samspil's marks only
//! ([`samspil::senders::redriven_marks`]: the sender the pipeline recorded and its seal as the
//! dead letter carries them, the dead letter's own `SenderId` appended to the dead-letter senders,
//! and `samspil-redriven`), and only THEN deleted from the dead-letter queue. The pipeline checks a
//! redriven message against its original sender, worked out from those marks without trusting any
//! an a-kasse could have written (see `samspil::senders`); the queue's senders must name the
//! operator's role as a redrive principal for that. Stopping at any point never loses a message:
//! at worst one is in both queues, and the pipeline's idempotency (rule R10) absorbs the duplicate.
//!
//! It looks at the messages that are in the dead-letter queue when it starts: at most as many as
//! `ApproximateNumberOfMessages` says, stopping at the first empty receive, so a message that fails
//! again while it runs is left for the next redrive rather than moved in circles. `--max N` stops
//! after N messages moved.
//!
//! `--dry-run` prints what it would move, changes nothing, and makes every message it received
//! visible again at once.

use std::collections::{BTreeMap, HashSet};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, Message, MessageAttributeValue, MessageSystemAttributeName,
    QueueAttributeName,
};
use samspil::aws::describe;
use samspil::contract::ErrorCode;
use samspil::senders::{ERROR_CODE_ATTRIBUTE, Marks, redriven_marks};

use crate::failure::Failure;
use crate::target::TargetArgs;
use crate::{Error, Format, json_line};

/// Seconds a received message stays invisible in the dead-letter queue: if the run stops between
/// the send and the delete, the message is back in the DLQ after this (and moved again later).
/// Messages left behind are made visible again when the run ends.
const MOVE_VISIBILITY_TIMEOUT: i32 = 60;
/// Seconds a dry run hides the messages it lists, should it stop before showing them again.
const DRY_RUN_VISIBILITY_TIMEOUT: i32 = 10;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The queue to move messages back to, as SQS names it (in AWS with the stack's name prefix,
    /// e.g. samspil-registrations); the messages come from NAME-dlq
    #[arg(long, value_name = "NAME")]
    queue: String,
    /// Also move the dead letters with this error_code (bad input), on purpose; repeat it or list
    /// codes with commas. Without it, only messages without an error_code (retries exhausted) move
    #[arg(long = "error-code", value_name = "CODE", value_delimiter = ',', value_parser = error_code)]
    error_codes: Vec<String>,
    /// Move at most N messages
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max: Option<u64>,
    /// Only list what would be moved
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    target: TargetArgs,
}

/// A bad-input code, as `error_code` writes it (docs/error-codes.md).
fn error_code(text: &str) -> Result<String, String> {
    match ErrorCode::ALL.iter().find(|code| code.as_str() == text) {
        Some(code) => Ok(code.as_str().to_owned()),
        None => {
            let known: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
            Err(format!("not an error code; the codes are {}", known.join(", ")))
        }
    }
}

/// What to move.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The queue to move back to; the dead letters come from `<queue>-dlq`.
    pub queue: String,
    /// The `error_code`s to move besides the dead letters without one.
    pub error_codes: Vec<String>,
    /// Stop after this many moved.
    pub max: Option<u64>,
    /// Only list.
    pub dry_run: bool,
}

impl Plan {
    /// Moves everything without an `error_code` from `queue`'s dead-letter queue.
    pub fn retries_exhausted(queue: &str) -> Self {
        Plan { queue: queue.to_owned(), ..Plan::default() }
    }

    fn selects(&self, error_code: Option<&str>) -> bool {
        error_code.is_none_or(|code| self.error_codes.iter().any(|c| c == code))
    }
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

/// What a run did: the messages moved (or listed), and those left in the dead-letter queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub moved: Vec<Redriven>,
    /// Received and left behind, by `error_code` (`-` for none): not named with `--error-code`,
    /// past `--max`, or without a `SenderId` to vouch for.
    pub left: BTreeMap<String, u64>,
}

impl Outcome {
    pub fn left_total(&self) -> u64 {
        self.left.values().sum()
    }
}

pub fn run(args: Args, format: Format) -> Result<(), Error> {
    crate::runtime()?.block_on(async {
        let plan = Plan { queue: args.queue, error_codes: args.error_codes, max: args.max, dry_run: args.dry_run };
        let dlq = format!("{}-dlq", plan.queue);
        let what = if plan.dry_run { "listing (dry run, nothing changes)" } else { "moving" };
        let codes = match plan.error_codes.as_slice() {
            [] => "without an error_code".to_owned(),
            codes => format!("without an error_code or with {}", codes.join(", ")),
        };
        let target = args
            .target
            .connect(&format!("samspil redrive: {what} the messages {codes} of {dlq} back to {}", plan.queue))
            .await?;
        let outcome = redrive(&target.clients.sqs, &plan, |r| {
            let code = r.error_code.as_deref().unwrap_or("- (retries exhausted)");
            match (format, &r.new_message_id) {
                (Format::Json, Some(_)) => println!("{}", json_line("moved", moved_json(r, &plan.queue))),
                (Format::Json, None) => println!("{}", json_line("would_move", moved_json(r, &plan.queue))),
                (Format::Text, Some(new)) => {
                    println!("moved {} -> {} as {new}  error_code {code}", r.message_id, plan.queue)
                }
                (Format::Text, None) => println!("would move {}  error_code {code}", r.message_id),
            }
        })
        .await?;
        report(&plan, &outcome, format);
        Ok(())
    })
}

fn moved_json(r: &Redriven, queue: &str) -> serde_json::Value {
    serde_json::json!({"message_id": r.message_id, "error_code": r.error_code, "moved_as": r.new_message_id, "queue": queue})
}

/// The run's summary: on stderr as text, or as a `summary` line on stdout.
fn report(plan: &Plan, outcome: &Outcome, format: Format) {
    let dlq = format!("{}-dlq", plan.queue);
    let n = outcome.moved.len();
    if format == Format::Json {
        let summary = serde_json::json!({
            "queue": plan.queue, "dry_run": plan.dry_run,
            if plan.dry_run { "would_move" } else { "moved" }: n, "left": outcome.left,
        });
        println!("{}", json_line("summary", summary));
        return;
    }
    match plan.dry_run {
        true => eprintln!("dry run: {n} message(s) in {dlq} would be moved to {}; nothing changed", plan.queue),
        false => eprintln!("moved {n} message(s) from {dlq} to {}", plan.queue),
    }
    if !outcome.left.is_empty() {
        let by_code: Vec<String> = outcome.left.iter().map(|(code, n)| format!("{code} {n}")).collect();
        eprintln!(
            "left {} message(s) in {dlq} (by error_code: {}); name a code with --error-code to move those on purpose",
            outcome.left_total(),
            by_code.join(", ")
        );
    }
}

/// Moves the messages of `<queue>-dlq` that `plan` selects back to the queue (or, with
/// `dry_run`, only lists them), calling `report` for each; see the module documentation.
pub async fn redrive(sqs: &Client, plan: &Plan, report: impl FnMut(&Redriven)) -> Result<Outcome, Error> {
    let queue_url = crate::queue_url(sqs, &plan.queue).await?;
    let dlq_url = crate::queue_url(sqs, &format!("{}-dlq", plan.queue)).await?;
    let limit = waiting(sqs, &dlq_url).await?;
    let mut run = Run { sqs, plan, queue_url, dlq_url, outcome: Outcome::default(), held: Vec::new() };
    let result = run.receive_all(limit, report).await;
    // Show the messages left behind again, even when the run failed halfway.
    let shown = show_again(sqs, &run.dlq_url, &run.held).await;
    result.and(shown)?;
    Ok(run.outcome)
}

/// One run of [`redrive`].
struct Run<'a> {
    sqs: &'a Client,
    plan: &'a Plan,
    queue_url: String,
    dlq_url: String,
    outcome: Outcome,
    /// Receipt handles of messages received and not moved, to make visible again at the end.
    held: Vec<String>,
}

impl Run<'_> {
    /// Receives up to `limit` distinct messages and moves (or lists) those the plan selects.
    async fn receive_all(&mut self, limit: u64, mut report: impl FnMut(&Redriven)) -> Result<(), Error> {
        let plan = self.plan;
        let visibility = if plan.dry_run { DRY_RUN_VISIBILITY_TIMEOUT } else { MOVE_VISIBILITY_TIMEOUT };
        let mut seen: HashSet<String> = HashSet::new();
        let mut looked_at = 0u64;
        while looked_at < limit && !self.full() {
            let batch = (limit - looked_at).min(10) as i32;
            let output = self
                .sqs
                .receive_message()
                .queue_url(&self.dlq_url)
                .max_number_of_messages(batch)
                .wait_time_seconds(1)
                .visibility_timeout(visibility)
                .message_attribute_names("All")
                .message_system_attribute_names(MessageSystemAttributeName::SenderId)
                .send()
                .await
                .map_err(|e| {
                    Failure::aws(format!("{} (from {}-dlq)", describe("ReceiveMessage", &e, None), plan.queue))
                })?;
            let messages = output.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            for message in messages {
                let id = message.message_id.clone().unwrap_or_default();
                let handle = message.receipt_handle.clone();
                if !seen.insert(id.clone()) {
                    // Held past its visibility timeout and received again: already looked at.
                    self.held.extend(handle);
                    continue;
                }
                looked_at += 1;
                let code = attribute(&message, ERROR_CODE_ATTRIBUTE);
                if self.full() || !plan.selects(code.as_deref()) {
                    self.leave(code, handle);
                    continue;
                }
                let mut item = Redriven { message_id: id, error_code: code, new_message_id: None };
                if plan.dry_run {
                    self.held.extend(handle);
                } else {
                    match move_one(self.sqs, &self.queue_url, &self.dlq_url, message).await? {
                        Some(new_id) => item.new_message_id = Some(new_id),
                        None => {
                            self.leave(item.error_code, handle);
                            continue;
                        }
                    }
                }
                report(&item);
                self.outcome.moved.push(item);
            }
        }
        Ok(())
    }

    /// Whether `--max` messages have been moved.
    fn full(&self) -> bool {
        self.plan.max.is_some_and(|max| self.outcome.moved.len() as u64 >= max)
    }

    /// Leaves a received message where it is, counted under its code.
    fn leave(&mut self, code: Option<String>, handle: Option<String>) {
        *self.outcome.left.entry(code.unwrap_or_else(|| "-".into())).or_default() += 1;
        self.held.extend(handle);
    }
}

/// Sends `message` to the queue with its redriven marks, then deletes it from the DLQ; returns its
/// new message id. `None` (and nothing done) for a message without a `SenderId`: nothing vouches
/// for where it came from, so it stays in the dead-letter queue.
async fn move_one(sqs: &Client, queue_url: &str, dlq_url: &str, message: Message) -> Result<Option<String>, Error> {
    let id = message.message_id.as_deref().unwrap_or("-").to_string();
    let sender = message.attributes.as_ref().and_then(|a| a.get(&MessageSystemAttributeName::SenderId));
    let Some(marks) = redriven_marks(&marks(&message), sender.map_or("", String::as_str)) else {
        tracing::warn!(message_id = %id, "a dead letter without a SenderId stays in the dead-letter queue");
        return Ok(None);
    };
    let body = message.body.clone().ok_or_else(|| Failure::aws(format!("message {id} has no body")))?;
    let sent = sqs
        .send_message()
        .queue_url(queue_url)
        .message_body(body)
        .set_message_attributes(Some(attributes(&marks)?))
        .send()
        .await
        .map_err(|e| Failure::aws(format!("{} for {id} (it stays in the DLQ)", describe("SendMessage", &e, None))))?;
    let handle = message.receipt_handle.ok_or_else(|| Failure::aws(format!("message {id} has no receipt handle")))?;
    sqs.delete_message().queue_url(dlq_url).receipt_handle(handle).send().await.map_err(|e| {
        Failure::aws(format!(
            "{} for {id} after moving it (it is now in both queues; the copy is a duplicate)",
            describe("DeleteMessage", &e, None)
        ))
    })?;
    Ok(Some(sent.message_id.unwrap_or_default()))
}

/// samspil's marks as a received message carries them.
fn marks(message: &Message) -> Marks {
    let attributes = message.message_attributes.as_ref();
    Marks::read(|name| attributes.and_then(|a| a.get(name)).map(|v| v.string_value().unwrap_or("")))
}

/// The message attributes of a redriven message: its marks, nothing else.
pub fn attributes(
    marks: &Marks,
) -> Result<std::collections::HashMap<String, MessageAttributeValue>, aws_sdk_sqs::error::BuildError> {
    marks
        .attributes()
        .into_iter()
        .map(|(name, value)| {
            Ok((name.to_owned(), MessageAttributeValue::builder().data_type("String").string_value(value).build()?))
        })
        .collect()
}

fn attribute(message: &Message, name: &str) -> Option<String> {
    message.message_attributes.as_ref()?.get(name)?.string_value.clone()
}

/// `ApproximateNumberOfMessages` of the queue at `url`.
async fn waiting(sqs: &Client, url: &str) -> Result<u64, Error> {
    let output = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .map_err(|e| Failure::aws(describe("GetQueueAttributes", &e, None)))?;
    let attributes = output.attributes.unwrap_or_default();
    Ok(attributes.get(&QueueAttributeName::ApproximateNumberOfMessages).and_then(|n| n.parse().ok()).unwrap_or(0))
}

/// Makes the held messages visible again at once.
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
                Failure::aws(format!(
                    "{} (the messages left behind show again within {MOVE_VISIBILITY_TIMEOUT} s)",
                    describe("ChangeMessageVisibilityBatch", &e, None)
                ))
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use samspil::senders::{DEAD_LETTER_SENDERS_ATTRIBUTE, REDRIVEN_ATTRIBUTE, SEAL_ATTRIBUTE, SENDER_ATTRIBUTE};

    #[test]
    fn a_redriven_message_carries_samspil_s_marks_and_nothing_else() {
        let text = |v: &str| MessageAttributeValue::builder().data_type("String").string_value(v).build().unwrap();
        let message = Message::builder()
            .message_id("d-1")
            .message_attributes("error_code", text("unknown_municipality"))
            .message_attributes("error_message", text("data.municipality: no policy"))
            .message_attributes(SENDER_ATTRIBUTE, text("AROAKASSE067"))
            .message_attributes(SEAL_ATTRIBUTE, text("ab12"))
            .message_attributes("trace", text("abc"))
            .build();
        let marks = redriven_marks(&marks(&message), "AROAFUNCTION:samspil-registration").unwrap();
        let out = attributes(&marks).unwrap();
        let mut names: Vec<&str> = out.keys().map(String::as_str).collect();
        names.sort();
        assert_eq!(names, [DEAD_LETTER_SENDERS_ATTRIBUTE, REDRIVEN_ATTRIBUTE, SEAL_ATTRIBUTE, SENDER_ATTRIBUTE]);
        assert_eq!(out[REDRIVEN_ATTRIBUTE].string_value(), Some("1"));
        assert_eq!(out[SENDER_ATTRIBUTE].string_value(), Some("AROAKASSE067"));
        assert_eq!(out[DEAD_LETTER_SENDERS_ATTRIBUTE].string_value(), Some("AROAFUNCTION"));
    }

    #[test]
    fn by_default_only_exhausted_retries_move_and_codes_are_named_on_purpose() {
        let plan = Plan::retries_exhausted("registrations");
        assert!(plan.selects(None));
        assert!(!plan.selects(Some("sender_mismatch")));
        let plan = Plan { error_codes: vec!["unknown_municipality".into()], ..plan };
        assert!(plan.selects(Some("unknown_municipality")) && plan.selects(None));
        assert!(!plan.selects(Some("sender_mismatch")));
        assert_eq!(error_code("sender_mismatch").as_deref(), Ok("sender_mismatch"));
        assert!(error_code("sender-mismatch").unwrap_err().contains("unknown_municipality"));
    }
}
