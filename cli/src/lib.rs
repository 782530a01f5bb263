//! The library half of the `samspil` program: the commands that talk to SQS, SNS and DynamoDB.
//!
//! - [`local`]: `samspil local`, the local runner. It polls the three queues the way Lambda's SQS
//!   event source mapping does and runs each batch through the very [`samspil::pipeline::BatchHandler`]
//!   the Lambda functions run, and it prints the meeting updates as they arrive.
//! - [`send`]: `samspil send FILE`, sends a replay-format file's messages to their queues.
//! - [`redrive`]: `samspil redrive --queue NAME`, moves messages from a dead-letter queue back.
//! - [`sweep`]: `samspil sweep [--today D]`, rule R12's summons sweep, once.
//! - [`target`]: where `send`, `redrive` and `sweep` act (`--endpoint-url`, `--region`,
//!   `--profile`, `--yes`), and the account they name before acting.
//! - [`failure`]: how a command fails, and its exit status.
//! - [`render`]: meeting updates as readable lines (shared with `samspil replay`).
//!
//! They are a library, not only modules of the binary, so that the end-to-end tests
//! (`tests/e2e`) drive exactly this code in-process against the stack deployed from the template.

pub mod failure;
pub mod local;
pub mod redrive;
pub mod render;
pub mod send;
pub mod sweep;
pub mod target;

use samspil::aws::describe;

pub use failure::{Failure, Kind};

/// How a command prints its results on stdout (`--format`). Diagnostics for people go to stderr,
/// as text, whatever the format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable lines.
    #[default]
    Text,
    /// Everything on stdout, one JSON object per line (JSON Lines), each `{"type": ..., "data":
    /// ...}`, for scripts.
    Json,
}

/// One line of `--format json` output: `{"type": kind, "data": data}`. `kind` says what `data`
/// is (`update`, `rejected`, `summary`, ...); the commands' help and docs/operations.md list them.
pub fn json_line(kind: &str, data: impl serde::Serialize) -> String {
    // Written by hand so that `type` comes first (serde_json's objects sort their keys).
    let kind = serde_json::Value::from(kind);
    let data = serde_json::to_string(&data).unwrap_or_else(|e| serde_json::Value::from(e.to_string()).to_string());
    format!("{{\"type\":{kind},\"data\":{data}}}")
}

/// The error of a command: a readable message. Never carries a message body or a CPR number.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A current-thread Tokio runtime for one command.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

/// SDK clients from the environment (`AWS_ENDPOINT_URL`, `AWS_REGION`, credentials), the same way
/// the Lambda functions build theirs.
pub(crate) async fn clients() -> samspil::aws::AwsClients {
    samspil::aws::AwsClients::from_env().await
}

/// The URL of the queue called `name`, through `GetQueueUrl`.
pub async fn queue_url(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<String, Error> {
    let output = sqs
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| Failure::aws(format!("no queue `{name}` ({})", describe("GetQueueUrl", &e, None))))?;
    Ok(output.queue_url.ok_or_else(|| Failure::aws(format!("GetQueueUrl returned no URL for `{name}`")))?)
}
