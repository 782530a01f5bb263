//! Reading and validating the TOML policy file (format in `docs/policies.md`).
//!
//! Parsing happens in two passes. First serde reads the text into the `Raw*` structs below, which
//! reject unknown keys and wrong types and keep every value's byte span (`toml::Spanned`);
//! `serde_path_to_error` supplies the field path of a serde error. Then the semantic checks (ranges,
//! names, dates, references between policies) run over the raw structs and record each mistake at
//! its span. All mistakes are collected and the first one by line is returned, so the reported
//! error does not depend on hash or key order. Byte offsets become 1-based line numbers only when
//! an error is built.

use std::collections::{BTreeMap, HashMap};
use std::ops::{Range, RangeInclusive};

use chrono::{NaiveDate, Weekday};
use serde::Deserialize;
use toml::{Spanned, Value};

use super::{Municipality, Policy, PolicyBook, PolicyError, builtin_policies};
use crate::calendar::Calendar;
use crate::contract::MeetingForm;

/// Allowed `target_week` and `latest_week`: up to two years of cumulative unemployment.
const WEEKS: RangeInclusive<i64> = 1..=104;
/// Allowed `cv_prep_days` and `notice_days`.
const BUSINESS_DAYS: RangeInclusive<i64> = 0..=60;
/// Allowed `cancel_horizon_days`.
const HORIZON_DAYS: RangeInclusive<i64> = 0..=365;

/// The whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    default_policy: Option<Spanned<String>>,
    #[serde(default)]
    policies: BTreeMap<String, Spanned<RawPolicy>>,
    #[serde(default)]
    municipalities: BTreeMap<String, Spanned<RawMunicipality>>,
}

/// `[policies.NAME]`: a named policy, built on another one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    based_on: Spanned<String>,
    target_week: Option<Spanned<i64>>,
    latest_week: Option<Spanned<i64>>,
    cv_prep_days: Option<Spanned<i64>>,
    notice_days: Option<Spanned<i64>>,
    cancel_horizon_days: Option<Spanned<i64>>,
    form: Option<MeetingForm>,
    meeting_weekdays: Option<Spanned<Vec<Spanned<String>>>>,
    closed_days: Option<Vec<Spanned<Value>>>,
}

/// `[municipalities.CODE]`: which policy a municipality uses, and its own calendar changes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMunicipality {
    name: Spanned<String>,
    policy: Spanned<String>,
    meeting_weekdays: Option<Spanned<Vec<Spanned<String>>>>,
    closed_days: Option<Vec<Spanned<Value>>>,
}

/// Parses and validates a policy file; see [`PolicyBook::from_toml`].
pub(super) fn parse(text: &str, origin: &str) -> Result<PolicyBook, PolicyError> {
    let mut checker = Checker { text, origin, errors: Vec::new() };
    let deserializer = toml::de::Deserializer::parse(text).map_err(|error| {
        let span = error.span().unwrap_or(0..0);
        checker.error(span.clone(), guess_field(text, span.start), error.message())
    })?;
    let raw: RawFile = serde_path_to_error::deserialize(deserializer)
        .map_err(|error| checker.serde_error(error))?;
    let book = checker.build(&raw);
    checker.finish(book)
}

/// Validated changes a policy or municipality table makes to the calendar it starts from.
struct CalendarEdit {
    /// Replaces the meeting weekdays when given.
    weekdays: Option<Vec<Weekday>>,
    /// Added to the closed days.
    closed_days: Vec<NaiveDate>,
}

impl CalendarEdit {
    fn apply(&self, calendar: &Calendar) -> Calendar {
        let calendar = match &self.weekdays {
            Some(weekdays) => calendar.with_weekdays(weekdays),
            None => calendar.clone(),
        };
        if self.closed_days.is_empty() { calendar } else { calendar.with_closed_days(&self.closed_days) }
    }
}

/// Collects mistakes while building the book.
struct Checker<'a> {
    text: &'a str,
    origin: &'a str,
    errors: Vec<PolicyError>,
}

impl Checker<'_> {
    /// An error at byte `span` of the file.
    fn error(&self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) -> PolicyError {
        let end = span.start.min(self.text.len());
        let line = self.text.as_bytes()[..end].iter().filter(|&&byte| byte == b'\n').count() + 1;
        PolicyError { file: self.origin.to_owned(), line, field: field.into(), message: message.into() }
    }

    fn report(&mut self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) {
        let error = self.error(span, field, message);
        self.errors.push(error);
    }

    /// The first mistake by line, or `value` when there was none.
    fn finish<T>(self, value: T) -> Result<T, PolicyError> {
        match self.errors.into_iter().min_by_key(|error| error.line) {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }

    /// Turns a serde error (unknown key, wrong type, missing field) into a located error.
    fn serde_error(&self, error: serde_path_to_error::Error<toml::de::Error>) -> PolicyError {
        let mut field = String::new();
        for segment in error.path().iter() {
            match segment {
                // `Spanned` is a struct with private field names; they are not the user's fields.
                serde_path_to_error::Segment::Map { key } if key.starts_with("$__serde_spanned") => {}
                serde_path_to_error::Segment::Map { key } => push_key(&mut field, key),
                serde_path_to_error::Segment::Enum { variant } => push_key(&mut field, variant),
                serde_path_to_error::Segment::Seq { index } => field.push_str(&format!("[{index}]")),
                serde_path_to_error::Segment::Unknown => push_key(&mut field, "?"),
            }
        }
        let inner = error.into_inner();
        let message = inner.message().to_owned();
        if let Some(missing) = message.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`')) {
            push_key(&mut field, missing);
        }
        self.error(inner.span().unwrap_or(0..0), field, message)
    }

    /// Runs every semantic check and builds the book from what is valid.
    fn build(&mut self, raw: &RawFile) -> PolicyBook {
        let mut policies = builtin_policies();
        let mut resolved: HashMap<String, Option<Policy>> = HashMap::new();
        for (name, table) in &raw.policies {
            if !is_policy_name(name) {
                self.report(table.span(), format!("policies.{name}"), "a policy name must be lowercase letters, digits and '-'");
            } else if Policy::builtin(name).is_some() {
                self.report(table.span(), format!("policies.{name}"), "built-in policy cannot be redefined; define a new name with `based_on`");
            } else {
                self.resolve(name, raw, &mut resolved, &mut Vec::new());
            }
        }
        policies.extend(resolved.into_iter().filter_map(|(name, policy)| Some((name, policy?))));

        let default = raw.default_policy.as_ref().and_then(|name| self.lookup(&policies, name, "default_policy"));

        let mut municipalities = HashMap::new();
        for (code, table) in &raw.municipalities {
            let prefix = format!("municipalities.{code}");
            if code.len() != 3 || !code.bytes().all(|byte| byte.is_ascii_digit()) {
                self.report(table.span(), &prefix, "a municipality code must be exactly 3 digits");
            }
            let table = table.get_ref();
            let name = table.name.get_ref().trim();
            if name.is_empty() {
                self.report(table.name.span(), format!("{prefix}.name"), "must not be empty");
            }
            let edit = self.calendar_edit(&prefix, table.meeting_weekdays.as_ref(), table.closed_days.as_deref());
            if let Some(mut policy) = self.lookup(&policies, &table.policy, &format!("{prefix}.policy")) {
                policy.calendar = edit.apply(&policy.calendar);
                let entry = Municipality { code: code.clone(), name: name.to_owned(), policy };
                municipalities.insert(code.clone(), entry);
            }
        }
        PolicyBook { default, municipalities, policies }
    }

    /// A copy of the policy a reference (`policy`, `default_policy`) names, or a reported mistake.
    fn lookup(&mut self, policies: &BTreeMap<String, Policy>, name: &Spanned<String>, field: &str) -> Option<Policy> {
        if let Some(policy) = policies.get(name.get_ref()) {
            return Some(policy.clone());
        }
        let known: Vec<&str> = policies.keys().map(String::as_str).collect();
        let message = format!("unknown policy `{}`; known: {}", name.get_ref(), known.join(", "));
        self.report(name.span(), field, message);
        None
    }

    /// Resolves the file's policy `name` (after its `based_on` chain), memoised in `resolved`;
    /// `None` when it or a policy it builds on is invalid (the mistake is reported once).
    fn resolve(
        &mut self,
        name: &str,
        raw: &RawFile,
        resolved: &mut HashMap<String, Option<Policy>>,
        visiting: &mut Vec<String>,
    ) -> Option<Policy> {
        if let Some(done) = resolved.get(name) {
            return done.clone();
        }
        let table = raw.policies.get(name)?.get_ref();
        let prefix = format!("policies.{name}");
        let base_name = table.based_on.get_ref();
        visiting.push(name.to_owned());
        let base = if let Some(builtin) = Policy::builtin(base_name) {
            Some(builtin)
        } else if visiting.iter().any(|seen| seen == base_name) {
            let chain = format!("{} -> {base_name}", visiting.join(" -> "));
            self.report(table.based_on.span(), format!("{prefix}.based_on"), format!("policies build on each other in a circle: {chain}"));
            None
        } else if raw.policies.contains_key(base_name) {
            self.resolve(base_name, raw, resolved, visiting)
        } else {
            let mut known: Vec<&str> = vec![Policy::BASELINE, Policy::REBILD_TRIAL];
            known.extend(raw.policies.keys().map(String::as_str).filter(|other| *other != name));
            let message = format!("unknown policy `{base_name}`; known: {}", known.join(", "));
            self.report(table.based_on.span(), format!("{prefix}.based_on"), message);
            None
        };
        visiting.pop();
        let edited = self.apply_overrides(name, table, base);
        resolved.insert(name.to_owned(), edited.clone());
        edited
    }

    /// `base` with the table's own values, each range-checked, renamed to `name`; `None` when
    /// `base` is `None` or a value is wrong (and reported).
    fn apply_overrides(&mut self, name: &str, table: &RawPolicy, base: Option<Policy>) -> Option<Policy> {
        let prefix = format!("policies.{name}");
        let errors_before = self.errors.len();
        let target = self.number(&prefix, "target_week", table.target_week.as_ref(), WEEKS);
        let latest = self.number(&prefix, "latest_week", table.latest_week.as_ref(), WEEKS);
        let prep = self.number(&prefix, "cv_prep_days", table.cv_prep_days.as_ref(), BUSINESS_DAYS);
        let notice = self.number(&prefix, "notice_days", table.notice_days.as_ref(), BUSINESS_DAYS);
        let horizon = self.number(&prefix, "cancel_horizon_days", table.cancel_horizon_days.as_ref(), HORIZON_DAYS);
        let edit = self.calendar_edit(&prefix, table.meeting_weekdays.as_ref(), table.closed_days.as_deref());
        let mut policy = base?;
        if self.errors.len() > errors_before {
            return None;
        }
        policy.name = name.to_owned();
        policy.target_week = target.unwrap_or(policy.target_week);
        policy.latest_week = latest.unwrap_or(policy.latest_week);
        policy.cv_prep_days = prep.unwrap_or(policy.cv_prep_days);
        policy.notice_days = notice.unwrap_or(policy.notice_days);
        policy.cancel_horizon_days = horizon.unwrap_or(policy.cancel_horizon_days);
        policy.form = table.form.unwrap_or(policy.form);
        policy.calendar = edit.apply(&policy.calendar);
        if policy.target_week > policy.latest_week {
            // The base policy is valid, so this table set at least one of the two weeks.
            let (key, span) = match (&table.target_week, &table.latest_week) {
                (Some(target), _) => ("target_week", target.span()),
                (None, Some(latest)) => ("latest_week", latest.span()),
                (None, None) => ("based_on", table.based_on.span()),
            };
            let message = format!(
                "target_week ({}) must not be after latest_week ({})",
                policy.target_week, policy.latest_week
            );
            self.report(span, format!("{prefix}.{key}"), message);
            return None;
        }
        Some(policy)
    }

    /// The value of a number field when given and within `range`; reported when out of range.
    fn number(
        &mut self,
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
        self.report(value.span(), format!("{prefix}.{key}"), message);
        None
    }

    /// Checks `meeting_weekdays` and `closed_days`; wrong entries are reported and left out.
    fn calendar_edit(
        &mut self,
        prefix: &str,
        weekdays: Option<&Spanned<Vec<Spanned<String>>>>,
        closed_days: Option<&[Spanned<Value>]>,
    ) -> CalendarEdit {
        let weekdays = weekdays.map(|list| {
            if list.get_ref().is_empty() {
                self.report(list.span(), format!("{prefix}.meeting_weekdays"), "needs at least one weekday");
            }
            let mut days = Vec::new();
            for (index, entry) in list.get_ref().iter().enumerate() {
                match parse_weekday(entry.get_ref()) {
                    Some(day) => days.push(day),
                    None => self.report(
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
                Err(message) => self.report(entry.span(), format!("{prefix}.closed_days[{index}]"), message),
            }
        }
        CalendarEdit { weekdays, closed_days: dates }
    }
}

/// Appends `key` to a dotted field path.
fn push_key(field: &mut String, key: &str) {
    if !field.is_empty() {
        field.push('.');
    }
    field.push_str(key);
}

/// Policy names: lowercase ASCII letters, digits and `-`, not empty.
fn is_policy_name(name: &str) -> bool {
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
    let found = NAMES.iter().find(|(short, long, _)| text.eq_ignore_ascii_case(short) || text.eq_ignore_ascii_case(long));
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
            (Some(date), None, None) => {
                NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())
                    .ok_or_else(|| invalid(&datetime.to_string()))
            }
            _ => Err(format!("`{datetime}` is not a date; write YYYY-MM-DD, e.g. 2026-12-31")),
        },
        other => Err(format!("expected a date like 2026-12-31, found {}", other.type_str())),
    }
}

/// Best-effort field path for a TOML syntax error at byte `offset`: the last `[table]` header
/// before its line, plus the key on its line.
fn guess_field(text: &str, offset: usize) -> String {
    let offset = (0..=offset.min(text.len())).rev().find(|&at| text.is_char_boundary(at)).unwrap_or(0);
    let line_start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |at| offset + at);
    let mut field = String::new();
    for line in text[..line_start].lines() {
        let line = line.trim_start();
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_start_matches('[');
            field = header.split(']').next().unwrap_or_default().trim().to_owned();
        }
    }
    let line = text[line_start..line_end].trim_start();
    if !line.starts_with('[') && !line.starts_with('#') {
        if let Some((key, _)) = line.split_once('=') {
            push_key(&mut field, key.trim().trim_matches('"'));
        }
    }
    field
}
