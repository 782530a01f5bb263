//! [`KmsSealer`]: the [`CprSealer`] port on AWS KMS, for rule R12's summonses.
//!
//! While a plan awaits its summons, the person's item holds the CPR number sealed (docs/security.md,
//! "CPR number for summonses"): the KMS ciphertext of the digits under the key `SummonsKey`
//! (`SUMMONS_KEY_ID`), base64 in [`SealedCpr`]. Every call names the encryption context
//! `{"samspil:person": <the item's pk>}`, so a ciphertext copied into another person's item does not
//! decrypt, and CloudTrail records which person each `Decrypt` was for.
//!
//! **Requests.** [`CprSealer::seal`] is one `Encrypt` (the inbound functions, once per person
//! entering a pending state); [`CprSealer::open`] is one `Decrypt` (the sweep, once per person it
//! summonses). The key policy lets the inbound functions' roles only encrypt and the summons
//! function's role only decrypt.
//!
//! **Errors** ([`SealError`]) name the operation and what the service said, with the CPR number
//! blanked out in case a message ever quoted it; never the plaintext. A ciphertext that does not
//! decode as base64, or a plaintext that is not a CPR number, is reported by what is wrong, not by
//! its bytes.

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;

use super::describe;
use super::item_key::partition_key;
use crate::contract::Cpr;
use crate::domain::SealedCpr;
use crate::identity::PersonKey;
use crate::pipeline::{CprSealer, SealError};

/// The encryption context key of every sealed CPR number; its value is the person's item key.
pub const PERSON_CONTEXT: &str = "samspil:person";

/// A [`CprSealer`] on one KMS key.
#[derive(Debug, Clone)]
pub struct KmsSealer {
    client: Client,
    key_id: String,
}

impl KmsSealer {
    /// A sealer with the key `key_id` (an id, ARN or alias of `SummonsKey`).
    pub fn new(client: Client, key_id: impl Into<String>) -> Self {
        KmsSealer { client, key_id: key_id.into() }
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }
}

impl CprSealer for KmsSealer {
    async fn seal(&self, person: &PersonKey, cpr: &Cpr) -> Result<SealedCpr, SealError> {
        let output = self
            .client
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(Blob::new(cpr.expose().as_bytes()))
            .encryption_context(PERSON_CONTEXT, partition_key(person))
            .send()
            .await
            .map_err(|e| SealError(describe("KMS Encrypt", &e, Some(cpr.expose()))))?;
        let blob = output.ciphertext_blob.ok_or_else(|| SealError("KMS Encrypt returned no ciphertext".into()))?;
        Ok(SealedCpr(aws_smithy_types::base64::encode(blob.as_ref())))
    }

    async fn open(&self, person: &PersonKey, sealed: &SealedCpr) -> Result<Cpr, SealError> {
        let ciphertext = aws_smithy_types::base64::decode(&sealed.0)
            .map_err(|_| SealError("the sealed CPR number is not base64".into()))?;
        let output = self
            .client
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(ciphertext))
            .encryption_context(PERSON_CONTEXT, partition_key(person))
            .send()
            .await
            .map_err(|e| SealError(describe("KMS Decrypt", &e, None)))?;
        let plaintext = output.plaintext.ok_or_else(|| SealError("KMS Decrypt returned no plaintext".into()))?;
        std::str::from_utf8(plaintext.as_ref())
            .ok()
            .and_then(Cpr::parse)
            .ok_or_else(|| SealError("the opened ciphertext is not a CPR number".into()))
    }
}
