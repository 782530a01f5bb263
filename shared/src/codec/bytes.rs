//! The primitives of the compact state encoding: LEB128 varints, zigzag deltas, days, short codes
//! and message ids, written to a `Vec<u8>` and read back from a slice with positioned errors.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use compact_str::CompactString;

use super::error::CodecError;
use crate::identity::lower_hex;

/// Day 0 of every encoded date: 2000-01-01. Dates are stored as days from it (absolute dates) or
/// from another date of the same record (deltas), both zigzag varints: a date between 1978 and
/// 2022 takes 2 bytes, any other day of this century 3.
const EPOCH_DAYS_FROM_CE: i32 = 730_120;

/// Writes at the end of a growing buffer.
#[derive(Debug)]
pub struct Writer<'a> {
    pub buf: &'a mut Vec<u8>,
}

impl Writer<'_> {
    pub fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    pub fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    pub fn signed(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.buf.extend_from_slice(b);
    }

    /// An absolute day.
    pub fn date(&mut self, d: NaiveDate) {
        self.signed(i64::from(d.num_days_from_ce() - EPOCH_DAYS_FROM_CE));
    }

    /// A day as its distance from `base`.
    pub fn date_from(&mut self, d: NaiveDate, base: NaiveDate) {
        self.signed((d - base).num_days());
    }

    /// An instant as seconds from the start of `base` (UTC), with a flag for a sub-second part.
    pub fn instant_from(&mut self, t: DateTime<Utc>, base: NaiveDate) {
        let start = base.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
        let seconds = t.timestamp() - start.timestamp();
        let nanos = t.timestamp_subsec_nanos();
        let zigzag = ((seconds << 1) ^ (seconds >> 63)) as u64;
        self.varint((zigzag << 1) | u64::from(nanos != 0));
        if nanos != 0 {
            self.varint(u64::from(nanos));
        }
    }

    /// A kommunekode or a-kasse number: three ASCII digits as their value (0 to 999), anything
    /// else (only ever in states stored by older code) as 1000 + its length, then its bytes.
    pub fn code(&mut self, s: &str) {
        let b = s.as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_digit) {
            self.varint(b.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')));
        } else {
            self.varint(1000 + b.len() as u64);
            self.buf.extend_from_slice(b);
        }
    }

    /// A message or meeting id. Header `length * 4 + form`: form 0 is the UTF-8 text, form 1 an
    /// even-length lowercase hex string as its bytes, form 2 a lowercase UUID
    /// (8-4-4-4-12 hex digits) as its 16 bytes.
    pub fn id(&mut self, s: &str) {
        if let Some(raw) = uuid_bytes(s) {
            self.varint(16 * 4 + 2);
            self.buf.extend_from_slice(&raw);
        } else if !s.is_empty()
            && s.len().is_multiple_of(2)
            && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            self.varint((s.len() / 2) as u64 * 4 + 1);
            let start = self.buf.len();
            self.buf.resize(start + s.len() / 2, 0);
            for (byte, pair) in self.buf[start..].iter_mut().zip(s.as_bytes().chunks_exact(2)) {
                *byte = (nibble(pair[0]) << 4) | nibble(pair[1]);
            }
        } else {
            self.varint(s.len() as u64 * 4);
            self.buf.extend_from_slice(s.as_bytes());
        }
    }

    /// Hours: a whole number as `2n`, anything else as 1 and the 8 bytes of the `f64`.
    pub fn hours(&mut self, h: f64) {
        if h.fract() == 0.0 && (0.0..4.0e15).contains(&h) {
            self.varint((h as u64) << 1);
        } else {
            self.varint(1);
            self.buf.extend_from_slice(&h.to_le_bytes());
        }
    }
}

fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        _ => c - b'a' + 10,
    }
}

fn uuid_bytes(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let mut out = [0u8; 16];
    let mut digits = b.iter().filter(|&&c| c != b'-');
    for byte in &mut out {
        let (hi, lo) = (*digits.next()?, *digits.next()?);
        if !(hi.is_ascii_digit() || (b'a'..=b'f').contains(&hi))
            || !(lo.is_ascii_digit() || (b'a'..=b'f').contains(&lo))
        {
            return None;
        }
        *byte = (nibble(hi) << 4) | nibble(lo);
    }
    Some(out)
}

/// Reads a slice front to back; every error says at which byte.
#[derive(Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    pub at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, at: 0 }
    }

    pub fn is_done(&self) -> bool {
        self.at == self.data.len()
    }

    pub fn fail(&self, what: &'static str) -> CodecError {
        CodecError::Invalid { what, at: self.at }
    }

    pub fn byte(&mut self) -> Result<u8, CodecError> {
        let b = *self.data.get(self.at).ok_or(CodecError::Truncated { at: self.at })?;
        self.at += 1;
        Ok(b)
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end =
            self.at.checked_add(n).filter(|&e| e <= self.data.len()).ok_or(CodecError::Truncated { at: self.at })?;
        let out = &self.data[self.at..end];
        self.at = end;
        Ok(out)
    }

    pub fn varint(&mut self) -> Result<u64, CodecError> {
        let start = self.at;
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(CodecError::Invalid { what: "varint", at: start })
    }

    /// A varint that must fit `T` (a count, a sequence, an index).
    pub fn small<T: TryFrom<u64>>(&mut self, what: &'static str) -> Result<T, CodecError> {
        let at = self.at;
        T::try_from(self.varint()?).map_err(|_| CodecError::Invalid { what, at })
    }

    pub fn signed(&mut self) -> Result<i64, CodecError> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    pub fn string(&mut self, what: &'static str) -> Result<CompactString, CodecError> {
        let n = self.small::<usize>(what)?;
        let at = self.at;
        let b = self.take(n)?;
        CompactString::from_utf8(b).map_err(|_| CodecError::Invalid { what, at })
    }

    pub fn date(&mut self) -> Result<NaiveDate, CodecError> {
        let at = self.at;
        let days = self.signed()?;
        i32::try_from(days)
            .ok()
            .and_then(|d| d.checked_add(EPOCH_DAYS_FROM_CE))
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .ok_or(CodecError::Invalid { what: "date", at })
    }

    pub fn date_from(&mut self, base: NaiveDate) -> Result<NaiveDate, CodecError> {
        let at = self.at;
        let days = self.signed()?;
        chrono::TimeDelta::try_days(days)
            .and_then(|delta| base.checked_add_signed(delta))
            .ok_or(CodecError::Invalid { what: "date", at })
    }

    pub fn instant_from(&mut self, base: NaiveDate) -> Result<DateTime<Utc>, CodecError> {
        let at = self.at;
        let v = self.varint()?;
        let zigzag = v >> 1;
        let seconds = ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
        let nanos = if v & 1 == 1 { self.small::<u32>("time")? } else { 0 };
        let start = base.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp();
        seconds
            .checked_add(start)
            .and_then(|s| DateTime::from_timestamp(s, nanos))
            .filter(|_| nanos < 1_000_000_000)
            .ok_or(CodecError::Invalid { what: "time", at })
    }

    pub fn code(&mut self) -> Result<CompactString, CodecError> {
        let at = self.at;
        match self.varint()? {
            n @ 0..1000 => {
                let digits = [(n / 100) as u8, (n / 10 % 10) as u8, (n % 10) as u8].map(|d| b'0' + d);
                Ok(CompactString::from_utf8(digits).expect("ASCII digits"))
            }
            n => {
                let len = usize::try_from(n - 1000).map_err(|_| self.fail("code"))?;
                let b = self.take(len)?;
                CompactString::from_utf8(b).map_err(|_| CodecError::Invalid { what: "code", at })
            }
        }
    }

    /// A message id, as [`Writer::id`] wrote it.
    pub fn id(&mut self) -> Result<CompactString, CodecError> {
        match self.raw_id()? {
            (0, text, at) => CompactString::from_utf8(text).map_err(|_| CodecError::Invalid { what: "id", at }),
            (form, digits, at) => Ok(CompactString::from(hex_id(form, digits, at)?)),
        }
    }

    /// A meeting id (32 hex digits, longer than a `CompactString` keeps inline), as [`Writer::id`]
    /// wrote it.
    pub fn meeting_id(&mut self) -> Result<String, CodecError> {
        match self.raw_id()? {
            (0, text, at) => String::from_utf8(text.to_vec()).map_err(|_| CodecError::Invalid { what: "id", at }),
            (form, digits, at) => hex_id(form, digits, at),
        }
    }

    /// An id's form, its bytes and where it starts.
    fn raw_id(&mut self) -> Result<(u64, &'a [u8], usize), CodecError> {
        let at = self.at;
        let header = self.varint()?;
        let len = usize::try_from(header >> 2).map_err(|_| self.fail("id"))?;
        Ok((header & 3, self.take(len)?, at))
    }

    pub fn hours(&mut self) -> Result<f64, CodecError> {
        let v = self.varint()?;
        if v & 1 == 0 {
            return Ok((v >> 1) as f64);
        }
        let b = self.take(8)?;
        Ok(f64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
}

/// The text of an id of form 1 (hex) or 2 (UUID).
fn hex_id(form: u64, b: &[u8], at: usize) -> Result<String, CodecError> {
    match form {
        1 => Ok(lower_hex(b)),
        2 if b.len() == 16 => {
            let h = lower_hex(b);
            Ok([&h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]].join("-"))
        }
        _ => Err(CodecError::Invalid { what: "id", at }),
    }
}
