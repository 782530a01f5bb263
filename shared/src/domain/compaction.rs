//! Folding away periods no rule can reach any more, so a person's state stays small however long
//! their history (a seasonal worker with two periods a year for twenty years).
//!
//! A period that closed more than [`FOLD_AFTER_DAYS`] days before the processing day and before the
//! person's latest period began (so never the latest itself) is *folded*: every fact dated in it or
//! before it is dropped, with its meeting, and the state remembers only the horizon,
//! [`PersonState::folded_until`]: the job start that closed the latest folded period. A period that
//! closed on its own registration day never ends the folded stretch (its registration, dated on the
//! horizon, would be kept while its job exit went), and neither does one whose next period closes
//! on the very day it closed: the stretch then ends at an earlier period, or nothing is folded. From then on a message about a day before the horizon (a
//! registration or CV completion dated before it, a job exit or withdrawal at or before it) is
//! inert: [`is_folded`] makes `decide` treat it as seen before, so it changes nothing and publishes
//! nothing.
//!
//! Why this is safe (the argument in full: `docs/decisions.md`, "Folding old periods"):
//!
//! - The periods after the horizon come out the same: a registration on or after a closed period's
//!   job start opens a new period whether or not that period is still known, job starts and CV
//!   completions before a period's registration day never belong to it, and a withdrawal only
//!   voids the job exit with its own date (R7, R8, R13).
//! - The folded meetings are all held or cancelled (only then is anything folded), and a held or
//!   cancelled meeting of a closed period changes only through a fact of its own period, all of
//!   which are now inert. Their ids and sequences are therefore never needed again (R11).
//! - A replay of a folded message (R10) is inert by its date: no key needs remembering.
//! - What becomes inert that would not have been: a withdrawal (R13) of a job that started more
//!   than [`FOLD_AFTER_DAYS`] days ago (a job falls through *before* it starts), and registrations,
//!   CV completions or job exits dated inside a period closed that long ago. The retention rule
//!   already treats data that old as gone: a person whose last period closed that long ago is
//!   deleted (the table's TTL, `docs/security.md`).

use chrono::{Days, NaiveDate};

use crate::contract::Fact;

use super::periods;
use super::state::{MeetingStatus, PersonState};

/// How long after a period closed it is folded: the default retention time of a closed person's
/// data (`aws::dynamo::DEFAULT_RETENTION_DAYS`), a year plus a margin for late messages.
pub const FOLD_AFTER_DAYS: u64 = 400;

/// Whether `fact` concerns a day the state has folded away: then it is inert.
pub fn is_folded(state: &PersonState, fact: &Fact) -> bool {
    state.folded_until.is_some_and(|horizon| before_horizon(fact, horizon))
}

/// A fact that belongs to the folded periods: a registration or CV completion dated before the
/// horizon, a job exit or withdrawal at or before it (the horizon is a folded period's job start).
fn before_horizon(fact: &Fact, horizon: NaiveDate) -> bool {
    match fact {
        Fact::Registration(_) | Fact::CvCompleted(_) => fact.business_date() < horizon,
        Fact::JobExit(_) | Fact::JobExitWithdrawn(_) => fact.business_date() <= horizon,
    }
}

/// Folds every period of `state` that closed more than [`FOLD_AFTER_DAYS`] before `today` and before
/// the latest period's registration day, if all their meetings are settled (held or cancelled).
pub fn fold(state: &mut PersonState, today: NaiveDate) {
    // Cheap test first (it runs for every message): nothing to fold unless a job started more than
    // that long before both the processing day and the latest registration (R10: "more than 400
    // days", so `limit` is the latest close that may go).
    let latest_registration = state.facts.iter().filter_map(|f| match &f.fact {
        Fact::Registration(r) => Some(r.registered_on),
        _ => None,
    });
    let Some(newest) = latest_registration.max() else { return };
    let Some(limit) = newest.min(today).checked_sub_days(Days::new(FOLD_AFTER_DAYS + 1)) else { return };
    if !state.facts.iter().any(|f| matches!(&f.fact, Fact::JobExit(j) if j.job_starts_on <= limit)) {
        return;
    }
    let periods = periods::derive(&state.facts);
    let Some((latest, older)) = periods.split_last() else { return };
    // Old by the processing day and by the person's own history: the latest period began that long
    // after it too, so a person who has not come back keeps everything until the TTL deletes it.
    let Some(limit) = latest.start.checked_sub_days(Days::new(FOLD_AFTER_DAYS + 1)).map(|l| l.min(limit)) else {
        return;
    };
    // The horizon is the job start that closed a period old enough. Registrations dated on it then
    // belong to the next period and stay, job exits on it go: so a period that closed on its own
    // registration day cannot end the folded stretch (its registration would stay and its job exit
    // go, opening it again), and neither can a period whose next period closes that same day.
    let ends_a_stretch = |(k, p): (usize, &periods::Period<'_>)| {
        let close = p.closes_on.filter(|close| *close <= limit && p.start < *close)?;
        let next = periods.get(k + 1)?;
        (next.closes_on != Some(close)).then_some(close)
    };
    let Some(horizon) = older.iter().enumerate().rev().find_map(ends_a_stretch) else {
        return;
    };
    let settled = state
        .meetings
        .iter()
        .filter(|m| m.period_start < horizon)
        .all(|m| m.status == MeetingStatus::Cancelled || m.is_held(today));
    if !settled {
        return;
    }
    state.facts.retain(|f| !before_horizon(&f.fact, horizon));
    state.meetings.retain(|m| m.period_start >= horizon);
    state.folded_until = Some(state.folded_until.map_or(horizon, |h| h.max(horizon)));
}
