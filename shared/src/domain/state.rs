//! What samspil remembers about one person.
//!
//! The state is a log of every accepted fact plus the meetings derived from them. Keeping the facts,
//! not just the meetings, is what makes order not matter (rule R9): each new fact is added to the
//! log and the periods are worked out again from all of them. Each meeting also remembers its last
//! published update and the message that caused it: that is the outbox (see
//! `updates_published_by` in `decide.rs`).

use chrono::{DateTime, Days, NaiveDate, Utc};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use crate::contract::{
    AkasseParticipation, Cpr, Fact, MeetingForm, MeetingKind, MeetingUpdate, MessageKey, UpdateReason, UpdateType,
};

/// Everything stored for one person, under their [`crate::identity::PersonKey`].
///
/// It holds no CPR number: every inbound message carries it, so updates are rendered with the
/// number of the message being processed, and backups and exports of the table carry none. An item
/// written before this rule may still hold a `cpr` member; decoding ignores it and the next write
/// of the person drops it (`docs/security.md`, "What is stored").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonState {
    /// Every accepted fact, in arrival order.
    pub facts: Vec<RecordedFact>,
    /// Every meeting ever planned for the person, announced or not, except those of folded periods.
    pub meetings: Vec<Meeting>,
    /// R12: the earliest day the sweep must visit this person: the earliest summons day of a plan
    /// not yet summoned, or the day of a sweep run whose summonses are written but not yet known to be
    /// published. `None`: nothing for the sweep. Kept by `decide` and `summon` (domain) and by the
    /// pipeline's sweep; the DynamoDB store indexes it (sparse GSI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep_due: Option<NaiveDate>,
    /// R12: the CPR number, sealed (docs/security.md), while a plan awaits its summons. Opaque to the
    /// domain; set and cleared by the pipeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_cpr: Option<SealedCpr>,
    /// R12: the sweep run whose summonses this state holds but which may not have been published yet
    /// (the sweep's outbox marker, see pipeline/sweep.rs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpublished_summons: Option<SweepRun>,
    /// The horizon of the periods folded away (see `compaction.rs`): the job start that
    /// closed the latest of them. Facts dated before it (job exits and withdrawals: at or before
    /// it) are no longer kept, and messages about those days are inert. `None`: nothing folded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folded_until: Option<NaiveDate>,
}

impl PersonState {
    /// Whether a message with this `(source, id)` was processed before (rule R10).
    pub fn has_processed(&self, key: &MessageKey) -> bool {
        self.facts.iter().any(|f| &f.key == key)
    }
}

/// One accepted fact, with its idempotency key and the day it was processed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedFact {
    pub key: MessageKey,
    pub received_on: NaiveDate,
    pub fact: Fact,
    /// The message's CloudEvents `time`, which breaks ties between registrations of the same day
    /// (rule R8). `None` in facts stored before it was kept; they sort as sent earliest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
}

/// Whether a meeting will take place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatus {
    Planned,
    Cancelled,
}

/// One joint meeting (fællessamtale) of one unemployment period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: String,
    pub kind: MeetingKind,
    /// The registration day of the period the meeting belongs to.
    pub period_start: NaiveDate,
    pub municipality: CompactString,
    pub akasse: CompactString,
    pub form: MeetingForm,
    pub akasse_participation: AkasseParticipation,
    pub status: MeetingStatus,
    /// The meeting day; for a cancelled meeting, the day it would have been.
    pub date: NaiveDate,
    pub deadline: NaiveDate,
    pub deadline_missed: bool,
    /// The CV completion the date respects (rule R6), if any.
    pub cv_basis: Option<NaiveDate>,
    /// The registration whose clock and policy the meeting's date was chosen under (rule R8: of one
    /// day's registrations, the latest sent gives the period its data). The meeting's other data
    /// always follow the period's registration. `None` in meetings stored before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<MessageKey>,
    /// The sequence of the last published update; 0 while none was published.
    pub sequence: u32,
    /// The last published update, or `None` when the meeting was cancelled before anyone heard of
    /// it (a job exit known before the registration, rule R9).
    pub last_update: Option<LastUpdate>,
}

/// What the last published update of a meeting said beyond the meeting's own fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastUpdate {
    pub update_type: UpdateType,
    pub previous_date: Option<NaiveDate>,
    pub reason: Option<UpdateReason>,
    /// The message whose processing produced this update.
    pub caused_by: MessageKey,
    /// R8: the cancellations this update's message sends to receivers a correction moved the
    /// meeting away from, oldest first, each just before this update: the one its own transfer
    /// sent, if it was one, and those of earlier transfers still within [`TRANSFER_KEPT_DAYS`]
    /// (see [`Meeting::publish`]). Part of the message's outbox, so a redelivery sends them all
    /// again, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transferred_from: Vec<Transfer>,
}

/// R8: how many days after the day of a transfer its cancellation is sent again with each later
/// update of the meeting: the 14 days a message can wait in a dead-letter queue (its
/// `MessageRetentionPeriod`) before it is redriven. The transfer's own message may have failed to
/// publish and be waiting for its redelivery, which publishes only what that message caused last;
/// a later message that changes the meeting meanwhile makes itself the cause, so it must carry the
/// cancellation, or the old receivers would never hear it. A repeat is harmless: the same meeting
/// id, sequence and content, which receivers that heard it ignore (R10, R11).
pub const TRANSFER_KEPT_DAYS: u64 = 14;

/// R8: the most transfers' cancellations a meeting's update carries along, the newest kept. A sender
/// that moves a meeting from municipality to municipality in a row would otherwise make every
/// later update repeat them all, each with the CPR number, to jobcenters that no longer hold it.
pub const MAX_CARRIED_TRANSFERS: usize = 3;

/// R8: a meeting as its old receivers last heard of it, planned, before a correction moved it to
/// another municipality or a-kasse. They are sent it as `cancelled` with reason `transferred`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub municipality: CompactString,
    pub akasse: CompactString,
    pub date: NaiveDate,
    pub deadline: NaiveDate,
    pub deadline_missed: bool,
    pub form: MeetingForm,
    pub akasse_participation: AkasseParticipation,
    /// The sequence the cancellation was sent with: the one before the update of the transfer's
    /// message, and below every later update's.
    pub sequence: u32,
    /// The processing day the transfer was made; `None` in transfers stored before it was kept,
    /// which are never sent again with a later update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<NaiveDate>,
}

impl Transfer {
    /// Whether the cancellation is still sent again with the meeting's updates on `today`: the
    /// transfer was made at most [`TRANSFER_KEPT_DAYS`] before.
    pub fn is_kept_on(&self, today: NaiveDate) -> bool {
        self.day.is_some_and(|day| day.checked_add_days(Days::new(TRANSFER_KEPT_DAYS)).is_none_or(|end| today <= end))
    }

    /// Whether it went to the same jobcenter and a-kasse as `municipality` and `akasse`.
    fn same_receivers(&self, municipality: &str, akasse: &str) -> bool {
        self.municipality == municipality && self.akasse == akasse
    }
}

impl Meeting {
    /// Whether the meeting has taken place by `today` (rule R7: its date is before the processing day).
    pub fn is_held(&self, today: NaiveDate) -> bool {
        self.status == MeetingStatus::Planned && self.date < today
    }

    /// Records a new published update on `today`; the caller publishes [`Meeting::outbox`]. The
    /// cancellations of earlier transfers (R8) stay in the new update's outbox while they are kept
    /// ([`Transfer::is_kept_on`]) and the meeting's receivers are not the ones they went to (those
    /// hear the update itself, with a higher sequence).
    pub(crate) fn publish(
        &mut self,
        update_type: UpdateType,
        previous_date: Option<NaiveDate>,
        reason: Option<UpdateReason>,
        caused_by: &MessageKey,
        today: NaiveDate,
    ) {
        self.sequence += 1;
        let mut transferred_from = self.last_update.take().map(|last| last.transferred_from).unwrap_or_default();
        transferred_from.retain(|t| t.is_kept_on(today) && !t.same_receivers(&self.municipality, &self.akasse));
        let caused_by = caused_by.clone();
        self.last_update = Some(LastUpdate { update_type, previous_date, reason, caused_by, transferred_from });
    }

    /// R8: the receivers the meeting was last announced to as planned (`scheduled` or
    /// `rescheduled`), with what they were told; `None` when its last update cancelled it or none
    /// was published. Its `sequence` and `day` are set by [`Meeting::transfer_from`].
    pub(crate) fn announced_plan(&self) -> Option<Transfer> {
        let last = self.last_update.as_ref()?;
        (last.update_type != UpdateType::Cancelled).then(|| Transfer {
            municipality: self.municipality.clone(),
            akasse: self.akasse.clone(),
            date: self.date,
            deadline: self.deadline,
            deadline_missed: self.deadline_missed,
            form: self.form,
            akasse_participation: self.akasse_participation,
            sequence: 0,
            day: None,
        })
    }

    /// R8: records that the update just published (see [`Meeting::publish`]) on `today` went to
    /// other receivers than `before` was announced to: `before` is sent to its receivers as a
    /// cancellation first, with the sequence in between. It replaces an earlier transfer's
    /// cancellation to the same receivers, which it supersedes.
    pub(crate) fn transfer_from(&mut self, mut before: Transfer, today: NaiveDate) {
        before.sequence = self.sequence;
        before.day = Some(today);
        self.sequence += 1;
        let last = self.last_update.as_mut().expect("an update was just recorded");
        last.transferred_from.retain(|t| !t.same_receivers(&before.municipality, &before.akasse));
        last.transferred_from.push(before);
        let excess = last.transferred_from.len().saturating_sub(MAX_CARRIED_TRANSFERS);
        last.transferred_from.drain(..excess);
    }

    /// The updates the meeting's last publication sent, in order: the cancellations to the old
    /// receivers of transfers (R8), if any, then the last update.
    pub fn outbox(&self, cpr: &Cpr) -> impl Iterator<Item = MeetingUpdate> {
        let transfers = self.last_update.iter().flat_map(|last| &last.transferred_from);
        transfers.map(move |t| self.render_transfer(t, cpr)).chain(self.render(cpr))
    }

    /// The cancellation a transfer sent to the old receivers, as sent.
    fn render_transfer(&self, before: &Transfer, cpr: &Cpr) -> MeetingUpdate {
        MeetingUpdate {
            update_type: UpdateType::Cancelled,
            meeting_id: self.id.clone(),
            sequence: before.sequence,
            cpr: *cpr,
            municipality: before.municipality.clone(),
            akasse: before.akasse.clone(),
            kind: self.kind,
            date: before.date,
            form: before.form,
            akasse_participation: before.akasse_participation,
            deadline: before.deadline,
            deadline_missed: before.deadline_missed,
            previous_date: None,
            reason: Some(UpdateReason::Transferred),
        }
    }

    /// The meeting's last published update, as sent. `None` if none was published.
    pub fn render(&self, cpr: &Cpr) -> Option<MeetingUpdate> {
        let last = self.last_update.as_ref()?;
        Some(MeetingUpdate {
            update_type: last.update_type,
            meeting_id: self.id.clone(),
            sequence: self.sequence,
            cpr: *cpr,
            municipality: self.municipality.clone(),
            akasse: self.akasse.clone(),
            kind: self.kind,
            date: self.date,
            form: self.form,
            akasse_participation: self.akasse_participation,
            deadline: self.deadline,
            deadline_missed: self.deadline_missed,
            previous_date: last.previous_date,
            reason: last.reason,
        })
    }
}

/// A CPR number sealed by the pipeline's `CprSealer` (KMS ciphertext, base64; the in-memory sealer
/// uses an opaque token). The domain only stores it. Its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedCpr(pub String);

impl std::fmt::Debug for SealedCpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedCpr(..)")
    }
}

/// One run of the sweep. Its key is what the summonses it sends name as their cause
/// ([`LastUpdate::caused_by`]), so `updates_published_by` renders exactly that run's
/// summonses again; `started` bounds the run's lease on the people it is summoning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepRun {
    /// `source` [`SweepRun::SOURCE`], `id` `<started, RFC 3339>/<random hex>`: unique per run.
    pub key: MessageKey,
    pub started: DateTime<Utc>,
}

impl SweepRun {
    /// The `source` of every sweep run's key.
    pub const SOURCE: &'static str = "urn:samspil:summons";

    /// The day the run counts as: the UTC date it started, never after its Europe/Copenhagen
    /// processing day, so a person marked by the run is due for every later run.
    pub fn day(&self) -> NaiveDate {
        self.started.date_naive()
    }
}
