//! The key of a person's item in the DynamoDB table: `pk` = `person#` + the [`PersonKey`] (a hex
//! HMAC of the CPR number, never the number).
//!
//! The store writes and reads items by it, the sweep's index gives it back for every person it
//! lists, and the sealer binds a sealed CPR number to it: all three take the key's shape from here,
//! and this file needs none of them.

use crate::identity::PersonKey;

/// The partition key attribute.
pub const KEY_ATTRIBUTE: &str = "pk";
/// The prefix of every person's partition key.
pub const PERSON_KEY_PREFIX: &str = "person#";

/// The partition key value of a person's item: `person#<hex HMAC>`.
pub fn partition_key(person: &PersonKey) -> String {
    format!("{PERSON_KEY_PREFIX}{person}")
}
