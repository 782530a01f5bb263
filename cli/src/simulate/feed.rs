//! Feeding a cohort's messages through the embedded pipeline: the same `Pipeline::handle` as
//! `samspil replay` and the Lambda functions, on the in-memory store and publisher.
//!
//! Each message is handled on its `received_on` day (rule R0), in the cohort's order. The sweep of
//! rule R12 runs every simulated day, after that day's messages, from the first message's day on,
//! and then on until no plan awaits its summons (a policy without `summon_days` leaves nothing to
//! it, and its sweeps find nobody: the store's index of due days is empty). Only this loop is
//! timed: the cohort is generated before and the outcomes are analysed after, so the
//! messages-per-second figure is the pipeline's own (sweeps included).
//!
//! The in-memory adapters never wait, so each message's future is polled once, inside the tokio
//! runtime's context, and is ready. A full `Runtime::block_on` per message costs about 250 ns (as
//! much as deriving the person key); it is used only if a future is not ready at once, which would
//! take a lost race and its backoff, impossible when one thread feeds the messages in turn.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use indicatif::ProgressBar;
use samspil::contract::{BadInput, InboundType, MeetingUpdate};
use samspil::domain::SweepRun;
use samspil::identity::PersonKeyer;
use samspil::pipeline::memory::{MemoryPublisher, MemorySealer, MemoryStore};
use samspil::pipeline::{Delivery, Failure, Outcome, Pipeline, ProcessingTime};

use super::cohort::Cohort;
use super::policies::PolicyRun;
use crate::replay::EMBEDDED_SECRET;

/// How often the progress bar moves and the publisher is emptied, in messages.
const CHUNK: usize = 4096;

/// What one run of the pipeline gave back, message by message.
#[derive(Debug)]
pub struct Fed {
    /// The outcome of `cohort.messages[i]`, in the same order.
    pub outcomes: Vec<Result<Outcome, BadInput>>,
    /// The summonses the daily sweeps published (rule R12), in order.
    pub summonses: Vec<Summons>,
    /// Events the publisher received (one per meeting update), summonses included.
    pub published: u64,
    /// Time spent in the pipeline.
    pub elapsed: Duration,
    /// Of that, time this thread was on a CPU (Linux only): other processes on the same cores
    /// slow the wall clock down, not this.
    pub on_cpu: Option<Duration>,
}

/// One summons a sweep published.
#[derive(Debug)]
pub struct Summons {
    /// How many of the cohort's messages had been handled before the sweep.
    pub after: usize,
    /// The sweep's day.
    pub day: NaiveDate,
    pub update: MeetingUpdate,
}

type Embedded = Pipeline<MemoryStore, MemoryPublisher, MemorySealer>;

impl Fed {
    pub fn messages_per_second(&self) -> f64 {
        self.outcomes.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs every message of `cohort` through a fresh pipeline with `run`'s policy book.
pub fn feed(cohort: &Cohort, run: &PolicyRun, progress: &ProgressBar) -> Result<Fed, Box<dyn std::error::Error>> {
    let pipeline = Pipeline::new(
        MemoryStore::new(),
        MemoryPublisher::new(),
        MemorySealer::new(),
        run.book.clone(),
        PersonKeyer::new(EMBEDDED_SECRET)?,
    );
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
    let mut outcomes = Vec::with_capacity(cohort.messages.len());
    let mut published = 0u64;
    // At most one summons a registration: sized once, so the list never moves while it grows.
    let registrations = cohort.messages.iter().filter(|m| m.event == InboundType::Registration).count();
    let mut sweeps = Sweeps { next: None, summonses: Vec::with_capacity(registrations) };

    let _context = runtime.enter();
    let (started, cpu_started) = (Instant::now(), thread_cpu_time());
    for chunk in cohort.messages.chunks(CHUNK) {
        for message in chunk {
            let next = *sweeps.next.get_or_insert(message.received_on);
            if next < message.received_on {
                published += sweeps.run(&pipeline, &runtime, next, message.received_on, outcomes.len())?;
            }
            let delivery = Delivery { queue: message.queue(), body: &message.body, sender: None, redelivered: false };
            let now = message.received_on.and_hms_opt(8, 0, 0).expect("08:00 exists").and_utc();
            let time = ProcessingTime { today: message.received_on, now };
            let outcome = match run_to_completion(&runtime, pipeline.handle(delivery, time)) {
                Ok(outcome) => Ok(outcome),
                Err(Failure::Permanent(bad)) => Err(bad),
                Err(Failure::Transient(reason)) => return Err(format!("the embedded pipeline failed: {reason}").into()),
            };
            outcomes.push(outcome);
        }
        published += pipeline.publisher().clear() as u64;
        progress.inc(chunk.len() as u64);
    }
    // The last day's sweep, then the days on which plans still await their summons.
    if let Some(next) = sweeps.next {
        published += sweeps.run(&pipeline, &runtime, next, next + Days::new(1), outcomes.len())?;
    }
    // A plan is summoned at the latest on its summons day, well within a year of the last message.
    let horizon = sweeps.next.map(|next| next + Days::new(366));
    while let Some(due) = pipeline.store().next_sweep_due() {
        let day = due.max(sweeps.next.unwrap_or(due));
        if horizon.is_some_and(|horizon| day > horizon) {
            return Err(format!("plans still await their summons a year after the last message ({day})").into());
        }
        published += sweeps.run(&pipeline, &runtime, day, day + Days::new(1), outcomes.len())?;
    }
    let elapsed = started.elapsed();
    let on_cpu = thread_cpu_time().zip(cpu_started).map(|(end, start)| end.saturating_sub(start));
    Ok(Fed { outcomes, summonses: sweeps.summonses, published, elapsed, on_cpu })
}

/// The daily sweeps of a run.
struct Sweeps {
    /// The first day not yet swept.
    next: Option<NaiveDate>,
    summonses: Vec<Summons>,
}

impl Sweeps {
    /// Sweeps the days from `from` up to, not including, `until`, after `after` messages; returns
    /// how many events were published, those of the messages before included.
    fn run(
        &mut self,
        pipeline: &Embedded,
        runtime: &tokio::runtime::Runtime,
        from: NaiveDate,
        until: NaiveDate,
        after: usize,
    ) -> Result<u64, Box<dyn std::error::Error>> {
        let mut published = pipeline.publisher().clear() as u64;
        let mut day = from;
        while day < until {
            let now = day.and_hms_opt(20, 0, 0).expect("20:00 exists").and_utc();
            let time = ProcessingTime { today: day, now };
            let run = SweepRun::start(now);
            run_to_completion(runtime, pipeline.sweep(time, &run)).map_err(|e| format!("the sweep of {day}: {e}"))?;
            for event in pipeline.publisher().take() {
                published += 1;
                let update = event.to_update().ok_or("a summons does not read back as an update")?;
                self.summonses.push(Summons { after, day, update });
            }
            day = day + Days::new(1);
        }
        self.next = Some(until);
        Ok(published)
    }
}

/// The CPU time of the calling thread so far, from `/proc/thread-self/schedstat` (nanoseconds on a
/// CPU, then time waiting, then time slices); `None` where there is no such file.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = stat.split_whitespace().next()?.parse().ok()?;
    (nanos > 0).then(|| Duration::from_nanos(nanos))
}

/// Polls `future` once (the caller has entered `runtime`'s context); if it is not ready, blocks on it.
fn run_to_completion<F: Future>(runtime: &tokio::runtime::Runtime, future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => runtime.block_on(future),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_future_that_is_not_ready_at_once_is_blocked_on() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let _context = runtime.enter();
        assert_eq!(run_to_completion(&runtime, async { 1 }), 1);
        let slept = async {
            tokio::time::sleep(Duration::from_millis(2)).await;
            2
        };
        assert_eq!(run_to_completion(&runtime, slept), 2);
    }
}
