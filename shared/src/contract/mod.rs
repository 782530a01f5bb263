//! The message contract (`docs/contract.md`), in Rust.
//!
//! Inbound messages are CloudEvents 1.0 in structured mode, one per SQS message body. They are
//! parsed and validated here into typed [`InboundMessage`]s, or rejected with a coded [`BadInput`].
//! Outbound meeting updates are rendered here into CloudEvents for the `meeting-updates` topic. The
//! JSON Schemas and the AsyncAPI document under `contracts/` are generated from these types.

pub mod bounds;
mod error;
pub mod inbound;
#[cfg(test)]
mod inbound_tests;
mod one_pass;
pub mod outbound;
pub mod schema;
mod types;
mod wire;

pub use error::{BadInput, ErrorCode};
pub use inbound::parse;
pub use outbound::{OutboundEvent, PUBLISHER_SOURCE};
pub use types::*;
