//! The AWS adapters: the pipeline's ports on DynamoDB, SNS and SQS, and the SDK set-up they share.
//!
//! - [`config`]: [`sdk_config`] and [`AwsClients`], built once per process (Lambda cold start).
//! - [`dynamo`]: [`DynamoStore`], the [`crate::pipeline::Store`] on one DynamoDB item per person.
//! - [`sns`]: [`SnsPublisher`], the [`crate::pipeline::Publisher`] on the `meeting-updates` topic.
//! - [`sqs`]: [`SqsDeadLetters`], the [`crate::pipeline::DeadLetters`] on the queues' DLQs.
//! - [`kms`]: [`KmsSealer`], the [`crate::pipeline::CprSealer`] on the `SummonsKey` (rule R12).
//! - [`item_key`]: the key of a person's item, `pk` = `person#` + the person key.
//! - [`sweep_index`]: the sparse index `sweep-due` of the table and its query (rule R12's sweep).
//! - [`retry`]: [`back_off`], the wait before SQS delivers a failed message again.
//! - [`requests`]: [`RequestCounter`], an SDK interceptor counting requests per operation.
//!
//! Locally and in CI the same code talks to the moto emulator: `AWS_ENDPOINT_URL` points the SDK at
//! it (`scripts/with-moto.sh`); there is no emulator-specific branch. The shared contract tests in
//! `shared/tests/store_contract.rs` and `shared/tests/publisher_contract.rs` run these adapters and
//! the in-memory ones through the same cases.

pub mod config;
pub mod dynamo;
pub mod item_key;
pub mod kms;
pub mod requests;
pub mod retry;
pub mod sns;
pub mod sqs;
pub mod sweep_index;

pub use config::{AwsClients, DEFAULT_REGION, Overrides, long_poll, sdk_config, sdk_config_with};
pub use dynamo::{DEFAULT_RETENTION_DAYS, DynamoStore};
pub use kms::KmsSealer;
pub use requests::{CountRequests, RequestCounter};
pub use retry::{FailedReceipt, back_off, receive_count};
pub use sns::SnsPublisher;
pub use sqs::SqsDeadLetters;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Describes a failed SDK call for logs and retry decisions: the operation, the kind of failure,
/// and for a service error its code and message. Never the raw response (a service may echo
/// request values in it) and never the request; the CPR number, if given, is blanked out of
/// whatever the service said, in case a message ever quotes it.
pub fn describe<E, R>(operation: &str, error: &SdkError<E, R>, cpr: Option<&str>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let text = match error {
        SdkError::ServiceError(e) => {
            let e = e.err();
            let code = e.code().unwrap_or("unknown service error");
            match e.message() {
                Some(message) => format!("{operation} failed: {code}: {message}"),
                None => format!("{operation} failed: {code}"),
            }
        }
        SdkError::TimeoutError(_) => format!("{operation} timed out"),
        SdkError::DispatchFailure(e) => match e.as_connector_error() {
            Some(c) => format!("{operation} failed to reach the service: {}", DisplayErrorContext(c)),
            None => format!("{operation} failed to reach the service"),
        },
        SdkError::ResponseError(_) => format!("{operation} failed: the service's response could not be read"),
        SdkError::ConstructionFailure(_) => format!("{operation} failed: the request could not be built"),
        _ => format!("{operation} failed"),
    };
    match cpr {
        Some(cpr) if !cpr.is_empty() => text.replace(cpr, "**********"),
        _ => text,
    }
}
