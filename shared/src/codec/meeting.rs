//! One meeting of the `meetings` section (tag 3).
//!
//! A meeting is a flags varint (the constants below) and its values, dates as days from
//! `period_start`. Its id is left out when it is the one [`meeting_id`] derives for the person
//! (always, for meetings samspil made), and its registration and the cause of its last update,
//! message keys, are written as the index of the fact with that key where there is one. Its
//! municipality, a-kasse and `period_start` are left out when they are its registration fact's.
//! The flags have bits to spare: a new optional field of a meeting gets the next one.

use chrono::NaiveDate;

use super::bytes::{Reader, Writer};
use super::error::CodecError;
use crate::contract::{
    AkasseParticipation, Fact, MeetingForm, MeetingKind, MessageKey, Registration, UpdateReason, UpdateType,
};
use crate::domain::{LastUpdate, Meeting, MeetingStatus, RecordedFact, Transfer};
use crate::identity::{PersonKey, meeting_id};

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
/// The last update's message sent transfer cancellations (rule R8): after the cause, each transfer
/// (the meeting as its old receivers last heard of it, the sequence and the day of the
/// cancellation), as a flags varint (the `T_` constants) and its values, oldest first.
const M_TRANSFERRED: u64 = 1 << 15;
/// The first bit no meeting flag uses.
const M_END: u64 = 16;

// Transfer flags (a varint). Items written before a transfer kept its sequence and day have bits
// 4 to 6 clear: one transfer, its sequence the one before the meeting's, its day unknown.
const T_FORM_MASK: u64 = 3; // bits 0 and 1
const T_OPTED_OUT: u64 = 1 << 2;
const T_DEADLINE_MISSED: u64 = 1 << 3;
/// The cancellation's sequence is not the one before the meeting's: how far below the meeting's it
/// is follows (a varint, at least 2).
const T_SEQUENCE: u64 = 1 << 4;
/// The transfer's day follows, as days from the meeting's `period_start`.
const T_DAY: u64 = 1 << 5;
/// Another transfer follows this one.
const T_MORE: u64 = 1 << 6;
/// The first bit no transfer flag uses.
const T_END: u64 = 7;

/// The registration fact a meeting names, if the state has it.
fn registration_of<'a>(registration: Option<&MessageKey>, facts: &'a [RecordedFact]) -> Option<&'a Registration> {
    let key = registration?;
    facts.iter().find(|f| &f.key == key).and_then(|f| match &f.fact {
        Fact::Registration(r) => Some(r),
        _ => None,
    })
}

/// Writes meeting `m`: its id only if it is not the one [`meeting_id`] derives for `person` (no
/// person: every id is written), its registration and dates by reference to `facts` where it can.
pub(super) fn write(w: &mut Writer, person: Option<&PersonKey>, m: &Meeting, facts: &[RecordedFact]) {
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
    flags |= form_code(*form) << M_FORM_SHIFT;
    let flag = |on: bool, bit: u64| if on { bit } else { 0 };
    flags |= flag(*akasse_participation == AkasseParticipation::OptedOut, M_OPTED_OUT);
    flags |= flag(*status == MeetingStatus::Cancelled, M_CANCELLED);
    flags |= flag(*deadline_missed, M_DEADLINE_MISSED);
    flags |= flag(cv_basis.is_some(), M_CV_BASIS);
    flags |= flag(registration.is_some(), M_REGISTRATION);
    flags |= flag(same_codes, M_CODES_OF_REGISTRATION);
    flags |= flag(same_start, M_STARTS_ON_REGISTRATION);
    if let Some(LastUpdate { update_type, previous_date, reason, caused_by: _, transferred_from }) = last_update {
        flags |= M_LAST_UPDATE;
        flags |= update_code(*update_type) << M_UPDATE_SHIFT;
        flags |= flag(previous_date.is_some(), M_PREVIOUS_DATE);
        flags |= flag(reason.is_some(), M_REASON);
        flags |= flag(!transferred_from.is_empty(), M_TRANSFERRED);
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
    if let Some(LastUpdate { update_type: _, previous_date, reason, caused_by, transferred_from }) = last_update {
        if let Some(previous) = previous_date {
            w.date_from(*previous, *period_start);
        }
        if let Some(reason) = reason {
            w.byte(reason_code(*reason));
        }
        key_ref(w, caused_by, facts);
        for (n, transfer) in transferred_from.iter().enumerate() {
            let more = n + 1 < transferred_from.len();
            write_transfer(w, transfer, *sequence, *period_start, more);
        }
    }
}

fn form_code(form: MeetingForm) -> u64 {
    match form {
        MeetingForm::InPerson => 0,
        MeetingForm::Phone => 1,
        MeetingForm::Video => 2,
    }
}

fn read_form(code: u64, r: &Reader<'_>) -> Result<MeetingForm, CodecError> {
    match code {
        0 => Ok(MeetingForm::InPerson),
        1 => Ok(MeetingForm::Phone),
        2 => Ok(MeetingForm::Video),
        _ => Err(r.fail("meeting form")),
    }
}

/// A transfer (rule R8) of a meeting whose sequence is `meeting_sequence`, its dates from the
/// meeting's `period_start`; with `more`, another transfer follows it.
fn write_transfer(w: &mut Writer, t: &Transfer, meeting_sequence: u32, period_start: NaiveDate, more: bool) {
    let Transfer { municipality, akasse, date, deadline, deadline_missed, form, akasse_participation, sequence, day } =
        t;
    // The domain keeps a transfer's sequence from 1 to below the meeting's: a gap of at least 1.
    // One that is not is written as a gap of 0 (or past 1), which reading rejects.
    let below = meeting_sequence.saturating_sub(*sequence);
    let mut flags = form_code(*form);
    let flag = |on: bool, bit: u64| if on { bit } else { 0 };
    flags |= flag(*akasse_participation == AkasseParticipation::OptedOut, T_OPTED_OUT);
    flags |= flag(*deadline_missed, T_DEADLINE_MISSED);
    flags |= flag(below != 1, T_SEQUENCE);
    flags |= flag(day.is_some(), T_DAY);
    flags |= flag(more, T_MORE);
    w.varint(flags);
    w.code(municipality);
    w.code(akasse);
    w.date_from(*date, period_start);
    w.date_from(*deadline, period_start);
    if below != 1 {
        w.varint(u64::from(below));
    }
    if let Some(day) = day {
        w.date_from(*day, period_start);
    }
}

/// Reads the transfers [`write_transfer`] wrote. Each cancellation's sequence must lie between 1
/// and the meeting's, exclusive, or the item is corrupt.
fn read_transfers(
    r: &mut Reader<'_>,
    meeting_sequence: u32,
    period_start: NaiveDate,
) -> Result<Vec<Transfer>, CodecError> {
    let mut transfers = Vec::with_capacity(1);
    loop {
        let flags = r.varint()?;
        if flags >> T_END != 0 {
            return Err(r.fail("transfer flags"));
        }
        let form = read_form(flags & T_FORM_MASK, r)?;
        let (municipality, akasse) = (r.code()?, r.code()?);
        let (date, deadline) = (r.date_from(period_start)?, r.date_from(period_start)?);
        let at = r.at;
        let below = if flags & T_SEQUENCE != 0 { r.small::<u32>("transfer sequence")? } else { 1 };
        let sequence = meeting_sequence
            .checked_sub(below)
            .filter(|s| *s >= 1 && below >= 1)
            .ok_or(CodecError::Invalid { what: "transfer sequence", at })?;
        let day = if flags & T_DAY != 0 { Some(r.date_from(period_start)?) } else { None };
        transfers.push(Transfer {
            municipality,
            akasse,
            date,
            deadline,
            deadline_missed: flags & T_DEADLINE_MISSED != 0,
            form,
            akasse_participation: if flags & T_OPTED_OUT != 0 {
                AkasseParticipation::OptedOut
            } else {
                AkasseParticipation::Yes
            },
            sequence,
            day,
        });
        if flags & T_MORE == 0 {
            return Ok(transfers);
        }
    }
}

/// Reads back what [`write`] wrote, with the state's `facts` already read.
pub(super) fn read(r: &mut Reader<'_>, person: &PersonKey, facts: &[RecordedFact]) -> Result<Meeting, CodecError> {
    let flags = r.varint()?;
    if flags >> M_END != 0 || (flags & M_TRANSFERRED != 0 && flags & M_LAST_UPDATE == 0) {
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
        let caused_by = read_key_ref(r, facts)?;
        let transferred_from =
            if flags & M_TRANSFERRED != 0 { read_transfers(r, sequence, period_start)? } else { Vec::new() };
        Some(LastUpdate { update_type, previous_date, reason, caused_by, transferred_from })
    } else {
        None
    };
    let form = read_form((flags >> M_FORM_SHIFT) & 3, r)?;
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
