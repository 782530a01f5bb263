//! The glue every Lambda function's `main` calls: [`run`] for the three SQS functions, and
//! [`summons::run`] for the `summons` function of rule R12 (the daily sweep).
//!
//! At start-up (the cold start, before the first poll of the Runtime API) it reads [`Config`] from
//! the environment once, loads the policy book, builds the SDK clients once
//! ([`crate::aws::AwsClients`]), and hands an SQS handler to `lambda_runtime`. Each invocation turns
//! the SQS event into [`BatchRecord`]s, runs them through [`BatchHandler`], prints the metrics line
//! and answers with an `SqsBatchResponse` listing only the failed message ids.
//!
//! **The HMAC secret is fetched lazily.** In AWS it is an SSM SecureString parameter
//! (`HMAC_SECRET_PARAMETER`). Fetching it is a network round trip (and the first HTTPS connection,
//! with its TLS handshake), so it happens on the first event, not at start-up: the function polls
//! for work as early as possible and the fetch overlaps nothing but the first invocation. The
//! pipeline that needs the secret is built then, once, in a `tokio::sync::OnceCell`; if the fetch
//! fails, that invocation fails (SQS retries the batch) and the next one tries again. For local
//! runs and tests, `HMAC_SECRET` gives the secret directly.
//!
//! **The processing day** (rule R0) is the calendar day in Europe/Copenhagen ([`copenhagen_date`]),
//! from the tz database in `chrono-tz`. `.cargo/config.toml` filters that database down to the one
//! zone at build time, so it adds little to the binary.
//!
//! **Start-up** (spawn to first poll, measured by `make startup`): about 2.5 ms on the development
//! machine, of which about 0.1 ms is configuration and policies and 0.7 ms the SDK configuration
//! and clients (`RUST_LOG=samspil=debug` logs both); the rest is the process and the dynamic loader.
//! Building the TLS connector, which reads and parses the system's CA certificates once per SDK
//! client, cost another 3.8 ms; it now happens once, on the first request
//! ([`crate::aws::config`]).
//!
//! **Faults.** Each invocation keeps to its deadline (records not started in time, or abandoned at
//! it, are reported as failed: [`BatchHandler::handle_until`]), and every failed message is made to
//! wait before SQS delivers it again ([`Backoff::LAMBDA`], through `QUEUE_URL`), so an outage of
//! DynamoDB or SNS is ridden out on the queue rather than in the dead-letter queue.
//!
//! A batch record without a message id that must be retried fails the whole invocation on purpose
//! (see [`crate::pipeline::AbortBatch`]): an empty `itemIdentifier` would fail the batch anyway,
//! less clearly.

use std::path::PathBuf;
use std::time::Instant;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, NaiveDate, Utc};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::value::RawValue;
use tokio::sync::OnceCell;

use crate::aws::{
    AwsClients, DEFAULT_RETENTION_DAYS, DynamoStore, FailedReceipt, KmsSealer, SnsPublisher, SqsDeadLetters, back_off,
    receive_count,
};
use crate::contract::FactKind;
use crate::identity::PersonKeyer;
use crate::pipeline::{Backoff, BatchHandler, BatchRecord, Pipeline, ProcessingTime};
use crate::policy::PolicyBook;
use crate::senders::{Marks, Senders};
use crate::telemetry::Metrics;

pub use lambda_runtime::Error;

/// Where the HMAC secret for person keys comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// Given directly (`HMAC_SECRET`): local runs and tests.
    Inline(String),
    /// The name of an SSM SecureString parameter (`HMAC_SECRET_PARAMETER`), read with decryption.
    Parameter(String),
}

impl std::fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::Inline(_) => f.write_str("Inline(<secret>)"),
            SecretSource::Parameter(name) => f.debug_tuple("Parameter").field(name).finish(),
        }
    }
}

/// A function's configuration, read once from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `TABLE_NAME`: the DynamoDB table of people's states.
    pub table_name: String,
    /// `TOPIC_ARN`: the `meeting-updates` topic.
    pub topic_arn: String,
    /// `QUEUE_URL`: the function's own queue, whose failed messages it backs off
    /// ([`crate::pipeline::Backoff`]).
    pub queue_url: String,
    /// `DLQ_URL`: the dead-letter queue of the function's queue, for bad input.
    pub dlq_url: String,
    /// `HMAC_SECRET` or `HMAC_SECRET_PARAMETER` (exactly one).
    pub secret: SecretSource,
    /// `SUMMONS_KEY_ID`: the KMS key that seals a CPR number while its plan awaits the summons
    /// (rule R12, `SummonsKey`; [`KmsSealer`]).
    pub summons_key_id: String,
    /// `POLICY_FILE`: a policy file to use instead of the checked-in one compiled in.
    pub policy_file: Option<PathBuf>,
    /// `RETENTION_DAYS`: days a person's data is kept after their last period closed.
    pub retention_days: u32,
    /// `AKASSE_SENDERS`: which sending principal may speak for which a-kasse ([`Senders::parse`]).
    pub senders: Senders,
    /// `STACK_NAME`: the CloudFormation stack's name, the metrics dimension `stack`.
    pub stack_name: String,
}

/// What is wrong with the environment. Names the variable, never a secret's value.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("missing environment variable {0}")]
    Missing(&'static str),
    #[error("environment variable {name}: {problem}")]
    Invalid { name: &'static str, problem: String },
}

/// Where the HMAC secret comes from: `HMAC_SECRET` or `HMAC_SECRET_PARAMETER`, exactly one.
pub(crate) fn secret_source(get: &impl Fn(&'static str) -> Option<String>) -> Result<SecretSource, ConfigError> {
    match (get("HMAC_SECRET"), get("HMAC_SECRET_PARAMETER")) {
        (Some(secret), None) => Ok(SecretSource::Inline(secret)),
        (None, Some(name)) => Ok(SecretSource::Parameter(name)),
        (None, None) => Err(ConfigError::Missing("HMAC_SECRET_PARAMETER (or HMAC_SECRET)")),
        (Some(_), Some(_)) => {
            let problem = "set either HMAC_SECRET or HMAC_SECRET_PARAMETER, not both".into();
            Err(ConfigError::Invalid { name: "HMAC_SECRET", problem })
        }
    }
}

/// `RETENTION_DAYS`, or [`DEFAULT_RETENTION_DAYS`] when unset.
pub(crate) fn retention_days(get: &impl Fn(&'static str) -> Option<String>) -> Result<u32, ConfigError> {
    match get("RETENTION_DAYS") {
        None => Ok(DEFAULT_RETENTION_DAYS),
        Some(days) => days.trim().parse().map_err(|_| ConfigError::Invalid {
            name: "RETENTION_DAYS",
            problem: "expected a whole number of days".into(),
        }),
    }
}

impl std::fmt::Debug for ConfigError {
    // `main` returning an error prints its Debug form: make that the readable message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl Config {
    /// Reads the configuration through `lookup` (`std::env::var` in Lambda). Empty values count
    /// as missing.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &'static str| lookup(name).filter(|v| !v.trim().is_empty());
        let need = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));
        let secret = secret_source(&get)?;
        let retention_days = retention_days(&get)?;
        let senders = Senders::parse(&need("AKASSE_SENDERS")?)
            .map_err(|e| ConfigError::Invalid { name: "AKASSE_SENDERS", problem: e.to_string() })?;
        Ok(Config {
            senders,
            table_name: need("TABLE_NAME")?,
            topic_arn: need("TOPIC_ARN")?,
            queue_url: need("QUEUE_URL")?,
            dlq_url: need("DLQ_URL")?,
            summons_key_id: need("SUMMONS_KEY_ID")?,
            secret,
            policy_file: get("POLICY_FILE").map(PathBuf::from),
            retention_days,
            stack_name: need("STACK_NAME")?,
        })
    }
}

type Handler = BatchHandler<DynamoStore, SnsPublisher, KmsSealer, SqsDeadLetters>;

/// Everything one function process keeps between invocations.
struct Function {
    kind: FactKind,
    config: Config,
    clients: AwsClients,
    policies: PolicyBook,
    metrics: Metrics,
    /// Built on the first event, once the secret is known.
    handler: OnceCell<Handler>,
}

/// Runs the Lambda function for `kind` until the runtime stops it. Fails at start-up, naming the
/// variable, if the configuration is incomplete.
pub async fn run(kind: FactKind) -> Result<(), Error> {
    let started = Instant::now();
    let config = Config::from_env(|name| std::env::var(name).ok()).inspect_err(|e| tracing::error!("{e}"))?;
    let policies = match &config.policy_file {
        Some(path) => PolicyBook::load(path).inspect_err(|e| tracing::error!("{e}"))?,
        None => PolicyBook::repository(),
    };
    let configured = started.elapsed();
    let clients = AwsClients::new(&crate::aws::sdk_config().await);
    tracing::debug!(
        config_and_policies_us = configured.as_micros() as u64,
        sdk_clients_us = (started.elapsed() - configured).as_micros() as u64,
        "initialised; polling for events"
    );
    let metrics = Metrics::new(function_name(kind), &config.stack_name);
    let function = Function { kind, config, clients, policies, metrics, handler: OnceCell::new() };
    lambda_runtime::run(service_fn(|event| function.invoke(event))).await
}

/// The stable name of the function for `kind`, used as the metrics dimension `function`: the
/// binary's name, not the deployed name (which the stack may prefix and suffix).
pub fn function_name(kind: FactKind) -> &'static str {
    match kind {
        FactKind::Registration => "registration",
        FactKind::CvCompleted => "cv-completed",
        FactKind::JobExit => "job-exit",
    }
}

impl Function {
    async fn invoke(&self, event: LambdaEvent<Box<RawValue>>) -> Result<SqsBatchResponse, Error> {
        let deadline = deadline_instant(event.context.deadline, Utc::now());
        let messages = sqs_event(&event.payload)?.records;
        let handler = match self.handler.get_or_try_init(|| self.build()).await {
            Ok(handler) => handler,
            Err(e) => {
                // The secret could not be read (an SSM outage, say): every record waits and returns.
                self.back_off(messages.iter()).await;
                return Err(e);
            }
        };
        let records: Vec<BatchRecord> = messages.iter().map(|m| batch_record(m, self.kind)).collect();
        let time = processing_time(Utc::now());
        let report = handler.handle_until(&records, time, Some(deadline)).await;
        self.metrics.emit(&report.counts, time.now);
        let failed = messages.iter().filter(|m| {
            report.abort.is_some() || m.message_id.as_ref().is_some_and(|id| report.failed_message_ids.contains(id))
        });
        self.back_off(failed).await;
        if let Some(abort) = report.abort {
            tracing::error!("{abort}; failing the whole batch so that it is retried");
            return Err(abort.into());
        }
        let mut response = SqsBatchResponse::default();
        for id in report.failed_message_ids {
            response.add_failure(id);
        }
        Ok(response)
    }

    /// Makes failed messages wait before they are delivered again ([`Backoff::LAMBDA`]).
    async fn back_off<'a>(&self, failed: impl Iterator<Item = &'a SqsMessage>) {
        let receipts: Vec<FailedReceipt<'_>> = failed
            .filter_map(|m| {
                Some(FailedReceipt {
                    receipt_handle: m.receipt_handle.as_deref()?,
                    receive_count: receive_count(m.attributes.get("ApproximateReceiveCount").map(String::as_str)),
                })
            })
            .collect();
        if receipts.is_empty() {
            return;
        }
        if let Err(e) = back_off(&self.clients.sqs, &self.config.queue_url, &receipts, Backoff::LAMBDA).await {
            tracing::warn!(error = %e, "could not back off failed messages; they return after the queue's visibility timeout");
        }
    }

    /// The pipeline, once the secret is known.
    async fn build(&self) -> Result<Handler, Error> {
        let secret = match &self.config.secret {
            SecretSource::Inline(secret) => secret.clone(),
            SecretSource::Parameter(name) => fetch_secret(&self.clients.ssm, name).await?,
        };
        let keyer = PersonKeyer::new(secret.as_bytes())?;
        let store =
            DynamoStore::new(self.clients.dynamodb.clone(), &self.config.table_name, self.config.retention_days);
        let publisher = SnsPublisher::new(self.clients.sns.clone(), &self.config.topic_arn);
        let dead_letters = SqsDeadLetters::single(self.clients.sqs.clone(), &self.config.dlq_url);
        let sealer = KmsSealer::new(self.clients.kms.clone(), &self.config.summons_key_id);
        let pipeline = Pipeline::new(store, publisher, sealer, self.policies.clone(), keyer)
            .with_senders(self.config.senders.clone());
        Ok(BatchHandler::new(pipeline, dead_letters))
    }
}

/// Reads the HMAC secret from the SSM SecureString parameter `name` (`HMAC_SECRET_PARAMETER`).
pub(crate) async fn fetch_secret(ssm: &aws_sdk_ssm::Client, name: &str) -> Result<String, Error> {
    let output = ssm.get_parameter().name(name).with_decryption(true).send().await.map_err(|e| {
        format!(
            "reading the SSM parameter {name} (HMAC_SECRET_PARAMETER): {}",
            aws_sdk_ssm::error::DisplayErrorContext(&e)
        )
    })?;
    let value = output.parameter.and_then(|p| p.value);
    Ok(value.ok_or_else(|| format!("the SSM parameter {name} (HMAC_SECRET_PARAMETER) has no value"))?)
}

/// The invocation event as an SQS event. The runtime hands it over raw: had it deserialized the
/// event itself, its error for an event that does not fit would quote the offending value (which
/// can be a CPR number) in the log and in the error sent to the Runtime API. This error says only
/// where the event does not fit.
pub fn sqs_event(raw: &RawValue) -> Result<SqsEvent, String> {
    serde_json::from_str(raw.get()).map_err(|e| {
        format!(
            "the invocation event is not an SQS event ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        )
    })
}

/// One SQS record as the pipeline sees it. The queue is the logical one (`registrations`, ...):
/// the ARN's last segment, without a stack-name prefix; the function's own queue if the ARN is
/// missing or names no samspil queue. samspil's own message attributes become the record's
/// [`Marks`], which the pipeline weighs against the sender ([`crate::senders`]).
pub fn batch_record(message: &SqsMessage, kind: FactKind) -> BatchRecord {
    let received = message.attributes.get("ApproximateReceiveCount").map(String::as_str);
    let queue = message.event_source_arn.as_deref().and_then(logical_queue).unwrap_or(kind.queue());
    let marks =
        Marks::read(|name| message.message_attributes.get(name).map(|a| a.string_value.as_deref().unwrap_or("")));
    BatchRecord {
        redelivered: crate::pipeline::is_redelivered(received),
        queue: queue.to_string(),
        message_id: message.message_id.clone(),
        sender: message.attributes.get("SenderId").cloned(),
        body: message.body.clone(),
        marks,
        sent_at: crate::pipeline::sent_timestamp(message.attributes.get("SentTimestamp").map(String::as_str)),
    }
}

fn logical_queue(arn: &str) -> Option<&'static str> {
    let name = crate::pipeline::queue_from_arn(arn);
    FactKind::ALL
        .into_iter()
        .map(FactKind::queue)
        .find(|q| name == *q || name.strip_suffix(q).is_some_and(|prefix| prefix.ends_with('-')))
}

/// The invocation's deadline (`Lambda-Runtime-Deadline-Ms`, epoch milliseconds) as an instant of
/// this process's clock, given the wall-clock time `now`.
pub fn deadline_instant(deadline_ms: u64, now: DateTime<Utc>) -> tokio::time::Instant {
    let now_ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    tokio::time::Instant::now() + std::time::Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}

/// The processing time of an invocation at `now`.
pub fn processing_time(now: DateTime<Utc>) -> ProcessingTime {
    ProcessingTime { today: copenhagen_date(now), now }
}

/// The calendar day in Europe/Copenhagen at `now`: the processing day of rule R0.
pub fn copenhagen_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&chrono_tz::Europe::Copenhagen).date_naive()
}

pub mod summons;

#[cfg(test)]
mod tests;
