//! One fact of the `facts` section (tag 2), and the `sources` section (tag 1) its keys point into.
//!
//! A fact is a flags byte (kind, whether `time` is known, weekly hours, participation, exit
//! reason), its key (an index into the sources and the id), its business date, `received_on` as
//! days from it, `time` as seconds from the start of `received_on`, and for a registration the two
//! codes and the prior hours. Bit 7 of the flags is kept for "a second flags byte follows", the
//! way a new optional field of a fact would be added.

use compact_str::CompactString;

use super::bytes::{Reader, Writer};
use super::error::CodecError;
use crate::contract::{
    AkasseParticipation, CvCompleted, ExitReason, Fact, JobExit, JobExitWithdrawal, MessageKey, Registration,
    WeeklyHours,
};
use crate::domain::RecordedFact;

/// The distinct `source`s of `facts`, in order of first appearance: the `sources` section, which
/// every fact's key names by its index.
pub(super) fn sources(facts: &[RecordedFact]) -> Vec<&str> {
    let mut sources: Vec<&str> = Vec::new();
    for f in facts {
        if !sources.contains(&f.key.source.as_str()) {
            sources.push(&f.key.source);
        }
    }
    sources
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

/// Writes fact `f`; its source is one of `sources`, the state's table.
pub(super) fn write(w: &mut Writer, f: &RecordedFact, sources: &[&str]) {
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

/// Reads back what [`write`] wrote, with the state's table of `sources`.
pub(super) fn read(r: &mut Reader<'_>, sources: &[CompactString]) -> Result<RecordedFact, CodecError> {
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
