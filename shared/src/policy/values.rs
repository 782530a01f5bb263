//! Checking the values of a policy file: numbers in range, weekday names and dates.
//!
//! These checks are shared by `[policies.NAME]` and `[municipalities.CODE]` tables. Each reports a
//! wrong value to the [`Diagnostics`] with its own field path (down to the list index) and leaves
//! it out, so that one pass finds every mistake in the file.

use std::ops::RangeInclusive;

use chrono::{NaiveDate, Weekday};
use toml::{Spanned, Value};

use super::diagnostics::Diagnostics;
use crate::calendar::Calendar;

/// Validated changes a policy or municipality table makes to the calendar it starts from.
pub(super) struct CalendarEdit {
    /// Replaces the meeting weekdays when given.
    weekdays: Option<Vec<Weekday>>,
    /// Added to the closed days.
    closed_days: Vec<NaiveDate>,
}

impl CalendarEdit {
    /// `calendar` with this edit applied.
    pub(super) fn apply(&self, calendar: &Calendar) -> Calendar {
        let calendar = match &self.weekdays {
            Some(weekdays) => calendar.with_weekdays(weekdays),
            None => calendar.clone(),
        };
        if self.closed_days.is_empty() { calendar } else { calendar.with_closed_days(&self.closed_days) }
    }
}

/// The value of a number field when given and within `range`; reported when out of range.
pub(super) fn number(
    diagnostics: &mut Diagnostics<'_>,
    prefix: &str,
    key: &str,
    value: Option<&Spanned<i64>>,
    range: RangeInclusive<i64>,
) -> Option<u32> {
    let value = value?;
    if range.contains(value.get_ref()) {
        return u32::try_from(*value.get_ref()).ok();
    }
    let message = format!("must be between {} and {}", range.start(), range.end());
    diagnostics.report(value.span(), format!("{prefix}.{key}"), message);
    None
}

/// Checks `meeting_weekdays` and `closed_days`; wrong entries are reported and left out.
pub(super) fn calendar_edit(
    diagnostics: &mut Diagnostics<'_>,
    prefix: &str,
    weekdays: Option<&Spanned<Vec<Spanned<String>>>>,
    closed_days: Option<&[Spanned<Value>]>,
) -> CalendarEdit {
    let weekdays = weekdays.map(|list| {
        if list.get_ref().is_empty() {
            diagnostics.report(list.span(), format!("{prefix}.meeting_weekdays"), "needs at least one weekday");
        }
        let mut days = Vec::new();
        for (index, entry) in list.get_ref().iter().enumerate() {
            match parse_weekday(entry.get_ref()) {
                Some(day) => days.push(day),
                None => diagnostics.report(
                    entry.span(),
                    format!("{prefix}.meeting_weekdays[{index}]"),
                    format!("`{}` is not a weekday; use mon, tue, wed, thu, fri, sat or sun", entry.get_ref()),
                ),
            }
        }
        // An empty list was reported above; keep the calendar constructible meanwhile.
        if days.is_empty() { vec![Weekday::Mon] } else { days }
    });
    let mut dates = Vec::new();
    for (index, entry) in closed_days.unwrap_or_default().iter().enumerate() {
        match parse_date(entry.get_ref()) {
            Ok(date) => dates.push(date),
            Err(message) => diagnostics.report(entry.span(), format!("{prefix}.closed_days[{index}]"), message),
        }
    }
    CalendarEdit { weekdays, closed_days: dates }
}

/// Policy names: lowercase ASCII letters, digits and `-`, not empty.
pub(super) fn is_policy_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}

/// `mon` .. `sun` or the full English name, in any case.
fn parse_weekday(text: &str) -> Option<Weekday> {
    use Weekday::*;
    const NAMES: [(&str, &str, Weekday); 7] = [
        ("mon", "monday", Mon),
        ("tue", "tuesday", Tue),
        ("wed", "wednesday", Wed),
        ("thu", "thursday", Thu),
        ("fri", "friday", Fri),
        ("sat", "saturday", Sat),
        ("sun", "sunday", Sun),
    ];
    let found =
        NAMES.iter().find(|(short, long, _)| text.eq_ignore_ascii_case(short) || text.eq_ignore_ascii_case(long));
    found.map(|&(_, _, day)| day)
}

/// A closed day: a TOML local date (`2026-12-31`) or a string in the same `YYYY-MM-DD` form.
fn parse_date(value: &Value) -> Result<NaiveDate, String> {
    let invalid = |text: &str| format!("`{text}` is not a valid date; write YYYY-MM-DD, e.g. 2026-12-31");
    match value {
        Value::String(text) => {
            let shape_ok = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
            let date = shape_ok.then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()).flatten();
            date.ok_or_else(|| invalid(text))
        }
        Value::Datetime(datetime) => match (datetime.date, datetime.time, datetime.offset) {
            (Some(date), None, None) => NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())
                .ok_or_else(|| invalid(&datetime.to_string())),
            _ => Err(format!("`{datetime}` is not a date; write YYYY-MM-DD, e.g. 2026-12-31")),
        },
        other => Err(format!("expected a date like 2026-12-31, found {}", other.type_str())),
    }
}
