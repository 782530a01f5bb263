//! One meeting of the `meetings` section (tag 3).
//!
//! A meeting is a flags varint (the constants below) and its values, dates as days from
//! `period_start`. Its id is left out when it is the one [`meeting_id`] derives for the person
//! (always, for meetings samspil made), and its registration and the cause of its last update,
//! message keys, are written as the index of the fact with that key where there is one. Its
//! municipality, a-kasse and `period_start` are left out when they are its registration fact's.
//! The flags have bits to spare: a new optional field of a meeting gets the next one.

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
/// The last update followed a transfer (rule R8): the meeting as its old receivers last heard of it
/// follows the cause, as a flags varint (form, opted out, deadline missed) and its values.
const M_TRANSFERRED: u64 = 1 << 15;
/// The first bit no meeting flag uses.
const M_END: u64 = 16;

// Transfer flags (a varint).
const T_FORM_MASK: u64 = 3; // bits 0 and 1
const T_OPTED_OUT: u64 = 1 << 2;
const T_DEADLINE_MISSED: u64 = 1 << 3;

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
        flags |= flag(transferred_from.is_some(), M_TRANSFERRED);
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
        if let Some(transfer) = transferred_from {
            write_transfer(w, transfer, *period_start);
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

/// A transfer's meeting (rule R8), its dates from the meeting's `period_start`.
fn write_transfer(w: &mut Writer, t: &Transfer, period_start: chrono::NaiveDate) {
    let Transfer { municipality, akasse, date, deadline, deadline_missed, form, akasse_participation } = t;
    let mut flags = form_code(*form);
    if *akasse_participation == AkasseParticipation::OptedOut {
        flags |= T_OPTED_OUT;
    }
    if *deadline_missed {
        flags |= T_DEADLINE_MISSED;
    }
    w.varint(flags);
    w.code(municipality);
    w.code(akasse);
    w.date_from(*date, period_start);
    w.date_from(*deadline, period_start);
}

fn read_transfer(r: &mut Reader<'_>, period_start: chrono::NaiveDate) -> Result<Transfer, CodecError> {
    let flags = r.varint()?;
    if flags >> 4 != 0 {
        return Err(r.fail("transfer flags"));
    }
    Ok(Transfer {
        form: read_form(flags & T_FORM_MASK, r)?,
        akasse_participation: if flags & T_OPTED_OUT != 0 {
            AkasseParticipation::OptedOut
        } else {
            AkasseParticipation::Yes
        },
        deadline_missed: flags & T_DEADLINE_MISSED != 0,
        municipality: r.code()?,
        akasse: r.code()?,
        date: r.date_from(period_start)?,
        deadline: r.date_from(period_start)?,
    })
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
            if flags & M_TRANSFERRED != 0 { Some(Box::new(read_transfer(r, period_start)?)) } else { None };
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
