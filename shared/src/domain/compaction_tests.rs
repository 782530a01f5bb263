//! Folding old periods: a seasonal worker's twenty years stay small, and what was folded is inert.

use chrono::{Datelike, Days, NaiveDate};

use crate::aws::dynamo::{DynamoStore, item_size};
use crate::contract::{Fact, JobExitWithdrawal};

use super::compaction::FOLD_AFTER_DAYS;
use super::tests::{Person, cv, d, job, registration};

/// Two periods a year for `years` years, from 2027: registered 1 March and 1 September, CV
/// conversation two weeks later, a job from 1 June and 1 December. Each message is processed the
/// day it is dated (its business date). Returns every message sent, with its processing day.
fn seasonal(p: &mut Person, years: i32) -> Vec<(String, Fact, NaiveDate)> {
    let mut sent = Vec::new();
    for year in 2027..2027 + years {
        for (reg, job_day) in [((3, 1), (6, 1)), ((9, 1), (12, 1))] {
            let on = |(m, day): (u32, u32)| NaiveDate::from_ymd_opt(year, m, day).unwrap();
            let registered = on(reg);
            let messages = [
                (format!("reg-{year}-{}", reg.0), Fact::Registration(registration("851", &registered.to_string()))),
                (format!("cv-{year}-{}", reg.0), cv(&(registered + Days::new(14)).to_string())),
                (format!("job-{year}-{}", reg.0), job(&on(job_day).to_string())),
            ];
            for (id, fact) in messages {
                let today = fact.business_date().max(registered);
                assert!(p.send(&id, fact.clone(), &today.to_string()).is_some(), "{id} is new");
                sent.push((id, fact, today));
            }
        }
    }
    sent
}

fn dynamo_item_size(p: &Person) -> usize {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("eu-north-1"))
        .build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), "people", 400);
    item_size(&store.item(&p.key, &p.state, 80))
}

#[test]
fn twenty_years_of_two_seasons_stay_under_1_kb() {
    // For scale: one year, two periods, nothing folded yet.
    let mut one_year = Person::new();
    seasonal(&mut one_year, 1);
    println!(
        "seasonal worker, one year (2 periods, nothing folded): item {} B, its state as JSON {} B",
        dynamo_item_size(&one_year),
        serde_json::to_string(&one_year.state).unwrap().len()
    );
    assert!(one_year.state.folded_until.is_none());

    let mut p = Person::new();
    let sent = seasonal(&mut p, 20);
    let json = serde_json::to_string(&p.state).unwrap().len();
    let item = dynamo_item_size(&p);
    println!(
        "seasonal worker, 40 periods: {} facts and {} meetings kept, folded until {:?}; \
         item {item} B (compact state {} B, its JSON {json} B)",
        p.state.facts.len(),
        p.state.meetings.len(),
        p.state.folded_until,
        crate::codec::encode(&p.key, &p.state).len(),
    );
    assert!(item <= 1024, "the item stays under 1 KB: {item} B");
    // Only the periods of the last FOLD_AFTER_DAYS (and the latest) are kept.
    assert!(p.state.meetings.len() <= 4, "{} meetings kept", p.state.meetings.len());
    let last_job = sent.last().unwrap().2;
    let horizon = p.state.folded_until.expect("something was folded");
    assert!(horizon <= last_job - Days::new(FOLD_AFTER_DAYS) && horizon.year() >= 2045);
}

#[test]
fn folding_changes_no_later_update() {
    // The same last two years, with and without the eighteen before them.
    let mut long = Person::new();
    seasonal(&mut long, 20);
    let mut short = Person::new();
    let mut replayed = Vec::new();
    for (id, fact, today) in seasonal(&mut Person::new(), 20) {
        if fact.business_date().year() >= 2045 {
            replayed.push((id, fact, today));
        }
    }
    for (id, fact, today) in &replayed {
        short.send(id, fact.clone(), &today.to_string());
    }
    let kept =
        |p: &Person| -> Vec<_> { p.state.meetings.iter().filter(|m| m.period_start.year() >= 2046).cloned().collect() };
    assert_eq!(kept(&long), kept(&short), "the recent meetings are the same");
}

#[test]
fn messages_about_folded_periods_are_inert() {
    let mut p = Person::new();
    let sent = seasonal(&mut p, 20);
    let before = p.state.clone();
    let today = "2046-12-15";
    // A replay of every message of the first ten years (R10 without their keys).
    for (id, fact, _) in sent.iter().filter(|(_, f, _)| f.business_date().year() < 2037) {
        assert_eq!(p.send(id, fact.clone(), today), None, "{id} replayed is inert");
    }
    // A withdrawal of a job that started years ago, a late registration and a late job exit.
    let old = Fact::JobExitWithdrawn(JobExitWithdrawal { job_starts_on: d("2030-06-01") });
    assert_eq!(p.send("w-old", old, today), None);
    assert_eq!(p.send("reg-late", Fact::Registration(registration("851", "2031-03-05")), today), None);
    assert_eq!(p.send("job-late", job("2031-04-01"), today), None);
    assert_eq!(p.state, before, "nothing changed");
}

/// R10: forgetting never changes what a message about a kept period does. A period that closed on
/// its own registration day (registered Monday 2024-01-08, a job from that very day) is not
/// folded as the end of the stretch: folding at its job start would keep its registration (dated
/// on the horizon) and drop its job exit, opening it again to swallow the person's next period.
#[test]
fn a_period_closed_on_its_own_registration_day_is_not_opened_again_by_folding() {
    let mut p = Person::new();
    p.send("r1", Fact::Registration(registration("851", "2024-01-08")), "2024-01-08");
    p.send("x1", job("2024-01-08"), "2024-01-08");
    // 420 days later, Monday 2025-03-03: a new period, its meeting on Monday 2025-03-31 (week 5).
    let u = p.send("r2", Fact::Registration(registration("851", "2025-03-03")), "2025-03-03").unwrap();
    let new_meeting = u.iter().find(|u| u.date == d("2025-03-31")).expect("the new period's meeting");
    assert_eq!((new_meeting.deadline, new_meeting.sequence), (d("2025-04-13"), 1));
    // A CV completion on Thursday 2025-03-20 leaves the meeting where it is (20 Mar + 3 business
    // days is 25 Mar, before 31 Mar): nothing is published, nothing superseded.
    let u = p.send("c2", cv("2025-03-20"), "2025-03-20").unwrap();
    assert!(u.is_empty(), "nothing changes: {u:?}");
    let planned: Vec<_> =
        p.state.meetings.iter().filter(|m| m.status == super::MeetingStatus::Planned).map(|m| m.date).collect();
    assert_eq!(planned, vec![d("2025-03-31")]);
    // Another year on, with a third period closed, the stretch can end at the second period's job.
    p.send("x2", job("2025-06-02"), "2025-05-01");
    p.send("r3", Fact::Registration(registration("851", "2026-09-07")), "2026-09-07");
    assert_eq!(p.state.folded_until, Some(d("2025-06-02")), "both old periods folded");
    assert!(p.send("c1-late", cv("2024-01-08"), "2026-09-08").is_none(), "a fact of the folded stretch is inert");
}

/// R10: a period is forgotten only when it closed *more than* 400 days before both the processing
/// day and the person's latest registration. Registered 2026-01-05, a job from 2026-02-02 closes
/// the period; the person registers again exactly 400 days later (2027-03-09), or 401 days later.
#[test]
fn a_period_is_folded_only_more_than_400_days_after_it_closed() {
    let close = d("2026-02-02");
    let fold_with_return_after = |days: u64| {
        let mut p = Person::new();
        p.send("r1", Fact::Registration(registration("851", "2026-01-05")), "2026-01-05").unwrap();
        p.send("x1", job("2026-02-02"), "2026-01-20").unwrap();
        let back = close + Days::new(days);
        p.send("r2", Fact::Registration(registration("851", &back.to_string())), &back.to_string()).unwrap();
        // A CV completion processed 401 days after the close: only the latest registration differs.
        let today = close + Days::new(FOLD_AFTER_DAYS + 1);
        p.send("c2", cv(&today.to_string()), &today.to_string()).unwrap();
        p.state.folded_until
    };
    assert_eq!(fold_with_return_after(FOLD_AFTER_DAYS), None, "exactly 400 days: kept");
    assert_eq!(fold_with_return_after(FOLD_AFTER_DAYS + 1), Some(close), "401 days: folded");
}
