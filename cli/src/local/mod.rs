//! `samspil local`: the Lambda functions' code, run by this process against the local stack.
//!
//! The stack is the one `scripts/deploy_local.py` deployed from `infra/template.yaml` into the AWS
//! emulator (moto); its outputs (`target/local-stack.json`) name the queues, the table and the
//! topic ([`stack`]). The emulator's own SQS-to-Lambda wiring cannot run the functions (it ignores
//! partial batch responses; `docs/operations.md`, "Locally"), so this command polls the
//! three queues itself ([`poller`]) and runs every batch through the same
//! [`samspil::pipeline::BatchHandler`] as the functions: DynamoDB, SNS and the SQS dead-letter
//! queues, through the same adapters and the same SDK configuration, pointed at the emulator by
//! `AWS_ENDPOINT_URL` ([`records`] turns SQS messages into batch records; [`stop`] ends it all).
//! The [`watch`]er prints every update published to the topic as it arrives, and the [`sweeper`]
//! runs rule R12's summons sweep on a timer, as the `summons` function's daily schedule does in AWS.
//!
//! The processing day (rule R0) is today in Europe/Copenhagen, as in Lambda, unless `--today`
//! says otherwise: the `received_on` days of a replay file are not used here.

pub mod poller;
pub mod records;
pub mod stack;
pub mod stop;
pub mod sweeper;
pub mod watch;

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use samspil::aws::{AwsClients, DEFAULT_RETENTION_DAYS, DynamoStore, KmsSealer, SnsPublisher, SqsDeadLetters};
use samspil::identity::PersonKeyer;
use samspil::pipeline::{Backoff, BatchHandler, Pipeline};
use samspil::policy::PolicyBook;
use samspil::senders::Senders;

pub use poller::{PollOptions, Poller, ProcessingDay, Queue, RunSummary};
pub use stack::Stack;
pub use stop::Stop;
pub use sweeper::Sweeper;
pub use watch::{WATCH_QUEUE, Watcher};

use crate::failure::Failure;
use crate::{Error, Format, json_line, render};

/// The HMAC secret of the local stack, when neither `--hmac-secret` nor `HMAC_SECRET` gives one. It
/// is the value `scripts/deploy_local.py` stores in the local stack's SSM parameter, so people are
/// keyed as the deployed functions would key them. Not a secret: it is for the emulator only.
pub const LOCAL_HMAC_SECRET: &str = "samspil-local-development-secret";

/// The handler the Lambda functions run, on the local stack.
pub type LocalHandler = BatchHandler<DynamoStore, SnsPublisher, KmsSealer, SqsDeadLetters>;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The local stack's outputs, as written by scripts/deploy_local.py.
    #[arg(long, value_name = "FILE", default_value = "target/local-stack.json")]
    stack: PathBuf,
    /// The DynamoDB table, instead of the stack file (with --topic-arn; queues are then found by
    /// their contract names).
    #[arg(long, requires = "topic_arn")]
    table: Option<String>,
    /// The meeting-updates topic ARN, instead of the stack file (with --table).
    #[arg(long, requires = "table")]
    topic_arn: Option<String>,
    /// The KMS key that seals CPR numbers awaiting their summons (rule R12), instead of the stack
    /// file (with --table).
    #[arg(long, requires = "table")]
    summons_key: Option<String>,
    /// Seconds between runs of the summons sweep (rule R12; the daily schedule in AWS). It also
    /// runs once at start.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86400))]
    sweep_every: u64,
    /// The HMAC secret for person keys [default: the local stack's development value].
    #[arg(long, env = "HMAC_SECRET", hide_env_values = true, hide_default_value = true, default_value = LOCAL_HMAC_SECRET)]
    hmac_secret: String,
    /// The municipality policy file [default: the repository's infra/policies.toml].
    #[arg(long, value_name = "FILE")]
    policies: Option<PathBuf>,
    /// Process as if on this day [default: today in Europe/Copenhagen].
    #[arg(long, value_name = "YYYY-MM-DD")]
    today: Option<NaiveDate>,
    /// Messages per batch (1 to 10).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(i32).range(1..=10))]
    batch_size: i32,
    /// Long polling: seconds each receive waits for messages (0 to 20).
    #[arg(long, value_name = "SECONDS", default_value_t = 5, value_parser = clap::value_parser!(i32).range(0..=20))]
    wait_seconds: i32,
    /// Seconds a received message stays invisible; a failed one is received again after this.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(i32).range(0..=43200))]
    visibility_timeout: i32,
    /// Longest wait before a failed message is received again. The first wait is the visibility
    /// timeout; it doubles with each receive, as the Lambda functions do it (1 min to 1 h).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(0..=43200))]
    max_retry_wait: u64,
    /// Stop once every queue has been empty (in-flight messages included) for this many seconds.
    #[arg(long, value_name = "SECONDS")]
    until_idle: Option<f64>,
    /// Stop after one receive per queue.
    #[arg(long)]
    once: bool,
    /// Do not subscribe the watch queue or print updates.
    #[arg(long)]
    no_watch: bool,
    /// Create this file once polling and watching have started (for scripts).
    #[arg(long, value_name = "FILE")]
    ready_file: Option<PathBuf>,
}

pub fn run(args: Args, format: Format) -> Result<(), Error> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").ok().filter(|v| !v.trim().is_empty()).ok_or_else(|| {
        Failure::config(
            "`local` runs against the local stack: set AWS_ENDPOINT_URL=http://127.0.0.1:4566 (make run does)",
        )
    })?;
    crate::runtime()?.block_on(serve(args, &endpoint, format))
}

async fn serve(args: Args, endpoint: &str, format: Format) -> Result<(), Error> {
    let clients = crate::clients().await;
    let stack = match (&args.table, &args.topic_arn) {
        (Some(table), Some(topic)) => {
            Stack { summons_key: args.summons_key.clone(), ..Stack::resolve(&clients.sqs, table, topic).await? }
        }
        _ => Stack::load(&args.stack)?,
    };
    let policies = match &args.policies {
        Some(path) => PolicyBook::load(path)?,
        None => PolicyBook::repository(),
    };
    let until_idle = match args.until_idle {
        Some(s) if s.is_finite() && s >= 0.0 => Some(Duration::from_secs_f64(s)),
        Some(_) => return Err(Failure::config("--until-idle takes a number of seconds").into()),
        None => None,
    };
    let day = args.today.map_or(ProcessingDay::Today, ProcessingDay::Fixed);
    let options = PollOptions {
        batch_size: args.batch_size,
        wait_seconds: args.wait_seconds,
        visibility_timeout: args.visibility_timeout,
        day,
        until_idle,
        once: args.once,
        report: true,
        backoff: Backoff {
            first: Duration::from_secs(args.visibility_timeout as u64),
            cap: Duration::from_secs(args.max_retry_wait),
        },
    };
    let handler = handler(&clients, &stack, policies.clone(), args.hmac_secret.as_bytes())?;
    let sweeper = Sweeper::new(
        sweeper::pipeline(
            &clients,
            &stack.table,
            &stack.topic_arn,
            summons_key(&stack)?,
            policies,
            args.hmac_secret.as_bytes(),
        )?,
        Duration::from_secs(args.sweep_every),
        day,
    );
    let poller = Poller::new(handler, clients.sqs.clone(), queues(&stack), options);
    let watcher = match args.no_watch {
        true => None,
        false => Some(Watcher::subscribe(&clients.sqs, &clients.sns, &stack.topic_arn).await?),
    };

    let stop = Stop::new();
    tokio::spawn(stop_on_signal(stop.clone()));
    let names: Vec<&str> = stack.queues.iter().map(|q| q.name.as_str()).collect();
    eprintln!("samspil local: polling {} at {endpoint}; table {}", names.join(", "), stack.table);
    eprintln!(
        "  batches of up to {}, long polling {} s, visibility timeout {} s; processing day {} ({})",
        args.batch_size,
        args.wait_seconds,
        args.visibility_timeout,
        day.time().today,
        if args.today.is_some() {
            "--today"
        } else {
            "today in Europe/Copenhagen; messages' received_on days are not used"
        },
    );
    eprintln!("  the summons sweep (rule R12) runs now and every {} s", args.sweep_every);
    if watcher.is_some() {
        eprintln!(
            "  meeting updates arrive on {WATCH_QUEUE} (subscribed to the topic, no filter) and are printed below"
        );
    }
    eprintln!("  {}", if until_idle.is_some() || args.once { "stops when done, or on Ctrl-C" } else { "Ctrl-C stops" });
    if let Some(path) = &args.ready_file {
        std::fs::write(path, "ready\n").map_err(|e| Failure::unreadable(format!("{}: {e}", path.display())))?;
    }

    let polling = async {
        let result = poller.run(&stop).await;
        stop.stop();
        result
    };
    let watching = async {
        match &watcher {
            Some(w) => {
                w.run(&stop, args.wait_seconds.min(5), |body| match format {
                    Format::Text => println!("{}", render::update_line(body)),
                    Format::Json => println!("{}", json_line("update", update_json(body))),
                })
                .await
            }
            None => 0,
        }
    };
    let sweeping = sweeper.run(&stop);
    let (summary, updates, summonses) = tokio::join!(polling, watching, sweeping);
    let s = summary?;
    let c = s.counts;
    if format == Format::Json {
        let summary = serde_json::json!({
            "messages": c.messages, "batches": s.batches, "scheduled": c.scheduled, "rescheduled": c.rescheduled,
            "cancelled": c.cancelled, "duplicates": c.duplicates, "dead_lettered": c.permanent_failures,
            "left_for_retry": s.left_for_retry, "summonses": summonses,
            "updates_seen": watcher.is_some().then_some(updates),
        });
        println!("{}", json_line("summary", summary));
        return Ok(());
    }
    eprintln!(
        "samspil local: stopped after {} messages in {} batch(es): scheduled {}, rescheduled {}, cancelled {}, \
         duplicate {}, dead-lettered {}, left for retry {}; summonses published by the sweep {}{}",
        c.messages,
        s.batches,
        c.scheduled,
        c.rescheduled,
        c.cancelled,
        c.duplicates,
        c.permanent_failures,
        s.left_for_retry,
        summonses,
        if watcher.is_some() { format!("; {updates} updates seen on {WATCH_QUEUE}") } else { String::new() },
    );
    Ok(())
}

/// An update as read from the watch queue, as JSON: the CloudEvent, or its text if it is not JSON.
fn update_json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|_| serde_json::Value::String(body.to_owned()))
}

/// The Lambda functions' handler on the local stack: DynamoDB, SNS, the stack's `SummonsKey`, each
/// queue's DLQ, and the stack's sender map.
pub fn handler(
    clients: &AwsClients,
    stack: &Stack,
    policies: PolicyBook,
    secret: &[u8],
) -> Result<LocalHandler, Error> {
    let keyer = PersonKeyer::new(secret)?;
    let store = DynamoStore::new(clients.dynamodb.clone(), &stack.table, DEFAULT_RETENTION_DAYS);
    let publisher = SnsPublisher::new(clients.sns.clone(), &stack.topic_arn);
    let dead_letters = SqsDeadLetters::new(clients.sqs.clone(), stack.dlq_urls());
    let sealer = KmsSealer::new(clients.kms.clone(), summons_key(stack)?);
    let mut pipeline = Pipeline::new(store, publisher, sealer, policies, keyer);
    if let Some(senders) = &stack.senders {
        pipeline = pipeline
            .with_senders(Senders::parse(senders).map_err(|e| Failure::config(format!("output AkasseSenders: {e}")))?);
    }
    Ok(BatchHandler::new(pipeline, dead_letters))
}

/// The stack's `SummonsKey` (rule R12), which seals and opens CPR numbers awaiting their summons.
pub fn summons_key(stack: &Stack) -> Result<&str, Error> {
    stack.summons_key.as_deref().ok_or_else(|| {
        "the stack has no SummonsKeyArn output: deploy it again (`make deploy-local`), or give --summons-key".into()
    })
}

/// The stack's inbound queues, to poll.
pub fn queues(stack: &Stack) -> Vec<Queue> {
    stack.queues.iter().map(|q| Queue { name: q.name.clone(), url: q.url.clone() }).collect()
}

/// Stops on Ctrl-C (SIGINT) or SIGTERM (what `make run` sends when it ends).
async fn stop_on_signal(stop: Stop) {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
        () = stop.stopped() => return,
    }
    eprintln!("samspil local: stopping (a batch in hand is finished and acknowledged first)");
    stop.stop_now();
}
