//! The local runner on the stack, driven in-process until everything is processed.
//!
//! Tests use short timings: a receive waits at most 1 s, a failed message is received again
//! after 2 s (its visibility timeout), and a run ends once every queue has had nothing visible, in
//! flight or delayed for 1 s. They never wait for the emulator to do anything on its own.

use std::time::Duration;

use samspil::aws::{DEFAULT_RETENTION_DAYS, DynamoStore, KmsSealer, SnsPublisher, SqsDeadLetters};
use samspil::domain::PersonState;
use samspil::identity::PersonKeyer;
use samspil::pipeline::{Backoff, BatchHandler, CprSealer, DeadLetters, Pipeline, Publisher, Store};
use samspil::policy::PolicyBook;
use samspil_cli::local::{self, LOCAL_HMAC_SECRET, LocalHandler, PollOptions, Poller, ProcessingDay, RunSummary, Stop};

use crate::people::{Msg, Person, day};
use crate::stack::Env;

/// How long a run may take before the test fails instead of hanging.
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// The tests' poll options: the processing day [`crate::people::DAY`], quick redelivery.
pub fn options() -> PollOptions {
    PollOptions {
        batch_size: 10,
        wait_seconds: 1,
        visibility_timeout: 2,
        day: ProcessingDay::Fixed(day()),
        until_idle: Some(Duration::from_secs(1)),
        once: false,
        report: false,
        // Failed messages come back after 2 s every time, so tests never wait long for retries.
        backoff: Backoff { first: Duration::from_secs(2), cap: Duration::from_secs(2) },
    }
}

pub fn keyer() -> PersonKeyer {
    PersonKeyer::new(LOCAL_HMAC_SECRET.as_bytes()).expect("a secret")
}

/// The handler `samspil local` runs: the Lambda functions' handler on the stack.
pub fn handler(env: &Env) -> LocalHandler {
    local::handler(&env.clients, env.stack, PolicyBook::repository(), LOCAL_HMAC_SECRET.as_bytes()).expect("a handler")
}

/// The stack's DynamoDB store.
pub fn dynamo(env: &Env) -> DynamoStore {
    DynamoStore::new(env.clients.dynamodb.clone(), &env.stack.table, DEFAULT_RETENTION_DAYS)
}

/// The stack's SNS publisher.
pub fn sns(env: &Env) -> SnsPublisher {
    SnsPublisher::new(env.clients.sns.clone(), &env.stack.topic_arn)
}

/// The stack's `SummonsKey` sealer (rule R12).
pub fn kms(env: &Env) -> KmsSealer {
    KmsSealer::new(env.clients.kms.clone(), local::summons_key(env.stack).expect("the stack's SummonsKeyArn"))
}

/// The stack's dead-letter queues.
pub fn dead_letters(env: &Env) -> SqsDeadLetters {
    SqsDeadLetters::new(env.clients.sqs.clone(), env.stack.dlq_urls())
}

/// A handler on the stack with this store, publisher and policy book (for injecting faults).
pub fn handler_with<S: Store, P: Publisher>(
    env: &Env,
    store: S,
    publisher: P,
    policies: PolicyBook,
) -> BatchHandler<S, P, KmsSealer, SqsDeadLetters> {
    BatchHandler::new(Pipeline::new(store, publisher, kms(env), policies, keyer()), dead_letters(env))
}

/// A poller of the stack's three queues with [`options`].
pub fn poller<S: Store, P: Publisher, K: CprSealer, D: DeadLetters>(
    env: &Env,
    handler: BatchHandler<S, P, K, D>,
) -> Poller<S, P, K, D> {
    poller_with(env, handler, options())
}

/// A poller of the stack's three queues with these options.
pub fn poller_with<S: Store, P: Publisher, K: CprSealer, D: DeadLetters>(
    env: &Env,
    handler: BatchHandler<S, P, K, D>,
    options: PollOptions,
) -> Poller<S, P, K, D> {
    Poller::new(handler, env.clients.sqs.clone(), local::queues(env.stack), options)
}

/// Runs the poller until every queue is idle.
pub async fn run_until_idle<S: Store, P: Publisher, K: CprSealer, D: DeadLetters>(
    poller: &Poller<S, P, K, D>,
) -> RunSummary {
    let run = tokio::time::timeout(RUN_LIMIT, poller.run(&Stop::new())).await;
    run.unwrap_or_else(|_| panic!("the queues were not idle after {RUN_LIMIT:?}")).expect("polling the stack's queues")
}

/// Processes whatever is on the queues with the plain handler, so that a test starts on empty
/// queues (a message a failed test or `make run` left behind must not meet a test's faults).
pub async fn settle(env: &Env) {
    let mut options = options();
    options.until_idle = Some(Duration::ZERO);
    let poller = Poller::new(handler(env), env.clients.sqs.clone(), local::queues(env.stack), options);
    let run = tokio::time::timeout(RUN_LIMIT, poller.run(&Stop::new())).await;
    run.expect("settling the queues").expect("polling the stack's queues");
}

/// Sends the messages, in order, to their queues on the stack.
pub async fn send(env: &Env, messages: &[Msg]) {
    for m in messages {
        let url = &env.stack.queue(m.queue).expect("a queue of the stack").url;
        samspil_cli::send::send_body(&env.clients.sqs, url, &m.body).await.expect("SendMessage");
    }
}

/// The person's state in the stack's table.
pub async fn stored(env: &Env, person: &Person) -> Option<PersonState> {
    let cpr = serde_json::from_value(serde_json::Value::String(person.cpr().to_string())).expect("CPR digits");
    dynamo(env).load(&keyer().key(&cpr)).await.expect("GetItem").map(|s| s.state)
}
