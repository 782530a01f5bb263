//! The synthetic cohort: people who register as unemployed across a year, what happens to them
//! (the ground truth), and the inbound messages their a-kasser send about it.
//!
//! Everything is drawn from one seeded generator in a fixed order, so a seed always gives the same
//! cohort, message for message. For each person, in this order:
//!
//! - the registration day (uniform over 365 days from `start`), municipality, a-kasse, weekly
//!   hours (15 % part-time insured, 30 h), prior hours (25 % have 10 to 250 h from earlier
//!   periods) and participation (10 % opt out of the a-kasse's part in the joint meeting);
//! - the job start, from the [`SurvivalCurve`]; people in the curve's final share never leave;
//! - the CV conversation (CV-samtale): 85 % finish 1 to 3 weeks after registering, 15 % after 4 to
//!   6 weeks. Somebody whose job starts first never has one;
//! - when the job becomes known: 0 to 14 days before it starts, never before registering;
//! - whether the job falls through before it starts (3 % of job exits): the a-kasse withdraws the
//!   job exit 0 to 10 days after sending it, at the latest the day before the job would have
//!   started (rule R13), and the person stays unemployed (no second job exit; the survival
//!   figures are of the job exits drawn, before any falls through). These draws come from a second generator
//!   seeded from the same seed, so they leave every other draw, and the rest of the cohort, as it
//!   was before jobs could fall through.
//!
//! Then the messages ([`super::messages`]): each sent on the day its fact becomes known, 10 %
//! arriving 1 to 7 days late, 3 % sent twice (the same `id` again 0 to 3 days later). They are
//! processed in order of arrival, shuffled within a day, so a job exit can come before the CV
//! completion or even before the registration, as in production.

use chrono::{Days, NaiveDate};

use super::messages::{self, Message};
use super::people::{Person, Rates};
use super::survival::SurvivalCurve;

/// The municipalities people register in (North Jutland, as in `infra/policies.toml`). Which
/// policy they get is decided by the run, not by the code.
const MUNICIPALITIES: [&str; 5] = ["851", "840", "787", "860", "813"];
/// Three-digit a-kasse numbers.
const AKASSER: [&str; 4] = ["067", "010", "022", "031"];

/// How large the cohort is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// This many people.
    People(usize),
    /// People are added until the messages reach this many.
    Messages(usize),
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortSpec {
    pub size: Size,
    pub seed: u64,
    /// The first registration day.
    pub start: NaiveDate,
    pub survival: SurvivalCurve,
    pub rates: Rates,
}

/// The cohort: its people and their messages in processing order.
#[derive(Debug, Clone)]
pub struct Cohort {
    pub people: Vec<Person>,
    /// Sorted by `received_on`, shuffled within a day.
    pub messages: Vec<Message>,
}

impl Cohort {
    pub fn generate(spec: &CohortSpec) -> Cohort {
        let mut rng = fastrand::Rng::with_seed(spec.seed);
        // Jobs that fall through draw from their own generator, so they shift no other draw.
        let mut withdrawals = fastrand::Rng::with_seed(spec.seed ^ WITHDRAWAL_STREAM);
        let mut people = Vec::new();
        let mut messages = Vec::new();
        loop {
            match spec.size {
                Size::People(n) if people.len() >= n => break,
                Size::Messages(n) if messages.len() >= n => break,
                _ => {}
            }
            let index = people.len();
            let mut person = draw_person(&mut rng, spec);
            draw_withdrawal(&mut withdrawals, spec, &mut person);
            messages::of_person(&mut rng, &mut withdrawals, &spec.rates, index, &person, &mut messages);
            people.push(person);
        }
        // A seeded shuffle within each processing day: random keys, then a stable sort by day.
        let mut keyed: Vec<(NaiveDate, u64, Message)> =
            messages.into_iter().map(|m| (m.received_on, rng.u64(..), m)).collect();
        keyed.sort_by_key(|(day, key, _)| (*day, *key));
        // Copy the bodies in processing order, so they lie in memory in the order they are read,
        // as freshly received messages do, rather than scattered in the order they were drawn.
        let messages = keyed
            .iter()
            .map(|(_, _, m)| Message {
                person: m.person,
                event: m.event,
                received_on: m.received_on,
                body: m.body.clone(),
                duplicate: m.duplicate,
            })
            .collect();
        Cohort { people, messages }
    }

    /// The same cohort with every message delivered once: the first delivery of each is kept, so
    /// the other messages keep their order.
    #[cfg(test)]
    pub fn without_duplicates(&self) -> Cohort {
        let mut seen = std::collections::HashSet::new();
        let messages = self.messages.iter().filter(|m| seen.insert((m.person, m.event))).cloned().collect();
        Cohort { people: self.people.clone(), messages }
    }

    /// Job exits withdrawn because the job fell through.
    pub fn withdrawals(&self) -> usize {
        self.people.iter().filter(|p| p.job_withdrawn_on.is_some()).count()
    }

    /// Messages sent a second time.
    pub fn duplicates(&self) -> usize {
        self.messages.iter().filter(|m| m.duplicate).count()
    }

    /// The share of people with no job exit for a job started `days` after registering: the survival
    /// curve the job exits are drawn from (before any falls through).
    pub fn empirical_survival(&self, days: u64) -> f64 {
        let still = self
            .people
            .iter()
            .filter(|p| p.job_starts_on.is_none_or(|start| start > p.registered_on + Days::new(days)))
            .count();
        still as f64 / self.people.len().max(1) as f64
    }
}

fn draw_person(rng: &mut fastrand::Rng, spec: &CohortSpec) -> Person {
    let rates = &spec.rates;
    let registered_on = spec.start + Days::new(rng.u64(0..365));
    let municipality = MUNICIPALITIES[rng.usize(..MUNICIPALITIES.len())];
    let akasse = AKASSER[rng.usize(..AKASSER.len())];
    let weekly_hours = if rng.f64() < rates.part_time { 30 } else { 37 };
    let prior_hours = if rng.f64() < rates.with_prior_hours { rng.u32(10..=250) } else { 0 };
    let opted_out = rng.f64() < rates.opted_out;

    // Always draw every value, used or not, so one person's draws never shift the next person's.
    let exit = spec.survival.exit_week(rng.f64());
    let cv_delay = if rng.f64() < rates.late_cv { rng.u64(28..=42) } else { rng.u64(7..=21) };
    let job_lead = rng.u64(0..=14);

    // A job starts at least one day after registering: whoever starts the same day never registers.
    let job_starts_on = exit.map(|week| registered_on + Days::new(((week * 7.0).ceil() as u64).max(1)));
    let cv_day = registered_on + Days::new(cv_delay);
    let cv_completed_on = Some(cv_day).filter(|day| job_starts_on.is_none_or(|start| *day < start));
    let job_known_on = job_starts_on.map(|start| (start - Days::new(job_lead)).max(registered_on));
    Person {
        registered_on,
        municipality,
        akasse,
        weekly_hours,
        prior_hours,
        opted_out,
        cv_completed_on,
        job_starts_on,
        job_known_on,
        job_withdrawn_on: None,
    }
}

/// Mixed into the seed of the generator for jobs that fall through.
const WITHDRAWAL_STREAM: u64 = 0x5a35_91f4_77e2_0d13;

/// Whether the person's job falls through, and when the a-kasse withdraws the job exit: 0 to 10
/// days after sending it, at the latest the day before the job would have started. Somebody whose
/// job falls through stays unemployed and sends no second job exit; the rest of their draws stay
/// as they were (a CV conversation the job would have prevented does not happen).
fn draw_withdrawal(rng: &mut fastrand::Rng, spec: &CohortSpec, person: &mut Person) {
    // Always draw every value, as in `draw_person`.
    let falls_through = rng.f64() < spec.rates.withdrawn;
    let delay = rng.u64(0..=10);
    let (Some(known), Some(start), true) = (person.job_known_on, person.job_starts_on, falls_through) else {
        return;
    };
    let withdrawn_on = (known + Days::new(delay)).min(start.pred_opt().expect("a day before")).max(known);
    person.job_withdrawn_on = Some(withdrawn_on);
}
