//! Municipality policies (rule R3).
//!
//! The scheduling windows are not law fixed in code: Rebild's free-municipality trial moved the
//! first joint meeting from week 5 to week 10, and the 2020 and 2024 reforms moved it again. So the
//! windows are *data*: a [`Policy`] per municipality, read from a TOML policy file that lives in
//! the repository (`infra/policies.toml`, described in `docs/policies.md`), with a default policy for
//! municipalities the file does not list.
//!
//! The file is validated completely when it is loaded, and every mistake is reported as a
//! [`PolicyError`] naming the file, the line and the field (`policies.toml:12:
//! policies.aalborg-2027.target_week: must be between 1 and 104`). The library's build script
//! (`shared/build.rs`) runs the same checks on `infra/policies.toml`, so a bad edit of that file
//! fails the build instead of scheduling meetings in the wrong week. After loading, a
//! [`PolicyBook`] only answers lookups: [`PolicyBook::for_municipality`] is one hash-map lookup
//! and allocates nothing, because it runs for every message.
//!
//! The private submodules do the reading: `file` parses and resolves the policies, `values` checks
//! single values, `diagnostics` turns byte offsets into located errors. This module holds the
//! resulting types and the two built-in policies.

mod diagnostics;
mod file;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod validation_tests;
mod values;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use crate::calendar::Calendar;
use crate::contract::MeetingForm;

/// The scheduling parameters of one municipality (rule R3).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The policy's name, e.g. `baseline`; municipalities sharing a policy share its name even when
    /// their calendars differ.
    pub name: String,
    /// Place the meeting from the first day of this week of cumulative unemployment on (R1, R4).
    pub target_week: u32,
    /// Deadline: the meeting must be in this week or earlier, else it is marked `deadline_missed`.
    pub latest_week: u32,
    /// Business days that must pass after the CV conversation before the meeting (R4, R6).
    pub cv_prep_days: u32,
    /// Business days between the processing day and the meeting (R4).
    pub notice_days: u32,
    /// A job starting within this many days after a meeting cancels the meeting (R7, LAB § 106).
    pub cancel_horizon_days: u32,
    /// R12: the summons goes out this many business days before the meeting; until then the plan
    /// stays internal. `None`: every update goes out at once (R5).
    pub summon_days: Option<u32>,
    /// The default form of the meeting.
    pub form: MeetingForm,
    /// The days meetings can be held on (R2), with the municipality's own closed days.
    pub calendar: Calendar,
}

impl Policy {
    /// Name of the [`Policy::baseline`] policy.
    pub const BASELINE: &'static str = "baseline";
    /// Name of the [`Policy::rebild_trial`] policy.
    pub const REBILD_TRIAL: &'static str = "rebild-trial";
    /// Name of the [`Policy::rebild_jit`] policy.
    pub const REBILD_JIT: &'static str = "rebild-jit";
    /// The names of the built-in policies, in the order of rule R3's table.
    pub const BUILTIN_NAMES: [&'static str; 3] = [Self::BASELINE, Self::REBILD_TRIAL, Self::REBILD_JIT];

    /// The national baseline: first joint meeting from week 5 (about one month of cumulative
    /// unemployment), at the latest in week 6.
    pub fn baseline() -> Policy {
        Policy {
            name: Self::BASELINE.to_owned(),
            target_week: 5,
            latest_week: 6,
            cv_prep_days: 3,
            notice_days: 5,
            cancel_horizon_days: 42,
            summon_days: None,
            form: MeetingForm::InPerson,
            calendar: Calendar::default(),
        }
    }

    /// Rebild's free-municipality trial: the joint meeting is the jobcenter's conversation no. 2,
    /// from week 9 and at the latest in week 10, with more time after the CV conversation.
    pub fn rebild_trial() -> Policy {
        Policy {
            name: Self::REBILD_TRIAL.to_owned(),
            target_week: 9,
            latest_week: 10,
            cv_prep_days: 5,
            ..Policy::baseline()
        }
    }

    /// Rebild's trial, summoned just in time (rule R12): the plan is made at once but the summons
    /// goes out 10 business days before the meeting, so a person who finds a job before then is
    /// never summoned and never cancelled.
    pub fn rebild_jit() -> Policy {
        Policy { name: Self::REBILD_JIT.to_owned(), summon_days: Some(10), ..Policy::rebild_trial() }
    }

    /// The built-in policy called `name`, if there is one.
    pub fn builtin(name: &str) -> Option<Policy> {
        match name {
            Self::BASELINE => Some(Policy::baseline()),
            Self::REBILD_TRIAL => Some(Policy::rebild_trial()),
            Self::REBILD_JIT => Some(Policy::rebild_jit()),
            _ => None,
        }
    }
}

/// A municipality listed in the policy file, with its policy resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Municipality {
    /// Kommunekode, three digits.
    pub code: String,
    /// Human-readable name, e.g. `Rebild`.
    pub name: String,
    /// Its policy, with the municipality's weekdays and closed days already in the calendar.
    pub policy: Policy,
}

/// Which policy each municipality uses: the loaded, validated policy file.
#[derive(Debug, Clone)]
pub struct PolicyBook {
    /// Used for municipalities not listed; `None` rejects them.
    default: Option<Policy>,
    /// Listed municipalities by code.
    municipalities: HashMap<String, Municipality>,
    /// Every named policy: the built-ins and the file's own.
    policies: BTreeMap<String, Policy>,
}

impl PolicyBook {
    /// The checked-in policy file, `infra/policies.toml`, as compiled into this binary.
    pub const REPOSITORY_TOML: &'static str = include_str!("../../../infra/policies.toml");

    /// The built-in book: `baseline` as the default and Rebild (840) on `rebild-trial`.
    /// Independent of any file, for tests.
    pub fn builtin() -> PolicyBook {
        let rebild = Municipality { code: "840".to_owned(), name: "Rebild".to_owned(), policy: Policy::rebild_trial() };
        PolicyBook {
            default: Some(Policy::baseline()),
            municipalities: HashMap::from([(rebild.code.clone(), rebild)]),
            policies: builtin_policies(),
        }
    }

    /// The book of the checked-in `infra/policies.toml` ([`PolicyBook::REPOSITORY_TOML`]).
    ///
    /// # Panics
    ///
    /// If the checked-in file is invalid, which the build script (`shared/build.rs`) refuses to
    /// build.
    pub fn repository() -> PolicyBook {
        PolicyBook::from_toml(Self::REPOSITORY_TOML, "infra/policies.toml")
            .unwrap_or_else(|error| panic!("the checked-in policy file is invalid: {error}"))
    }

    /// Reads and validates the policy file at `path`; errors name the path as given.
    pub fn load(path: &Path) -> Result<PolicyBook, PolicyError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| PolicyError {
            file: origin.clone(),
            line: 0,
            field: String::new(),
            message: format!("cannot read the policy file: {error}"),
        })?;
        PolicyBook::from_toml(&text, &origin)
    }

    /// Parses and validates a policy file's `text`; `origin` names the file in errors.
    ///
    /// The first mistake in the file (by line) is returned; the format is in `docs/policies.md`.
    pub fn from_toml(text: &str, origin: &str) -> Result<PolicyBook, PolicyError> {
        file::parse(text, origin)
    }

    /// A fingerprint of what the book says for every municipality and the default (policies with
    /// their calendars), the same for equal books whatever their file's layout: 32 hex digits of
    /// SHA-256. The sweep compares it with the one it last worked out the summons days with
    /// ([`crate::pipeline::Store::policies_mark`]), so that a policy edit takes effect at the next
    /// sweep (`docs/decisions.md`, "Summonses (R12)").
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        hash.update(format!("default {:?}\n", self.default));
        let mut codes: Vec<&String> = self.municipalities.keys().collect();
        codes.sort();
        for code in codes {
            hash.update(format!("{code} {:?}\n", self.municipalities[code].policy));
        }
        crate::identity::lower_hex(&hash.finalize()[..16])
    }

    /// The policy for a municipality code, or the default; `None` when neither exists.
    ///
    /// One hash-map lookup, no allocation: this runs for every message.
    #[inline]
    pub fn for_municipality(&self, municipality: &str) -> Option<&Policy> {
        match self.municipalities.get(municipality) {
            Some(listed) => Some(&listed.policy),
            None => self.default.as_ref(),
        }
    }

    /// The municipality if the file lists it (the default policy does not count).
    pub fn municipality(&self, code: &str) -> Option<&Municipality> {
        self.municipalities.get(code)
    }

    /// Every listed municipality, sorted by code.
    pub fn municipalities(&self) -> Vec<&Municipality> {
        let mut all: Vec<&Municipality> = self.municipalities.values().collect();
        all.sort_by(|a, b| a.code.cmp(&b.code));
        all
    }

    /// The policy for municipalities not listed, if any.
    pub fn default_policy(&self) -> Option<&Policy> {
        self.default.as_ref()
    }

    /// The named policy (built-in or defined in the file), without any municipality's calendar.
    pub fn policy(&self, name: &str) -> Option<&Policy> {
        self.policies.get(name)
    }
}

/// The built-in policies by name.
fn builtin_policies() -> BTreeMap<String, Policy> {
    [Policy::baseline(), Policy::rebild_trial(), Policy::rebild_jit()]
        .into_iter()
        .map(|policy| (policy.name.clone(), policy))
        .collect()
}

/// A mistake in a policy file, located by file, line and field.
///
/// Displayed as `policies.toml:12: policies.aalborg-2027.target_week: must be between 1 and 104`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    /// The file, as named by the caller (`origin`, or the path given to [`PolicyBook::load`]).
    pub file: String,
    /// 1-based line of the mistake; 0 when the file could not be read at all.
    pub line: usize,
    /// Dotted path of the offending field, e.g. `municipalities.840.closed_days[1]`; empty when
    /// the mistake cannot be tied to a field.
    pub field: String,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}
