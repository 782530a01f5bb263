//! Integration tests for the calendar (rule R2) and the policy book (rule R3), through the public
//! API only: the checks `docs/rules.md` states (R2), the checked-in policy file, and properties
//! of the business-day arithmetic that must hold for any day and count.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use proptest::prelude::*;
use samspil::calendar::{Calendar, easter_sunday, is_public_holiday};
use samspil::policy::{Policy, PolicyBook};

fn date(text: &str) -> NaiveDate {
    text.parse().expect("test date")
}

#[test]
fn rules_md_r2_checks() {
    let calendar = Calendar::default();
    assert_eq!(easter_sunday(2026).unwrap(), date("2026-04-05"));
    assert_eq!(easter_sunday(2027).unwrap(), date("2027-03-28"));
    assert!(is_public_holiday(date("2026-05-14")), "Ascension Day 2026");
    assert!(is_public_holiday(date("2026-05-25")), "Whit Monday 2026");
    assert_eq!(calendar.add_business_days(date("2026-11-27"), 3).unwrap(), date("2026-12-02"));
}

#[test]
fn easter_matches_published_tables() {
    for (year, expected) in [
        (1818, "1818-03-22"),
        (1943, "1943-04-25"),
        (2000, "2000-04-23"),
        (2019, "2019-04-21"),
        (2023, "2023-04-09"),
        (2024, "2024-03-31"),
        (2025, "2025-04-20"),
        (2026, "2026-04-05"),
        (2027, "2027-03-28"),
        (2038, "2038-04-25"),
        (2285, "2285-03-22"),
    ] {
        assert_eq!(easter_sunday(year).unwrap(), date(expected), "Easter {year}");
    }
}

#[test]
fn easter_is_always_a_sunday_between_22_march_and_25_april() {
    for year in 1583..=4099 {
        let easter = easter_sunday(year).unwrap();
        assert_eq!(easter.weekday(), Weekday::Sun, "Easter {year}");
        let earliest = NaiveDate::from_ymd_opt(year, 3, 22).unwrap();
        let latest = NaiveDate::from_ymd_opt(year, 4, 25).unwrap();
        assert!((earliest..=latest).contains(&easter), "Easter {year} is {easter}");
    }
}

#[test]
fn easter_holidays_2026() {
    for closed in ["2026-04-02", "2026-04-03", "2026-04-06", "2026-05-14", "2026-05-25"] {
        assert!(is_public_holiday(date(closed)), "{closed} should be a holiday");
    }
    // The days around them are ordinary.
    for open in ["2026-04-01", "2026-04-07", "2026-05-13", "2026-05-15", "2026-05-26"] {
        assert!(!is_public_holiday(date(open)), "{open} should not be a holiday");
    }
}

#[test]
fn great_prayer_day_only_up_to_2023() {
    assert!(is_public_holiday(date("2023-05-05")));
    assert!(!Calendar::default().is_business_day(date("2023-05-05")));
    let friday_2024 = date("2024-04-26");
    assert_eq!(friday_2024.weekday(), Weekday::Fri);
    assert!(!is_public_holiday(friday_2024));
    assert!(Calendar::default().is_business_day(friday_2024));
}

#[test]
fn fixed_closed_days_even_on_weekdays() {
    let calendar = Calendar::default();
    // 5 June 2026 is a Friday, 24-26 December 2025 Wednesday to Friday, 1 January 2026 a Thursday.
    for closed in ["2026-06-05", "2025-12-24", "2025-12-25", "2025-12-26", "2026-01-01"] {
        assert!(date(closed).weekday().num_days_from_monday() < 5, "{closed} is a weekday");
        assert!(!calendar.is_business_day(date(closed)), "{closed} should be closed");
    }
    for open in ["2026-06-04", "2026-06-08", "2025-12-23", "2025-12-29", "2026-01-02"] {
        assert!(calendar.is_business_day(date(open)), "{open} should be open");
    }
}

#[test]
fn danish_closed_weekdays_of_2026() {
    // Every Monday-Friday of 2026 that the default calendar refuses, by hand from the holiday list.
    let expected: Vec<NaiveDate> = [
        "2026-01-01", // New Year's Day (Thu)
        "2026-04-02", // Maundy Thursday
        "2026-04-03", // Good Friday
        "2026-04-06", // Easter Monday
        "2026-05-14", // Ascension Day
        "2026-05-25", // Whit Monday
        "2026-06-05", // Constitution Day (Fri)
        "2026-12-24", // Christmas Eve (Thu)
        "2026-12-25", // Christmas Day (Fri)
    ]
    .into_iter()
    .map(date)
    .collect();
    let calendar = Calendar::default();
    let closed: Vec<NaiveDate> = date("2026-01-01")
        .iter_days()
        .take_while(|day| day.year() == 2026)
        .filter(|day| day.weekday().num_days_from_monday() < 5 && !calendar.is_business_day(*day))
        .collect();
    assert_eq!(closed, expected);
}

#[test]
fn repository_policies_schedule_on_their_calendars() {
    let book = PolicyBook::repository();
    let rebild = book.for_municipality("840").expect("Rebild is listed");
    assert_eq!((rebild.target_week, rebild.latest_week, rebild.cv_prep_days), (9, 10, 5));
    let unknown = book.for_municipality("999").expect("default policy");
    assert_eq!(unknown.name, Policy::BASELINE);
    assert_eq!(unknown.calendar.first_business_day_on_or_after(date("2026-04-02")).unwrap(), date("2026-04-07"));
}

#[test]
fn municipality_closed_days_from_a_file() {
    let text = r#"
default_policy = "baseline"

[municipalities.787]
name = "Thisted"
policy = "baseline"
closed_days = [2026-12-28, "2026-12-29"]
"#;
    let book = PolicyBook::from_toml(text, "policies.toml").expect("valid file");
    let thisted = &book.for_municipality("787").unwrap().calendar;
    // Wed 2026-12-23: 24-27 national, 28-29 Thisted's own, so Wed 30 comes next.
    assert_eq!(thisted.add_business_days(date("2026-12-23"), 1).unwrap(), date("2026-12-30"));
    let other = &book.for_municipality("851").unwrap().calendar;
    assert_eq!(other.add_business_days(date("2026-12-23"), 1).unwrap(), date("2026-12-28"));
}

/// Any day from 1900 to 2199.
fn any_day() -> impl Strategy<Value = NaiveDate> {
    (0u64..109_500).prop_map(|offset| date("1900-01-01") + Days::new(offset))
}

/// A calendar with a non-empty weekday set and up to a few closed days near 2026.
fn any_calendar() -> impl Strategy<Value = Calendar> {
    let weekdays = (1u8..128).prop_map(|mask| {
        (0..7u8).filter(|bit| mask & (1 << bit) != 0).map(|bit| Weekday::try_from(bit).unwrap()).collect::<Vec<_>>()
    });
    let closed = proptest::collection::vec((0u64..800).prop_map(|offset| date("2025-06-01") + Days::new(offset)), 0..8);
    (weekdays, closed).prop_map(|(weekdays, closed)| Calendar::new(&weekdays, &closed))
}

proptest! {
    #[test]
    fn add_business_days_lands_on_the_nth_business_day(calendar in any_calendar(), day in any_day(), n in 0u32..30) {
        let result = calendar.add_business_days(day, n).unwrap();
        let between = day.iter_days().skip(1).take_while(|d| *d <= result).filter(|d| calendar.is_business_day(*d)).count();
        prop_assert_eq!(between as u32, n);
        if n > 0 {
            prop_assert!(result > day);
            prop_assert!(calendar.is_business_day(result));
        } else {
            prop_assert_eq!(result, day);
        }
    }

    #[test]
    fn add_business_days_composes(calendar in any_calendar(), day in any_day(), a in 0u32..15, b in 0u32..15) {
        let stepwise = calendar.add_business_days(calendar.add_business_days(day, a).unwrap(), b).unwrap();
        prop_assert_eq!(calendar.add_business_days(day, a + b).unwrap(), stepwise);
    }

    #[test]
    fn first_business_day_is_the_earliest_on_or_after(calendar in any_calendar(), day in any_day()) {
        let first = calendar.first_business_day_on_or_after(day).unwrap();
        prop_assert!(first >= day && calendar.is_business_day(first));
        prop_assert!(day.iter_days().take_while(|d| *d < first).all(|d| !calendar.is_business_day(d)));
    }

    #[test]
    fn default_calendar_is_weekdays_minus_national_closed_days(day in any_day()) {
        let weekday = day.weekday().num_days_from_monday() < 5;
        prop_assert_eq!(Calendar::default().is_business_day(day), weekday && !is_public_holiday(day));
    }

    #[test]
    fn easter_holidays_keep_their_weekdays(year in 1583i32..5000) {
        let easter = easter_sunday(year).unwrap();
        prop_assert_eq!(easter.weekday(), Weekday::Sun);
        for (offset, weekday) in [(-3i64, Weekday::Thu), (-2, Weekday::Fri), (1, Weekday::Mon), (39, Weekday::Thu), (50, Weekday::Mon)] {
            let holiday = easter + chrono::Duration::days(offset);
            prop_assert_eq!(holiday.weekday(), weekday);
            prop_assert!(is_public_holiday(holiday), "{} should be a holiday", holiday);
        }
    }
}
