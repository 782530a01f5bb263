//! `samspil replay FILE [--today YYYY-MM-DD] [--out FILE]`: the embedded pipeline over a file.
//!
//! Each line of FILE is one SQS delivery: `{"queue": "...", "body": <JSON value or string>,
//! "received_on": "YYYY-MM-DD"}`, processed in file order on the in-memory store and publisher.
//! `received_on` is the line's processing day (rule R0); `--today` is that of lines without it,
//! and needed only if some line has none (such a line is rejected without it).
//! The sweep of rule R12 runs for every day from the first line's processing day to the latest
//! line's, each after that day's lines, so a summons due on a day without messages goes out that
//! day (in the output, between the lines of the days around it).
//! Every published update goes out as a readable line (`--format text`, with the rejected lines and
//! a summary with counts by outcome on stderr), or everything goes to stdout as JSON lines
//! (`--format json`): `{"type": "update", "data": <CloudEvent>}` per update, `{"type": "rejected",
//! ...}` per rejected line and `{"type": "summary", ...}` at the end. A bad line is reported with
//! its code and line number, and the replay goes on; the exit status then says that lines were
//! rejected (see [`EXIT_STATUS`]).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate};
use samspil::contract::{BadInput, ErrorCode, UpdateType};
use samspil::domain::SweepRun;
use samspil::identity::PersonKeyer;
use samspil::pipeline::memory::{MemoryPublisher, MemorySealer, MemoryStore};
use samspil::pipeline::{Delivery, Failure, Outcome, Pipeline, ProcessingTime};
use samspil::policy::PolicyBook;
use serde::Deserialize;

use crate::summary::Tally;
use samspil_cli::failure::Failure as CommandFailure;
use samspil_cli::{Format, json_line, render};

/// The HMAC secret of the embedded mode. Meeting ids depend on it; it protects nothing, since the
/// embedded store lives only as long as the process.
pub const EMBEDDED_SECRET: &[u8] = b"samspil-embedded";

/// The exit statuses, as `samspil replay --help` shows them.
pub const EXIT_STATUS: &str = "Exit status: 0 when every line was processed; 1 when a line was rejected as bad \
input (the other lines are still processed and printed); 2 on a usage error; 3 when FILE cannot be read (or the \
--out file written); 4 when the policy file cannot be used.";

/// What `samspil replay --help` says about the sweep (rule R12).
pub const SWEEPS: &str = "Summonses (rule R12): after the lines of each day, the sweep of that day runs, for every \
day from the first line's processing day to the latest line's, days without lines included. Under a policy with \
summon_days, a summons due on a day without messages goes out that day.";

#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_STATUS, after_long_help = format!("{SWEEPS}\n\n{EXIT_STATUS}"))]
pub struct Args {
    /// Messages, one JSON object per line: {"queue", "body", "received_on"}
    file: PathBuf,
    /// The processing day of lines without "received_on" (needed only if there are such lines)
    #[arg(long, value_name = "YYYY-MM-DD")]
    today: Option<NaiveDate>,
    /// Write the updates to this file instead of stdout
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The municipality policy file [default: the repository's infra/policies.toml]
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
    let pipeline = Pipeline::new(
        MemoryStore::new(),
        MemoryPublisher::new(),
        MemorySealer::new(),
        policies,
        PersonKeyer::new(EMBEDDED_SECRET)?,
    );
    let unreadable = |path: &Path, e: std::io::Error| CommandFailure::unreadable(format!("{}: {e}", path.display()));
    let input = BufReader::new(std::fs::File::open(&args.file).map_err(|e| unreadable(&args.file, e))?);
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| unreadable(path, e))?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
    let mut tally = Tally::default();
    let mut sweeps = Sweeps::default();
    for (index, line) in input.lines().enumerate() {
        let number = index + 1;
        let line = line.map_err(|e| unreadable(&args.file, e))?;
        if line.trim().is_empty() {
            continue;
        }
        tally.messages += 1;
        let parsed = parse_line(&line, args.today);
        if let Ok((_, today)) = &parsed {
            sweeps.before(*today, &pipeline, &runtime, &mut tally, &mut out, format)?;
        }
        let result = parsed.and_then(|(line, today)| {
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
                write_events(&pipeline, &mut out, format)?;
            }
            Ok(Outcome::Duplicate { .. }) => tally.duplicates += 1,
            Err(bad) => {
                match format {
                    Format::Text => {
                        eprintln!("{}:{number}: rejected {}: {}", args.file.display(), bad.code, bad.message)
                    }
                    Format::Json => {
                        let rejected = serde_json::json!({
                            "file": display_name(&args.file), "line": number,
                            "error_code": bad.code.as_str(), "error_message": bad.message,
                        });
                        // Through the same buffer as the updates, unless they go to --out.
                        match &args.out {
                            None => writeln!(out, "{}", json_line("rejected", rejected))?,
                            Some(_) => println!("{}", json_line("rejected", rejected)),
                        }
                    }
                }
                tally.rejected(bad.code);
            }
        }
    }
    sweeps.finish(&pipeline, &runtime, &mut tally, &mut out, format)?;
    let rejected: u64 = tally.rejections.values().sum();
    match format {
        Format::Text => {
            out.flush()?;
            eprintln!("{}", tally.summary(&display_name(&args.file)));
            if sweeps.summonses > 0 {
                eprintln!("  sweeps {} (days), summonses {}", sweeps.days, sweeps.summonses);
            }
        }
        Format::Json => {
            let summary = tally.json(&display_name(&args.file), sweeps.days, sweeps.summonses);
            match &args.out {
                None => writeln!(out, "{}", json_line("summary", summary))?,
                Some(_) => println!("{}", json_line("summary", summary)),
            }
            out.flush()?;
        }
    }
    match rejected {
        0 => Ok(()),
        n => {
            let wherein = if format == Format::Json { "the rejected lines" } else { "the summary above" };
            Err(CommandFailure::rejected(format!("{n} of {} lines rejected (codes in {wherein})", tally.messages))
                .into())
        }
    }
}

type Embedded = Pipeline<MemoryStore, MemoryPublisher, MemorySealer>;

/// The days swept so far (rule R12): every day from the first line's to the latest line's.
#[derive(Debug, Default)]
struct Sweeps {
    /// The next day to sweep; `None` before the first line.
    next: Option<NaiveDate>,
    /// The latest line's day.
    last: Option<NaiveDate>,
    days: u64,
    summonses: u64,
}

impl Sweeps {
    /// Before a line of `day`: sweeps every day before it not yet swept.
    fn before(
        &mut self,
        day: NaiveDate,
        pipeline: &Embedded,
        runtime: &tokio::runtime::Runtime,
        tally: &mut Tally,
        out: &mut dyn Write,
        format: Format,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let next = *self.next.get_or_insert(day);
        self.last = self.last.max(Some(day));
        self.sweep_until(next, day, pipeline, runtime, tally, out, format)
    }

    /// After the last line: sweeps the remaining days up to and including the latest line's.
    fn finish(
        &mut self,
        pipeline: &Embedded,
        runtime: &tokio::runtime::Runtime,
        tally: &mut Tally,
        out: &mut dyn Write,
        format: Format,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let (Some(next), Some(last)) = (self.next, self.last) else { return Ok(()) };
        self.sweep_until(next, last + Days::new(1), pipeline, runtime, tally, out, format)
    }

    /// Sweeps the days from `from` up to, not including, `until`.
    #[allow(clippy::too_many_arguments)]
    fn sweep_until(
        &mut self,
        from: NaiveDate,
        until: NaiveDate,
        pipeline: &Embedded,
        runtime: &tokio::runtime::Runtime,
        tally: &mut Tally,
        out: &mut dyn Write,
        format: Format,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let mut day = from;
        while day < until {
            // After the day's lines, which are processed at midnight.
            let now = day.and_hms_opt(23, 0, 0).expect("23:00 exists").and_utc();
            let report = runtime
                .block_on(pipeline.sweep(ProcessingTime { today: day, now }, &SweepRun::start(now)))
                .map_err(|e| format!("the sweep of {day} failed: {e}"))?;
            self.days += 1;
            self.summonses += report.published as u64;
            *tally.updates.entry(UpdateType::Scheduled).or_default() += report.published as u64;
            write_events(pipeline, out, format)?;
            day = day + Days::new(1);
            self.next = Some(day);
        }
        Ok(())
    }
}

/// Writes the events published since the last call.
fn write_events(pipeline: &Embedded, out: &mut dyn Write, format: Format) -> std::io::Result<()> {
    for event in pipeline.publisher().take() {
        let json = event.to_json();
        match format {
            Format::Text => writeln!(out, "{}", render::update_line(&json))?,
            Format::Json => {
                let event: &serde_json::value::RawValue = serde_json::from_str(&json).map_err(std::io::Error::other)?;
                writeln!(out, "{}", json_line("update", event))?
            }
        }
    }
    Ok(())
}

fn display_name(path: &Path) -> String {
    path.display().to_string()
}

/// Reads one line of the replay file and its processing day.
fn parse_line(text: &str, default_day: Option<NaiveDate>) -> Result<(Line, NaiveDate), BadInput> {
    let line: Line = serde_json::from_str(text).map_err(|e| {
        if e.is_data() {
            BadInput::new(ErrorCode::MissingField, "replay line: needs \"queue\" (string) and \"body\"")
        } else {
            BadInput::new(ErrorCode::NotJson, "replay line is not a JSON object")
        }
    })?;
    let today = match &line.received_on {
        None => default_day.ok_or_else(|| {
            BadInput::new(ErrorCode::MissingField, "replay line: no received_on, and no --today for such lines")
        })?,
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
