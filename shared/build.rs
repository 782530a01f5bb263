//! Checks the municipality policy file, `infra/policies.toml`, when the library is built.
//!
//! The file is compiled into every function (`PolicyBook::repository`), which panics on an
//! invalid file, and a panic at start-up would fail every invocation in AWS. So an invalid file
//! must stop the build: `cargo build`, `make package` and the `sam build` of `make deploy` all fail
//! here, naming the file, line and field, before anything is deployed (docs/policies.md, "Errors").
//!
//! The checks are the library's own: the policy module and the calendar it builds on are compiled
//! into this script from the same source files. Their other dependencies are restated below: the
//! meeting form (the three values of `contract::MeetingForm`) and `identity::lower_hex`.

// The script uses only the loading and checking part of the modules it includes.
#![allow(dead_code)]

use std::path::Path;

#[path = "src/calendar.rs"]
mod calendar;
#[path = "src/policy/mod.rs"]
mod policy;

/// The part of `identity` the policy module calls: `lower_hex`, for `PolicyBook::fingerprint` (which
/// this script never calls; restated so that the module compiles here, as `identity::lower_hex`).
mod identity {
    pub fn lower_hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The part of the message contract the policy module reads: `form` in a policy.
mod contract {
    /// `contract::MeetingForm`, as a policy file names it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum MeetingForm {
        InPerson,
        Phone,
        Video,
    }
}

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let file = Path::new(&manifest).join("../infra/policies.toml");
    println!("cargo::rerun-if-changed={}", file.display());
    println!("cargo::rerun-if-changed=src/policy");
    println!("cargo::rerun-if-changed=src/calendar.rs");
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(error) => fail(&format!("cannot read {}: {error}", file.display())),
    };
    if let Err(error) = policy::PolicyBook::from_toml(&text, "infra/policies.toml") {
        fail(&format!("the policy file is invalid: {error}"));
    }
}

/// Stops the build with `message` as cargo's error.
fn fail(message: &str) -> ! {
    println!("cargo::error={message}");
    std::process::exit(1);
}
