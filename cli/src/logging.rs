//! The CLI's own logging: readable lines on stderr, filtered by `RUST_LOG`.
//!
//! `RUST_LOG` takes tracing's `target=level,...` syntax (`debug`, `samspil=debug,warn`, ...); without
//! it only warnings and errors are shown, so the commands' own output stays readable. The Lambda
//! functions log JSON instead (`samspil::telemetry`); the CLI is for people at a terminal.

use std::str::FromStr;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the stderr logger, level from `RUST_LOG` (see the module documentation).
pub fn init() {
    let (filter, problem) = filter(std::env::var("RUST_LOG").ok());
    let format = tracing_subscriber::fmt::layer().with_ansi(false).with_target(false).with_writer(std::io::stderr);
    if tracing_subscriber::registry().with(format).with(filter).try_init().is_ok()
        && let Some(problem) = problem
    {
        tracing::warn!("{problem}");
    }
}

/// The filter for `RUST_LOG`'s value, and what was wrong with it if the default had to be used.
fn filter(spec: Option<String>) -> (Targets, Option<String>) {
    let default = Targets::new().with_default(LevelFilter::WARN);
    match spec.filter(|s| !s.trim().is_empty()) {
        None => (default, None),
        Some(spec) => match Targets::from_str(&spec) {
            Ok(targets) => (targets, None),
            Err(_) => (default, Some(format!("RUST_LOG is not a valid filter ({spec:?}); logging warnings"))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_log_sets_the_level_and_warnings_are_the_default() {
        let (default, problem) = filter(None);
        assert!(format!("{default:?}").contains("WARN") && problem.is_none());
        let (debug, _) = filter(Some("debug".into()));
        assert!(format!("{debug:?}").contains("DEBUG"));
        let (fallback, problem) = filter(Some("samspil=loud".into()));
        assert!(format!("{fallback:?}").contains("WARN") && problem.unwrap().contains("RUST_LOG"));
    }
}
