//! The summons sweep of rule R12 on the local stack, and on a timer: what the daily schedule does in
//! AWS, run by `samspil local` every `--sweep-every` seconds (and once at start), and once by
//! `samspil sweep`.
//!
//! Each round is one [`samspil::pipeline::Pipeline::sweep`] as a fresh [`SweepRun`], for the
//! runner's processing day, through the very pipeline the `summons` function builds
//! ([`pipeline`], on [`samspil::lambda::summons::sweep_pipeline`]): the table's `sweep-due` index,
//! the stack's `SummonsKey` in the emulator's KMS, the topic. Sweeping more often than daily
//! changes nothing but how soon a due summons goes out: a run finds only what is due on or before
//! its day.
//!
//! A round has no deadline (nothing kills it), so it never leaves anyone unreached. Each person that
//! fails is logged as a warning on stderr with the person key (the CLI's logger, `RUST_LOG`), by the
//! sweep itself, and the round's line ends the count.

use std::time::Duration;

use samspil::aws::{AwsClients, DEFAULT_RETENTION_DAYS};
use samspil::domain::SweepRun;
use samspil::identity::PersonKeyer;
use samspil::lambda::summons::{SweepPipeline, sweep_pipeline};
use samspil::pipeline::{SweepError, SweepReport};
use samspil::policy::PolicyBook;

use super::poller::ProcessingDay;
use super::stop::Stop;
use crate::Error;

/// The sweep on a timer.
pub struct Sweeper {
    pipeline: SweepPipeline,
    every: Duration,
    day: ProcessingDay,
}

impl Sweeper {
    pub fn new(pipeline: SweepPipeline, every: Duration, day: ProcessingDay) -> Self {
        Sweeper { pipeline, every, day }
    }

    /// One round: a fresh run for the processing day.
    pub async fn sweep_once(&self) -> Result<SweepReport, SweepError> {
        let time = self.day.time();
        self.pipeline.sweep(time, &SweepRun::start(time.now)).await
    }

    /// Sweeps now and then every `every` until `stop`; says on stderr what each round that found
    /// someone did. Returns the summonses published.
    pub async fn run(&self, stop: &Stop) -> usize {
        let mut published = 0;
        loop {
            match self.sweep_once().await {
                Ok(report) => {
                    published += report.published;
                    if report.listed > 0 {
                        eprintln!("samspil local: sweep: {}", summary(&report));
                    }
                }
                Err(error) => {
                    if let SweepError::Incomplete { report, .. } = &error {
                        published += report.published;
                    }
                    eprintln!("samspil local: sweep: {error}");
                }
            }
            tokio::select! {
                () = tokio::time::sleep(self.every) => {}
                () = stop.stopped() => return published,
            }
        }
    }
}

/// One line about a run: who was due, what went out, what is left for the next run and why.
pub fn summary(report: &SweepReport) -> String {
    let mut line = format!(
        "{} due, {} summoned, {} summonses published, {} left for the next run",
        report.listed,
        report.summoned,
        report.published,
        report.left()
    );
    if report.left() > 0 {
        line += &format!(
            " ({} busy with another run, {} failed, {} not reached)",
            report.busy, report.failed, report.unreached
        );
    }
    line
}

/// The sweep's pipeline on the stack: what the `summons` function builds, for `samspil local`'s
/// timer and for `samspil sweep`.
pub fn pipeline(
    clients: &AwsClients,
    table: &str,
    topic: &str,
    summons_key: &str,
    policies: PolicyBook,
    secret: &[u8],
) -> Result<SweepPipeline, Error> {
    let keyer = PersonKeyer::new(secret)?;
    Ok(sweep_pipeline(clients, table, topic, summons_key, DEFAULT_RETENTION_DAYS, policies, keyer))
}
