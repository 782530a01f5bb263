//! Property tests for rules R9 and R10: arrival order and duplication do not change the outcome.
//!
//! A random life of one person (one to three unemployment periods, CV completions, job exits,
//! registrations re-sent with another date inside a period, second registrations for the same day
//! with other data and another CloudEvents `time` (R8), job exits withdrawn and withdrawals that
//! match nothing (R13)) is processed twice on the same day: once with each message once, in
//! business-date order (the reference of R9), and once shuffled with random duplicates. A second
//! registration for the same day may come from another a-kasse (R8, R14), and the period's facts
//! from whichever a-kasse wins; a fact that arrives while its period is still the other a-kasse's is
//! refused (`not_member`), so the reference is made of the messages the shuffled run accepted. When
//! a period of 010 stays open (its job exit withdrawn), 067's next registration falls inside it and,
//! sent later, takes the member over (R14): the period starts again on its day. The last update of
//! every meeting must agree:
//!
//! - a meeting the reference leaves planned is planned, with the same date, deadline,
//!   `deadline_missed`, form, participation, municipality and a-kasse;
//! - a meeting the reference cancels is cancelled, or never announced at all (R9: a job exit that
//!   arrives before its registration means the meeting is never scheduled), with the same deadline,
//!   form, participation, municipality and a-kasse; if it carries the same date, the same
//!   `deadline_missed`;
//! - any other meeting that was announced ends cancelled (superseded by a registration that
//!   arrived late);
//! - a meeting whose period is gone in the end (superseded, R8, or taken over, R14) ends cancelled
//!   in both, with the data it had when it was superseded, which depends on what had arrived by
//!   then. Everybody who heard of it was told of its cancellation (checked over years by
//!   `history_properties`).
//!
//! A cancelled meeting may carry another `date` than the reference's: R6 forbids moving a cancelled
//! meeting, so a CV completion that arrives after the cancellation cannot change it (R9 allows
//! this). Whatever the date, `deadline_missed` must describe it: with the built-in policies, a
//! meeting misses its deadline exactly when its date is after it, which every update is checked
//! for. Every update's `reason` must be one its type allows.
//!
//! Rule R12 (summons at the right time): every case also runs under a policy book with `summon_days`
//! (Rebild on `rebild-jit`, or every municipality summoning), with sweeps ([`summon`]) run at random
//! points between the messages. Whether a meeting has been summoned then depends on when messages
//! arrived relative to the sweeps, so R9 as amended for R12 is checked instead: the *plan* of every
//! meeting (the meeting as the state holds it) is order-independent by the rules above, and every
//! meeting that was summoned has a last update equal to its plan.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use proptest::prelude::*;

use crate::contract::{
    AkasseParticipation, Cpr, CvCompleted, ExitReason, Fact, InboundMessage, JobExit, JobExitWithdrawal, MeetingUpdate,
    MessageKey, Registration, UpdateType, WeeklyHours,
};
use crate::identity::{PersonKey, PersonKeyer};
use crate::policy::PolicyBook;

use super::state::{Meeting, MeetingStatus};
use super::{Decision, PersonState, Refusal, decide, summon};

const SYNTHETIC_CPR: &str = "3112999999";

fn base() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()
}

fn day(offset: u32) -> NaiveDate {
    base() + Days::new(u64::from(offset))
}

/// A CloudEvents `time`: `hours` after midnight UTC on `day(offset)`.
fn sent(offset: u32, hours: u32) -> DateTime<Utc> {
    day(offset).and_hms_opt(0, 0, 0).unwrap().and_utc() + TimeDelta::hours(i64::from(hours))
}

/// A second registration for the period's first day, with other data (R8).
#[derive(Debug, Clone)]
struct SameDay {
    rebild: bool,
    opted_out: bool,
    prior_half_hours: u32,
    /// Hours after midnight each of the two was sent; equal hours leave the tie to the id.
    first_sent: u32,
    second_sent: u32,
    /// The second is sent by a-kasse 010 for itself: a change of a-kasse if it wins (R8, R14).
    other_akasse: bool,
}

/// One unemployment period of the generated life, as offsets in days.
#[derive(Debug, Clone)]
struct PeriodPlan {
    gap_before: u32,
    prior_half_hours: u32,
    part_time: bool,
    opted_out: bool,
    rebild: bool,
    cv_offsets: Vec<u32>,
    resend_offset: Option<u32>,
    same_day: Option<SameDay>,
    job_offset: Option<u32>,
    /// The job exit is withdrawn (R13).
    withdrawn: bool,
    /// A withdrawal that names a job start this many days after the registration, whatever exists.
    stray_withdrawal: Option<u32>,
}

fn same_day() -> impl Strategy<Value = SameDay> {
    (any::<bool>(), prop::bool::weighted(0.5), 0u32..600, 0u32..3, 0u32..3, prop::bool::weighted(0.3)).prop_map(
        |(rebild, opted_out, prior_half_hours, first_sent, second_sent, other_akasse)| SameDay {
            rebild,
            opted_out,
            prior_half_hours,
            first_sent,
            second_sent,
            other_akasse,
        },
    )
}

fn period_plan() -> impl Strategy<Value = PeriodPlan> {
    (
        0u32..60,
        0u32..600,
        any::<bool>(),
        prop::bool::weighted(0.2),
        any::<bool>(),
        prop::collection::vec(0u32..70, 0..3),
        prop::option::weighted(0.25, 0u32..30),
        prop::option::weighted(0.3, same_day()),
        prop::option::weighted(0.8, 0u32..120),
        prop::bool::weighted(0.3),
        prop::option::weighted(0.1, 0u32..120),
    )
        .prop_map(
            |(
                gap_before,
                prior_half_hours,
                part_time,
                opted_out,
                rebild,
                cv_offsets,
                resend_offset,
                same_day,
                job_offset,
                withdrawn,
                stray_withdrawal,
            )| {
                PeriodPlan {
                    gap_before,
                    prior_half_hours,
                    part_time,
                    opted_out,
                    rebild,
                    cv_offsets,
                    resend_offset,
                    same_day,
                    job_offset,
                    withdrawn,
                    stray_withdrawal,
                }
            },
        )
}

/// Turns period plans into messages. Every period but the last is closed by a job exit, so the
/// next registration opens a new period, unless that job exit is withdrawn.
fn life(plans: &[PeriodPlan]) -> Vec<InboundMessage> {
    let mut messages = Vec::new();
    let mut cursor = 0u32;
    let mut n = 0;
    let mut push = |akasse: &str, fact: Fact, time: DateTime<Utc>, messages: &mut Vec<InboundMessage>| {
        n += 1;
        messages.push(InboundMessage {
            key: MessageKey {
                source: compact_str::format_compact!("urn:dk:akasse:{akasse}"),
                id: compact_str::format_compact!("m{n:02}"),
            },
            time,
            cpr: Cpr::new_unchecked(SYNTHETIC_CPR),
            fact,
        });
    };
    for (i, plan) in plans.iter().enumerate() {
        let start = cursor + plan.gap_before;
        let registration = |offset: u32, rebild: bool, opted_out: bool, prior_half_hours: u32, akasse: &str| {
            Fact::Registration(Registration {
                municipality: if rebild { "840" } else { "851" }.into(),
                akasse: akasse.into(),
                registered_on: day(offset),
                prior_hours: f64::from(prior_half_hours) / 2.0,
                weekly_hours: if plan.part_time { WeeklyHours::PartTime } else { WeeklyHours::FullTime },
                akasse_participation: if opted_out { AkasseParticipation::OptedOut } else { AkasseParticipation::Yes },
            })
        };
        let first_sent = plan.same_day.as_ref().map_or(8, |s| s.first_sent);
        push(
            "067",
            registration(start, plan.rebild, plan.opted_out, plan.prior_half_hours, "067"),
            sent(start, first_sent),
            &mut messages,
        );
        // Who speaks for the period: the a-kasse of the registration sent last (R8, R14).
        let mut speaker = "067";
        if let Some(s) = &plan.same_day {
            let akasse = if s.other_akasse { "010" } else { "067" };
            push(
                akasse,
                registration(start, s.rebild, s.opted_out, s.prior_half_hours, akasse),
                sent(start, s.second_sent),
                &mut messages,
            );
            if s.second_sent >= first_sent {
                speaker = akasse;
            }
        }
        let last = i + 1 == plans.len();
        let job = match plan.job_offset {
            Some(o) => Some(start + 1 + o),
            None if !last => Some(start + 1 + plan.cv_offsets.iter().max().copied().unwrap_or(30)),
            None => None,
        };
        if let Some(offset) = plan.resend_offset {
            let resend = start + offset;
            if job.is_none_or(|j| resend < j) {
                push(
                    speaker,
                    registration(resend, plan.rebild, plan.opted_out, plan.prior_half_hours, speaker),
                    sent(resend, 9),
                    &mut messages,
                );
            }
        }
        for offset in &plan.cv_offsets {
            let cv = Fact::CvCompleted(CvCompleted { completed_on: day(start + offset) });
            push(speaker, cv, sent(start + offset, 10), &mut messages);
        }
        if let Some(job) = job {
            push(
                speaker,
                Fact::JobExit(JobExit { job_starts_on: day(job), reason: ExitReason::Job }),
                sent(job, 6),
                &mut messages,
            );
            if plan.withdrawn {
                let withdrawal = JobExitWithdrawal { job_starts_on: day(job) };
                push(speaker, Fact::JobExitWithdrawn(withdrawal), sent(job, 7), &mut messages);
            }
        }
        if let Some(offset) = plan.stray_withdrawal {
            let withdrawal = JobExitWithdrawal { job_starts_on: day(start + offset) };
            push(speaker, Fact::JobExitWithdrawn(withdrawal), sent(start + offset, 7), &mut messages);
        }
        cursor = job.unwrap_or(start);
    }
    messages
}

/// The policy books the properties run under: the built-in one (no summonses), Rebild on
/// `rebild-jit` (R12) with the rest on `baseline`, and every municipality summoning.
fn books() -> [PolicyBook; 3] {
    let jit = |aalborg: &str| {
        let text = format!(
            "default_policy = \"baseline\"\n\
             [policies.baseline-jit]\nbased_on = \"baseline\"\nsummon_days = 3\n\
             [municipalities.840]\nname = \"Rebild\"\npolicy = \"rebild-jit\"\n\
             [municipalities.851]\nname = \"Aalborg\"\npolicy = \"{aalborg}\"\n"
        );
        PolicyBook::from_toml(&text, "property test").unwrap()
    };
    [PolicyBook::builtin(), jit("baseline"), jit("baseline-jit")]
}

/// What one run of messages left: the last update published per meeting, the final state, and the
/// messages that were accepted (the others were refused, R14: dead-lettered as `not_member`).
struct Ran {
    last: HashMap<String, MeetingUpdate>,
    state: PersonState,
    accepted: std::collections::HashSet<MessageKey>,
}

/// Processes messages in order on one day, with a sweep after message `i` when `sweeps[i]`;
/// returns the last update per meeting and the state, checking on the way that duplicates publish
/// nothing and sequences rise by one, except for an update sent again unchanged (a transfer's
/// cancellation riding along with the meeting's next update, R8 and R10).
fn run(
    messages: &[InboundMessage],
    today: NaiveDate,
    policies: &PolicyBook,
    sweeps: &[bool],
) -> Result<Ran, TestCaseError> {
    let keyer = PersonKeyer::new(b"property-secret").unwrap();
    let cpr = Cpr::new_unchecked(SYNTHETIC_CPR);
    let person: PersonKey = keyer.key(&cpr);
    let mut state = PersonState::default();
    let mut accepted = std::collections::HashSet::new();
    let mut last: HashMap<String, MeetingUpdate> = HashMap::new();
    let mut sent: Vec<MeetingUpdate> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let mut published = Vec::new();
        match decide(state.clone(), &person, message, today, policies) {
            Ok(Decision::Duplicate(unchanged)) => {
                prop_assert!(accepted.contains(&message.key), "a new message was taken for a duplicate");
                state = unchanged;
            }
            Ok(Decision::Applied { state: next, updates }) => {
                prop_assert!(accepted.insert(message.key.clone()), "a duplicate was applied again (R10)");
                state = next;
                published.extend(updates);
            }
            // R14: a fact about a period of another a-kasse's member changes nothing.
            Err(Refusal::NotMember) => {}
            Err(other) => return Err(TestCaseError::fail(format!("refused: {other:?}"))),
        }
        if sweeps.get(i).copied().unwrap_or(false) {
            let run =
                MessageKey { source: super::SweepRun::SOURCE.into(), id: compact_str::format_compact!("sweep-{i}") };
            let Decision::Applied { state: next, updates } =
                summon(std::mem::take(&mut state), today, policies, &cpr, &run).unwrap()
            else {
                unreachable!("summon always applies")
            };
            prop_assert!(
                updates.iter().all(|u| u.sequence == 1 && u.update_type == UpdateType::Scheduled),
                "a summons is the first update"
            );
            prop_assert!(next.sweep_due.is_none_or(|due| due > today), "the sweep leaves nothing due");
            state = next;
            published.extend(updates);
        }
        {
            {
                for u in published {
                    if last.get(&u.meeting_id).is_some_and(|l| u.sequence <= l.sequence) {
                        prop_assert!(
                            sent.contains(&u) && u.reason == Some(crate::contract::UpdateReason::Transferred),
                            "below the meeting's sequence, only a transfer's cancellation again: {:?}",
                            u
                        );
                        continue;
                    }
                    sent.push(u.clone());
                    let expected = last.get(&u.meeting_id).map_or(1, |p| p.sequence + 1);
                    prop_assert_eq!(u.sequence, expected, "sequence must rise by one (R11)");
                    prop_assert_eq!(
                        u.deadline_missed,
                        u.date > u.deadline,
                        "deadline_missed must describe the date (R9)"
                    );
                    let allowed = match u.reason {
                        None => u.update_type == UpdateType::Scheduled,
                        Some(reason) => u.update_type.reasons().contains(&reason),
                    };
                    prop_assert!(allowed, "{:?} cannot carry reason {:?}", u.update_type, u.reason);
                    prop_assert!(u.sequence > 1 || u.reason.is_none(), "a first announcement carries no reason");
                    prop_assert!(!u.meeting_id.contains(SYNTHETIC_CPR));
                    last.insert(u.meeting_id.clone(), u);
                }
            }
        }
    }
    Ok(Ran { last, state, accepted })
}

/// A meeting's plan, as the update that would announce it as it stands.
fn plan_of(meeting: &Meeting) -> MeetingUpdate {
    let update_type = match meeting.status {
        MeetingStatus::Planned => UpdateType::Scheduled,
        MeetingStatus::Cancelled => UpdateType::Cancelled,
    };
    MeetingUpdate {
        update_type,
        meeting_id: meeting.id.clone(),
        sequence: meeting.sequence,
        cpr: Cpr::new_unchecked(SYNTHETIC_CPR),
        municipality: meeting.municipality.clone(),
        akasse: meeting.akasse.clone(),
        kind: meeting.kind,
        date: meeting.date,
        form: meeting.form,
        akasse_participation: meeting.akasse_participation,
        deadline: meeting.deadline,
        deadline_missed: meeting.deadline_missed,
        previous_date: None,
        reason: None,
    }
}

/// Every meeting's plan by id.
fn plans(state: &PersonState) -> HashMap<String, MeetingUpdate> {
    state.meetings.iter().map(|m| (m.id.clone(), plan_of(m))).collect()
}

/// R9 as amended for R12: a meeting that was announced has a last update equal to its plan.
fn check_announced_equal_plans(ran: &Ran) -> Result<(), TestCaseError> {
    for meeting in &ran.state.meetings {
        let Some(last) = ran.last.get(&meeting.id) else { continue };
        let plan = plan_of(meeting);
        prop_assert_eq!(
            last.update_type == UpdateType::Cancelled,
            plan.update_type == UpdateType::Cancelled,
            "meeting {}: status",
            &meeting.id
        );
        prop_assert_eq!(
            planned_fields(last),
            planned_fields(&plan),
            "meeting {}: last update against plan",
            &meeting.id
        );
    }
    Ok(())
}

/// A compact, CPR-free description of messages for failure reports.
fn describe(messages: &[InboundMessage]) -> String {
    let one = |m: &InboundMessage| match &m.fact {
        Fact::Registration(r) => format!(
            "{}:reg {} {} p{} {:?} sent {}",
            m.key.id,
            r.municipality,
            r.registered_on,
            r.prior_hours,
            r.akasse_participation,
            m.time.format("%dT%H")
        ),
        Fact::CvCompleted(c) => format!("{}:cv {}", m.key.id, c.completed_on),
        Fact::JobExit(j) => format!("{}:job {}", m.key.id, j.job_starts_on),
        Fact::JobExitWithdrawn(w) => format!("{}:withdrawn {}", m.key.id, w.job_starts_on),
    };
    messages.iter().map(one).collect::<Vec<_>>().join(", ")
}

fn business_order(messages: &[InboundMessage]) -> Vec<InboundMessage> {
    let mut sorted = messages.to_vec();
    sorted.sort_by_key(|m| m.fact.business_date());
    sorted
}

/// R9's reference for a run: the messages that run accepted, once each, in business-date order. A
/// message refused because it arrived while its period belonged to another a-kasse (R14) is
/// dead-lettered, and R9 speaks of the messages that were processed.
fn reference_for(messages: &[InboundMessage], ran: &Ran) -> Vec<InboundMessage> {
    let kept: Vec<InboundMessage> = messages.iter().filter(|m| ran.accepted.contains(&m.key)).cloned().collect();
    business_order(&kept)
}

/// The fields R9 compares for a planned meeting.
fn planned_fields(u: &MeetingUpdate) -> impl PartialEq + std::fmt::Debug {
    (u.date, u.deadline, u.deadline_missed, u.form, u.akasse_participation, u.municipality.clone(), u.akasse.clone())
}

/// The fields R9 compares for a cancelled meeting.
fn cancelled_fields(u: &MeetingUpdate) -> impl PartialEq + std::fmt::Debug {
    (u.deadline, u.form, u.akasse_participation, u.municipality.clone(), u.akasse.clone())
}

/// The meetings of `state` whose period is no longer one (superseded, R8, or taken over, R14).
fn superseded(state: &PersonState) -> std::collections::HashSet<String> {
    let starts: Vec<NaiveDate> = super::periods::derive(&state.facts).iter().map(|p| p.start).collect();
    state.meetings.iter().filter(|m| !starts.contains(&m.period_start)).map(|m| m.id.clone()).collect()
}

fn check_same_outcome(
    reference: &HashMap<String, MeetingUpdate>,
    ours: &HashMap<String, MeetingUpdate>,
    superseded: &std::collections::HashSet<String>,
) -> Result<(), TestCaseError> {
    for (id, r) in reference {
        let o = ours.get(id);
        if r.update_type == UpdateType::Cancelled {
            if let Some(o) = o {
                prop_assert_eq!(o.update_type, UpdateType::Cancelled, "meeting {} should end cancelled", id);
                if superseded.contains(id) {
                    // Its period is gone: it carries the data it had when it was superseded.
                    continue;
                }
                prop_assert_eq!(cancelled_fields(o), cancelled_fields(r), "meeting {}", id);
                if o.date == r.date {
                    prop_assert_eq!(o.deadline_missed, r.deadline_missed, "meeting {}: deadline_missed", id);
                }
            }
        } else {
            let o =
                o.ok_or_else(|| TestCaseError::fail(format!("meeting {id} is planned in order but never announced")))?;
            prop_assert_ne!(o.update_type, UpdateType::Cancelled, "meeting {} should end planned", id);
            prop_assert_eq!(planned_fields(o), planned_fields(r), "meeting {}", id);
        }
    }
    for (id, o) in ours {
        if !reference.contains_key(id) {
            prop_assert_eq!(o.update_type, UpdateType::Cancelled, "extra meeting {} must end cancelled", id);
        }
    }
    Ok(())
}

/// A permutation of `messages` with each message repeated 1 to 3 times.
fn arrivals(messages: Vec<InboundMessage>) -> impl Strategy<Value = Vec<InboundMessage>> {
    let n = messages.len();
    prop::collection::vec(1usize..=3, n).prop_flat_map(move |copies| {
        let repeated: Vec<InboundMessage> =
            messages.iter().zip(&copies).flat_map(|(m, c)| std::iter::repeat_n(m.clone(), *c)).collect();
        Just(repeated).prop_shuffle()
    })
}

fn scenario() -> impl Strategy<Value = (Vec<InboundMessage>, Vec<InboundMessage>, NaiveDate)> {
    (prop::collection::vec(period_plan(), 1..=3), 0u32..500).prop_flat_map(|(plans, today)| {
        let messages = life(&plans);
        (Just(messages.clone()), arrivals(messages), Just(day(today)))
    })
}

/// A scenario with a policy book ([`books`]) and the points after which a sweep runs (R12).
#[allow(clippy::type_complexity)]
fn swept_scenario() -> impl Strategy<Value = (Vec<InboundMessage>, Vec<InboundMessage>, NaiveDate, usize, Vec<bool>)> {
    (scenario(), 1usize..3).prop_flat_map(|((messages, arrived, today), book)| {
        let n = arrived.len();
        (Just(messages), Just(arrived), Just(today), Just(book), prop::collection::vec(prop::bool::weighted(0.3), n))
    })
}

fn failure_report(
    e: TestCaseError,
    today: NaiveDate,
    messages: &[InboundMessage],
    arrived: &[InboundMessage],
) -> TestCaseError {
    TestCaseError::fail(format!(
        "{e}\n  today {today}\n  in order: {}\n  arrived:  {}",
        describe(&business_order(messages)),
        describe(arrived)
    ))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// R9 and R10: any arrival order with any duplication gives the same last update per meeting
    /// as the messages once each, in business-date order, on the same processing day.
    #[test]
    fn any_order_and_duplication_gives_the_same_last_update((messages, arrived, today) in scenario()) {
        let policies = PolicyBook::builtin();
        let ours = run(&arrived, today, &policies, &[])?;
        let reference = run(&reference_for(&messages, &ours), today, &policies, &[])?;
        check_same_outcome(&reference.last, &ours.last, &superseded(&ours.state)).map_err(|e| failure_report(e, today, &messages, &arrived))?;
    }

    /// R9 as amended for R12, under policies with `summon_days` and sweeps at random points: the plan
    /// of every meeting is order-independent, and a summoned meeting's last update equals its plan.
    #[test]
    fn with_summonses_the_plan_is_order_independent_and_summoned_meetings_match_it(
        (messages, arrived, today, book, sweeps) in swept_scenario()
    ) {
        let policies = &books()[book];
        let ours = run(&arrived, today, policies, &sweeps)?;
        let reference = run(&reference_for(&messages, &ours), today, policies, &[])?;
        let report = |e| failure_report(e, today, &messages, &arrived);
        check_same_outcome(&plans(&reference.state), &plans(&ours.state), &superseded(&ours.state)).map_err(report)?;
        check_announced_equal_plans(&ours).map_err(report)?;
        check_announced_equal_plans(&reference).map_err(report)?;
    }

    /// R9 for two arrival orders against each other, both shuffled: the comparison is symmetric for
    /// meetings that end planned (between orders whose runs accepted the same messages, R14).
    #[test]
    fn two_shuffled_orders_agree_on_planned_meetings((messages, arrived, today) in scenario(), seed in any::<u64>()) {
        let mut other = arrived.clone();
        fastrand::Rng::with_seed(seed).shuffle(&mut other);
        let policies = PolicyBook::builtin();
        let (a, b) = (run(&arrived, today, &policies, &[])?, run(&other, today, &policies, &[])?);
        // R14: which messages a run refuses (arrived while their period was another a-kasse's)
        // depends on the order; the comparison holds between runs that processed the same ones.
        prop_assume!(a.accepted == b.accepted);
        let (a, b) = (a.last, b.last);
        let planned = |m: &HashMap<String, MeetingUpdate>| {
            let mut v: Vec<_> = m.iter()
                .filter(|(_, u)| u.update_type != UpdateType::Cancelled)
                .map(|(id, u)| (id.clone(), format!("{:?}", planned_fields(u))))
                .collect();
            v.sort();
            v
        };
        prop_assert_eq!(planned(&a), planned(&b));
        let _ = messages;
    }
}
