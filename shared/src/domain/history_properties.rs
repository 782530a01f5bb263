//! Property tests for long lives (rules R8, R10, R13 and R14 over years), each message processed on
//! its own processing day, so that meetings get held.
//!
//! A random life of one person: two to seven unemployment periods over years, with gaps from none
//! (a registration on the day the last job started) to far past the retention time, jobs that
//! start on the registration day, CV completions, job exits announced ahead and withdrawn (and
//! sometimes re-reported: the job came back), and corrections: a second registration for the same
//! day, sent earlier or later, that names another municipality or another a-kasse. Every message has
//! a processing day near its business date (late, or ahead for job exits); the messages arrive in
//! the order of their processing days, ties in any order, some delivered twice.
//!
//! The life runs twice, once with folding (`compaction.rs`) and once without. R10: folding must
//! change nothing a kept period does, so every message gets the same answer in both: the same
//! updates, or the same refusal. And in the run with folding, what the rules promise over time:
//!
//! - every update follows the one before it by one `sequence`, its `reason` is one its type allows,
//!   and `deadline_missed` describes its date (R9, R11), except an update sent again unchanged (a
//!   transfer's cancellation that rides along with the meeting's next updates, R8 and R10);
//! - a held meeting is final: no update of a meeting comes after its announced date has passed
//!   (R7, R8);
//! - no receiver is left holding a meeting that moved elsewhere: each jobcenter and a-kasse that was
//!   told of a meeting last heard either its cancellation or the meeting as it stands (R8);
//! - no period ends with two first meetings to come, nor one to come beside a held one (R8: a held
//!   meeting is the period's first); two held ones are possible when the period changed hands
//!   between them (R14).

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use proptest::prelude::*;

use crate::contract::{
    AkasseParticipation, Cpr, CvCompleted, ExitReason, Fact, InboundMessage, JobExit, JobExitWithdrawal, MeetingUpdate,
    MessageKey, Registration, UpdateType, WeeklyHours,
};
use crate::identity::PersonKeyer;
use crate::policy::PolicyBook;

use super::decide::decide_folding;
use super::state::MeetingStatus;
use super::{Decision, PersonState, Refusal, compaction, periods};

const SYNTHETIC_CPR: &str = "3112999998";

/// One message with the day it is processed on.
#[derive(Debug, Clone)]
struct Sent {
    message: InboundMessage,
    day: NaiveDate,
}

/// A second registration for a period's first day (R8).
#[derive(Debug, Clone)]
struct Correction {
    municipality: &'static str,
    akasse: &'static str,
    /// Sent after the first registration (it wins), or before it (it loses).
    later: bool,
    /// Days after the first registration's processing that it is processed.
    delay: u32,
}

/// One unemployment period of the life.
#[derive(Debug, Clone)]
struct Stint {
    /// Days from the previous job start (the first: from the base day) to the registration.
    gap: u32,
    /// Days from the registration to the job start; `None` leaves the period open (the last one).
    job: Option<u32>,
    municipality: &'static str,
    akasse: &'static str,
    prior_hours: u32,
    /// Days after the registration that it is processed.
    late: u32,
    cvs: Vec<(u32, u32)>,
    /// Days before the job start that the job exit is processed.
    exit_ahead: u32,
    /// The job exit is withdrawn; with `Some(true)` the job comes back (a new job exit, R13).
    withdrawn: Option<bool>,
    correction: Option<Correction>,
}

fn municipality() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("851"), Just("840"), Just("787")]
}

fn akasse() -> impl Strategy<Value = &'static str> {
    prop_oneof![4 => Just("067"), 1 => Just("010")]
}

fn stint() -> impl Strategy<Value = Stint> {
    let gap = prop_oneof![2 => Just(0u32), 3 => 1u32..120, 2 => 120u32..400, 2 => 400u32..900];
    let job = prop_oneof![1 => Just(Some(0u32)), 6 => (1u32..200).prop_map(Some), 1 => Just(None)];
    let correction = (municipality(), akasse(), any::<bool>(), 1u32..25)
        .prop_map(|(municipality, akasse, later, delay)| Correction { municipality, akasse, later, delay });
    (
        (gap, job, municipality(), akasse(), 0u32..400, prop_oneof![3 => 0u32..6, 1 => 6u32..60]),
        (
            prop::collection::vec((0u32..80, 0u32..6), 0..3),
            0u32..30,
            prop::option::weighted(0.2, any::<bool>()),
            prop::option::weighted(0.25, correction),
        ),
    )
        .prop_map(
            |((gap, job, municipality, akasse, prior_hours, late), (cvs, exit_ahead, withdrawn, correction))| Stint {
                gap,
                job,
                municipality,
                akasse,
                prior_hours,
                late,
                cvs,
                exit_ahead,
                withdrawn,
                correction,
            },
        )
}

fn base() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()
}

fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap().and_utc() + TimeDelta::minutes(i64::from(hour) * 7 + 360)
}

/// The messages of a life, each with its processing day, in no particular order.
fn life(stints: &[Stint]) -> Vec<Sent> {
    let mut out = Vec::new();
    let mut n = 0u32;
    let mut push = |source: &str, fact: Fact, time: DateTime<Utc>, day: NaiveDate, out: &mut Vec<Sent>| {
        n += 1;
        let key = MessageKey {
            source: compact_str::format_compact!("urn:dk:akasse:{source}"),
            id: compact_str::format_compact!("h{n:03}"),
        };
        out.push(Sent { message: InboundMessage { key, time, cpr: Cpr::new_unchecked(SYNTHETIC_CPR), fact }, day });
    };
    let mut cursor = base();
    for (i, s) in stints.iter().enumerate() {
        let start = cursor + Days::new(u64::from(s.gap));
        let registration = |municipality: &str, akasse: &str| {
            Fact::Registration(Registration {
                municipality: municipality.into(),
                akasse: akasse.into(),
                registered_on: start,
                prior_hours: f64::from(s.prior_hours),
                weekly_hours: WeeklyHours::FullTime,
                akasse_participation: AkasseParticipation::Yes,
            })
        };
        let processed = start + Days::new(u64::from(s.late));
        let sent = at(processed, 1);
        push(s.akasse, registration(s.municipality, s.akasse), sent, processed, &mut out);
        // Who speaks for the period: the a-kasse of the registration sent last (R8, R14).
        let mut speaker = s.akasse;
        if let Some(c) = &s.correction {
            let day = processed + Days::new(u64::from(c.delay));
            let time = if c.later { at(day, 2) } else { sent - TimeDelta::hours(1) };
            push(c.akasse, registration(c.municipality, c.akasse), time, day, &mut out);
            if c.later {
                speaker = c.akasse;
            }
        }
        for (offset, late) in &s.cvs {
            let on = start + Days::new(u64::from(*offset));
            let day = on + Days::new(u64::from(*late));
            push(speaker, Fact::CvCompleted(CvCompleted { completed_on: on }), at(day, 3), day, &mut out);
        }
        let last = i + 1 == stints.len();
        let job = match s.job {
            Some(days) => Some(start + Days::new(u64::from(days))),
            None if !last => Some(start + Days::new(60)),
            None => None,
        };
        if let Some(job_starts_on) = job {
            let day = job_starts_on.checked_sub_days(Days::new(u64::from(s.exit_ahead))).unwrap().max(start);
            let exit = Fact::JobExit(JobExit { job_starts_on, reason: ExitReason::Job });
            push(speaker, exit.clone(), at(day, 4), day, &mut out);
            if let Some(comes_back) = s.withdrawn {
                // Withdrawn before the job starts (or on its first day), and re-reported after that.
                let day = (day + Days::new(1)).min(job_starts_on.max(day));
                let withdrawal = Fact::JobExitWithdrawn(JobExitWithdrawal { job_starts_on });
                push(speaker, withdrawal, at(day, 5), day, &mut out);
                if comes_back {
                    push(speaker, exit, at(day, 6), day, &mut out);
                }
            }
            cursor = job_starts_on;
        }
    }
    out
}

/// The order the messages arrive in: by processing day, ties in the order `keys` gives, some
/// delivered again a few days later (R10).
fn arrivals(mut sent: Vec<Sent>, keys: &[u32], again: &[Option<u32>]) -> Vec<Sent> {
    let repeats: Vec<Sent> = sent
        .iter()
        .zip(again)
        .filter_map(|(s, a)| a.map(|days| Sent { message: s.message.clone(), day: s.day + Days::new(u64::from(days)) }))
        .collect();
    sent.extend(repeats);
    let mut keyed: Vec<(NaiveDate, u32, Sent)> =
        sent.into_iter().enumerate().map(|(i, s)| (s.day, keys[i % keys.len()], s)).collect();
    keyed.sort_by_key(|(day, key, _)| (*day, *key));
    keyed.into_iter().map(|(.., s)| s).collect()
}

fn scenario() -> impl Strategy<Value = (Vec<Sent>, Vec<Sent>)> {
    prop::collection::vec(stint(), 2..=7).prop_flat_map(|stints| {
        let sent = life(&stints);
        let n = sent.len();
        (
            Just(sent),
            prop::collection::vec(any::<u32>(), n * 2),
            prop::collection::vec(prop::option::weighted(0.1, 0u32..4), n),
        )
            .prop_map(|(sent, keys, again)| (sent.clone(), arrivals(sent, &keys, &again)))
    })
}

/// A compact, CPR-free account of the arrivals, for failure reports.
fn describe(arrived: &[Sent]) -> String {
    let one = |s: &Sent| {
        let m = &s.message;
        let what = match &m.fact {
            Fact::Registration(r) => format!("reg {} {} ak{}", r.registered_on, r.municipality, r.akasse),
            Fact::CvCompleted(c) => format!("cv {}", c.completed_on),
            Fact::JobExit(j) => format!("job {}", j.job_starts_on),
            Fact::JobExitWithdrawn(w) => format!("withdrawn {}", w.job_starts_on),
        };
        format!("{} {}:{what} from {} sent {}", s.day, m.key.id, &m.key.source[14..], m.time.format("%m-%dT%H:%M"))
    };
    arrived.iter().map(one).collect::<Vec<_>>().join("\n    ")
}

/// What a receiver last heard of a meeting: (sequence, type).
type Heard = HashMap<(String, String), (u32, UpdateType)>;

/// Checks every update the folded run publishes against what came before it. `sent` holds every
/// update published so far: one of them sent again, unchanged, is allowed (R10) and changes
/// nothing for any receiver, who has it already or applies it as the first time.
fn check_update(
    u: &MeetingUpdate,
    day: NaiveDate,
    last: &mut HashMap<String, MeetingUpdate>,
    heard: &mut Heard,
    sent: &mut Vec<MeetingUpdate>,
) -> Result<(), TestCaseError> {
    let before = last.get(&u.meeting_id);
    if before.is_some_and(|b| u.sequence <= b.sequence) {
        prop_assert!(
            sent.contains(u) && u.reason == Some(crate::contract::UpdateReason::Transferred),
            "below the meeting's sequence, only a transfer's cancellation sent before: {:?}",
            u
        );
        for receiver in [format!("jobcenter {}", u.municipality), format!("a-kasse {}", u.akasse)] {
            let heard = heard.entry((u.meeting_id.clone(), receiver)).or_insert((0, u.update_type));
            if heard.0 < u.sequence {
                *heard = (u.sequence, u.update_type);
            }
        }
        return Ok(());
    }
    sent.push(u.clone());
    prop_assert_eq!(u.sequence, before.map_or(1, |b| b.sequence + 1), "sequence must rise by one (R11)");
    prop_assert_eq!(u.deadline_missed, u.date > u.deadline, "deadline_missed must describe the date");
    let allowed = match u.reason {
        None => u.update_type == UpdateType::Scheduled && u.sequence == 1,
        Some(reason) => u.update_type.reasons().contains(&reason),
    };
    prop_assert!(allowed, "{:?} cannot carry reason {:?} (sequence {})", u.update_type, u.reason, u.sequence);
    if let Some(b) = before {
        let held = b.update_type != UpdateType::Cancelled && b.date < day;
        prop_assert!(!held, "meeting {} was held on {} and changed on {}", u.meeting_id, b.date, day);
    }
    for receiver in [format!("jobcenter {}", u.municipality), format!("a-kasse {}", u.akasse)] {
        heard.insert((u.meeting_id.clone(), receiver), (u.sequence, u.update_type));
    }
    last.insert(u.meeting_id.clone(), u.clone());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// R10: folding changes nothing a kept period does; and over years, on their own processing
    /// days, held meetings stay final, transfers leave nobody holding a meeting, and no period has
    /// two first meetings to come.
    #[test]
    fn over_years_folding_changes_nothing_and_held_and_moved_meetings_stay_right((sent, arrived) in scenario()) {
        live(&arrived).map_err(|e| TestCaseError::fail(format!("{e}\n  arrived:\n    {}", describe(&arrived))))?;
        let _ = sent;
    }
}

/// Runs the arrivals with and without folding and checks them; see the module documentation.
fn live(arrived: &[Sent]) -> Result<(), TestCaseError> {
    let keyer = PersonKeyer::new(b"history-secret").unwrap();
    let person = keyer.key(&Cpr::new_unchecked(SYNTHETIC_CPR));
    let policies = PolicyBook::repository();
    let (mut folded, mut kept) = (PersonState::default(), PersonState::default());
    let mut last = HashMap::new();
    let mut heard = Heard::new();
    let mut sent = Vec::new();
    let mut today = base();
    for s in arrived {
        today = s.day;
        let inert = compaction::is_folded(&folded, &s.message.fact);
        let a = decide_folding(folded.clone(), &person, &s.message, s.day, &policies, true);
        let b = decide_folding(kept.clone(), &person, &s.message, s.day, &policies, false);
        let (a_updates, b_updates) = (published(&a), published(&b));
        if inert {
            prop_assert!(b_updates.is_empty(), "a message about a folded stretch publishes nothing (R10)");
        } else {
            prop_assert_eq!(&a_updates, &b_updates, "folding changed what message {} does", &s.message.key.id);
            prop_assert_eq!(a.is_err(), b.is_err(), "folding changed whether {} is refused", &s.message.key.id);
        }
        if let Ok(Decision::Applied { state, .. } | Decision::Duplicate(state)) = a {
            folded = state;
        }
        if let Ok(Decision::Applied { state, .. } | Decision::Duplicate(state)) = b {
            kept = state;
        }
        for u in &a_updates {
            check_update(u, s.day, &mut last, &mut heard, &mut sent)?;
        }
    }
    // R8: every receiver last heard the meeting's cancellation or the meeting as it stands.
    for ((id, receiver), (sequence, update_type)) in &heard {
        let latest = &last[id];
        prop_assert!(
            *update_type == UpdateType::Cancelled || *sequence == latest.sequence,
            "{} was left holding meeting {} at sequence {} (the meeting is at {})",
            receiver,
            id,
            sequence,
            latest.sequence
        );
    }
    // R8: one first meeting per period still to come, and none once one was held. Two may both
    // have been held: when the period changed hands between them (R14, a later-sent registration
    // of another a-kasse, then one of the first a-kasse sent later still), each holder's meeting
    // took place in its time, and the past stays as it was.
    for period in periods::derive(&folded.facts) {
        let of_period =
            || folded.meetings.iter().filter(|m| m.status == MeetingStatus::Planned && period.contains(m.period_start));
        let upcoming = of_period().filter(|m| !m.is_held(today)).count();
        let held = of_period().filter(|m| m.is_held(today)).count();
        prop_assert!(
            upcoming <= 1 && (upcoming == 0 || held == 0),
            "period {} has {} first meetings to come and {} held (processed up to {})",
            period.start,
            upcoming,
            held,
            today
        );
    }
    Ok(())
}

/// The updates a decision published; none for a duplicate or a refusal.
fn published(decision: &Result<Decision, Refusal>) -> Vec<MeetingUpdate> {
    match decision {
        Ok(Decision::Applied { updates, .. }) => updates.clone(),
        _ => Vec::new(),
    }
}
