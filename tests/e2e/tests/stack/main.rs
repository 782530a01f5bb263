//! End-to-end tests on the stack deployed from `infra/template.yaml` into the AWS emulator.
//!
//! Run with `make test` (which starts the emulator through `scripts/with-moto.sh`); the first test
//! deploys the stack with `scripts/deploy_local.py`. The harness is `samspil_e2e` (`tests/e2e/src`).
//!
//! - [`flow`]: messages in, updates out; duplicates and shuffled order; two runners on one person;
//!   a message sent with boto3 reaching the template's example jobcenter subscriber.
//! - [`failures`]: bad input to the dead-letter queue; transient failures retried by redelivery,
//!   with the outbox republished; `samspil redrive`.
//! - [`redrive`]: a forged registration stays refused through a redrive, a genuine dead letter
//!   comes back as its sender's; a `samspil-redriven` mark an a-kasse writes republishes nothing.
//! - [`requests`]: the AWS requests per message, counted at the SDK, against the budget.
//! - [`security`]: no CPR number in the stored items; a sender speaking for another a-kasse
//!   dead-lettered; the hostile corpus (`tests/hostile/`) dead-lettered with its codes, its forged
//!   cases redriven or sent with forged marks.
//! - [`summons`]: rule R12: summonses published by the sweep exactly once; a job exit before the
//!   summons publishes nothing; two sweeps at once; a sweep failing halfway, then run again.

mod failures;
mod flow;
mod redrive;
mod requests;
mod security;
mod summons;
