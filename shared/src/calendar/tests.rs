//! The calendar's rules on known days, and its searches against day-by-day searches.

use super::*;
use chrono::Weekday::*;

fn date(text: &str) -> NaiveDate {
    text.parse().expect("test date")
}

#[test]
fn weekends_are_closed_by_default() {
    let calendar = Calendar::default();
    assert!(!calendar.is_business_day(date("2026-03-07")));
    assert!(!calendar.is_business_day(date("2026-03-08")));
    assert!(calendar.is_business_day(date("2026-03-09")));
    assert_eq!(calendar, Calendar::new(&[Mon, Tue, Wed, Thu, Fri], &[]));
}

#[test]
fn add_business_days_skips_the_weekend() {
    let calendar = Calendar::default();
    assert_eq!(calendar.add_business_days(date("2026-11-27"), 3).unwrap(), date("2026-12-02"));
    assert_eq!(calendar.add_business_days(date("2026-11-27"), 1).unwrap(), date("2026-11-30"));
}

#[test]
fn add_zero_business_days_is_the_same_day_even_when_closed() {
    let calendar = Calendar::default();
    for day in ["2026-11-27", "2026-11-28", "2026-12-25"] {
        assert_eq!(calendar.add_business_days(date(day), 0).unwrap(), date(day));
    }
}

#[test]
fn add_business_days_over_christmas_and_new_year() {
    // Tue 2026-12-22: Wed 23, (24-27 closed) Mon 28, Tue 29, Wed 30, Thu 31, (1-3 Jan) Mon 4 Jan.
    let calendar = Calendar::default();
    assert_eq!(calendar.add_business_days(date("2026-12-22"), 2).unwrap(), date("2026-12-28"));
    assert_eq!(calendar.add_business_days(date("2026-12-22"), 6).unwrap(), date("2027-01-04"));
}

#[test]
fn sub_business_days_mirrors_add_over_weekends_and_holidays() {
    let calendar = Calendar::default();
    assert_eq!(calendar.sub_business_days(date("2026-12-02"), 3).unwrap(), date("2026-11-27"));
    assert_eq!(calendar.sub_business_days(date("2026-12-02"), 0).unwrap(), date("2026-12-02"));
    // Over Christmas: 24, 25, 26 December and the weekend are skipped.
    assert_eq!(calendar.sub_business_days(date("2026-12-28"), 1).unwrap(), date("2026-12-23"));
    // Over Easter 2026: Easter Monday 6 April, Good Friday 3 April, Maundy Thursday 2 April.
    assert_eq!(calendar.sub_business_days(date("2026-04-07"), 1).unwrap(), date("2026-04-01"));
    for n in 0..30 {
        let day = date("2026-03-02");
        assert_eq!(calendar.sub_business_days(calendar.add_business_days(day, n).unwrap(), n).unwrap(), day);
    }
}

#[test]
fn first_business_day_over_easter_and_christmas() {
    let calendar = Calendar::default();
    assert_eq!(calendar.first_business_day_on_or_after(date("2026-04-02")).unwrap(), date("2026-04-07"));
    assert_eq!(calendar.first_business_day_on_or_after(date("2026-12-24")).unwrap(), date("2026-12-28"));
    assert_eq!(calendar.first_business_day_on_or_after(date("2026-04-07")).unwrap(), date("2026-04-07"));
}

#[test]
fn municipality_closed_days_are_honoured() {
    let calendar = Calendar::new(&[Mon, Tue, Wed, Thu, Fri], &[date("2026-12-31"), date("2026-12-30")]);
    assert!(!calendar.is_business_day(date("2026-12-30")));
    assert!(!calendar.is_business_day(date("2026-12-31")));
    assert_eq!(calendar.first_business_day_on_or_after(date("2026-12-29")).unwrap(), date("2026-12-29"));
    assert_eq!(calendar.add_business_days(date("2026-12-29"), 1).unwrap(), date("2027-01-04"));
    assert_eq!(calendar.closed_days(), &[date("2026-12-30"), date("2026-12-31")]);
}

#[test]
fn tuesday_and_thursday_only() {
    let calendar = Calendar::new(&[Thu, Tue, Tue], &[]);
    assert_eq!(calendar.weekdays().collect::<Vec<_>>(), [Tue, Thu]);
    assert!(!calendar.is_business_day(date("2026-03-09"))); // Monday
    assert!(calendar.is_business_day(date("2026-03-10"))); // Tuesday
    // Monday 2026-03-30: Tue 31 Mar, (Thu 2 Apr Maundy Thursday), Tue 7 Apr, Thu 9 Apr.
    assert_eq!(calendar.add_business_days(date("2026-03-30"), 1).unwrap(), date("2026-03-31"));
    assert_eq!(calendar.add_business_days(date("2026-03-30"), 2).unwrap(), date("2026-04-07"));
    assert_eq!(calendar.add_business_days(date("2026-03-30"), 3).unwrap(), date("2026-04-09"));
}

#[test]
fn weekend_meeting_days_still_skip_holidays() {
    let calendar = Calendar::new(&[Sat], &[]);
    assert!(calendar.is_business_day(date("2026-03-07")));
    assert!(!calendar.is_business_day(date("2026-12-26"))); // Boxing Day, a Saturday
    assert_eq!(calendar.first_business_day_on_or_after(date("2026-12-21")).unwrap(), date("2027-01-02"));
}

#[test]
fn with_closed_days_and_weekdays_compose() {
    let base = Calendar::new(&[Mon, Tue, Wed, Thu, Fri], &[date("2026-12-31")]);
    let more = base.with_closed_days(&[date("2026-12-30"), date("2026-12-31")]);
    assert_eq!(more.closed_days(), &[date("2026-12-30"), date("2026-12-31")]);
    let fewer_days = more.with_weekdays(&[Wed]);
    assert_eq!(fewer_days.weekdays().collect::<Vec<_>>(), [Wed]);
    assert_eq!(fewer_days.closed_days(), more.closed_days());
}

/// The searches as they were written before [`Walk`]: day by day over `is_business_day`.
fn add_slowly(calendar: &Calendar, day: NaiveDate, n: u32) -> Option<NaiveDate> {
    let (mut current, mut left) = (day, n);
    while left > 0 {
        current = current.succ_opt()?;
        left -= u32::from(calendar.is_business_day(current));
    }
    Some(current)
}

fn sub_slowly(calendar: &Calendar, day: NaiveDate, n: u32) -> Option<NaiveDate> {
    let (mut current, mut left) = (day, n);
    while left > 0 {
        current = current.pred_opt()?;
        left -= u32::from(calendar.is_business_day(current));
    }
    Some(current)
}

fn first_slowly(calendar: &Calendar, day: NaiveDate) -> Option<NaiveDate> {
    let mut current = day;
    while !calendar.is_business_day(current) {
        current = current.succ_opt()?;
    }
    Some(current)
}

#[test]
fn easter_looked_up_is_easter_computed() {
    for year in [-500, 1582, 1899, 1900, 1901, 2000, 2026, 2038, 2099, 2299, 2300, 9999] {
        let sunday = easter_sunday(year).unwrap();
        let day_of_march = if sunday.month() == 3 { sunday.day() } else { 31 + sunday.day() };
        assert_eq!(easter_day_of_march(year), day_of_march, "{year}");
    }
    for year in 1900..2300 {
        let (month, day) = easter_month_day(year);
        assert_eq!(easter_day_of_march(year), if month == 3 { day } else { 31 + day }, "{year}");
    }
    assert_eq!(easter_sunday(2026), Some(date("2026-04-05")));
}

fn calendars() -> Vec<Calendar> {
    vec![
        Calendar::default(),
        Calendar::new(&[Tue, Thu], &[date("2026-12-29"), date("2027-01-05"), date("2000-02-29")]),
        Calendar::new(&[Sat, Sun], &[]),
        Calendar::new(&[Mon], &[date("2024-01-01"), date("2024-01-08")]),
    ]
}

#[test]
fn a_walk_sees_every_day_as_the_calendar_does() {
    // Every day from 1896 to 2104: leap years, 1900 and 2100 (not leap), 2000 (leap), every
    // Easter and Great Prayer Day's last year.
    for calendar in &calendars()[..2] {
        let mut walk = Walk::from(date("1896-01-01"));
        let mut day = date("1896-01-01");
        while day < date("2105-01-01") {
            assert_eq!(walk.date(), day);
            assert_eq!(walk.is_public_holiday(), is_public_holiday(day), "{day}");
            assert_eq!(walk.is_business_day(calendar), calendar.is_business_day(day), "{day}");
            walk.succ().unwrap();
            day = day.succ_opt().unwrap();
        }
        while day > date("1896-01-01") {
            walk.pred().unwrap();
            day = day.pred_opt().unwrap();
            assert_eq!((walk.date(), walk.weekday), (day, day.weekday().num_days_from_monday()));
        }
    }
}

#[test]
fn the_searches_give_what_day_by_day_searches_give() {
    for calendar in calendars() {
        let mut day = date("1999-01-01");
        while day < date("2101-01-01") {
            for n in [0, 1, 2, 3, 5, 10, 23] {
                assert_eq!(calendar.add_business_days(day, n), add_slowly(&calendar, day, n), "{day} + {n}");
                assert_eq!(calendar.sub_business_days(day, n), sub_slowly(&calendar, day, n), "{day} - {n}");
            }
            assert_eq!(calendar.first_business_day_on_or_after(day), first_slowly(&calendar, day), "{day}");
            day = day + chrono::Days::new(5);
        }
    }
}

#[test]
fn the_searches_end_at_chronos_first_and_last_dates() {
    let calendar = Calendar::default();
    for n in [0, 1, 5] {
        assert_eq!(calendar.add_business_days(NaiveDate::MAX, n), add_slowly(&calendar, NaiveDate::MAX, n));
        assert_eq!(calendar.sub_business_days(NaiveDate::MIN, n), sub_slowly(&calendar, NaiveDate::MIN, n));
        let near_end = NaiveDate::MAX - chrono::Days::new(3);
        assert_eq!(calendar.add_business_days(near_end, n), add_slowly(&calendar, near_end, n));
        let near_start = NaiveDate::MIN + chrono::Days::new(3);
        assert_eq!(calendar.sub_business_days(near_start, n), sub_slowly(&calendar, near_start, n));
    }
    assert_eq!(calendar.add_business_days(NaiveDate::MAX, 1), None);
    assert_eq!(calendar.sub_business_days(NaiveDate::MIN, 1), None);
}

#[test]
#[should_panic(expected = "at least one meeting weekday")]
fn empty_weekday_list_is_refused() {
    let _ = Calendar::new(&[], &[]);
}
