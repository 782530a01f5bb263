//! One message through samspil: parse, idempotency, load, decide, conditional write, publish.
//!
//! [`Pipeline`] is generic over its ports, [`Store`], [`Publisher`] and [`CprSealer`], so the very same code
//! runs in the Lambda functions (DynamoDB and SNS adapters), in the local runner and in the embedded
//! mode ([`memory`] adapters) used by `samspil replay` and `samspil simulate`. [`BatchHandler`]
//! runs a whole SQS batch: bad input to the dead-letter queue, people concurrently, partial failures.
//! [`Pipeline::sweep`] publishes the summonses that have fallen due (rule R12).

mod backoff;
mod batch;
mod handle;
pub mod memory;
mod ports;
mod redacted;
mod sweep;

pub use backoff::{Backoff, MAX_RECEIVES};
pub use batch::{
    ANSWER_RESERVE, AbortBatch, BatchCounts, BatchHandler, BatchRecord, BatchReport, START_RESERVE, is_redelivered,
    queue_from_arn, sent_timestamp,
};
pub use handle::{Delivery, Failure, MAX_TIME_AHEAD, Outcome, Pipeline, ProcessingTime, is_dated_ahead};
pub use ports::{
    CprSealer, DeadLetterError, DeadLetters, NoSealer, PublishError, Publisher, SealError, Store, StoreError, Stored,
};
pub use sweep::{SWEEP_LEASE, SWEEP_START_RESERVE, SweepError, SweepReport};
