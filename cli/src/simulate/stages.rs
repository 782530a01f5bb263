//! `samspil simulate --stages`: where the embedded pipeline's time goes, step by step.
//!
//! Runs the cohort's messages through the same public steps `Pipeline::handle` takes, in its
//! order, and times each one: parse and validate the CloudEvent, derive the person key (HMAC),
//! load the state from the in-memory store, `decide`, save it back, render the outbound events,
//! publish them. For comparison it also times an empty tokio `Runtime::block_on`, which the feed
//! avoids (see [`super::feed`]).
//! This is a profiling aid for the owners of those steps; the simulation's numbers never come from
//! here, they come from the real [`samspil::pipeline::Pipeline`] in [`super::feed`].

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use samspil::contract::{self, OutboundEvent};
use samspil::domain::{self, Decision};
use samspil::identity::PersonKeyer;
use samspil::pipeline::memory::{MemoryPublisher, MemoryStore};
use samspil::pipeline::{Publisher, Store};

use super::cohort::Cohort;
use super::policies::PolicyRun;
use crate::replay::EMBEDDED_SECRET;

const STAGES: [&str; 7] = ["parse", "person key", "store load", "decide", "store save", "render events", "publish"];

/// Time per stage over all messages of `cohort`, as a printable table.
pub fn profile(cohort: &Cohort, run: &PolicyRun) -> Result<String, Box<dyn std::error::Error>> {
    let keyer = PersonKeyer::new(EMBEDDED_SECRET)?;
    let (store, publisher) = (MemoryStore::new(), MemoryPublisher::new());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
    let mut spent = [Duration::ZERO; STAGES.len() + 1];
    let block_on = STAGES.len();
    let mut clock = Instant::now();
    let mut lap = |stage: usize| {
        let now = Instant::now();
        spent[stage] += now - clock;
        clock = now;
    };
    let mut updates = 0usize;
    for (index, message) in cohort.messages.iter().enumerate() {
        lap(block_on);
        runtime.block_on(async {});
        lap(block_on);
        let parsed = contract::parse(message.queue(), &message.body)?;
        lap(0);
        let person = keyer.key(&parsed.cpr);
        lap(1);
        let stored = ready(store.load(&person))?;
        lap(2);
        let (state, version) = stored.map_or_else(|| (Default::default(), None), |s| (s.state, Some(s.version)));
        let decision = domain::decide(state, &person, &parsed, message.received_on, &run.book)?;
        lap(3);
        let Decision::Applied { state: next, updates: new } = decision else { continue };
        ready(store.save(&person, &next, version))?;
        lap(4);
        let now = message.received_on.and_hms_opt(8, 0, 0).expect("08:00 exists").and_utc();
        let events: Vec<OutboundEvent> = new.iter().map(|u| OutboundEvent::new(u, now)).collect();
        lap(5);
        ready(publisher.publish(events))?;
        if index % 4096 == 0 {
            updates += publisher.clear();
        }
        lap(6);
    }
    updates += publisher.clear();
    let total: Duration = spent[..STAGES.len()].iter().sum();
    let n = cohort.messages.len().max(1) as f64;
    let mut out = format!("stages ({}): {} messages, {updates} updates\n", run.name, cohort.messages.len());
    for (stage, time) in STAGES.iter().zip(spent) {
        out.push_str(&format!(
            "  {stage:<14} {:>8.0} ns/message  {:>5.1} %\n",
            time.as_nanos() as f64 / n,
            100.0 * time.as_secs_f64() / total.as_secs_f64().max(1e-12)
        ));
    }
    out.push_str(&format!(
        "  {:<14} {:>8.0} ns/message = {:.0} messages/s\n",
        "total",
        total.as_nanos() as f64 / n,
        n / total.as_secs_f64()
    ));
    let empty = spent[block_on].as_nanos() as f64 / n;
    out.push_str(&format!("  (an empty tokio block_on, avoided by the feed: {empty:.0} ns/message)\n"));
    Ok(out)
}

/// The output of a future that is ready at once, as the in-memory adapters' always are.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}
