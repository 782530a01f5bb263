//! Level caps for the crates that log raw data: whatever level is configured, they log no finer
//! than [`CAPPED`] says.
//!
//! At TRACE (and partly DEBUG) the Lambda runtime logs the raw invocation event, the AWS SDK and
//! its HTTP stack log request and response bodies: SQS events, SNS `Publish` and SQS `SendMessage`
//! bodies all hold CPR numbers. One level change in the function's configuration would put them in
//! CloudWatch. So every directive of the configured filter that could reach these crates is clamped
//! here: the default level by adding a directive per capped crate, and any directive naming a
//! capped crate (or a module inside one) by lowering it to the cap. `samspil`'s own logging is not
//! capped: it never logs bodies or CPR numbers (see the redacting `Debug` of the types that hold
//! them).

use tracing_subscriber::filter::{LevelFilter, Targets};

/// Target prefixes (a target matches if it starts with one) and the finest level each may log at.
pub const CAPPED: [(&str, LevelFilter); 11] = [
    ("lambda_runtime", LevelFilter::INFO),
    ("aws_lambda_events", LevelFilter::INFO),
    ("aws_smithy", LevelFilter::INFO),
    ("aws_sdk", LevelFilter::INFO),
    ("aws_config", LevelFilter::INFO),
    ("aws_runtime", LevelFilter::INFO),
    ("hyper", LevelFilter::WARN),
    ("h2", LevelFilter::WARN),
    ("rustls", LevelFilter::WARN),
    ("tower", LevelFilter::WARN),
    ("reqwest", LevelFilter::WARN),
];

/// `configured` with every capped crate clamped to its cap.
pub fn cap(configured: Targets) -> Targets {
    let default = configured.default_level().unwrap_or(LevelFilter::OFF);
    let mut capped = Targets::new().with_default(default);
    for (target, level) in configured.iter() {
        let level = match cap_for(target) {
            Some(ceiling) => level.min(ceiling),
            None => level,
        };
        capped = capped.with_target(target.to_owned(), level);
    }
    for (prefix, ceiling) in CAPPED {
        // The level the configured filter gives the crate as a whole, never above its cap. A more
        // specific configured directive (already clamped above) still wins inside the crate.
        let configured_level = level_of(&configured, prefix);
        let already = configured.iter().any(|(target, _)| target == prefix);
        if !already {
            capped = capped.with_target(prefix, configured_level.min(ceiling));
        }
    }
    capped
}

/// The cap of `target`, if it belongs to a capped crate.
fn cap_for(target: &str) -> Option<LevelFilter> {
    CAPPED.iter().filter(|(prefix, _)| target.starts_with(prefix)).map(|(_, level)| *level).min()
}

/// The finest level `targets` enables for `target`.
fn level_of(targets: &Targets, target: &str) -> LevelFilter {
    use tracing::Level;
    [Level::TRACE, Level::DEBUG, Level::INFO, Level::WARN, Level::ERROR]
        .into_iter()
        .find(|level| targets.would_enable(target, level))
        .map_or(LevelFilter::OFF, LevelFilter::from_level)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use tracing::Level;

    use super::*;

    fn capped(spec: &str) -> Targets {
        cap(Targets::from_str(spec).unwrap())
    }

    #[test]
    fn trace_everywhere_still_keeps_the_runtime_sdk_and_http_stack_quiet() {
        let t = capped("trace");
        assert!(t.would_enable("samspil::pipeline", &Level::TRACE));
        for target in ["lambda_runtime", "lambda_runtime_api_client::body", "aws_smithy_runtime::client", "aws_sdk_sqs"]
        {
            assert!(!t.would_enable(target, &Level::DEBUG), "{target} at DEBUG");
            assert!(t.would_enable(target, &Level::INFO), "{target} at INFO");
        }
        for target in ["hyper", "hyper_util::client", "h2::codec", "rustls::conn"] {
            assert!(!t.would_enable(target, &Level::INFO), "{target} at INFO");
            assert!(t.would_enable(target, &Level::WARN), "{target} at WARN");
        }
    }

    #[test]
    fn naming_a_capped_crate_or_one_of_its_modules_does_not_lift_the_cap() {
        let t = capped("info,aws_smithy_runtime::client::orchestrator=trace,lambda_runtime=trace,hyper=debug");
        assert!(!t.would_enable("aws_smithy_runtime::client::orchestrator", &Level::DEBUG));
        assert!(!t.would_enable("lambda_runtime::layers", &Level::DEBUG));
        assert!(!t.would_enable("hyper::proto", &Level::INFO));
    }

    #[test]
    fn a_quieter_configuration_stays_quieter() {
        let t = capped("warn,aws_sdk_dynamodb=error");
        assert!(!t.would_enable("aws_sdk_dynamodb", &Level::WARN));
        assert!(!t.would_enable("aws_smithy_runtime", &Level::INFO));
        assert!(t.would_enable("aws_smithy_runtime", &Level::WARN));
        assert!(!t.would_enable("samspil", &Level::INFO));
    }
}
