//! How many facts samspil keeps for one person: a bound on what any sender can make a person's
//! stored item grow to (DynamoDB refuses items over 400 KB, and then every write for the person
//! would fail).
//!
//! Rule R14 keeps a fact that concerns no known period (it may count once its period is known),
//! and a registration of another a-kasse sent earlier than the member's own changes nothing but is
//! kept too, so without a bound a registered a-kasse could add facts to anybody's item, even
//! another a-kasse's member's. The bounds are per a-kasse (the one in the fact's `source`), so one
//! a-kasse's facts never use up another's share:
//!
//! - [`MAX_UNPLACED_PER_AKASSE`]: facts about no known period from one a-kasse.
//! - [`MAX_FACTS_PER_AKASSE`]: all facts from one a-kasse. Folding (`compaction.rs`) keeps a real
//!   life far below it (a seasonal worker's twenty years keep a handful); only a sender that invents
//!   facts reaches it.
//! - [`MAX_FACTS_OF_OUTSIDERS`]: all facts from a-kasser that hold none of the person's known
//!   periods, together. So the item is bounded however many a-kasser send: a share for each a-kasse
//!   that holds a period (to hold one it must have registered the person, sent later than the one
//!   before it, R14), and one share for everybody else. Outsiders can use up only their common
//!   share, never the share of an a-kasse that holds a period.
//!
//! Beyond either, the message is bad input, `too_many_facts`: dead-lettered, nothing stored. A
//! registered sending role speaks for its own a-kasse (or the few an IT provider is registered
//! for), so it can grow a person's item by at most those shares.

use super::periods::{self, Period};
use super::state::RecordedFact;
use crate::contract::{Fact, MessageKey};

/// The most facts kept for one person from one a-kasse. At the contract's largest fact (an id of
/// 128 characters) that is under 80 KB, well under DynamoDB's 400 KB item.
pub const MAX_FACTS_PER_AKASSE: usize = 256;

/// The most facts about no known period kept for one person from one a-kasse.
pub const MAX_UNPLACED_PER_AKASSE: usize = 32;

/// The most facts kept for one person from all a-kasser that hold none of the person's known
/// periods, together: so however many a-kasser (or one IT provider registered for many) send about
/// a person, the item stays bounded: a share per a-kasse that holds a period, and this one share for
/// all the others.
pub const MAX_FACTS_OF_OUTSIDERS: usize = 256;

/// Whether a fact sent as `key`, not yet stored, may be kept beside `facts`, whose periods are
/// `periods`; `placed` says whether it is a registration or about a known period
/// ([`periods::period_about`]), which the caller has worked out already.
pub fn admits(facts: &[RecordedFact], periods: &[Period<'_>], key: &MessageKey, placed: bool) -> bool {
    let akasse = key.akasse();
    let mut own = facts.iter().filter(|f| f.key.akasse() == akasse);
    if own.clone().count() >= MAX_FACTS_PER_AKASSE {
        return false;
    }
    let holds = |a: Option<&str>| a.is_some_and(|a| periods.iter().any(|p| p.akasse() == a));
    if !holds(akasse) && facts.iter().filter(|f| !holds(f.key.akasse())).count() >= MAX_FACTS_OF_OUTSIDERS {
        return false;
    }
    if placed {
        return true;
    }
    let unplaced = own
        .by_ref()
        .filter(|f| !matches!(f.fact, Fact::Registration(_)))
        .filter(|f| periods::period_about(periods, &f.fact).is_none())
        .count();
    unplaced < MAX_UNPLACED_PER_AKASSE
}
