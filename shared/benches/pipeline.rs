//! Benchmarks of `Pipeline::handle`: the handler's CPU time per message, without I/O.
//!
//! The pipeline runs on the in-memory store and publisher, so what is timed is everything a Lambda
//! function does for one message except the network: parsing and validating the CloudEvent, the
//! keyed hash of the CPR number, loading the state (a clone out of a map), `decide`, the versioned
//! write (the state as it would be serialised for DynamoDB is not built: the memory store keeps the
//! value) and rendering the outbound events. Four cases:
//!
//! - `pipeline/registration/schedules`: a new person's registration schedules the first meeting;
//! - `pipeline/cv_completed/moves_meeting`: a late CV completion moves it (rule R6);
//! - `pipeline/job_exit/cancels_meeting`: a job start cancels it (rule R7);
//! - `pipeline/duplicate/registration`: the registration again, recognised as a duplicate (R10).
//!
//! Each iteration gets a fresh pipeline (built outside the timing) holding the state the case
//! needs. The in-memory adapters never wait, so the future is polled once with a no-op waker: no
//! async runtime in the figures. Run with `cargo bench -p samspil --bench pipeline`.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use chrono::NaiveDate;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use samspil::identity::PersonKeyer;
use samspil::pipeline::memory::{MemoryPublisher, MemorySealer, MemoryStore};
use samspil::pipeline::{Delivery, Outcome, Pipeline, ProcessingTime};
use samspil::policy::PolicyBook;

/// Synthetic: never a real person's number.
const CPR: &str = "0101900000";

type Memory = Pipeline<MemoryStore, MemoryPublisher, MemorySealer>;

/// A case: its name, the pipeline it starts from, and the message (queue, body, processing day).
type Case<'a> = (&'a str, &'a dyn Fn() -> Memory, &'a str, &'a str, &'a str);

/// Runs a future that never waits (the in-memory adapters) to completion.
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the in-memory pipeline waited"),
    }
}

fn time(day: &str) -> ProcessingTime {
    let today: NaiveDate = day.parse().expect("a date");
    ProcessingTime { today, now: today.and_hms_opt(8, 0, 0).expect("a time").and_utc() }
}

fn body(kind: &str, id: &str, data: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"{id}","source":"urn:dk:akasse:067","type":"dk.akasse.{kind}.v1","time":"2026-11-02T08:00:00Z","data":{data}}}"#
    )
}

fn handle(pipeline: &Memory, queue: &str, body: &str, day: &str) -> Outcome {
    ready(pipeline.handle(Delivery { queue, body, sender: None, redelivered: false }, time(day))).expect("processed")
}

fn bench_pipeline(c: &mut Criterion) {
    let policies = PolicyBook::repository();
    let keyer = PersonKeyer::new(b"bench-secret").expect("a secret");
    let fresh = || {
        Pipeline::new(MemoryStore::new(), MemoryPublisher::new(), MemorySealer::new(), policies.clone(), keyer.clone())
    };
    let registration = body(
        "registration",
        "reg-1",
        &format!(r#"{{"cpr":"{CPR}","municipality":"851","akasse":"067","registered_on":"2026-11-02"}}"#),
    );
    let registered = || {
        let pipeline = fresh();
        handle(&pipeline, "registrations", &registration, "2026-11-02");
        pipeline.publisher().take();
        pipeline
    };
    let cv = body("cv-completed", "cv-1", &format!(r#"{{"cpr":"{CPR}","completed_on":"2026-11-26"}}"#));
    let job = body("job-exit", "exit-1", &format!(r#"{{"cpr":"{CPR}","job_starts_on":"2026-12-15"}}"#));

    // Check once that each case does what its name says.
    let changed = |outcome: Outcome| matches!(outcome, Outcome::Applied { updates } if updates.len() == 1);
    assert!(changed(handle(&fresh(), "registrations", &registration, "2026-11-02")));
    assert!(changed(handle(&registered(), "cv-completions", &cv, "2026-11-26")));
    assert!(changed(handle(&registered(), "job-exits", &job, "2026-11-16")));
    let again = handle(&registered(), "registrations", &registration, "2026-11-02");
    assert_eq!(again, Outcome::Duplicate { republished: 0 });

    let cases: [Case; 4] = [
        ("pipeline/registration/schedules", &fresh, "registrations", &registration, "2026-11-02"),
        ("pipeline/cv_completed/moves_meeting", &registered, "cv-completions", &cv, "2026-11-26"),
        ("pipeline/job_exit/cancels_meeting", &registered, "job-exits", &job, "2026-11-16"),
        ("pipeline/duplicate/registration", &registered, "registrations", &registration, "2026-11-02"),
    ];
    for (name, setup, queue, body, day) in cases {
        let time = time(day);
        c.bench_function(name, |b| {
            b.iter_batched_ref(
                setup,
                |pipeline| {
                    let delivery = Delivery { queue, body: black_box(body), sender: None, redelivered: false };
                    ready(pipeline.handle(delivery, time))
                },
                BatchSize::SmallInput,
            )
        });
    }
}

criterion_group!(benches, bench_pipeline);
criterion_main!(benches);
