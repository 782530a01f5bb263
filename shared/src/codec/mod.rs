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
//! | 2 | facts | count, then each fact (below), in arrival order |
//! | 3 | meetings | count, then each meeting (below) |
//! | 4 | folded_until | the horizon of the folded periods, a date ([`crate::domain::compaction`]) |
//! | 5 | sweep_due | rule R12: the day the sweep must visit the person, a date |
//! | 6 | pending_cpr | rule R12: the sealed CPR number, as length + the sealer's text (KMS ciphertext, base64) |
//! | 7 | unpublished_summons | rule R12: the sweep run's key (source as length + UTF-8, id) and its start (seconds, nanoseconds) |
//!
//! A section that would be empty is left out. A fact is a flags byte (kind, whether `time` is
//! known, weekly hours, participation, exit reason), its key (an index into the sources and the
//! id), its business date, `received_on` as days from it, `time` as seconds from the start of
//! `received_on`, and for a registration the two codes and the prior hours. A meeting is a flags
//! varint (see [`meeting`]) and its values, dates as days from `period_start`; its id is left out
//! when it is the one [`meeting_id`] derives for the person (always, for meetings samspil made),
//! and its registration and the cause of its last update, message keys, are written as the index of
//! the fact with that key where there is one. All primitives are in [`bytes`].
//!
//! **Adding a field.** Every struct is taken apart with an exhaustive `let` pattern in
//! [`encode`], so a field added to [`PersonState`], [`RecordedFact`], [`Meeting`] or
//! [`LastUpdate`] does not compile until it is encoded here; the round-trip property test in
//! `tests.rs` then fails until it is decoded too (give its generator the new field). How:
//!
//! - an optional field of [`PersonState`]: a new section with the next free tag (5, 6, ...),
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
#[cfg(test)]
mod tests;

use crate::contract::{
    AkasseParticipation, CvCompleted, ExitReason, Fact, JobExit, JobExitWithdrawal, MeetingForm, MeetingKind,
    MessageKey, Registration, UpdateReason, UpdateType, WeeklyHours,
};
use crate::domain::{LastUpdate, Meeting, MeetingStatus, PersonState, RecordedFact, SealedCpr, SweepRun};
use crate::identity::{PersonKey, meeting_id};

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

/// Why bytes did not decode. Carries positions, never values (a state is personal data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("the state is empty")]
    Empty,
    #[error("unknown state format {0}")]
    UnknownFormat(u8),
    #[error("the state ends early, at byte {at}")]
    Truncated { at: usize },
    #[error("invalid {what} at byte {at}")]
    Invalid { what: &'static str, at: usize },
    #[error("section tag {tag} at byte {at} is unknown or out of order")]
    UnknownSection { tag: u64, at: usize },
}

/// The compact encoding of `state`, the state of `person`, as stored in DynamoDB: meeting ids
/// that [`meeting_id`] derives for `person` are left out.
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

    let mut sources: Vec<&str> = Vec::new();
    for f in facts {
        if !sources.contains(&f.key.source.as_str()) {
            sources.push(&f.key.source);
        }
    }
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
            fact(&mut w, f, &sources);
        }
    }
    if !meetings.is_empty() {
        w.varint(TAG_MEETINGS);
        w.varint(meetings.len() as u64);
        for m in meetings {
            meeting(&mut w, person, m, facts);
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
                    state.facts.push(read_fact(&mut r, &sources)?);
                }
            }
            TAG_MEETINGS => {
                let n = r.small::<usize>("count")?;
                state.meetings = Vec::with_capacity(n.min(4096));
                for _ in 0..n {
                    state.meetings.push(read_meeting(&mut r, person, &state.facts)?);
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

// Fact flags: bits 0-1 the kind, bit 2 `time` known, bit 3 part-time, bit 4 opted out, bits 5-6
// the exit reason. Bit 7 is reserved for "a second flags byte follows".
const KIND_REGISTRATION: u8 = 0;
const KIND_CV_COMPLETED: u8 = 1;
const KIND_JOB_EXIT: u8 = 2;
const KIND_WITHDRAWN: u8 = 3;
const FACT_TIME: u8 = 1 << 2;
const FACT_PART_TIME: u8 = 1 << 3;
const FACT_OPTED_OUT: u8 = 1 << 4;
const FACT_REASON_SHIFT: u8 = 5;

fn fact(w: &mut Writer, f: &RecordedFact, sources: &[&str]) {
    let RecordedFact { key, received_on, fact, time } = f;
    let mut flags = match fact {
        Fact::Registration(Registration { weekly_hours, akasse_participation, .. }) => {
            let part_time = matches!(weekly_hours, WeeklyHours::PartTime);
            let opted_out = matches!(akasse_participation, AkasseParticipation::OptedOut);
            KIND_REGISTRATION | if part_time { FACT_PART_TIME } else { 0 } | if opted_out { FACT_OPTED_OUT } else { 0 }
        }
        Fact::CvCompleted(_) => KIND_CV_COMPLETED,
        Fact::JobExit(JobExit { reason, .. }) => {
            let reason = match reason {
                ExitReason::Job => 0,
                ExitReason::Education => 1,
                ExitReason::Other => 2,
            };
            KIND_JOB_EXIT | (reason << FACT_REASON_SHIFT)
        }
        Fact::JobExitWithdrawn(_) => KIND_WITHDRAWN,
    };
    if time.is_some() {
        flags |= FACT_TIME;
    }
    w.byte(flags);
    message_key(w, key, sources);
    let business = fact.business_date();
    w.date(business);
    w.date_from(*received_on, business);
    if let Some(t) = time {
        w.instant_from(*t, *received_on);
    }
    if let Fact::Registration(Registration {
        municipality,
        akasse,
        registered_on: _,
        prior_hours,
        weekly_hours: _,
        akasse_participation: _,
    }) = fact
    {
        w.code(municipality);
        w.code(akasse);
        w.hours(*prior_hours);
    }
}

fn read_fact(r: &mut Reader<'_>, sources: &[CompactString]) -> Result<RecordedFact, CodecError> {
    let flags = r.byte()?;
    if flags & 0x80 != 0 {
        return Err(r.fail("fact flags"));
    }
    let key = read_message_key(r, sources)?;
    let business = r.date()?;
    let received_on = r.date_from(business)?;
    let time = if flags & FACT_TIME != 0 { Some(r.instant_from(received_on)?) } else { None };
    let fact = match flags & 3 {
        KIND_REGISTRATION => Fact::Registration(Registration {
            municipality: r.code()?,
            akasse: r.code()?,
            registered_on: business,
            prior_hours: r.hours()?,
            weekly_hours: if flags & FACT_PART_TIME != 0 { WeeklyHours::PartTime } else { WeeklyHours::FullTime },
            akasse_participation: if flags & FACT_OPTED_OUT != 0 {
                AkasseParticipation::OptedOut
            } else {
                AkasseParticipation::Yes
            },
        }),
        KIND_CV_COMPLETED => Fact::CvCompleted(CvCompleted { completed_on: business }),
        KIND_JOB_EXIT => Fact::JobExit(JobExit {
            job_starts_on: business,
            reason: match (flags >> FACT_REASON_SHIFT) & 3 {
                0 => ExitReason::Job,
                1 => ExitReason::Education,
                2 => ExitReason::Other,
                _ => return Err(r.fail("exit reason")),
            },
        }),
        _ => Fact::JobExitWithdrawn(JobExitWithdrawal { job_starts_on: business }),
    };
    Ok(RecordedFact { key, received_on, fact, time })
}

fn message_key(w: &mut Writer, key: &MessageKey, sources: &[&str]) {
    let MessageKey { source, id } = key;
    let index = sources.iter().position(|s| *s == source).expect("every fact's source is in the table");
    w.varint(index as u64);
    w.id(id);
}

fn read_message_key(r: &mut Reader<'_>, sources: &[CompactString]) -> Result<MessageKey, CodecError> {
    let index = r.small::<usize>("source")?;
    let source = sources.get(index).ok_or_else(|| r.fail("source"))?.clone();
    Ok(MessageKey { source, id: r.id()? })
}

/// A message key that is usually a fact's: `n + 1` for the key of fact `n`, else 0, then the
/// source's length and text and the id.
fn key_ref(w: &mut Writer, key: &MessageKey, facts: &[RecordedFact]) {
    match facts.iter().position(|f| &f.key == key) {
        Some(n) => w.varint(n as u64 + 1),
        None => {
            w.varint(0);
            w.bytes(key.source.as_bytes());
            w.id(&key.id);
        }
    }
}

fn read_key_ref(r: &mut Reader<'_>, facts: &[RecordedFact]) -> Result<MessageKey, CodecError> {
    match r.small::<usize>("key")? {
        0 => Ok(MessageKey { source: r.string("source")?, id: r.id()? }),
        n => Ok(facts.get(n - 1).ok_or_else(|| r.fail("key"))?.key.clone()),
    }
}

// Meeting flags (a varint).
const M_ID_DERIVED: u64 = 1;
const M_FORM_SHIFT: u64 = 1; // 2 bits
const M_OPTED_OUT: u64 = 1 << 3;
const M_CANCELLED: u64 = 1 << 4;
const M_DEADLINE_MISSED: u64 = 1 << 5;
const M_CV_BASIS: u64 = 1 << 6;
const M_REGISTRATION: u64 = 1 << 7;
const M_LAST_UPDATE: u64 = 1 << 8;
const M_UPDATE_SHIFT: u64 = 9; // 2 bits
const M_PREVIOUS_DATE: u64 = 1 << 11;
const M_REASON: u64 = 1 << 12;
/// Municipality and a-kasse are those of the meeting's registration fact.
const M_CODES_OF_REGISTRATION: u64 = 1 << 13;
/// `period_start` is the `registered_on` of the meeting's registration fact.
const M_STARTS_ON_REGISTRATION: u64 = 1 << 14;

/// The registration fact a meeting names, if the state has it.
fn registration_of<'a>(registration: Option<&MessageKey>, facts: &'a [RecordedFact]) -> Option<&'a Registration> {
    let key = registration?;
    facts.iter().find(|f| &f.key == key).and_then(|f| match &f.fact {
        Fact::Registration(r) => Some(r),
        _ => None,
    })
}

fn meeting(w: &mut Writer, person: Option<&PersonKey>, m: &Meeting, facts: &[RecordedFact]) {
    let Meeting {
        id,
        kind,
        period_start,
        municipality,
        akasse,
        form,
        akasse_participation,
        status,
        date,
        deadline,
        deadline_missed,
        cv_basis,
        registration,
        sequence,
        last_update,
    } = m;
    let registered = registration_of(registration.as_ref(), facts);
    let derived = person.is_some_and(|person| *id == meeting_id(person, *period_start, *kind));
    let same_codes = registered.is_some_and(|r| r.municipality == *municipality && r.akasse == *akasse);
    let same_start = registered.is_some_and(|r| r.registered_on == *period_start);

    let mut flags = u64::from(derived) * M_ID_DERIVED;
    flags |= match form {
        MeetingForm::InPerson => 0,
        MeetingForm::Phone => 1,
        MeetingForm::Video => 2,
    } << M_FORM_SHIFT;
    let flag = |on: bool, bit: u64| if on { bit } else { 0 };
    flags |= flag(*akasse_participation == AkasseParticipation::OptedOut, M_OPTED_OUT);
    flags |= flag(*status == MeetingStatus::Cancelled, M_CANCELLED);
    flags |= flag(*deadline_missed, M_DEADLINE_MISSED);
    flags |= flag(cv_basis.is_some(), M_CV_BASIS);
    flags |= flag(registration.is_some(), M_REGISTRATION);
    flags |= flag(same_codes, M_CODES_OF_REGISTRATION);
    flags |= flag(same_start, M_STARTS_ON_REGISTRATION);
    if let Some(LastUpdate { update_type, previous_date, reason, caused_by: _, transferred_from: _ }) = last_update {
        flags |= M_LAST_UPDATE;
        flags |= update_code(*update_type) << M_UPDATE_SHIFT;
        flags |= flag(previous_date.is_some(), M_PREVIOUS_DATE);
        flags |= flag(reason.is_some(), M_REASON);
    }
    w.varint(flags);
    w.varint(match kind {
        MeetingKind::FirstJoint => 0,
    });
    if !derived {
        w.id(id);
    }
    if let Some(key) = registration {
        key_ref(w, key, facts);
    }
    if !same_start {
        w.date(*period_start);
    }
    if !same_codes {
        w.code(municipality);
        w.code(akasse);
    }
    w.date_from(*date, *period_start);
    w.date_from(*deadline, *period_start);
    if let Some(cv) = cv_basis {
        w.date_from(*cv, *period_start);
    }
    w.varint(u64::from(*sequence));
    if let Some(LastUpdate { update_type: _, previous_date, reason, caused_by, transferred_from: _ }) = last_update {
        if let Some(previous) = previous_date {
            w.date_from(*previous, *period_start);
        }
        if let Some(reason) = reason {
            w.byte(reason_code(*reason));
        }
        key_ref(w, caused_by, facts);
    }
}

fn read_meeting(r: &mut Reader<'_>, person: &PersonKey, facts: &[RecordedFact]) -> Result<Meeting, CodecError> {
    let flags = r.varint()?;
    if flags >> 15 != 0 {
        return Err(r.fail("meeting flags"));
    }
    let kind = match r.varint()? {
        0 => MeetingKind::FirstJoint,
        _ => return Err(r.fail("meeting kind")),
    };
    let stored_id = if flags & M_ID_DERIVED == 0 { Some(r.meeting_id()?) } else { None };
    let registration = if flags & M_REGISTRATION != 0 { Some(read_key_ref(r, facts)?) } else { None };
    let registered = registration_of(registration.as_ref(), facts);
    let period_start = match (flags & M_STARTS_ON_REGISTRATION != 0, registered) {
        (true, Some(reg)) => reg.registered_on,
        (true, None) => return Err(r.fail("meeting registration")),
        (false, _) => r.date()?,
    };
    let (municipality, akasse) = match (flags & M_CODES_OF_REGISTRATION != 0, registered) {
        (true, Some(reg)) => (reg.municipality.clone(), reg.akasse.clone()),
        (true, None) => return Err(r.fail("meeting registration")),
        (false, _) => (r.code()?, r.code()?),
    };
    let date = r.date_from(period_start)?;
    let deadline = r.date_from(period_start)?;
    let cv_basis = if flags & M_CV_BASIS != 0 { Some(r.date_from(period_start)?) } else { None };
    let sequence = r.small::<u32>("sequence")?;
    let last_update = if flags & M_LAST_UPDATE != 0 {
        let update_type = match (flags >> M_UPDATE_SHIFT) & 3 {
            0 => UpdateType::Scheduled,
            1 => UpdateType::Rescheduled,
            2 => UpdateType::Cancelled,
            _ => return Err(r.fail("update type")),
        };
        let previous_date = if flags & M_PREVIOUS_DATE != 0 { Some(r.date_from(period_start)?) } else { None };
        let reason = if flags & M_REASON != 0 { Some(read_reason(r)?) } else { None };
        Some(LastUpdate {
            update_type,
            previous_date,
            reason,
            caused_by: read_key_ref(r, facts)?,
            transferred_from: None,
        })
    } else {
        None
    };
    let form = match (flags >> M_FORM_SHIFT) & 3 {
        0 => MeetingForm::InPerson,
        1 => MeetingForm::Phone,
        2 => MeetingForm::Video,
        _ => return Err(r.fail("meeting form")),
    };
    Ok(Meeting {
        id: stored_id.unwrap_or_else(|| meeting_id(person, period_start, kind)),
        kind,
        period_start,
        municipality,
        akasse,
        form,
        akasse_participation: if flags & M_OPTED_OUT != 0 {
            AkasseParticipation::OptedOut
        } else {
            AkasseParticipation::Yes
        },
        status: if flags & M_CANCELLED != 0 { MeetingStatus::Cancelled } else { MeetingStatus::Planned },
        date,
        deadline,
        deadline_missed: flags & M_DEADLINE_MISSED != 0,
        cv_basis,
        registration,
        sequence,
        last_update,
    })
}

fn update_code(t: UpdateType) -> u64 {
    match t {
        UpdateType::Scheduled => 0,
        UpdateType::Rescheduled => 1,
        UpdateType::Cancelled => 2,
    }
}

fn reason_code(reason: UpdateReason) -> u8 {
    match reason {
        UpdateReason::CvCompleted => 0,
        UpdateReason::JobExit => 1,
        UpdateReason::Superseded => 2,
        UpdateReason::JobExitWithdrawn => 3,
        UpdateReason::Corrected => 4,
        UpdateReason::Transferred => 5,
    }
}

fn read_reason(r: &mut Reader<'_>) -> Result<UpdateReason, CodecError> {
    Ok(match r.byte()? {
        0 => UpdateReason::CvCompleted,
        1 => UpdateReason::JobExit,
        2 => UpdateReason::Superseded,
        3 => UpdateReason::JobExitWithdrawn,
        4 => UpdateReason::Corrected,
        5 => UpdateReason::Transferred,
        _ => return Err(r.fail("update reason")),
    })
}
