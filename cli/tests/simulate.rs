//! `samspil simulate` as a user runs it: the table, the chart file, reproducibility across runs
//! of the program, and no CPR number anywhere in what it prints.

use std::path::PathBuf;
use std::process::{Command, Output};

fn simulate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_samspil")).arg("simulate").args(args).output().expect("samspil runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("samspil-simulate-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The table and everything else on stdout except the timings, which vary from run to run.
fn numbers(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.starts_with("pipeline ("))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn prints_the_policies_side_by_side_and_writes_the_chart() {
    let chart = scratch("chart.svg");
    let output = simulate(&["--people", "400", "--seed", "3", "--quiet", "--chart", chart.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let header = stdout.lines().next().unwrap();
    assert!(header.contains("baseline") && header.contains("rebild-trial"), "{header}");
    for row in ["meetings scheduled", "cancelled: days ahead, median", "updates published", "messages/s"] {
        assert!(stdout.contains(row), "no `{row}` in\n{stdout}");
    }
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg"));
}

#[test]
fn the_same_seed_prints_the_same_numbers() {
    let chart = scratch("same.svg");
    let args = ["--people", "300", "--seed", "11", "--quiet", "--chart", chart.to_str().unwrap()];
    let (first, second) = (simulate(&args), simulate(&args));
    assert_eq!(numbers(&first), numbers(&second));
    let other = simulate(&["--people", "300", "--seed", "12", "--quiet", "--chart", chart.to_str().unwrap()]);
    assert_ne!(numbers(&first), numbers(&other));
}

#[test]
fn json_output_is_byte_for_byte_the_same_for_every_run_of_one_seed() {
    let args = ["--people", "300", "--seed", "11", "--quiet", "--format", "json"];
    let (first, second) = (simulate(&args), simulate(&args));
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(!first.stdout.is_empty());
    assert_eq!(first.stdout, second.stdout, "stdout holds results only; timings go to stderr");
    assert!(String::from_utf8_lossy(&first.stderr).contains("messages/s"), "the timings, on stderr");
    let timed = simulate(&[&args[..], &["--timings"]].concat());
    let stdout = String::from_utf8_lossy(&timed.stdout);
    let kinds: Vec<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON")["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["cohort", "policy", "policy", "policy", "timing", "timing", "timing"]);
    assert!(stdout.starts_with(&*String::from_utf8_lossy(&first.stdout)), "the same results, then the timings");
}

#[test]
fn no_cpr_number_is_ever_printed() {
    let chart = scratch("cpr.svg");
    let output = simulate(&["--people", "300", "--quiet", "--stages", "--chart", chart.to_str().unwrap()]);
    assert!(output.status.success());
    let printed =
        [output.stdout.as_slice(), output.stderr.as_slice(), std::fs::read(&chart).unwrap().as_slice()].concat();
    let text = String::from_utf8_lossy(&printed);
    let longest_digit_run = text.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
    assert!(longest_digit_run < 10, "a 10-digit number was printed");
}

#[test]
fn a_policy_file_adds_its_named_policies_and_a_bad_curve_is_refused() {
    let policies = scratch("policies.toml");
    std::fs::write(
        &policies,
        "default_policy = \"baseline\"\n[policies.week-7]\nbased_on = \"baseline\"\ntarget_week = 7\nlatest_week = 8\n",
    )
    .unwrap();
    let chart = scratch("file.svg");
    let output = simulate(&[
        "--people",
        "200",
        "--quiet",
        "--policies",
        policies.to_str().unwrap(),
        "--chart",
        chart.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).lines().next().unwrap().contains("week-7"));

    let bad =
        simulate(&["--people", "10", "--quiet", "--survival", "13:0.54,4:0.8", "--chart", chart.to_str().unwrap()]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("survival curve"));
}
