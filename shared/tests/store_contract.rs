//! The store contract: ONE suite of cases, run against every [`Store`] adapter, so the in-memory
//! store of the embedded mode cannot drift from DynamoDB's behaviour.
//!
//! Each case is a generic `async fn(&impl Store)`; `store_contract!` runs it as `memory::<case>` on
//! a fresh [`MemoryStore`] and as `dynamo::<case>` on a [`DynamoStore`] over a fresh table in the
//! moto emulator. The `dynamo_only` cases check what only DynamoDB has: the item's shape (key, TTL)
//! and the request budget. Run with `make test` (the DynamoDB half fails without the emulator).
//!
//! States hold a CPR number: assertions compare them but never print them.

mod support;

use samspil::aws::dynamo::{DynamoStore, TTL_ATTRIBUTE, create_table_for_tests};
use samspil::aws::item_key::{KEY_ATTRIBUTE, partition_key};
use samspil::aws::{DEFAULT_RETENTION_DAYS, RequestCounter};
use samspil::domain::PersonState;
use samspil::pipeline::memory::MemoryStore;
use samspil::pipeline::{Store, StoreError};

use samspil::contract::UpdateType;
use samspil::domain::updates_published_by;
use support::{CPR, OTHER_CPR, closed_state, cpr, open_state, overtaken_transfer_state, person, transferred_state};

// ---------------------------------------------------------------------------------------------
// The cases.

async fn load_of_unknown_person_is_none(store: &impl Store) {
    assert!(store.load(&person(CPR)).await.expect("load").is_none());
}

async fn first_save_without_expected_version_is_version_1(store: &impl Store) {
    let key = person(CPR);
    assert_eq!(store.save(&key, &open_state(CPR), None).await, Ok(1));
    let stored = store.load(&key).await.expect("load").expect("stored");
    assert_eq!(stored.version, 1);
    assert!(store.load(&person(OTHER_CPR)).await.expect("load").is_none(), "another person is still unknown");
}

async fn second_save_without_expected_version_conflicts(store: &impl Store) {
    let key = person(CPR);
    store.save(&key, &open_state(CPR), None).await.expect("first save");
    let again = store.save(&key, &closed_state(CPR), None).await;
    assert_eq!(again, Err(StoreError::Conflict { expected: None }));
    let stored = store.load(&key).await.expect("load").expect("stored");
    assert_eq!(stored.version, 1);
    assert!(stored.state == open_state(CPR), "a conflicting save must not change the stored state");
}

async fn save_with_stale_version_conflicts(store: &impl Store) {
    let key = person(CPR);
    store.save(&key, &open_state(CPR), None).await.expect("v1");
    store.save(&key, &open_state(CPR), Some(1)).await.expect("v2");
    assert_eq!(store.save(&key, &closed_state(CPR), Some(1)).await, Err(StoreError::Conflict { expected: Some(1) }));
    assert_eq!(store.save(&key, &closed_state(CPR), Some(7)).await, Err(StoreError::Conflict { expected: Some(7) }));
    assert_eq!(store.load(&key).await.expect("load").expect("stored").version, 2);
}

async fn save_with_version_of_unknown_person_conflicts(store: &impl Store) {
    let result = store.save(&person(CPR), &open_state(CPR), Some(1)).await;
    assert_eq!(result, Err(StoreError::Conflict { expected: Some(1) }));
    assert!(store.load(&person(CPR)).await.expect("load").is_none());
}

async fn save_with_current_version_increments_it(store: &impl Store) {
    let key = person(CPR);
    assert_eq!(store.save(&key, &open_state(CPR), None).await, Ok(1));
    assert_eq!(store.save(&key, &open_state(CPR), Some(1)).await, Ok(2));
    assert_eq!(store.save(&key, &closed_state(CPR), Some(2)).await, Ok(3));
    let stored = store.load(&key).await.expect("load").expect("stored");
    assert_eq!(stored.version, 3);
    assert!(stored.state == closed_state(CPR), "the last save's state is stored");
}

async fn round_trip_preserves_the_state_exactly(store: &impl Store) {
    for (cpr, state) in
        [(CPR, open_state(CPR)), (OTHER_CPR, closed_state(OTHER_CPR)), ("0303803333", PersonState::default())]
    {
        let key = person(cpr);
        store.save(&key, &state, None).await.expect("save");
        let stored = store.load(&key).await.expect("load").expect("stored");
        assert!(stored.state == state, "the state read back differs from the state written");
        assert_eq!(stored.version, 1);
    }
}

/// Rule R8: a transfer's outbox holds two updates of one meeting (the cancellation to the old
/// receivers, then the meeting for the new ones). Read back, it gives both again, in order, with
/// their sequences, as a redelivery after a crash between the write and the publish must send
/// them. So does the outbox of a later message that carries the transfer's cancellation along
/// (its sequence is then not the one before the meeting's).
async fn a_transfer_keeps_both_updates_of_its_outbox_in_order(store: &impl Store) {
    let (cancelled, scheduled) = (UpdateType::Cancelled, UpdateType::Scheduled);
    let cases = [
        (CPR, transferred_state(CPR), [(cancelled, "851", 2), (scheduled, "860", 3)]),
        (OTHER_CPR, overtaken_transfer_state(OTHER_CPR), [(cancelled, "851", 2), (cancelled, "860", 4)]),
    ];
    for (digits, state, expected) in cases {
        let key = person(digits);
        let cause = state.meetings.iter().find_map(|m| m.last_update.clone()).expect("an update").caused_by;
        let before = updates_published_by(&state, &cause, &cpr(digits));
        let seen: Vec<(UpdateType, &str, u32)> =
            before.iter().map(|u| (u.update_type, u.municipality.as_str(), u.sequence)).collect();
        assert_eq!(seen, expected);
        store.save(&key, &state, None).await.expect("save");
        let stored = store.load(&key).await.expect("load").expect("stored");
        assert!(stored.state == state, "the state read back differs from the state written");
        let after = updates_published_by(&stored.state, &cause, &cpr(digits));
        assert!(after == before, "the outbox read back differs from the one written");
    }
}

/// R12: the sweep's policies mark is absent at first, then what was set last; it is no person.
async fn the_policies_mark_is_what_was_set_last(store: &impl Store) {
    assert_eq!(store.policies_mark().await, Ok(None));
    store.set_policies_mark("0123456789abcdef0123456789abcdef").await.expect("set");
    store.set_policies_mark("fedcba9876543210fedcba9876543210").await.expect("set again");
    assert_eq!(store.policies_mark().await, Ok(Some("fedcba9876543210fedcba9876543210".to_owned())));
    assert_eq!(store.due_for_sweep("9999-12-31".parse().unwrap()).await, Ok(Vec::new()), "not in the sweep index");
}

async fn concurrent_writers_with_the_same_version_exactly_one_wins(store: &impl Store) {
    let key = person(CPR);
    store.save(&key, &open_state(CPR), None).await.expect("v1");
    let states = [open_state(CPR), closed_state(CPR), PersonState::default(), open_state(CPR)];
    let (a, b, c, d) = tokio::join!(
        store.save(&key, &states[0], Some(1)),
        store.save(&key, &states[1], Some(1)),
        store.save(&key, &states[2], Some(1)),
        store.save(&key, &states[3], Some(1)),
    );
    let results = [a, b, c, d];
    let winners: Vec<usize> = (0..4).filter(|&i| results[i] == Ok(2)).collect();
    assert_eq!(winners.len(), 1, "exactly one writer wins: {results:?}");
    for (i, result) in results.iter().enumerate() {
        if i != winners[0] {
            assert_eq!(result, &Err(StoreError::Conflict { expected: Some(1) }), "writer {i}");
        }
    }
    let stored = store.load(&key).await.expect("load").expect("stored");
    assert_eq!(stored.version, 2);
    assert!(stored.state == states[winners[0]], "the winner's state is stored");

    // The same race for the very first write.
    let key = person(OTHER_CPR);
    let (open, closed) = (open_state(OTHER_CPR), closed_state(OTHER_CPR));
    let (a, b) = tokio::join!(store.save(&key, &open, None), store.save(&key, &closed, None));
    assert_eq!([&a, &b].iter().filter(|r| ***r == Ok(1)).count(), 1, "exactly one first write wins: {a:?} {b:?}");
    assert!([&a, &b].iter().any(|r| **r == Err(StoreError::Conflict { expected: None })));
}

/// R12: `due_for_sweep` lists exactly the people whose `sweep_due` is on or before the day, follows
/// every save (a day moved or cleared), and never lists anyone without one.
async fn due_for_sweep_lists_the_people_due_on_or_before_the_day(store: &impl Store) {
    let day = |d: &str| d.parse::<chrono::NaiveDate>().unwrap();
    let due = |cpr: &str, on: Option<&str>| PersonState { sweep_due: on.map(day), ..open_state(cpr) };
    let (alice, bob, carol) = (person(CPR), person(OTHER_CPR), person("0303803333"));
    store.save(&alice, &due(CPR, Some("2026-12-10")), None).await.expect("alice");
    store.save(&bob, &due(OTHER_CPR, Some("2026-12-14")), None).await.expect("bob");
    store.save(&carol, &due("0303803333", None), None).await.expect("carol");
    let listed = |today: &'static str| async move {
        let mut people = store.due_for_sweep(day(today)).await.expect("due_for_sweep");
        people.sort();
        people
    };
    assert_eq!(listed("2026-12-09").await, vec![]);
    assert_eq!(listed("2026-12-10").await, vec![alice]);
    let mut both = vec![alice, bob];
    both.sort();
    assert_eq!(listed("2026-12-31").await, both, "every day on or before, not only the day itself");
    // Moved later, then cleared: the listing follows each save.
    store.save(&alice, &due(CPR, Some("2026-12-20")), Some(1)).await.expect("moved");
    assert_eq!(listed("2026-12-14").await, vec![bob]);
    store.save(&bob, &due(OTHER_CPR, None), Some(1)).await.expect("cleared");
    assert_eq!(listed("2026-12-31").await, vec![alice]);
    // A save refused for its version changes nothing.
    let refused = store.save(&alice, &due(CPR, None), Some(1)).await;
    assert_eq!(refused, Err(StoreError::Conflict { expected: Some(1) }));
    assert_eq!(listed("2026-12-31").await, vec![alice]);
}

// ---------------------------------------------------------------------------------------------
// Every case against every adapter.

macro_rules! store_contract {
    ($($case:ident),* $(,)?) => {
        mod memory {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(&MemoryStore::new()).await;
                }
            )*
        }

        mod dynamo {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    let (store, _requests) = dynamo_store().await;
                    super::$case(&store).await;
                }
            )*
        }
    };
}

store_contract!(
    load_of_unknown_person_is_none,
    first_save_without_expected_version_is_version_1,
    second_save_without_expected_version_conflicts,
    save_with_stale_version_conflicts,
    save_with_version_of_unknown_person_conflicts,
    save_with_current_version_increments_it,
    round_trip_preserves_the_state_exactly,
    a_transfer_keeps_both_updates_of_its_outbox_in_order,
    the_policies_mark_is_what_was_set_last,
    concurrent_writers_with_the_same_version_exactly_one_wins,
    due_for_sweep_lists_the_people_due_on_or_before_the_day,
);

/// A [`DynamoStore`] on a new table in the emulator, and the counter of its requests.
async fn dynamo_store() -> (DynamoStore, RequestCounter) {
    let (clients, requests) = support::clients().await;
    let table = support::unique("samspil-test-people");
    create_table_for_tests(&clients.dynamodb, &table).await.expect("create the test table");
    requests.reset();
    (DynamoStore::new(clients.dynamodb, table, DEFAULT_RETENTION_DAYS), requests)
}

// ---------------------------------------------------------------------------------------------
// DynamoDB only: the item's shape and the request budget.

mod dynamo_only {
    use std::collections::HashMap;

    use aws_sdk_dynamodb::types::AttributeValue;
    use chrono::{Days, NaiveTime};

    use super::*;

    /// Writes an item as given, past the store: as older code or a damaged write left it.
    async fn put_raw_item(store: &DynamoStore, pk: String, version: &str, state: AttributeValue) {
        let (clients, _) = support::clients().await;
        clients
            .dynamodb
            .put_item()
            .table_name(store.table())
            .item("pk", AttributeValue::S(pk))
            .item("version", AttributeValue::N(version.into()))
            .item("state", state)
            .send()
            .await
            .expect("PutItem");
    }

    async fn raw_item(store: &DynamoStore, pk: &str) -> Option<HashMap<String, AttributeValue>> {
        let (clients, _) = support::clients().await;
        clients
            .dynamodb
            .get_item()
            .table_name(store.table())
            .key(KEY_ATTRIBUTE, AttributeValue::S(pk.to_string()))
            .consistent_read(true)
            .send()
            .await
            .expect("GetItem")
            .item
    }

    #[tokio::test]
    async fn the_item_is_keyed_by_the_person_key_never_the_cpr() {
        let (store, _) = dynamo_store().await;
        let key = person(CPR);
        store.save(&key, &open_state(CPR), None).await.expect("save");

        let pk = partition_key(&key);
        assert_eq!(pk, format!("person#{key}"));
        assert_eq!(key.to_hex().len(), 64);
        assert!(key.to_hex().chars().all(|c| c.is_ascii_hexdigit()), "the key is a hex HMAC");
        let item = raw_item(&store, &pk).await.expect("the item is stored under person#<hex>");
        assert_eq!(item.get("pk"), Some(&AttributeValue::S(pk.clone())));
        assert!(!pk.contains(CPR), "the partition key must not contain the CPR number");
        for name in item.keys() {
            assert!(!name.contains(CPR), "no attribute name may contain the CPR number");
        }
        let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["pk", "state", "version"], "an open period has no expires_at");
        assert_eq!(item.get("version"), Some(&AttributeValue::N("1".into())));
        assert!(raw_item(&store, &format!("person#{CPR}")).await.is_none());
        assert!(raw_item(&store, CPR).await.is_none());
    }

    #[tokio::test]
    async fn expires_at_is_set_exactly_while_every_period_is_closed() {
        let (store, _) = dynamo_store().await;
        let key = person(CPR);
        let pk = partition_key(&key);
        let expires_at = |item: &HashMap<String, AttributeValue>| item.get(TTL_ATTRIBUTE).cloned();

        store.save(&key, &open_state(CPR), None).await.expect("open");
        assert_eq!(expires_at(&raw_item(&store, &pk).await.expect("item")), None, "open period: no TTL");

        let closed = closed_state(CPR);
        let closed_on = closed.closed_since().expect("closed");
        store.save(&key, &closed, Some(1)).await.expect("closed");
        let expected = closed_on
            .checked_add_days(Days::new(u64::from(DEFAULT_RETENTION_DAYS)))
            .expect("date")
            .and_time(NaiveTime::MIN)
            .and_utc()
            .timestamp();
        assert_eq!(
            expires_at(&raw_item(&store, &pk).await.expect("item")),
            Some(AttributeValue::N(expected.to_string())),
            "closed: the day it closed + {DEFAULT_RETENTION_DAYS} days, epoch seconds"
        );

        // A new registration opens a period again: the TTL goes away.
        let reopened = support::History::new(CPR)
            .register("851", "2026-11-02")
            .job_exit("2026-12-01", "2026-11-05")
            .register("851", "2027-03-01")
            .state();
        assert!(reopened.closed_since().is_none(), "fixture: a period is open again");
        store.save(&key, &reopened, Some(2)).await.expect("reopened");
        assert_eq!(expires_at(&raw_item(&store, &pk).await.expect("item")), None, "reopened: no TTL");

        // The retention is the constructor's.
        let (clients, _) = support::clients().await;
        let short = DynamoStore::new(clients.dynamodb, store.table(), 30);
        let other = person(OTHER_CPR);
        let closed = closed_state(OTHER_CPR);
        let want = short.expires_at(&closed).expect("closed");
        short.save(&other, &closed, None).await.expect("save");
        let item = raw_item(&store, &partition_key(&other)).await.expect("item");
        assert_eq!(expires_at(&item), Some(AttributeValue::N(want.to_string())));
        // Both people's periods closed the same day.
        assert_eq!(want - expected, (30 - i64::from(DEFAULT_RETENTION_DAYS)) * 86_400);
    }

    #[tokio::test]
    async fn load_is_one_get_item_and_save_is_one_put_item() {
        let (store, requests) = dynamo_store().await;
        let key = person(CPR);

        assert!(store.load(&key).await.expect("load").is_none());
        assert_eq!(requests.snapshot(), [("GetItem".to_string(), 1)].into());
        requests.reset();

        store.save(&key, &open_state(CPR), None).await.expect("save");
        assert_eq!(requests.snapshot(), [("PutItem".to_string(), 1)].into());
        requests.reset();

        store.load(&key).await.expect("load").expect("stored");
        assert_eq!(requests.snapshot(), [("GetItem".to_string(), 1)].into());
        requests.reset();

        // A lost race costs its one PutItem too, and nothing else.
        assert!(matches!(store.save(&key, &open_state(CPR), None).await, Err(StoreError::Conflict { .. })));
        assert_eq!(requests.snapshot(), [("PutItem".to_string(), 1)].into());
    }

    /// Rule R12: the index attributes are on the item exactly while the state has `sweep_due`
    /// (a sparse index), and the listing is one `Query` per shard of the index, never a `Scan`.
    #[tokio::test]
    async fn the_sweep_index_is_sparse_and_listed_by_one_query_per_shard() {
        use samspil::aws::sweep_index::{SWEEP_DUE_ATTRIBUTE, SWEEP_SHARD_ATTRIBUTE, SWEEP_SHARDS, sweep_shard};
        let (store, requests) = dynamo_store().await;
        let key = person(CPR);
        let pk = partition_key(&key);
        let mut state = open_state(CPR);
        store.save(&key, &state, None).await.expect("not due");
        let item = raw_item(&store, &pk).await.expect("item");
        assert!(!item.contains_key(SWEEP_DUE_ATTRIBUTE) && !item.contains_key(SWEEP_SHARD_ATTRIBUTE), "not indexed");

        state.sweep_due = Some("2026-12-10".parse().expect("a date"));
        store.save(&key, &state, Some(1)).await.expect("due");
        let item = raw_item(&store, &pk).await.expect("item");
        assert_eq!(item.get(SWEEP_DUE_ATTRIBUTE), Some(&AttributeValue::S("2026-12-10".into())));
        assert_eq!(item.get(SWEEP_SHARD_ATTRIBUTE), Some(&AttributeValue::S(sweep_shard(&key))));

        requests.reset();
        let listed = store.due_for_sweep("2026-12-31".parse().expect("a date")).await.expect("listed");
        assert_eq!(listed, std::slice::from_ref(&key));
        assert_eq!(requests.snapshot(), [("Query".to_string(), u64::from(SWEEP_SHARDS))].into());

        state.sweep_due = None;
        store.save(&key, &state, Some(2)).await.expect("summoned");
        let item = raw_item(&store, &pk).await.expect("item");
        assert!(!item.contains_key(SWEEP_DUE_ATTRIBUTE) && !item.contains_key(SWEEP_SHARD_ATTRIBUTE), "unindexed");
    }

    #[tokio::test]
    async fn an_undecodable_item_is_corrupt_and_the_error_does_not_quote_it() {
        let (store, _) = dynamo_store().await;
        let key = person(CPR);
        put_raw_item(&store, partition_key(&key), "4", AttributeValue::S(format!(r#"{{"cpr": {CPR}}}"#))).await;
        match store.load(&key).await {
            Err(StoreError::Corrupt(message)) => assert!(!message.contains(&CPR[1..]), "message quotes the item"),
            other => panic!("expected Corrupt, got {}", if other.is_ok() { "Ok" } else { "another error" }),
        }
    }

    #[tokio::test]
    async fn an_item_written_as_json_is_read_and_the_next_save_stores_it_compact() {
        let (store, _) = dynamo_store().await;
        let key = person(CPR);
        let pk = partition_key(&key);
        let state = closed_state(CPR);
        // An item as the code before the compact encoding wrote it: the state's JSON in `state` (S).
        put_raw_item(&store, pk.clone(), "3", AttributeValue::S(serde_json::to_string(&state).expect("JSON"))).await;
        let stored = store.load(&key).await.expect("load").expect("stored");
        assert!(stored.version == 3 && stored.state == state, "the JSON item decodes to the state it holds");

        store.save(&key, &stored.state, Some(3)).await.expect("save");
        let item = raw_item(&store, &pk).await.expect("item");
        let Some(AttributeValue::B(bytes)) = item.get("state") else { panic!("the state is stored as binary (B)") };
        assert!(bytes.as_ref().len() < 200, "the compact state is small: {} bytes", bytes.as_ref().len());
        let again = store.load(&key).await.expect("load").expect("stored");
        assert!(again.version == 4 && again.state == state, "the compact item decodes to the same state");
    }

    #[tokio::test]
    async fn a_damaged_binary_state_is_corrupt() {
        let (store, _) = dynamo_store().await;
        let key = person(CPR);
        put_raw_item(
            &store,
            partition_key(&key),
            "1",
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(vec![1, 2, 7])),
        )
        .await;
        assert!(matches!(store.load(&key).await, Err(StoreError::Corrupt(_))));
    }

    #[tokio::test]
    async fn a_missing_table_is_unavailable() {
        let (clients, _) = support::clients().await;
        let store = DynamoStore::new(clients.dynamodb, support::unique("no-such-table"), DEFAULT_RETENTION_DAYS);
        assert!(matches!(store.load(&person(CPR)).await, Err(StoreError::Unavailable(_))));
        match store.save(&person(CPR), &open_state(CPR), None).await {
            Err(StoreError::Unavailable(message)) => assert!(!message.contains(CPR), "message contains the CPR"),
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_unreachable_endpoint_is_unavailable() {
        // A port nothing listens on: a dispatch (connection) failure, after the SDK's retries.
        let config = aws_sdk_dynamodb::config::Builder::from(&samspil::aws::sdk_config().await)
            .endpoint_url("http://127.0.0.1:9")
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .build();
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), "people", DEFAULT_RETENTION_DAYS);
        match store.load(&person(CPR)).await {
            Err(StoreError::Unavailable(message)) => assert!(message.contains("GetItem"), "{message}"),
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The code base, and the cold start.

/// The store's budget is one read and one write per message; a Scan would read every person.
/// Production code only: a test may inspect its own throw-away table however it likes.
#[test]
fn no_production_code_scans_a_table() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut offenders = Vec::new();
    let mut dirs = vec![root.join("shared"), root.join("functions"), root.join("cli")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !["target", "tests", "benches"].iter().any(|skip| path.ends_with(skip)) {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                if text.contains(".scan()") || text.contains("operation::scan") || text.contains("ScanInput") {
                    offenders.push(path.display().to_string());
                }
            }
        }
    }
    assert!(offenders.is_empty(), "DynamoDB Scan used in: {offenders:?}");
}

/// `sdk_config` and the clients are built in every Lambda cold start: they must not probe for
/// credentials or the region when the environment has them. The bound is loose enough for an
/// unoptimised build on a busy machine and still catches a probe of the instance metadata service;
/// the cold start's own figure comes from `make startup`, not from a timed test.
#[tokio::test]
async fn cold_start_config_is_cheap() {
    support::emulator();
    let started = std::time::Instant::now();
    let clients = samspil::aws::AwsClients::new(&samspil::aws::sdk_config().await);
    let first = started.elapsed();
    eprintln!("sdk_config() + AwsClients::new, first in this process: {first:?}");
    // One second: an unoptimised build on a machine busy compiling took up to 155 ms, while a
    // credential or region probe of the instance metadata service waits a second or more. How fast
    // a cold start really is, release build and idle machine, `make startup` measures (README).
    assert!(first < std::time::Duration::from_secs(1), "building the AWS clients took {first:?}");
    // And they work: one request end to end.
    clients.dynamodb.list_tables().limit(1).send().await.expect("ListTables");
}
