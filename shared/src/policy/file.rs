//! Reading the TOML policy file (format in `docs/policies.md`) into a [`PolicyBook`].
//!
//! Parsing happens in two passes. First serde reads the text into the `Raw*` structs below, which
//! reject unknown keys and wrong types (`deny_unknown_fields`) and keep every value's byte span
//! (`toml::Spanned`). Then the semantic checks run over the raw structs: value ranges and formats
//! (in `values`), policy names, and the references between policies (`based_on`, `policy`,
//! `default_policy`), resolved with memoisation and cycle detection. Every mistake goes to a
//! `Diagnostics` (in `diagnostics`), which locates it and returns the first one by line.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;

use serde::Deserialize;
use toml::{Spanned, Value};

use super::diagnostics::Diagnostics;
use super::values::{calendar_edit, is_policy_name, number};
use super::{Municipality, Policy, PolicyBook, PolicyError, builtin_policies};
use crate::contract::MeetingForm;

/// Allowed `target_week` and `latest_week`: up to two years of cumulative unemployment.
const WEEKS: RangeInclusive<i64> = 1..=104;
/// Allowed `cv_prep_days` and `notice_days`.
const BUSINESS_DAYS: RangeInclusive<i64> = 0..=60;
/// Allowed `summon_days`: at least one business day (leave it out for "at once").
const SUMMON_DAYS: RangeInclusive<i64> = 1..=60;
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
    summon_days: Option<Spanned<i64>>,
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
    let mut checker = Checker { diagnostics: Diagnostics::new(text, origin) };
    let deserializer = toml::de::Deserializer::parse(text).map_err(|error| checker.diagnostics.syntax_error(&error))?;
    let raw: RawFile =
        serde_path_to_error::deserialize(deserializer).map_err(|error| checker.diagnostics.serde_error(error))?;
    let book = checker.build(&raw);
    checker.diagnostics.finish(book)
}

/// Builds the book from the raw file, reporting every mistake.
struct Checker<'a> {
    diagnostics: Diagnostics<'a>,
}

impl Checker<'_> {
    /// Runs every semantic check and builds the book from what is valid.
    fn build(&mut self, raw: &RawFile) -> PolicyBook {
        let mut policies = builtin_policies();
        let mut resolved: HashMap<String, Option<Policy>> = HashMap::new();
        for (name, table) in &raw.policies {
            if !is_policy_name(name) {
                self.diagnostics.report(
                    table.span(),
                    format!("policies.{name}"),
                    "a policy name must be lowercase letters, digits and '-'",
                );
            } else if Policy::builtin(name).is_some() {
                self.diagnostics.report(
                    table.span(),
                    format!("policies.{name}"),
                    "built-in policy cannot be redefined; define a new name with `based_on`",
                );
            } else {
                self.resolve(name, raw, &mut resolved, &mut Vec::new());
            }
        }
        policies.extend(resolved.into_iter().filter_map(|(name, policy)| Some((name, policy?))));

        let default = raw.default_policy.as_ref().and_then(|name| self.lookup(raw, &policies, name, "default_policy"));

        let mut municipalities = HashMap::new();
        for (code, table) in &raw.municipalities {
            let prefix = format!("municipalities.{code}");
            if code.len() != 3 || !code.bytes().all(|byte| byte.is_ascii_digit()) {
                self.diagnostics.report(table.span(), &prefix, "a municipality code must be exactly 3 digits");
            }
            let table = table.get_ref();
            let name = table.name.get_ref().trim();
            if name.is_empty() {
                self.diagnostics.report(table.name.span(), format!("{prefix}.name"), "must not be empty");
            }
            let edit = calendar_edit(
                &mut self.diagnostics,
                &prefix,
                table.meeting_weekdays.as_ref(),
                table.closed_days.as_deref(),
            );
            if let Some(mut policy) = self.lookup(raw, &policies, &table.policy, &format!("{prefix}.policy")) {
                policy.calendar = edit.apply(&policy.calendar);
                let entry = Municipality { code: code.clone(), name: name.to_owned(), policy };
                municipalities.insert(code.clone(), entry);
            }
        }
        PolicyBook { default, municipalities, policies }
    }

    /// A copy of the policy a reference (`policy`, `default_policy`) names, or a reported mistake.
    /// A policy the file defines but that is invalid has its own error and is not reported again.
    fn lookup(
        &mut self,
        raw: &RawFile,
        policies: &BTreeMap<String, Policy>,
        name: &Spanned<String>,
        field: &str,
    ) -> Option<Policy> {
        if let Some(policy) = policies.get(name.get_ref()) {
            return Some(policy.clone());
        }
        if raw.policies.contains_key(name.get_ref()) {
            return None;
        }
        let known: Vec<&str> = policies.keys().map(String::as_str).collect();
        let message = format!("unknown policy `{}`; known: {}", name.get_ref(), known.join(", "));
        self.diagnostics.report(name.span(), field, message);
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
            self.diagnostics.report(
                table.based_on.span(),
                format!("{prefix}.based_on"),
                format!("policies build on each other in a circle: {chain}"),
            );
            None
        } else if raw.policies.contains_key(base_name) {
            self.resolve(base_name, raw, resolved, visiting)
        } else {
            let mut known: Vec<&str> = Policy::BUILTIN_NAMES.to_vec();
            known.extend(raw.policies.keys().map(String::as_str).filter(|other| *other != name));
            let message = format!("unknown policy `{base_name}`; known: {}", known.join(", "));
            self.diagnostics.report(table.based_on.span(), format!("{prefix}.based_on"), message);
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
        let errors_before = self.diagnostics.count();
        let target = number(&mut self.diagnostics, &prefix, "target_week", table.target_week.as_ref(), WEEKS);
        let latest = number(&mut self.diagnostics, &prefix, "latest_week", table.latest_week.as_ref(), WEEKS);
        let prep = number(&mut self.diagnostics, &prefix, "cv_prep_days", table.cv_prep_days.as_ref(), BUSINESS_DAYS);
        let notice = number(&mut self.diagnostics, &prefix, "notice_days", table.notice_days.as_ref(), BUSINESS_DAYS);
        let horizon = number(
            &mut self.diagnostics,
            &prefix,
            "cancel_horizon_days",
            table.cancel_horizon_days.as_ref(),
            HORIZON_DAYS,
        );
        let summon = number(&mut self.diagnostics, &prefix, "summon_days", table.summon_days.as_ref(), SUMMON_DAYS);
        let edit = calendar_edit(
            &mut self.diagnostics,
            &prefix,
            table.meeting_weekdays.as_ref(),
            table.closed_days.as_deref(),
        );
        let mut policy = base?;
        if self.diagnostics.count() > errors_before {
            return None;
        }
        policy.name = name.to_owned();
        policy.target_week = target.unwrap_or(policy.target_week);
        policy.latest_week = latest.unwrap_or(policy.latest_week);
        policy.cv_prep_days = prep.unwrap_or(policy.cv_prep_days);
        policy.notice_days = notice.unwrap_or(policy.notice_days);
        policy.cancel_horizon_days = horizon.unwrap_or(policy.cancel_horizon_days);
        policy.summon_days = summon.or(policy.summon_days);
        policy.form = table.form.unwrap_or(policy.form);
        policy.calendar = edit.apply(&policy.calendar);
        if policy.target_week > policy.latest_week {
            // The base policy is valid, so this table set at least one of the two weeks.
            let (key, span) = match (&table.target_week, &table.latest_week) {
                (Some(target), _) => ("target_week", target.span()),
                (None, Some(latest)) => ("latest_week", latest.span()),
                (None, None) => ("based_on", table.based_on.span()),
            };
            let message =
                format!("target_week ({}) must not be after latest_week ({})", policy.target_week, policy.latest_week);
            self.diagnostics.report(span, format!("{prefix}.{key}"), message);
            return None;
        }
        Some(policy)
    }
}
