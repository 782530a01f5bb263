//! The sweep (rule R12): publishes every summons that has fallen due.
//!
//! A daily run (the `summons` function on a schedule, `samspil sweep`, and in replays and
//! simulations after each day's messages) asks the store for everyone whose `sweep_due` is on or
//! before its day ([`super::Store::due_for_sweep`]), so a day on which no run happened is caught up
//! by the next. For each person:
//!
//! 0. if the policies changed since the last run that visited everyone pending (their fingerprint
//!    differs from the store's [`super::Store::policies_mark`]), this run lists everyone with a
//!    `sweep_due` at all, and sets the mark once it has been through them all without a failure:
//!    a policy edit takes effect at the next sweep;
//! 1. `load` (strongly consistent: the listing may be stale) and work the person's day out again
//!    with today's policies; skip unless it is on or before `today`, and put a stored day that a
//!    policy edit moved right;
//! 2. if the state holds another run's unpublished summonses ([`PersonState::unpublished_summons`])
//!    and that run's lease ([`SWEEP_LEASE`]) is still live, skip: that run is publishing them. A run
//!    whose lease has run out is dead: its summonses are taken over (they become this run's);
//! 3. open the sealed CPR number, [`domain::summon`], and write 1: the new state with this run as
//!    its marker, conditional on the version read. A lost race (or a write whose answer was lost)
//!    reloads and decides again; a reload that shows this run's own marker means the write took
//!    effect, and its summonses are published;
//! 4. publish this run's summonses ([`domain::updates_published_by`] with the run's key: the new ones
//!    and any taken over);
//! 5. write 2: clear the marker, work out `sweep_due` again, and drop the sealed number when nothing
//!    is pending any more. A lost race with a message for the person does it again on the reloaded
//!    state.
//!
//! **Failures and the deadline.** A person that fails is logged (WARN, with the person key, the
//! run and the error; never the CPR number), counted, and left for the next run; the others go on.
//! [`Pipeline::sweep_until`] keeps to a deadline (the Lambda invocation's, less the time to report):
//! no person is started with less than [`SWEEP_START_RESERVE`] left, one still running at the
//! deadline is abandoned (a failure), and the people never started are counted as `unreached`, so
//! the run still reports, and the function still prints its metrics, however it ends.
//!
//! Every step can fail, and the next run repeats it without publishing anything twice with
//! different content and without skipping anything: before write 1 nothing happened; after it, the
//! marker keeps the person due and names the summonses, so whoever comes next publishes exactly
//! those again (same meeting ids, sequences and content; receivers de-duplicate by `sequence`). A
//! run that fails to publish releases its lease at once (the marker is written again with an
//! expired lease) so that the next run need not wait for it. Two runs at once: the second one's
//! write 1 loses the race against the first one's, and the reload shows the first one's live
//! marker, so each summons is published once.
//!
//! Requests per person summoned: one `GetItem`, one KMS `Decrypt`, two `PutItem`s and one SNS
//! `Publish` (`PublishBatch` for several summonses), plus the index query and the policies mark's
//! `GetItem`, shared by everyone
//! (`docs/decisions.md`, "Summonses (R12)").
//!
//! **One write, for a store in this process.** The marker of write 1 is there for what can happen
//! between the write and the publish: the process dies, or the write's answer is lost after it took
//! effect. With a store whose [`Store::IN_PROCESS`] holds (the in-memory store of replays and
//! simulations), neither leaves anything behind: the store dies with the process, and a write it
//! reports as failed did not happen. Steps 3 to 5 are then one write, conditional on the version
//! read as before: the new state with its summonses recorded, no marker, `sweep_due` worked out
//! again and the sealed number dropped when nothing is pending; then the publish. Two runs or a
//! message racing still meet at that write (the loser reloads and finds nothing left to summon, or
//! decides again). Should the publish fail, the run hands its summonses to the next one as the
//! two-write protocol does: it writes its marker with an expired lease (sealing the number again if
//! the write dropped it), and the next run publishes exactly those summonses. DynamoDB always takes
//! the two writes. Such a store also never waits, so the run goes through its people one after the
//! other rather than [`CONCURRENCY`] at a time.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use futures::StreamExt;
use tokio::time::Instant;

use crate::contract::{Cpr, MeetingUpdate, MessageKey};
use crate::domain::{self, Decision, PersonState, SweepRun};
use crate::identity::PersonKey;

use super::handle::{Pipeline, ProcessingTime};
use super::ports::{CprSealer, Publisher, Store, StoreError};

/// How long a sweep run may hold the summonses it has written but not yet published: the longest
/// a run lasts (the `summons` function's timeout). Until then, other runs leave the person alone.
pub const SWEEP_LEASE: TimeDelta = TimeDelta::minutes(15);

/// No person is started with less time than this left before the run's deadline: a person is up to
/// five requests (load, decrypt, two writes, a publish), each bounded by the SDK's operation timeout
/// ([`crate::aws::config::OPERATION_TIMEOUT`], 5 s), and most answer in milliseconds.
pub const SWEEP_START_RESERVE: Duration = Duration::from_secs(10);

/// The listing day of a full pass: later than any day a summons can fall on.
const EVERY_DAY: chrono::NaiveDate = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).expect("a date");

/// How many people one run works on at a time.
const CONCURRENCY: usize = 8;

/// How many times one person's write is tried again after a lost race or a failed write.
const MAX_ATTEMPTS: u32 = 5;

impl SweepRun {
    /// A new run, started at `started`, with a key no other run has.
    pub fn start(started: DateTime<Utc>) -> SweepRun {
        let id = format!("{}/{:016x}", started.to_rfc3339_opts(SecondsFormat::Secs, true), fastrand::u64(..));
        SweepRun { key: MessageKey { source: SweepRun::SOURCE.into(), id: id.into() }, started }
    }

    /// Whether the run may still be publishing at `now`.
    pub fn lease_is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.started + SWEEP_LEASE
    }
}

/// What one sweep run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// People the store listed as due.
    pub listed: usize,
    /// People whose summonses the run published.
    pub summoned: usize,
    /// Summonses published (new ones and any taken over from a run that died).
    pub published: usize,
    /// People another run, still live, was summoning: left to it.
    pub busy: usize,
    /// People whose summons failed (store, sealer or publisher, or abandoned at the deadline); each
    /// is logged with its person key. The next run repeats them.
    pub failed: usize,
    /// People listed whom the run did not start before its deadline (in a pass after a policy edit,
    /// everyone pending, due or not); the next run takes them.
    pub unreached: usize,
}

impl SweepReport {
    /// People found due and left for the next run: busy with another run, failed, or unreached (the
    /// metric `summons_left`).
    pub fn left(&self) -> usize {
        self.busy + self.failed + self.unreached
    }
}

impl SweepReport {
    /// Counts how `person` ended in `run`; logs a failure and keeps the first.
    fn count(&mut self, person: &PersonKey, result: Result<Swept, String>, run: &SweepRun, first: &mut Option<String>) {
        match result {
            Ok(Swept::NotDue) => {}
            Ok(Swept::Busy) => self.busy += 1,
            Ok(Swept::Summoned(n)) => {
                self.summoned += 1;
                self.published += n;
            }
            Err(error) => {
                self.failed += 1;
                tracing::warn!(
                    run = %run.key.id,
                    person = %person,
                    error = %error,
                    "summoning failed; the next run repeats it"
                );
                first.get_or_insert_with(|| format!("person {person}: {error}"));
            }
        }
    }
}

/// Why a sweep run did not finish. Whatever it did is safe; the next run repeats the rest.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SweepError {
    /// The people due could not be listed; nothing was done.
    #[error("listing the people due for the sweep failed: {0}")]
    Listing(StoreError),
    /// Some people failed or were not reached before the deadline; the others are done. `first`
    /// is the first failure, with its person key (`None` when nobody failed, only time ran out).
    #[error(
        "{} of {} people due could not be summoned and {} were not reached before the run's deadline; the next run repeats them{}",
        .report.failed, .report.listed, .report.unreached,
        .first.as_ref().map(|f| format!(" (first error: {f})")).unwrap_or_default()
    )]
    Incomplete { report: SweepReport, first: Option<String> },
}

/// How one person ended.
enum Swept {
    /// Nothing was due after all (a stale listing), or nothing was left to publish.
    NotDue,
    /// Another live run holds the person's summonses.
    Busy,
    /// This many summonses were published.
    Summoned(usize),
}

impl<S: Store, P: Publisher, K: CprSealer> Pipeline<S, P, K> {
    /// Runs the sweep of `time.today` as `run` with no deadline; see the module documentation.
    pub async fn sweep(&self, time: ProcessingTime, run: &SweepRun) -> Result<SweepReport, SweepError> {
        self.sweep_until(time, run, None).await
    }

    /// Runs the sweep of `time.today` as `run`, reporting by `deadline`: no person is started with
    /// less than [`SWEEP_START_RESERVE`] left, one still running at the deadline is abandoned (and
    /// fails), the rest are counted as [`SweepReport::unreached`].
    pub async fn sweep_until(
        &self,
        time: ProcessingTime,
        run: &SweepRun,
        deadline: Option<Instant>,
    ) -> Result<SweepReport, SweepError> {
        // A policy edit since the last full pass: every stored `sweep_due` may be stale, so this run
        // visits everyone with a plan pending, works their day out again with today's policies,
        // summonses those now due and puts the others' day right.
        let fingerprint = self.policies().fingerprint();
        let listing = async {
            let mark = self.store().policies_mark().await?;
            let full = mark.as_deref() != Some(fingerprint.as_str());
            let listed_up_to = if full { EVERY_DAY } else { time.today };
            Ok((full, self.store().due_for_sweep(listed_up_to).await?))
        };
        let late = || Err(StoreError::Unavailable("the listing did not answer before the run's deadline".into()));
        let (full, people) = by(deadline, listing, late).await.map_err(SweepError::Listing)?;
        let mut report = SweepReport { listed: people.len(), ..SweepReport::default() };
        let mut first = None;
        let in_time = |_: &&PersonKey| deadline.is_none_or(|d| Instant::now() + SWEEP_START_RESERVE <= d);
        let mut reached = 0;
        if S::IN_PROCESS {
            // Nothing to wait for: one person after the other, with no task for each.
            for person in people.iter().take_while(in_time) {
                reached += 1;
                let result = self.sweep_person_by(person, time, run, deadline).await;
                report.count(person, result, run, &mut first);
            }
        } else {
            let mut results = futures::stream::iter(
                people
                    .iter()
                    .take_while(in_time)
                    .map(|person| async move { (person, self.sweep_person_by(person, time, run, deadline).await) }),
            )
            .buffered(CONCURRENCY);
            while let Some((person, result)) = results.next().await {
                reached += 1;
                report.count(person, result, run, &mut first);
            }
        }
        report.unreached = report.listed - reached;
        if report.unreached > 0 {
            tracing::warn!(
                run = %run.key.id,
                unreached = report.unreached,
                "the run's deadline came before these people were started; the next run takes them"
            );
        }
        if full && first.is_none() && report.unreached == 0 {
            // Only a pass that reached everyone makes the stored days today's policies' days.
            if let Err(error) = self.store().set_policies_mark(&fingerprint).await {
                first = Some(format!("recording the policies' fingerprint: {error}"));
            }
        }
        if first.is_none() && report.unreached == 0 {
            Ok(report)
        } else {
            Err(SweepError::Incomplete { report, first })
        }
    }

    /// [`Self::sweep_person`], abandoned (and failed) if it is still running at `deadline`.
    async fn sweep_person_by(
        &self,
        person: &PersonKey,
        time: ProcessingTime,
        run: &SweepRun,
        deadline: Option<Instant>,
    ) -> Result<Swept, String> {
        let late = || Err("abandoned at the run's deadline".to_string());
        by(deadline, self.sweep_person(person, time, run), late).await
    }

    /// Steps 1 to 5 for one person. Errors never hold the CPR number.
    async fn sweep_person(&self, person: &PersonKey, time: ProcessingTime, run: &SweepRun) -> Result<Swept, String> {
        let mut opened = None;
        for attempt in 1..=MAX_ATTEMPTS {
            let Some(stored) = self.store().load(person).await.map_err(|e| e.to_string())? else {
                return Ok(Swept::NotDue);
            };
            let mut state = stored.state;
            // The day as today's policies have it: the stored one may predate a policy edit.
            let due = domain::summons::sweep_due(&state, self.policies(), time.today);
            if due.is_none_or(|due| due > time.today) {
                if due == state.sweep_due {
                    return Ok(Swept::NotDue);
                }
                // Put the stored day right (a policy edit moved it), so the daily listing finds it.
                state.sweep_due = due;
                if due.is_none() {
                    state.pending_cpr = None;
                }
                match self.store().save(person, &state, Some(stored.version)).await {
                    Ok(_) => return Ok(Swept::NotDue),
                    Err(_) if attempt < MAX_ATTEMPTS => continue,
                    Err(e) => return Err(e.to_string()),
                }
            }
            let took_over = match state.unpublished_summons.take() {
                Some(marker) if marker.key == run.key => {
                    // This run's write 1 took effect although it was reported as failed.
                    state.unpublished_summons = Some(marker);
                    let cpr = self.open_cpr(person, &state, &mut opened).await?;
                    let outbox = domain::updates_published_by(&state, &run.key, &cpr);
                    return self.publish_and_finish(person, state, stored.version, &outbox, time, run).await;
                }
                Some(marker) if marker.lease_is_live(time.now) => return Ok(Swept::Busy),
                Some(dead) => {
                    domain::summons::take_over_summonses(&mut state, &dead.key, &run.key);
                    true
                }
                None => false,
            };
            let cpr = self.open_cpr(person, &state, &mut opened).await?;
            let decision = domain::summon(state, time.today, self.policies(), &cpr, &run.key)
                .map_err(|e| format!("summoning: {e}"))?;
            let Decision::Applied { state: mut next, updates } = decision else {
                unreachable!("summon always applies")
            };
            // The run's outbox: the new summonses, and those taken over from a dead run. (`summon`
            // has set `sweep_due` as it stands without a marker.)
            let outbox = if took_over { domain::updates_published_by(&next, &run.key, &cpr) } else { updates };
            if outbox.is_empty() {
                // Nothing to publish: a stale `sweep_due` (a policy changed), put right.
                if next.sweep_due.is_none() {
                    next.pending_cpr = None;
                }
                match self.store().save(person, &next, Some(stored.version)).await {
                    Ok(_) => return Ok(Swept::NotDue),
                    Err(_) if attempt < MAX_ATTEMPTS => continue,
                    Err(e) => return Err(e.to_string()),
                }
            }
            if S::IN_PROCESS {
                // One write (module documentation): the summonses recorded, no marker.
                if next.sweep_due.is_none() {
                    next.pending_cpr = None;
                }
                match self.store().save(person, &next, Some(stored.version)).await {
                    Ok(version) => return self.publish_recorded(person, next, version, &outbox, &cpr, time, run).await,
                    // A lost race: nothing was written; the reload tells what is left to do.
                    Err(_) if attempt < MAX_ATTEMPTS => continue,
                    Err(e) => return Err(e.to_string()),
                }
            }
            next.unpublished_summons = Some(run.clone());
            self.set_sweep_due(&mut next, time);
            match self.store().save(person, &next, Some(stored.version)).await {
                Ok(version) => return self.publish_and_finish(person, next, version, &outbox, time, run).await,
                // A lost race, or a write that may have taken effect: the reload tells.
                Err(_) if attempt < MAX_ATTEMPTS => continue,
                Err(e) => return Err(e.to_string()),
            }
        }
        unreachable!("the last attempt returns")
    }

    /// Steps 4 and 5: publishes `outbox`, then clears this run's marker from the state written as
    /// `version`. A failed publish releases the run's lease.
    async fn publish_and_finish(
        &self,
        person: &PersonKey,
        mut state: PersonState,
        mut version: u64,
        outbox: &[MeetingUpdate],
        time: ProcessingTime,
        run: &SweepRun,
    ) -> Result<Swept, String> {
        if let Err(failure) = self.publish(outbox, time.now).await {
            // Let the next run take over at once rather than after the lease.
            state.unpublished_summons = Some(SweepRun { key: run.key.clone(), started: time.now - SWEEP_LEASE });
            self.set_sweep_due(&mut state, time);
            let _ = self.store().save(person, &state, Some(version)).await;
            return Err(failure.to_string());
        }
        for attempt in 1..=MAX_ATTEMPTS {
            state.unpublished_summons = None;
            self.set_sweep_due(&mut state, time);
            if state.sweep_due.is_none() {
                state.pending_cpr = None;
            }
            match self.store().save(person, &state, Some(version)).await {
                Ok(_) => return Ok(Swept::Summoned(outbox.len())),
                Err(e) if attempt == MAX_ATTEMPTS => {
                    return Err(format!("published, but clearing the sweep's marker failed: {e}"));
                }
                Err(_) => {}
            }
            // A message for the person wrote in between, or the write took effect unseen.
            let reloaded = self.store().load(person).await.map_err(|e| e.to_string())?;
            match reloaded {
                Some(stored) if stored.state.unpublished_summons.as_ref().is_some_and(|m| m.key == run.key) => {
                    state = stored.state;
                    version = stored.version;
                }
                _ => return Ok(Swept::Summoned(outbox.len())),
            }
        }
        unreachable!("the last attempt returns")
    }

    /// One write's step 4: publishes `outbox`, which the state written as `version` already records
    /// as published. Should that fail, hands the summonses to the next run ([`Self::hand_over`]).
    #[allow(clippy::too_many_arguments)]
    async fn publish_recorded(
        &self,
        person: &PersonKey,
        state: PersonState,
        version: u64,
        outbox: &[MeetingUpdate],
        cpr: &Cpr,
        time: ProcessingTime,
        run: &SweepRun,
    ) -> Result<Swept, String> {
        let Err(failure) = self.publish(outbox, time.now).await else { return Ok(Swept::Summoned(outbox.len())) };
        match self.hand_over(person, state, version, cpr, time, run).await {
            Ok(()) => Err(failure.to_string()),
            Err(e) => Err(format!("{failure}; handing the summonses over to the next run failed too: {e}")),
        }
    }

    /// After a failed publish under one write: writes this run's marker with an expired lease, and
    /// the sealed number again if the write dropped it, so that the next run takes the summonses
    /// over at once and publishes exactly them, as after a failed publish with two writes. A lost
    /// race reloads; a state in which no update is this run's any more (a message replaced them
    /// with its own) needs nothing.
    async fn hand_over(
        &self,
        person: &PersonKey,
        mut state: PersonState,
        mut version: u64,
        cpr: &Cpr,
        time: ProcessingTime,
        run: &SweepRun,
    ) -> Result<(), String> {
        for attempt in 1..=MAX_ATTEMPTS {
            let holds_summonses =
                state.meetings.iter().any(|m| m.last_update.as_ref().is_some_and(|u| u.caused_by == run.key));
            if !holds_summonses {
                return Ok(());
            }
            state.unpublished_summons = Some(SweepRun { key: run.key.clone(), started: time.now - SWEEP_LEASE });
            self.set_sweep_due(&mut state, time);
            if state.pending_cpr.is_none() {
                state.pending_cpr = Some(self.sealer().seal(person, cpr).await.map_err(|e| e.to_string())?);
            }
            match self.store().save(person, &state, Some(version)).await {
                Ok(_) => return Ok(()),
                Err(e) if attempt == MAX_ATTEMPTS => return Err(e.to_string()),
                Err(_) => {}
            }
            match self.store().load(person).await.map_err(|e| e.to_string())? {
                Some(stored) => (state, version) = (stored.state, stored.version),
                None => return Ok(()),
            }
        }
        unreachable!("the last attempt returns")
    }

    /// `sweep_due` of a state as the sweep leaves it, marker included.
    fn set_sweep_due(&self, state: &mut PersonState, time: ProcessingTime) {
        state.sweep_due = domain::summons::sweep_due(state, self.policies(), time.today);
    }

    /// The person's CPR number, opened once per person and run.
    async fn open_cpr(&self, person: &PersonKey, state: &PersonState, opened: &mut Option<Cpr>) -> Result<Cpr, String> {
        if let Some(cpr) = opened {
            return Ok(*cpr);
        }
        let sealed = state.pending_cpr.as_ref().ok_or("the state has summonses due but no sealed CPR number")?;
        let cpr = self.sealer().open(person, sealed).await.map_err(|e| e.to_string())?;
        *opened = Some(cpr);
        Ok(cpr)
    }
}

/// `future`'s output, or `late()` if `deadline` comes first.
async fn by<T>(deadline: Option<Instant>, future: impl Future<Output = T>, late: impl FnOnce() -> T) -> T {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, future).await.unwrap_or_else(|_| late()),
        None => future.await,
    }
}

#[cfg(test)]
mod tests;
