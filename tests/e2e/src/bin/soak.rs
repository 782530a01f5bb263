//! `soak`: the full soak on the local stack (`make soak`); prints its figures and fails on any
//! finding. See `samspil_e2e::soak`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use samspil_e2e::soak::runners::samspil_binary;
use samspil_e2e::soak::{SoakConfig, run};

/// Messages of mixed types through several `samspil local` runners, with calls failing and runners
/// killed; then faults off, drain, and check that nothing was lost or changed.
#[derive(Debug, Parser)]
struct Args {
    /// Messages sent, duplicates included.
    #[arg(long, default_value_t = 5000)]
    messages: usize,
    /// Share of the distinct messages sent twice.
    #[arg(long, default_value_t = 0.25)]
    duplicates: f64,
    /// `samspil local` processes at once.
    #[arg(long, default_value_t = 4)]
    runners: usize,
    /// Share of calls that fail while faults are on.
    #[arg(long, default_value_t = 0.2)]
    fault_rate: f64,
    /// Seconds between two runner kills while faults are on.
    #[arg(long, default_value_t = 3.0)]
    kill_every: f64,
    /// The samspil binary the runners run [default: the one beside this program].
    #[arg(long, value_name = "PATH")]
    samspil: Option<PathBuf>,
    /// Longest faulty phase, in seconds.
    #[arg(long, default_value_t = 600)]
    fault_phase_limit: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let config = SoakConfig {
        samspil: args.samspil.unwrap_or_else(samspil_binary),
        messages: args.messages,
        duplicate_share: args.duplicates,
        runners: args.runners,
        fault_rate: args.fault_rate,
        kill_every: Duration::from_secs_f64(args.kill_every),
        fault_phase_limit: Duration::from_secs(args.fault_phase_limit),
        drain_limit: Duration::from_secs(300),
    };
    let report = run(&config).await;
    print!("{report}");
    if report.passed() {
        println!("soak: passed");
        ExitCode::SUCCESS
    } else {
        println!("soak: FAILED (runner logs in target/soak/)");
        ExitCode::FAILURE
    }
}
