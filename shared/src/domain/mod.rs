//! The pure domain: what happens to a person's joint meetings when a fact arrives.
//!
//! Everything here is a function of its arguments: no I/O, no clock, no randomness. The processing
//! day (rule R0) comes in as an argument, so the same inputs always give the same decision, which is
//! what makes replays, simulations and the order-independence property tests possible.
//!
//! - [`clock`]: the cumulative-unemployment clock and its weeks (rule R1).
//! - [`compaction`]: folding away periods closed so long ago that no rule can reach them.
//! - [`limits`]: how many facts are kept for one person (`too_many_facts`).
//! - [`periods`]: which unemployment periods a set of facts describes (rules R7 and R8).
//! - [`schedule`]: choosing a meeting day (rule R4).
//! - [`state`]: what is stored per person, the sealed CPR number and the sweep's marker included.
//! - [`decide()`]: one fact in, the new state and the updates to publish out (rules R5 to R11).
//! - [`Decision`]: what `decide` and `summon` give back (in `decision.rs`, below both).
//! - [`summons`]: summons at the right time (rule R12): [`summon()`], run by the pipeline's sweep.

pub mod clock;
pub mod compaction;
mod decide;
mod decision;
pub mod limits;
pub mod periods;
pub mod schedule;
pub mod state;
pub mod summons;

pub use decide::{decide, updates_published_by};
pub use decision::{Decision, Refusal};
pub use state::{LastUpdate, Meeting, MeetingStatus, PersonState, RecordedFact, SealedCpr, SweepRun, Transfer};
pub use summons::{summon, summons_day};

#[cfg(test)]
mod compaction_tests;
#[cfg(test)]
mod correction_tests;
#[cfg(test)]
mod history_properties;
#[cfg(test)]
mod order_properties;
#[cfg(test)]
mod summons_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod trust_tests;
