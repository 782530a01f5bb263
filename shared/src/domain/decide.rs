//! `decide`: one fact in; the person's new state and the meeting updates to publish out.
//!
//! The fact is added to the person's log, the periods are derived again from all facts
//! ([`super::periods`]), and each period's first joint meeting is brought in line with them:
//!
//! - a period without a meeting gets one (R5), scheduled by R4 with every CV completion known so
//!   far; if a known job exit would cancel it (R7), it is recorded as cancelled and never announced
//!   (R9);
//! - a planned meeting that is not yet held is moved when it comes too soon after the CV
//!   conversation (R6), and cancelled when a job starts within the cancel horizon after it (R7);
//! - a held or cancelled meeting never changes;
//! - a planned meeting whose period turned out to be part of an earlier one (a registration that
//!   arrived late) is cancelled with reason `superseded`.
//!
//! Every published update raises the meeting's sequence by one (R11). A message seen before changes
//! nothing (R10).

use chrono::NaiveDate;

use crate::contract::{InboundMessage, MeetingKind, MeetingUpdate, MessageKey, UpdateReason, UpdateType};
use crate::identity::{PersonKey, meeting_id};
use crate::policy::PolicyBook;

use super::periods::{self, Period};
use super::schedule;
use super::state::{Meeting, MeetingStatus, PersonState, RecordedFact};

/// The outcome of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The `(source, id)` was processed before: nothing changes, nothing is published (R10).
    Duplicate,
    /// The fact was recorded. `updates` may be empty: not every fact changes a meeting.
    Applied { state: PersonState, updates: Vec<MeetingUpdate> },
}

/// A period's municipality has no policy and the policy book has no default.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("municipality {municipality} has no policy and there is no default policy")]
pub struct NoPolicy {
    pub municipality: String,
}

/// Decides what `message` means for the person whose current state is `state`, on the processing
/// day `today` (R0). Pure: the same arguments always give the same decision.
pub fn decide(
    state: &PersonState,
    person: &PersonKey,
    message: &InboundMessage,
    today: NaiveDate,
    policies: &PolicyBook,
) -> Result<Decision, NoPolicy> {
    if state.has_processed(&message.key) {
        return Ok(Decision::Duplicate);
    }
    let mut next = state.clone();
    let cpr = next.cpr.get_or_insert_with(|| message.cpr.clone()).clone();
    next.facts.push(RecordedFact { key: message.key.clone(), received_on: today, fact: message.fact.clone() });

    let mut updates = Vec::new();
    let periods = periods::derive(&next.facts);
    let mut current_ids = Vec::with_capacity(periods.len());
    for period in &periods {
        let policy = policies
            .for_municipality(&period.registration.municipality)
            .ok_or_else(|| NoPolicy { municipality: period.registration.municipality.clone() })?;
        let id = meeting_id(person, period.start, MeetingKind::FirstJoint);
        match next.meetings.iter_mut().find(|m| m.id == id) {
            None => {
                let mut meeting = plan_meeting(id.clone(), period, policy, today);
                if schedule::cancelled_by_job(period, policy, meeting.date) {
                    meeting.status = MeetingStatus::Cancelled;
                } else {
                    updates.push(meeting.publish(&cpr, UpdateType::Scheduled, None, None, &message.key));
                }
                next.meetings.push(meeting);
            }
            Some(meeting) => {
                if let Some(update) = follow_period(meeting, period, policy, today, &cpr, &message.key) {
                    updates.push(update);
                }
            }
        }
        current_ids.push(id);
    }

    for meeting in next.meetings.iter_mut() {
        let superseded = meeting.status == MeetingStatus::Planned
            && !meeting.is_held(today)
            && !current_ids.contains(&meeting.id);
        if superseded {
            meeting.status = MeetingStatus::Cancelled;
            updates.push(meeting.publish(&cpr, UpdateType::Cancelled, None, Some(UpdateReason::Superseded), &message.key));
        }
    }
    Ok(Decision::Applied { state: next, updates })
}

/// The updates in the outbox of `key`: the last update of every meeting whose last change `key`
/// caused. A message that is delivered again after its state was written publishes these again,
/// since the earlier attempt may have died before publishing them.
pub fn updates_published_by(state: &PersonState, key: &MessageKey) -> Vec<MeetingUpdate> {
    let Some(cpr) = &state.cpr else { return Vec::new() };
    state
        .meetings
        .iter()
        .filter(|m| m.last_update.as_ref().is_some_and(|u| &u.caused_by == key))
        .filter_map(|m| m.render(cpr))
        .collect()
}

/// A new, not yet announced meeting for `period`, scheduled by R4.
fn plan_meeting(id: String, period: &Period<'_>, policy: &crate::policy::Policy, today: NaiveDate) -> Meeting {
    let plan = schedule::plan(period, policy, today);
    let registration = period.registration;
    Meeting {
        id,
        kind: MeetingKind::FirstJoint,
        period_start: period.start,
        municipality: registration.municipality.clone(),
        akasse: registration.akasse.clone(),
        form: policy.form,
        akasse_participation: registration.akasse_participation,
        status: MeetingStatus::Planned,
        date: plan.date,
        deadline: plan.deadline,
        deadline_missed: plan.deadline_missed,
        sequence: 0,
        last_update: None,
    }
}

/// Brings an existing meeting in line with its period: R6 (move), then R7 (cancel).
fn follow_period(
    meeting: &mut Meeting,
    period: &Period<'_>,
    policy: &crate::policy::Policy,
    today: NaiveDate,
    cpr: &crate::contract::Cpr,
    cause: &MessageKey,
) -> Option<MeetingUpdate> {
    if meeting.status == MeetingStatus::Cancelled || meeting.is_held(today) {
        return None;
    }
    let previous_date = meeting.date;
    if schedule::too_soon_after_cv(period, policy, meeting.date) {
        let plan = schedule::plan(period, policy, today);
        meeting.date = plan.date;
        meeting.deadline_missed = plan.deadline_missed;
    }
    if schedule::cancelled_by_job(period, policy, meeting.date) {
        meeting.status = MeetingStatus::Cancelled;
        if meeting.last_update.is_none() {
            return None;
        }
        return Some(meeting.publish(cpr, UpdateType::Cancelled, None, Some(UpdateReason::JobExit), cause));
    }
    (meeting.date != previous_date).then(|| {
        meeting.publish(cpr, UpdateType::Rescheduled, Some(previous_date), Some(UpdateReason::CvCompleted), cause)
    })
}
