//! The inbound messages of the cohort, exactly as a-kasse systems send them: CloudEvents 1.0 JSON
//! bodies for the `registrations`, `cv-completions` and `job-exits` queues (docs/contract.md),
//! including the withdrawals of job exits whose job fell through.
//!
//! The simulation feeds these bodies to the embedded pipeline, which parses them like any SQS
//! message: there is no shortcut past the contract.
//!
//! CPR numbers are synthetic: a birth date from a counter (1960 to 1999) and a serial number that
//! fails the modulus-11 check, which every number issued before 2007 passes. They appear only in
//! the bodies, never in output.

use chrono::{Datelike, Days, NaiveDate};
use samspil::contract::InboundType;

use super::people::{Person, Rates};

/// One message of the cohort. Its `Debug` leaves out the body, which holds a CPR number.
#[derive(Clone, PartialEq)]
pub struct Message {
    /// The person it is about: their index among the cohort's people, in the order they were drawn.
    pub person: u32,
    pub event: InboundType,
    /// The processing day (rule R0): the day the fact became known, plus any delivery delay.
    pub received_on: NaiveDate,
    /// The CloudEvent JSON body.
    pub body: String,
    /// A second delivery of a message sent before (same `source` and `id`).
    pub duplicate: bool,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("person", &self.person)
            .field("event", &self.event)
            .field("received_on", &self.received_on)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("duplicate", &self.duplicate)
            .finish()
    }
}

impl Message {
    /// The queue it arrives on.
    pub fn queue(&self) -> &'static str {
        self.event.queue()
    }
}

/// Appends the messages about person number `index` to `out`. The withdrawal of a job exit draws
/// its delays from `withdrawals`, the generator of jobs that fall through, so it shifts no draw of
/// the other messages.
pub fn of_person(
    rng: &mut fastrand::Rng,
    withdrawals: &mut fastrand::Rng,
    rates: &Rates,
    index: usize,
    person: &Person,
    out: &mut Vec<Message>,
) {
    let cpr = synthetic_cpr(index);
    let mut facts = vec![(InboundType::Registration, person.registered_on, registration(index, &cpr, person))];
    if let Some(day) = person.cv_completed_on {
        facts.push((InboundType::CvCompleted, day, cv_completed(index, &cpr, person.akasse, day)));
    }
    if let (Some(known), Some(start)) = (person.job_known_on, person.job_starts_on) {
        facts.push((InboundType::JobExit, known, job_exit(index, &cpr, person.akasse, known, start)));
    }
    let withdrawal = person.job_withdrawn_on.zip(person.job_starts_on).map(|(on, start)| {
        (InboundType::JobExitWithdrawn, on, job_exit_withdrawn(index, &cpr, person.akasse, on, start))
    });
    for (kind, known_on, body) in facts {
        deliver(rng, rates, index, kind, known_on, body, out);
    }
    if let Some((kind, known_on, body)) = withdrawal {
        deliver(withdrawals, rates, index, kind, known_on, body, out);
    }
}

/// Appends one message, arriving late or twice at the cohort's rates.
fn deliver(
    rng: &mut fastrand::Rng,
    rates: &Rates,
    index: usize,
    event: InboundType,
    known_on: NaiveDate,
    body: String,
    out: &mut Vec<Message>,
) {
    // Draw both delays always, so the sequence of draws does not depend on earlier outcomes.
    let late = rng.f64() < rates.late_message;
    let delay = rng.u64(1..=7);
    let duplicate = rng.f64() < rates.duplicate;
    let again = rng.u64(0..=3);
    let received_on = known_on + Days::new(if late { delay } else { 0 });
    if duplicate {
        let body = body.clone();
        out.push(Message { person: index as u32, event, received_on: received_on + Days::new(again), body, duplicate });
    }
    out.push(Message { person: index as u32, event, received_on, body, duplicate: false });
}

fn source(akasse: &str) -> String {
    format!("urn:dk:akasse:{akasse}")
}

fn envelope(id: &str, akasse: &str, kind: InboundType, on: NaiveDate, data: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"{id}","source":"{source}","type":"{kind}","time":"{on}T08:00:00Z","datacontenttype":"application/json","data":{data}}}"#,
        source = source(akasse),
        kind = kind.event_type(),
    )
}

fn registration(index: usize, cpr: &str, p: &Person) -> String {
    let participation = if p.opted_out { "opted_out" } else { "yes" };
    let data = format!(
        r#"{{"cpr":"{cpr}","municipality":"{m}","akasse":"{a}","registered_on":"{day}","prior_hours":{h},"weekly_hours":{w},"akasse_participation":"{participation}"}}"#,
        m = p.municipality,
        a = p.akasse,
        day = p.registered_on,
        h = p.prior_hours,
        w = p.weekly_hours,
    );
    envelope(&format!("reg-{index}"), p.akasse, InboundType::Registration, p.registered_on, &data)
}

fn cv_completed(index: usize, cpr: &str, akasse: &str, day: NaiveDate) -> String {
    let data = format!(r#"{{"cpr":"{cpr}","completed_on":"{day}"}}"#);
    envelope(&format!("cv-{index}"), akasse, InboundType::CvCompleted, day, &data)
}

fn job_exit(index: usize, cpr: &str, akasse: &str, known: NaiveDate, start: NaiveDate) -> String {
    let data = format!(r#"{{"cpr":"{cpr}","job_starts_on":"{start}","reason":"job"}}"#);
    envelope(&format!("exit-{index}"), akasse, InboundType::JobExit, known, &data)
}

fn job_exit_withdrawn(index: usize, cpr: &str, akasse: &str, on: NaiveDate, start: NaiveDate) -> String {
    let data = format!(r#"{{"cpr":"{cpr}","job_starts_on":"{start}"}}"#);
    envelope(&format!("exit-{index}-withdrawn"), akasse, InboundType::JobExitWithdrawn, on, &data)
}

/// Birth dates the counter runs through: 1960-01-01 and the 14,609 days after it (to 1999).
const BIRTH_DAYS: usize = 14_610;

/// The synthetic CPR number of person `index`: DDMMYY from a counter over birth dates, then the
/// `index / BIRTH_DAYS`-th serial (0000 to 3999, so a 1900s birth) that fails modulus 11.
pub fn synthetic_cpr(index: usize) -> String {
    let birth = NaiveDate::from_ymd_opt(1960, 1, 1).expect("a date") + Days::new((index % BIRTH_DAYS) as u64);
    let ddmmyy = format!("{:02}{:02}{:02}", birth.day(), birth.month(), birth.year() % 100);
    let wanted = index / BIRTH_DAYS;
    let mut digits = [0u8; 10];
    digits[..6].copy_from_slice(ddmmyy.as_bytes());
    let serial = (0..4000u32)
        .filter(|s| {
            for (place, digit) in digits[6..].iter_mut().rev().enumerate() {
                *digit = b'0' + (s / 10u32.pow(place as u32) % 10) as u8;
            }
            !passes_modulus_11(&digits)
        })
        .nth(wanted)
        .expect("at most 58 million synthetic people");
    format!("{ddmmyy}{serial:04}")
}

/// The old CPR check: the digits weighted 4,3,2,7,6,5,4,3,2,1 sum to a multiple of 11.
fn passes_modulus_11(cpr: &[u8]) -> bool {
    const WEIGHTS: [u32; 10] = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
    let sum: u32 = cpr.iter().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    sum.is_multiple_of(11)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_cprs_are_valid_ddmmyy_unique_and_fail_modulus_11() {
        let mut seen = std::collections::HashSet::new();
        for index in (0..40_000).chain([1_000_000, 5_000_000]) {
            let cpr = synthetic_cpr(index);
            assert_eq!(cpr.len(), 10);
            let (day, month) = (cpr[0..2].parse::<u32>().unwrap(), cpr[2..4].parse::<u32>().unwrap());
            assert!((1..=31).contains(&day) && (1..=12).contains(&month));
            assert!(!passes_modulus_11(cpr.as_bytes()));
            assert!(seen.insert(cpr));
        }
    }

    #[test]
    fn bodies_parse_under_the_contract_on_their_queue() {
        let person = Person {
            registered_on: NaiveDate::from_ymd_opt(2027, 1, 4).unwrap(),
            municipality: "840",
            akasse: "067",
            weekly_hours: 30,
            prior_hours: 74,
            opted_out: true,
            cv_completed_on: NaiveDate::from_ymd_opt(2027, 1, 20),
            job_starts_on: NaiveDate::from_ymd_opt(2027, 3, 1),
            job_known_on: NaiveDate::from_ymd_opt(2027, 2, 20),
            job_withdrawn_on: NaiveDate::from_ymd_opt(2027, 2, 25),
        };
        let rates = Rates { duplicate: 1.0, ..Rates::default() };
        let mut out = Vec::new();
        let (mut rng, mut withdrawals) = (fastrand::Rng::with_seed(7), fastrand::Rng::with_seed(8));
        of_person(&mut rng, &mut withdrawals, &rates, 12, &person, &mut out);
        assert_eq!(out.len(), 8);
        assert_eq!(out.iter().filter(|m| m.duplicate).count(), 4);
        for message in &out {
            let parsed = samspil::contract::parse(message.queue(), &message.body).expect("a valid message");
            assert_eq!(parsed.fact.inbound_type(), message.event);
            assert_eq!(parsed.cpr.expose(), synthetic_cpr(12));
        }
    }
}
