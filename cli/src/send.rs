//! `samspil send FILE`: sends the messages of a replay-format file to their queues.
//!
//! Each line is `{"queue": "...", "body": <JSON value or string>, "received_on": "..."}` (the
//! format of `samspil replay`, see `replay.rs`). The body goes out unchanged as the SQS message
//! body (a JSON value as compact JSON, a string as it is) with `SendMessage`, in file order, to the
//! queue of that name, whose URL `GetQueueUrl` finds; that is what an a-kasse system does.
//! `received_on` is not sent: whoever processes the message processes it on their own day.
//!
//! A line that is not a replay line stops the command, naming its line number (never its content),
//! before anything is sent (exit status 3). Before the first message goes out, the command says on
//! stderr which endpoint, region and account it is about to send to, and how many messages to
//! which queues; an AWS account is confirmed first ([`crate::target`]).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use samspil::aws::describe;
use serde::Deserialize;

use crate::failure::Failure;
use crate::target::TargetArgs;
use crate::{Error, Format, json_line};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Messages, one JSON object per line: {"queue", "body", "received_on"}
    file: PathBuf,
    #[command(flatten)]
    target: TargetArgs,
}

/// One line of a replay file, as far as sending goes.
#[derive(Debug, Deserialize)]
struct Line {
    queue: String,
    body: serde_json::Value,
}

/// What was sent: messages per queue name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    pub by_queue: BTreeMap<String, u64>,
}

impl Sent {
    pub fn total(&self) -> u64 {
        self.by_queue.values().sum()
    }
}

pub fn run(args: Args, format: Format) -> Result<(), Error> {
    crate::runtime()?.block_on(async {
        let lines = read_file(&args.file)?;
        let mut planned: BTreeMap<&str, u64> = BTreeMap::new();
        for (queue, _) in &lines {
            *planned.entry(queue.as_str()).or_default() += 1;
        }
        let planned: Vec<String> = planned.iter().map(|(q, n)| format!("{q} {n}")).collect();
        let what = format!("samspil send: sending {} messages ({}) to SQS", lines.len(), planned.join(", "));
        let target = args.target.connect(&what).await?;
        let sent = send_lines(&target.clients.sqs, lines).await?;
        match format {
            Format::Text => {
                let per_queue: Vec<String> = sent.by_queue.iter().map(|(q, n)| format!("{q} {n}")).collect();
                println!("sent {} messages from {} ({})", sent.total(), args.file.display(), per_queue.join(", "));
            }
            Format::Json => {
                let file = args.file.display().to_string();
                let summary = serde_json::json!({"file": file, "sent": sent.total(), "by_queue": sent.by_queue});
                println!("{}", json_line("summary", summary));
            }
        }
        Ok(())
    })
}

/// Sends every line of `path` to its queue, in file order.
pub async fn send_file(sqs: &aws_sdk_sqs::Client, path: &Path) -> Result<Sent, Error> {
    send_lines(sqs, read_file(path)?).await
}

/// The queue and body of every line of `path`; the first bad line stops it, by its number.
fn read_file(path: &Path) -> Result<Vec<(String, String)>, Error> {
    let unreadable = |e: std::io::Error| Failure::unreadable(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut lines = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(unreadable)?;
        if line.trim().is_empty() {
            continue;
        }
        let (queue, body) =
            parse_line(&line).map_err(|e| Failure::unreadable(format!("{}:{}: {e}", path.display(), index + 1)))?;
        lines.push((queue, body));
    }
    Ok(lines)
}

/// Sends each `(queue, body)` to its queue, in order.
async fn send_lines(sqs: &aws_sdk_sqs::Client, lines: Vec<(String, String)>) -> Result<Sent, Error> {
    let mut urls: HashMap<String, String> = HashMap::new();
    let mut sent = Sent::default();
    for (queue, body) in lines {
        let url = match urls.get(&queue) {
            Some(url) => url.clone(),
            None => {
                let url = crate::queue_url(sqs, &queue).await?;
                urls.insert(queue.clone(), url.clone());
                url
            }
        };
        let id = send_body(sqs, &url, &body).await.map_err(|e| Failure::aws(format!("sending to {queue}: {e}")))?;
        tracing::debug!(queue = %queue, message_id = %id, "sent");
        *sent.by_queue.entry(queue).or_default() += 1;
    }
    Ok(sent)
}

/// Sends one message body to the queue at `url`; returns its message id.
pub async fn send_body(sqs: &aws_sdk_sqs::Client, url: &str, body: &str) -> Result<String, Error> {
    let output = sqs
        .send_message()
        .queue_url(url)
        .message_body(body)
        .send()
        .await
        .map_err(|e| describe("SendMessage", &e, None))?;
    Ok(output.message_id.unwrap_or_default())
}

/// The queue and the message body of one replay line.
fn parse_line(text: &str) -> Result<(String, String), &'static str> {
    let line: Line = serde_json::from_str(text).map_err(|e| {
        if e.is_data() { "a replay line needs \"queue\" (string) and \"body\"" } else { "not a JSON object" }
    })?;
    let body = match line.body {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    Ok((line.queue, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_body_is_sent_as_compact_json_and_a_string_as_it_is() {
        let (queue, body) =
            parse_line(r#"{"queue": "registrations", "body": {"id": "a", "n": 1}, "received_on": "2026-11-02"}"#)
                .unwrap();
        assert_eq!((queue.as_str(), body.as_str()), ("registrations", r#"{"id":"a","n":1}"#));
        let (_, body) = parse_line(r#"{"queue": "registrations", "body": "this is not json"}"#).unwrap();
        assert_eq!(body, "this is not json");
    }

    #[test]
    fn a_bad_line_is_refused_without_quoting_it() {
        assert_eq!(parse_line("{\"body\": 1}").unwrap_err(), "a replay line needs \"queue\" (string) and \"body\"");
        assert_eq!(parse_line("[1, 2]").unwrap_err(), "a replay line needs \"queue\" (string) and \"body\"");
        assert_eq!(parse_line("nope").unwrap_err(), "not a JSON object");
    }
}
