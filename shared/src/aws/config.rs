//! The AWS SDK configuration and clients, built once per process (once per Lambda cold start).
//!
//! [`sdk_config`] resolves the shared configuration the way every AWS SDK does (environment first),
//! with these choices for a fast cold start and a small binary:
//!
//! - **One TLS stack.** The HTTP client is hyper 1 + rustls with the `ring` provider, set here
//!   explicitly, so the SDK crates are built without their default features (which would add the
//!   legacy hyper 0.14 + rustls stack and aws-lc, a second TLS stack and a slow C build).
//! - **Trust roots on first use.** The SDK's hyper client reads and parses the system's trust roots
//!   when the first client is *constructed*. Measured here (release build): 7 to 12 ms, more than
//!   the whole cold-start budget (first Runtime API poll within 5 ms of exec). [`connector_on_first_use`]
//!   defers that to the first request, which opens a connection anyway. Plain `http://` endpoints
//!   (the emulator) pay it too, since the connector is built for both schemes.
//! - **Credentials straight from the environment when they are there.** Lambda always sets
//!   `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`; then the environment
//!   provider is used directly and the default chain (profile files, web identity, ECS, IMDS) is
//!   never built. Without them the default chain is used, for operators running the CLI with a
//!   profile. (SSO and `credential_process` are compiled out: default features are off.)
//! - **Region from the environment**, then the profile, else [`DEFAULT_REGION`]; never from IMDS,
//!   whose probe costs a network timeout wherever there is no EC2 metadata service.
//!
//! - **Time limits and retries on every call** ([`timeouts`], [`retries`]): without them one stalled
//!   call can hold a whole invocation until Lambda kills it, and the batch fails as a whole. The
//!   values, and why:
//!
//!   | setting | value | why |
//!   |---|---|---|
//!   | connect | [`CONNECT_TIMEOUT`] 1 s | a TCP and TLS connect inside a region takes a few ms; after 1 s the endpoint is not there |
//!   | one attempt | [`ATTEMPT_TIMEOUT`] 2 s | `GetItem`, `PutItem`, `Publish` and `SendMessage` answer in tens of ms at p99.9; an attempt still open after 2 s is stalled and a fresh one on another connection does better |
//!   | one operation | [`OPERATION_TIMEOUT`] 5 s | all attempts and their backoff: a record (load, save, publish) then fits three times into the functions' 20 s timeout |
//!   | attempts | [`MAX_ATTEMPTS`] 3, backoff 50 ms to 1 s with jitter | rides out a dropped connection or a short throttle inside the call; a longer outage is the queue's to ride out (the message comes back later, see [`crate::pipeline::Backoff`]) |
//!
//!   A long poll (`ReceiveMessage` waits up to 20 s) sets its own attempt timeout
//!   ([`long_poll`]). A retried call may have taken effect the first time: every caller
//!   is written for that (see [`crate::pipeline`]).
//!
//! `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_DYNAMODB`, ...) is honoured by the
//! standard resolution: that is how tests and the local runner reach the emulator, with no
//! emulator-specific code anywhere.
//!
//! Measured on the development machine (release build, env credentials and region set, no
//! `~/.aws`): `sdk_config()` takes 0.2 to 0.3 ms and [`AwsClients::new`] about 0.5 ms for the four
//! clients of the time (0.1 ms each; KMS, added for rule R12, is a fifth); the `cold_start_config_is_cheap` test in `tests/store_contract.rs` keeps
//! an eye on it. What remains of file I/O is the lookup of the shared config files
//! (`~/.aws/config`, `~/.aws/credentials`, for settings such as `endpoint_url` that may also come
//! from a profile), which fails fast where they do not exist, as in Lambda. The first request then
//! pays the one-time costs: trust roots, the endpoint partition table, the connection.

use std::env;
use std::time::Duration;

use aws_config::environment::EnvironmentVariableRegionProvider;
use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::region::ProfileFileRegionProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

use super::requests::RequestCounter;

/// The region used when neither the environment nor a profile names one.
pub const DEFAULT_REGION: &str = "eu-north-1";

/// How long connecting to an AWS endpoint may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long one attempt of a call may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a call may take, all its attempts and their backoff included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts per call, the first included.
pub const MAX_ATTEMPTS: u32 = 3;

/// The time limits of every call (see the module documentation for the values).
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// The retries of every call: standard mode (transient errors, throttling, timeouts and dropped
/// connections), [`MAX_ATTEMPTS`] attempts, jittered backoff from 50 ms up to 1 s.
pub fn retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_secs(1))
}

/// The configuration override of a `ReceiveMessage` that waits up to `wait_seconds` for messages
/// (a long poll): an attempt may take the wait plus [`ATTEMPT_TIMEOUT`]. Use it with the fluent
/// builder's `.customize().config_override(..)`.
pub fn long_poll(wait_seconds: i32) -> aws_sdk_sqs::config::Builder {
    let attempt = Duration::from_secs(u64::try_from(wait_seconds).unwrap_or(0)) + ATTEMPT_TIMEOUT;
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(attempt)
        .operation_timeout(attempt + OPERATION_TIMEOUT)
        .build();
    aws_sdk_sqs::config::Builder::default().timeout_config(timeouts)
}

/// Loads the shared SDK configuration from the environment. Call once per process.
pub async fn sdk_config() -> SdkConfig {
    sdk_config_with(&Overrides::default()).await
}

/// What an operator's command line says about where to act, over the environment: the CLI's
/// `--endpoint-url`, `--region` and `--profile`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// The endpoint of every service, instead of `AWS_ENDPOINT_URL` or AWS's own.
    pub endpoint_url: Option<String>,
    /// The region, instead of `AWS_REGION`, the profile's or [`DEFAULT_REGION`].
    pub region: Option<String>,
    /// The named profile (`~/.aws/config`, `~/.aws/credentials`), instead of `AWS_PROFILE` or
    /// `default`. With a profile, credentials come from the profile, not the environment.
    pub profile: Option<String>,
}

/// [`sdk_config`] with `overrides` applied.
pub async fn sdk_config_with(overrides: &Overrides) -> SdkConfig {
    let https =
        aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https();
    let mut profile_region = ProfileFileRegionProvider::builder();
    if let Some(profile) = &overrides.profile {
        profile_region = profile_region.profile_name(profile);
    }
    let region = RegionProviderChain::first_try(overrides.region.clone().map(Region::new))
        .or_else(EnvironmentVariableRegionProvider::new())
        .or_else(profile_region.build())
        .or_else(Region::from_static(DEFAULT_REGION));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(connector_on_first_use(https))
        .region(region)
        .timeout_config(timeouts())
        .retry_config(retries());
    if let Some(profile) = &overrides.profile {
        loader = loader.profile_name(profile);
    } else if env_credentials_present() {
        loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
    }
    if let Some(endpoint) = &overrides.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}

fn env_credentials_present() -> bool {
    let set = |name| env::var_os(name).is_some_and(|v| !v.is_empty());
    set("AWS_ACCESS_KEY_ID") && set("AWS_SECRET_ACCESS_KEY")
}

/// An HTTP client without its eager start-up work.
///
/// The hyper client implements `validate_base_client_config`, which the SDK calls while
/// constructing each service client, by building its TLS connector "so that native certs load at
/// client initialization time instead of upon first request". Leaving that hook out (it defaults to
/// doing nothing) builds the connector, and reads the roots once per process, on the first request.
/// Wraps `client` so that its TLS connector, and with it the trust roots, is built on the first
/// request instead of once per service client at construction.
pub fn connector_on_first_use(client: SharedHttpClient) -> SharedHttpClient {
    SharedHttpClient::new(LazyTrustRoots(client))
}

#[derive(Debug)]
struct LazyTrustRoots(SharedHttpClient);

impl HttpClient for LazyTrustRoots {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// One client per service samspil uses, all from one [`SdkConfig`]. Clients are cheap to clone
/// (they share their connection pool); build this once and hand out clones.
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// KMS: sealing and opening CPR numbers awaiting their summons (rule R12, [`super::KmsSealer`]).
    pub kms: aws_sdk_kms::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub ssm: aws_sdk_ssm::Client,
    /// The counter every client reports its requests to, when built with one.
    pub requests: Option<RequestCounter>,
}

impl AwsClients {
    /// The clients for `config`.
    pub fn new(config: &SdkConfig) -> Self {
        Self::build(config, None)
    }

    /// The clients for `config`, each counting its requests into `counter`.
    pub fn with_counter(config: &SdkConfig, counter: RequestCounter) -> Self {
        Self::build(config, Some(counter))
    }

    /// [`sdk_config`] and [`AwsClients::new`] in one step.
    pub async fn from_env() -> Self {
        Self::new(&sdk_config().await)
    }

    fn build(config: &SdkConfig, counter: Option<RequestCounter>) -> Self {
        let mut dynamodb = aws_sdk_dynamodb::config::Builder::from(config);
        let mut kms = aws_sdk_kms::config::Builder::from(config);
        let mut sns = aws_sdk_sns::config::Builder::from(config);
        let mut sqs = aws_sdk_sqs::config::Builder::from(config);
        let mut ssm = aws_sdk_ssm::config::Builder::from(config);
        if let Some(counter) = &counter {
            dynamodb = dynamodb.interceptor(counter.interceptor());
            kms = kms.interceptor(counter.interceptor());
            sns = sns.interceptor(counter.interceptor());
            sqs = sqs.interceptor(counter.interceptor());
            ssm = ssm.interceptor(counter.interceptor());
        }
        AwsClients {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb.build()),
            kms: aws_sdk_kms::Client::from_conf(kms.build()),
            sns: aws_sdk_sns::Client::from_conf(sns.build()),
            sqs: aws_sdk_sqs::Client::from_conf(sqs.build()),
            ssm: aws_sdk_ssm::Client::from_conf(ssm.build()),
            requests: counter,
        }
    }
}
