//! The sealer contract (rule R12): ONE suite of cases, run against every [`CprSealer`] adapter,
//! the in-memory one of the embedded mode and [`KmsSealer`] on a key in the moto emulator's KMS.
//!
//! A sealed CPR number opens for the person it was sealed for and for no other (KMS: the
//! encryption context `samspil:person`), never shows the digits, and errors never quote them.
//! Run with `make test` (the KMS half fails without the emulator).

mod support;

use samspil::aws::KmsSealer;
use samspil::contract::Cpr;
use samspil::domain::SealedCpr;
use samspil::pipeline::CprSealer;
use samspil::pipeline::memory::MemorySealer;

use support::{CPR, OTHER_CPR, person};

fn cpr(digits: &str) -> Cpr {
    Cpr::parse(digits).expect("a synthetic CPR number")
}

async fn a_sealed_number_opens_for_its_person(sealer: &impl CprSealer) {
    let (anna, bo) = (person(CPR), person(OTHER_CPR));
    let sealed = sealer.seal(&anna, &cpr(CPR)).await.expect("seal");
    assert!(!sealed.0.contains(CPR), "the sealed form does not show the digits");
    assert!(!format!("{sealed:?}").contains(CPR));
    assert_eq!(sealer.open(&anna, &sealed).await.expect("open").expose(), CPR);
    let other = sealer.seal(&bo, &cpr(OTHER_CPR)).await.expect("seal another");
    assert_eq!(sealer.open(&bo, &other).await.expect("open another").expose(), OTHER_CPR);
}

async fn a_sealed_number_does_not_open_for_another_person(sealer: &impl CprSealer) {
    let sealed = sealer.seal(&person(CPR), &cpr(CPR)).await.expect("seal");
    let error = sealer.open(&person(OTHER_CPR), &sealed).await.expect_err("copied into another item");
    assert!(!error.to_string().contains(CPR), "the error does not quote the number");
}

async fn garbage_does_not_open(sealer: &impl CprSealer) {
    let error = sealer.open(&person(CPR), &SealedCpr("bm90IGEgY2lwaGVydGV4dA==".into())).await.expect_err("garbage");
    assert!(!error.to_string().contains(CPR));
}

macro_rules! sealer_contract {
    ($($case:ident),* $(,)?) => {
        mod memory {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(&MemorySealer::new()).await;
                }
            )*
        }

        mod kms {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(&kms_sealer().await).await;
                }
            )*
        }
    };
}

sealer_contract!(
    a_sealed_number_opens_for_its_person,
    a_sealed_number_does_not_open_for_another_person,
    garbage_does_not_open,
);

/// A [`KmsSealer`] on a new symmetric key in the emulator.
async fn kms_sealer() -> KmsSealer {
    let (clients, _) = support::clients().await;
    let key = clients.kms.create_key().description("samspil sealer contract test").send().await.expect("CreateKey");
    let id = key.key_metadata.expect("key metadata").key_id;
    KmsSealer::new(clients.kms, id)
}

/// Sealing is one `Encrypt`, opening one `Decrypt`, each naming the key and the person.
#[tokio::test]
async fn kms_seal_and_open_are_one_request_each() {
    let (clients, requests) = support::clients().await;
    let key = clients.kms.create_key().send().await.expect("CreateKey").key_metadata.expect("metadata").key_id;
    let sealer = KmsSealer::new(clients.kms, key);
    requests.reset();
    let sealed = sealer.seal(&person(CPR), &cpr(CPR)).await.expect("seal");
    assert_eq!(requests.snapshot(), [("Encrypt".to_string(), 1)].into());
    requests.reset();
    sealer.open(&person(CPR), &sealed).await.expect("open");
    assert_eq!(requests.snapshot(), [("Decrypt".to_string(), 1)].into());
}
