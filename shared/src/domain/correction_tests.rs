//! Worked examples for what a-kasser correct: a job exit withdrawn (R13), two registrations for
//! the same day (R8), and the `deadline_missed` of a cancelled meeting (R9). Dates checked by hand
//! against the rules, as in `docs/rules.md`.
//!
//! Baseline (851): target week 5, latest week 6, 3 business days' CV preparation, 5 days' notice,
//! 42 days' cancel horizon. A person registered Monday 2026-11-02 with no prior hours gets the
//! meeting on Monday 2026-11-30 (week 5), deadline Sunday 2026-12-13.

use crate::contract::{AkasseParticipation, Fact, JobExitWithdrawal, Registration, UpdateReason, UpdateType};

use super::MeetingStatus;
use super::tests::{Person, cv, d, job, only, registration};

fn withdrawn(day: &str) -> Fact {
    Fact::JobExitWithdrawn(JobExitWithdrawal { job_starts_on: d(day) })
}

/// Registered 2026-11-02 on baseline; the meeting is on 2026-11-30, announced with sequence 1.
fn registered() -> Person {
    let mut p = Person::new();
    let u = only(p.register("r1", registration("851", "2026-11-02"), "2026-11-02"));
    assert_eq!((u.date, u.deadline, u.sequence), (d("2026-11-30"), d("2026-12-13"), 1));
    p
}

/// A job starting 2027-01-04 cancels the 2026-11-30 meeting: 30 Nov is on or after 4 Jan - 42 days
/// (23 Nov).
fn cancelled_by_job(p: &mut Person, today: &str) {
    let u = only(p.send("x1", job("2027-01-04"), today).unwrap());
    assert_eq!((u.update_type, u.date, u.sequence), (UpdateType::Cancelled, d("2026-11-30"), 2));
    assert_eq!(u.reason, Some(UpdateReason::JobExit));
}

#[test]
fn r13_withdrawal_after_the_cancellation_schedules_the_meeting_again_at_its_date() {
    let mut p = registered();
    cancelled_by_job(&mut p, "2026-11-05");
    // Tuesday 10 Nov plus 5 business days is Tuesday 17 Nov; 30 Nov is later, so it keeps its date.
    let u = only(p.send("w1", withdrawn("2027-01-04"), "2026-11-10").unwrap());
    assert_eq!(u.update_type, UpdateType::Scheduled);
    assert_eq!((u.date, u.deadline, u.deadline_missed), (d("2026-11-30"), d("2026-12-13"), false));
    assert_eq!(u.sequence, 3);
    assert_eq!(u.reason, Some(UpdateReason::JobExitWithdrawn));
    // The period is open again: a later job exit cancels it as usual.
    let u = only(p.send("x2", job("2026-12-20"), "2026-11-12").unwrap());
    assert_eq!((u.update_type, u.sequence, u.reason), (UpdateType::Cancelled, 4, Some(UpdateReason::JobExit)));
}

#[test]
fn r13_withdrawal_too_close_to_the_date_schedules_by_r4() {
    let mut p = registered();
    cancelled_by_job(&mut p, "2026-11-05");
    // Thursday 26 Nov plus 5 business days is Thursday 3 Dec, after 30 Nov: R4 on 26 Nov gives
    // 3 Dec (week 5 has begun; 3 Dec is before the deadline of 13 Dec).
    let u = only(p.send("w1", withdrawn("2027-01-04"), "2026-11-26").unwrap());
    assert_eq!((u.update_type, u.sequence), (UpdateType::Scheduled, 3));
    assert_eq!((u.date, u.deadline_missed), (d("2026-12-03"), false));
    assert_eq!(u.reason, Some(UpdateReason::JobExitWithdrawn));
}

#[test]
fn r13_withdrawal_after_the_date_passed_schedules_by_r4_and_may_miss_the_deadline() {
    let mut p = registered();
    cancelled_by_job(&mut p, "2026-11-05");
    // Thursday 10 Dec plus 5 business days is Thursday 17 Dec, after the deadline of 13 Dec: the
    // meeting is scheduled all the same, marked deadline_missed (R4).
    let u = only(p.send("w1", withdrawn("2027-01-04"), "2026-12-10").unwrap());
    assert_eq!((u.update_type, u.sequence), (UpdateType::Scheduled, 3));
    assert_eq!((u.date, u.deadline, u.deadline_missed), (d("2026-12-17"), d("2026-12-13"), true));
}

#[test]
fn r13_withdrawal_before_the_job_exit_voids_it_when_it_comes() {
    let mut p = registered();
    assert!(p.send("w1", withdrawn("2027-01-04"), "2026-11-05").unwrap().is_empty());
    assert!(p.send("x1", job("2027-01-04"), "2026-11-06").unwrap().is_empty(), "the job exit is void");
    let meeting = &p.state.meetings[0];
    assert_eq!((meeting.status, meeting.date, meeting.sequence), (MeetingStatus::Planned, d("2026-11-30"), 1));
    assert_eq!(p.state.closed_since(), None, "the period stays open");
}

#[test]
fn r13_withdrawal_that_matches_nothing_is_kept_and_publishes_nothing() {
    let mut p = registered();
    assert!(p.send("w1", withdrawn("2027-02-01"), "2026-11-05").unwrap().is_empty());
    assert_eq!(p.state.facts.len(), 2, "the withdrawal is kept");
    assert_eq!(p.send("w1", withdrawn("2027-02-01"), "2026-11-06"), None, "and recognised when it comes again");
    // It voids no other job exit.
    cancelled_by_job(&mut p, "2026-11-09");
}

#[test]
fn r13_withdrawal_after_the_meeting_was_held_changes_nothing() {
    let mut p = registered();
    // 30 Nov has passed on 1 Dec: the meeting was held, and a job exit no longer cancels it (R7).
    assert!(p.send("x1", job("2027-01-04"), "2026-12-01").unwrap().is_empty());
    assert!(p.send("w1", withdrawn("2027-01-04"), "2026-12-02").unwrap().is_empty());
    let meeting = &p.state.meetings[0];
    assert_eq!((meeting.status, meeting.sequence), (MeetingStatus::Planned, 1));
}

#[test]
fn r13_withdrawal_reopens_the_period_and_a_re_registration_inside_it_opens_nothing() {
    let mut p = registered();
    cancelled_by_job(&mut p, "2026-11-05");
    // A registration on the job's first day opens a new period (R8) with its own meeting.
    let second = only(p.register("r2", registration("851", "2027-01-04"), "2026-11-06"));
    assert_eq!(second.update_type, UpdateType::Scheduled);
    // The job falls through: the first period is open again, so 4 Jan falls inside it. Its meeting
    // is scheduled again and the second period's meeting is superseded.
    let updates = p.send("w1", withdrawn("2027-01-04"), "2026-11-10").unwrap();
    assert_eq!(updates.len(), 2, "{updates:?}");
    let again = updates.iter().find(|u| u.update_type == UpdateType::Scheduled).unwrap();
    assert_eq!((again.date, again.sequence, again.reason), (d("2026-11-30"), 3, Some(UpdateReason::JobExitWithdrawn)));
    let gone = updates.iter().find(|u| u.meeting_id == second.meeting_id).unwrap();
    assert_eq!((gone.update_type, gone.reason), (UpdateType::Cancelled, Some(UpdateReason::Superseded)));
}

#[test]
fn r13_withdrawal_before_the_registration_lets_the_meeting_be_announced() {
    // Job exit and its withdrawal arrive before the registration: the meeting is scheduled as usual.
    let mut p = Person::new();
    assert!(p.send("x1", job("2027-01-04"), "2026-11-02").unwrap().is_empty());
    assert!(p.send("w1", withdrawn("2027-01-04"), "2026-11-02").unwrap().is_empty());
    let u = only(p.register("r1", registration("851", "2026-11-02"), "2026-11-02"));
    assert_eq!((u.update_type, u.date, u.sequence, u.reason), (UpdateType::Scheduled, d("2026-11-30"), 1, None));
}

#[test]
fn r8_the_registration_sent_later_corrects_the_meeting_whatever_the_arrival_order() {
    // Sent at 08:00 for Aalborg (851), then at 09:00 for Rebild (840), both for 2 Nov.
    let aalborg = Fact::Registration(registration("851", "2026-11-02"));
    let rebild = Fact::Registration(registration("840", "2026-11-02"));

    let mut p = Person::new();
    only(p.send_at("a", aalborg.clone(), "2026-11-02", "2026-11-02T08:00:00Z").unwrap());
    // The later one arrives second: Aalborg is told the meeting moved away (transferred), then
    // Rebild gets it under its policy, week 9 from 28 Dec, deadline 10 Jan.
    let updates = p.send_at("b", rebild.clone(), "2026-11-03", "2026-11-02T09:00:00Z").unwrap();
    let [moved, u] = <[_; 2]>::try_from(updates).expect("two updates");
    assert_eq!(
        (moved.update_type, moved.sequence, moved.reason),
        (UpdateType::Cancelled, 2, Some(UpdateReason::Transferred))
    );
    assert_eq!((moved.municipality.as_str(), moved.date), ("851", d("2026-11-30")));
    assert_eq!((u.update_type, u.sequence, u.reason), (UpdateType::Scheduled, 3, Some(UpdateReason::Corrected)));
    assert_eq!((u.municipality.as_str(), u.date, u.deadline), ("840", d("2026-12-28"), d("2027-01-10")));

    // The later one arrives first: the earlier one changes nothing.
    let mut q = Person::new();
    let first = only(q.send_at("b", rebild, "2026-11-02", "2026-11-02T09:00:00Z").unwrap());
    assert!(q.send_at("a", aalborg, "2026-11-03", "2026-11-02T08:00:00Z").unwrap().is_empty());
    assert_eq!((first.meeting_id, first.municipality.as_str(), first.date), (u.meeting_id, "840", d("2026-12-28")));
}

#[test]
fn r8_a_corrected_participation_keeps_the_date() {
    let mut p = Person::new();
    only(
        p.send_at("a", Fact::Registration(registration("851", "2026-11-02")), "2026-11-02", "2026-11-02T08:00:00Z")
            .unwrap(),
    );
    let opted_out =
        Registration { akasse_participation: AkasseParticipation::OptedOut, ..registration("851", "2026-11-02") };
    // Same time: the greater id wins ("b" > "a").
    let u = only(p.send_at("b", Fact::Registration(opted_out), "2026-11-20", "2026-11-02T08:00:00Z").unwrap());
    assert_eq!((u.update_type, u.reason), (UpdateType::Scheduled, Some(UpdateReason::Corrected)));
    assert_eq!((u.date, u.akasse_participation), (d("2026-11-30"), AkasseParticipation::OptedOut));
}

#[test]
fn r8_a_correction_of_a_cancelled_meeting_resends_the_cancellation_with_the_new_data() {
    let mut p = Person::new();
    only(
        p.send_at("a", Fact::Registration(registration("851", "2026-11-02")), "2026-11-02", "2026-11-02T08:00:00Z")
            .unwrap(),
    );
    cancelled_by_job(&mut p, "2026-11-05");
    let opted_out =
        Registration { akasse_participation: AkasseParticipation::OptedOut, ..registration("851", "2026-11-02") };
    let u = only(p.send_at("b", Fact::Registration(opted_out), "2026-11-06", "2026-11-02T09:00:00Z").unwrap());
    assert_eq!((u.update_type, u.sequence, u.reason), (UpdateType::Cancelled, 3, Some(UpdateReason::JobExit)));
    assert_eq!((u.date, u.akasse_participation), (d("2026-11-30"), AkasseParticipation::OptedOut));
}

/// Registered 2 Nov, but the registration reached samspil on Tuesday 1 Dec: 1 Dec plus 5 business
/// days is Tuesday 8 Dec, in week 5 and before the deadline of 13 Dec. The CV conversation was
/// completed Friday 4 Dec, processed Monday 7 Dec: 7 Dec plus 5 business days is Monday 14 Dec,
/// past the deadline, so the meeting moves to 14 Dec, deadline_missed. A job starting Friday
/// 2027-01-22 cancels meetings from 11 Dec (22 Jan - 42 days): the one on 14 Dec, not the one on
/// 8 Dec.
#[test]
fn r9_a_cancellation_carries_the_deadline_missed_of_its_date_in_either_order() {
    let setup = || {
        let mut p = Person::new();
        let u = only(p.register("r1", registration("851", "2026-11-02"), "2026-12-01"));
        assert_eq!((u.date, u.deadline_missed), (d("2026-12-08"), false));
        p
    };
    // CV, then job exit.
    let mut p = setup();
    let moved = only(p.send("c1", cv("2026-12-04"), "2026-12-07").unwrap());
    assert_eq!(
        (moved.update_type, moved.date, moved.deadline_missed),
        (UpdateType::Rescheduled, d("2026-12-14"), true)
    );
    let a = only(p.send("x1", job("2027-01-22"), "2026-12-07").unwrap());
    // Job exit, then CV: the job alone leaves 8 Dec alone; the CV moves the meeting into the
    // horizon, so it is cancelled at 14 Dec, which misses the deadline.
    let mut q = setup();
    assert!(q.send("x1", job("2027-01-22"), "2026-12-07").unwrap().is_empty());
    let b = only(q.send("c1", cv("2026-12-04"), "2026-12-07").unwrap());
    for u in [&a, &b] {
        assert_eq!(u.update_type, UpdateType::Cancelled);
        assert_eq!((u.date, u.deadline, u.deadline_missed), (d("2026-12-14"), d("2026-12-13"), true));
    }
}

#[test]
fn r7_in_rebild_a_job_on_4_january_cancels_the_28_december_meeting() {
    let mut p = Person::new();
    let u = only(p.register("r1", registration("840", "2026-11-02"), "2026-11-02"));
    assert_eq!((u.date, u.deadline), (d("2026-12-28"), d("2027-01-10")));
    // 28 December is on or after 4 January minus 42 days (23 November).
    let u = only(p.send("x1", job("2027-01-04"), "2026-11-20").unwrap());
    assert_eq!(
        (u.update_type, u.date, u.reason),
        (UpdateType::Cancelled, d("2026-12-28"), Some(UpdateReason::JobExit))
    );
}

/// R8: a correction that moves the period from Rebild (840) to Aalborg (851). Registered Monday
/// 2026-11-02 in Rebild (rebild-trial), the meeting is on Monday 2026-12-28 (week 9), deadline
/// Sunday 2027-01-10. On 3 November a registration for the same day, sent later, names Aalborg:
/// Rebild is told the meeting is cancelled (reason `transferred`, sequence 2, with what Rebild knew),
/// then Aalborg is sent it scheduled (reason `corrected`, sequence 3) by R4 on 3 November under the
/// baseline: week 5 begins on 30 November, deadline 13 December. A redelivery of the correction
/// publishes both again, in order.
#[test]
fn r8_a_transfer_cancels_at_the_old_jobcenter_then_schedules_at_the_new_one() {
    let mut p = Person::new();
    let u = only(p.register("r1", registration("840", "2026-11-02"), "2026-11-02"));
    assert_eq!((u.date, u.deadline, u.sequence), (d("2026-12-28"), d("2027-01-10"), 1));
    let updates =
        p.send_at("r2", Fact::Registration(registration("851", "2026-11-02")), "2026-11-03", "2026-11-02T09:00:00Z");
    let updates = updates.unwrap();
    let seen: Vec<_> = updates
        .iter()
        .map(|u| (u.update_type, u.reason, u.sequence, u.municipality.as_str(), u.date, u.deadline))
        .collect();
    assert_eq!(
        seen,
        vec![
            (UpdateType::Cancelled, Some(UpdateReason::Transferred), 2, "840", d("2026-12-28"), d("2027-01-10")),
            (UpdateType::Scheduled, Some(UpdateReason::Corrected), 3, "851", d("2026-11-30"), d("2026-12-13")),
        ]
    );
    let key = crate::contract::MessageKey { source: "urn:dk:akasse:067".into(), id: "r2".into() };
    assert_eq!(super::updates_published_by(&p.state, &key, &Person::cpr()), updates, "the outbox holds both");
    // The next update of the meeting replaces the outbox: a CV completion on Thursday 26 November
    // moves it to Thursday 3 December, to Aalborg only (the transfer is 23 days old: Rebild's
    // cancellation is no longer sent with it, see the next tests).
    let u = only(p.send("c1", cv("2026-11-26"), "2026-11-26").unwrap());
    assert_eq!(
        (u.update_type, u.sequence, u.municipality.as_str(), u.date),
        (UpdateType::Rescheduled, 4, "851", d("2026-12-03"))
    );
    let key = crate::contract::MessageKey { source: "urn:dk:akasse:067".into(), id: "c1".into() };
    assert_eq!(super::updates_published_by(&p.state, &key, &Person::cpr()), vec![u]);
}

/// R8 and R10: a transfer whose publish failed, overtaken by another message before it is
/// delivered again. Registered Monday 2026-11-02 in Rebild (840), the meeting is on 2026-12-28. On
/// Tuesday 24 November a correction (r2) moves it to Aalborg (851): Rebild is sent the cancellation
/// (sequence 2), Aalborg the meeting by R4 on 24 November (5 business days' notice: Tuesday 1
/// December, in week 5; deadline 13 December, sequence 3). That publish fails. On Friday 27
/// November a CV completion (c1) arrives first: its preparation ends Wednesday 2 December, so 1
/// December is too soon (R6) and R4 on 27 November gives Friday 4 December (sequence 4). The CV
/// completion's outbox tells Rebild again, first, with the same cancellation: r2's redelivery
/// finds nothing of its own any more, and Rebild must not be left holding the meeting.
#[test]
fn r8_a_transfer_overtaken_before_its_redelivery_is_told_to_the_old_jobcenter_by_the_next_update() {
    let mut p = Person::new();
    let u = only(p.register("r1", registration("840", "2026-11-02"), "2026-11-02"));
    assert_eq!((u.date, u.sequence), (d("2026-12-28"), 1));
    let correction = Fact::Registration(registration("851", "2026-11-02"));
    let transfer = p.send_at("r2", correction, "2026-11-24", "2026-11-02T09:00:00Z").unwrap();
    let seen: Vec<_> = transfer.iter().map(|u| (u.update_type, u.sequence, u.municipality.as_str(), u.date)).collect();
    assert_eq!(
        seen,
        [(UpdateType::Cancelled, 2, "840", d("2026-12-28")), (UpdateType::Scheduled, 3, "851", d("2026-12-01")),]
    );
    // r2's publish fails; the CV completion overtakes its redelivery.
    let moved = p.send("c1", cv("2026-11-27"), "2026-11-27").unwrap();
    assert_eq!(moved.len(), 2, "the cancellation for Rebild, then the move: {moved:?}");
    assert_eq!(moved[0], transfer[0], "Rebild is sent the same cancellation again, first");
    let u = &moved[1];
    assert_eq!(
        (u.update_type, u.sequence, u.municipality.as_str(), u.date, u.previous_date),
        (UpdateType::Rescheduled, 4, "851", d("2026-12-04"), Some(d("2026-12-01")))
    );
    let key = |id: &str| crate::contract::MessageKey { source: "urn:dk:akasse:067".into(), id: id.into() };
    assert_eq!(super::updates_published_by(&p.state, &key("r2"), &Person::cpr()), [], "r2 caused no last update");
    assert_eq!(super::updates_published_by(&p.state, &key("c1"), &Person::cpr()), moved, "c1's outbox holds both");
}

/// R8: how long a transfer's cancellation rides along with the meeting's next updates: through the
/// 14th day after the transfer, the longest a message whose publish failed can wait in a
/// dead-letter queue for its redrive. Transferred to Aalborg (851) on 3 November (sequence 2 to
/// Rebild, 3 to Aalborg, the meeting on 30 November); a job starting 4 January cancels the meeting
/// (R7: 30 November is on or after 4 January minus 42 days, 23 November).
#[test]
fn r8_a_transfer_s_cancellation_is_sent_again_with_the_meeting_s_updates_for_14_days() {
    let transferred = || {
        let mut p = Person::new();
        only(p.register("r1", registration("840", "2026-11-02"), "2026-11-02"));
        let correction = Fact::Registration(registration("851", "2026-11-02"));
        let updates = p.send_at("r2", correction, "2026-11-03", "2026-11-02T09:00:00Z").unwrap();
        assert_eq!(updates[1].date, d("2026-11-30"));
        (p, updates[0].clone())
    };
    let (mut p, to_rebild) = transferred();
    let updates = p.send("x1", job("2027-01-04"), "2026-11-17").unwrap();
    let seen: Vec<_> = updates.iter().map(|u| (u.update_type, u.sequence, u.municipality.as_str())).collect();
    assert_eq!(seen, [(UpdateType::Cancelled, 2, "840"), (UpdateType::Cancelled, 4, "851")], "on 17 November");
    assert_eq!(updates[0], to_rebild);
    let (mut p, _) = transferred();
    let u = only(p.send("x1", job("2027-01-04"), "2026-11-18").unwrap());
    assert_eq!((u.update_type, u.sequence, u.municipality.as_str()), (UpdateType::Cancelled, 4, "851"), "18 November");
}

/// R8: two transfers in a row before the first is known to have gone out. Rebild (840) to Aalborg
/// (851) on 3 November, then Aalborg to Aarhus (751) on 4 November: the second correction's outbox
/// tells Rebild again (sequence 2), then Aalborg (4), then schedules at Aarhus (5). Back to Rebild
/// instead, Rebild hears the meeting itself (5) and needs no cancellation: only Aalborg's is sent.
#[test]
fn r8_a_second_transfer_keeps_the_first_one_s_cancellation_unless_the_meeting_comes_back() {
    let twice = |third: &str| {
        let mut p = Person::new();
        only(p.register("r1", registration("840", "2026-11-02"), "2026-11-02"));
        let aalborg = Fact::Registration(registration("851", "2026-11-02"));
        assert_eq!(p.send_at("r2", aalborg, "2026-11-03", "2026-11-02T09:00:00Z").unwrap().len(), 2);
        let third = Fact::Registration(registration(third, "2026-11-02"));
        let updates = p.send_at("r3", third, "2026-11-04", "2026-11-02T10:00:00Z").unwrap();
        updates.iter().map(|u| (u.update_type, u.sequence, u.municipality.to_string())).collect::<Vec<_>>()
    };
    let (cancelled, scheduled) = (UpdateType::Cancelled, UpdateType::Scheduled);
    assert_eq!(
        twice("751"),
        [(cancelled, 2, "840".into()), (cancelled, 4, "851".into()), (scheduled, 5, "751".into())]
    );
    assert_eq!(twice("840"), [(cancelled, 4, "851".into()), (scheduled, 5, "840".into())]);
}

/// R8: [`super::state::TRANSFER_KEPT_DAYS`] covers the longest a message whose publish failed can
/// wait for its redelivery: its inbound queue's and its dead-letter queue's retention, as the
/// template sets them (a redrive must find the cancellation in some message's outbox).
#[test]
fn a_transfer_is_carried_along_as_long_as_a_dead_letter_is_kept() {
    let template = include_str!("../../../infra/template.yaml");
    let kept = super::state::TRANSFER_KEPT_DAYS * 24 * 3600;
    for queue in ["Registrations", "CvCompletions", "JobExits"] {
        for resource in [format!("  {queue}Queue:"), format!("  {queue}Dlq:")] {
            let seconds: u64 = template
                .lines()
                .skip_while(|l| *l != resource)
                .find_map(|l| l.trim().strip_prefix("MessageRetentionPeriod:"))
                .unwrap_or_else(|| panic!("{resource} has a MessageRetentionPeriod in the template"))
                .trim()
                .parse()
                .expect("a whole number");
            assert!(seconds <= kept, "{resource} keeps a message {seconds} s, longer than a transfer is carried");
        }
    }
}

/// R8: a meeting moved from municipality to municipality in a row (five same-day registrations sent
/// one after the other) carries at most `MAX_CARRIED_TRANSFERS` old receivers' cancellations along:
/// the job exit that cancels it publishes those and its own cancellation, not one per move.
#[test]
fn r8_an_update_carries_at_most_the_newest_transfers_along() {
    use super::state::MAX_CARRIED_TRANSFERS;
    let mut p = Person::new();
    for (i, municipality) in ["851", "840", "787", "860", "813"].into_iter().enumerate() {
        let time = format!("2026-11-02T0{}:00:00Z", i + 1);
        p.send_at(&format!("r{i}"), Fact::Registration(registration(municipality, "2026-11-02")), "2026-11-02", &time);
    }
    let updates = p.send("x1", job("2027-01-04"), "2026-11-03").unwrap();
    assert_eq!(updates.len(), MAX_CARRIED_TRANSFERS + 1, "{updates:?}");
    assert!(updates.iter().all(|u| u.update_type == UpdateType::Cancelled));
    assert_eq!(updates.last().map(|u| u.municipality.as_str()), Some("813"));
}
