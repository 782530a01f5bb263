//! The command line as a user meets it, without AWS: `--format`, the exit status of `replay`, the
//! endpoint `send` and `redrive` name when they cannot reach it, `RUST_LOG`, and where `simulate`
//! writes (nowhere unless asked). The exact texts and every exit status are trycmd cases in
//! `cli/tests/cmd/`.

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

/// The `data` of every stdout line of `--format json` whose `type` is `kind`.
fn json_of(output: &Output, kind: &str) -> Vec<serde_json::Value> {
    let lines: Vec<serde_json::Value> =
        text(&output.stdout).lines().map(|l| serde_json::from_str(l).expect("one JSON object a line")).collect();
    assert!(lines.iter().all(|l| l["type"].is_string() && !l["data"].is_null()), "every line is {{type, data}}");
    lines.into_iter().filter(|l| l["type"] == kind).map(|l| l["data"].clone()).collect()
}

#[test]
fn replay_prints_cloudevents_with_format_json_and_readable_lines_by_default() {
    let json = samspil(&["replay", "examples/messages.jsonl", "--today", "2026-11-02", "--format", "json"], &[]);
    assert!(json.status.success(), "{}", text(&json.stderr));
    let updates = json_of(&json, "update");
    assert_eq!(updates.len(), 7);
    assert!(updates.iter().all(|e| e["type"].as_str().unwrap().starts_with("dk.jobcenter.meeting-")));
    let summary = json_of(&json, "summary");
    assert_eq!((summary[0]["messages"].as_u64(), summary[0]["scheduled"].as_u64()), (Some(11), Some(5)));
    assert!(text(&json.stderr).is_empty(), "everything on stdout: {}", text(&json.stderr));
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

/// One replay line: `data` (with the CPR number) on `queue` as `kind`, processed on `day`.
fn replay_line(queue: &str, kind: &str, id: &str, data: serde_json::Value, day: &str) -> String {
    let body = serde_json::json!({
        "specversion": "1.0", "id": id, "source": "urn:dk:akasse:010", "type": format!("dk.akasse.{kind}.v1"),
        "time": format!("{day}T08:00:00+01:00"), "data": data
    });
    serde_json::json!({"queue": queue, "body": body, "received_on": day}).to_string()
}

#[test]
fn replay_sweeps_every_day_so_a_summons_goes_out_on_a_day_without_messages() {
    let dir = std::env::temp_dir().join(format!("samspil-replay-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policies = dir.join("policies.toml");
    std::fs::write(
        &policies,
        "default_policy = \"baseline\"\n[municipalities.840]\nname = \"Rebild\"\npolicy = \"rebild-jit\"\n",
    )
    .unwrap();
    let registration = |cpr: &str, municipality: &str| serde_json::json!({"cpr": cpr, "municipality": municipality, "akasse": "010", "registered_on": "2026-11-02"});
    // Two people register in Rebild on 2 November: both meetings are planned for 28 December, with
    // their summons on Thursday 10 December. The second finds a job first; a third person registers
    // in Aalborg (no summonses), processed on 14 December, the next day with a message: announced at
    // once, for 21 December (five business days later, past its deadline).
    let lines = [
        replay_line("registrations", "registration", "r1", registration("0101901111", "840"), "2026-11-02"),
        replay_line("registrations", "registration", "r2", registration("0202852222", "840"), "2026-11-02"),
        replay_line(
            "job-exits",
            "job-exit",
            "j2",
            serde_json::json!({"cpr": "0202852222", "job_starts_on": "2027-01-15"}),
            "2026-11-20",
        ),
        replay_line("registrations", "registration", "r3", registration("0303803333", "851"), "2026-12-14"),
    ];
    let file = dir.join("summons.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let args = [
        "replay",
        file.to_str().unwrap(),
        "--today",
        "2026-11-02",
        "--format",
        "json",
        "--policies",
        policies.to_str().unwrap(),
    ];
    let output = samspil(&args, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let events = json_of(&output, "update");
    let seen: Vec<(&str, &str, i64, &str)> = events
        .iter()
        .map(|e| {
            let d = &e["data"];
            (
                e["type"].as_str().unwrap(),
                d["municipality"].as_str().unwrap(),
                d["sequence"].as_i64().unwrap(),
                d["date"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("dk.jobcenter.meeting-scheduled.v1", "840", 1, "2026-12-28"),
            ("dk.jobcenter.meeting-scheduled.v1", "851", 1, "2026-12-21"),
        ],
        "the summons of the first, on 10 December, before the third's registration; nothing ever for the second"
    );
    assert_eq!(events[0]["data"]["cpr"], "0101901111");
    // 2 November to 14 December: 43 days swept.
    let summary = json_of(&output, "summary");
    assert_eq!((summary[0]["sweep_days"].as_u64(), summary[0]["summonses"].as_u64()), (Some(43), Some(1)));
    let text_args: Vec<&str> = args.iter().copied().filter(|a| *a != "--format" && *a != "json").collect();
    let readable = samspil(&text_args, &[]);
    assert!(text(&readable.stderr).contains("sweeps 43 (days), summonses 1"), "{}", text(&readable.stderr));
    let help = samspil(&["replay", "--help"], &[]);
    assert!(
        text(&help.stdout).contains("after the lines of each day, the sweep of that day runs"),
        "{}",
        text(&help.stdout)
    );
}

#[test]
fn send_and_redrive_name_the_endpoint_they_cannot_reach_and_change_nothing() {
    let output = samspil(&["send", "examples/messages.jsonl"], &[]);
    assert_eq!(output.status.code(), Some(5), "an AWS call failed: {}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("samspil: cannot tell which AWS account http://127.0.0.1:9 (region eu-north-1) is"),
        "{stderr}"
    );
    assert!(text(&output.stdout).is_empty(), "nothing was sent: {}", text(&output.stdout));
    let redrive = samspil(&["redrive", "--queue", "registrations", "--dry-run", "--region", "eu-west-1"], &[]);
    assert_eq!(redrive.status.code(), Some(5));
    assert!(text(&redrive.stderr).contains("http://127.0.0.1:9 (region eu-west-1)"), "{}", text(&redrive.stderr));
}

#[test]
fn an_aws_account_is_refused_without_yes_when_there_is_no_terminal_to_ask_on() {
    // Not a local endpoint, stdin not a terminal (tests have none): refused before any call.
    let aws = ["--endpoint-url", "https://sqs.eu-north-1.amazonaws.com"];
    for command in [&["send", "examples/messages.jsonl"][..], &["redrive", "--queue", "registrations"]] {
        let output = samspil(&[command, &aws[..]].concat(), &[]);
        assert_eq!(output.status.code(), Some(4), "{command:?}: {}", text(&output.stderr));
        assert!(text(&output.stderr).contains("is AWS, not a local endpoint, and there is no terminal to ask on"));
        assert!(!text(&output.stderr).contains("cannot tell which AWS account"), "no call was made");
    }
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
    let policies = json_of(&json, "policy");
    assert_eq!(policies.len(), 3, "baseline, rebild-trial, rebild-jit");
    assert!(json_of(&json, "timing").is_empty(), "timings only with --timings");
    assert!(policies.iter().all(|p| p["policy"].is_string() && p["scheduled"].is_u64()));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "no file without --chart");
    let asked = run(&["--chart", "chart.svg"]);
    assert!(asked.status.success());
    let written: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(written, ["chart.svg"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
