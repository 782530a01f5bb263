//! Benchmarks of `decide`, the pure domain function every message goes through.
//!
//! Three cases, each on the state a real person would have at that point:
//!
//! - `registration/empty_state`: the first message of a person schedules the first joint meeting
//!   (rule R5);
//! - `cv_completed/moves_meeting`: a CV conversation that ends too close to the meeting moves it
//!   (rule R6);
//! - `job_exit/cancels_meeting`: a job start within the cancel horizon cancels it (rule R7).
//!
//! Messages are built through the contract parser, as in the pipeline; only `decide` is timed (the
//! state it takes by value is cloned outside the timing).
//! Run with `cargo bench -p samspil --bench decide`.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use samspil::contract::{self, InboundMessage};
use samspil::domain::{Decision, PersonState, decide};
use samspil::identity::PersonKeyer;
use samspil::policy::PolicyBook;

/// Synthetic: never a real person's number.
const CPR: &str = "0101900000";

fn day(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

fn message(queue: &str, kind: &str, id: &str, data: &str) -> InboundMessage {
    let body = format!(
        r#"{{"specversion":"1.0","id":"{id}","source":"urn:dk:akasse:067","type":"dk.akasse.{kind}.v1","time":"2026-11-02T08:00:00Z","data":{data}}}"#
    );
    contract::parse(queue, &body).expect("a valid message")
}

fn registration() -> InboundMessage {
    let data = format!(r#"{{"cpr":"{CPR}","municipality":"851","akasse":"067","registered_on":"2026-11-02"}}"#);
    message("registrations", "registration", "reg-1", &data)
}

fn applied(decision: Decision) -> PersonState {
    match decision {
        Decision::Applied { state, .. } => state,
        Decision::Duplicate(_) => panic!("not a duplicate"),
    }
}

fn bench_decide(c: &mut Criterion) {
    let policies = PolicyBook::repository();
    let keyer = PersonKeyer::new(b"bench-secret").expect("a secret");
    let registration = registration();
    let person = keyer.key(&registration.cpr);
    let empty = PersonState::default();
    let registered =
        applied(decide(empty.clone(), &person, &registration, day("2026-11-02"), &policies).expect("a policy"));

    let today = day("2026-11-02");
    c.bench_function("decide/registration/empty_state", |b| {
        b.iter_batched(
            || empty.clone(),
            |state| decide(black_box(state), &person, black_box(&registration), today, &policies),
            BatchSize::SmallInput,
        )
    });

    // CV done 2026-11-26: preparation ends 12-01, after the meeting on 11-30, so it moves.
    let cv =
        message("cv-completions", "cv-completed", "cv-1", &format!(r#"{{"cpr":"{CPR}","completed_on":"2026-11-26"}}"#));
    let moved = decide(registered.clone(), &person, &cv, day("2026-11-26"), &policies).expect("a policy");
    assert!(matches!(&moved, Decision::Applied { updates, .. } if updates.len() == 1));
    let today = day("2026-11-26");
    c.bench_function("decide/cv_completed/moves_meeting", |b| {
        b.iter_batched(
            || registered.clone(),
            |state| decide(black_box(state), &person, black_box(&cv), today, &policies),
            BatchSize::SmallInput,
        )
    });

    // A job from 2026-12-15, known 11-16: the meeting on 11-30 is cancelled.
    let job = message("job-exits", "job-exit", "exit-1", &format!(r#"{{"cpr":"{CPR}","job_starts_on":"2026-12-15"}}"#));
    let cancelled = decide(registered.clone(), &person, &job, day("2026-11-16"), &policies).expect("a policy");
    assert!(matches!(&cancelled, Decision::Applied { updates, .. } if updates.len() == 1));
    let today = day("2026-11-16");
    c.bench_function("decide/job_exit/cancels_meeting", |b| {
        b.iter_batched(
            || registered.clone(),
            |state| decide(black_box(state), &person, black_box(&job), today, &policies),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, bench_decide);
criterion_main!(benches);
