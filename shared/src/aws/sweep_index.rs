//! The DynamoDB side of rule R12's sweep: the sparse, sharded index `sweep-due` and its query.
//!
//! A person whose state has a `sweep_due` day (a plan awaiting its summons, or summonses written
//! but not yet known to be published) gets two extra attributes on their item, beside the state:
//!
//! | attribute | type | value |
//! |---|---|---|
//! | `sweep_shard` | S | one of [`SWEEP_SHARDS`] shards, `0` to `7`, derived from the person key |
//! | `sweep_due` | S | the day, `YYYY-MM-DD` (ISO dates sort as strings) |
//!
//! They are the key of the global secondary index [`SWEEP_INDEX`] (hash `sweep_shard`, range
//! `sweep_due`, projection `KEYS_ONLY`). An item without them is not in the index at all (a sparse
//! index): the sweep reads only the people it has something to do for, never the whole table, and
//! a person's next write without `sweep_due` takes them out again.
//!
//! **Why shards.** One GSI partition key value takes at most 1,000 writes per second; an index
//! keyed by the day alone would put every pending person of the country behind one such value, and
//! a burst of registrations (a queue backlog drained at full concurrency) would throttle the
//! table's own writes through the index. Eight shards give 8,000 writes per second of headroom for
//! the cost of eight `Query` calls per sweep (docs/operations.md, "The summons sweep").
//!
//! **The query.** [`due_for_sweep`] asks every shard for `sweep_due <= :today` ("due on or
//! before", so a day the schedule did not fire is caught up), page by page. The index is eventually
//! consistent: the sweep re-reads each person with a strongly consistent `GetItem` before acting.
//! No `Scan`, ever.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;

use super::describe;
use super::item_key::{KEY_ATTRIBUTE, PERSON_KEY_PREFIX};
use crate::identity::PersonKey;
use crate::pipeline::StoreError;

/// The name of the sparse global secondary index the sweep queries.
pub const SWEEP_INDEX: &str = "sweep-due";
/// The index's hash key attribute.
pub const SWEEP_SHARD_ATTRIBUTE: &str = "sweep_shard";
/// The index's range key attribute: the day the sweep must visit the person, `YYYY-MM-DD`.
pub const SWEEP_DUE_ATTRIBUTE: &str = "sweep_due";
/// How many shards the index spreads people over (see the module documentation).
pub const SWEEP_SHARDS: u8 = 8;

/// The shard of a person: their key's first hex digit modulo [`SWEEP_SHARDS`]. The key is an
/// HMAC, so people spread evenly; a person stays in one shard for good.
pub fn sweep_shard(person: &PersonKey) -> String {
    (person.first_digit() % SWEEP_SHARDS).to_string()
}

/// The index attributes of a person's item whose state has `sweep_due`: none when it is `None`,
/// so the index stays sparse.
pub fn index_attributes(person: &PersonKey, sweep_due: Option<NaiveDate>) -> Vec<(&'static str, AttributeValue)> {
    match sweep_due {
        None => Vec::new(),
        Some(day) => vec![
            (SWEEP_SHARD_ATTRIBUTE, AttributeValue::S(sweep_shard(person))),
            (SWEEP_DUE_ATTRIBUTE, AttributeValue::S(day.format("%Y-%m-%d").to_string())),
        ],
    }
}

/// Every person in `table` whose `sweep_due` is on or before `today`: one `Query` per shard on
/// [`SWEEP_INDEX`], following `LastEvaluatedKey` until each shard is done. Eventually consistent.
pub async fn due_for_sweep(client: &Client, table: &str, today: NaiveDate) -> Result<Vec<PersonKey>, StoreError> {
    let today = AttributeValue::S(today.format("%Y-%m-%d").to_string());
    let mut people = Vec::new();
    for shard in 0..SWEEP_SHARDS {
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let output = client
                .query()
                .table_name(table)
                .index_name(SWEEP_INDEX)
                .key_condition_expression("#shard = :shard AND #due <= :today")
                .expression_attribute_names("#shard", SWEEP_SHARD_ATTRIBUTE)
                .expression_attribute_names("#due", SWEEP_DUE_ATTRIBUTE)
                .expression_attribute_values(":shard", AttributeValue::S(shard.to_string()))
                .expression_attribute_values(":today", today.clone())
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| StoreError::Unavailable(describe("Query", &e, None)))?;
            for item in output.items() {
                people.push(person_of(item)?);
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
    }
    Ok(people)
}

/// The person key of an index item (`pk` = `person#<hex>`).
fn person_of(item: &HashMap<String, AttributeValue>) -> Result<PersonKey, StoreError> {
    match item.get(KEY_ATTRIBUTE) {
        Some(AttributeValue::S(pk)) => match pk.strip_prefix(PERSON_KEY_PREFIX) {
            Some(hex) => PersonKey::from_hex(hex).ok_or_else(|| {
                StoreError::Corrupt(format!("an item of index {SWEEP_INDEX} has a key that is not 64 hex digits"))
            }),
            _ => Err(StoreError::Corrupt(format!(
                "an item of index {SWEEP_INDEX} has a key without `{PERSON_KEY_PREFIX}`"
            ))),
        },
        _ => Err(StoreError::Corrupt(format!("an item of index {SWEEP_INDEX} has no string `{KEY_ATTRIBUTE}`"))),
    }
}

/// **Test support only**: the index as the SAM template declares it, for tests that create the
/// table themselves.
pub fn index_for_tests()
-> Result<(Vec<aws_sdk_dynamodb::types::AttributeDefinition>, aws_sdk_dynamodb::types::GlobalSecondaryIndex), String> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
        ScalarAttributeType,
    };
    let fail = |e: &dyn std::fmt::Display| format!("index {SWEEP_INDEX}: {e}");
    let definition =
        |name: &str| AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build();
    let key = |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
    let index = GlobalSecondaryIndex::builder()
        .index_name(SWEEP_INDEX)
        .key_schema(key(SWEEP_SHARD_ATTRIBUTE, KeyType::Hash).map_err(|e| fail(&e))?)
        .key_schema(key(SWEEP_DUE_ATTRIBUTE, KeyType::Range).map_err(|e| fail(&e))?)
        .projection(Projection::builder().projection_type(ProjectionType::KeysOnly).build())
        .build()
        .map_err(|e| fail(&e))?;
    let definitions = vec![
        definition(SWEEP_SHARD_ATTRIBUTE).map_err(|e| fail(&e))?,
        definition(SWEEP_DUE_ATTRIBUTE).map_err(|e| fail(&e))?,
    ];
    Ok((definitions, index))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key whose hex starts with `start`, padded with zeros.
    fn key(start: &str) -> PersonKey {
        PersonKey::from_hex(&format!("{start:0<64}")).unwrap()
    }

    #[test]
    fn shards_spread_over_all_eight_and_stay_put() {
        let shards: std::collections::BTreeSet<String> =
            "0123456789abcdef".chars().map(|c| sweep_shard(&key(&format!("{c}00")))).collect();
        assert_eq!(shards.len(), usize::from(SWEEP_SHARDS));
        let person = key("c0ffee");
        assert_eq!(sweep_shard(&person), sweep_shard(&person));
        assert_eq!(sweep_shard(&person), "4");
    }

    #[test]
    fn only_a_state_with_sweep_due_is_indexed() {
        let person = key("a1");
        assert!(index_attributes(&person, None).is_empty());
        let day = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
        let attributes = index_attributes(&person, Some(day));
        assert_eq!(
            attributes,
            vec![
                (SWEEP_SHARD_ATTRIBUTE, AttributeValue::S("2".into())),
                (SWEEP_DUE_ATTRIBUTE, AttributeValue::S("2027-01-04".into()))
            ]
        );
    }

    #[test]
    fn index_items_give_back_the_person_key() {
        let item = HashMap::from([(KEY_ATTRIBUTE.to_string(), AttributeValue::S(format!("person#{}", key("abc"))))]);
        assert_eq!(person_of(&item).unwrap(), key("abc"));
        let short = HashMap::from([(KEY_ATTRIBUTE.to_string(), AttributeValue::S("person#abc".into()))]);
        assert!(matches!(person_of(&short), Err(StoreError::Corrupt(_))));
        let bad = HashMap::from([(KEY_ATTRIBUTE.to_string(), AttributeValue::S("other#abc".into()))]);
        assert!(matches!(person_of(&bad), Err(StoreError::Corrupt(_))));
    }
}
