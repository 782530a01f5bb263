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
//! - a meeting cancelled for a job exit that was then withdrawn is scheduled again, at the date it
//!   had if that is still far enough ahead, else by R4 (R13);
//! - a meeting whose period's data changed, because a registration for the same day sent later
//!   arrived, takes the new data (R8): a new R4 date when the clock or the policy changed, and a
//!   `scheduled` update with reason `corrected` when anything the receivers see changed;
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
//!
//! Under a policy with `summon_days` (R12), a meeting's first update is never published here: the
//! plan stays internal, moved and dropped quietly, until the sweep summons it ([`super::summons`]).
//! `decide` keeps [`PersonState::sweep_due`] up to date for the sweep.

use chrono::NaiveDate;

use crate::contract::{Cpr, Fact, InboundMessage, MeetingKind, MeetingUpdate, MessageKey, UpdateReason, UpdateType};
use crate::identity::{PersonKey, meeting_id};
use crate::policy::{Policy, PolicyBook};

use super::decision::{Decision, Refusal};
use super::periods::{self, Period};
use super::schedule::{self, Plan};
use super::state::{Meeting, MeetingStatus, PersonState, RecordedFact, Transfer};
use super::summons;

/// Decides what `message` means for the person whose current state is `state`, on the processing
/// day `today` (R0). Pure: the same arguments always give the same decision. Takes the state by
/// value, since the caller has just loaded it and the new state is built from it.
pub fn decide(
    next: PersonState,
    person: &PersonKey,
    message: &InboundMessage,
    today: NaiveDate,
    policies: &PolicyBook,
) -> Result<Decision, Refusal> {
    decide_folding(next, person, message, today, policies, true)
}

/// [`decide`], folding old periods away or not: without folding (property tests only) the state
/// keeps every fact, which is what folding must never change the outcome of (R10).
pub(crate) fn decide_folding(
    mut next: PersonState,
    person: &PersonKey,
    message: &InboundMessage,
    today: NaiveDate,
    policies: &PolicyBook,
    folding: bool,
) -> Result<Decision, Refusal> {
    if next.has_processed(&message.key) || super::compaction::is_folded(&next, &message.fact) {
        return Ok(Decision::Duplicate(next));
    }
    let cpr = message.cpr;
    next.facts.push(RecordedFact {
        key: message.key.clone(),
        received_on: today,
        fact: message.fact.clone(),
        time: Some(message.time),
    });

    let mut updates = Vec::new();
    // R12: under a policy with `summon_days`, a meeting nobody has heard of yet stays internal.
    // R8: `before` is what the meeting's receivers were last told of it as planned; if the update
    // goes to other receivers (a correction moved the meeting to another municipality or a-kasse),
    // the old ones are sent a cancellation first, so none is left holding a meeting that moved.
    // The outbox of a meeting also holds the cancellations of recent transfers (`Meeting::publish`).
    let mut publish = |meeting: &mut Meeting, change: Change, policy: Option<&Policy>, before: Option<Transfer>| {
        let summoned_later = policy.is_some_and(|p| p.summon_days.is_some());
        if !change.apply(meeting, &message.key, summoned_later, today) {
            return;
        }
        if let Some(before) = before.filter(|b| b.municipality != meeting.municipality || b.akasse != meeting.akasse) {
            meeting.transfer_from(before, today);
        }
        updates.extend(meeting.outbox(&cpr));
    };
    let facts = &next.facts;
    let periods = periods::derive(facts);
    // R14: an a-kasse speaks only for its own members. A fact about a known period of another
    // a-kasse's member is refused; one about no known period is kept, and counts only for a period
    // that turns out to be its a-kasse's.
    let about = periods::period_about(&periods, &message.fact);
    if about.is_some_and(|p| !p.heard_from(&message.key)) {
        return Err(Refusal::NotMember);
    }
    // A bound on the facts kept for one person, so no sender can grow the stored item without end.
    let placed = about.is_some() || matches!(message.fact, Fact::Registration(_));
    if !super::limits::admits(&facts[..facts.len() - 1], &periods, &message.key, placed) {
        return Err(Refusal::TooManyFacts);
    }
    let mut current_periods = Vec::with_capacity(periods.len());
    for period in &periods {
        let policy = policies
            .for_municipality(&period.registration.municipality)
            .ok_or_else(|| Refusal::NoPolicy { municipality: period.registration.municipality.to_string() })?;
        // One meeting per period and kind: its id is derived from both (R11), so it is computed
        // only when the meeting is new.
        let own =
            next.meetings.iter().position(|m| m.period_start == period.start && m.kind == MeetingKind::FirstJoint);
        match own {
            // R8: a meeting of the period held under another of its registration days is its first
            // meeting; its own meeting is not planned (again), and is cancelled if it was.
            Some(i)
                if !next.meetings[i].is_held(today)
                    && next
                        .meetings
                        .iter()
                        .enumerate()
                        .any(|(j, m)| j != i && is_first_meeting_held_in(m, period, today)) =>
            {
                let meeting = &mut next.meetings[i];
                if meeting.status == MeetingStatus::Planned {
                    meeting.status = MeetingStatus::Cancelled;
                    publish(meeting, Change::Announce(Some(UpdateReason::Superseded)), Some(policy), None);
                }
            }
            Some(i) => {
                let meeting = &mut next.meetings[i];
                let before = meeting.announced_plan();
                let change = reconcile(meeting, period, policy, facts, today)?;
                publish(meeting, change, Some(policy), before);
            }
            // R8: a meeting held under a later registration day of the period (the earlier
            // registration arrived after it) is the period's first meeting: nothing new is owed.
            None if next.meetings.iter().any(|m| is_first_meeting_held_in(m, period, today)) => {}
            None => {
                let id = meeting_id(person, period.start, MeetingKind::FirstJoint);
                let plan = schedule::plan(period, policy, today).ok_or(Refusal::OutOfRange)?;
                let mut meeting = new_meeting(id, period, policy, plan);
                if schedule::cancelled_by_job(period, policy, plan.date) {
                    meeting.status = MeetingStatus::Cancelled;
                } else {
                    publish(&mut meeting, Change::Announce(None), Some(policy), None);
                }
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
            meeting.status = MeetingStatus::Cancelled;
            // R14: when the period that took its place (the one that now covers its day, or else
            // the next) is another a-kasse's or municipality's, its receivers are told it moved.
            let successor = periods
                .iter()
                .find(|p| p.contains(meeting.period_start))
                .or_else(|| periods.iter().find(|p| p.start > meeting.period_start));
            let moved = successor
                .is_some_and(|p| p.akasse() != meeting.akasse || p.registration.municipality != meeting.municipality);
            let reason = if moved { UpdateReason::Transferred } else { UpdateReason::Superseded };
            // A meeting never announced is dropped quietly, whatever its policy.
            publish(meeting, Change::Announce(Some(reason)), None, None);
        }
    }
    if folding {
        super::compaction::fold(&mut next, today);
    }
    next.sweep_due = summons::sweep_due(&next, policies, today);
    Ok(Decision::Applied { state: next, updates })
}

/// The updates in the outbox of `key`: the last update of every meeting whose last change `key`
/// caused, each after the cancellations it sent to old receivers of the meeting (R8: its own
/// transfer's, and those of recent transfers it carries along, see `Meeting::publish`). A message
/// that is delivered again after its state was written publishes these again, since the earlier
/// attempt may have died before publishing them. They are rendered for `cpr`, the
/// number in the message (the state holds none).
pub fn updates_published_by(state: &PersonState, key: &MessageKey, cpr: &Cpr) -> Vec<MeetingUpdate> {
    state
        .meetings
        .iter()
        .filter(|m| m.last_update.as_ref().is_some_and(|u| &u.caused_by == key))
        .flat_map(|m| m.outbox(cpr))
        .collect()
}

/// What is published about one meeting after its new state was recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Change {
    /// Nothing: the meeting did not change, or changed only in what receivers never see.
    Quiet,
    /// Announce the meeting as it now stands: `scheduled` (again, with this reason, if it was
    /// announced before) or `cancelled` with this reason (only if it was announced before).
    Announce(Option<UpdateReason>),
    /// Moved from this day for the CV conversation (R6): `rescheduled`.
    Move(NaiveDate),
}

impl Change {
    /// Records the change's update on the meeting on `today` and says whether anything is
    /// published. With `summoned_later` (R12), nothing is published about a meeting not yet
    /// announced: the sweep summons it. A meeting's first update is always `scheduled`, never
    /// `rescheduled`.
    fn apply(self, meeting: &mut Meeting, cause: &MessageKey, summoned_later: bool, today: NaiveDate) -> bool {
        let announced = meeting.last_update.is_some();
        if !announced && summoned_later {
            return false;
        }
        let change = match self {
            Change::Move(_) if !announced => Change::Announce(None),
            other => other,
        };
        let (update_type, previous_date, reason) = match (change, meeting.status) {
            (Change::Quiet, _) => return false,
            (Change::Announce(reason), MeetingStatus::Planned) => {
                (UpdateType::Scheduled, None, reason.filter(|_| announced))
            }
            (Change::Announce(_), MeetingStatus::Cancelled) if !announced => return false,
            (Change::Announce(reason), MeetingStatus::Cancelled) => (UpdateType::Cancelled, None, reason),
            (Change::Move(previous), _) => (UpdateType::Rescheduled, Some(previous), Some(UpdateReason::CvCompleted)),
        };
        meeting.publish(update_type, previous_date, reason, cause, today);
        true
    }
}

/// Brings an existing meeting in line with its period: changes it in place and says what to publish.
fn reconcile(
    meeting: &mut Meeting,
    period: &Period<'_>,
    policy: &Policy,
    facts: &[RecordedFact],
    today: NaiveDate,
) -> Result<Change, Refusal> {
    if meeting.is_held(today) {
        // A held meeting never changes, whatever arrives later.
        return Ok(Change::Quiet);
    }
    let cv = period.cv_completed_on;
    // R8: a registration for the same day sent later may have given the period other data.
    let corrected = meeting.registration.as_ref() != Some(period.registration_key);
    let replan = corrected && clock_or_policy_changed(meeting, period, policy, facts)?;
    let current = Plan { date: meeting.date, deadline: meeting.deadline, deadline_missed: meeting.deadline_missed };
    let fresh = || schedule::plan(period, policy, today).ok_or(Refusal::OutOfRange);

    let plan = match meeting.status {
        MeetingStatus::Cancelled => {
            // Cancelled for good while a job in its period justifies it. Otherwise the job exit was
            // withdrawn (R13) or the cancellation rested on another period's fact (R6): the period
            // needs its meeting again.
            let withdrawn = was_cancelled_by_job(meeting)
                && period.withdrawn_job_starts.iter().any(|s| schedule::within_horizon(*s, policy, meeting.date));
            let plan = match withdrawn && !replan {
                true => match reinstated(meeting, period, policy, today)? {
                    Some(plan) => plan,
                    None => fresh()?,
                },
                false => fresh()?,
            };
            if schedule::cancelled_by_job(period, policy, plan.date) {
                return still_cancelled(meeting, period, policy, corrected, replan);
            }
            meeting.status = MeetingStatus::Planned;
            set_plan(meeting, plan, cv);
            take_registration(meeting, period, policy, true);
            let reason = if withdrawn { UpdateReason::JobExitWithdrawn } else { UpdateReason::Corrected };
            return Ok(Change::Announce(Some(reason)));
        }
        MeetingStatus::Planned if replan => fresh()?,
        MeetingStatus::Planned => {
            if cv > meeting.cv_basis && schedule::too_soon_after_cv(period, policy, meeting.date) {
                // R6: the CV conversation ended too close to the meeting.
                fresh()?
            } else if cv < meeting.cv_basis {
                // The date respected a CV completion that is not this period's: move back if it can.
                let fresh = fresh()?;
                if fresh.date < meeting.date { fresh } else { current }
            } else {
                current
            }
        }
    };
    set_plan(meeting, plan, cv);
    let details_changed = take_registration(meeting, period, policy, true);
    if schedule::cancelled_by_job(period, policy, plan.date) {
        // R7, at the date the meeting has now, with that date's `deadline_missed` (R9).
        meeting.status = MeetingStatus::Cancelled;
        return Ok(Change::Announce(Some(UpdateReason::JobExit)));
    }
    Ok(if plan == current && !details_changed {
        Change::Quiet
    } else if details_changed || replan {
        Change::Announce(Some(UpdateReason::Corrected))
    } else {
        Change::Move(current.date)
    })
}

/// A meeting that stays cancelled. When the period's registration was corrected (R8), it takes the
/// new data and keeps its date (R6); its deadline may change, and `deadline_missed` then describes
/// the date it carries (R9). The cancellation is sent again only if receivers would see a change.
/// If the new registration changed the clock or the policy, the meeting keeps remembering the
/// registration its date was chosen under, so that a withdrawal (R13) chooses a new date by R4
/// instead of reinstating one chosen under other data.
fn still_cancelled(
    meeting: &mut Meeting,
    period: &Period<'_>,
    policy: &Policy,
    corrected: bool,
    replan: bool,
) -> Result<Change, Refusal> {
    if !corrected {
        return Ok(Change::Quiet);
    }
    let mut changed = take_registration(meeting, period, policy, !replan);
    let deadline = schedule::deadline(period, policy).ok_or(Refusal::OutOfRange)?;
    if deadline != meeting.deadline {
        meeting.deadline = deadline;
        meeting.deadline_missed = meeting.date > deadline;
        changed = true;
    }
    if !changed {
        return Ok(Change::Quiet);
    }
    let reason = meeting.last_update.as_ref().and_then(|u| u.reason).unwrap_or(UpdateReason::JobExit);
    Ok(Change::Announce(Some(reason)))
}

/// Whether the meeting's cancellation was for a job: announced with reason `job_exit`, or never
/// announced (a job exit known before the registration).
fn was_cancelled_by_job(meeting: &Meeting) -> bool {
    meeting.last_update.as_ref().is_none_or(|last| last.reason == Some(UpdateReason::JobExit))
}

/// R13: the date a meeting cancelled for a withdrawn job exit is scheduled again at, if it can
/// keep the date it had: that date is at least `notice_days` business days after the processing
/// day, and R6 would not move it (it respects the period's CV completion, and no earlier date is
/// owed to it). `None`: R4 on the processing day gives the date.
fn reinstated(
    meeting: &Meeting,
    period: &Period<'_>,
    policy: &Policy,
    today: NaiveDate,
) -> Result<Option<Plan>, Refusal> {
    let earliest = policy.calendar.add_business_days(today, policy.notice_days).ok_or(Refusal::OutOfRange)?;
    let cv = period.cv_completed_on;
    let owed_earlier =
        || schedule::plan(period, policy, today).ok_or(Refusal::OutOfRange).map(|p| p.date < meeting.date);
    let keeps = meeting.date >= earliest
        && !(cv > meeting.cv_basis && schedule::too_soon_after_cv(period, policy, meeting.date))
        && !(cv < meeting.cv_basis && owed_earlier()?);
    Ok(keeps.then_some(Plan {
        date: meeting.date,
        deadline: meeting.deadline,
        deadline_missed: meeting.deadline_missed,
    }))
}

/// Whether the period's registration, now a different one, changes the meeting's clock (hours) or
/// policy (municipality), so its date must be chosen again (R8).
fn clock_or_policy_changed(
    meeting: &Meeting,
    period: &Period<'_>,
    policy: &Policy,
    facts: &[RecordedFact],
) -> Result<bool, Refusal> {
    let now = period.registration;
    let before = meeting.registration.as_ref().and_then(|key| {
        facts.iter().find(|f| &f.key == key).and_then(|f| match &f.fact {
            Fact::Registration(r) => Some(r),
            _ => None,
        })
    });
    Ok(match before {
        Some(r) => {
            r.municipality != now.municipality
                || r.prior_hours != now.prior_hours
                || r.weekly_hours != now.weekly_hours
                || r.registered_on != now.registered_on
        }
        // Stored before meetings remembered their registration: judge by what the meeting shows.
        None => {
            meeting.municipality != now.municipality || Some(meeting.deadline) != schedule::deadline(period, policy)
        }
    })
}

/// Gives the meeting the period's registration data (R8) and, with `dated`, records the
/// registration as the one its date was chosen under. Returns whether anything receivers see
/// changed (municipality, a-kasse, participation, form).
fn take_registration(meeting: &mut Meeting, period: &Period<'_>, policy: &Policy, dated: bool) -> bool {
    if meeting.registration.as_ref() == Some(period.registration_key) {
        return false;
    }
    let r = period.registration;
    let changed = meeting.municipality != r.municipality
        || meeting.akasse != r.akasse
        || meeting.akasse_participation != r.akasse_participation
        || meeting.form != policy.form;
    if dated {
        meeting.registration = Some(period.registration_key.clone());
    }
    meeting.municipality.clone_from(&r.municipality);
    meeting.akasse.clone_from(&r.akasse);
    meeting.akasse_participation = r.akasse_participation;
    meeting.form = policy.form;
    changed
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
        registration: Some(period.registration_key.clone()),
        sequence: 0,
        last_update: None,
    }
}

/// Whether `meeting` is a first joint meeting of `period`, under any of its registration days, that
/// has been held by `today`.
fn is_first_meeting_held_in(meeting: &Meeting, period: &Period<'_>, today: NaiveDate) -> bool {
    meeting.kind == MeetingKind::FirstJoint && period.contains(meeting.period_start) && meeting.is_held(today)
}

/// Gives the meeting the day, deadline flag and CV basis of a new plan.
fn set_plan(meeting: &mut Meeting, plan: Plan, cv_basis: Option<NaiveDate>) {
    meeting.date = plan.date;
    meeting.deadline = plan.deadline;
    meeting.deadline_missed = plan.deadline_missed;
    meeting.cv_basis = cv_basis;
}
