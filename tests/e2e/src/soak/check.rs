//! What a soak must find when it is over. Findings name message ids and meeting ids, never people.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use samspil::contract::MeetingUpdate;

use super::cohort::Cohort;
use crate::reference::{in_order, last_per_meeting, outcome_differences, sequence_conflicts};
use crate::runner::stored;
use crate::stack::Env;
use crate::subscriber::take_matching;

/// What went wrong, by kind; empty when the soak passed.
#[derive(Debug, Default)]
pub struct Findings {
    /// Valid messages whose fact is not in the person's state (lost).
    pub unprocessed: Vec<String>,
    /// Valid messages found in a dead-letter queue (retries exhausted).
    pub valid_dead_lettered: Vec<String>,
    /// Bad messages missing from their dead-letter queue, or there with the wrong code.
    pub bad_not_dead_lettered: Vec<String>,
    /// Meetings whose last update differs from the fault-free replay's.
    pub differences: Vec<String>,
    /// `(meeting, sequence)` pairs published with two different contents.
    pub sequence_conflicts: Vec<String>,
    /// Updates received, and distinct meetings among them (figures, not findings).
    pub updates: usize,
    pub meetings: usize,
    /// Meetings a correction moved to another municipality (rule R8): distinct meetings with a
    /// `cancelled` of reason `transferred` (a figure, not a finding).
    pub transfers: usize,
}

impl Findings {
    pub fn is_empty(&self) -> bool {
        self.unprocessed.is_empty()
            && self.valid_dead_lettered.is_empty()
            && self.bad_not_dead_lettered.is_empty()
            && self.differences.is_empty()
            && self.sequence_conflicts.is_empty()
    }
}

impl fmt::Display for Findings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds = [
            ("valid messages not processed (lost)", &self.unprocessed),
            ("valid messages in a dead-letter queue", &self.valid_dead_lettered),
            ("bad messages not dead-lettered with their code", &self.bad_not_dead_lettered),
            ("meetings whose last update differs from the fault-free replay", &self.differences),
            ("sequence numbers published with two contents", &self.sequence_conflicts),
        ];
        for (what, list) in kinds {
            writeln!(f, "  {what}: {}", list.len())?;
            for line in list.iter().take(10) {
                writeln!(f, "    {line}")?;
            }
            if list.len() > 10 {
                writeln!(f, "    ... and {} more", list.len() - 10)?;
            }
        }
        Ok(())
    }
}

/// Checks the stack after a soak of `cohort`, which published `got`.
pub async fn check(env: &Env, cohort: &Cohort, got: &[MeetingUpdate]) -> Findings {
    let mut findings = Findings::default();
    processed(env, cohort, &mut findings).await;
    dead_letters(env, cohort, &mut findings).await;

    let valid: Vec<_> = cohort.valid.iter().map(|(_, m)| m.clone()).collect();
    let want = in_order(&valid).await;
    let (got_last, want_last) = (last_per_meeting(got), last_per_meeting(&want));
    findings.differences = outcome_differences(&got_last, &want_last);
    findings.sequence_conflicts = sequence_conflicts(got);
    findings.updates = got.len();
    findings.meetings = got_last.len();
    findings.transfers = got
        .iter()
        .filter(|u| u.reason == Some(samspil::contract::UpdateReason::Transferred))
        .map(|u| &u.meeting_id)
        .collect::<HashSet<_>>()
        .len();
    findings
}

/// Every valid message's fact is in its person's state: it changed state or was a duplicate.
async fn processed(env: &Env, cohort: &Cohort, findings: &mut Findings) {
    let mut by_person: BTreeMap<usize, Vec<&crate::people::Msg>> = BTreeMap::new();
    for (person, message) in &cohort.valid {
        by_person.entry(*person).or_default().push(message);
    }
    for (person, messages) in by_person {
        let state = stored(env, &cohort.people[person]).await;
        for m in messages {
            if !state.as_ref().is_some_and(|s| s.has_processed(&m.key())) {
                findings.unprocessed.push(format!("{m:?}"));
            }
        }
    }
}

/// The dead-letter queues hold every bad message with its code, and no valid one.
async fn dead_letters(env: &Env, cohort: &Cohort, findings: &mut Findings) {
    let bodies: HashSet<&str> = cohort.valid.iter().map(|(_, m)| m.body.as_str()).collect();
    let bad: BTreeMap<&str, &super::cohort::BadMessage> =
        cohort.bad.iter().map(|b| (b.message.body.as_str(), b)).collect();
    let mut found: BTreeMap<&str, String> = BTreeMap::new();
    for queue in &env.stack.queues {
        let letters = take_matching(&env.clients.sqs, &queue.dlq_url, |m| {
            m.body().is_some_and(|b| bodies.contains(b) || bad.contains_key(b))
        })
        .await;
        for letter in letters {
            let body = letter.body().unwrap_or_default();
            let code = letter
                .message_attributes()
                .and_then(|a| a.get("error_code"))
                .and_then(|v| v.string_value())
                .unwrap_or("(none)")
                .to_string();
            match bad.get_key_value(body) {
                Some((key, _)) => {
                    found.insert(key, code);
                }
                None => {
                    let valid = cohort.valid.iter().find(|(_, m)| m.body == body).map(|(_, m)| m);
                    findings.valid_dead_lettered.push(format!("{valid:?} in {}-dlq (error_code {code})", queue.name));
                }
            }
        }
    }
    for (body, b) in &bad {
        match found.get(body) {
            Some(code) if code == b.code => {}
            Some(code) => findings.bad_not_dead_lettered.push(format!("{:?}: {code}, want {}", b.message, b.code)),
            None => findings.bad_not_dead_lettered.push(format!("{:?}: not in its dead-letter queue", b.message)),
        }
    }
}
