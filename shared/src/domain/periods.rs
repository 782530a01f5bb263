//! Unemployment periods, worked out from the set of known facts (rules R7, R8, R13 and R14).
//!
//! Periods are derived from all facts at once, sorted by business date, never from the order the
//! messages arrived in. That is the heart of rule R9: the same set of facts always describes the
//! same periods.
//!
//! - Registrations in business-date order: the first opens a period; a later one opens a new period
//!   only if the previous period is closed and it is on or after that period's closing day (R8).
//!   Otherwise it falls inside the known period and opens nothing. Of two registrations for the
//!   same day, the one with the latest CloudEvents `time` (equal times: the greater `id`) gives the
//!   period its data (R8), whatever order they arrived in. That data names the period's a-kasse.
//! - R14: an a-kasse takes over another's member only by sending later. A registration for a later
//!   day inside a period, of another a-kasse than the period's and sent later than the period's
//!   data, is a change of a-kasse: the period starts again on its day, as that a-kasse's, and what
//!   the other a-kasse said of the person before no longer counts. A registration of another
//!   a-kasse for an earlier day that was sent earlier is the one taken over, so it never takes the
//!   member: the later-sent registration starts the period again on its own day.
//! - Every other fact counts for a period only when its `source` names the period's a-kasse (R14):
//!   an a-kasse speaks only for its own members. A fact that names another is kept, and counts
//!   if the period turns out to be its a-kasse's after all (a corrected registration).
//! - A withdrawal voids the job exits of its a-kasse with the job start it names whose CloudEvents
//!   `time` is not later than its own (R13), whichever of the two arrived first: a job exit sent
//!   after the withdrawal (the job came back) counts again.
//! - A period closes at the earliest job start of its a-kasse on or after its registration day that
//!   no earlier period used (R7). Job starts between periods belong to no period; a repeated job
//!   start with the same date is one fact.
//! - A CV completion belongs to the period it falls in (on or after its registration day, before
//!   its close); the latest one counts.

use chrono::{DateTime, NaiveDate, Utc};

use crate::contract::{Fact, MessageKey, Registration};

use super::state::{PersonState, RecordedFact};

impl PersonState {
    /// The last day of the latest closed period, if every known period is closed. Personal data
    /// can expire a retention time after it (see the store's TTL).
    pub fn closed_since(&self) -> Option<NaiveDate> {
        derive(&self.facts).last()?.closes_on
    }
}

/// One unemployment period.
#[derive(Debug, Clone, PartialEq)]
pub struct Period<'a> {
    /// The registration day; identifies the period.
    pub start: NaiveDate,
    /// The registration that gives the period its data: of those for its first day, the latest sent.
    pub registration: &'a Registration,
    /// That registration's message key.
    pub registration_key: &'a MessageKey,
    /// The day the job starts, when a job exit closed the period.
    pub closes_on: Option<NaiveDate>,
    /// The latest CV completion in the period.
    pub cv_completed_on: Option<NaiveDate>,
    /// Job starts in the period whose job exits were withdrawn (R13), in date order.
    pub withdrawn_job_starts: Vec<NaiveDate>,
}

impl Period<'_> {
    /// The a-kasse the period's member belongs to (R14): its registration data's.
    pub fn akasse(&self) -> &str {
        &self.registration.akasse
    }

    /// Whether a message with this key speaks for the period's a-kasse (R14).
    pub fn heard_from(&self, key: &MessageKey) -> bool {
        key.akasse() == Some(self.akasse())
    }

    /// Whether `day` lies in the period: on or after its start, and before its close if closed.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && self.closes_on.is_none_or(|close| day < close)
    }
}

/// A job start reported by a job exit or named by a withdrawal, with who sent it and when.
#[derive(Debug, Clone, Copy)]
struct JobStart<'a> {
    day: NaiveDate,
    akasse: Option<&'a str>,
    time: Option<DateTime<Utc>>,
}

impl<'a> JobStart<'a> {
    fn of(fact: &'a RecordedFact) -> Option<(JobStart<'a>, bool)> {
        let (day, withdrawn) = match &fact.fact {
            Fact::JobExit(j) => (j.job_starts_on, false),
            Fact::JobExitWithdrawn(w) => (w.job_starts_on, true),
            _ => return None,
        };
        Some((JobStart { day, akasse: fact.key.akasse(), time: fact.time }, withdrawn))
    }

    /// R13: whether `withdrawal` voids this job exit: same job start, same a-kasse, and sent no
    /// later than the withdrawal (a time not kept counts as earliest).
    fn voided_by(&self, withdrawal: &JobStart<'_>) -> bool {
        self.day == withdrawal.day && self.akasse == withdrawal.akasse && self.time <= withdrawal.time
    }
}

/// The periods the facts describe, in date order.
pub fn derive(facts: &[RecordedFact]) -> Vec<Period<'_>> {
    let mut registrations: Vec<(&Registration, &RecordedFact)> = facts
        .iter()
        .filter_map(|f| match &f.fact {
            Fact::Registration(r) => Some((r, f)),
            _ => None,
        })
        .collect();
    // Of one day's registrations the latest sent comes first, and gives the period its data (R8):
    // later `time` first, then the greater id (and source), so arrival order never matters.
    registrations.sort_by(|a, b| {
        a.0.registered_on
            .cmp(&b.0.registered_on)
            .then_with(|| b.1.time.cmp(&a.1.time))
            .then_with(|| b.1.key.id.cmp(&a.1.key.id))
            .then_with(|| b.1.key.source.cmp(&a.1.key.source))
    });

    let (mut exits, withdrawals): (Vec<_>, Vec<_>) = facts.iter().filter_map(JobStart::of).partition(|(_, w)| !w);
    // R13: the job exits a withdrawal voids count as never received; their starts are remembered
    // for the period, whose meeting is then scheduled again.
    let mut voided: Vec<(NaiveDate, Option<&str>)> = Vec::new();
    if !withdrawals.is_empty() {
        exits.retain(|(exit, _)| {
            let void = withdrawals.iter().any(|(w, _)| exit.voided_by(w));
            if void {
                voided.push((exit.day, exit.akasse));
            }
            !void
        });
    }
    let mut exits: Vec<(NaiveDate, Option<&str>)> = exits.into_iter().map(|(e, _)| (e.day, e.akasse)).collect();
    exits.sort_unstable();
    exits.dedup();
    let mut used = vec![false; exits.len()];

    let mut periods: Vec<Period<'_>> = Vec::new();
    // Per period: the fact of the registration that gives it its data (R8, R14).
    let mut data_of: Vec<&RecordedFact> = Vec::new();
    let mut first_unpassed = 0;
    // Of one day's registrations only the latest sent counts (R8): the others are older word.
    let mut day_seen = None;
    for (registration, recorded) in registrations {
        let day = registration.registered_on;
        if day_seen.replace(day) == Some(day) {
            continue;
        }
        if let (Some(last), Some(data)) = (periods.last_mut(), data_of.last()) {
            // Same day: one period, even if a job starts that very day (R8). A later day before the
            // close (or in an open period) falls inside it and opens nothing ...
            let inside = last.start == day || last.closes_on.is_none_or(|close| day < close);
            // ... unless it is another a-kasse's, sent later than the period's data (R14): a change
            // of a-kasse. The period then starts again on its day, as that a-kasse's: what the
            // other a-kasse said of the person no longer counts.
            let change = registration.akasse != last.registration.akasse && is_sent_later(recorded, data);
            if inside && !(change && last.start != day) {
                continue;
            }
            if inside {
                release_close(last, &exits, &mut used);
                periods.pop();
                data_of.pop();
            }
        }
        first_unpassed += exits[first_unpassed..].iter().take_while(|(s, _)| *s < day).count();
        let closes_on = close_for(registration, first_unpassed, &exits, &mut used);
        periods.push(Period {
            start: day,
            registration,
            registration_key: &recorded.key,
            closes_on,
            cv_completed_on: None,
            withdrawn_job_starts: Vec::new(),
        });
        data_of.push(recorded);
    }

    voided.sort_unstable();
    voided.dedup();
    for (start, akasse) in voided {
        if let Some(period) = periods.iter_mut().rev().find(|p| p.start <= start)
            && akasse == Some(period.akasse())
        {
            period.withdrawn_job_starts.push(start);
        }
    }

    for fact in facts {
        let Fact::CvCompleted(cv) = &fact.fact else { continue };
        let day = cv.completed_on;
        let Some(period) = periods.iter_mut().rev().find(|p| p.start <= day) else { continue };
        if period.contains(day) && period.heard_from(&fact.key) {
            period.cv_completed_on = period.cv_completed_on.max(Some(day));
        }
    }
    periods
}

/// Whether `a` was sent later than `b`: later CloudEvents `time`, then the greater id, then the
/// greater source, the order [`derive`] sorts one day's registrations in (R8).
fn is_sent_later(a: &RecordedFact, b: &RecordedFact) -> bool {
    (a.time, &a.key.id, &a.key.source) > (b.time, &b.key.id, &b.key.source)
}

/// R7, R14: the day a period of `registration`'s a-kasse closes, the earliest job start of that
/// a-kasse from `from` on that no earlier period used; marks it used.
fn close_for(
    registration: &Registration,
    from: usize,
    exits: &[(NaiveDate, Option<&str>)],
    used: &mut [bool],
) -> Option<NaiveDate> {
    let i = (from..exits.len()).find(|&i| !used[i] && exits[i].1 == Some(registration.akasse.as_str()))?;
    used[i] = true;
    Some(exits[i].0)
}

/// Frees the job start that closed `period`, before its a-kasse changes (R14).
fn release_close(period: &Period<'_>, exits: &[(NaiveDate, Option<&str>)], used: &mut [bool]) {
    let Some(close) = period.closes_on else { return };
    let akasse = Some(period.akasse());
    if let Some(i) = exits.iter().position(|&(day, a)| day == close && a == akasse) {
        used[i] = false;
    }
}

/// R14: the known period a fact other than a registration is about, by its business date: the
/// period a CV completion falls in, or the one a job start (of a job exit or a withdrawal) falls in
/// or closes. `None` for a registration and for a day no known period covers.
pub fn period_about<'p, 'a>(periods: &'p [Period<'a>], fact: &Fact) -> Option<&'p Period<'a>> {
    let day = fact.business_date();
    let period = periods.iter().rev().find(|p| p.start <= day)?;
    let about = match fact {
        Fact::Registration(_) => false,
        Fact::CvCompleted(_) => period.contains(day),
        Fact::JobExit(_) | Fact::JobExitWithdrawn(_) => period.closes_on.is_none_or(|close| day <= close),
    };
    about.then_some(period)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{AkasseParticipation, CvCompleted, ExitReason, JobExit, MessageKey, WeeklyHours};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn recorded(id: &str, fact: Fact) -> RecordedFact {
        RecordedFact {
            key: MessageKey { source: "urn:dk:akasse:067".into(), id: id.into() },
            received_on: d("2026-11-02"),
            fact,
            time: None,
        }
    }

    fn reg(id: &str, day: &str) -> RecordedFact {
        recorded(
            id,
            Fact::Registration(Registration {
                municipality: "851".into(),
                akasse: "067".into(),
                registered_on: d(day),
                prior_hours: 0.0,
                weekly_hours: WeeklyHours::FullTime,
                akasse_participation: AkasseParticipation::Yes,
            }),
        )
    }

    fn exit(id: &str, day: &str) -> RecordedFact {
        recorded(id, Fact::JobExit(JobExit { job_starts_on: d(day), reason: ExitReason::Job }))
    }

    fn cv(id: &str, day: &str) -> RecordedFact {
        recorded(id, Fact::CvCompleted(CvCompleted { completed_on: d(day) }))
    }

    fn summary(facts: &[RecordedFact]) -> Vec<(NaiveDate, Option<NaiveDate>, Option<NaiveDate>)> {
        derive(facts).iter().map(|p| (p.start, p.closes_on, p.cv_completed_on)).collect()
    }

    #[test]
    fn a_registration_inside_an_open_period_opens_nothing() {
        let facts = [reg("a", "2026-11-02"), reg("b", "2026-11-20")];
        assert_eq!(summary(&facts), vec![(d("2026-11-02"), None, None)]);
    }

    #[test]
    fn a_registration_on_or_after_the_job_start_opens_a_new_period() {
        let facts = [reg("a", "2026-11-02"), exit("x", "2026-12-01"), reg("b", "2026-12-01"), reg("c", "2026-11-30")];
        assert_eq!(
            summary(&facts),
            vec![(d("2026-11-02"), Some(d("2026-12-01")), None), (d("2026-12-01"), None, None)]
        );
    }

    #[test]
    fn job_starts_before_a_period_belong_to_an_older_one() {
        let facts = [exit("x", "2026-10-01"), reg("a", "2026-11-02"), exit("y", "2026-11-02")];
        assert_eq!(summary(&facts), vec![(d("2026-11-02"), Some(d("2026-11-02")), None)]);
    }

    #[test]
    fn the_earliest_job_start_closes_and_a_repeat_is_one_fact() {
        let facts = [
            reg("a", "2026-11-02"),
            exit("x", "2026-12-15"),
            exit("y", "2026-12-01"),
            exit("z", "2026-12-01"),
            reg("b", "2026-12-01"),
        ];
        assert_eq!(
            summary(&facts),
            vec![(d("2026-11-02"), Some(d("2026-12-01")), None), (d("2026-12-01"), Some(d("2026-12-15")), None)]
        );
    }

    #[test]
    fn cv_completions_belong_to_their_period_and_the_latest_counts() {
        let facts = [
            reg("a", "2026-11-02"),
            cv("c1", "2026-11-10"),
            cv("c2", "2026-11-12"),
            exit("x", "2026-12-01"),
            cv("c3", "2026-12-02"),
            cv("c0", "2026-10-01"),
        ];
        assert_eq!(summary(&facts), vec![(d("2026-11-02"), Some(d("2026-12-01")), Some(d("2026-11-12")))]);
    }

    #[test]
    fn two_registrations_for_one_day_are_one_period_even_if_a_job_starts_that_day() {
        let facts = [reg("a", "2026-11-02"), reg("b", "2026-11-02"), exit("x", "2026-11-02"), exit("y", "2026-12-01")];
        assert_eq!(summary(&facts), vec![(d("2026-11-02"), Some(d("2026-11-02")), None)]);
    }

    #[test]
    fn of_two_registrations_for_one_day_the_latest_sent_gives_the_data() {
        let sent = |mut f: RecordedFact, time: &str, municipality: &str| {
            f.time = Some(time.parse().unwrap());
            if let Fact::Registration(r) = &mut f.fact {
                r.municipality = municipality.into();
            }
            f
        };
        let early = sent(reg("b", "2026-11-02"), "2026-11-02T08:00:00Z", "840");
        let late = sent(reg("a", "2026-11-02"), "2026-11-02T09:00:00+02:00", "851");
        let winner = |facts: &[RecordedFact]| derive(facts)[0].registration.municipality.clone();
        assert_eq!(winner(&[early.clone(), late.clone()]), "840", "09:00+02:00 is 07:00 UTC, before 08:00 UTC");
        let later = sent(reg("a", "2026-11-02"), "2026-11-02T08:00:01Z", "851");
        assert_eq!(winner(&[early.clone(), later.clone()]), "851");
        assert_eq!(winner(&[later.clone(), early.clone()]), "851");
        // Equal times: the greater id.
        let tie = sent(reg("c", "2026-11-02"), "2026-11-02T08:00:00Z", "787");
        assert_eq!(winner(&[tie.clone(), early.clone()]), "787");
        assert_eq!(winner(&[early, tie]), "787");
    }

    #[test]
    fn a_withdrawal_voids_the_job_exit_it_names_in_either_order() {
        let withdrawn = |id: &str, day: &str| {
            recorded(id, Fact::JobExitWithdrawn(crate::contract::JobExitWithdrawal { job_starts_on: d(day) }))
        };
        let open = vec![(d("2026-11-02"), None, None)];
        let facts = [reg("a", "2026-11-02"), exit("x", "2026-12-01"), withdrawn("w", "2026-12-01")];
        assert_eq!(summary(&facts), open);
        let facts = [reg("a", "2026-11-02"), withdrawn("w", "2026-12-01"), exit("x", "2026-12-01")];
        assert_eq!(summary(&facts), open);
        assert_eq!(derive(&facts)[0].withdrawn_job_starts, vec![d("2026-12-01")]);
        // Another job exit still closes the period; a withdrawal that matches nothing changes nothing.
        let facts = [
            reg("a", "2026-11-02"),
            exit("x", "2026-12-01"),
            withdrawn("w", "2026-12-01"),
            exit("y", "2026-12-15"),
            withdrawn("v", "2026-12-20"),
        ];
        assert_eq!(summary(&facts), vec![(d("2026-11-02"), Some(d("2026-12-15")), None)]);
    }

    #[test]
    fn arrival_order_does_not_change_the_periods() {
        let facts = vec![
            reg("a", "2026-11-02"),
            cv("c1", "2026-11-10"),
            exit("x", "2026-12-01"),
            reg("b", "2027-01-04"),
            reg("b2", "2027-01-05"),
        ];
        let expected = summary(&facts);
        let mut reversed = facts.clone();
        reversed.reverse();
        assert_eq!(summary(&reversed), expected);
    }
}
