//! The local stack, deployed once per test binary from the template, and access to it.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use samspil::aws::{AwsClients, RequestCounter, sdk_config};
use samspil_cli::local::Stack;
use tokio::sync::{Mutex, MutexGuard};

const HINT: &str = "run the end-to-end tests with `make test`: scripts/with-moto.sh starts the AWS emulator and \
                    points AWS_ENDPOINT_URL at it";

/// The repository's root directory.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The emulator's URL, after checking that it is a local address that answers. Never real AWS.
pub fn emulator() -> String {
    let url = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    let authority = url.trim_start_matches("http://").trim_start_matches("https://");
    let authority = authority.split('/').next().unwrap_or_default().to_string();
    let host = authority.rsplit_once(':').map_or(authority.as_str(), |(h, _)| h);
    if !(host == "localhost" || host.starts_with("127.")) {
        panic!("AWS_ENDPOINT_URL ({url:?}) is not a local emulator; {HINT}");
    }
    let answers = authority
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok());
    assert!(answers, "nothing answers at {url} (AWS_ENDPOINT_URL); {HINT}");
    url
}

/// The stack, deployed by `scripts/deploy_local.py` the first time a test of this binary asks.
pub fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| {
        emulator();
        let python = root().join(".venv/bin/python");
        assert!(python.exists(), "{} is missing: run `make .venv/.installed` (make test does)", python.display());
        let deployed = Command::new(python).arg("scripts/deploy_local.py").current_dir(root()).output();
        let output = deployed.expect("running scripts/deploy_local.py");
        if !output.status.success() {
            panic!(
                "scripts/deploy_local.py failed ({}):\n{}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Stack::load(&root().join("target/local-stack.json")).expect("the deployer's outputs")
    })
}

/// The queue URL of a subscriber stack the deployer made from infra/subscriber.yaml, by
/// `<kind>-<code>` (e.g. `jobcenter-851`, deployed with every local stack), from
/// target/local-subscribers.json.
pub fn subscriber_queue_url(subscriber: &str) -> String {
    stack();
    let path = root().join("target/local-subscribers.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let outputs: serde_json::Value = serde_json::from_str(&text).expect("the deployer's subscriber outputs");
    outputs[subscriber]["UpdatesQueueUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("no subscriber {subscriber} in {}", path.display()))
        .to_string()
}

/// One test's access to the stack. While it lives, no other test of this binary runs.
pub struct Env {
    pub stack: &'static Stack,
    pub clients: AwsClients,
    _exclusive: MutexGuard<'static, ()>,
}

/// Waits for the other tests, deploys the stack if this is the first test, builds SDK clients for
/// this test's runtime, and processes whatever an earlier test or run left in the queues.
pub async fn setup() -> Env {
    static EXCLUSIVE: Mutex<()> = Mutex::const_new(());
    let exclusive = EXCLUSIVE.lock().await;
    let stack = stack();
    let env = Env { stack, clients: AwsClients::from_env().await, _exclusive: exclusive };
    crate::runner::settle(&env).await;
    env
}

/// SDK clients that count every request they send.
pub async fn counted_clients() -> (AwsClients, RequestCounter) {
    let counter = RequestCounter::new();
    (AwsClients::with_counter(&sdk_config().await, counter.clone()), counter)
}
