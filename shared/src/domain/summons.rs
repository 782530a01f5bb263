//! Rule R12: summons at the right time.
//!
//! Under a policy with `summon_days`, a meeting is planned by R4 as usual but kept internal: `decide`
//! moves it (R6) and drops it (R7) without publishing anything, since nobody has been told of it.
//! On its *summons day*, the `summon_days`-th business day before the meeting ([`summons_day`]), a
//! daily sweep sends its first update, `scheduled` with sequence 1, with the plan as it stands then
//! ([`summon`]). From then on the meeting publishes every change as under any other policy.
//!
//! A plan is *pending* while it is planned and nothing was ever published about it. The state keeps
//! the earliest day the sweep must look at the person in [`PersonState::sweep_due`] ([`sweep_due`]):
//! the earliest summons day of a pending plan, or the day of a sweep run that wrote summonses it may
//! not have published yet (the sweep's outbox marker, [`PersonState::unpublished_summons`]). The
//! sweep looks at everyone due *on or before* its day, so a day the schedule missed is caught up.
//!
//! The summons needs the person's CPR number while no inbound message carries it; the pipeline keeps
//! it sealed in [`PersonState::pending_cpr`] ([`SealedCpr`], `docs/security.md`). The domain never
//! opens it: [`summon`] is given the number.

use chrono::NaiveDate;

use crate::contract::{Cpr, MessageKey, UpdateType};
use crate::policy::{Policy, PolicyBook};

use super::decision::{Decision, Refusal};
use super::state::{Meeting, MeetingStatus, PersonState, SweepRun};

/// The summons day of a plan dated `date` under `policy`: the `summon_days`-th business day before
/// it. `None` when the policy has no `summon_days`. A summons day before chrono's first date (never
/// for a date within the contract's bounds) counts as that first date: due at once.
pub fn summons_day(policy: &Policy, date: NaiveDate) -> Option<NaiveDate> {
    Some(policy.calendar.sub_business_days(date, policy.summon_days?).unwrap_or(NaiveDate::MIN))
}

/// Whether a meeting is a plan awaiting its summons: planned, and nothing published about it yet.
pub fn is_pending(meeting: &Meeting) -> bool {
    meeting.status == MeetingStatus::Planned && meeting.last_update.is_none()
}

/// The day a pending meeting is due for the sweep: its summons day, or `today` when its policy has
/// no `summon_days` (any more) or no policy at all (the sweep then reports the missing policy).
fn due_day(meeting: &Meeting, policies: &PolicyBook, today: NaiveDate) -> NaiveDate {
    policies
        .for_municipality(&meeting.municipality)
        .and_then(|policy| summons_day(policy, meeting.date))
        .unwrap_or(today)
}

/// The earliest day the sweep must visit the person holding `state` (see
/// [`PersonState::sweep_due`]), worked out on `today`; `None` when it has nothing to do there.
pub fn sweep_due(state: &PersonState, policies: &PolicyBook, today: NaiveDate) -> Option<NaiveDate> {
    let pending = state.meetings.iter().filter(|m| is_pending(m)).map(|m| due_day(m, policies, today));
    let marker = state.unpublished_summons.as_ref().map(SweepRun::day);
    pending.chain(marker).min()
}

/// R12: summons every plan of the person whose summons day is on or before `today`: each gets its
/// first update (`scheduled`, sequence 1) caused by `run`. Returns Applied{state, updates} (updates
/// may be empty) and keeps `state.sweep_due` up to date.
pub fn summon(
    mut state: PersonState,
    today: NaiveDate,
    policies: &PolicyBook,
    cpr: &Cpr,
    run: &MessageKey,
) -> Result<Decision, Refusal> {
    let mut updates = Vec::new();
    for meeting in state.meetings.iter_mut().filter(|m| is_pending(m)) {
        let policy = policies
            .for_municipality(&meeting.municipality)
            .ok_or_else(|| Refusal::NoPolicy { municipality: meeting.municipality.to_string() })?;
        if summons_day(policy, meeting.date).is_none_or(|day| day <= today) {
            meeting.publish(UpdateType::Scheduled, None, None, run, today);
            updates.extend(meeting.outbox(cpr));
        }
    }
    state.sweep_due = sweep_due(&state, policies, today);
    Ok(Decision::Applied { state, updates })
}

/// A sweep run taking over the unpublished summonses of a run that died (`from`): they become
/// `to`'s, unchanged, so that `to`'s outbox ([`super::updates_published_by`] with `to`) holds them
/// too and a run that later takes over from `to` still finds them.
pub fn take_over_summonses(state: &mut PersonState, from: &MessageKey, to: &MessageKey) {
    for last in state.meetings.iter_mut().filter_map(|m| m.last_update.as_mut()) {
        if &last.caused_by == from {
            last.caused_by = to.clone();
        }
    }
}
