//! Unit tests of the policy book: built-ins, the checked-in file, lookups and valid files.

use chrono::NaiveDate;
use chrono::Weekday::*;

use super::*;

fn date(text: &str) -> NaiveDate {
    text.parse().expect("test date")
}

/// A policy file from numbered lines: `lines[0]` is line 1.
fn file(lines: &[&str]) -> String {
    lines.join("\n") + "\n"
}

#[test]
fn builtin_policies_match_rule_r3() {
    let baseline = Policy::baseline();
    assert_eq!((baseline.name.as_str(), baseline.target_week, baseline.latest_week), ("baseline", 5, 6));
    assert_eq!((baseline.cv_prep_days, baseline.notice_days, baseline.cancel_horizon_days), (3, 5, 42));
    assert_eq!(baseline.form, MeetingForm::InPerson);
    assert_eq!(baseline.calendar, Calendar::new(&[Mon, Tue, Wed, Thu, Fri], &[]));
    let trial = Policy::rebild_trial();
    assert_eq!((trial.name.as_str(), trial.target_week, trial.latest_week), ("rebild-trial", 9, 10));
    assert_eq!((trial.cv_prep_days, trial.notice_days, trial.cancel_horizon_days), (5, 5, 42));
    assert_eq!((trial.form, &trial.calendar), (MeetingForm::InPerson, &Calendar::default()));
    assert_eq!((baseline.summon_days, trial.summon_days), (None, None));
    let jit = Policy::rebild_jit();
    assert_eq!((jit.name.as_str(), jit.summon_days), ("rebild-jit", Some(10)));
    assert_eq!(Policy { name: trial.name.clone(), summon_days: None, ..jit }, trial, "otherwise the trial");
}

#[test]
fn summon_days_is_inherited_through_based_on_and_can_be_set_on_any_policy() {
    let text = "default_policy = \"short\"\n\
                [policies.short]\nbased_on = \"rebild-jit\"\nsummon_days = 3\n\
                [policies.later]\nbased_on = \"short\"\ntarget_week = 10\nlatest_week = 11\n\
                [policies.baseline-jit]\nbased_on = \"baseline\"\nsummon_days = 7\n\
                [municipalities.840]\nname = \"Rebild\"\npolicy = \"rebild-jit\"\n";
    let book = PolicyBook::from_toml(text, "test").unwrap();
    assert_eq!(book.policy("short").unwrap().summon_days, Some(3));
    assert_eq!(book.policy("later").unwrap().summon_days, Some(3));
    assert_eq!(book.policy("baseline-jit").unwrap().summon_days, Some(7));
    assert_eq!(book.for_municipality("840").unwrap().summon_days, Some(10));
    assert_eq!(book.for_municipality("999").unwrap().name, "short");
    assert_eq!(book.policy("rebild-jit"), Some(&Policy::rebild_jit()), "built in");
}

#[test]
fn builtin_book_has_rebild_on_the_trial_and_baseline_elsewhere() {
    let book = PolicyBook::builtin();
    assert_eq!(book.for_municipality("840"), Some(&Policy::rebild_trial()));
    assert_eq!(book.for_municipality("851"), Some(&Policy::baseline()));
    assert_eq!(book.default_policy(), Some(&Policy::baseline()));
}

/// The checked-in file as the `toml` crate alone reads it: `default_policy`, and per listed
/// municipality its code and table.
fn repository_file() -> (Option<String>, toml::Table) {
    let file: toml::Table = PolicyBook::REPOSITORY_TOML.parse().expect("infra/policies.toml is TOML");
    let default = file.get("default_policy").and_then(|v| v.as_str()).map(str::to_owned);
    let listed = file.get("municipalities").and_then(|v| v.as_table()).cloned().unwrap_or_default();
    (default, listed)
}

#[test]
fn repository_file_loads_with_the_municipalities_it_lists() {
    let book = PolicyBook::repository();
    let (default, listed) = repository_file();
    assert!(!listed.is_empty(), "infra/policies.toml lists municipalities");
    for (code, table) in &listed {
        let table = table.as_table().unwrap_or_else(|| panic!("municipalities.{code} is a table"));
        let field = |key: &str| table.get(key).and_then(|v| v.as_str()).unwrap_or_default();
        let municipality = book.municipality(code).unwrap_or_else(|| panic!("municipality {code} is in the book"));
        assert_eq!((municipality.name.as_str(), municipality.policy.name.as_str()), (field("name"), field("policy")));
        let own_calendar = table.contains_key("meeting_weekdays") || table.contains_key("closed_days");
        if let (Some(builtin), false) = (Policy::builtin(field("policy")), own_calendar) {
            assert_eq!(municipality.policy, builtin, "municipality {code} has the built-in {}", builtin.name);
        }
    }
    let codes: Vec<&str> = book.municipalities().iter().map(|m| m.code.as_str()).collect();
    let mut in_file: Vec<&str> = listed.keys().map(String::as_str).collect();
    in_file.sort_unstable();
    assert_eq!(codes, in_file, "the book lists exactly the file's municipalities");
    // A code the file does not list gets the default policy, and is no listed municipality.
    let unlisted = (0..1000).map(|n| format!("{n:03}")).find(|c| !listed.contains_key(c)).expect("a free code");
    assert_eq!(book.for_municipality(&unlisted).map(|p| p.name.as_str()), default.as_deref());
    assert!(book.municipality(&unlisted).is_none());
}

#[test]
fn without_default_unknown_municipalities_get_none() {
    let book = PolicyBook::from_toml(
        &file(&["[municipalities.840]", "name = \"Rebild\"", "policy = \"rebild-trial\""]),
        "policies.toml",
    )
    .unwrap();
    assert!(book.default_policy().is_none());
    assert_eq!(book.for_municipality("999"), None);
    assert_eq!(book.for_municipality("840"), Some(&Policy::rebild_trial()));
}

#[test]
fn empty_file_is_an_empty_book() {
    let book = PolicyBook::from_toml("", "policies.toml").unwrap();
    assert_eq!(book.for_municipality("840"), None);
    assert_eq!(book.policy("baseline"), Some(&Policy::baseline()));
}

#[test]
fn municipality_closed_days_and_weekdays_go_into_its_calendar_only() {
    let text = file(&[
        "default_policy = \"baseline\"",
        "[municipalities.851]",
        "name = \"Aalborg\"",
        "policy = \"baseline\"",
        "closed_days = [\"2026-12-31\", 2026-12-30]",
        "meeting_weekdays = [\"tue\", \"Thursday\"]",
    ]);
    let book = PolicyBook::from_toml(&text, "policies.toml").unwrap();
    let aalborg = book.for_municipality("851").unwrap();
    assert_eq!(aalborg.name, "baseline");
    assert_eq!(aalborg.calendar, Calendar::new(&[Tue, Thu], &[date("2026-12-30"), date("2026-12-31")]));
    // Tuesday 2026-12-29 plus one business day skips Wed (weekday), Thu 31 (closed) and Tue 5 Jan is next.
    assert_eq!(aalborg.calendar.add_business_days(date("2026-12-29"), 1).unwrap(), date("2027-01-05"));
    assert_eq!(book.for_municipality("999"), Some(&Policy::baseline()));
}

#[test]
fn named_policies_build_on_each_other() {
    let text = file(&[
        "default_policy = \"late-video\"",
        "[policies.late-video]",
        "based_on = \"late\"",
        "form = \"video\"",
        "closed_days = [\"2026-07-01\"]",
        "[policies.late]",
        "based_on = \"rebild-trial\"",
        "latest_week = 12",
        "notice_days = 0",
        "closed_days = [\"2026-06-30\"]",
        "[municipalities.851]",
        "name = \"Aalborg\"",
        "policy = \"late\"",
    ]);
    let book = PolicyBook::from_toml(&text, "policies.toml").unwrap();
    let late = book.policy("late").unwrap();
    assert_eq!((late.name.as_str(), late.target_week, late.latest_week, late.notice_days), ("late", 9, 12, 0));
    assert_eq!(late.cv_prep_days, 5);
    let default = book.default_policy().unwrap();
    assert_eq!((default.name.as_str(), default.form, default.latest_week), ("late-video", MeetingForm::Video, 12));
    assert_eq!(default.calendar.closed_days(), &[date("2026-06-30"), date("2026-07-01")]);
    assert_eq!(book.for_municipality("851"), Some(late));
}

#[test]
fn load_reads_a_file_and_names_it_in_errors() {
    let dir = std::env::temp_dir().join(format!("samspil-policy-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, PolicyBook::REPOSITORY_TOML).unwrap();
    assert_eq!(PolicyBook::load(&good).unwrap().for_municipality("840"), Some(&Policy::rebild_trial()));
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "\ndefault_policy = \"x\"\n").unwrap();
    let error = PolicyBook::load(&bad).unwrap_err();
    assert_eq!((error.file, error.line), (bad.display().to_string(), 2));
    let missing = PolicyBook::load(&dir.join("missing.toml")).unwrap_err();
    assert_eq!((missing.line, missing.field.as_str()), (0, ""));
    assert!(missing.to_string().contains("cannot read"), "{missing}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_example_in_docs_policies_md_is_valid() {
    let doc = include_str!("../../../docs/policies.md");
    let example = doc
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/policies.md has a ```toml example");
    let book = PolicyBook::from_toml(example, "docs/policies.md").unwrap();
    let aalborg = book.for_municipality("851").unwrap();
    assert_eq!((aalborg.name.as_str(), aalborg.target_week), ("aalborg-2027", 6));
    assert_eq!(aalborg.calendar, Calendar::new(&[Mon, Tue, Wed, Thu], &[date("2026-12-31"), date("2027-05-07")]));
    assert_eq!(book.for_municipality("840"), Some(&Policy::rebild_trial()));
}
