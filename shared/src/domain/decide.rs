//! `decide`: one fact in; the person's new state and the meeting updates to publish out.
//!
//! The fact is added to the person's log, the periods are derived again from all facts
//! ([`super::periods`]), and each period's first joint meeting is brought in line with its period:
//!
//! - a period without a meeting gets one (R5), scheduled by R4 with the period's CV completion; if
//!   a known job exit would cancel it (R7), it is recorded as cancelled and never announced (R9);
//! - a planned meeting not yet held is moved when it comes too soon after the CV conversation (R6),
//!   and cancelled when a job starts within the cancel horizon after it (R7);
//! - a held meeting never changes, and neither does a meeting cancelled for a job while the job
//!   exit that cancelled it still belongs to its period (R6, R7);
//! - a planned meeting whose period turned out to be part of an earlier one (a registration that
//!   arrived late) is cancelled with reason `superseded`.
//!
//! Messages that arrive out of order can make a fact look as if it belonged to the wrong period for
//! a while (a CV completion or a job exit of a later period, before that period's registration is
//! known). When the missing facts arrive, the meeting is corrected: a meeting moved for a CV
//! completion that turns out not to be its period's is moved back, and a meeting cancelled or
//! superseded whose period turns out to need it is scheduled again. This is what makes the last
//! update of every meeting independent of arrival order (R9); see `docs/decisions.md`.
//!
//! Every published update raises the meeting's sequence by one (R11). A message seen before changes
//! nothing (R10).

use chrono::NaiveDate;

use crate::contract::{Cpr, InboundMessage, MeetingKind, MeetingUpdate, MessageKey, UpdateReason, UpdateType};
use crate::identity::{PersonKey, meeting_id};
use crate::policy::{Policy, PolicyBook};

use super::periods::{self, Period};
use super::schedule::{self, Plan};
use super::state::{Meeting, MeetingStatus, PersonState, RecordedFact};

/// The outcome of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The `(source, id)` was processed before: nothing changes, nothing is published (R10). The
    /// state is handed back unchanged.
    Duplicate(PersonState),
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
/// day `today` (R0). Pure: the same arguments always give the same decision. Takes the state by
/// value, since the caller has just loaded it and the new state is built from it.
pub fn decide(
    mut next: PersonState,
    person: &PersonKey,
    message: &InboundMessage,
    today: NaiveDate,
    policies: &PolicyBook,
) -> Result<Decision, NoPolicy> {
    if next.has_processed(&message.key) {
        return Ok(Decision::Duplicate(next));
    }
    let cpr = message.cpr.clone();
    next.facts.push(RecordedFact { key: message.key.clone(), received_on: today, fact: message.fact.clone() });

    let mut updates = Vec::new();
    let mut publish = |meeting: &mut Meeting, change: Change| {
        if let Some(update) = change.apply(meeting, &cpr, &message.key) {
            updates.push(update);
        }
    };
    let periods = periods::derive(&next.facts);
    let mut current_periods = Vec::with_capacity(periods.len());
    for period in &periods {
        let policy = policies
            .for_municipality(&period.registration.municipality)
            .ok_or_else(|| NoPolicy { municipality: period.registration.municipality.clone() })?;
        // One meeting per period and kind: its id is derived from both (R11), so it is computed
        // only when the meeting is new.
        match next.meetings.iter_mut().find(|m| m.period_start == period.start && m.kind == MeetingKind::FirstJoint) {
            Some(meeting) => {
                let change = reconcile(meeting, period, policy, today);
                publish(meeting, change);
            }
            None => {
                let id = meeting_id(person, period.start, MeetingKind::FirstJoint);
                let plan = schedule::plan(period, policy, today);
                let mut meeting = new_meeting(id, period, policy, plan);
                let change = if schedule::cancelled_by_job(period, policy, plan.date) {
                    Change::CancelSilently
                } else {
                    Change::Schedule(plan, period.cv_completed_on)
                };
                publish(&mut meeting, change);
                next.meetings.push(meeting);
            }
        }
        current_periods.push(period.start);
    }

    for meeting in next.meetings.iter_mut() {
        let superseded = meeting.status == MeetingStatus::Planned
            && !meeting.is_held(today)
            && !current_periods.contains(&meeting.period_start);
        if superseded {
            publish(meeting, Change::Cancel(UpdateReason::Superseded));
        }
    }
    Ok(Decision::Applied { state: next, updates })
}

/// The updates in the outbox of `key`: the last update of every meeting whose last change `key`
/// caused. A message that is delivered again after its state was written publishes these again,
/// since the earlier attempt may have died before publishing them. They are rendered for `cpr`, the
/// number in the message (the state holds none).
pub fn updates_published_by(state: &PersonState, key: &MessageKey, cpr: &Cpr) -> Vec<MeetingUpdate> {
    state
        .meetings
        .iter()
        .filter(|m| m.last_update.as_ref().is_some_and(|u| &u.caused_by == key))
        .filter_map(|m| m.render(cpr))
        .collect()
}

/// What happens to one meeting.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Change {
    None,
    /// Planned on this day, respecting this CV completion: announce it (again, if it was cancelled).
    Schedule(Plan, Option<NaiveDate>),
    /// Moved to this day, respecting this CV completion.
    Move(Plan, Option<NaiveDate>),
    /// Still on its day, now known to respect this CV completion.
    Confirm(Option<NaiveDate>),
    /// Cancelled at this day (the day it would have been).
    CancelAt(NaiveDate, Option<NaiveDate>),
    Cancel(UpdateReason),
    /// Cancelled before it was ever announced.
    CancelSilently,
}

impl Change {
    fn apply(self, meeting: &mut Meeting, cpr: &Cpr, cause: &MessageKey) -> Option<MeetingUpdate> {
        match self {
            Change::None => None,
            Change::Confirm(cv) => {
                meeting.cv_basis = cv;
                None
            }
            Change::Schedule(plan, cv) => {
                meeting.status = MeetingStatus::Planned;
                meeting.set_plan(plan, cv);
                Some(meeting.publish(cpr, UpdateType::Scheduled, None, None, cause))
            }
            Change::Move(plan, cv) => {
                let previous = meeting.date;
                meeting.set_plan(plan, cv);
                Some(meeting.publish(
                    cpr,
                    UpdateType::Rescheduled,
                    Some(previous),
                    Some(UpdateReason::CvCompleted),
                    cause,
                ))
            }
            Change::CancelAt(date, cv) => {
                meeting.date = date;
                meeting.cv_basis = cv;
                Change::Cancel(UpdateReason::JobExit).apply(meeting, cpr, cause)
            }
            Change::Cancel(reason) => {
                meeting.status = MeetingStatus::Cancelled;
                let announced = meeting.last_update.is_some();
                announced.then(|| meeting.publish(cpr, UpdateType::Cancelled, None, Some(reason), cause))
            }
            Change::CancelSilently => {
                meeting.status = MeetingStatus::Cancelled;
                None
            }
        }
    }
}

/// Brings an existing meeting in line with its period.
fn reconcile(meeting: &Meeting, period: &Period<'_>, policy: &Policy, today: NaiveDate) -> Change {
    let cv = period.cv_completed_on;
    if meeting.status == MeetingStatus::Cancelled {
        // Cancelled for good while a job in its period justifies it; otherwise the cancellation
        // rested on a fact that turned out to belong elsewhere, and the period needs its meeting.
        let fresh = schedule::plan(period, policy, today);
        if schedule::cancelled_by_job(period, policy, fresh.date) {
            return Change::None;
        }
        return Change::Schedule(fresh, cv);
    }
    if meeting.is_held(today) {
        return Change::None;
    }
    let mut date = meeting.date;
    let mut moved = None;
    if cv > meeting.cv_basis && schedule::too_soon_after_cv(period, policy, date) {
        // R6: the CV conversation ended too close to the meeting.
        let plan = schedule::plan(period, policy, today);
        (date, moved) = (plan.date, Some(plan));
    } else if cv < meeting.cv_basis {
        // The date respected a CV completion that is not this period's: move back if it can.
        let plan = schedule::plan(period, policy, today);
        if plan.date < date {
            (date, moved) = (plan.date, Some(plan));
        }
    }
    if schedule::cancelled_by_job(period, policy, date) {
        return Change::CancelAt(date, cv);
    }
    match moved {
        Some(plan) if plan.date != meeting.date => Change::Move(plan, cv),
        _ if cv != meeting.cv_basis => Change::Confirm(cv),
        _ => Change::None,
    }
}

/// A new, not yet announced meeting for `period`.
fn new_meeting(id: String, period: &Period<'_>, policy: &Policy, plan: Plan) -> Meeting {
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
        cv_basis: period.cv_completed_on,
        sequence: 0,
        last_update: None,
    }
}
