//! `samspil send FILE`: sends the messages of a replay-format file to their queues.
//!
//! Each line is `{"queue": "...", "body": <JSON value or string>, "received_on": "..."}` (the
//! format of `samspil replay`, see `replay.rs`). The body goes out unchanged as the SQS message
//! body (a JSON value as compact JSON, a string as it is) with `SendMessage`, in file order, to the
//! queue of that name, whose URL `GetQueueUrl` finds; that is what an a-kasse system does.
//! `received_on` is not sent: whoever processes the message processes it on their own day.
//!
//! A line that is not a replay line stops the command, naming its line number (never its content).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use samspil::aws::describe;
use serde::Deserialize;

use crate::Error;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Messages, one JSON object per line: {"queue", "body", "received_on"}.
    file: PathBuf,
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

pub fn run(args: Args) -> Result<(), Error> {
    crate::runtime()?.block_on(async {
        let clients = crate::clients().await;
        let sent = send_file(&clients.sqs, &args.file).await?;
        let per_queue: Vec<String> = sent.by_queue.iter().map(|(q, n)| format!("{q} {n}")).collect();
        println!("sent {} messages from {} ({})", sent.total(), args.file.display(), per_queue.join(", "));
        Ok(())
    })
}

/// Sends every line of `path` to its queue, in file order.
pub async fn send_file(sqs: &aws_sdk_sqs::Client, path: &Path) -> Result<Sent, Error> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let (queue, body) = parse_line(&line).map_err(|e| format!("{}:{}: {e}", path.display(), index + 1))?;
        lines.push((queue, body));
    }
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
        send_body(sqs, &url, &body).await.map_err(|e| format!("sending to {queue}: {e}"))?;
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
