//! The library half of the `samspil` program: the commands that talk to SQS, SNS and DynamoDB.
//!
//! - [`local`]: `samspil local`, the local runner. It polls the three queues the way Lambda's SQS
//!   event source mapping does and runs each batch through the very [`samspil::pipeline::BatchHandler`]
//!   the Lambda functions run, and it prints the meeting updates as they arrive.
//! - [`send`]: `samspil send FILE`, sends a replay-format file's messages to their queues.
//! - [`redrive`]: `samspil redrive --queue NAME`, moves messages from a dead-letter queue back.
//! - [`render`]: meeting updates as readable lines (shared with `samspil replay`).
//!
//! They are a library, not only modules of the binary, so that the end-to-end tests
//! (`tests/e2e`) drive exactly this code in-process against the stack deployed from the template.

pub mod local;
pub mod redrive;
pub mod render;
pub mod send;

/// The error of a command: a readable message. Never carries a message body or a CPR number.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A current-thread Tokio runtime for one command.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

/// SDK clients from the environment (`AWS_ENDPOINT_URL`, `AWS_REGION`, credentials), the same way
/// the Lambda functions build theirs.
pub(crate) async fn clients() -> samspil::aws::AwsClients {
    samspil::aws::AwsClients::from_env().await
}

/// The URL of the queue called `name`, through `GetQueueUrl`.
pub async fn queue_url(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<String, Error> {
    let output = sqs
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| format!("no queue `{name}` (GetQueueUrl: {})", describe(&e)))?;
    Ok(output.queue_url.ok_or_else(|| format!("GetQueueUrl returned no URL for `{name}`"))?)
}

/// A failed SDK call in a few words: for a service error its code and message, otherwise the kind
/// of failure. Never the raw response, which a service may fill with request values (a message
/// body holds a CPR number).
pub fn describe<E, R>(error: &aws_sdk_sqs::error::SdkError<E, R>) -> String
where
    E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_sqs::error::SdkError;
    match error {
        SdkError::ServiceError(e) => {
            let e = e.err();
            match (e.code(), e.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_string(),
                _ => "service error".to_string(),
            }
        }
        SdkError::TimeoutError(_) => "timed out".to_string(),
        SdkError::DispatchFailure(e) => match e.as_connector_error() {
            Some(c) => format!("cannot reach the service: {}", aws_sdk_sqs::error::DisplayErrorContext(c)),
            None => "cannot reach the service".to_string(),
        },
        SdkError::ResponseError(_) => "the service's response could not be read".to_string(),
        SdkError::ConstructionFailure(_) => "the request could not be built".to_string(),
        _ => "failed".to_string(),
    }
}
