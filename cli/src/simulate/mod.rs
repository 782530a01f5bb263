//! `samspil simulate`: the policy simulator. It shows what the pipeline saves, and what the
//! baseline (first joint meeting from week 5) and the Rebild trial (fællessamtale as conversation
//! no. 2, at the latest in week 10) mean in numbers, instead of on a hunch.
//!
//! It builds one seeded, synthetic cohort ([`cohort`], [`people`], [`messages`], [`survival`]) and
//! feeds its inbound CloudEvents, on their queues, through the embedded pipeline once per policy
//! ([`feed`], [`policies`]): the same parsing, `decide` and store code as production, no separate
//! model. The meeting updates it publishes, held against who really started a job when, give the
//! numbers ([`report`]) and the chart ([`chart`]); `--stages` times the pipeline's steps one by one
//! ([`stages`]). See `docs/simulation.md`.

mod chart;
mod cohort;
mod feed;
mod messages;
mod people;
mod policies;
mod report;
mod stages;
mod survival;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use samspil_cli::{Failure, Format, json_line};

use cohort::{Cohort, CohortSpec, Size};
use people::Rates;
use report::Metrics;
use survival::SurvivalCurve;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// People in the cohort, registering across one year.
    #[arg(long, default_value_t = 10_000, conflicts_with = "messages")]
    people: usize,
    /// Instead of --people: add people until the cohort has this many messages.
    #[arg(long, value_name = "N")]
    messages: Option<usize>,
    /// The seed of the cohort; the same seed gives the same cohort and the same numbers.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The first registration day.
    #[arg(long, value_name = "YYYY-MM-DD", default_value = "2027-01-04")]
    start: NaiveDate,
    /// Survival curve: share still unemployed at a week, e.g. "4:0.8,13:0.54,52:0.31".
    #[arg(long, value_name = "WEEK:SHARE,...", conflicts_with = "survival_file")]
    survival: Option<String>,
    /// Survival curve from a CSV file of lines `week,share`.
    #[arg(long, value_name = "FILE")]
    survival_file: Option<PathBuf>,
    /// A policy file (infra/policies.toml format): its named policies are simulated too.
    #[arg(long, value_name = "FILE")]
    policies: Option<PathBuf>,
    /// Also draw the SVG chart into FILE (none without this option; `make simulate` writes
    /// target/simulation.svg).
    #[arg(long, value_name = "FILE")]
    chart: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Also time each step of the pipeline separately (parse, key, load, decide, ...), to profile
    #[arg(long)]
    stages: bool,
    /// With --format json: also print how fast each policy ran, as `timing` lines (without it the
    /// timings go to stderr, so that stdout is the same for every run of one seed)
    #[arg(long)]
    timings: bool,
}

/// One simulated policy: its numbers and how fast the pipeline ran.
pub struct Outcome {
    pub metrics: Metrics,
    pub messages_per_second: f64,
    pub seconds: f64,
    /// Seconds the feeding thread was on a CPU, where the system says.
    pub cpu_seconds: Option<f64>,
}

pub fn run(args: Args, format: Format) -> Result<(), Box<dyn std::error::Error>> {
    crate::allocator::keep_freed_memory();
    let survival = match (&args.survival, &args.survival_file) {
        (Some(text), _) => SurvivalCurve::parse_option(text).map_err(|e| Failure::config(e.to_string()))?,
        (None, Some(path)) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| Failure::unreadable(format!("{}: {e}", path.display())))?;
            SurvivalCurve::parse_csv(&text).map_err(|e| Failure::unreadable(format!("{}: {e}", path.display())))?
        }
        (None, None) => SurvivalCurve::default(),
    };
    let size = args.messages.map_or(Size::People(args.people), Size::Messages);
    let spec = CohortSpec { size, seed: args.seed, start: args.start, survival, rates: Rates::default() };
    let runs = policies::to_compare(args.policies.as_deref())?;

    let generating = Instant::now();
    let cohort = Cohort::generate(&spec);
    if format == Format::Json {
        let still_unemployed: Vec<serde_json::Value> = [13u64, 52]
            .iter()
            .map(|&weeks| {
                serde_json::json!({"weeks": weeks, "share": cohort.empirical_survival(weeks * 7),
                    "curve": spec.survival.share_at(weeks as f64)})
            })
            .collect();
        let data = serde_json::json!({
            "people": cohort.people.len(), "messages": cohort.messages.len(), "duplicates": cohort.duplicates(),
            "job_exits_withdrawn": cohort.withdrawals(), "seed": spec.seed, "start": spec.start.to_string(),
            "survival": spec.survival.to_string(), "still_unemployed": still_unemployed,
        });
        println!("{}", json_line("cohort", data));
    }
    eprintln!(
        "cohort: {} people, {} messages ({} duplicates, {} job exits withdrawn), seed {}, survival {}; generated in {:.1} s",
        cohort.people.len(),
        cohort.messages.len(),
        cohort.duplicates(),
        cohort.withdrawals(),
        spec.seed,
        spec.survival,
        generating.elapsed().as_secs_f64()
    );
    for weeks in [13, 52] {
        eprintln!(
            "  still unemployed after {weeks} weeks: {:.1} % (curve {:.1} %)",
            100.0 * cohort.empirical_survival(weeks * 7),
            100.0 * spec.survival.share_at(weeks as f64)
        );
    }

    let progress = progress_bar(args.quiet, (cohort.messages.len() * runs.len()) as u64);
    let mut outcomes = Vec::new();
    for policy in &runs {
        progress.set_message(policy.name.clone());
        outcomes.push(simulate(&cohort, policy, &progress)?);
    }
    progress.finish_and_clear();

    let metrics: Vec<Metrics> = outcomes.iter().map(|o| o.metrics.clone()).collect();
    if format == Format::Json {
        for outcome in &outcomes {
            println!("{}", json_line("policy", &outcome.metrics));
        }
        for outcome in &outcomes {
            match args.timings {
                true => println!("{}", json_line("timing", report::timing_json(outcome))),
                false => eprintln!("{}", speed(outcome)),
            }
        }
        if args.stages {
            for policy in &runs {
                eprint!("{}", stages::profile(&cohort, policy)?);
            }
        }
        return write_chart(args.chart.as_deref(), &metrics, args.start);
    }
    print!("{}", report::table(&metrics));
    println!();
    for outcome in &outcomes {
        println!("{}", speed(outcome));
    }
    if args.stages {
        for policy in &runs {
            println!();
            print!("{}", stages::profile(&cohort, policy)?);
        }
    }
    write_chart(args.chart.as_deref(), &metrics, args.start)
}

/// How fast the pipeline ran one policy, as one readable line.
fn speed(outcome: &Outcome) -> String {
    let on_cpu = outcome.cpu_seconds.map_or(String::new(), |cpu| {
        format!(" ({cpu:.2} s on CPU: {:.0} messages per CPU-second)", outcome.metrics.messages as f64 / cpu.max(1e-9))
    });
    format!(
        "pipeline ({}): {} messages in {:.2} s = {:.0} messages/s{on_cpu}",
        outcome.metrics.policy, outcome.metrics.messages, outcome.seconds, outcome.messages_per_second
    )
}

/// Draws the chart into `path`, if one was asked for.
fn write_chart(path: Option<&Path>, metrics: &[Metrics], start: NaiveDate) -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = path else { return Ok(()) };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, chart::svg(metrics, start))
        .map_err(|e| Failure::unreadable(format!("{}: {e}", path.display())))?;
    eprintln!("chart: {}", path.display());
    Ok(())
}

/// Feeds `cohort` through the pipeline on `policy` and measures the result.
pub fn simulate(
    cohort: &Cohort,
    policy: &policies::PolicyRun,
    progress: &ProgressBar,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let fed = feed::feed(cohort, policy, progress)?;
    let metrics = report::measure(policy.policy(), cohort, &fed);
    if metrics.rejected > 0 {
        return Err(
            Failure::rejected(format!("{} generated messages were rejected as bad input", metrics.rejected)).into()
        );
    }
    Ok(Outcome {
        metrics,
        messages_per_second: fed.messages_per_second(),
        seconds: fed.elapsed.as_secs_f64(),
        cpu_seconds: fed.on_cpu.map(|d| d.as_secs_f64()),
    })
}

/// A bar on stderr, drawn only when stderr is a terminal and not `--quiet`.
fn progress_bar(quiet: bool, total: u64) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{msg:>12} [{wide_bar}] {human_pos}/{human_len} {per_sec:0} eta {eta}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}
