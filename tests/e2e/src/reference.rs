//! What the stack must publish, worked out on the embedded pipeline.
//!
//! [`in_order`] runs the same messages, each once and in the order given, through the same
//! pipeline code on the in-memory store and publisher, with the local stack's HMAC secret (so the
//! meeting ids are the same) and the tests' processing day. Rule R9 says arrival order and
//! duplicates do not change the outcome; [`assert_same_outcome`] checks the last update of every
//! meeting the way the domain's property tests do (`shared/src/domain/order_properties.rs`).

use std::collections::BTreeMap;

use chrono::Utc;
use samspil::contract::{MeetingUpdate, UpdateType};
use samspil::identity::PersonKeyer;
use samspil::pipeline::memory::{MemoryPublisher, MemorySealer, MemoryStore};
use samspil::pipeline::{Delivery, Outcome, Pipeline, ProcessingTime};
use samspil::policy::PolicyBook;
use samspil_cli::local::LOCAL_HMAC_SECRET;

use crate::people::{Msg, day};

/// The updates of `messages`, processed in this order, each once, on the embedded pipeline.
pub async fn in_order(messages: &[Msg]) -> Vec<MeetingUpdate> {
    let keyer = PersonKeyer::new(LOCAL_HMAC_SECRET.as_bytes()).expect("a secret");
    let pipeline =
        Pipeline::new(MemoryStore::new(), MemoryPublisher::new(), MemorySealer::new(), PolicyBook::repository(), keyer);
    let time = ProcessingTime { today: day(), now: Utc::now() };
    let mut updates = Vec::new();
    for m in messages {
        let delivery = Delivery { queue: m.queue, body: &m.body, sender: None, redelivered: false };
        match pipeline.handle(delivery, time).await {
            Ok(Outcome::Applied { updates: u }) => updates.extend(u),
            Ok(Outcome::Duplicate { .. }) => {}
            Err(e) => panic!("the reference pipeline rejected {m:?}: {e}"),
        }
    }
    updates
}

/// The update with the highest sequence of each meeting, by meeting id.
pub fn last_per_meeting<'a>(updates: impl IntoIterator<Item = &'a MeetingUpdate>) -> BTreeMap<String, MeetingUpdate> {
    let mut last: BTreeMap<String, MeetingUpdate> = BTreeMap::new();
    for u in updates {
        if last.get(&u.meeting_id).is_none_or(|l| l.sequence < u.sequence) {
            last.insert(u.meeting_id.clone(), u.clone());
        }
    }
    last
}

/// Every meeting's updates have the sequences 1, 2, ... with no gap, and an update that arrived
/// twice (a republished outbox) arrived the same both times.
pub fn assert_sequences_complete(updates: &[MeetingUpdate]) {
    let mut by_meeting: BTreeMap<&str, BTreeMap<u32, &MeetingUpdate>> = BTreeMap::new();
    for u in updates {
        let seen = by_meeting.entry(&u.meeting_id).or_default();
        if let Some(earlier) = seen.insert(u.sequence, u) {
            assert_eq!(earlier, u, "meeting {} #{} arrived twice, differently", u.meeting_id, u.sequence);
        }
    }
    for (meeting, sequences) in by_meeting {
        let got: Vec<u32> = sequences.keys().copied().collect();
        let want: Vec<u32> = (1..=got.len() as u32).collect();
        assert_eq!(got, want, "meeting {meeting}: the sequences that arrived");
    }
}

/// The last updates agree with the reference's (rule R9); panics naming the first difference.
pub fn assert_same_outcome(got: &BTreeMap<String, MeetingUpdate>, want: &BTreeMap<String, MeetingUpdate>) {
    if let Some(first) = outcome_differences(got, want).first() {
        panic!("{first}");
    }
}

/// Where the last updates disagree with the reference's (rule R9), one line per meeting: a meeting
/// the reference leaves planned must be planned on the same day with the same deadline, flags,
/// form and parties; one the reference cancels must be cancelled or never announced; any other
/// announced meeting must end cancelled. Lines name meetings, never people.
pub fn outcome_differences(
    got: &BTreeMap<String, MeetingUpdate>,
    want: &BTreeMap<String, MeetingUpdate>,
) -> Vec<String> {
    let fields = |u: &MeetingUpdate| {
        (
            u.date,
            u.deadline,
            u.deadline_missed,
            u.form,
            u.akasse_participation,
            u.municipality.clone(),
            u.akasse.clone(),
        )
    };
    let mut differences = Vec::new();
    for (id, w) in want {
        let g = got.get(id);
        if w.update_type == UpdateType::Cancelled {
            if g.is_some_and(|g| g.update_type != UpdateType::Cancelled) {
                differences.push(format!("meeting {id} must end cancelled"));
            }
            continue;
        }
        match g {
            None => differences.push(format!("meeting {id} was never announced")),
            Some(g) if g.update_type == UpdateType::Cancelled => {
                differences.push(format!("meeting {id} must end planned"));
            }
            Some(g) if fields(g) != fields(w) => differences.push(format!(
                "meeting {id}: date, deadline, deadline_missed, form, participation or parties differ \
                 (got {} #{}, want {})",
                g.date, g.sequence, w.date
            )),
            Some(_) => {}
        }
    }
    for (id, g) in got {
        if !want.contains_key(id) && g.update_type != UpdateType::Cancelled {
            differences.push(format!("meeting {id} is not in the reference and must end cancelled"));
        }
    }
    differences
}

/// Every `(meeting, sequence)` that arrived with two different contents.
pub fn sequence_conflicts(updates: &[MeetingUpdate]) -> Vec<String> {
    let mut seen: BTreeMap<(&str, u32), &MeetingUpdate> = BTreeMap::new();
    let mut conflicts = Vec::new();
    for u in updates {
        if let Some(earlier) = seen.insert((&u.meeting_id, u.sequence), u)
            && earlier != u
        {
            conflicts.push(format!("meeting {} #{} arrived twice, differently", u.meeting_id, u.sequence));
        }
    }
    conflicts
}
