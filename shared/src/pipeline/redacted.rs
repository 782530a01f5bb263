//! `Debug` for the pipeline's types that hold a raw message body.
//!
//! A body holds the CPR number in clear, so a derived `Debug` would put it in any log line, error or
//! panic message that formats the value. These print the body's length instead; everything else
//! as a derived `Debug` would.

use std::fmt;

use super::batch::BatchRecord;
use super::handle::Delivery;
use super::memory::DeadLetter;

/// A body as its length only.
struct Body(Option<usize>);

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(len) => write!(f, "<{len} bytes>"),
            None => f.write_str("None"),
        }
    }
}

impl fmt::Debug for BatchRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchRecord")
            .field("message_id", &self.message_id)
            .field("queue", &self.queue)
            .field("body", &Body(self.body.as_ref().map(String::len)))
            .field("sender", &self.sender)
            .field("redelivered", &self.redelivered)
            .field("marks", &self.marks)
            .field("sent_at", &self.sent_at)
            .finish()
    }
}

impl fmt::Debug for Delivery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("queue", &self.queue)
            .field("body", &Body(Some(self.body.len())))
            .field("sender", &self.sender)
            .field("redelivered", &self.redelivered)
            .finish()
    }
}

impl fmt::Debug for DeadLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadLetter")
            .field("queue", &self.queue)
            .field("body", &Body(Some(self.body.len())))
            .field("error_code", &self.error_code)
            .field("error_message", &self.error_message)
            .field("provenance", &self.provenance)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CPR: &str = "0101900000";

    #[test]
    fn debug_shows_the_length_of_a_body_never_its_content() {
        let body = format!(r#"{{"data":{{"cpr":"{CPR}"}}}}"#);
        let record = BatchRecord {
            message_id: Some("m-1".into()),
            queue: "registrations".into(),
            body: Some(body.clone()),
            sender: Some("AIDAEXAMPLE".into()),
            redelivered: false,
            marks: Default::default(),
            sent_at: None,
        };
        let delivery = Delivery { queue: "registrations", body: &body, sender: None, redelivered: true };
        let letter = DeadLetter {
            queue: "registrations".into(),
            body: body.clone(),
            error_code: "not_json".into(),
            error_message: "m".into(),
            provenance: crate::senders::Provenance { sender: None, seal: "00".into() },
        };
        for shown in [format!("{record:?}"), format!("{delivery:?}"), format!("{letter:#?}")] {
            assert!(!shown.contains(CPR), "{shown}");
            assert!(shown.contains(&format!("<{} bytes>", body.len())), "{shown}");
        }
        assert!(format!("{record:?}").contains("m-1"));
    }
}
