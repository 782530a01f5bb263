//! `samspil replay FILE --today YYYY-MM-DD [--out FILE]`: the embedded pipeline over a file.
//!
//! Each line of FILE is one SQS delivery: `{"queue": "...", "body": <JSON value or string>,
//! "received_on": "YYYY-MM-DD"}`, processed in file order on the in-memory store and publisher.
//! `received_on` is the line's processing day (rule R0); `--today` is that of lines without it.
//! Every published update goes out as a readable line (`--format text`) or as its CloudEvent, one
//! per line (`--format json`); a summary with counts by outcome goes to stderr. A bad line is
//! reported with its code and line number, and the replay goes on; the exit status then says that
//! lines were rejected (see [`EXIT_STATUS`]).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use samspil::contract::{BadInput, ErrorCode, UpdateType};
use samspil::identity::PersonKeyer;
use samspil::pipeline::memory::{MemoryPublisher, MemoryStore};
use samspil::pipeline::{Delivery, Failure, Outcome, Pipeline, ProcessingTime};
use samspil::policy::PolicyBook;
use serde::Deserialize;

use crate::summary::Tally;
use samspil_cli::{Format, render};

/// The HMAC secret of the embedded mode. Meeting ids depend on it; it protects nothing, since the
/// embedded store lives only as long as the process.
pub const EMBEDDED_SECRET: &[u8] = b"samspil-embedded";

/// The exit statuses, as `samspil replay --help` shows them.
pub const EXIT_STATUS: &str = "Exit status: 0 when every line was processed; 1 when a line was rejected as bad \
input (the other lines are still processed and printed) or the replay could not run; 2 on a usage error.";

#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_STATUS)]
pub struct Args {
    /// Messages, one JSON object per line: {"queue", "body", "received_on"}.
    file: PathBuf,
    /// The processing day of lines without "received_on".
    #[arg(long, value_name = "YYYY-MM-DD")]
    today: NaiveDate,
    /// Write the updates to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The municipality policy file [default: the repository's infra/policies.toml].
    #[arg(long, value_name = "FILE")]
    policies: Option<PathBuf>,
}

/// One line of a replay file.
#[derive(Debug, Deserialize)]
struct Line {
    queue: String,
    body: serde_json::Value,
    received_on: Option<String>,
}

pub fn run(args: Args, format: Format) -> Result<(), Box<dyn std::error::Error>> {
    let policies = match &args.policies {
        Some(path) => PolicyBook::load(path)?,
        None => PolicyBook::repository(),
    };
    let pipeline =
        Pipeline::new(MemoryStore::new(), MemoryPublisher::new(), policies, PersonKeyer::new(EMBEDDED_SECRET)?);
    let input = BufReader::new(std::fs::File::open(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?);
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
    let mut tally = Tally::default();
    for (index, line) in input.lines().enumerate() {
        let number = index + 1;
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        tally.messages += 1;
        let result = parse_line(&line, args.today).and_then(|(line, today)| {
            let body = match &line.body {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let delivery = Delivery { queue: &line.queue, body: &body, sender: None, redelivered: false };
            let time = ProcessingTime { today, now: today.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc() };
            runtime.block_on(pipeline.handle(delivery, time)).map_err(|failure| match failure {
                Failure::Permanent(bad) => bad,
                Failure::Transient(reason) => unreachable!("the embedded pipeline has no transient failures: {reason}"),
            })
        });
        match result {
            Ok(Outcome::Applied { updates }) => {
                tally.applied(updates.iter().map(|u| u.update_type));
                for event in pipeline.publisher().take() {
                    let json = event.to_json();
                    match format {
                        Format::Text => writeln!(out, "{}", render::update_line(&json))?,
                        Format::Json => writeln!(out, "{json}")?,
                    }
                }
            }
            Ok(Outcome::Duplicate { .. }) => tally.duplicates += 1,
            Err(bad) => {
                eprintln!("{}:{number}: rejected {}: {}", args.file.display(), bad.code, bad.message);
                tally.rejected(bad.code);
            }
        }
    }
    out.flush()?;
    eprintln!("{}", tally.summary(&display_name(&args.file)));
    let rejected: u64 = tally.rejections.values().sum();
    match rejected {
        0 => Ok(()),
        n => Err(format!("{n} of {} lines rejected (codes in the summary above)", tally.messages).into()),
    }
}

fn display_name(path: &Path) -> String {
    path.display().to_string()
}

/// Reads one line of the replay file and its processing day.
fn parse_line(text: &str, default_day: NaiveDate) -> Result<(Line, NaiveDate), BadInput> {
    let line: Line = serde_json::from_str(text).map_err(|e| {
        if e.is_data() {
            BadInput::new(ErrorCode::MissingField, "replay line: needs \"queue\" (string) and \"body\"")
        } else {
            BadInput::new(ErrorCode::NotJson, "replay line is not a JSON object")
        }
    })?;
    let today = match &line.received_on {
        None => default_day,
        Some(day) => day.parse().map_err(|_| {
            BadInput::new(ErrorCode::MalformedField, "replay line: received_on must be a date YYYY-MM-DD")
        })?,
    };
    Ok((line, today))
}

impl Tally {
    fn applied(&mut self, updates: impl Iterator<Item = UpdateType>) {
        let mut any = false;
        for u in updates {
            any = true;
            *self.updates.entry(u).or_default() += 1;
        }
        if !any {
            self.unchanged += 1;
        }
    }
}
