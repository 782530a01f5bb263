//! The glue of the `summons` function (rule R12): [`run`].
//!
//! Its schedule (EventBridge Scheduler, daily at 05:00 Europe/Copenhagen, `infra/template.yaml`)
//! invokes it asynchronously with an event it does not read. Each invocation runs
//! [`Pipeline::sweep`] once, for the processing day at the invocation's start (the calendar day
//! in Europe/Copenhagen, [`super::processing_time`]), as a fresh [`SweepRun`]: every summons due on
//! or before that day is published. It returns an error when the sweep did not finish, so Lambda
//! retries the invocation (twice) and the function's errors alarm fires; what a failed run left is
//! due still and goes out with the next run.
//!
//! **Start-up** is as in the other functions ([`super::run`]): configuration, policies and the
//! SDK clients once per cold start; the HMAC secret (which the pipeline's constructor takes) on the
//! first invocation.
//!
//! **Deadline.** The sweep reports [`DEADLINE_RESERVE`] before the invocation's deadline
//! ([`Pipeline::sweep_until`]): it starts nobody with less than `SWEEP_START_RESERVE` left, abandons
//! whoever is still running then, and counts the people it never started as `unreached`. A person
//! cut off in the middle is safe (the sweep's outbox marker) and goes out with the next run. The
//! function's timeout, 15 minutes, is also the sweep's lease on a person, `SWEEP_LEASE`.
//!
//! **Logs.** "sweep started" and "sweep done" (INFO) or the run's error (ERROR) with the run's id
//! and counts; each person that failed is a WARN line of its own with the person key (the item's
//! `pk` without `person#`), never the CPR number ([`crate::pipeline`]'s sweep logs them).
//!
//! **Metrics**: one CloudWatch Embedded Metric Format line per run that listed the people due,
//! however it ended (done, people failed, or out of time), in the namespace `samspil`, dimensions
//! `function` = `summons` and `stack` = `STACK_NAME`: `people_due` (listed by the index), `summoned`
//! (people), `summonses` (updates published), `summons_left` (people left for the next run: busy
//! with another live run, failed, or unreached); the `summons-backlog` alarm watches the last. The
//! line also carries `busy`, `failed`, `unreached` and the run's id as plain properties (searchable
//! in the logs, not metrics). A run that could not list the people due has no counts and prints no
//! line; its error fails the invocation (the `summons-errors` alarm).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::json;
use serde_json::value::RawValue;
use tokio::sync::OnceCell;

use super::{ConfigError, Error, SecretSource, deadline_instant, processing_time};
use crate::aws::{AwsClients, DynamoStore, KmsSealer, SnsPublisher};
use crate::domain::SweepRun;
use crate::identity::PersonKeyer;
use crate::pipeline::{CprSealer, Pipeline, ProcessingTime, Publisher, Store, SweepError, SweepReport};
use crate::policy::PolicyBook;
use crate::telemetry::{Metrics, print_line};

/// The metrics dimension of this function.
pub const FUNCTION: &str = "summons";

/// How long before the invocation's deadline the sweep reports (abandoning whoever is still
/// running): time to print the metrics and the log lines and to answer the Runtime API.
pub const DEADLINE_RESERVE: Duration = Duration::from_secs(3);

/// The `summons` function's configuration, read once from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepConfig {
    /// `TABLE_NAME`: the DynamoDB table of people's states (and its index `sweep-due`).
    pub table_name: String,
    /// `TOPIC_ARN`: the `meeting-updates` topic.
    pub topic_arn: String,
    /// `SUMMONS_KEY_ID`: the KMS key the sealed CPR numbers are opened with (`SummonsKey`).
    pub summons_key_id: String,
    /// `HMAC_SECRET` or `HMAC_SECRET_PARAMETER` (exactly one).
    pub secret: SecretSource,
    /// `POLICY_FILE`: a policy file to use instead of the checked-in one compiled in.
    pub policy_file: Option<PathBuf>,
    /// `RETENTION_DAYS`: days a person's data is kept after their last period closed.
    pub retention_days: u32,
    /// `STACK_NAME`: the CloudFormation stack's name, the metrics dimension `stack`.
    pub stack_name: String,
}

impl SweepConfig {
    /// Reads the configuration through `lookup` (`std::env::var` in Lambda). Empty values count
    /// as missing.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<SweepConfig, ConfigError> {
        let get = |name: &'static str| lookup(name).filter(|v| !v.trim().is_empty());
        let need = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));
        let secret = super::secret_source(&get)?;
        let retention_days = super::retention_days(&get)?;
        Ok(SweepConfig {
            table_name: need("TABLE_NAME")?,
            topic_arn: need("TOPIC_ARN")?,
            summons_key_id: need("SUMMONS_KEY_ID")?,
            secret,
            policy_file: get("POLICY_FILE").map(PathBuf::from),
            retention_days,
            stack_name: need("STACK_NAME")?,
        })
    }
}

/// The pipeline of the sweep: the table, the topic and the summons key.
pub type SweepPipeline = Pipeline<DynamoStore, SnsPublisher, KmsSealer>;

/// The sweep's pipeline on these clients (shared by the function and `samspil sweep`).
pub fn sweep_pipeline(
    clients: &AwsClients,
    table: &str,
    topic_arn: &str,
    summons_key_id: &str,
    retention_days: u32,
    policies: PolicyBook,
    keyer: PersonKeyer,
) -> SweepPipeline {
    let store = DynamoStore::new(clients.dynamodb.clone(), table, retention_days);
    let publisher = SnsPublisher::new(clients.sns.clone(), topic_arn);
    let sealer = KmsSealer::new(clients.kms.clone(), summons_key_id);
    Pipeline::new(store, publisher, sealer, policies, keyer)
}

struct Function {
    config: SweepConfig,
    clients: AwsClients,
    policies: PolicyBook,
    metrics: Metrics,
    /// Built on the first invocation, once the secret is known.
    pipeline: OnceCell<SweepPipeline>,
}

/// Runs the `summons` function until the runtime stops it. Fails at start-up, naming the variable,
/// if the configuration is incomplete.
pub async fn run() -> Result<(), Error> {
    let started = Instant::now();
    let config = SweepConfig::from_env(|name| std::env::var(name).ok()).inspect_err(|e| tracing::error!("{e}"))?;
    let policies = match &config.policy_file {
        Some(path) => PolicyBook::load(path).inspect_err(|e| tracing::error!("{e}"))?,
        None => PolicyBook::repository(),
    };
    let clients = AwsClients::new(&crate::aws::sdk_config().await);
    tracing::debug!(init_us = started.elapsed().as_micros() as u64, "initialised; polling for events");
    let metrics = Metrics::new(FUNCTION, &config.stack_name);
    let function = Function { config, clients, policies, metrics, pipeline: OnceCell::new() };
    lambda_runtime::run(service_fn(|event| function.invoke(event))).await
}

impl Function {
    async fn invoke(&self, event: LambdaEvent<Box<RawValue>>) -> Result<serde_json::Value, Error> {
        let now = Utc::now();
        let deadline = deadline_instant(event.context.deadline, now);
        let pipeline = self.pipeline.get_or_try_init(|| self.build()).await?;
        let time = processing_time(now);
        let run = SweepRun::start(now);
        tracing::info!(run = %run.key.id, today = %time.today, "sweep started");
        let stop = deadline.checked_sub(DEADLINE_RESERVE).unwrap_or(deadline);
        let report = sweep_and_report(pipeline, &self.metrics, time, &run, Some(stop), print_line)
            .await
            .inspect_err(|error| tracing::error!(run = %run.key.id, "{error}"))?;
        Ok(json!({"today": time.today.to_string(), "summoned": report.summoned, "published": report.published,
                  "left": report.left()}))
    }

    async fn build(&self) -> Result<SweepPipeline, Error> {
        let secret = match &self.config.secret {
            SecretSource::Inline(secret) => secret.clone(),
            SecretSource::Parameter(name) => super::fetch_secret(&self.clients.ssm, name).await?,
        };
        Ok(sweep_pipeline(
            &self.clients,
            &self.config.table_name,
            &self.config.topic_arn,
            &self.config.summons_key_id,
            self.config.retention_days,
            self.policies.clone(),
            PersonKeyer::new(secret.as_bytes())?,
        ))
    }
}

/// One run of the sweep, reporting by `stop`: its metrics line goes to `print` and its counts to
/// the log whether it finished, left people behind or ran out of time; only a run that could not
/// list the people due (and so has no counts) prints no line.
pub async fn sweep_and_report<S: Store, P: Publisher, K: CprSealer>(
    pipeline: &Pipeline<S, P, K>,
    metrics: &Metrics,
    time: ProcessingTime,
    run: &SweepRun,
    stop: Option<tokio::time::Instant>,
    print: impl FnOnce(String),
) -> Result<SweepReport, SweepError> {
    let outcome = pipeline.sweep_until(time, run, stop).await;
    let (report, message) = match &outcome {
        Ok(report) => (report, "sweep done"),
        Err(SweepError::Incomplete { report, .. }) => (report, "sweep incomplete"),
        Err(SweepError::Listing(_)) => return outcome,
    };
    print(render(metrics, report, run, time.now));
    log_counts(report, run, message);
    outcome
}

/// One INFO line with the run's counts.
fn log_counts(report: &SweepReport, run: &SweepRun, message: &str) {
    tracing::info!(
        run = %run.key.id,
        listed = report.listed,
        summoned = report.summoned,
        published = report.published,
        busy = report.busy,
        failed = report.failed,
        unreached = report.unreached,
        "{message}"
    );
}

/// The run's metrics line (CloudWatch Embedded Metric Format), as one line of JSON.
pub fn render(metrics: &Metrics, report: &SweepReport, run: &SweepRun, at: chrono::DateTime<Utc>) -> String {
    let count = |n: usize| n as u64;
    let values = [
        ("people_due", count(report.listed)),
        ("summoned", count(report.summoned)),
        ("summonses", count(report.published)),
        ("summons_left", count(report.left())),
    ];
    let mut document = metrics.document(&values, at);
    document["busy"] = json!(report.busy);
    document["failed"] = json!(report.failed);
    document["unreached"] = json!(report.unreached);
    document["run"] = json!(run.key.id);
    document.to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| vars.get(name).cloned()
    }

    const COMPLETE: [(&str, &str); 5] = [
        ("STACK_NAME", "samspil-prod"),
        ("TABLE_NAME", "people"),
        ("TOPIC_ARN", "arn:aws:sns:eu-north-1:123456789012:meeting-updates"),
        ("SUMMONS_KEY_ID", "arn:aws:kms:eu-north-1:123456789012:key/1234"),
        ("HMAC_SECRET_PARAMETER", "/samspil/hmac-secret"),
    ];

    #[test]
    fn the_sweep_needs_no_queue_and_names_what_is_missing() {
        let config = SweepConfig::from_env(env(&COMPLETE)).unwrap();
        assert_eq!(config.summons_key_id, "arn:aws:kms:eu-north-1:123456789012:key/1234");
        assert_eq!(config.retention_days, crate::aws::DEFAULT_RETENTION_DAYS);
        assert_eq!(config.stack_name, "samspil-prod");
        for missing in ["STACK_NAME", "TABLE_NAME", "TOPIC_ARN", "SUMMONS_KEY_ID"] {
            let vars: Vec<_> = COMPLETE.iter().copied().filter(|(k, _)| *k != missing).collect();
            assert_eq!(SweepConfig::from_env(env(&vars)).unwrap_err(), ConfigError::Missing(missing));
        }
    }

    #[test]
    fn the_metrics_line_counts_what_is_left_for_the_next_run_by_function_and_stack() {
        let report = SweepReport { listed: 7, summoned: 3, published: 4, busy: 1, failed: 1, unreached: 2 };
        let run = SweepRun::start(Utc::now());
        let metrics = Metrics::new(FUNCTION, "samspil-staging");
        let line: serde_json::Value = serde_json::from_str(&render(&metrics, &report, &run, Utc::now())).unwrap();
        assert_eq!((line["function"].as_str(), line["stack"].as_str()), (Some("summons"), Some("samspil-staging")));
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Dimensions"], json!([["function", "stack"]]));
        assert_eq!(directive["Namespace"], "samspil");
        assert_eq!((line["summonses"].as_u64(), line["summons_left"].as_u64()), (Some(4), Some(4)));
        let names: Vec<&str> =
            directive["Metrics"].as_array().unwrap().iter().map(|m| m["Name"].as_str().unwrap()).collect();
        assert_eq!(names, ["people_due", "summoned", "summonses", "summons_left"]);
        // The breakdown is there to read, but not as metrics (each would cost as one).
        assert_eq!(
            (line["busy"].as_u64(), line["failed"].as_u64(), line["unreached"].as_u64()),
            (Some(1), Some(1), Some(2))
        );
        assert_eq!(line["run"].as_str(), Some(run.key.id.as_ref()));
    }
}
