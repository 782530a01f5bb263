//! Logs and metrics of the Lambda functions.
//!
//! **Logs** are one JSON object per line on stdout ([`init`]), which CloudWatch Logs indexes and
//! Lambda's JSON log format passes through as is. Each line carries `level` (`ERROR`, `WARN`, ...)
//! and `timestamp` (RFC 3339, UTC, e.g. `2026-11-30T08:00:00.123456Z`): with `LogFormat: JSON`,
//! Lambda reads a line's level only when it also has a valid timestamp, and takes a line without one
//! as INFO, so an error would slip past `ApplicationLogLevel` filters and level-based queries.
//! Each line made while an invocation runs carries the runtime's span with the `requestId`. Log lines name message ids, queues and error codes; never a message body or a
//! CPR number (the `Cpr` type masks itself, and nothing here logs bodies).
//!
//! The level comes from `RUST_LOG` (tracing's `target=level,...` syntax, e.g. `info` or
//! `samspil=debug,info`), else from `AWS_LAMBDA_LOG_LEVEL` (set by Lambda's advanced logging
//! controls: `TRACE` to `FATAL`), else `info`. No regex-based `EnvFilter`: the simple
//! [`Targets`] filter keeps the binary small and start-up fast.
//! Whatever the level, the runtime, the AWS SDK and the HTTP stack log no finer than [`caps`] allows:
//! at TRACE they would log raw events and request bodies, CPR numbers included.
//!
//! **Metrics** are CloudWatch Embedded Metric Format: [`Metrics::emit`] prints one JSON line per
//! invocation to stdout, and CloudWatch turns it into metrics in the namespace `samspil` with the
//! dimensions `function` (the binary's name) and `stack` (the CloudFormation stack's name,
//! `STACK_NAME`), with no API call and no extra latency. Every alarm on these metrics names both,
//! so two stacks in one account (staging and prod) never set off each other's alarms.

use std::io::Write;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::time::SystemTime;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

use crate::pipeline::BatchCounts;

pub mod caps;

/// The CloudWatch metrics namespace.
pub const NAMESPACE: &str = "samspil";

/// Installs the JSON log subscriber for the whole process, level from the environment (see the
/// module documentation). Calling it again does nothing.
pub fn init() {
    let (filter, problem) = log_filter(|name| std::env::var(name).ok());
    let filter = caps::cap(filter);
    let format = json_lines(std::io::stdout);
    let installed = tracing_subscriber::registry().with(format).with(filter).try_init().is_ok();
    if let (true, Some(problem)) = (installed, problem) {
        tracing::warn!("{problem}; logging at info");
    }
}

/// The log line format: one flat JSON object per event with `timestamp` (RFC 3339, UTC) and
/// `level`, the fields CloudWatch's JSON log format reads, written to `writer`. Tests capture the
/// functions' log lines with it.
pub(crate) fn json_lines<S, W>(writer: W) -> impl Layer<S> + Send + Sync
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .with_ansi(false)
        .with_timer(SystemTime)
        .with_target(false)
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(writer)
}

/// The level filter from `RUST_LOG` or `AWS_LAMBDA_LOG_LEVEL`, and what was wrong with them if the
/// default had to be used.
fn log_filter(env: impl Fn(&str) -> Option<String>) -> (Targets, Option<String>) {
    let default = Targets::new().with_default(LevelFilter::INFO);
    if let Some(spec) = env("RUST_LOG").filter(|s| !s.trim().is_empty()) {
        return match Targets::from_str(&spec) {
            Ok(targets) => (targets, None),
            Err(_) => (default, Some(format!("RUST_LOG is not a valid filter ({spec:?})"))),
        };
    }
    if let Some(level) = env("AWS_LAMBDA_LOG_LEVEL").filter(|s| !s.trim().is_empty()) {
        let parsed = if level.eq_ignore_ascii_case("fatal") { Ok(LevelFilter::ERROR) } else { level.parse() };
        return match parsed {
            Ok(level) => (Targets::new().with_default(level), None),
            Err(_) => (default, Some(format!("AWS_LAMBDA_LOG_LEVEL is not a level ({level:?})"))),
        };
    }
    (default, None)
}

/// The counters of one invocation, as CloudWatch metrics of one function of one stack.
#[derive(Debug, Clone)]
pub struct Metrics {
    function: String,
    stack: String,
}

impl Metrics {
    /// Metrics with the dimensions `function` (the Lambda function's stable name, its binary's) and
    /// `stack` (the stack's name, `STACK_NAME`).
    pub fn new(function: impl Into<String>, stack: impl Into<String>) -> Self {
        Metrics { function: function.into(), stack: stack.into() }
    }

    /// Prints the EMF line for one invocation's counts to stdout, as one write.
    pub fn emit(&self, counts: &BatchCounts, at: DateTime<Utc>) {
        print_line(self.render(counts, at));
    }

    /// The EMF document for one invocation's counts, as one line of JSON.
    pub fn render(&self, counts: &BatchCounts, at: DateTime<Utc>) -> String {
        let values = [
            ("messages", counts.messages),
            ("duplicates", counts.duplicates),
            ("scheduled", counts.scheduled),
            ("rescheduled", counts.rescheduled),
            ("cancelled", counts.cancelled),
            ("permanent_failures", counts.permanent_failures),
            ("transient_failures", counts.transient_failures),
        ];
        self.document(&values, at).to_string()
    }

    /// The EMF document declaring `values` as counts in the namespace `samspil` with this
    /// function's dimensions. Callers may add properties that are not metrics (logged, searchable in
    /// CloudWatch Logs Insights, free) before printing it.
    pub fn document(&self, values: &[(&str, u64)], at: DateTime<Utc>) -> Value {
        let definitions: Vec<Value> = values.iter().map(|(name, _)| json!({"Name": name, "Unit": "Count"})).collect();
        let mut document = json!({
            "_aws": {
                "Timestamp": at.timestamp_millis(),
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [DIMENSIONS],
                    "Metrics": definitions,
                }],
            },
            "function": self.function,
            "stack": self.stack,
        });
        for (name, value) in values {
            document[*name] = json!(value);
        }
        document
    }
}

/// The dimensions of every samspil metric, in the order the EMF line declares them.
pub const DIMENSIONS: [&str; 2] = ["function", "stack"];

/// Prints one metrics line to stdout, as one write. Metrics must never fail an invocation; a closed
/// stdout loses them and nothing else.
pub fn print_line(mut line: String) {
    line.push('\n');
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
}

/// The functions' log lines, as [`init`] writes them, captured for a test to read back.
#[cfg(test)]
#[derive(Clone, Default)]
pub(crate) struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

#[cfg(test)]
impl CapturedLogs {
    /// A subscriber writing JSON lines, at every level, here.
    pub(crate) fn subscriber(&self) -> impl Subscriber + Send + Sync + 'static {
        let writer = self.clone();
        tracing_subscriber::registry().with(json_lines(move || writer.clone()))
    }

    /// Everything logged so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// The lines logged so far, parsed.
    pub(crate) fn lines(&self) -> Vec<Value> {
        self.text().lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
    }
}

#[cfg(test)]
impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_emf_line_declares_every_counter_in_the_samspil_namespace_by_function_and_stack() {
        let counts = BatchCounts {
            messages: 7,
            duplicates: 1,
            scheduled: 2,
            rescheduled: 1,
            cancelled: 1,
            permanent_failures: 1,
            transient_failures: 1,
        };
        let at = Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).unwrap();
        let line = Metrics::new("registration", "samspil-staging").render(&counts, at);
        assert!(!line.contains('\n'));
        let doc: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(doc["_aws"]["Timestamp"], json!(at.timestamp_millis()));
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "samspil");
        assert_eq!(directive["Dimensions"], json!([["function", "stack"]]));
        assert_eq!((&doc["function"], &doc["stack"]), (&json!("registration"), &json!("samspil-staging")));
        let names: Vec<&str> =
            directive["Metrics"].as_array().unwrap().iter().map(|m| m["Name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "messages",
                "duplicates",
                "scheduled",
                "rescheduled",
                "cancelled",
                "permanent_failures",
                "transient_failures"
            ]
        );
        assert!(directive["Metrics"].as_array().unwrap().iter().all(|m| m["Unit"] == "Count"));
        let values: Vec<u64> = names.iter().map(|n| doc[*n].as_u64().unwrap()).collect();
        assert_eq!(values, [7, 1, 2, 1, 1, 1, 1]);
    }

    #[test]
    fn an_error_line_carries_level_and_an_rfc3339_timestamp_as_cloudwatch_expects() {
        let captured = CapturedLogs::default();
        let before = Utc::now();
        tracing::subscriber::with_default(captured.subscriber(), || {
            tracing::error!(error_code = "store_unavailable", "saving the person failed");
        });
        let text = captured.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let line: Value = serde_json::from_str(lines[0]).unwrap();
        // Lambda's JSON log format: `level` in capitals and `timestamp` in RFC 3339, or the line is INFO.
        assert_eq!(line["level"], "ERROR", "{line}");
        let stamp = line["timestamp"].as_str().unwrap_or_else(|| panic!("no timestamp: {line}"));
        let at = DateTime::parse_from_rfc3339(stamp).unwrap_or_else(|e| panic!("{stamp}: {e}"));
        assert!(stamp.ends_with('Z'), "UTC: {stamp}");
        let at = at.with_timezone(&Utc);
        assert!(at >= before - chrono::Duration::seconds(1) && at <= Utc::now(), "{stamp}");
        assert_eq!(line["message"], "saving the person failed");
        assert_eq!(line["error_code"], "store_unavailable");
    }

    fn filter_for(vars: &[(&str, &str)]) -> (String, Option<String>) {
        let (targets, problem) = log_filter(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()));
        (format!("{targets:?}"), problem)
    }

    #[test]
    fn the_log_level_comes_from_rust_log_then_lambda_then_info() {
        let info = filter_for(&[]).0;
        assert!(info.contains("INFO"), "{info}");
        let (debug, problem) = filter_for(&[("AWS_LAMBDA_LOG_LEVEL", "DEBUG")]);
        assert!(debug.contains("DEBUG") && problem.is_none(), "{debug}");
        assert!(filter_for(&[("AWS_LAMBDA_LOG_LEVEL", "FATAL")]).0.contains("ERROR"));
        let (warn, _) = filter_for(&[("RUST_LOG", "warn"), ("AWS_LAMBDA_LOG_LEVEL", "DEBUG")]);
        assert!(warn.contains("WARN"), "{warn}");
        let (fallback, problem) = filter_for(&[("AWS_LAMBDA_LOG_LEVEL", "loud")]);
        assert!(fallback.contains("INFO") && problem.unwrap().contains("AWS_LAMBDA_LOG_LEVEL"));
    }
}
