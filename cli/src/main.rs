//! `samspil`: the command-line program.
//!
//! `main` only parses the command line and hands over to one module per command.

mod contracts;
mod render;
mod replay;
mod summary;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// samspil: plans, moves and cancels first joint meetings between jobcenters and a-kasser.
#[derive(Debug, Parser)]
#[command(name = "samspil", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replays a file of SQS messages through the embedded pipeline (in-memory store and publisher).
    Replay(replay::Args),
    /// Writes the generated JSON Schemas and AsyncAPI document.
    Contracts {
        /// The folder to write into.
        #[arg(long, default_value = "contracts")]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(args) => replay::run(args),
        Command::Contracts { out } => contracts::write(&out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("samspil: {error}");
            ExitCode::FAILURE
        }
    }
}
