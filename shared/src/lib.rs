//! # samspil
//!
//! The library every samspil entry point shares: the Lambda functions, the command-line tool and
//! the tests. It is laid out as ports and adapters:
//!
//! - [`contract`]: the wire format of `docs/contract.md`: parsing and validating inbound
//!   CloudEvents into typed facts, rendering outbound meeting updates, and the JSON Schemas.
//! - [`calendar`] and [`policy`]: Danish business days (rule R2) and the municipality policies
//!   (rule R3), read from the policy file.
//! - [`domain`]: the pure decision function `decide` (rules R1 and R4 to R11) and `summon` (R12).
//!   No I/O, no clock.
//! - [`codec`]: the compact binary encoding a person's state is stored in.
//! - [`identity`]: the keyed hash that turns a CPR number into a storage key.
//! - [`senders`]: which sending AWS principal may speak for which a-kasse.
//! - [`pipeline`]: one message through parse, idempotency, load, decide, conditional write and
//!   publish, against the [`pipeline::Store`], [`pipeline::Publisher`] and [`pipeline::CprSealer`]
//!   ports, with in-memory adapters for the embedded mode and unit tests; [`pipeline::BatchHandler`]
//!   runs one SQS batch, [`pipeline::Pipeline::sweep`] the summonses of rule R12.
//! - [`aws`]: the ports on DynamoDB, SNS and SQS, and the AWS SDK clients, built once per process.
//! - [`telemetry`]: JSON logs and CloudWatch Embedded Metric Format metrics.
//! - [`lambda`]: the glue every Lambda function's `main` calls: configuration, clients, runtime.

pub mod aws;
pub mod calendar;
pub mod codec;
pub mod contract;
pub mod domain;
pub mod identity;
pub mod lambda;
pub mod pipeline;
pub mod policy;
pub mod senders;
pub mod telemetry;
