//! What a policy run means: meetings held and cancelled, no-shows avoided, reschedules and the
//! coordination load, derived from the meeting updates the pipeline published and the cohort's
//! ground truth (who starts a job when).
//!
//! A meeting (fællessamtale) counts by its last published update:
//!
//! - **held**: the last update is planned (scheduled or rescheduled) and the meeting is before
//!   the person's job start, or the person never leaves;
//! - **no-show**: the last update is planned but the person was already at work that day; the job
//!   exit came too late to cancel it (udeblivelse);
//! - **cancelled** (afbud): the last update is a cancellation. If the meeting was on or after the
//!   job start, the cancellation avoided a no-show.
//!
//! A held meeting "before the plan was ready" took place before the CV conversation (CV-samtale)
//! plus the policy's `cv_prep_days` business days: the problem the Rebild trial also set out to fix.
//!
//! A meeting cancelled for a job exit that was then withdrawn (the job fell through, rule R13) and
//! scheduled again counts as **reinstated**, and by its last update like any other meeting.
//!
//! "Days ahead" of a cancellation is from the processing day of the message that cancelled it to
//! the meeting day. Every update goes to both the jobcenter and the a-kasse: the coordination load.
//!
//! Under a policy with `summon_days` (rule R12), a meeting is announced by the daily sweep's
//! summons rather than by the registration; the summonses are counted in the order they went out,
//! between the messages of the days around them. A plan dropped before its summons was never
//! announced and costs nobody anything: it is not a meeting here at all.

use std::collections::HashMap;

use chrono::NaiveDate;
use samspil::contract::{MeetingUpdate, UpdateReason, UpdateType};
use samspil::pipeline::Outcome;
use samspil::policy::Policy;

use super::cohort::Cohort;
use super::feed::Fed;

/// The numbers of one policy run. Deterministic: no timings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Metrics {
    pub policy: String,
    pub people: u64,
    pub messages: u64,
    /// Messages recognised as seen before (rule R10).
    pub duplicates: u64,
    /// Messages the pipeline refused as bad input; always 0 for a generated cohort.
    pub rejected: u64,
    /// Meetings announced with a `scheduled` update.
    pub scheduled: u64,
    /// People whose meeting was never announced: the job was known first.
    pub never_announced: u64,
    pub held: u64,
    pub cancelled: u64,
    pub no_shows: u64,
    /// Cancelled meetings that were on or after the job start.
    pub no_shows_avoided: u64,
    /// Held meetings of people whose job started within the policy's cancel horizon after them.
    pub held_job_soon_after: u64,
    /// Held meetings before the CV conversation plus `cv_prep_days` business days.
    pub held_before_plan: u64,
    /// `rescheduled` updates.
    pub rescheduled: u64,
    /// `scheduled` updates with reason `job_exit_withdrawn`: meetings reinstated (R13).
    pub reinstated: u64,
    /// Meetings that took place (held or no-show) marked `deadline_missed`.
    pub deadline_missed: u64,
    /// Cancellations that came more than two weeks before the meeting.
    pub cancelled_over_two_weeks_ahead: u64,
    pub cancel_days_ahead_mean: f64,
    pub cancel_days_ahead_median: f64,
    /// Meeting updates published; each goes to a jobcenter and an a-kasse.
    pub updates: u64,
    /// Per week since the cohort's start: meetings held (by meeting day).
    pub held_per_week: Vec<u64>,
    /// Per week since the cohort's start: cancellations (by the processing day that cancelled).
    pub cancelled_per_week: Vec<u64>,
}

impl Metrics {
    /// Cancellations per announced meeting.
    pub fn cancellation_rate(&self) -> f64 {
        self.cancelled as f64 / self.scheduled.max(1) as f64
    }

    /// Updates published per meeting held.
    pub fn updates_per_held(&self) -> f64 {
        self.updates as f64 / self.held.max(1) as f64
    }

    /// Updates published per 1,000 people registered (each person registers once).
    pub fn updates_per_thousand(&self) -> f64 {
        1000.0 * self.updates as f64 / self.people.max(1) as f64
    }
}

/// One meeting, as far as its updates tell.
struct Track {
    person: u32,
    last: UpdateType,
    date: NaiveDate,
    deadline_missed: bool,
    /// The processing day of its last cancellation.
    cancelled_on: NaiveDate,
}

/// The metrics of `fed`, a run of `cohort` with every municipality on `policy`.
pub fn measure<'a>(policy: &Policy, cohort: &Cohort, fed: &'a Fed) -> Metrics {
    let start = cohort.people.iter().map(|p| p.registered_on).min().unwrap_or_default();
    let week = |day: NaiveDate| ((day - start).num_days().max(0) / 7) as usize;
    let mut m = Metrics {
        policy: policy.name.clone(),
        people: cohort.people.len() as u64,
        messages: fed.outcomes.len() as u64,
        duplicates: 0,
        rejected: 0,
        scheduled: 0,
        never_announced: 0,
        held: 0,
        cancelled: 0,
        no_shows: 0,
        no_shows_avoided: 0,
        held_job_soon_after: 0,
        held_before_plan: 0,
        rescheduled: 0,
        reinstated: 0,
        deadline_missed: 0,
        cancelled_over_two_weeks_ahead: 0,
        cancel_days_ahead_mean: 0.0,
        cancel_days_ahead_median: 0.0,
        updates: fed.published,
        held_per_week: Vec::new(),
        cancelled_per_week: Vec::new(),
    };
    let mut meetings: HashMap<&str, Track> = HashMap::new();
    let mut count = |m: &mut Metrics, person: u32, today: NaiveDate, u: &'a MeetingUpdate| {
        match u.update_type {
            UpdateType::Scheduled if !meetings.contains_key(u.meeting_id.as_str()) => m.scheduled += 1,
            UpdateType::Rescheduled => m.rescheduled += 1,
            UpdateType::Scheduled if u.reason == Some(UpdateReason::JobExitWithdrawn) => m.reinstated += 1,
            _ => {}
        }
        let track = meetings.entry(u.meeting_id.as_str()).or_insert(Track {
            person,
            last: u.update_type,
            date: u.date,
            deadline_missed: u.deadline_missed,
            cancelled_on: today,
        });
        (track.last, track.date, track.deadline_missed) = (u.update_type, u.date, u.deadline_missed);
        if u.update_type == UpdateType::Cancelled {
            track.cancelled_on = today;
        }
    };
    // Summonses name their person only by the CPR number: the cohort's numbers, by person.
    let people_by_cpr: HashMap<String, u32> = if fed.summonses.is_empty() {
        HashMap::new()
    } else {
        (0..cohort.people.len()).map(|index| (super::messages::synthetic_cpr(index), index as u32)).collect()
    };
    let mut summonses = fed.summonses.iter().peekable();
    for (index, (message, outcome)) in cohort.messages.iter().zip(&fed.outcomes).enumerate() {
        while let Some(summons) = summonses.next_if(|s| s.after <= index) {
            let person = people_by_cpr[summons.update.cpr.expose()];
            count(&mut m, person, summons.day, &summons.update);
        }
        let updates = match outcome {
            Ok(Outcome::Applied { updates }) => updates,
            Ok(Outcome::Duplicate { .. }) => {
                m.duplicates += 1;
                continue;
            }
            Err(_) => {
                m.rejected += 1;
                continue;
            }
        };
        for u in updates {
            count(&mut m, message.person, message.received_on, u);
        }
    }
    for summons in summonses {
        let person = people_by_cpr[summons.update.cpr.expose()];
        count(&mut m, person, summons.day, &summons.update);
    }

    let mut days_ahead = Vec::new();
    let mut people_with_meeting = vec![false; cohort.people.len()];
    for track in meetings.values() {
        people_with_meeting[track.person as usize] = true;
        let person = &cohort.people[track.person as usize];
        let job = person.starts_work_on();
        let at_work = job.is_some_and(|start| track.date >= start);
        if track.last == UpdateType::Cancelled {
            m.cancelled += 1;
            m.no_shows_avoided += u64::from(at_work);
            days_ahead.push((track.date - track.cancelled_on).num_days());
            bump(&mut m.cancelled_per_week, week(track.cancelled_on));
            continue;
        }
        m.deadline_missed += u64::from(track.deadline_missed);
        if at_work {
            m.no_shows += 1;
        } else {
            m.held += 1;
            bump(&mut m.held_per_week, week(track.date));
            let horizon = i64::from(policy.cancel_horizon_days);
            let soon = job.is_some_and(|start| (start - track.date).num_days() <= horizon);
            m.held_job_soon_after += u64::from(soon);
            let calendar = &policy.calendar;
            // A preparation day beyond the calendar's range (never, for simulated dates) is not yet ready.
            let ready = person.cv_completed_on.map(|cv| calendar.add_business_days(cv, policy.cv_prep_days));
            m.held_before_plan += u64::from(ready.is_none_or(|ready| ready.is_none_or(|ready| track.date < ready)));
        }
    }
    m.never_announced = people_with_meeting.iter().filter(|has| !**has).count() as u64;
    let weeks = m.held_per_week.len().max(m.cancelled_per_week.len());
    m.held_per_week.resize(weeks, 0);
    m.cancelled_per_week.resize(weeks, 0);
    m.cancelled_over_two_weeks_ahead = days_ahead.iter().filter(|days| **days > 14).count() as u64;
    (m.cancel_days_ahead_mean, m.cancel_days_ahead_median) = mean_and_median(&mut days_ahead);
    m
}

fn bump(series: &mut Vec<u64>, index: usize) {
    if series.len() <= index {
        series.resize(index + 1, 0);
    }
    series[index] += 1;
}

fn mean_and_median(values: &mut [i64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    values.sort_unstable();
    let mean = values.iter().sum::<i64>() as f64 / values.len() as f64;
    let mid = values.len() / 2;
    let median =
        if values.len().is_multiple_of(2) { (values[mid - 1] + values[mid]) as f64 / 2.0 } else { values[mid] as f64 };
    (mean, median)
}

/// How fast one policy's run went, as the `timing` of `--format json --timings`: apart from the
/// metrics, which are the same for every run of one seed.
pub fn timing_json(outcome: &super::Outcome) -> serde_json::Value {
    serde_json::json!({
        "policy": outcome.metrics.policy, "messages": outcome.metrics.messages, "seconds": outcome.seconds,
        "messages_per_second": outcome.messages_per_second, "cpu_seconds": outcome.cpu_seconds,
    })
}

/// The runs side by side, one column per policy, as plain aligned text.
pub fn table(runs: &[Metrics]) -> String {
    type Row = (&'static str, fn(&Metrics) -> String);
    let rows: [Row; 21] = [
        ("people", |m| m.people.to_string()),
        ("messages fed (duplicates recognised)", |m| format!("{} ({})", m.messages, m.duplicates)),
        ("meetings scheduled (announced)", |m| m.scheduled.to_string()),
        ("  held", |m| m.held.to_string()),
        ("  cancelled (job exit)", |m| m.cancelled.to_string()),
        ("  no-shows (job exit came too late)", |m| m.no_shows.to_string()),
        ("never announced (job known first)", |m| m.never_announced.to_string()),
        ("announced meetings later cancelled", |m| format!("{:.1} %", 100.0 * m.cancellation_rate())),
        ("cancelled: days ahead, mean", |m| format!("{:.1}", m.cancel_days_ahead_mean)),
        ("cancelled: days ahead, median", |m| format!("{:.1}", m.cancel_days_ahead_median)),
        ("cancelled more than 14 days ahead", |m| m.cancelled_over_two_weeks_ahead.to_string()),
        ("no-shows avoided (already at work)", |m| m.no_shows_avoided.to_string()),
        ("held, job started within horizon", |m| m.held_job_soon_after.to_string()),
        ("held before the plan was ready", |m| m.held_before_plan.to_string()),
        ("rescheduled (CV completed late)", |m| m.rescheduled.to_string()),
        ("reinstated (job exit withdrawn)", |m| m.reinstated.to_string()),
        ("deadline missed (meetings held late)", |m| m.deadline_missed.to_string()),
        ("updates published", |m| m.updates.to_string()),
        ("  deliveries (jobcenter + a-kasse)", |m| (2 * m.updates).to_string()),
        ("updates per 1,000 registrations", |m| format!("{:.0}", m.updates_per_thousand())),
        ("updates per meeting held", |m| format!("{:.2}", m.updates_per_held())),
    ];
    let label_width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
    let cells: Vec<Vec<String>> = rows.iter().map(|(_, cell)| runs.iter().map(cell).collect()).collect();
    let widths: Vec<usize> = (0..runs.len())
        .map(|i| cells.iter().map(|row| row[i].len()).chain([runs[i].policy.len()]).max().unwrap_or(0))
        .collect();
    let mut out = format!("{:label_width$}", "");
    for (run, width) in runs.iter().zip(&widths) {
        out.push_str(&format!("  {:>width$}", run.policy));
    }
    out.push('\n');
    for ((label, _), row) in rows.iter().zip(&cells) {
        out.push_str(&format!("{label:label_width$}"));
        for (cell, width) in row.iter().zip(&widths) {
            out.push_str(&format!("  {cell:>width$}"));
        }
        out.push('\n');
    }
    out
}
