//! The harness of the end-to-end tests: samspil on the local stack deployed from the template.
//!
//! Every test here runs against the stack `scripts/deploy_local.py` deploys from
//! `infra/template.yaml` into the AWS emulator (moto): the deployer runs once per test binary
//! ([`stack::stack`]) and the tests read its outputs (`target/local-stack.json`); nothing is
//! created by hand except what a test plays the part of (a subscriber's queue). Messages are
//! processed by the local runner's own code ([`samspil_cli::local::Poller`], in-process), which
//! runs the Lambda functions' [`samspil::pipeline::BatchHandler`].
//!
//! - [`stack`]: the deployment, SDK clients, and the lock that runs one test at a time.
//! - [`people`]: synthetic people, unique per test and per run, and their messages.
//! - [`runner`]: the local runner, driven until the queues are idle.
//! - [`subscriber`]: test subscriber queues on the topic, and reading updates back.
//! - [`reference`](mod@reference): the same messages on the embedded pipeline, in order: what the stack must
//!   agree with (rules R9 and R10).
//! - [`faults`]: a store and a publisher that fail, or slow down, on purpose.
//! - [`proxy`]: a fault-injecting HTTP proxy between samspil and the emulator (dropped
//!   connections before and after the emulator acted, delays, throttling, 5xx).
//! - [`soak`]: many messages through several `samspil local` processes under faults and kills,
//!   then a check that nothing was lost or changed (`make soak`, and a small one in `make test`).
//!
//! The tests share the stack's queues, so they run one at a time ([`stack::setup`] holds a lock),
//! and each uses people of its own, so a message left over by another test (or by `make run`)
//! changes nothing they check. CPR numbers are synthetic and never printed: assertion messages
//! name meetings, message ids and labels; the `Cpr` type masks itself in `Debug`.

pub mod faults;
pub mod people;
pub mod proxy;
pub mod reference;
pub mod runner;
pub mod soak;
pub mod stack;
pub mod subscriber;
