//! `samspil sweep`: rule R12's summons sweep, once, on the local stack.
//!
//! Publishes every summons due on or before the processing day (today in Europe/Copenhagen, or
//! `--today`), exactly as the `summons` function does on its daily schedule in AWS and
//! `samspil local` does on a timer: the same pipeline ([`sweeper::pipeline`]) on the stack's table,
//! topic and `SummonsKey`. Running it twice is harmless. In AWS, only the
//! function's role may open the sealed CPR numbers: invoke the function instead
//! (docs/operations.md, "Running the sweep by hand"). Like `send` and `redrive`, it names the
//! endpoint, region and account before it acts, and an AWS account is confirmed first
//! ([`crate::target`]); a run that could not summon everyone due to it (a person failed, or the run
//! ran out of time before reaching some) exits with status 5. People another run is summoning at
//! that moment (`busy`) are that run's: they are counted, and are not an error.

use std::path::PathBuf;

use chrono::NaiveDate;
use samspil::policy::PolicyBook;

use crate::failure::Failure;
use crate::local::{LOCAL_HMAC_SECRET, ProcessingDay, Stack, Sweeper, sweeper};
use crate::target::TargetArgs;
use crate::{Error, Format, json_line};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The local stack's outputs, as written by scripts/deploy_local.py.
    #[arg(long, value_name = "FILE", default_value = "target/local-stack.json")]
    stack: PathBuf,
    /// The DynamoDB table, instead of the stack file (with --topic-arn and --summons-key).
    #[arg(long, requires_all = ["topic_arn", "summons_key"])]
    table: Option<String>,
    /// The meeting-updates topic ARN, instead of the stack file.
    #[arg(long, requires = "table")]
    topic_arn: Option<String>,
    /// The KMS key that opens the sealed CPR numbers (SummonsKey), instead of the stack file.
    #[arg(long, requires = "table")]
    summons_key: Option<String>,
    /// The HMAC secret for person keys [default: the local stack's development value].
    #[arg(long, env = "HMAC_SECRET", hide_env_values = true, hide_default_value = true, default_value = LOCAL_HMAC_SECRET)]
    hmac_secret: String,
    /// The municipality policy file [default: the repository's infra/policies.toml].
    #[arg(long, value_name = "FILE")]
    policies: Option<PathBuf>,
    /// Sweep as if on this day: publish what is due on or before it [default: today in
    /// Europe/Copenhagen].
    #[arg(long, value_name = "YYYY-MM-DD")]
    today: Option<NaiveDate>,
    #[command(flatten)]
    target: TargetArgs,
}

pub fn run(args: Args, format: Format) -> Result<(), Error> {
    crate::runtime()?.block_on(sweep(args, format))
}

async fn sweep(args: Args, format: Format) -> Result<(), Error> {
    let (table, topic, key) = match (args.table, args.topic_arn, args.summons_key) {
        (Some(table), Some(topic), Some(key)) => (table, topic, key),
        _ => {
            let stack = Stack::load(&args.stack)?;
            let key = stack
                .summons_key
                .clone()
                .ok_or_else(|| Failure::config("the stack has no output SummonsKeyArn (deploy it again)"))?;
            (stack.table, stack.topic_arn, key)
        }
    };
    let policies = match &args.policies {
        Some(path) => PolicyBook::load(path)?,
        None => PolicyBook::repository(),
    };
    let day = args.today.map_or(ProcessingDay::Today, ProcessingDay::Fixed);
    let today = day.time().today;
    let target = args.target.connect(&format!("samspil sweep: {today}, table {table}")).await?;
    let pipeline = sweeper::pipeline(&target.clients, &table, &topic, &key, policies, args.hmac_secret.as_bytes())?;
    let sweeper = Sweeper::new(pipeline, std::time::Duration::ZERO, day);
    let (report, error) = match sweeper.sweep_once().await {
        Ok(report) => (report, None),
        Err(samspil::pipeline::SweepError::Incomplete { report, first }) => (report, Some(first)),
        Err(error) => return Err(Failure::aws(error.to_string()).into()),
    };
    match format {
        Format::Text => println!("{today}: {}", sweeper::summary(&report)),
        Format::Json => {
            let summary = serde_json::json!({
                "today": today.to_string(), "due": report.listed, "summoned": report.summoned,
                "published": report.published, "left": report.left(), "busy": report.busy,
                "failed": report.failed, "unreached": report.unreached,
            });
            println!("{}", json_line("summary", summary));
        }
    }
    match error {
        None => Ok(()),
        Some(first) => {
            let first = first.map(|f| format!(" (first error: {f})")).unwrap_or_default();
            Err(Failure::aws(format!("some people could not be summoned; run it again{first}")).into())
        }
    }
}
