//! Keyed hashes that stand in for CPR numbers wherever a key is needed.
//!
//! A person's state is stored under `HMAC-SHA256(secret, cpr)`, never under the CPR number itself,
//! and meeting ids are derived from that key, so neither a storage key nor a meeting id reveals
//! the number (rule R11). The secret comes from configuration; see `docs/operations.md` for what
//! rotating it implies.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::contract::{Cpr, MeetingKind};

/// The storage key of one person: the HMAC of the CPR number.
///
/// Held as the 32 MAC bytes (no heap allocation per key, per copy or per map entry); written out as
/// 64 lowercase hex digits wherever a text is needed (the DynamoDB key, `Display`, `Debug`). Bytes
/// order like their hex digits, so ordered indexes keep the order of the hex keys.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonKey([u8; 32]);

impl PersonKey {
    /// The key as 64 lowercase hex digits, as stored.
    pub fn to_hex(&self) -> String {
        lower_hex(&self.0)
    }

    /// The hex digits written into a stack buffer (no allocation).
    fn hex_digits(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        hex::encode_to_slice(self.0, &mut out).expect("64 hex digits for 32 bytes");
        out
    }

    /// The first hex digit of the key, 0 to 15 (the high half of the first byte).
    pub fn first_digit(&self) -> u8 {
        self.0[0] >> 4
    }

    /// Reads a key back from storage: 64 hex digits. `None` when it is anything else.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex, &mut bytes).ok()?;
        Some(PersonKey(bytes))
    }
}

impl fmt::Debug for PersonKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonKey({self})")
    }
}

impl fmt::Display for PersonKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.hex_digits();
        f.write_str(std::str::from_utf8(&digits).expect("hex digits are ASCII"))
    }
}

/// Derives [`PersonKey`]s with one secret. Keyed once; each key is a cheap clone of the keyed MAC.
#[derive(Clone)]
pub struct PersonKeyer {
    mac: Hmac<Sha256>,
}

impl fmt::Debug for PersonKeyer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonKeyer(<secret>)")
    }
}

impl PersonKeyer {
    /// A keyer for `secret`. HMAC accepts keys of any length; an empty secret is refused because
    /// it would make keys guessable from CPR numbers alone.
    pub fn new(secret: &[u8]) -> Result<Self, EmptySecret> {
        if secret.is_empty() {
            return Err(EmptySecret);
        }
        let mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
        Ok(PersonKeyer { mac })
    }

    /// The storage key of the person with this CPR number.
    pub fn key(&self, cpr: &Cpr) -> PersonKey {
        let mut mac = self.mac.clone();
        mac.update(cpr.expose().as_bytes());
        PersonKey(mac.finalize().into_bytes().into())
    }

    /// A MAC under the same secret for another purpose: `HMAC(secret, purpose ‖ ...)`, the caller
    /// writing the rest. `purpose` must not be ten digits long, so that no input of it can ever be
    /// a CPR number's (the seal of dead letters, [`crate::senders::ProvenanceSeal`], uses it).
    pub(crate) fn mac_for(&self, purpose: &[u8]) -> Hmac<Sha256> {
        debug_assert!(purpose.len() > 10, "a purpose longer than a CPR number");
        let mut mac = self.mac.clone();
        mac.update(purpose);
        mac
    }
}

/// The HMAC secret was empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the HMAC secret for person keys is empty")]
pub struct EmptySecret;

/// The stable id of a meeting: a hash of the person key, the day the period opened and the kind.
///
/// Stable for a given person, period and meeting kind (rule R11), and reveals nothing about the
/// CPR number because the person key is itself a keyed hash. 128 bits, as 32 hex digits.
pub fn meeting_id(person: &PersonKey, period_start: chrono::NaiveDate, kind: MeetingKind) -> String {
    let kind = match kind {
        MeetingKind::FirstJoint => "first_joint",
    };
    let mut hash = Sha256::new();
    hash.update(b"samspil/meeting/v1\0");
    hash.update(person.hex_digits());
    hash.update(b"\0");
    hash.update(iso_date(period_start, &mut [0; 10]).as_ref());
    hash.update(b"\0");
    hash.update(kind.as_bytes());
    let digest = hash.finalize();
    lower_hex(&digest[..16])
}

/// `day` as chrono's `Display` writes it, into `buf` for the years 0 to 9999 (`YYYY-MM-DD`):
/// without a `String` or the formatter, which showed in the profile of every new meeting.
fn iso_date(day: chrono::NaiveDate, buf: &mut [u8; 10]) -> std::borrow::Cow<'_, [u8]> {
    use chrono::Datelike;
    let year = day.year();
    if !(0..=9999).contains(&year) {
        return std::borrow::Cow::Owned(day.to_string().into_bytes());
    }
    fn digits(mut value: u32, into: &mut [u8]) {
        for digit in into.iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    digits(year as u32, &mut buf[0..4]);
    buf[4] = b'-';
    digits(day.month(), &mut buf[5..7]);
    buf[7] = b'-';
    digits(day.day(), &mut buf[8..10]);
    std::borrow::Cow::Borrowed(&buf[..])
}

/// `bytes` as lowercase hex digits. Writes them in one go (the `hex` crate's `encode` pushes them
/// one `char` at a time, which showed in the profile of every load of a state).
pub(crate) fn lower_hex(bytes: &[u8]) -> String {
    let mut digits = vec![0; bytes.len() * 2];
    hex::encode_to_slice(bytes, &mut digits).expect("two digits a byte");
    String::from_utf8(digits).expect("hex digits are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_written_as_chrono_writes_it() {
        use chrono::Datelike;
        let mut day = chrono::NaiveDate::from_ymd_opt(1999, 12, 25).unwrap();
        while day.year() < 2101 {
            assert_eq!(iso_date(day, &mut [0; 10]).as_ref(), day.to_string().as_bytes());
            day = day + chrono::Days::new(1);
        }
        for day in [chrono::NaiveDate::MIN, chrono::NaiveDate::MAX, chrono::NaiveDate::from_ymd_opt(0, 1, 1).unwrap()] {
            assert_eq!(iso_date(day, &mut [0; 10]).as_ref(), day.to_string().as_bytes());
        }
        let before_year_0 = chrono::NaiveDate::from_ymd_opt(-1, 12, 31).unwrap();
        assert_eq!(iso_date(before_year_0, &mut [0; 10]).as_ref(), before_year_0.to_string().as_bytes());
        let year_9999 = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
        assert_eq!(iso_date(year_9999, &mut [0; 10]).as_ref(), b"9999-12-31");
    }

    fn cpr(s: &str) -> Cpr {
        Cpr::new_unchecked(s)
    }

    #[test]
    fn keys_depend_on_secret_and_number_and_hide_the_number() {
        let a = PersonKeyer::new(b"secret-a").unwrap();
        let b = PersonKeyer::new(b"secret-b").unwrap();
        let k1 = a.key(&cpr("0101901234"));
        assert_eq!(k1, a.key(&cpr("0101901234")));
        assert_ne!(k1, a.key(&cpr("0101901235")));
        assert_ne!(k1, b.key(&cpr("0101901234")));
        assert_eq!(k1.to_hex().len(), 64);
        assert!(!k1.to_hex().contains("0101901234"));
        assert_eq!(PersonKey::from_hex(&k1.to_hex()), Some(k1));
        assert_eq!(k1.to_string(), k1.to_hex());
        assert_eq!(PersonKey::from_hex("abc"), None);
    }

    #[test]
    fn empty_secret_is_refused() {
        assert_eq!(PersonKeyer::new(b"").unwrap_err(), EmptySecret);
    }

    #[test]
    fn meeting_ids_are_stable_per_period_and_differ_between_periods() {
        let keyer = PersonKeyer::new(b"s").unwrap();
        let p = keyer.key(&cpr("0101901234"));
        let d1 = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let d2 = chrono::NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let id = meeting_id(&p, d1, MeetingKind::FirstJoint);
        assert_eq!(id, meeting_id(&p, d1, MeetingKind::FirstJoint));
        assert_ne!(id, meeting_id(&p, d2, MeetingKind::FirstJoint));
        assert_eq!(id.len(), 32);
        assert!(!id.contains("0101901234"));
    }
}
