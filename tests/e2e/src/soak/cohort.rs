//! The soak's messages: synthetic people with random lives, a few bad messages, shuffled, with a
//! share sent twice.

use chrono::{Days, NaiveDate};

use crate::people::{Msg, Person, day};

/// The municipalities people register in (policies from the repository's file).
const MUNICIPALITIES: [&str; 5] = ["851", "860", "813", "840", "787"];

/// A bad message and the `error_code` its dead letter must carry.
#[derive(Debug, Clone)]
pub struct BadMessage {
    pub message: Msg,
    pub code: &'static str,
}

/// Everything the soak sends.
#[derive(Debug, Default)]
pub struct Cohort {
    pub people: Vec<Person>,
    /// Every valid message once, per person in the order of their business dates (the reference).
    pub valid: Vec<(usize, Msg)>,
    pub bad: Vec<BadMessage>,
    /// What goes to the queues: valid and bad messages, shuffled, a share of them twice.
    pub sent: Vec<Msg>,
}

impl Cohort {
    /// `messages` messages to send (a few more when a life does not end on the count): the
    /// distinct ones, about one in forty people with a bad one, and `duplicate_share` of them sent
    /// twice.
    pub fn generate(messages: usize, duplicate_share: f64) -> Cohort {
        let mut cohort = Cohort::default();
        let distinct = (messages as f64 / (1.0 + duplicate_share)).ceil() as usize;
        while cohort.valid.len() + cohort.bad.len() < distinct {
            let person = Person::new();
            let index = cohort.people.len();
            cohort.valid.extend(life(&person).into_iter().map(|m| (index, m)));
            if fastrand::u32(0..40) == 0 {
                cohort.bad.push(bad(&person));
            }
            cohort.people.push(person);
        }
        let mut sent: Vec<Msg> =
            cohort.valid.iter().map(|(_, m)| m.clone()).chain(cohort.bad.iter().map(|b| b.message.clone())).collect();
        let mut twice = sent.clone();
        fastrand::shuffle(&mut twice);
        twice.truncate(messages.saturating_sub(sent.len()));
        sent.extend(twice);
        fastrand::shuffle(&mut sent);
        cohort.sent = sent;
        cohort
    }
}

fn date(days_from_today: i64) -> String {
    let today: NaiveDate = day();
    let d = if days_from_today >= 0 {
        today.checked_add_days(Days::new(days_from_today as u64))
    } else {
        today.checked_sub_days(Days::new(days_from_today.unsigned_abs()))
    };
    d.expect("a date").to_string()
}

/// One person's messages in the order of their business dates: a registration in the last two
/// weeks (sometimes sent again with another id, sometimes corrected an hour later to another
/// municipality: rule R8 moves the meeting there and cancels it at the old jobcenter), often a CV
/// completion, often a job exit, and sometimes a new registration after the job.
fn life(person: &Person) -> Vec<Msg> {
    let municipality = MUNICIPALITIES[fastrand::usize(..MUNICIPALITIES.len())];
    let registered = -fastrand::i64(0..=14);
    let mut dated = vec![(registered, person.registration(municipality, &date(registered)))];
    if fastrand::u32(0..10) == 0 {
        dated.push((registered, person.registration(municipality, &date(registered))));
    }
    if fastrand::u32(0..8) == 0 {
        let other = MUNICIPALITIES.iter().copied().find(|m| *m != municipality).expect("another municipality");
        let correction = person.registration(other, &date(registered)).at(&format!("{}T09:00:00+01:00", day()));
        dated.push((registered, correction));
    }
    if fastrand::u32(0..10) < 6 {
        let completed = registered + fastrand::i64(0..35);
        dated.push((completed, person.cv_completed(&date(completed))));
    }
    if fastrand::u32(0..10) < 5 {
        let starts = registered + fastrand::i64(3..90);
        dated.push((starts, person.job_exit(&date(starts))));
        if fastrand::u32(0..5) == 0 {
            let again = starts + fastrand::i64(0..20);
            dated.push((again, person.registration(municipality, &date(again))));
        }
    }
    dated.sort_by_key(|(day, _)| *day);
    dated.into_iter().map(|(_, m)| m).collect()
}

fn bad(person: &Person) -> BadMessage {
    if fastrand::bool() {
        BadMessage { message: person.registration("860", "2026-02-30"), code: "impossible_date" }
    } else {
        BadMessage { message: person.cv_completed(&date(1)).to_queue("registrations"), code: "wrong_queue" }
    }
}
