//! Tests of the policy file's validation: each mistake is named by file, line and field.
//!
//! Most cases add one line to a small valid file, so the expected line number is plain: line 3 in
//! [`in_policy`]'s file, line 4 in [`in_rebild`]'s.

use super::*;

/// A policy file from numbered lines: `lines[0]` is line 1.
fn file(lines: &[&str]) -> String {
    lines.join("\n") + "\n"
}

fn rejected(lines: &[&str]) -> PolicyError {
    match PolicyBook::from_toml(&file(lines), "policies.toml") {
        Ok(book) => panic!("accepted an invalid file: {book:?}"),
        Err(error) => error,
    }
}

/// Asserts the error's file, line and field, and that its message mentions `words`.
#[track_caller]
fn assert_rejected(lines: &[&str], line: usize, field: &str, words: &str) {
    let error = rejected(lines);
    let located = (error.file.as_str(), error.line, error.field.as_str());
    assert_eq!(located, ("policies.toml", line, field), "{error}");
    assert!(error.message.contains(words), "`{error}` should mention `{words}`");
}

/// `extra` as line 3 of `[policies.x]` based on `baseline`; the error names `policies.x.<field>`.
#[track_caller]
fn in_policy(extra: &str, field: &str, words: &str) {
    let lines = ["[policies.x]", "based_on = \"baseline\"", extra];
    assert_rejected(&lines, 3, &format!("policies.x.{field}"), words);
}

/// `extra` as line 4 of Rebild's table; the error names `municipalities.840.<field>`.
#[track_caller]
fn in_rebild(extra: &str, field: &str, words: &str) {
    let lines = ["[municipalities.840]", "name = \"Rebild\"", "policy = \"rebild-trial\"", extra];
    assert_rejected(&lines, 4, &format!("municipalities.840.{field}"), words);
}

#[test]
fn error_display_names_file_line_and_field() {
    let error = rejected(&["[policies.x]", "based_on = \"baseline\"", "", "notice_days = 99"]);
    let expected = "policies.toml:4: policies.x.notice_days: must be between 0 and 60";
    assert_eq!(error.to_string(), expected);
}

#[test]
fn unknown_keys_are_rejected() {
    assert_rejected(&["default_policy = \"baseline\"", "", "defualt = 1"], 3, "defualt", "unknown field");
    in_rebild("colsed_days = []", "colsed_days", "unknown field `colsed_days`");
    // Policy parameters belong in a named policy, not in a municipality's table.
    in_rebild("target_week = 6", "target_week", "unknown field");
    in_policy("target = 6", "target", "unknown field");
}

#[test]
fn wrong_types_are_rejected() {
    in_policy("target_week = \"6\"", "target_week", "invalid type");
    in_policy("notice_days = 2.5", "notice_days", "invalid type");
    in_policy("form = \"fax\"", "form", "unknown variant `fax`");
    in_rebild("meeting_weekdays = [\"mon\", 2]", "meeting_weekdays[1]", "invalid type");
    in_rebild("closed_days = \"2026-12-31\"", "closed_days", "invalid type");
    assert_rejected(&["default_policy = 5"], 1, "default_policy", "invalid type");
    assert_rejected(&["[municipalities]", "840 = 5"], 2, "municipalities.840", "invalid type");
}

#[test]
fn missing_fields_are_named() {
    let no_policy = ["default_policy = \"baseline\"", "[municipalities.840]", "name = \"Rebild\""];
    assert_rejected(&no_policy, 2, "municipalities.840.policy", "missing field");
    let no_base = ["[policies.x]", "target_week = 3"];
    assert_rejected(&no_base, 1, "policies.x.based_on", "missing field");
}

#[test]
fn numbers_must_be_in_range() {
    for (extra, field, words) in [
        ("target_week = 0", "target_week", "between 1 and 104"),
        ("latest_week = 105", "latest_week", "between 1 and 104"),
        ("notice_days = 61", "notice_days", "between 0 and 60"),
        ("cv_prep_days = -1", "cv_prep_days", "between 0 and 60"),
        ("cancel_horizon_days = 366", "cancel_horizon_days", "between 0 and 365"),
        ("cancel_horizon_days = -42", "cancel_horizon_days", "between 0 and 365"),
    ] {
        in_policy(extra, field, words);
    }
    let edges = ["[policies.x]", "based_on = \"baseline\"", "cancel_horizon_days = 365"];
    let edges = [&edges[..], &["notice_days = 0", "cv_prep_days = 60", "latest_week = 104"]].concat();
    assert!(PolicyBook::from_toml(&file(&edges), "policies.toml").is_ok());
}

#[test]
fn target_week_must_not_be_after_latest_week() {
    in_policy("target_week = 7", "target_week", "target_week (7) must not be after latest_week (6)");
    let lowered = ["[policies.x]", "based_on = \"rebild-trial\"", "latest_week = 8"];
    assert_rejected(&lowered, 3, "policies.x.latest_week", "(9) must not be after latest_week (8)");
    let both = ["[policies.x]", "based_on = \"baseline\"", "latest_week = 7", "target_week = 8"];
    assert_rejected(&both, 4, "policies.x.target_week", "must not be after");
}

#[test]
fn policy_references_are_checked() {
    assert_rejected(&["default_policy = \"basline\""], 1, "default_policy", "unknown policy `basline`");
    let municipality = ["[municipalities.840]", "name = \"Rebild\"", "policy = \"rebild\""];
    assert_rejected(&municipality, 3, "municipalities.840.policy", "known: baseline, rebild-jit, rebild-trial");
    assert_rejected(&["[policies.x]", "based_on = \"y\""], 2, "policies.x.based_on", "unknown policy `y`");
    let circle = ["[policies.a]", "based_on = \"b\"", "[policies.b]", "based_on = \"a\""];
    let error = rejected(&circle);
    assert!(error.message.contains("circle"), "{error}");
    assert!(error.field.ends_with(".based_on") && [2, 4].contains(&error.line), "{error}");
    let own = ["[policies.a]", "based_on = \"a\""];
    assert_rejected(&own, 2, "policies.a.based_on", "circle: a -> a");
}

#[test]
fn policy_names_are_checked() {
    let redefined = ["", "[policies.baseline]", "based_on = \"baseline\""];
    assert_rejected(&redefined, 2, "policies.baseline", "cannot be redefined");
    assert_rejected(&["[policies.Late]", "based_on = \"baseline\""], 1, "policies.Late", "lowercase");
}

#[test]
fn weekday_lists_are_checked() {
    in_rebild("meeting_weekdays = [\"mon\", \"fredag\"]", "meeting_weekdays[1]", "`fredag` is not a weekday");
    in_rebild("meeting_weekdays = []", "meeting_weekdays", "at least one weekday");
    in_policy("meeting_weekdays = []", "meeting_weekdays", "at least one weekday");
    in_policy("meeting_weekdays = [\"MON\", \"tues\"]", "meeting_weekdays[1]", "`tues`");
}

#[test]
fn summon_days_is_a_number_of_business_days_from_1_to_60_and_only_in_policies() {
    in_policy("summon_days = 0", "summon_days", "must be between 1 and 60");
    in_policy("summon_days = 61", "summon_days", "must be between 1 and 60");
    in_policy("summon_days = \"10\"", "summon_days", "invalid type");
    // A municipality picks a policy; it cannot set a policy parameter of its own.
    in_rebild("summon_days = 10", "summon_days", "unknown field");
}

#[test]
fn dates_are_checked() {
    for (extra, field, words) in [
        ("closed_days = [\"2026-12-31\", \"2026-02-30\"]", "closed_days[1]", "`2026-02-30` is not a valid date"),
        ("closed_days = [\"31-12-2026\"]", "closed_days[0]", "not a valid date"),
        ("closed_days = [\"2026-1-5\"]", "closed_days[0]", "not a valid date"),
        ("closed_days = [\"2026-13-01\"]", "closed_days[0]", "not a valid date"),
        ("closed_days = [20261231]", "closed_days[0]", "expected a date"),
        ("closed_days = [2026-12-31T10:00:00]", "closed_days[0]", "not a date"),
        // An impossible TOML date is a syntax error; the field is still found from the line.
        ("closed_days = [2026-02-30]", "closed_days", "invalid date"),
    ] {
        in_rebild(extra, field, words);
    }
    in_policy("closed_days = [\"2027-02-29\"]", "closed_days[0]", "not a valid date");
}

#[test]
fn municipality_codes_and_names_are_checked() {
    for (header, code) in
        [("[municipalities.84]", "84"), ("[municipalities.\"84a\"]", "84a"), ("[municipalities.0840]", "0840")]
    {
        let lines = ["default_policy = \"baseline\"", header, "name = \"x\"", "policy = \"baseline\""];
        assert_rejected(&lines, 2, &format!("municipalities.{code}"), "exactly 3 digits");
    }
    let blank = ["[municipalities.840]", "name = \" \"", "policy = \"baseline\""];
    assert_rejected(&blank, 2, "municipalities.840.name", "must not be empty");
}

#[test]
fn syntax_errors_are_located() {
    let unclosed = ["default_policy = \"baseline\"", "[municipalities.840]", "name = \"Rebild", "x = 1"];
    assert_rejected(&unclosed, 3, "municipalities.840.name", "");
    let table = ["[municipalities.840]", "name = \"Rebild\"", "policy = \"rebild-trial\""];
    let duplicate = [&table[..], &table[..1]].concat();
    assert_rejected(&duplicate, 4, "municipalities.840", "duplicate key");
}

#[test]
fn the_first_mistake_by_line_is_reported() {
    let lines = [
        "default_policy = \"nope\"",
        "[municipalities.851]",
        "name = \"Aalborg\"",
        "policy = \"nope\"",
        "[policies.a]",
        "based_on = \"baseline\"",
        "target_week = 0",
    ];
    assert_rejected(&lines, 1, "default_policy", "unknown policy");
    assert_rejected(&lines[1..], 3, "municipalities.851.policy", "unknown policy");
    assert_rejected(&lines[4..], 3, "policies.a.target_week", "between 1 and 104");
}
