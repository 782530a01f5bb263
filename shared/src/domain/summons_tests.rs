//! Worked examples for rule R12 (summons at the right time), dates checked by hand.
//!
//! Rebild (840) is on `rebild-jit` here: target week 9, latest week 10, 5 days' CV preparation,
//! 5 days' notice, summons 10 business days before the meeting. Municipality 841 is on a policy of
//! the test file, `jit-short`, built on `rebild-jit` with the summons 3 business days before.
//! Aalborg (851) stays on `baseline`, without summonses.
//!
//! A registration in Rebild on Monday 2026-11-02, processed that day, plans the meeting on Monday
//! 2026-12-28 (week 9; R4). Ten business days before it, skipping the weekend of 26-27 December,
//! Christmas Day and 24 December: 23, 22, 21, 18, 17, 16, 15, 14, 11, 10 December. The summons day
//! is Thursday 2026-12-10.

use crate::contract::{Fact, JobExitWithdrawal, MeetingUpdate, MessageKey, UpdateReason, UpdateType};
use crate::policy::{Policy, PolicyBook};

use super::summons::{summons_day, sweep_due};
use super::tests::{Person, cv, d, job, only, registration};
use super::{Decision, MeetingStatus, SweepRun, summon};

const POLICIES: &str = r#"
default_policy = "baseline"

[policies.jit-short]
based_on = "rebild-jit"
summon_days = 3

[municipalities.840]
name = "Rebild"
policy = "rebild-jit"

[municipalities.841]
name = "Short notice"
policy = "jit-short"
"#;

fn person() -> Person {
    Person::with_policies(PolicyBook::from_toml(POLICIES, "test").unwrap())
}

fn run_key(id: &str) -> MessageKey {
    MessageKey { source: SweepRun::SOURCE.into(), id: id.into() }
}

/// Runs the sweep `run` on `today` over the person: the summonses it publishes.
fn sweep(p: &mut Person, run: &str, today: &str) -> Vec<MeetingUpdate> {
    match summon(p.state.clone(), d(today), &p.policies, &Person::cpr(), &run_key(run)).unwrap() {
        Decision::Applied { state, updates } => {
            p.state = state;
            updates
        }
        Decision::Duplicate(_) => unreachable!("summon never sees duplicates"),
    }
}

/// Registered in Rebild on Monday 2026-11-02, processed that day: planned for 2026-12-28, quietly.
fn registered_in_rebild() -> Person {
    let mut p = person();
    assert_eq!(p.register("r1", registration("840", "2026-11-02"), "2026-11-02"), vec![], "nothing published yet");
    let meeting = &p.state.meetings[0];
    assert_eq!((meeting.date, meeting.status, meeting.sequence), (d("2026-12-28"), MeetingStatus::Planned, 0));
    assert_eq!(p.state.sweep_due, Some(d("2026-12-10")));
    p
}

#[test]
fn r12_the_summons_day_counts_business_days_back_over_holidays_and_weekends() {
    let jit = Policy::rebild_jit();
    // Over Christmas: 24 and 25 December and the weekend do not count.
    assert_eq!(summons_day(&jit, d("2026-12-28")), Some(d("2026-12-10")));
    // Over Whit Monday (25 May 2026) and Ascension Day (14 May 2026): 27, 26, 22, 21, 20, 19, 18,
    // 15, 13, 12 May. Fourteen calendar days before would be Ascension Day itself.
    assert_eq!(summons_day(&jit, d("2026-05-28")), Some(d("2026-05-12")));
    // A meeting on a Monday is summoned ten business days before, on a weekday, never on the weekend.
    assert_eq!(summons_day(&jit, d("2026-11-30")), Some(d("2026-11-16")));
    assert_eq!(summons_day(&Policy::rebild_trial(), d("2026-12-28")), None, "no summon_days: at once");
}

#[test]
fn r12_the_sweep_summons_on_the_summons_day_and_not_before() {
    let mut p = registered_in_rebild();
    assert_eq!(sweep(&mut p, "s1", "2026-12-09"), vec![]);
    let u = only(sweep(&mut p, "s2", "2026-12-10"));
    assert_eq!((u.update_type, u.sequence, u.date, u.reason), (UpdateType::Scheduled, 1, d("2026-12-28"), None));
    assert_eq!(u.deadline, d("2027-01-10"));
    assert_eq!(p.state.sweep_due, None, "nothing left for the sweep");
    assert_eq!(sweep(&mut p, "s3", "2026-12-11"), vec![], "a summons goes out once");
}

#[test]
fn r12_a_summons_day_the_schedule_missed_is_caught_up_on_a_weekend() {
    let mut p = registered_in_rebild();
    // No sweep ran on Thursday 10 or Friday 11 December; the sweep of Saturday 12 December summons.
    let u = only(sweep(&mut p, "s1", "2026-12-12"));
    assert_eq!((u.sequence, u.date), (1, d("2026-12-28")));
}

#[test]
fn r12_a_job_exit_before_the_summons_means_nothing_is_ever_published() {
    let mut p = registered_in_rebild();
    // The job starts 2027-01-15, 18 days after the meeting: R7 cancels it, quietly.
    assert_eq!(p.send("j1", job("2027-01-15"), "2026-11-20").unwrap(), vec![]);
    assert_eq!(p.state.meetings[0].status, MeetingStatus::Cancelled);
    assert_eq!(p.state.sweep_due, None);
    for (run, day) in [("s1", "2026-12-10"), ("s2", "2026-12-28"), ("s3", "2027-01-20")] {
        assert_eq!(sweep(&mut p, run, day), vec![], "nothing on {day}");
    }
    assert_eq!(p.state.meetings[0].last_update, None);
}

#[test]
fn r12_a_cv_completion_before_the_summons_moves_the_plan_and_the_summons_carries_the_moved_date() {
    let mut p = person();
    // 841 plans like Rebild (2026-12-28) but summons 3 business days before: 23, 22, 21 December.
    assert_eq!(p.register("r1", registration("841", "2026-11-02"), "2026-11-02"), vec![]);
    assert_eq!(p.state.sweep_due, Some(d("2026-12-21")));
    // CV completed Friday 18 December: 5 business days later is 29 December (21, 22, 23, 28, 29),
    // after the planned 28th, so R6 moves the plan to the 29th (R4 on the 18th). Nothing is sent.
    assert_eq!(p.send("c1", cv("2026-12-18"), "2026-12-18").unwrap(), vec![]);
    assert_eq!(p.state.meetings[0].date, d("2026-12-29"));
    // The summons day moved with it: 28, 23, 22 December.
    assert_eq!(p.state.sweep_due, Some(d("2026-12-22")));
    assert_eq!(sweep(&mut p, "s1", "2026-12-21"), vec![]);
    let u = only(sweep(&mut p, "s2", "2026-12-22"));
    assert_eq!((u.update_type, u.sequence, u.date, u.previous_date), (UpdateType::Scheduled, 1, d("2026-12-29"), None));
}

#[test]
fn r12_a_plan_whose_summons_day_has_come_when_it_is_made_goes_out_with_the_next_sweep() {
    let mut p = person();
    // Registered 2026-11-02 but processed Monday 21 December: R4 gives 30 December (five business
    // days' notice: 22, 23, 28, 29, 30), whose summons day, 14 December, has passed.
    assert_eq!(p.register("r1", registration("840", "2026-11-02"), "2026-12-21"), vec![]);
    assert_eq!(p.state.meetings[0].date, d("2026-12-30"));
    assert_eq!(p.state.sweep_due, Some(d("2026-12-14")));
    let u = only(sweep(&mut p, "s1", "2026-12-21"));
    assert_eq!((u.sequence, u.date, u.deadline_missed), (1, d("2026-12-30"), false));
}

#[test]
fn r12_after_the_summons_moves_and_cancellations_publish_as_before() {
    let mut p = registered_in_rebild();
    only(sweep(&mut p, "s1", "2026-12-10"));
    // CV completed 21 December: the meeting must be on or after 30 December (22, 23, 28, 29, 30).
    let moved = only(p.send("c1", cv("2026-12-21"), "2026-12-21").unwrap());
    assert_eq!((moved.update_type, moved.sequence), (UpdateType::Rescheduled, 2));
    assert_eq!((moved.date, moved.previous_date), (d("2026-12-30"), Some(d("2026-12-28"))));
    let cancelled = only(p.send("j1", job("2027-01-04"), "2026-12-22").unwrap());
    assert_eq!((cancelled.update_type, cancelled.sequence), (UpdateType::Cancelled, 3));
    assert_eq!(cancelled.reason, Some(UpdateReason::JobExit));
    assert_eq!(p.state.sweep_due, None);
}

#[test]
fn r12_r13_a_never_summoned_plan_reinstated_by_a_withdrawal_waits_for_the_sweep_again() {
    let mut p = registered_in_rebild();
    assert_eq!(p.send("j1", job("2027-01-15"), "2026-11-20").unwrap(), vec![]);
    assert_eq!(p.state.sweep_due, None);
    let withdrawal = Fact::JobExitWithdrawn(JobExitWithdrawal { job_starts_on: d("2027-01-15") });
    // Withdrawn on 25 November: the plan is back at its date, 28 December, still unannounced.
    assert_eq!(p.send("w1", withdrawal, "2026-11-25").unwrap(), vec![]);
    assert_eq!((p.state.meetings[0].status, p.state.meetings[0].date), (MeetingStatus::Planned, d("2026-12-28")));
    assert_eq!(p.state.sweep_due, Some(d("2026-12-10")));
    let u = only(sweep(&mut p, "s1", "2026-12-10"));
    assert_eq!((u.update_type, u.sequence, u.reason), (UpdateType::Scheduled, 1, None));
}

#[test]
fn r12_a_pending_plan_whose_registration_moves_it_to_a_policy_without_summonses_goes_out_at_once() {
    let mut p = registered_in_rebild();
    // R8: a registration for the same day sent later puts the period in Aalborg (baseline): the
    // plan is made again by R4 there and announced at once, as sequence 1.
    let aalborg = Fact::Registration(registration("851", "2026-11-02"));
    let u = only(p.send_at("r2", aalborg, "2026-11-03", "2026-11-02T09:00:00Z").unwrap());
    assert_eq!((u.update_type, u.sequence, u.reason, u.municipality.as_str()), (UpdateType::Scheduled, 1, None, "851"));
    assert_eq!(p.state.sweep_due, None);
}

#[test]
fn r12_without_summon_days_nothing_waits_for_the_sweep() {
    let mut p = person();
    let u = only(p.register("r1", registration("851", "2026-11-02"), "2026-11-02"));
    assert_eq!((u.sequence, u.date), (1, d("2026-11-30")));
    assert_eq!(p.state.sweep_due, None);
    assert_eq!(sweep(&mut p, "s1", "2026-12-31"), vec![]);
}

#[test]
fn r12_the_sweeps_marker_keeps_the_person_due_until_it_is_cleared() {
    let mut p = registered_in_rebild();
    only(sweep(&mut p, "s1", "2026-12-10"));
    let run = SweepRun { key: run_key("s1"), started: "2026-12-10T05:00:00Z".parse().unwrap() };
    p.state.unpublished_summons = Some(run);
    assert_eq!(sweep_due(&p.state, &p.policies, d("2026-12-10")), Some(d("2026-12-10")));
    // A message processed meanwhile keeps the person due, for whoever publishes the marker's summonses.
    assert_eq!(p.send("c1", cv("2026-12-01"), "2026-12-10").unwrap(), vec![], "in time for the meeting: nothing");
    assert_eq!(p.state.sweep_due, Some(d("2026-12-10")));
}
