//! [`DynamoStore`]: the [`Store`] port on a DynamoDB table.
//!
//! One item per person:
//!
//! | attribute | type | value |
//! |---|---|---|
//! | `pk` | S | `person#` + the [`PersonKey`] (a hex HMAC of the CPR number, never the number; [`super::item_key`]) |
//! | `version` | N | 1 for the first write, then +1 per write: the optimistic-concurrency guard |
//! | `state` | B | the compact encoding of [`PersonState`] ([`crate::codec`]); S, its JSON, in items written before |
//! | `expires_at` | N | the TTL attribute, epoch seconds; only when every period is closed |
//! | `sweep_shard`, `sweep_due` | S | rule R12: only while the state has `sweep_due`, the key of the sparse index `sweep-due` ([`super::sweep_index`]) |
//!
//! **Requests.** [`Store::load`] is one `GetItem` with `ConsistentRead`; [`Store::save`] is one
//! `PutItem` whose condition is `attribute_not_exists(pk)` for a first write and `#version = :v`
//! otherwise. [`Store::due_for_sweep`] queries the index `sweep-due`, one `Query` per shard
//! ([`super::sweep_index`]). Nothing here scans the table.
//!
//! **Size.** DynamoDB bills a write per started kilobyte of the item (names and values of its
//! attributes, [`item_size`]), so the state is stored in the compact binary encoding of
//! [`crate::codec`]: a typical person's item is about a quarter of a kilobyte. Items written before
//! hold the state's JSON as a string; [`Store::load`] reads both, and the next write of the person
//! replaces the JSON.
//!
//! **Retention.** Personal data must not be kept longer than needed. When the person's last period
//! has closed ([`PersonState::closed_since`]), the item gets `expires_at` = that day +
//! `retention_days` (default [`DEFAULT_RETENTION_DAYS`] = 400: a year plus a margin for late
//! messages and complaints), and DynamoDB's TTL deletes it some time after that. A new fact for the
//! person rewrites the item, and `expires_at` disappears again while a period is open. (The
//! emulator stores TTL but never expires items; tests check the attribute, not the deletion.)
//!
//! **Errors.** A failed condition is [`StoreError::Conflict`]. Everything else the service or the
//! network does (throttling, timeouts, 5xx, connection failures, and also a missing table or denied
//! access, which an operator fixes while SQS keeps retrying) is [`StoreError::Unavailable`]. An
//! item that does not decode is [`StoreError::Corrupt`]. Messages never carry the state: decoding
//! errors give positions, not values, and the CPR number is blanked out of service messages.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Days, NaiveDate};

use super::describe;
use super::item_key::{KEY_ATTRIBUTE, partition_key};
use crate::codec;
use crate::domain::PersonState;
use crate::identity::PersonKey;
use crate::pipeline::{Store, StoreError, Stored};

/// How long a person's data is kept after their last period closed, unless configured otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 400;

/// The version attribute.
pub const VERSION_ATTRIBUTE: &str = "version";
/// The attribute holding the state: binary ([`crate::codec`]), or JSON text in older items.
pub const STATE_ATTRIBUTE: &str = "state";
/// The TTL attribute, in epoch seconds.
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// A [`Store`] on one DynamoDB table with partition key `pk` (S).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    retention_days: u32,
}

impl DynamoStore {
    /// A store on `table`, keeping a closed person's data for `retention_days` after the last
    /// period closed (see [`DEFAULT_RETENTION_DAYS`]).
    pub fn new(client: Client, table: impl Into<String>, retention_days: u32) -> Self {
        DynamoStore { client, table: table.into(), retention_days }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn retention_days(&self) -> u32 {
        self.retention_days
    }

    /// The item that stores `state` for `person` at `version`, as [`Store::save`] writes it.
    pub fn item(&self, person: &PersonKey, state: &PersonState, version: u64) -> HashMap<String, AttributeValue> {
        let mut item = HashMap::with_capacity(6);
        item.insert(KEY_ATTRIBUTE.to_string(), AttributeValue::S(partition_key(person)));
        item.insert(VERSION_ATTRIBUTE.to_string(), AttributeValue::N(version.to_string()));
        item.insert(STATE_ATTRIBUTE.to_string(), AttributeValue::B(Blob::new(codec::encode(person, state))));
        if let Some(expires_at) = self.expires_at(state) {
            item.insert(TTL_ATTRIBUTE.to_string(), AttributeValue::N(expires_at.to_string()));
        }
        for (name, value) in super::sweep_index::index_attributes(person, state.sweep_due) {
            item.insert(name.to_string(), value);
        }
        item
    }

    /// The TTL of an item holding `state`, in epoch seconds: the start of the day `retention_days`
    /// after the last period closed, or `None` while a period is open.
    pub fn expires_at(&self, state: &PersonState) -> Option<i64> {
        expiry(state.closed_since()?, self.retention_days)
    }
}

fn expiry(closed_since: NaiveDate, retention_days: u32) -> Option<i64> {
    let day = closed_since.checked_add_days(Days::new(u64::from(retention_days)))?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
}

impl Store for DynamoStore {
    async fn load(&self, person: &PersonKey) -> Result<Option<Stored>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(partition_key(person)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(describe("GetItem", &e, None)))?;
        match output.item {
            None => Ok(None),
            Some(item) => decode(person, &item).map(Some),
        }
    }

    async fn save(&self, person: &PersonKey, state: &PersonState, expected: Option<u64>) -> Result<u64, StoreError> {
        let version = expected.map_or(1, |v| v + 1);
        let mut request =
            self.client.put_item().table_name(&self.table).set_item(Some(self.item(person, state, version)));
        request = match expected {
            None => request.condition_expression("attribute_not_exists(pk)"),
            Some(current) => request
                .condition_expression("#version = :expected")
                .expression_attribute_names("#version", VERSION_ATTRIBUTE)
                .expression_attribute_values(":expected", AttributeValue::N(current.to_string())),
        };
        match request.send().await {
            Ok(_) => Ok(version),
            Err(SdkError::ServiceError(e)) if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) => {
                Err(StoreError::Conflict { expected })
            }
            Err(e) => Err(StoreError::Unavailable(describe("PutItem", &e, None))),
        }
    }

    async fn due_for_sweep(&self, today: NaiveDate) -> Result<Vec<PersonKey>, StoreError> {
        super::sweep_index::due_for_sweep(&self.client, &self.table, today).await
    }

    async fn policies_mark(&self) -> Result<Option<String>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(POLICIES_MARK_KEY.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(describe("GetItem", &e, None)))?;
        Ok(output.item.and_then(|item| match item.get(FINGERPRINT_ATTRIBUTE) {
            Some(AttributeValue::S(fingerprint)) => Some(fingerprint.clone()),
            _ => None,
        }))
    }

    async fn set_policies_mark(&self, fingerprint: &str) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(KEY_ATTRIBUTE, AttributeValue::S(POLICIES_MARK_KEY.to_owned()))
            .item(FINGERPRINT_ATTRIBUTE, AttributeValue::S(fingerprint.to_owned()))
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(describe("PutItem", &e, None)))?;
        Ok(())
    }
}

/// The key of the one item that is not a person's: the sweep's [`Store::policies_mark`]. It has no
/// `sweep_due` (so it is in no index) and no TTL.
pub const POLICIES_MARK_KEY: &str = "sweep#policies";
/// The mark item's attribute holding the fingerprint.
const FINGERPRINT_ATTRIBUTE: &str = "fingerprint";

/// The size DynamoDB bills an item by: the UTF-8 length of every attribute name plus the size of
/// its value (a string's UTF-8 length, a binary's length, a number's 1 byte plus 1 per two
/// significant digits). A write costs one write unit per started 1,024 bytes.
pub fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter()
        .map(|(name, value)| {
            name.len()
                + match value {
                    AttributeValue::S(s) => s.len(),
                    AttributeValue::B(b) => b.as_ref().len(),
                    AttributeValue::N(n) => {
                        let digits = n.trim_start_matches('-').replace('.', "");
                        let significant = digits.trim_start_matches('0').trim_end_matches('0').len().max(1);
                        1 + significant.div_ceil(2)
                    }
                    _ => 0,
                }
        })
        .sum()
}

/// Reads an item back. Errors name the attribute and the position, never a value.
fn decode(person: &PersonKey, item: &HashMap<String, AttributeValue>) -> Result<Stored, StoreError> {
    let version = match item.get(VERSION_ATTRIBUTE) {
        Some(AttributeValue::N(n)) => n
            .parse::<u64>()
            .map_err(|_| StoreError::Corrupt("attribute `version` is not a whole number".to_string()))?,
        Some(_) => return Err(StoreError::Corrupt("attribute `version` is not a number (N)".to_string())),
        None => return Err(StoreError::Corrupt("attribute `version` is missing".to_string())),
    };
    let state = match item.get(STATE_ATTRIBUTE) {
        Some(AttributeValue::B(bytes)) => codec::decode(person, bytes.as_ref())
            .map_err(|e| StoreError::Corrupt(format!("attribute `state` does not decode: {e}")))?,
        Some(AttributeValue::S(json)) => decode_json(json)?,
        Some(_) => return Err(StoreError::Corrupt("attribute `state` is neither binary (B) nor a string (S)".into())),
        None => return Err(StoreError::Corrupt("attribute `state` is missing".to_string())),
    };
    Ok(Stored { state, version })
}

/// The JSON state of an item written before the compact encoding.
fn decode_json(json: &str) -> Result<PersonState, StoreError> {
    serde_json::from_str(json).map_err(|e| {
        // serde_json's own message can quote the offending value: report only where it is.
        StoreError::Corrupt(format!(
            "attribute `state` does not decode ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

/// **Test support only**: creates a table shaped like the one the SAM template deploys (on-demand,
/// partition key `pk` of type S, TTL on `expires_at`, the sweep's index
/// [`super::sweep_index::SWEEP_INDEX`]), for tests against the emulator. Production
/// tables come from the template, never from this function.
pub async fn create_table_for_tests(client: &Client, name: &str) -> Result<(), String> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TimeToLiveSpecification,
    };
    let fail = |e: &dyn std::fmt::Display| format!("creating test table {name}: {e}");
    let key_definition = AttributeDefinition::builder()
        .attribute_name(KEY_ATTRIBUTE)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| fail(&e))?;
    let key_schema = KeySchemaElement::builder()
        .attribute_name(KEY_ATTRIBUTE)
        .key_type(KeyType::Hash)
        .build()
        .map_err(|e| fail(&e))?;
    let (index_definitions, index) = super::sweep_index::index_for_tests()?;
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some([vec![key_definition], index_definitions].concat()))
        .key_schema(key_schema)
        .global_secondary_indexes(index)
        .send()
        .await
        .map_err(|e| fail(&DisplayErrorContext(&e)))?;
    let ttl =
        TimeToLiveSpecification::builder().attribute_name(TTL_ATTRIBUTE).enabled(true).build().map_err(|e| fail(&e))?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|e| fail(&DisplayErrorContext(&e)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_the_start_of_the_day_retention_days_after_closing() {
        let closed = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        // 2027-01-01 + 400 days = 2028-02-05, 00:00 UTC.
        assert_eq!(expiry(closed, DEFAULT_RETENTION_DAYS), Some(1_833_321_600));
        assert_eq!(expiry(closed, 0), Some(1_798_761_600));
    }

    #[test]
    fn corrupt_items_are_reported_without_their_contents() {
        let mut item = HashMap::new();
        item.insert(VERSION_ATTRIBUTE.to_string(), AttributeValue::N("3".into()));
        item.insert(STATE_ATTRIBUTE.to_string(), AttributeValue::S(r#"{"cpr": 101901234}"#.into()));
        let person = PersonKey::from_hex(&"ab".repeat(32)).unwrap();
        let StoreError::Corrupt(message) = decode(&person, &item).unwrap_err() else { panic!("expected Corrupt") };
        assert!(!message.contains("101901234"), "{message}");

        item.insert(VERSION_ATTRIBUTE.to_string(), AttributeValue::S("3".into()));
        assert!(matches!(decode(&person, &item), Err(StoreError::Corrupt(_))));
        item.remove(VERSION_ATTRIBUTE);
        assert!(matches!(decode(&person, &item), Err(StoreError::Corrupt(_))));
    }
}
