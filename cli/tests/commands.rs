//! The command line as a user meets it, without AWS: `--format`, the exit status of `replay`, the
//! endpoint `send` and `redrive` name before they change anything, `RUST_LOG`, and where
//! `simulate` writes (nowhere unless asked).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root, where the examples are.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `samspil ARGS` from the repository's root, pointed at an endpoint where nothing listens (port 9,
/// discard), so a command that reached for AWS fails instead of changing anything anywhere.
fn samspil(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_samspil"));
    command
        .args(args)
        .current_dir(root())
        .env_remove("RUST_LOG")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_REGION", "eu-north-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_MAX_ATTEMPTS", "1");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("samspil runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn replay_prints_cloudevents_with_format_json_and_readable_lines_by_default() {
    let json = samspil(&["replay", "examples/messages.jsonl", "--today", "2026-11-02", "--format", "json"], &[]);
    assert!(json.status.success(), "{}", text(&json.stderr));
    let lines: Vec<serde_json::Value> =
        text(&json.stdout).lines().map(|l| serde_json::from_str(l).expect("one JSON object a line")).collect();
    assert_eq!(lines.len(), 7);
    assert!(lines.iter().all(|e| e["type"].as_str().unwrap().starts_with("dk.jobcenter.meeting-")));
    let readable = samspil(&["replay", "examples/messages.jsonl", "--today", "2026-11-02"], &[]);
    assert!(text(&readable.stdout).lines().all(|l| l.contains("  meeting ") && !l.starts_with('{')));
}

#[test]
fn replay_exits_non_zero_when_it_rejected_lines_and_says_so_in_help() {
    let bad = samspil(&["replay", "examples/bad-input.jsonl", "--today", "2026-11-02"], &[]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("4 of 4 lines rejected"), "{}", text(&bad.stderr));
    let good = samspil(&["replay", "examples/messages.jsonl", "--today", "2026-11-02"], &[]);
    assert_eq!(good.status.code(), Some(0));
    let help = samspil(&["replay", "--help"], &[]);
    assert!(text(&help.stdout).contains("Exit status: 0 when every line was processed; 1 when a line was rejected"));
}

#[test]
fn send_names_the_endpoint_and_region_before_it_sends_anything() {
    let output = samspil(&["send", "examples/messages.jsonl"], &[]);
    assert!(!output.status.success(), "nothing listens at the endpoint");
    let stderr = text(&output.stderr);
    let first = stderr.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        "samspil send: sending 11 messages to SQS at http://127.0.0.1:9, region eu-north-1 \
         (cv-completions 2, job-exits 2, registrations 7)"
    );
    assert!(text(&output.stdout).is_empty(), "nothing was sent: {}", text(&output.stdout));
}

#[test]
fn redrive_names_the_endpoint_and_whether_it_changes_anything_first() {
    let output = samspil(&["redrive", "--queue", "registrations"], &[]);
    assert!(!output.status.success());
    let first = text(&output.stderr).lines().next().unwrap_or_default().to_string();
    assert_eq!(
        first,
        "samspil redrive: moving the messages of registrations-dlq back to registrations at \
         http://127.0.0.1:9, region eu-north-1"
    );
    let dry = samspil(&["redrive", "--queue", "registrations", "--dry-run"], &[]);
    assert!(text(&dry.stderr).starts_with("samspil redrive: listing (dry run, nothing changes)"));
}

#[test]
fn rust_log_controls_what_the_cli_logs() {
    let quiet = samspil(&["send", "examples/messages.jsonl"], &[]);
    assert!(!text(&quiet.stderr).contains("DEBUG"), "{}", text(&quiet.stderr));
    let debug = samspil(&["send", "examples/messages.jsonl"], &[("RUST_LOG", "debug")]);
    assert!(text(&debug.stderr).contains("DEBUG"), "{}", text(&debug.stderr));
}

#[test]
fn simulate_writes_a_chart_only_where_asked() {
    let dir = std::env::temp_dir().join(format!("samspil-commands-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_samspil"))
            .args(["simulate", "--people", "200", "--quiet"])
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("samspil runs")
    };
    let json = run(&["--format", "json"]);
    assert!(json.status.success(), "{}", text(&json.stderr));
    let policies: Vec<serde_json::Value> =
        text(&json.stdout).lines().map(|l| serde_json::from_str(l).expect("one JSON object a line")).collect();
    assert_eq!(policies.len(), 2);
    assert!(policies.iter().all(|p| p["policy"].is_string() && p["scheduled"].is_u64()));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "no file without --chart");
    let asked = run(&["--chart", "chart.svg"]);
    assert!(asked.status.success());
    let written: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(written, ["chart.svg"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
