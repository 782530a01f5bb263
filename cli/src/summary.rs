//! Counts by outcome, for the summary a run prints on stderr.

use std::collections::{BTreeMap, HashMap};

use samspil::contract::{ErrorCode, UpdateType};

/// What happened to the messages of one run.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tally {
    pub messages: u64,
    pub updates: HashMap<UpdateType, u64>,
    /// Messages recorded without changing any meeting.
    pub unchanged: u64,
    pub duplicates: u64,
    pub rejections: BTreeMap<ErrorCode, u64>,
}

impl Tally {
    pub fn rejected(&mut self, code: ErrorCode) {
        *self.rejections.entry(code).or_default() += 1;
    }

    pub fn count(&self, update: UpdateType) -> u64 {
        self.updates.get(&update).copied().unwrap_or(0)
    }

    /// The counts as the `summary` of `--format json`; `sweep_days` and `summonses` as far as the
    /// run swept (rule R12).
    pub fn json(&self, what: &str, sweep_days: u64, summonses: u64) -> serde_json::Value {
        let by_code: BTreeMap<&str, u64> = self.rejections.iter().map(|(code, n)| (code.as_str(), *n)).collect();
        serde_json::json!({
            "file": what, "messages": self.messages,
            "scheduled": self.count(UpdateType::Scheduled), "rescheduled": self.count(UpdateType::Rescheduled),
            "cancelled": self.count(UpdateType::Cancelled), "unchanged": self.unchanged,
            "duplicates": self.duplicates, "rejected": self.rejections.values().sum::<u64>(),
            "rejected_by_code": by_code, "sweep_days": sweep_days, "summonses": summonses,
        })
    }

    /// A few lines: messages, updates by type, duplicates, rejections by code.
    pub fn summary(&self, what: &str) -> String {
        let rejected: u64 = self.rejections.values().sum();
        let mut text = format!(
            "{what}: {} messages\n  scheduled {}, rescheduled {}, cancelled {}\n  no change {}, duplicate {}, rejected {}",
            self.messages,
            self.count(UpdateType::Scheduled),
            self.count(UpdateType::Rescheduled),
            self.count(UpdateType::Cancelled),
            self.unchanged,
            self.duplicates,
            rejected,
        );
        if rejected > 0 {
            let by_code: Vec<String> = self.rejections.iter().map(|(code, n)| format!("{code} {n}")).collect();
            text.push_str(&format!(" ({})", by_code.join(", ")));
        }
        text
    }
}
