//! Parsing and validating inbound CloudEvents. (STUB: to be implemented.)

use super::{BadInput, InboundMessage};

/// Parses one SQS message body that arrived on `queue` into a valid message, or says why it can
/// never be processed.
pub fn parse(queue: &str, body: &str) -> Result<InboundMessage, BadInput> {
    let _ = (queue, body);
    todo!()
}
