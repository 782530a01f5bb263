//! `samspil`: the command-line program.
//!
//! `main` only parses the command line and hands over to one module per command.

mod allocator;
mod contracts;
mod logging;
mod replay;
mod simulate;
mod summary;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
// The AWS-facing commands are the library half (cli/src/lib.rs), which the end-to-end tests drive.
use samspil_cli::failure::{EXIT_STATUS_HELP, exit_status};
use samspil_cli::{Format, local, redrive, send, sweep};

/// samspil: plans, moves and cancels first joint meetings between jobcenters and a-kasser.
#[derive(Debug, Parser)]
#[command(name = "samspil", version, about, after_help = after_help())]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How results are printed on stdout: readable lines, or everything as JSON, one object per line
    #[arg(long, global = true, value_enum, default_value_t = Format::Text, display_order = 100)]
    format: Format,
}

/// What `--help` says after the options: logging, output and the exit statuses.
fn after_help() -> String {
    format!(
        "Output: results go to stdout; with --format json everything does, one JSON object per line, \
{{\"type\": ..., \"data\": ...}}. Diagnostics go to stderr; RUST_LOG sets what is logged there (e.g. \
RUST_LOG=debug, or RUST_LOG=samspil=debug,warn); warnings and errors only by default.\n\n{EXIT_STATUS_HELP}"
    )
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replays a file of SQS messages through the embedded pipeline (in-memory store and publisher).
    Replay(replay::Args),
    /// Simulates a synthetic cohort through the embedded pipeline once per policy and compares them.
    Simulate(simulate::Args),
    /// Runs the Lambda functions' code locally: polls the local stack's queues, prints updates.
    Local(local::Args),
    /// Sends the messages of a replay-format file to their queues.
    Send(send::Args),
    /// Moves messages from a queue's dead-letter queue back to the queue.
    Redrive(redrive::Args),
    /// Publishes every summons due on or before today (rule R12), once, on the local stack.
    Sweep(sweep::Args),
    /// Writes the generated JSON Schemas and AsyncAPI document.
    Contracts {
        /// The folder to write into.
        #[arg(long, default_value = "contracts")]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init();
    let format = cli.format;
    let result = match cli.command {
        Command::Replay(args) => replay::run(args, format),
        Command::Simulate(args) => simulate::run(args, format),
        Command::Local(args) => local::run(args, format).map_err(unsync),
        Command::Send(args) => send::run(args, format).map_err(unsync),
        Command::Redrive(args) => redrive::run(args, format).map_err(unsync),
        Command::Sweep(args) => sweep::run(args, format).map_err(unsync),
        Command::Contracts { out } => contracts::write(&out, format),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("samspil: {error}");
            ExitCode::from(exit_status(error.as_ref()))
        }
    }
}

/// The library's errors (`Send + Sync`, for async code) as the commands' error type.
fn unsync(error: samspil_cli::Error) -> Box<dyn std::error::Error> {
    error
}
