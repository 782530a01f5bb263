//! The compact stored encoding of a [`PersonState`]: what the DynamoDB item's `state` attribute
//! holds, as a binary (B) value.
//!
//! DynamoDB bills a write per started kilobyte of the item, and the JSON of a state repeats every
//! member name, writes dates and codes as strings and meeting ids as 32 hex digits. This encoding
//! writes each value once, in as few bytes as it needs (`docs/decisions.md`, "Compact stored
//! state"); a typical person's item drops from about 1 KB to about 250 bytes.
//!
//! **Layout** (format 1). One format byte (`1`), then the state's fields as *tagged sections* in
//! rising tag order, then tag 0:
//!
//! | tag | section | content |
//! |---|---|---|
//! | 1 | sources | the distinct CloudEvents `source`s of the facts, each as length + UTF-8 |
//! | 2 | facts | count, then each fact (`fact.rs`), in arrival order |
//! | 3 | meetings | count, then each meeting (`meeting.rs`) |
//! | 4 | folded_until | the horizon of the folded periods, a date ([`crate::domain::compaction`]) |
//! | 5 | sweep_due | rule R12: the day the sweep must visit the person, a date |
//! | 6 | pending_cpr | rule R12: the sealed CPR number, as length + the sealer's text (KMS ciphertext, base64) |
//! | 7 | unpublished_summons | rule R12: the sweep run's key (source as length + UTF-8, id) and its start (seconds, nanoseconds) |
//!
//! A section that would be empty is left out. The files follow the sections: this one writes the
//! format byte, the tags and the small sections (4 to 7); `fact.rs` a fact of section 2 and the
//! sources of section 1 its key points into; `meeting.rs` a meeting of section 3, its id left out
//! when it is the one [`meeting_id`](crate::identity::meeting_id) derives for the person (always,
//! for meetings samspil made). All primitives (varints, dates, codes, ids) are in [`bytes`], and
//! [`CodecError`] in `error.rs`, below them all.
//!
//! **Adding a field.** Every struct is taken apart with an exhaustive `let` pattern where it is
//! written (here, `fact::write`, `meeting::write`), so a field added to [`PersonState`],
//! [`RecordedFact`](crate::domain::RecordedFact), [`Meeting`](crate::domain::Meeting) or
//! [`LastUpdate`](crate::domain::LastUpdate) does not compile until it is encoded; the round-trip
//! property test in `tests.rs` then fails until it is decoded too (give its generator the new
//! field). How:
//!
//! - an optional field of [`PersonState`]: a new section with the next free tag (8, 9, ...),
//!   written only when the field is set. Items written before simply lack the section, and
//!   decode with the field's default. Never reuse or renumber a tag.
//! - an optional field of a fact or a meeting: a new flag bit saying it is present (meetings have
//!   bits to spare in their varint flags; facts use the high bit of the flags byte as "a second
//!   flags byte follows"), its value written after the existing ones. Old items have the bit clear.
//! - anything that cannot be said that way: a new format byte, with format 1 still decoded.
//!
//! Items written before this encoding hold the state as JSON in a string (S) attribute; the store
//! decodes both ([`crate::aws::dynamo`]) and the next write of the person stores the compact form.

mod bytes;
mod error;
mod fact;
mod meeting;
#[cfg(test)]
mod tests;

pub use error::CodecError;

use crate::contract::MessageKey;
use crate::domain::{PersonState, SealedCpr, SweepRun};
use crate::identity::PersonKey;

use bytes::{Reader, Writer};
use compact_str::CompactString;

/// The format byte this code writes.
pub const FORMAT: u8 = 1;

const TAG_END: u64 = 0;
const TAG_SOURCES: u64 = 1;
const TAG_FACTS: u64 = 2;
const TAG_MEETINGS: u64 = 3;
const TAG_FOLDED_UNTIL: u64 = 4;
const TAG_SWEEP_DUE: u64 = 5;
const TAG_PENDING_CPR: u64 = 6;
const TAG_UNPUBLISHED_SUMMONS: u64 = 7;

/// The compact encoding of `state`, the state of `person`, as stored in DynamoDB: meeting ids
/// that [`meeting_id`](crate::identity::meeting_id) derives for `person` are left out.
pub fn encode(person: &PersonKey, state: &PersonState) -> Vec<u8> {
    let mut buf = Vec::new();
    encode_with(Some(person), state, &mut buf);
    buf
}

/// The compact encoding of `state` with every meeting id written out: larger by 17 bytes a
/// meeting, but no hashing to encode or decode it. For the in-memory store, where speed counts
/// and size does not. [`decode`] reads both.
pub fn encode_keeping_ids(state: &PersonState) -> Vec<u8> {
    let mut buf = Vec::new();
    encode_keeping_ids_into(state, &mut buf);
    buf
}

/// [`encode_keeping_ids`] over what `buf` held: the in-memory store writes a person's new state
/// into the buffer of the old one, with no allocation when it fits.
pub fn encode_keeping_ids_into(state: &PersonState, buf: &mut Vec<u8>) {
    buf.clear();
    encode_with(None, state, buf);
}

fn encode_with(person: Option<&PersonKey>, state: &PersonState, buf: &mut Vec<u8>) {
    let PersonState { facts, meetings, sweep_due, pending_cpr, unpublished_summons, folded_until } = state;
    buf.reserve(64 + 40 * facts.len() + 48 * meetings.len());
    let mut w = Writer { buf };
    w.byte(FORMAT);

    let sources = fact::sources(facts);
    if !sources.is_empty() {
        w.varint(TAG_SOURCES);
        w.varint(sources.len() as u64);
        for s in &sources {
            w.bytes(s.as_bytes());
        }
    }
    if !facts.is_empty() {
        w.varint(TAG_FACTS);
        w.varint(facts.len() as u64);
        for f in facts {
            fact::write(&mut w, f, &sources);
        }
    }
    if !meetings.is_empty() {
        w.varint(TAG_MEETINGS);
        w.varint(meetings.len() as u64);
        for m in meetings {
            meeting::write(&mut w, person, m, facts);
        }
    }
    if let Some(horizon) = folded_until {
        w.varint(TAG_FOLDED_UNTIL);
        w.date(*horizon);
    }
    if let Some(day) = sweep_due {
        w.varint(TAG_SWEEP_DUE);
        w.date(*day);
    }
    if let Some(SealedCpr(sealed)) = pending_cpr {
        w.varint(TAG_PENDING_CPR);
        w.bytes(sealed.as_bytes());
    }
    if let Some(SweepRun { key: MessageKey { source, id }, started }) = unpublished_summons {
        w.varint(TAG_UNPUBLISHED_SUMMONS);
        w.bytes(source.as_bytes());
        w.id(id);
        w.signed(started.timestamp());
        w.varint(u64::from(started.timestamp_subsec_nanos()));
    }
    w.varint(TAG_END);
}

/// Decodes what [`encode`] wrote for `person`.
pub fn decode(person: &PersonKey, data: &[u8]) -> Result<PersonState, CodecError> {
    let mut r = Reader::new(data);
    match r.byte().map_err(|_| CodecError::Empty)? {
        FORMAT => {}
        other => return Err(CodecError::UnknownFormat(other)),
    }
    let mut state = PersonState::default();
    let mut sources: Vec<CompactString> = Vec::new();
    let mut last_tag = TAG_END;
    loop {
        let at = r.at;
        let tag = r.varint()?;
        if tag == TAG_END {
            break;
        }
        if tag <= last_tag {
            return Err(CodecError::UnknownSection { tag, at });
        }
        last_tag = tag;
        match tag {
            TAG_SOURCES => {
                let n = r.small::<usize>("count")?;
                sources = (0..n).map(|_| r.string("source")).collect::<Result<_, _>>()?;
            }
            TAG_FACTS => {
                let n = r.small::<usize>("count")?;
                state.facts = Vec::with_capacity(n.min(4096));
                for _ in 0..n {
                    state.facts.push(fact::read(&mut r, &sources)?);
                }
            }
            TAG_MEETINGS => {
                let n = r.small::<usize>("count")?;
                state.meetings = Vec::with_capacity(n.min(4096));
                for _ in 0..n {
                    state.meetings.push(meeting::read(&mut r, person, &state.facts)?);
                }
            }
            TAG_FOLDED_UNTIL => state.folded_until = Some(r.date()?),
            TAG_SWEEP_DUE => state.sweep_due = Some(r.date()?),
            TAG_PENDING_CPR => state.pending_cpr = Some(SealedCpr(r.string("sealed number")?.into())),
            TAG_UNPUBLISHED_SUMMONS => {
                let key = MessageKey { source: r.string("source")?, id: r.id()? };
                let at = r.at;
                let (seconds, nanos) = (r.signed()?, r.small::<u32>("time")?);
                let started = chrono::DateTime::from_timestamp(seconds, nanos)
                    .filter(|_| nanos < 1_000_000_000)
                    .ok_or(CodecError::Invalid { what: "time", at })?;
                state.unpublished_summons = Some(SweepRun { key, started });
            }
            _ => return Err(CodecError::UnknownSection { tag, at }),
        }
    }
    if !r.is_done() {
        return Err(r.fail("trailing bytes"));
    }
    Ok(state)
}
