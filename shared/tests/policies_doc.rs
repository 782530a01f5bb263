//! What `docs/policies.md` and `docs/rules.md` say about policies is what the code does: the table
//! of built-in policies names exactly [`Policy::BUILTIN_NAMES`] with their values, and the error
//! examples are what loading the page's own example with one mistake prints.
//!
//! A policy analyst reads the windows from those tables and an operator matches an error from the
//! build against the examples; a built-in changed in code, or an error worded anew, would leave
//! them reading something the program no longer does.

use std::path::Path;

use chrono::Weekday;
use samspil::policy::{Policy, PolicyBook};

fn read(page: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(page);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The cells of a Markdown table row, trimmed; `None` for a line that is no row.
fn cells(line: &str) -> Option<Vec<String>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(|c| c.trim().to_owned()).collect())
}

/// The table of `page` whose header row starts with `first` and `second`: header and body rows.
fn table(page: &str, text: &str, first: &str, second: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines =
        text.lines().skip_while(|l| cells(l).is_none_or(|c| c.len() < 2 || c[0] != first || c[1] != second));
    let header = lines.next().and_then(cells).unwrap_or_else(|| panic!("{page} has a table | {first} | {second} |"));
    let rows = lines.skip(1).map_while(cells).collect();
    (header, rows)
}

/// A cell as a value: without backticks and without a trailing explanation in parentheses.
fn value(cell: &str) -> String {
    let plain = cell.replace('`', "");
    plain.split(" (").next().unwrap_or_default().trim().to_owned()
}

/// How the pages write a policy's value of `parameter`; `None` for a parameter the code lacks.
fn written(policy: &Policy, parameter: &str) -> Option<String> {
    let number = |n: u32| n.to_string();
    Some(match parameter {
        "target_week" => number(policy.target_week),
        "latest_week" => number(policy.latest_week),
        "cv_prep_days" => number(policy.cv_prep_days),
        "notice_days" => number(policy.notice_days),
        "cancel_horizon_days" => number(policy.cancel_horizon_days),
        "summon_days" => policy.summon_days.map_or_else(|| "not set".to_owned(), number),
        "form" => serde_json::to_value(policy.form).unwrap().as_str().unwrap().to_owned(),
        "meeting_weekdays" => {
            let days: Vec<Weekday> = policy.calendar.weekdays().collect();
            let run = days.windows(2).all(|w| w[0].succ() == w[1]) && days.len() > 2;
            if run {
                format!("{}-{}", days[0], days[days.len() - 1])
            } else {
                days.iter().map(Weekday::to_string).collect::<Vec<_>>().join(", ")
            }
        }
        "closed_days" => {
            let days = policy.calendar.closed_days();
            if days.is_empty() {
                "none".to_owned()
            } else {
                days.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
            }
        }
        _ => return None,
    })
}

/// Every parameter of a policy, as the file names them.
const PARAMETERS: [&str; 9] = [
    "target_week",
    "latest_week",
    "cv_prep_days",
    "notice_days",
    "cancel_horizon_days",
    "summon_days",
    "form",
    "meeting_weekdays",
    "closed_days",
];

fn check_builtin_table(page: &str) {
    let text = read(page);
    let (header, rows) = table(page, &text, "parameter", "meaning");
    let columns: Vec<String> = header[2..].iter().map(|c| value(c)).collect();
    assert_eq!(columns, Policy::BUILTIN_NAMES, "{page}: the built-in policies' columns");
    let mut seen = Vec::new();
    for row in rows {
        let parameter = value(&row[0]);
        for (name, cell) in Policy::BUILTIN_NAMES.iter().zip(&row[2..]) {
            let policy = Policy::builtin(name).expect("a built-in");
            let expected = written(&policy, &parameter).unwrap_or_else(|| panic!("{page}: no parameter `{parameter}`"));
            assert_eq!(value(cell), expected, "{page}: `{parameter}` of `{name}`");
        }
        seen.push(parameter);
    }
    assert_eq!(seen, PARAMETERS, "{page}: one row per parameter, in the file's order");
}

#[test]
fn the_built_in_policies_are_the_ones_policies_md_shows() {
    check_builtin_table("docs/policies.md");
}

#[test]
fn the_built_in_policies_are_the_ones_rules_md_shows() {
    check_builtin_table("docs/rules.md");
}

/// The changes, each to the page's example file on its own, that its "Errors" section shows.
const MISTAKES: [(&str, &str); 4] = [
    ("target_week = 6", "target_week = 106"),
    ("policy = \"aalborg-2027\"", "policy = \"aalborg\""),
    ("closed_days = [\"2026-12-31\"]", "closed_days = [\"2026-02-30\"]"),
    ("closed_days = [\"2026-12-31\"]", "colsed_days = [\"2026-12-31\"]"),
];

#[test]
fn the_error_examples_are_what_the_example_file_with_one_mistake_gives() {
    let text = read("docs/policies.md");
    let example = text.split("```toml\n").nth(1).and_then(|r| r.split("```").next()).expect("a ```toml example");
    PolicyBook::from_toml(example, "infra/policies.toml").expect("the example itself is valid");
    let produced: Vec<String> = MISTAKES
        .iter()
        .map(|(from, to)| {
            assert_eq!(example.matches(from).count(), 1, "the example has `{from}` once");
            let wrong = example.replacen(from, to, 1);
            PolicyBook::from_toml(&wrong, "infra/policies.toml").expect_err(to).to_string()
        })
        .collect();
    let errors = text.split("## Errors").nth(1).expect("docs/policies.md has ## Errors");
    let shown: Vec<&str> = errors
        .split("```text\n")
        .nth(2)
        .and_then(|r| r.split("```").next())
        .expect("the second ```text block of Errors holds the examples")
        .lines()
        .collect();
    assert_eq!(shown, produced, "docs/policies.md, Errors: the examples, as the code prints them now");
}
