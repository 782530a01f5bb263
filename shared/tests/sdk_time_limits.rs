//! Every AWS call has a time limit: a stalled endpoint (it accepts the connection and never
//! answers) fails the call as a transient error within the SDK's operation timeout, instead of
//! holding the invocation until Lambda kills it (shared/src/aws/config.rs, "Time limits").
//!
//! The endpoint is a TCP listener of this test on the loopback address; no emulator is needed.

mod support;

use std::time::Duration;

use aws_sdk_dynamodb::config::Credentials;
use samspil::aws::config::OPERATION_TIMEOUT;
use samspil::aws::{DynamoStore, SnsPublisher};
use samspil::pipeline::{Publisher, Store, StoreError};
use tokio::net::TcpListener;

/// Accepts connections and reads from them, never answering. Returns its URL.
async fn stalled_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket); // kept open, never answered
        }
    });
    url
}

async fn config(endpoint: &str) -> aws_config::SdkConfig {
    let shared = samspil::aws::sdk_config().await;
    shared
        .into_builder()
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(Credentials::for_tests()))
        .build()
}

#[tokio::test]
async fn a_stalled_store_or_topic_fails_the_call_instead_of_hanging() {
    let endpoint = stalled_endpoint().await;
    let config = config(&endpoint).await;
    // The endpoint is set on each service's own config too: an `AWS_ENDPOINT_URL` in the
    // environment (as under `make test`) would otherwise win over the shared config's.
    let dynamodb = aws_sdk_dynamodb::config::Builder::from(&config).endpoint_url(&endpoint).build();
    let sns = aws_sdk_sns::config::Builder::from(&config).endpoint_url(&endpoint).build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(dynamodb), "people", 400);
    let publisher = SnsPublisher::new(aws_sdk_sns::Client::from_conf(sns), "arn:aws:sns:eu-north-1:123456789012:t");
    let person = support::person("0101901111");
    let events = support::events();

    let guard = OPERATION_TIMEOUT * 3;
    let (loaded, published) =
        tokio::time::timeout(guard, async { tokio::join!(store.load(&person), publisher.publish(events.clone())) })
            .await
            .unwrap_or_else(|_| panic!("the calls were still waiting after {guard:?}: no time limit"));

    assert!(matches!(loaded, Err(StoreError::Unavailable(_))), "a transient store error: {loaded:?}");
    assert!(published.is_err(), "a failed publish");
    assert!(OPERATION_TIMEOUT < Duration::from_secs(20), "well inside the functions' 20 s timeout");
}
