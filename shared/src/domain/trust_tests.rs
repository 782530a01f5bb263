//! Worked examples for rule R14 (an a-kasse speaks only for its own members), in both arrival
//! orders, for rule R13's ordering by CloudEvents `time` (a job re-reported after a withdrawal),
//! and for the bounds: no stored value, however large, makes `decide` panic.
//!
//! Baseline (851): a person registered by a-kasse 067 on Monday 2026-11-02 gets the meeting on
//! Monday 2026-11-30 (week 5), deadline Sunday 2026-12-13. A job starting 2027-01-04 cancels it
//! (30 Nov is on or after 4 Jan - 42 days = 23 Nov).

use crate::contract::{Fact, JobExitWithdrawal, MeetingUpdate, MessageKey, UpdateReason, UpdateType};
use crate::domain::RecordedFact;
use crate::domain::{Decision, Refusal, decide};

use super::tests::{Person, cv, d, job, only, registration};

const OWN: &str = "urn:dk:akasse:067";
const OTHER: &str = "urn:dk:akasse:010";
const TIME: &str = "2026-11-02T08:00:00Z";

fn withdrawn(day: &str) -> Fact {
    Fact::JobExitWithdrawn(JobExitWithdrawal { job_starts_on: d(day) })
}

/// Registered by 067 on 2026-11-02; the meeting is on 2026-11-30, announced with sequence 1.
fn registered() -> Person {
    let mut p = Person::new();
    let u = only(p.register("r1", registration("851", "2026-11-02"), "2026-11-02"));
    assert_eq!((u.date, u.sequence, u.akasse.as_str()), (d("2026-11-30"), 1, "067"));
    p
}

fn last_update(p: &Person) -> MeetingUpdate {
    let meeting = p.state.meetings.last().expect("a meeting");
    meeting.render(&Person::cpr()).expect("announced")
}

#[test]
fn r14_a_job_exit_from_another_akasse_for_a_known_period_is_not_member_and_stores_nothing() {
    let mut p = registered();
    let before = p.state.clone();
    let refused = p.send_from(OTHER, "x1", job("2027-01-04"), "2026-11-05", TIME);
    assert_eq!(refused, Err(Refusal::NotMember));
    assert_eq!(p.state, before, "nothing is stored");
    // The member's own a-kasse can still cancel it, with the next sequence.
    let u = only(p.send_from(OWN, "x1", job("2027-01-04"), "2026-11-05", TIME).unwrap().unwrap());
    assert_eq!((u.update_type, u.sequence, u.reason), (UpdateType::Cancelled, 2, Some(UpdateReason::JobExit)));
}

#[test]
fn r14_a_job_exit_from_another_akasse_before_the_period_is_known_is_kept_and_never_counts() {
    let mut p = Person::new();
    let kept = p.send_from(OTHER, "x1", job("2027-01-04"), "2026-11-01", TIME).unwrap();
    assert_eq!(kept, Some(vec![]), "kept, nothing published");
    // 067's registration: the meeting is scheduled as if 010's job exit had never come (R9 would
    // otherwise never announce a meeting the job exit cancels).
    let u = only(p.register("r1", registration("851", "2026-11-02"), "2026-11-02"));
    assert_eq!((u.update_type, u.date, u.sequence), (UpdateType::Scheduled, d("2026-11-30"), 1));
    assert_eq!(p.state.closed_since(), None, "the period stays open");
    // Later messages of 067 see it the same way: a CV completion on Thursday 26 Nov moves the
    // meeting to 3 Dec (R6) instead of finding it cancelled.
    let u = only(p.send_from(OWN, "c1", cv("2026-11-26"), "2026-11-26", TIME).unwrap().unwrap());
    assert_eq!(
        (u.update_type, u.date, u.previous_date),
        (UpdateType::Rescheduled, d("2026-12-03"), Some(d("2026-11-30")))
    );
}

#[test]
fn r14_a_cv_completion_from_another_akasse_is_refused_after_and_ignored_before_the_registration() {
    // After: refused.
    let mut p = registered();
    assert_eq!(p.send_from(OTHER, "c1", cv("2026-11-26"), "2026-11-26", TIME), Err(Refusal::NotMember));
    // Before: kept, and the meeting does not wait for it (067's own CV completion would move it to
    // 3 Dec).
    let mut p = Person::new();
    assert_eq!(p.send_from(OTHER, "c1", cv("2026-11-26"), "2026-11-01", TIME), Ok(Some(vec![])));
    let u = only(p.register("r1", registration("851", "2026-11-02"), "2026-11-02"));
    assert_eq!(u.date, d("2026-11-30"));
}

#[test]
fn r14_a_withdrawal_from_another_akasse_voids_nothing_in_either_order() {
    // After the job exit: refused, the meeting stays cancelled.
    let mut p = registered();
    p.send_from(OWN, "x1", job("2027-01-04"), "2026-11-05", TIME).unwrap();
    assert_eq!(
        p.send_from(OTHER, "w1", withdrawn("2027-01-04"), "2026-11-10", "2026-11-10T08:00:00Z"),
        Err(Refusal::NotMember)
    );
    assert_eq!(last_update(&p).update_type, UpdateType::Cancelled);
    // Before everything: kept; 067's job exit still cancels.
    let mut p = Person::new();
    let later = "2026-11-10T08:00:00Z";
    assert_eq!(p.send_from(OTHER, "w1", withdrawn("2027-01-04"), "2026-11-01", later), Ok(Some(vec![])));
    p.register("r1", registration("851", "2026-11-02"), "2026-11-02");
    let u = only(p.send_from(OWN, "x1", job("2027-01-04"), "2026-11-05", TIME).unwrap().unwrap());
    assert_eq!((u.update_type, u.sequence), (UpdateType::Cancelled, 2));
}

#[test]
fn r14_a_fact_about_no_known_period_is_kept_even_after_a_registration() {
    // A job start before 067's period began belongs to an older period samspil does not know.
    let mut p = registered();
    assert_eq!(p.send_from(OTHER, "x0", job("2026-10-01"), "2026-11-05", TIME), Ok(Some(vec![])));
    // A source that names no a-kasse at all speaks for nobody.
    assert_eq!(p.send_from("urn:other", "c9", cv("2026-11-26"), "2026-11-26", TIME), Err(Refusal::NotMember));
}

#[test]
fn r14_a_registration_for_the_same_day_from_another_akasse_with_a_later_time_moves_the_period_to_it() {
    let mut p = registered();
    let mut transferred = registration("851", "2026-11-02");
    transferred.akasse = "010".into();
    let updates = p.send_from(OTHER, "r2", Fact::Registration(transferred), "2026-11-03", "2026-11-03T08:00:00Z");
    let updates = updates.unwrap().unwrap();
    assert_eq!(updates.last().map(|u| u.akasse.as_str()), Some("010"), "{updates:?}");
    // Now 067 speaks for somebody else's member, and 010 for its own.
    assert_eq!(p.send_from(OWN, "x1", job("2027-01-04"), "2026-11-05", TIME), Err(Refusal::NotMember));
    let u = p.send_from(OTHER, "x1", job("2027-01-04"), "2026-11-05", TIME).unwrap().unwrap();
    assert_eq!(u.last().map(|u| (u.update_type, u.akasse.as_str())), Some((UpdateType::Cancelled, "010")));
}

/// R13: the job falls through (a withdrawal sent after the job exit), then comes back (a new job
/// exit with the same start, sent after the withdrawal): in every arrival order, the meeting ends
/// cancelled. Without the second job exit, it ends planned.
#[test]
fn r13_a_job_re_reported_after_its_withdrawal_cancels_the_meeting_in_any_order() {
    let messages = [
        ("x1", job("2027-01-04"), "2026-11-04T08:00:00Z"),
        ("w1", withdrawn("2027-01-04"), "2026-11-06T08:00:00Z"),
        ("x2", job("2027-01-04"), "2026-11-09T08:00:00Z"),
    ];
    let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    for order in orders {
        let mut p = registered();
        for i in order {
            let (id, fact, time) = &messages[i];
            p.send_from(OWN, id, fact.clone(), "2026-11-10", time).unwrap();
        }
        let u = last_update(&p);
        assert_eq!((u.update_type, u.date), (UpdateType::Cancelled, d("2026-11-30")), "order {order:?}");
        // Without the job's return, the meeting stands.
        let mut p = registered();
        for i in order.into_iter().filter(|i| *i != 2) {
            let (id, fact, time) = &messages[i];
            p.send_from(OWN, id, fact.clone(), "2026-11-10", time).unwrap();
        }
        assert_eq!(last_update(&p).update_type, UpdateType::Scheduled, "order {order:?} without x2");
    }
}

/// A registration stored before the contract bounded `prior_hours` (6e8 hours: past chrono's range
/// once turned into days) sits unevaluated inside an open period. The job exit that closes the
/// period makes it a period of its own; deciding that must not panic.
#[test]
fn a_stored_value_beyond_the_bounds_never_panics_decide() {
    let mut p = registered();
    let mut huge = registration("851", "2026-11-20");
    huge.prior_hours = 6.0e8;
    p.state.facts.push(RecordedFact {
        key: MessageKey { source: OWN.into(), id: "legacy".into() },
        received_on: d("2026-11-03"),
        fact: Fact::Registration(huge),
        time: Some(TIME.parse().unwrap()),
    });
    let message = crate::contract::InboundMessage {
        key: MessageKey { source: OWN.into(), id: "x1".into() },
        time: TIME.parse().unwrap(),
        cpr: Person::cpr(),
        fact: job("2026-11-20"),
    };
    let decided = decide(p.state.clone(), &p.key, &message, d("2026-11-05"), &p.policies);
    // The second period's clock counts the bound (100,000 hours: week 2,703 on its first day), so
    // its deadline has passed: scheduled on the first day R4 allows, marked missed.
    let Ok(Decision::Applied { updates, .. }) = decided else { panic!("decided: {decided:?}") };
    let new_period = updates.iter().find(|u| u.update_type == UpdateType::Scheduled).expect("the new period's meeting");
    assert!(new_period.deadline_missed && new_period.deadline < d("2000-01-01"), "{new_period:?}");
    // R4 on 5 Nov: 5 business days' notice.
    assert_eq!(new_period.date, d("2026-11-12"));
}

/// A registration of a-kasse 010 for a day (and sent at a `time`), for 851.
fn other_registration(day: &str) -> Fact {
    let mut r = registration("851", day);
    r.akasse = "010".into();
    Fact::Registration(r)
}

/// Whether every update went to a-kasse 067.
fn all_to_own(updates: &[MeetingUpdate]) -> bool {
    updates.iter().all(|u| u.akasse == "067")
}

/// R14 with R8: another a-kasse cannot take a member over by registering the person for an earlier
/// day with an earlier `time` (the earlier day starts the period, R8, but only a later `time`
/// changes the a-kasse). In both arrival orders 067 keeps its member: its own job exit counts,
/// 010's is refused, and nothing after the attack goes to 010.
#[test]
fn r14_a_registration_of_another_akasse_for_an_earlier_day_sent_earlier_never_takes_the_member() {
    // 067's registration first, then the attack: the meeting stays 067's.
    let mut p = registered();
    let attack = p.send_from(OTHER, "r0", other_registration("2026-10-26"), "2026-11-03", "2026-10-27T08:00:00Z");
    let attack = attack.unwrap().unwrap();
    assert!(all_to_own(&attack), "{attack:?}");
    assert_eq!(last_update(&p).akasse, "067");
    assert_eq!(p.send_from(OTHER, "x9", job("2027-01-04"), "2026-11-05", TIME), Err(Refusal::NotMember));
    let u = p.send_from(OWN, "x1", job("2027-01-04"), "2026-11-05", TIME).unwrap().unwrap();
    assert!(u.iter().any(|u| u.update_type == UpdateType::Cancelled) && all_to_own(&u), "{u:?}");

    // The other order is a member who moved from 010 to 067: 010 is told the meeting moved away.
    let mut p = Person::new();
    let first = p.send_from(OTHER, "r0", other_registration("2026-10-26"), "2026-10-27", "2026-10-27T08:00:00Z");
    assert_eq!(only(first.unwrap().unwrap()).akasse, "010");
    let moved = p.send_from(OWN, "r1", Fact::Registration(registration("851", "2026-11-02")), "2026-11-03", TIME);
    let moved = moved.unwrap().unwrap();
    let told: Vec<_> = moved.iter().map(|u| (u.update_type, u.reason, u.akasse.as_str())).collect();
    assert_eq!(
        told,
        [(UpdateType::Scheduled, None, "067"), (UpdateType::Cancelled, Some(UpdateReason::Transferred), "010")]
    );
    assert_eq!(p.send_from(OTHER, "x9", job("2027-01-04"), "2026-11-05", TIME), Err(Refusal::NotMember));
}

/// R14: a registration of another a-kasse sent later is a change of a-kasse, whatever its day. For a
/// later day inside the period, the period starts again on that day as the new a-kasse's: its
/// meeting is new, and the old one's receivers are told it moved (`transferred`). For an earlier
/// day, the period starts earlier (R8), as the new a-kasse's, with the same message to the old.
#[test]
fn r14_a_registration_of_another_akasse_sent_later_moves_the_member_whatever_its_day() {
    let later = "2026-11-03T08:00:00Z";
    for day in ["2026-11-03", "2026-10-26"] {
        let mut p = registered();
        let id = last_update(&p).meeting_id;
        let u = p.send_from(OTHER, "r2", other_registration(day), "2026-11-03", later).unwrap().unwrap();
        let told: Vec<_> = u.iter().map(|u| (u.meeting_id == id, u.update_type, u.reason, u.akasse.as_str())).collect();
        assert_eq!(
            told,
            [
                (false, UpdateType::Scheduled, None, "010"),
                (true, UpdateType::Cancelled, Some(UpdateReason::Transferred), "067")
            ],
            "registered by 010 for {day}"
        );
        assert_eq!(p.send_from(OWN, "x1", job("2027-01-04"), "2026-11-05", TIME), Err(Refusal::NotMember), "{day}");
        let u = p.send_from(OTHER, "x1", job("2027-01-04"), "2026-11-05", TIME).unwrap().unwrap();
        assert_eq!(u.last().map(|u| (u.update_type, u.akasse.as_str())), Some((UpdateType::Cancelled, "010")), "{day}");
    }
}

/// R14 keeps facts about no known period, but not without end: another a-kasse can add at most
/// `MAX_UNPLACED_PER_AKASSE` of them to a person (then `too_many_facts`, nothing stored), and the
/// member's own a-kasse is not hindered by them.
#[test]
fn another_akasse_can_keep_only_a_bounded_number_of_facts_about_no_known_period() {
    use crate::domain::limits::MAX_UNPLACED_PER_AKASSE;
    let mut p = registered();
    // Job starts before 067's period: about no known period (an older period samspil never saw).
    let day = |i: usize| (d("2025-01-01") + chrono::Days::new(i as u64)).to_string();
    for i in 0..MAX_UNPLACED_PER_AKASSE {
        assert_eq!(p.send_from(OTHER, &format!("x{i}"), job(&day(i)), "2026-11-05", TIME), Ok(Some(vec![])), "{i}");
    }
    let before = p.state.clone();
    let over = p.send_from(OTHER, "x-over", job(&day(MAX_UNPLACED_PER_AKASSE)), "2026-11-05", TIME);
    assert_eq!(over, Err(Refusal::TooManyFacts));
    assert_eq!(p.state, before, "nothing is stored");
    // 067 still speaks for its member: an old job start of its own is kept, its job exit cancels.
    assert_eq!(p.send_from(OWN, "o1", job("2025-06-02"), "2026-11-05", TIME), Ok(Some(vec![])));
    let u = only(p.send_from(OWN, "x1", job("2027-01-04"), "2026-11-05", TIME).unwrap().unwrap());
    assert_eq!((u.update_type, u.akasse.as_str()), (UpdateType::Cancelled, "067"));
}

/// No sender, not even the member's own a-kasse, can make a person's item grow without end: after
/// `MAX_FACTS_PER_AKASSE` facts from one a-kasse its next new one is `too_many_facts`; a duplicate is
/// still a duplicate. Another a-kasse's facts, however many, never use up the member's a-kasse's
/// share: 010's registrations sent before 067's (they change nothing, but are kept) leave 067's job
/// exit to cancel the meeting.
#[test]
fn each_akasse_keeps_at_most_its_own_share_of_facts() {
    use crate::domain::limits::MAX_FACTS_PER_AKASSE;
    let mut p = registered();
    for i in 1..MAX_FACTS_PER_AKASSE {
        p.send_from(OWN, &format!("c{i}"), cv("2026-11-03"), "2026-11-03", TIME).unwrap();
    }
    assert_eq!(p.send_from(OWN, "c-over", cv("2026-11-03"), "2026-11-03", TIME), Err(Refusal::TooManyFacts));
    assert_eq!(p.send_from(OWN, "c1", cv("2026-11-03"), "2026-11-03", TIME), Ok(None), "a duplicate");

    let mut p = registered();
    let earlier = "2026-11-01T08:00:00Z";
    for i in 0..MAX_FACTS_PER_AKASSE {
        let sent = p.send_from(OTHER, &format!("r{i}"), other_registration("2026-11-10"), "2026-11-04", earlier);
        assert_eq!(sent, Ok(Some(vec![])), "{i}: kept, changes nothing");
    }
    let over = p.send_from(OTHER, "r-over", other_registration("2026-11-10"), "2026-11-04", earlier);
    assert_eq!(over, Err(Refusal::TooManyFacts));
    let u = only(p.send_from(OWN, "x1", job("2027-01-04"), "2026-11-05", TIME).unwrap().unwrap());
    assert_eq!((u.update_type, u.akasse.as_str()), (UpdateType::Cancelled, "067"));
}

/// R8 with R14: of one day's registrations only the latest sent counts. 010 takes the member with a
/// registration for 10 November sent at 08:00; 067's for the same day sent at 09:00 takes it back.
#[test]
fn r14_of_one_days_registrations_from_two_akasser_the_latest_sent_holds_the_member() {
    let mut p = registered();
    p.send_from(OTHER, "r2", other_registration("2026-11-10"), "2026-11-10", "2026-11-10T08:00:00Z").unwrap();
    assert_eq!(last_update(&p).akasse, "010");
    let back = Fact::Registration(registration("851", "2026-11-10"));
    let u = p.send_from(OWN, "r3", back, "2026-11-10", "2026-11-10T09:00:00Z").unwrap().unwrap();
    assert!(u.iter().any(|u| u.akasse == "067" && u.update_type == UpdateType::Scheduled), "{u:?}");
    assert_eq!(p.send_from(OTHER, "x9", job("2027-01-04"), "2026-11-11", TIME), Err(Refusal::NotMember));
}

/// However many a-kasser send about a person, the item stays bounded: a-kasser that hold none of the
/// person's periods share one budget (`MAX_FACTS_OF_OUTSIDERS`), and the member's a-kasse keeps its
/// own.
#[test]
fn a_kasser_that_hold_no_period_share_one_budget() {
    use crate::domain::limits::MAX_FACTS_OF_OUTSIDERS;
    let mut p = registered();
    let earlier = "2026-11-01T08:00:00Z";
    let mut sent = 0;
    'senders: for akasse in 100..200 {
        for i in 0..64 {
            let mut r = registration("851", "2026-11-10");
            r.akasse = format!("{akasse}").into();
            let source = format!("urn:dk:akasse:{akasse}");
            match p.send_from(&source, &format!("r{i}"), Fact::Registration(r), "2026-11-04", earlier) {
                Ok(_) => sent += 1,
                Err(refusal) => {
                    assert_eq!(refusal, Refusal::TooManyFacts);
                    break 'senders;
                }
            }
        }
    }
    assert_eq!(sent, MAX_FACTS_OF_OUTSIDERS, "the outsiders' common share");
    let u = only(p.send_from(OWN, "x1", job("2027-01-04"), "2026-11-05", TIME).unwrap().unwrap());
    assert_eq!((u.update_type, u.akasse.as_str()), (UpdateType::Cancelled, "067"));
}
