//! The one-pass reading of an inbound body: the fast path of [`super::inbound::parse`].
//!
//! The strict reading ([`super::wire::Envelope`]) keeps `data` as a raw slice until `type` is
//! known and then deserializes that slice a second time into the struct for the type, so serde_json
//! scans every byte of `data` twice. Here the envelope members and `data` are read in one pass:
//! `data` goes into [`AnyData`], which has every `data` member of all four inbound types, because
//! `type` may come after `data` in the JSON and is not known while `data` is read.
//!
//! The reading is as lenient as the wire structs (every member an `Option<`[`Field`]`>` that
//! accepts any JSON value; `null` counts as missing; unknown members are skipped) but gives up more
//! often than the strict one: on a repeated member, a number beyond `f64` or a string with a lone
//! surrogate even in a `data` member the message's type does not use, and on a `data` that is
//! neither an object nor `null`. Whenever it gives up, the parser falls back to the strict reading,
//! which decides the answer. When it succeeds, the strict reading would have read the same members
//! with the same values: its members are a subset of these, each deserialized the same way (as an
//! `Option<Field>`), and everything else it only skips, which accepts all the JSON this reading
//! accepts. So the checks give the same result on either.
//!
//! The visitors are written by hand rather than derived so that they fill one [`OnePassEnvelope`]
//! in place: derived structs (with `data` a nested one) were moved, a few hundred bytes at a time,
//! through several `Result`s, and that cost as much as the second scan of `data` saved. Like the
//! derived visitors, they match keys with `match` and reject a repeated known member. They only
//! implement `visit_map`, so neither the body nor `data` is ever taken from a JSON array (a derived
//! struct visitor would take one as positional members).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::wire::Field;

/// The envelope members and `data`, read in one pass. `data` is read only when it is a JSON object
/// (`null` and absent are the same, as for the strict reading's raw `data`); anything else makes
/// the reading give up.
#[derive(Debug, Default)]
pub(crate) struct OnePassEnvelope<'a> {
    pub specversion: Option<Field<'a>>,
    pub id: Option<Field<'a>>,
    pub source: Option<Field<'a>>,
    pub event_type: Option<Field<'a>>,
    pub time: Option<Field<'a>>,
    pub datacontenttype: Option<Field<'a>>,
    /// Whether `data` is present and not `null`, and so an object whose members are in [`Self::data`].
    pub has_data: bool,
    pub data: AnyData<'a>,
}

/// The members of `data` of every inbound type at once.
#[derive(Debug, Default)]
pub(crate) struct AnyData<'a> {
    pub cpr: Option<Field<'a>>,
    pub municipality: Option<Field<'a>>,
    pub akasse: Option<Field<'a>>,
    pub registered_on: Option<Field<'a>>,
    pub prior_hours: Option<Field<'a>>,
    pub weekly_hours: Option<Field<'a>>,
    pub akasse_participation: Option<Field<'a>>,
    pub completed_on: Option<Field<'a>>,
    pub job_starts_on: Option<Field<'a>>,
    pub reason: Option<Field<'a>>,
}

/// Reads `body` in one pass, or `None` when this reading gives up (the strict reading then
/// decides).
pub(crate) fn read(body: &str) -> Option<OnePassEnvelope<'_>> {
    let mut envelope = OnePassEnvelope::default();
    let mut deserializer = serde_json::Deserializer::from_str(body);
    // `deserialize_map`, not `deserialize_struct`: a JSON array is not an envelope.
    (&mut deserializer).deserialize_map(EnvelopeVisitor(&mut envelope)).ok()?;
    deserializer.end().ok()?;
    Some(envelope)
}

const DATA: usize = 6;

fn envelope_key(key: &str) -> Option<usize> {
    Some(match key {
        "specversion" => 0,
        "id" => 1,
        "source" => 2,
        "type" => 3,
        "time" => 4,
        "datacontenttype" => 5,
        "data" => DATA,
        _ => return None,
    })
}

impl<'a> OnePassEnvelope<'a> {
    fn attribute(&mut self, key: usize) -> &mut Option<Field<'a>> {
        match key {
            0 => &mut self.specversion,
            1 => &mut self.id,
            2 => &mut self.source,
            3 => &mut self.event_type,
            4 => &mut self.time,
            _ => &mut self.datacontenttype,
        }
    }
}

fn data_key(key: &str) -> Option<usize> {
    Some(match key {
        "cpr" => 0,
        "municipality" => 1,
        "akasse" => 2,
        "registered_on" => 3,
        "prior_hours" => 4,
        "weekly_hours" => 5,
        "akasse_participation" => 6,
        "completed_on" => 7,
        "job_starts_on" => 8,
        "reason" => 9,
        _ => return None,
    })
}

impl<'a> AnyData<'a> {
    fn member(&mut self, key: usize) -> &mut Option<Field<'a>> {
        match key {
            0 => &mut self.cpr,
            1 => &mut self.municipality,
            2 => &mut self.akasse,
            3 => &mut self.registered_on,
            4 => &mut self.prior_hours,
            5 => &mut self.weekly_hours,
            6 => &mut self.akasse_participation,
            7 => &mut self.completed_on,
            8 => &mut self.job_starts_on,
            _ => &mut self.reason,
        }
    }
}

/// Deserializes a key into the index `self.0` gives it, `None` for a key samspil does not read.
#[derive(Clone, Copy)]
struct KeySeed<F>(F);

impl<'de, F: Fn(&str) -> Option<usize>> DeserializeSeed<'de> for KeySeed<F> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de, F: Fn(&str) -> Option<usize>> Visitor<'de> for KeySeed<F> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((self.0)(v))
    }
}

/// Reads the members of an object: `read` reads the value of each member `keys` knows, a repeated
/// one is an error, and the others are skipped, whatever they hold.
fn read_members<'de, A: MapAccess<'de>>(
    mut map: A,
    keys: impl Fn(&str) -> Option<usize> + Copy,
    mut read: impl FnMut(&mut A, usize) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    let mut seen = 0u32;
    while let Some(key) = map.next_key_seed(KeySeed(keys))? {
        let Some(key) = key else {
            map.next_value::<IgnoredAny>()?;
            continue;
        };
        if seen & (1 << key) != 0 {
            return Err(de::Error::custom("a member appears twice"));
        }
        seen |= 1 << key;
        read(&mut map, key)?;
    }
    Ok(())
}

struct EnvelopeVisitor<'m, 'a>(&'m mut OnePassEnvelope<'a>);

impl<'de: 'a, 'a> Visitor<'de> for EnvelopeVisitor<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudEvents JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let envelope = self.0;
        read_members(map, envelope_key, |map, key| {
            if key == DATA {
                map.next_value_seed(DataSeed(envelope))
            } else {
                *envelope.attribute(key) = map.next_value()?;
                Ok(())
            }
        })
    }
}

/// `data`: `null`, or an object read into [`OnePassEnvelope::data`].
struct DataSeed<'m, 'a>(&'m mut OnePassEnvelope<'a>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for DataSeed<'_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for DataSeed<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        // Only `visit_map`: any other JSON value makes the reading give up.
        deserializer.deserialize_map(DataVisitor(self.0))
    }
}

struct DataVisitor<'m, 'a>(&'m mut OnePassEnvelope<'a>);

impl<'de: 'a, 'a> Visitor<'de> for DataVisitor<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.0.has_data = true;
        let data = &mut self.0.data;
        read_members(map, data_key, |map, key| {
            *data.member(key) = map.next_value()?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_read_only_as_an_object() {
        let read_data = |data: &str| read(&format!(r#"{{"type":"t","data":{data}}}"#)).map(|e| e.has_data);
        assert_eq!(read_data(r#"{"cpr":"0101901111","reason":"job","other":[1e999]}"#), Some(true));
        assert_eq!(read_data("null"), Some(false));
        for not_an_object in [r#"["0101901111"]"#, "[]", r#""{}""#, "1", "true"] {
            assert_eq!(read_data(not_an_object), None, "{not_an_object}");
        }
        assert_eq!(read_data(r#"{"cpr":"0101901111","cpr":"0101901111"}"#), None, "a repeated member");
        assert_eq!(read_data(r#"{"municipality":1e999}"#), None, "a number beyond f64");
        assert!(read(r#"[null,"x"]"#).is_none(), "an array is not an envelope");
    }

    #[test]
    fn the_debug_output_shows_no_values() {
        let body = r#"{"id":"0101901111","data":{"cpr":"0101901111"}}"#;
        let shown = format!("{:?}", read(body).unwrap());
        assert!(!shown.contains("0101901111") && shown.contains("Str(<10 bytes>)"), "{shown}");
    }
}
