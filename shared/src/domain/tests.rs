//! Worked examples for every rule, with dates checked by hand against `domain.md`.
//!
//! Baseline: target week 5, latest week 6, 3 days' CV preparation, 5 days' notice, 42 days' cancel
//! horizon. Rebild (840): target week 9, latest week 10, 5 days' CV preparation.

use chrono::NaiveDate;

use crate::contract::{
    AkasseParticipation, Cpr, CvCompleted, ExitReason, Fact, InboundMessage, JobExit, MeetingUpdate, MessageKey,
    Registration, UpdateReason, UpdateType, WeeklyHours,
};
use crate::identity::{PersonKey, PersonKeyer};
use crate::policy::PolicyBook;

use super::{Decision, MeetingStatus, PersonState, decide, updates_published_by};

const SYNTHETIC_CPR: &str = "0101900000";

pub(super) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub(super) fn registration(municipality: &str, day: &str) -> Registration {
    Registration {
        municipality: municipality.into(),
        akasse: "067".into(),
        registered_on: d(day),
        prior_hours: 0.0,
        weekly_hours: WeeklyHours::FullTime,
        akasse_participation: AkasseParticipation::Yes,
    }
}

pub(super) fn cv(day: &str) -> Fact {
    Fact::CvCompleted(CvCompleted { completed_on: d(day) })
}

pub(super) fn job(day: &str) -> Fact {
    Fact::JobExit(JobExit { job_starts_on: d(day), reason: ExitReason::Job })
}

/// One person's state, fed one message at a time.
pub(super) struct Person {
    pub(super) key: PersonKey,
    pub(super) state: PersonState,
    pub(super) policies: PolicyBook,
}

impl Person {
    pub(super) fn new() -> Self {
        Person::with_policies(PolicyBook::builtin())
    }

    /// A person whose municipalities follow `policies`.
    pub(super) fn with_policies(policies: PolicyBook) -> Self {
        let keyer = PersonKeyer::new(b"test-secret").unwrap();
        let key = keyer.key(&Cpr::new_unchecked(SYNTHETIC_CPR));
        Person { key, state: PersonState::default(), policies }
    }

    /// The person's (synthetic) CPR number.
    pub(super) fn cpr() -> Cpr {
        Cpr::new_unchecked(SYNTHETIC_CPR)
    }

    /// Sends `fact` as message `id` on the processing day `today`; returns what was published, or
    /// `None` for a duplicate.
    pub(super) fn send(&mut self, id: &str, fact: Fact, today: &str) -> Option<Vec<MeetingUpdate>> {
        self.send_at(id, fact, today, "2026-11-02T08:00:00Z")
    }

    /// Like [`Person::send`], with the message's CloudEvents `time` (rule R8's tie-break).
    pub(super) fn send_at(&mut self, id: &str, fact: Fact, today: &str, time: &str) -> Option<Vec<MeetingUpdate>> {
        self.send_from("urn:dk:akasse:067", id, fact, today, time).unwrap()
    }

    /// Sends `fact` as message `id` from `source`, sent at `time`; the state changes only if the
    /// message is decided (a refusal leaves it as it was, as the pipeline stores nothing then).
    pub(super) fn send_from(
        &mut self,
        source: &str,
        id: &str,
        fact: Fact,
        today: &str,
        time: &str,
    ) -> Result<Option<Vec<MeetingUpdate>>, crate::domain::Refusal> {
        let message = InboundMessage {
            key: MessageKey { source: source.into(), id: id.into() },
            time: time.parse().unwrap(),
            cpr: Cpr::new_unchecked(SYNTHETIC_CPR),
            fact,
        };
        Ok(match decide(self.state.clone(), &self.key, &message, d(today), &self.policies)? {
            Decision::Duplicate(_) => None,
            Decision::Applied { state, updates } => {
                self.state = state;
                Some(updates)
            }
        })
    }

    pub(super) fn register(&mut self, id: &str, r: Registration, today: &str) -> Vec<MeetingUpdate> {
        self.send(id, Fact::Registration(r), today).unwrap()
    }
}

pub(super) fn only(updates: Vec<MeetingUpdate>) -> MeetingUpdate {
    assert_eq!(updates.len(), 1, "expected exactly one update, got {updates:?}");
    updates.into_iter().next().unwrap()
}

#[test]
fn r5_registration_schedules_in_target_week_5_on_baseline() {
    let mut p = Person::new();
    // Registered Monday 2026-11-02; notice ends Monday 11-09; week 5 starts 11-30.
    let u = only(p.register("r1", registration("851", "2026-11-02"), "2026-11-02"));
    assert_eq!(u.update_type, UpdateType::Scheduled);
    assert_eq!(u.date, d("2026-11-30"));
    assert_eq!(u.deadline, d("2026-12-13"));
    assert!(!u.deadline_missed);
    assert_eq!(u.sequence, 1);
    assert_eq!((u.municipality.as_str(), u.akasse.as_str()), ("851", "067"));
    assert_eq!(u.akasse_participation, AkasseParticipation::Yes);
    assert_eq!(u.previous_date, None);
    assert_eq!(u.reason, None);
}

#[test]
fn r3_rebild_schedules_in_week_9_with_deadline_in_week_10() {
    let mut p = Person::new();
    let u = only(p.register("r1", registration("840", "2026-11-02"), "2026-11-02"));
    assert_eq!(u.date, d("2026-12-28"));
    assert_eq!(u.deadline, d("2027-01-10"));
}

#[test]
fn r2_meeting_skips_easter_monday() {
    let mut p = Person::new();
    // Week 5 starts on Easter Monday 2026-04-06; the meeting is the Tuesday after.
    let u = only(p.register("r1", registration("851", "2026-03-09"), "2026-03-09"));
    assert_eq!(u.date, d("2026-04-07"));
}

#[test]
fn r2_meeting_skips_christmas() {
    let mut p = Person::new();
    // Week 5 starts on 24 December 2026 (Thursday): 24, 25 closed, then the weekend.
    let u = only(p.register("r1", registration("851", "2026-11-26"), "2026-11-26"));
    assert_eq!(u.date, d("2026-12-28"));
}

#[test]
fn r5_opted_out_keeps_the_meeting_and_says_so() {
    let mut p = Person::new();
    let r = Registration { akasse_participation: AkasseParticipation::OptedOut, ..registration("851", "2026-11-02") };
    let u = only(p.register("r1", r, "2026-11-02"));
    assert_eq!(u.date, d("2026-11-30"));
    assert_eq!(u.akasse_participation, AkasseParticipation::OptedOut);
}

#[test]
fn r4_late_processing_misses_the_deadline_and_still_schedules() {
    let mut p = Person::new();
    // Processed Thursday 2026-12-10: notice ends Thursday 12-17, after the deadline Sunday 12-13.
    let u = only(p.register("r1", registration("851", "2026-11-02"), "2026-12-10"));
    assert_eq!(u.date, d("2026-12-17"));
    assert_eq!(u.deadline, d("2026-12-13"));
    assert!(u.deadline_missed);
}

#[test]
fn r1_prior_hours_beyond_the_target_week() {
    let mut p = Person::new();
    // 200 h is already week 6; week 6 ends 4 days after registering (at 222 h).
    let r = Registration { prior_hours: 200.0, ..registration("851", "2026-11-02") };
    let u = only(p.register("r1", r, "2026-11-02"));
    assert_eq!(u.deadline, d("2026-11-06"));
    assert_eq!(u.date, d("2026-11-09"));
    assert!(u.deadline_missed);
}

#[test]
fn r1_prior_hours_bring_the_meeting_forward() {
    let mut p = Person::new();
    // 60 h at 37 h a week = 11.35 days; week 5 starts at day 17: Thursday 2026-11-19.
    let r = Registration { prior_hours: 60.0, ..registration("851", "2026-11-02") };
    let u = only(p.register("r1", r, "2026-11-02"));
    assert_eq!(u.date, d("2026-11-19"));
    // Week 6 ends before 42 - 11.35 = 30.65 days: day 30, 2026-12-02.
    assert_eq!(u.deadline, d("2026-12-02"));
}

#[test]
fn r1_part_time_insured_count_weeks_of_30_hours() {
    let mut p = Person::new();
    // 60 h at 30 h a week is exactly two weeks: week 5 starts at day 14, Monday 2026-11-16.
    let r =
        Registration { prior_hours: 60.0, weekly_hours: WeeklyHours::PartTime, ..registration("851", "2026-11-02") };
    let u = only(p.register("r1", r, "2026-11-02"));
    assert_eq!(u.date, d("2026-11-16"));
    assert_eq!(u.deadline, d("2026-11-29"));
}

#[test]
fn r6_cv_completed_too_late_moves_the_meeting() {
    let mut p = Person::new();
    p.register("r1", registration("851", "2026-11-02"), "2026-11-02");
    // CV done Thursday 11-26: preparation ends Tuesday 12-01, after the meeting on 11-30.
    // Processed the same day: notice ends Thursday 12-03, which is later still.
    let u = only(p.send("c1", cv("2026-11-26"), "2026-11-26").unwrap());
    assert_eq!(u.update_type, UpdateType::Rescheduled);
    assert_eq!(u.date, d("2026-12-03"));
    assert_eq!(u.previous_date, Some(d("2026-11-30")));
    assert_eq!(u.reason, Some(UpdateReason::CvCompleted));
    assert_eq!(u.sequence, 2);
    assert!(!u.deadline_missed);
}

#[test]
fn r6_cv_completed_in_time_sends_nothing() {
    let mut p = Person::new();
    p.register("r1", registration("851", "2026-11-02"), "2026-11-02");
    // CV done Friday 11-20: preparation ends Wednesday 11-25, before the meeting.
    assert_eq!(p.send("c1", cv("2026-11-20"), "2026-11-20"), Some(vec![]));
}

#[test]
fn r6_cv_known_before_registration_is_used_when_scheduling() {
    let mut p = Person::new();
    assert_eq!(p.send("c1", cv("2026-11-26"), "2026-11-26"), Some(vec![]));
    let u = only(p.register("r1", registration("851", "2026-11-02"), "2026-11-26"));
    assert_eq!(u.update_type, UpdateType::Scheduled);
    assert_eq!(u.date, d("2026-12-03"));
    assert_eq!(u.sequence, 1);
}

#[test]
fn r7_job_exactly_42_days_after_the_meeting_cancels_it() {
    let mut p = Person::new();
    p.register("r1", registration("851", "2026-11-02"), "2026-11-02");
    let u = only(p.send("j1", job("2027-01-11"), "2026-11-16").unwrap());
    assert_eq!(u.update_type, UpdateType::Cancelled);
    assert_eq!(u.date, d("2026-11-30"));
    assert_eq!(u.reason, Some(UpdateReason::JobExit));
    assert_eq!(u.sequence, 2);
}

#[test]
fn r7_job_43_days_after_the_meeting_keeps_it() {
    let mut p = Person::new();
    p.register("r1", registration("851", "2026-11-02"), "2026-11-02");
    assert_eq!(p.send("j1", job("2027-01-12"), "2026-11-16"), Some(vec![]));
    assert_eq!(p.state.meetings[0].status, MeetingStatus::Planned);
}

#[test]
fn r7_a_held_meeting_is_never_cancelled() {
    let mut p = Person::new();
    p.register("r1", registration("851", "2026-11-02"), "2026-11-02");
    // Processed 2026-12-01: the meeting on 11-30 was held.
    assert_eq!(p.send("j1", job("2026-12-15"), "2026-12-01"), Some(vec![]));
    // And a CV completion after that does not move it either.
    assert_eq!(p.send("c1", cv("2026-12-01"), "2026-12-01"), Some(vec![]));
}

#[test]
fn r7_a_job_start_before_registration_belongs_to_an_older_period() {
    let mut p = Person::new();
    p.register("r1", registration("851", "2026-11-02"), "2026-11-02");
    assert_eq!(p.send("j1", job("2026-10-20"), "2026-11-03"), Some(vec![]));
    assert_eq!(p.state.meetings[0].status, MeetingStatus::Planned);
}

#[test]
fn r6_a_cancelled_meeting_is_never_moved() {
    let mut p = Person::new();
    p.register("r1", registration("851", "2026-11-02"), "2026-11-02");
    p.send("j1", job("2026-12-15"), "2026-11-16");
    assert_eq!(p.send("c1", cv("2026-11-26"), "2026-11-26"), Some(vec![]));
}

#[test]
fn r7_then_r6_a_cv_moving_the_meeting_into_the_horizon_cancels_it() {
    let mut p = Person::new();
    p.register("r1", registration("851", "2026-11-02"), "2026-11-02");
    // Job starts 2027-01-12: 43 days after 11-30, the meeting stays.
    assert_eq!(p.send("j1", job("2027-01-12"), "2026-11-16"), Some(vec![]));
    // The CV completion moves it to 12-03, within 42 days of the job: cancelled at its new date.
    let u = only(p.send("c1", cv("2026-11-26"), "2026-11-26").unwrap());
    assert_eq!(u.update_type, UpdateType::Cancelled);
    assert_eq!(u.date, d("2026-12-03"));
    assert_eq!(u.sequence, 2);
}

#[test]
fn r9_job_exit_before_registration_never_announces_the_meeting() {
    let mut p = Person::new();
    assert_eq!(p.send("j1", job("2026-12-15"), "2026-11-02"), Some(vec![]));
    assert_eq!(p.register("r1", registration("851", "2026-11-02"), "2026-11-02"), vec![]);
    assert_eq!(p.state.meetings.len(), 1);
    assert_eq!(p.state.meetings[0].status, MeetingStatus::Cancelled);
    assert_eq!(p.state.meetings[0].sequence, 0);
}

#[test]
fn r8_registration_after_a_job_exit_opens_a_new_period() {
    let mut p = Person::new();
    let first = only(p.register("r1", registration("851", "2026-11-02"), "2026-11-02"));
    p.send("j1", job("2026-12-15"), "2026-11-16");
    // New period Monday 2027-01-04: week 5 starts 2027-02-01; deadline 2027-02-14.
    let u = only(p.register("r2", registration("851", "2027-01-04"), "2027-01-04"));
    assert_eq!(u.update_type, UpdateType::Scheduled);
    assert_eq!(u.date, d("2027-02-01"));
    assert_eq!(u.deadline, d("2027-02-14"));
    assert_eq!(u.sequence, 1);
    assert_ne!(u.meeting_id, first.meeting_id);
}

#[test]
fn r8_registration_inside_a_known_period_publishes_nothing() {
    let mut p = Person::new();
    p.register("r1", registration("851", "2026-11-02"), "2026-11-02");
    assert_eq!(p.register("r2", registration("851", "2026-11-20"), "2026-11-20"), vec![]);
    p.send("j1", job("2027-03-01"), "2026-11-21");
    assert_eq!(p.register("r3", registration("851", "2027-02-27"), "2026-11-21"), vec![]);
}

#[test]
fn r9_a_late_earlier_registration_supersedes_the_later_ones_meeting() {
    let mut p = Person::new();
    let later = only(p.register("r2", registration("851", "2026-11-20"), "2026-11-20"));
    let updates = p.register("r1", registration("851", "2026-11-02"), "2026-11-20");
    assert_eq!(updates.len(), 2, "{updates:?}");
    let scheduled = updates.iter().find(|u| u.update_type == UpdateType::Scheduled).unwrap();
    let superseded = updates.iter().find(|u| u.update_type == UpdateType::Cancelled).unwrap();
    assert_eq!(superseded.meeting_id, later.meeting_id);
    assert_eq!(superseded.reason, Some(UpdateReason::Superseded));
    assert_eq!(superseded.sequence, 2);
    assert_ne!(scheduled.meeting_id, later.meeting_id);
    // Processed 11-20: notice ends Friday 11-27, before week 5 starts on 11-30.
    assert_eq!(scheduled.date, d("2026-11-30"));
}

#[test]
fn r10_a_message_seen_before_changes_nothing() {
    let mut p = Person::new();
    p.register("r1", registration("851", "2026-11-02"), "2026-11-02");
    let before = p.state.clone();
    assert_eq!(p.send("r1", Fact::Registration(registration("851", "2026-11-02")), "2027-06-01"), None);
    assert_eq!(p.state, before);
}

#[test]
fn r11_ids_are_stable_and_sequences_rise_by_one() {
    let mut p = Person::new();
    let a = only(p.register("r1", registration("851", "2026-11-02"), "2026-11-02"));
    let b = only(p.send("c1", cv("2026-11-26"), "2026-11-26").unwrap());
    let c = only(p.send("j1", job("2027-01-04"), "2026-11-27").unwrap());
    assert_eq!((a.sequence, b.sequence, c.sequence), (1, 2, 3));
    assert!(a.meeting_id == b.meeting_id && b.meeting_id == c.meeting_id);
    assert!(!a.meeting_id.contains(SYNTHETIC_CPR));
    // The same person and period on a fresh state get the same id.
    let mut q = Person::new();
    assert_eq!(only(q.register("other", registration("851", "2026-11-02"), "2026-11-05")).meeting_id, a.meeting_id);
}

#[test]
fn outbox_holds_the_last_update_of_each_meeting_a_message_changed() {
    let mut p = Person::new();
    p.register("r1", registration("851", "2026-11-02"), "2026-11-02");
    let key = |id: &str| MessageKey { source: "urn:dk:akasse:067".into(), id: id.into() };
    let cpr = Cpr::new_unchecked(SYNTHETIC_CPR);
    assert_eq!(updates_published_by(&p.state, &key("r1"), &cpr).len(), 1);
    let moved = only(p.send("c1", cv("2026-11-26"), "2026-11-26").unwrap());
    // The move superseded r1's update: only c1's remains to republish.
    assert!(updates_published_by(&p.state, &key("r1"), &cpr).is_empty());
    assert_eq!(updates_published_by(&p.state, &key("c1"), &cpr), vec![moved]);
}

#[test]
fn the_stored_state_holds_no_cpr_number() {
    let mut p = Person::new();
    p.register("r1", registration("851", "2026-11-02"), "2026-11-02");
    p.send("c1", cv("2026-11-26"), "2026-11-26").unwrap();
    p.send("j1", job("2027-01-04"), "2026-11-27").unwrap();
    let json = serde_json::to_string(&p.state).unwrap();
    assert!(!json.contains(SYNTHETIC_CPR), "the encoded state carries the CPR number");
    assert!(!json.contains("\"cpr\""), "the encoded state has a `cpr` member");
}

#[test]
fn a_state_written_with_a_cpr_member_loses_it_on_the_next_write() {
    let mut p = Person::new();
    p.register("r1", registration("851", "2026-11-02"), "2026-11-02");
    // An item as written before the CPR left the state: the number beside the facts.
    let mut old = serde_json::to_value(&p.state).unwrap();
    old["cpr"] = serde_json::Value::String(SYNTHETIC_CPR.into());
    let decoded: PersonState = serde_json::from_value(old).expect("an old item still decodes");
    assert_eq!(decoded, p.state);
    p.state = decoded;
    p.send("c1", cv("2026-11-26"), "2026-11-26").unwrap();
    assert!(!serde_json::to_string(&p.state).unwrap().contains(SYNTHETIC_CPR));
}

#[test]
fn unknown_municipality_without_default_is_an_error() {
    let mut p = Person::new();
    p.policies =
        PolicyBook::from_toml("[municipalities.840]\nname = \"Rebild\"\npolicy = \"rebild-trial\"\n", "test.toml")
            .unwrap();
    let message = InboundMessage {
        key: MessageKey { source: "s".into(), id: "1".into() },
        time: "2026-11-02T08:00:00Z".parse().unwrap(),
        cpr: Cpr::new_unchecked(SYNTHETIC_CPR),
        fact: Fact::Registration(registration("999", "2026-11-02")),
    };
    let err = decide(p.state.clone(), &p.key, &message, d("2026-11-02"), &p.policies).unwrap_err();
    assert_eq!(err, crate::domain::Refusal::NoPolicy { municipality: "999".into() });
}

/// R8: a meeting already held counts as the period's first meeting. Registered Monday 2026-11-16,
/// the meeting is on Monday 2026-12-14 (week 5). On 15 December, after it was held, a registration
/// of the same period dated 2026-11-02 arrives: the period starts on 2 November, and its first
/// meeting has been held; nothing new is scheduled.
#[test]
fn r8_a_meeting_held_under_the_later_registration_day_is_the_period_s_first_meeting() {
    let mut p = Person::new();
    let u = only(p.register("r2", registration("851", "2026-11-16"), "2026-11-16"));
    assert_eq!((u.date, u.deadline), (d("2026-12-14"), d("2026-12-27")));
    let u = p.register("r1", registration("851", "2026-11-02"), "2026-12-15");
    assert!(u.is_empty(), "no second first meeting: {u:?}");
    assert_eq!(p.state.meetings.len(), 1);
    // The same registration a day before the meeting supersedes the later day's meeting instead.
    let mut q = Person::new();
    q.register("r2", registration("851", "2026-11-16"), "2026-11-16");
    let u = q.register("r1", registration("851", "2026-11-02"), "2026-12-13");
    let types: Vec<_> = u.iter().map(|u| (u.update_type, u.reason)).collect();
    assert_eq!(
        types,
        vec![(UpdateType::Scheduled, None), (UpdateType::Cancelled, Some(UpdateReason::Superseded))],
        "{u:?}"
    );
}
