//! The soak: many messages through several `samspil local` runners while calls fail and runners
//! die, then a check that nothing was lost or changed.
//!
//! 1. [`cohort`]: synthetic people and their messages, a few bad ones, shuffled, a share twice.
//! 2. A test subscriber queue on the topic collects every update.
//! 3. [`runners`]: `samspil local` processes on the stack, all through the fault proxy
//!    ([`crate::proxy`]), one killed with SIGKILL every few seconds and restarted, while the
//!    messages go to the stack's queues (directly, without faults) and until the queues are empty
//!    (or a time limit).
//! 4. Faults off, no more kills: the runners drain the queues until they have been idle a while.
//! 5. [`check`]: every message changed state, was a duplicate, or lies in its dead-letter queue
//!    with its code; every meeting's last update equals that of the same messages replayed once
//!    each on the embedded pipeline on the same processing day; no `(meeting, sequence)` was
//!    published with two different contents.
//!
//! `make soak` runs it at full size (`soak` binary); `make test` runs a smaller one
//! (`tests/soak.rs`).

pub mod check;
pub mod cohort;
pub mod runners;

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use crate::proxy::{Fault, FaultCounts, FaultProxy, FaultRates};
use crate::stack::{Env, root, setup};
use crate::subscriber::Subscriber;
use cohort::Cohort;
use runners::Runners;

/// The size and the harshness of a soak.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// The `samspil` binary the runners run ([`runners::samspil_binary`]: this build's).
    pub samspil: std::path::PathBuf,
    /// Messages sent, duplicates included.
    pub messages: usize,
    /// Share of the distinct messages sent twice.
    pub duplicate_share: f64,
    /// `samspil local` processes at once.
    pub runners: usize,
    /// Share of calls that fail while faults are on.
    pub fault_rate: f64,
    /// One runner is killed this often while faults are on.
    pub kill_every: Duration,
    /// The faulty phase ends when the queues are empty, or after this long.
    pub fault_phase_limit: Duration,
    /// Draining without faults may take this long.
    pub drain_limit: Duration,
}

/// What a soak did and found.
#[derive(Debug, Default)]
pub struct SoakReport {
    pub people: usize,
    pub distinct: usize,
    pub sent: usize,
    pub bad: usize,
    pub faults: FaultCounts,
    pub kills: usize,
    pub runner_exits: usize,
    pub updates: usize,
    pub meetings: usize,
    pub transfers: usize,
    pub fault_phase: Duration,
    pub drain: Duration,
    pub findings: check::Findings,
}

impl SoakReport {
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }
}

impl fmt::Display for SoakReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dupes = self.sent - self.distinct;
        writeln!(
            f,
            "soak: {} people, {} distinct messages ({} bad), {} sent ({dupes} twice)",
            self.people, self.distinct, self.bad, self.sent
        )?;
        writeln!(
            f,
            "  calls through the proxy: {}, faults injected: {} ({:.1} %)",
            self.faults.requests,
            self.faults.total_faults(),
            100.0 * self.faults.total_faults() as f64 / self.faults.requests.max(1) as f64
        )?;
        for fault in Fault::ALL {
            writeln!(f, "    {:<34} {}", fault.name(), self.faults.of(fault))?;
        }
        writeln!(
            f,
            "  runners killed (SIGKILL): {}, ended on their own and restarted: {}",
            self.kills, self.runner_exits
        )?;
        writeln!(
            f,
            "  faulty phase {:.1} s, drain {:.1} s; updates received {}, meetings {}, of them transferred {}",
            self.fault_phase.as_secs_f64(),
            self.drain.as_secs_f64(),
            self.updates,
            self.meetings,
            self.transfers
        )?;
        write!(f, "{}", self.findings)
    }
}

/// Runs a soak on the local stack (deployed on first use) and reports; it does not panic on
/// findings, so a caller can print them all.
pub async fn run(config: &SoakConfig) -> SoakReport {
    let env = setup().await;
    let cohort = Cohort::generate(config.messages, config.duplicate_share);
    let subscriber = Subscriber::new(&env).await;

    let proxy = FaultProxy::start(emulator_address(), FaultRates::spread(config.fault_rate)).await.expect("the proxy");
    let logs = root().join("target/soak");
    let mut runners = Runners::start(&config.samspil, config.runners, &proxy.url(), &logs);

    let done = AtomicBool::new(false);
    let people: Vec<&crate::people::Person> = cohort.people.iter().collect();
    let mut updates = Vec::new();
    // The emulator's queues slow down with their length: the updates are taken off the subscriber
    // queue as they arrive, as a jobcenter system would.
    let collecting = async {
        while !done.load(Ordering::SeqCst) {
            updates.extend(subscriber.updates_for(&people).await.iter().map(|u| u.update()));
        }
    };
    let phases = async {
        let started = Instant::now();
        faulty_phase(&env, &cohort, &mut runners, config).await;
        let fault_phase = started.elapsed();
        proxy.set_rates(FaultRates::OFF);
        let drain = drain(&env, &mut runners, config.drain_limit).await;
        runners.stop();
        done.store(true, Ordering::SeqCst);
        (fault_phase, drain)
    };
    let ((fault_phase, drain), ()) = tokio::join!(phases, collecting);
    updates.extend(subscriber.updates_for(&people).await.iter().map(|u| u.update()));

    let findings = check::check(&env, &cohort, &updates).await;
    subscriber.remove().await;
    SoakReport {
        people: cohort.people.len(),
        distinct: cohort.valid.len() + cohort.bad.len(),
        sent: cohort.sent.len(),
        bad: cohort.bad.len(),
        faults: proxy.counts(),
        kills: runners.kills,
        runner_exits: runners.exited,
        updates: findings.updates,
        meetings: findings.meetings,
        transfers: findings.transfers,
        fault_phase,
        drain,
        findings,
    }
}

/// Sends the cohort while the runners work through the faults, one killed every
/// `config.kill_every`, until everything is sent and the queues are empty (or the time limit).
async fn faulty_phase(env: &Env, cohort: &Cohort, runners: &mut Runners, config: &SoakConfig) {
    let started = Instant::now();
    let all_sent = AtomicBool::new(false);
    let sending = async {
        send(env, cohort).await;
        all_sent.store(true, Ordering::SeqCst);
    };
    let supervising = async {
        let mut last_kill = Instant::now();
        while started.elapsed() < config.fault_phase_limit {
            tokio::time::sleep(Duration::from_millis(250)).await;
            runners.replace_exited();
            if last_kill.elapsed() >= config.kill_every {
                runners.kill_one();
                last_kill = Instant::now();
            }
            if all_sent.load(Ordering::SeqCst) && backlog(env).await == 0 {
                break;
            }
        }
    };
    tokio::join!(sending, supervising);
}

/// Lets the runners work, without faults or kills, until the queues have been idle for 3 s (or
/// `limit`); returns how long that took.
async fn drain(env: &Env, runners: &mut Runners, limit: Duration) -> Duration {
    let drained = Instant::now();
    let mut idle_since: Option<Instant> = None;
    while drained.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(250)).await;
        runners.replace_exited();
        if backlog(env).await == 0 {
            if idle_since.get_or_insert_with(Instant::now).elapsed() >= Duration::from_secs(3) {
                break;
            }
        } else {
            idle_since = None;
        }
    }
    drained.elapsed()
}

/// The emulator's address, from `AWS_ENDPOINT_URL` (checked to be local).
fn emulator_address() -> SocketAddr {
    let url = crate::stack::emulator();
    let authority =
        url.trim_start_matches("http://").split('/').next().unwrap_or_default().replace("localhost", "127.0.0.1");
    authority.parse().unwrap_or_else(|_| panic!("AWS_ENDPOINT_URL {url:?} is not http://<loopback address>:<port>"))
}

/// Sends every message to its queue, ten at a time, straight to the emulator, while the runners
/// work: a-kasse systems send through the day, and the emulator's queues slow down with their
/// length, so sending waits while more than [`MAX_BACKLOG`] messages are waiting. A batch whose
/// call fails is sent again: a message that arrives twice is only one more duplicate.
async fn send(env: &Env, cohort: &Cohort) {
    for chunk in cohort.sent.chunks(10) {
        while backlog(env).await > MAX_BACKLOG {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let mut by_queue: std::collections::BTreeMap<&str, Vec<&crate::people::Msg>> = Default::default();
        for m in chunk {
            by_queue.entry(m.queue).or_default().push(m);
        }
        let sends = by_queue.into_iter().map(|(queue, chunk)| async move {
            let url = &env.stack.queue(queue).expect("a queue of the stack").url;
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, m)| SendMessageBatchRequestEntry::builder().id(i.to_string()).message_body(&m.body).build())
                .collect::<Result<Vec<_>, _>>()
                .expect("batch entries");
            for attempt in 1.. {
                let sent =
                    env.clients.sqs.send_message_batch().queue_url(url).set_entries(Some(entries.clone())).send();
                match sent.await {
                    Ok(output) if output.failed().is_empty() => return,
                    Ok(_) | Err(_) if attempt < 10 => tokio::time::sleep(Duration::from_millis(500)).await,
                    Ok(output) => panic!("SendMessageBatch refused {} messages", output.failed().len()),
                    Err(e) => panic!("SendMessageBatch: {}", samspil::aws::describe("SendMessageBatch", &e, None)),
                }
            }
        });
        futures::future::join_all(sends).await;
    }
}

/// Sending waits while more messages than this wait on the queues.
const MAX_BACKLOG: u64 = 200;

/// Messages on the three queues: visible, in flight and delayed; unknown counts as not idle.
async fn backlog(env: &Env) -> u64 {
    samspil_cli::local::poller::backlog(&env.clients.sqs, &samspil_cli::local::queues(env.stack))
        .await
        .unwrap_or(u64::MAX)
}
