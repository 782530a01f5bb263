//! Choosing the day of a joint meeting, rule R4.
//!
//! Let E be the latest of the processing day plus `notice_days` business days and, when the CV
//! conversation is done, its day plus `cv_prep_days` business days. The meeting is the first
//! business day on or after both E and the first day of the policy's `target_week`. If that is past
//! the deadline (the last day of `latest_week`), the meeting is the first business day on or after
//! E instead and is marked `deadline_missed`: it is still scheduled, never dropped.
//!
//! Every date here is computed with checked arithmetic: a plan whose dates would leave chrono's
//! range is `None` (the caller refuses the message), never a panic. Within the contract's bounds
//! that cannot happen.

use chrono::{Days, NaiveDate};

use crate::policy::Policy;

use super::clock::UnemploymentClock;
use super::periods::Period;

/// A chosen meeting day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub date: NaiveDate,
    pub deadline: NaiveDate,
    pub deadline_missed: bool,
}

/// The deadline of a period's first joint meeting: the last day of `latest_week`.
pub fn deadline(period: &Period<'_>, policy: &Policy) -> Option<NaiveDate> {
    UnemploymentClock::of(period.registration).last_day_of_week(policy.latest_week)
}

/// The day for the period's first joint meeting, decided on `today` (rule R4).
pub fn plan(period: &Period<'_>, policy: &Policy, today: NaiveDate) -> Option<Plan> {
    let calendar = &policy.calendar;
    let clock = UnemploymentClock::of(period.registration);
    let mut earliest = calendar.add_business_days(today, policy.notice_days)?;
    if let Some(cv) = period.cv_completed_on {
        earliest = earliest.max(calendar.add_business_days(cv, policy.cv_prep_days)?);
    }
    let deadline = clock.last_day_of_week(policy.latest_week)?;
    let target = calendar.first_business_day_on_or_after(earliest.max(clock.first_day_of_week(policy.target_week)?))?;
    Some(if target <= deadline {
        Plan { date: target, deadline, deadline_missed: false }
    } else {
        Plan { date: calendar.first_business_day_on_or_after(earliest)?, deadline, deadline_missed: true }
    })
}

/// The first day a job starting on `job_starts` makes meetings pointless from (R7):
/// `cancel_horizon_days` before it. `None` when that lies before chrono's first date, where every
/// meeting is after it.
pub fn horizon_start(job_starts: NaiveDate, policy: &Policy) -> Option<NaiveDate> {
    job_starts.checked_sub_days(Days::new(u64::from(policy.cancel_horizon_days)))
}

/// Whether a meeting on `date` is pointless because a job starts on `job_starts` (R7): the job
/// starts within `cancel_horizon_days` after it.
pub fn within_horizon(job_starts: NaiveDate, policy: &Policy, date: NaiveDate) -> bool {
    horizon_start(job_starts, policy).is_none_or(|from| date >= from)
}

/// Whether a meeting on `date` must be cancelled because the period closes (rule R7): a job that
/// starts within `cancel_horizon_days` after the meeting makes it pointless.
pub fn cancelled_by_job(period: &Period<'_>, policy: &Policy, date: NaiveDate) -> bool {
    period.closes_on.is_some_and(|job_starts| within_horizon(job_starts, policy, date))
}

/// Whether a meeting on `date` comes too soon after the CV conversation (rule R6). A preparation
/// day beyond chrono's range is later than any meeting.
pub fn too_soon_after_cv(period: &Period<'_>, policy: &Policy, date: NaiveDate) -> bool {
    period
        .cv_completed_on
        .is_some_and(|cv| policy.calendar.add_business_days(cv, policy.cv_prep_days).is_none_or(|ready| date < ready))
}
