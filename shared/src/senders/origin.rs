//! Where a message comes from when it comes back from a dead-letter queue: samspil's own message
//! attributes, who may write them, and how the pipeline works out a redriven message's original
//! sender without trusting anything an a-kasse could have written.
//!
//! # The attributes
//!
//! | attribute | written by | holds |
//! |---|---|---|
//! | `error_code`, `error_message` | the pipeline, when it dead-letters bad input | why (contract.md, "Bad input") |
//! | [`SENDER_ATTRIBUTE`] `samspil-sender` | the pipeline, when it dead-letters | the principal it checked the message against (absent: none could be established) |
//! | [`SEAL_ATTRIBUTE`] `samspil-seal` | the pipeline, when it dead-letters | an HMAC, under the pipeline's secret, of the queue, that sender and the body ([`ProvenanceSeal`]) |
//! | [`DEAD_LETTER_SENDERS_ATTRIBUTE`] `samspil-dead-letter-senders` | `samspil redrive` | the principals (SQS `SenderId` without the session) of the dead letters the message was moved back from, oldest first |
//! | [`REDRIVEN_ATTRIBUTE`] `samspil-redriven` | `samspil redrive` | `1`: it may have been processed before |
//!
//! `samspil redrive` sends a dead letter back with these four `samspil-` attributes only: the
//! sender and seal copied as the dead letter has them (it cannot tell whether they are genuine:
//! [`redriven_marks`]), the dead letter's own `SenderId` appended to the list, and the mark. It
//! drops every other attribute, `error_code` included.
//!
//! # Working out the original sender
//!
//! A message whose SQS sender is **not** a redrive principal is checked against that sender, and
//! its `samspil-` attributes are ignored ([`Senders::origin`]). A message from a redrive principal
//! is checked against its original sender, established in this order:
//!
//! 1. **The seal.** If `samspil-seal` is the seal of this queue, this body and the `samspil-sender`
//!    it carries (none, if absent), the pipeline itself wrote that sender when it dead-lettered this
//!    very body: that is the original sender. Only the pipeline holds the secret, and the seal covers
//!    the body, so a seal cannot be forged, nor moved to another message.
//! 2. **The dead letters' senders**, from the newest back. The newest entry is the `SenderId` of
//!    the dead letter `samspil redrive` just moved, read from SQS: trusted. If it is an a-kasse
//!    principal (or any principal not a redrive one), SQS moved the a-kasse's own message there
//!    after its retries ran out: that principal is the original sender, and whatever attributes the
//!    message carried were its own, so nothing older counts. If it is a redrive principal, the dead
//!    letter was itself a redriven message that ran out of retries: its attributes were written by
//!    `samspil redrive`, so the entry before it is trusted in turn.
//! 3. **Nothing else.** No seal and no usable entry (a list that runs out, a malformed entry, a
//!    list longer than [`MAX_DEAD_LETTER_SENDERS`]): the message is refused as `sender_mismatch`.
//!
//! A dead letter sent back by a role that is not a redrive principal is checked as that role (and
//! so refused), but when its seal verifies, the pipeline dead-letters it again with the original
//! sender and seal it carried (`Pipeline::provenance`): a mistaken role loses nothing, and a later
//! redrive by a redrive principal checks the original sender again.
//!
//! A message the pipeline dead-lettered but cannot unseal any more (the secret was rotated since)
//! falls through to step 2, whose newest entry is then the function's own role: not an a-kasse
//! principal, so it is refused, never laundered.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::identity::PersonKeyer;

use super::Senders;

/// Marks a message `samspil redrive` moved back from a dead-letter queue.
pub const REDRIVEN_ATTRIBUTE: &str = "samspil-redriven";
/// The principal the pipeline checked a dead-lettered message against.
pub const SENDER_ATTRIBUTE: &str = "samspil-sender";
/// The seal over the queue, [`SENDER_ATTRIBUTE`] and the body ([`ProvenanceSeal`]).
pub const SEAL_ATTRIBUTE: &str = "samspil-seal";
/// The principals of the dead letters a redriven message was moved back from, oldest first.
pub const DEAD_LETTER_SENDERS_ATTRIBUTE: &str = "samspil-dead-letter-senders";
/// The bad-input code of a dead letter (contract.md, "Bad input").
pub const ERROR_CODE_ATTRIBUTE: &str = "error_code";
/// The readable reason of a dead letter.
pub const ERROR_MESSAGE_ATTRIBUTE: &str = "error_message";
/// Every attribute samspil writes: trusted only from samspil, never from an a-kasse.
pub const SAMSPIL_ATTRIBUTES: [&str; 6] = [
    REDRIVEN_ATTRIBUTE,
    SENDER_ATTRIBUTE,
    SEAL_ATTRIBUTE,
    DEAD_LETTER_SENDERS_ATTRIBUTE,
    ERROR_CODE_ATTRIBUTE,
    ERROR_MESSAGE_ATTRIBUTE,
];

/// The longest [`DEAD_LETTER_SENDERS_ATTRIBUTE`] list: one entry per trip through a dead-letter
/// queue and back. `samspil redrive` keeps the newest entries; the pipeline refuses a longer list.
pub const MAX_DEAD_LETTER_SENDERS: usize = 8;

/// The seal's purpose, which keeps its MACs apart from person keys under the same secret.
const SEAL_PURPOSE: &[u8] = b"samspil/dead-letter-seal/v1\n";

/// The principal of an SQS `SenderId`: a role session's id is `<role id>:<session name>`, and the
/// role is what the sender map registers.
pub fn principal(sender_id: &str) -> &str {
    sender_id.split(':').next().unwrap_or(sender_id)
}

/// Whether `text` has the shape of a principal (an IAM unique id or an account id).
fn is_principal(text: &str) -> bool {
    (1..=128).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// samspil's marks as a received message carries them. They are claims: [`Senders::origin`]
/// trusts them only from a redrive principal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    /// [`REDRIVEN_ATTRIBUTE`] is present.
    pub redriven: bool,
    /// [`SENDER_ATTRIBUTE`].
    pub sender: Option<String>,
    /// [`SEAL_ATTRIBUTE`].
    pub seal: Option<String>,
    /// [`DEAD_LETTER_SENDERS_ATTRIBUTE`].
    pub dead_letter_senders: Option<String>,
}

impl Marks {
    /// The marks of a message whose string attribute `name` is `attribute(name)`.
    pub fn read<'a>(attribute: impl Fn(&str) -> Option<&'a str>) -> Marks {
        let text = |name| attribute(name).map(str::to_owned);
        Marks {
            redriven: attribute(REDRIVEN_ATTRIBUTE).is_some(),
            sender: text(SENDER_ATTRIBUTE),
            seal: text(SEAL_ATTRIBUTE),
            dead_letter_senders: text(DEAD_LETTER_SENDERS_ATTRIBUTE),
        }
    }

    /// The marks as message attributes `(name, value)`, the absent ones left out (SQS refuses an
    /// empty value).
    pub fn attributes(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.redriven {
            out.push((REDRIVEN_ATTRIBUTE, "1".to_owned()));
        }
        for (name, value) in [
            (SENDER_ATTRIBUTE, &self.sender),
            (SEAL_ATTRIBUTE, &self.seal),
            (DEAD_LETTER_SENDERS_ATTRIBUTE, &self.dead_letter_senders),
        ] {
            if let Some(value) = value.as_ref().filter(|v| !v.is_empty()) {
                out.push((name, value.clone()));
            }
        }
        out
    }
}

/// The marks `samspil redrive` sends a dead letter back with: the dead letter's sender and seal as
/// it carries them, its dead-letter senders (the newest that fit) followed by the principal of its
/// own `SenderId`, and the redriven mark. `None` when `dead_letter_sender` is not a principal's id:
/// such a dead letter cannot be vouched for and stays where it is.
pub fn redriven_marks(dead_letter: &Marks, dead_letter_sender: &str) -> Option<Marks> {
    let newest = principal(dead_letter_sender);
    if !is_principal(newest) {
        return None;
    }
    // Entries an a-kasse may have written are kept too: the pipeline reads the list from the
    // newest entry back and stops at the first sender that is not a redrive principal.
    let earlier: Vec<&str> = dead_letter
        .dead_letter_senders
        .as_deref()
        .unwrap_or("")
        .rsplit(',')
        .take_while(|entry| is_principal(entry))
        .take(MAX_DEAD_LETTER_SENDERS - 1)
        .collect();
    let mut list: Vec<&str> = earlier.into_iter().rev().collect();
    list.push(newest);
    Some(Marks {
        redriven: true,
        sender: dead_letter.sender.clone(),
        seal: dead_letter.seal.clone(),
        dead_letter_senders: Some(list.join(",")),
    })
}

/// What the pipeline records with a message it dead-letters: the sender it checked the message
/// against, and the seal that proves the pipeline wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// [`SENDER_ATTRIBUTE`]; `None` when no sender could be established.
    pub sender: Option<String>,
    /// [`SEAL_ATTRIBUTE`]: 64 hex digits.
    pub seal: String,
}

/// Seals and checks [`Provenance`]: an HMAC-SHA256 under the pipeline's secret (the person keys'
/// secret, with a purpose of its own) over the queue, the sender and the body.
#[derive(Clone)]
pub struct ProvenanceSeal {
    mac: Hmac<Sha256>,
}

impl fmt::Debug for ProvenanceSeal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProvenanceSeal(<secret>)")
    }
}

impl ProvenanceSeal {
    pub fn new(keyer: &PersonKeyer) -> Self {
        ProvenanceSeal { mac: keyer.mac_for(SEAL_PURPOSE) }
    }

    fn mac(&self, queue: &str, sender: Option<&str>, body: &str) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        // Neither a queue name nor a principal holds a newline, so the fields cannot run together.
        mac.update(queue.as_bytes());
        mac.update(b"\n");
        mac.update(sender.unwrap_or("").as_bytes());
        mac.update(b"\n");
        mac.update(body.as_bytes());
        mac
    }

    /// The provenance to record when dead-lettering `body` from `queue`, checked against `sender`.
    pub fn provenance(&self, queue: &str, sender: Option<&str>, body: &str) -> Provenance {
        let seal = crate::identity::lower_hex(&self.mac(queue, sender, body).finalize().into_bytes());
        Provenance { sender: sender.map(str::to_owned), seal }
    }

    /// Whether `seal` is the seal of `queue`, `sender` and `body` (compared in constant time).
    pub fn verifies(&self, queue: &str, sender: Option<&str>, body: &str, seal: &str) -> bool {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(seal, &mut bytes).is_ok() && self.mac(queue, sender, body).verify_slice(&bytes).is_ok()
    }
}

/// Who a delivery is checked as, once samspil's marks on it are weighed ([`Senders::origin`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The principal the message is checked against: its SQS sender's, or for a redriven message
    /// its original sender's. `None` when there is none.
    pub sender: Option<String>,
    /// Whether the message came back through `samspil redrive`, as a redrive principal vouches:
    /// it may have been processed before (its outbox is published again if so).
    pub redriven: bool,
    /// Why a redriven message's original sender could not be established; it is then refused.
    pub unresolved: Option<&'static str>,
}

impl Origin {
    /// A message sent by `sender` (an SQS `SenderId`) itself, with no marks weighed.
    pub fn sent_by(sender: Option<&str>) -> Origin {
        let sender = sender.map(principal).filter(|p| !p.is_empty()).map(str::to_owned);
        Origin { sender, redriven: false, unresolved: None }
    }
}

impl Senders {
    /// Who a delivery sent by `sender` (its SQS `SenderId`) and carrying `marks` is checked as; see
    /// the module documentation. `sealed(sender, seal)` says whether `seal` is the pipeline's seal
    /// of the delivery's queue and body with that sender.
    ///
    /// Without a map ([`Senders::unchecked`]) nothing is checked and every mark is trusted.
    pub fn origin(
        &self,
        sender: Option<&str>,
        marks: &Marks,
        sealed: impl FnOnce(Option<&str>, &str) -> bool,
    ) -> Origin {
        let direct = Origin::sent_by(sender);
        if !self.checked() {
            return Origin { redriven: marks.redriven, ..direct };
        }
        if !direct.sender.as_deref().is_some_and(|p| self.is_redrive(p)) {
            // An a-kasse (or a stranger): its samspil attributes are its own writing, ignored.
            return direct;
        }
        let original = match &marks.seal {
            Some(seal) if sealed(marks.sender.as_deref(), seal) => match &marks.sender {
                Some(sender) => Ok(sender.clone()),
                None => Err("the redriven message was dead-lettered without a sender it could be checked against"),
            },
            _ => self.dead_letter_sender(marks.dead_letter_senders.as_deref()),
        };
        match original {
            Ok(sender) => Origin { sender: Some(sender), redriven: marks.redriven, unresolved: None },
            Err(reason) => Origin { sender: None, redriven: marks.redriven, unresolved: Some(reason) },
        }
    }

    /// The original sender from a redriven message's dead-letter senders: from the newest entry
    /// back, the first that is not a redrive principal.
    fn dead_letter_sender(&self, list: Option<&str>) -> Result<String, &'static str> {
        const NONE: &str = "a redriven message must name its original sender: it has neither a valid seal nor a \
                            dead-letter sender that is not a redrive principal";
        let list = list.ok_or(NONE)?;
        if list.split(',').count() > MAX_DEAD_LETTER_SENDERS {
            return Err("a redriven message names more dead-letter senders than samspil redrive writes");
        }
        for entry in list.rsplit(',') {
            if !is_principal(entry) {
                return Err("a redriven message names a dead-letter sender that is not a principal id");
            }
            if !self.is_redrive(entry) {
                return Ok(entry.to_owned());
            }
        }
        Err(NONE)
    }
}

#[cfg(test)]
mod tests;
