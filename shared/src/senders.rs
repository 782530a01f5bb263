//! Who may speak for which a-kasse: the map from a sending AWS principal to its a-kasser, and the
//! threat model it answers.
//!
//! The inbound queues' policy admits the a-kasse accounts, but an account admitted to send could
//! otherwise send in the name of any a-kasse. SQS records who sent each message as the system
//! attribute `SenderId`, and Lambda passes it in every record (`attributes.SenderId`). SQS does not
//! give the sender's account: `SenderId` is the principal's unique id, `AIDA...` for an IAM user,
//! `AROA...:<session>` for a role session, the account id for the account's root user. So the map
//! names principals: each entry `principal=akasse` says that this principal (a user id, a role id
//! without its session, or an account id) may send for that a-kasse (three digits). A principal
//! may send for several a-kasser (a shared IT provider): one entry per a-kasse.
//!
//! The map is configuration deployed with the stack: the template parameter `AkasseSenders`,
//! passed to every function as `AKASSE_SENDERS` (`"AROAEXAMPLE1=067,AROAEXAMPLE1=010"`). A valid
//! message passes [`Senders::check`] only if its sender is an a-kasse principal of the map, its
//! `source` is `urn:dk:akasse:<n>` for an a-kasse `n` the sender may send for, and (registrations)
//! its `data.akasse` is one too. Otherwise it is dead-lettered with `sender_mismatch`.
//!
//! # Threat model: what a sender can forge
//!
//! - **`SenderId` cannot be forged.** SQS sets it from the credentials that signed `SendMessage`.
//!   It is the only thing about a message that the sender does not write.
//! - **Everything else can.** An a-kasse principal writes the body and may put any message
//!   attributes on its messages: samspil's own (`samspil-redriven`, `samspil-sender`, `error_code`,
//!   ...) as well as any other. A message whose SQS sender is not a redrive principal therefore has
//!   samspil's attributes ignored: it is checked against its own `SenderId`, and a
//!   `samspil-redriven` it carries does not make it a redelivery (which would republish the
//!   updates of the message it duplicates).
//! - **A dead-letter queue holds two kinds of message.** Those samspil dead-lettered as bad input:
//!   sent by a function's role, with attributes samspil wrote fresh (`error_code`, `error_message`,
//!   and the sender it checked the message against, sealed: [`origin`]). And those SQS moved there
//!   after `maxReceiveCount` receives (transient failures): SQS keeps the message's original
//!   `SenderId` and its original attributes, forged ones included.
//!
//! # Redrive
//!
//! `samspil redrive` sends dead letters back to their queue as the operator, so SQS names the
//! operator as their sender. An entry `principal=redrive` names such an operator role. It is not a
//! pass: a message from a redrive principal is checked against its *original* sender, which the
//! pipeline works out from samspil's attributes without trusting any an a-kasse could have written
//! ([`origin`]), and only such a message has its `samspil-redriven` mark honoured. A message from a
//! redrive principal whose original sender cannot be established, or whose original sender is not
//! an a-kasse principal, is refused with `sender_mismatch`: a forgery dead-lettered as
//! `sender_mismatch` fails the same way after any number of redrives, and so do the messages of a
//! sender removed from the map.
//!
//! In-process runs without SQS (replay, simulation, unit tests) have no sender:
//! [`Senders::unchecked`] says so explicitly, and trusts every mark. The Lambda functions cannot
//! run without the map.

mod origin;

pub use origin::{
    DEAD_LETTER_SENDERS_ATTRIBUTE, ERROR_CODE_ATTRIBUTE, ERROR_MESSAGE_ATTRIBUTE, MAX_DEAD_LETTER_SENDERS, Marks,
    Origin, Provenance, ProvenanceSeal, REDRIVEN_ATTRIBUTE, SAMSPIL_ATTRIBUTES, SEAL_ATTRIBUTE, SENDER_ATTRIBUTE,
    principal, redriven_marks,
};

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::contract::{BadInput, ErrorCode, Fact, InboundMessage};

pub use crate::contract::AKASSE_SOURCE_PREFIX;

/// The sending principals and the a-kasser each may send for.
#[derive(Clone, PartialEq, Eq)]
pub struct Senders {
    /// `None`: no sender is known in this run (no SQS), so nothing is checked.
    map: Option<BTreeMap<String, Allowed>>,
}

/// What one principal may send.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Allowed {
    /// Messages of these a-kasser (three-digit numbers).
    Akasser(BTreeSet<String>),
    /// Redriven messages of any a-kasse: an operator's role (`principal=redrive`).
    Redrive,
}

/// The value of a `principal=redrive` entry.
pub const REDRIVE: &str = "redrive";

/// What is wrong with a sender map. Names the entry's position, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendersError {
    #[error("the sender map is empty: no a-kasse could send")]
    Empty,
    #[error(
        "entry {position} of the sender map is not `principal=akasse` with a 3-digit a-kasse number (or `principal=redrive`)"
    )]
    Malformed { position: usize },
    #[error("entry {position} of the sender map names a redrive principal that also sends for an a-kasse")]
    Mixed { position: usize },
}

impl Senders {
    /// No check: for in-process runs that have no SQS sender (replay, simulation, unit tests).
    pub fn unchecked() -> Self {
        Senders { map: None }
    }

    /// The map from its configuration form: comma-separated `principal=akasse` entries.
    pub fn parse(text: &str) -> Result<Self, SendersError> {
        let mut map: BTreeMap<String, Allowed> = BTreeMap::new();
        for (index, entry) in text.split(',').map(str::trim).filter(|e| !e.is_empty()).enumerate() {
            let malformed = SendersError::Malformed { position: index + 1 };
            let (principal, akasse) = entry.split_once('=').ok_or(malformed.clone())?;
            let (principal, akasse) = (principal.trim(), akasse.trim());
            let principal_ok = !principal.is_empty() && principal.bytes().all(|b| b.is_ascii_alphanumeric());
            let akasse_ok = akasse.len() == 3 && akasse.bytes().all(|b| b.is_ascii_digit());
            if !(principal_ok && (akasse_ok || akasse == REDRIVE)) {
                return Err(malformed);
            }
            let mixed = SendersError::Mixed { position: index + 1 };
            let redrive = akasse == REDRIVE;
            let allowed = map
                .entry(principal.to_owned())
                .or_insert_with(|| if redrive { Allowed::Redrive } else { Allowed::Akasser(BTreeSet::new()) });
            match (allowed, redrive) {
                (Allowed::Akasser(akasser), false) => {
                    akasser.insert(akasse.to_owned());
                }
                (Allowed::Redrive, true) => {}
                _ => return Err(mixed),
            }
        }
        if map.is_empty() {
            return Err(SendersError::Empty);
        }
        Ok(Senders { map: Some(map) })
    }

    /// Whether `sender` (the SQS `SenderId`, or a redriven message's original sender) may send
    /// `message` itself; `sender_mismatch` if not. A redrive principal sends for no a-kasse.
    pub fn check(&self, sender: Option<&str>, message: &InboundMessage) -> Result<(), BadInput> {
        self.check_origin(&Origin::sent_by(sender), message)
    }

    /// Whether the message may be processed as sent by `origin` ([`Senders::origin`]).
    pub fn check_origin(&self, origin: &Origin, message: &InboundMessage) -> Result<(), BadInput> {
        let Some(map) = &self.map else { return Ok(()) };
        if let Some(reason) = origin.unresolved {
            return Err(mismatch(reason));
        }
        let akasser = match origin.sender.as_deref().and_then(|p| map.get(p)) {
            None => return Err(mismatch("the sender (SQS SenderId) is not registered for any a-kasse")),
            Some(Allowed::Redrive) => {
                return Err(mismatch(
                    "the sender is a redrive principal, which sends only dead letters back (samspil redrive) and \
                     for no a-kasse of its own",
                ));
            }
            Some(Allowed::Akasser(akasser)) => akasser,
        };
        let named = message.key.source.strip_prefix(AKASSE_SOURCE_PREFIX);
        if !named.is_some_and(|n| akasser.contains(n)) {
            return Err(mismatch(
                "`source` does not name an a-kasse (urn:dk:akasse:<number>) the sender is registered for",
            ));
        }
        if let Fact::Registration(r) = &message.fact
            && !akasser.contains(r.akasse.as_str())
        {
            return Err(mismatch("`data.akasse` is not an a-kasse the sender is registered for"));
        }
        Ok(())
    }

    /// Whether the map names `principal` as a redrive principal.
    fn is_redrive(&self, principal: &str) -> bool {
        self.map.as_ref().is_some_and(|map| matches!(map.get(principal), Some(Allowed::Redrive)))
    }

    /// Whether sender checks are on (a map was given): samspil's marks are then trusted only from
    /// redrive principals.
    fn checked(&self) -> bool {
        self.map.is_some()
    }
}

fn mismatch(message: &str) -> BadInput {
    BadInput::new(ErrorCode::SenderMismatch, message)
}

impl fmt::Debug for Senders {
    // Principal ids are not secret, but they are account details: print only the shape.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.map {
            None => f.write_str("Senders(unchecked)"),
            Some(map) => write!(f, "Senders({} principals)", map.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::parse;

    const CPR: &str = "0101900000";

    fn registration(source: &str, akasse: &str) -> InboundMessage {
        let body = serde_json::json!({
            "specversion": "1.0", "id": "r1", "source": source, "type": "dk.akasse.registration.v1",
            "time": "2026-11-02T08:00:00+01:00",
            "data": {"cpr": CPR, "municipality": "851", "akasse": akasse, "registered_on": "2026-11-02"},
        });
        parse("registrations", &body.to_string()).expect("a valid registration")
    }

    fn cv(source: &str) -> InboundMessage {
        let body = serde_json::json!({
            "specversion": "1.0", "id": "c1", "source": source, "type": "dk.akasse.cv-completed.v1",
            "time": "2026-11-02T08:00:00+01:00", "data": {"cpr": CPR, "completed_on": "2026-11-02"},
        });
        parse("cv-completions", &body.to_string()).expect("a valid CV completion")
    }

    fn senders() -> Senders {
        Senders::parse("AROAPROVIDER=067, AROAPROVIDER=010,AIDAUSER048=048,AROAOPERATOR=redrive").unwrap()
    }

    fn code(result: Result<(), BadInput>) -> Option<&'static str> {
        result.err().map(|e| e.code.as_str())
    }

    #[test]
    fn a_registered_sender_sends_for_its_own_akasser() {
        let s = senders();
        assert_eq!(code(s.check(Some("AROAPROVIDER:session-1"), &registration("urn:dk:akasse:067", "067"))), None);
        assert_eq!(code(s.check(Some("AROAPROVIDER"), &registration("urn:dk:akasse:010", "010"))), None);
        assert_eq!(code(s.check(Some("AIDAUSER048"), &cv("urn:dk:akasse:048"))), None);
    }

    #[test]
    fn a_redrive_principal_sends_for_no_akasse_of_its_own() {
        let s = senders();
        let mismatch = Some("sender_mismatch");
        assert_eq!(code(s.check(Some("AROAOPERATOR:alice"), &registration("urn:dk:akasse:099", "099"))), mismatch);
        assert_eq!(code(s.check(Some("AROAOPERATOR"), &registration("urn:dk:akasse:067", "067"))), mismatch);
        assert_eq!(code(s.check(Some("AROAOPERATOR"), &cv("urn:other"))), mismatch);
        let err = s.check(Some("AROAOPERATOR"), &cv("urn:dk:akasse:067")).unwrap_err();
        assert!(err.message.contains("redrive principal"), "{}", err.message);
    }

    #[test]
    fn a_sender_speaking_for_another_akasse_is_a_mismatch() {
        let s = senders();
        let mismatch = Some("sender_mismatch");
        assert_eq!(code(s.check(Some("AIDAUSER048"), &registration("urn:dk:akasse:067", "067"))), mismatch);
        assert_eq!(code(s.check(Some("AIDAUSER048"), &registration("urn:dk:akasse:048", "067"))), mismatch);
        assert_eq!(code(s.check(Some("AIDAUSER048"), &cv("urn:dk:akasse:067"))), mismatch);
        assert_eq!(code(s.check(Some("AIDAUSER048"), &cv("urn:other:048"))), mismatch);
        assert_eq!(code(s.check(Some("AIDASTRANGER"), &cv("urn:dk:akasse:048"))), mismatch);
        assert_eq!(code(s.check(None, &cv("urn:dk:akasse:048"))), mismatch);
        assert_eq!(code(s.check(Some(""), &cv("urn:dk:akasse:048"))), mismatch);
    }

    #[test]
    fn the_mismatch_message_names_no_value() {
        let err = senders().check(Some("AIDASTRANGER"), &registration("urn:dk:akasse:999", "999")).unwrap_err();
        assert!(!err.message.contains("AIDASTRANGER") && !err.message.contains("999") && !err.message.contains(CPR));
    }

    #[test]
    fn unchecked_lets_every_message_through() {
        assert_eq!(code(Senders::unchecked().check(None, &cv("urn:anything"))), None);
    }

    #[test]
    fn a_malformed_map_names_the_entry_not_its_value() {
        assert_eq!(Senders::parse(""), Err(SendersError::Empty));
        assert_eq!(Senders::parse("AROA=067,AROA=67"), Err(SendersError::Malformed { position: 2 }));
        assert_eq!(Senders::parse("AROA:x=067"), Err(SendersError::Malformed { position: 1 }));
        assert_eq!(Senders::parse("067"), Err(SendersError::Malformed { position: 1 }));
        assert_eq!(Senders::parse("AROA=067,AROA=redrive"), Err(SendersError::Mixed { position: 2 }));
        assert_eq!(Senders::parse("AROA=redrive,AROA=067"), Err(SendersError::Mixed { position: 2 }));
        assert_eq!(format!("{:?}", senders()), "Senders(3 principals)");
    }
}
