//! How many facts samspil keeps for one person: a bound on what any sender can make a person's
//! stored item grow to (DynamoDB refuses items over 400 KB, and then every write for the person
//! would fail).
//!
//! Rule R14 keeps a fact that concerns no known period (it may count once its period is known),
//! so without a bound a registered a-kasse could add facts to anybody's item, even another
//! a-kasse's member's. Two limits:
//!
//! - [`MAX_UNPLACED_PER_AKASSE`]: facts about no known period from one a-kasse. So another a-kasse
//!   can fill only its own share, never the member's own a-kasse's.
//! - [`MAX_FACTS`]: all facts of the person. Folding (`compaction.rs`) keeps a real life far below it
//!   (a seasonal worker's twenty years keep a handful); only a sender that invents facts reaches it.
//!
//! Beyond either, the message is bad input, `too_many_facts`: dead-lettered, nothing stored.

use super::periods::{self, Period};
use super::state::RecordedFact;
use crate::contract::{Fact, MessageKey};

/// The most facts kept for one person. At the contract's largest fact (an id of 128 characters)
/// that is well under DynamoDB's 400 KB item.
pub const MAX_FACTS: usize = 512;

/// The most facts about no known period kept for one person from one a-kasse.
pub const MAX_UNPLACED_PER_AKASSE: usize = 32;

/// Whether `fact` (sent as `key`, not yet stored) may be kept beside `facts`, whose periods are
/// `periods`.
pub fn admits(facts: &[RecordedFact], periods: &[Period<'_>], key: &MessageKey, fact: &Fact) -> bool {
    if facts.len() >= MAX_FACTS {
        return false;
    }
    if matches!(fact, Fact::Registration(_)) || periods::period_about(periods, fact).is_some() {
        return true;
    }
    let unplaced = facts
        .iter()
        .filter(|f| !matches!(f.fact, Fact::Registration(_)) && f.key.akasse() == key.akasse())
        .filter(|f| periods::period_about(periods, &f.fact).is_none())
        .count();
    unplaced < MAX_UNPLACED_PER_AKASSE
}
