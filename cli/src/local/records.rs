//! Between SQS and the pipeline: a received message as a [`BatchRecord`], and a batch's outcome as
//! one readable line.

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use samspil::pipeline::{BatchRecord, BatchReport, is_redelivered, sent_timestamp};
use samspil::senders::Marks;

/// A received SQS message as the pipeline sees it, like `samspil::lambda::batch_record` does for
/// a Lambda event: redelivered when its receive count is above one; its sender is the `SenderId`
/// system attribute; samspil's own message attributes are its marks, which the pipeline weighs
/// against the sender (`samspil::senders`).
pub fn batch_record(queue: &str, message: &Message) -> BatchRecord {
    let received = message
        .attributes
        .as_ref()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .map(String::as_str);
    let sender = message.attributes.as_ref().and_then(|a| a.get(&MessageSystemAttributeName::SenderId)).cloned();
    let attributes = message.message_attributes.as_ref();
    let marks = Marks::read(|name| attributes.and_then(|a| a.get(name)).map(|v| v.string_value().unwrap_or("")));
    BatchRecord {
        sender,
        message_id: message.message_id.clone().filter(|id| !id.is_empty()),
        queue: queue.to_string(),
        body: message.body.clone(),
        redelivered: is_redelivered(received),
        marks,
        sent_at: sent_timestamp(
            message
                .attributes
                .as_ref()
                .and_then(|a| a.get(&MessageSystemAttributeName::SentTimestamp))
                .map(String::as_str),
        ),
    }
}

/// One line per batch, e.g. `registrations: 3 messages: 2 scheduled, 1 duplicate`.
pub fn batch_line(queue: &str, report: &BatchReport, left_for_retry: u64) -> String {
    let c = &report.counts;
    let changed = c.scheduled + c.rescheduled + c.cancelled;
    let parts = [
        (c.scheduled, "scheduled"),
        (c.rescheduled, "rescheduled"),
        (c.cancelled, "cancelled"),
        (c.duplicates, "duplicate"),
        (c.permanent_failures, "dead-lettered (bad input)"),
        (left_for_retry, "left for retry"),
    ];
    let mut text: Vec<String> = parts.iter().filter(|(n, _)| *n > 0).map(|(n, what)| format!("{n} {what}")).collect();
    if changed == 0 && text.is_empty() {
        text.push("no meeting changed".into());
    }
    let plural = if c.messages == 1 { "" } else { "s" };
    let mut line = format!("{queue}: {} message{plural}: {}", c.messages, text.join(", "));
    if let Some(abort) = &report.abort {
        line.push_str(&format!(" (whole batch retried: {abort})"));
    }
    line
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_sqs::types::MessageAttributeValue;
    use samspil::pipeline::BatchCounts;
    use samspil::senders::{REDRIVEN_ATTRIBUTE, SENDER_ATTRIBUTE};

    use super::*;

    fn message(receive_count: &str, redriven: bool) -> Message {
        let mut attributes = HashMap::new();
        attributes.insert(MessageSystemAttributeName::ApproximateReceiveCount, receive_count.to_string());
        let mut builder =
            Message::builder().message_id("m-1").receipt_handle("r-1").body("{}").set_attributes(Some(attributes));
        if redriven {
            let value = |v: &str| MessageAttributeValue::builder().data_type("String").string_value(v).build().unwrap();
            builder = builder.message_attributes(REDRIVEN_ATTRIBUTE, value("1"));
            builder = builder.message_attributes(SENDER_ATTRIBUTE, value("AROAKASSE067"));
        }
        builder.build()
    }

    #[test]
    fn a_record_is_redelivered_after_the_first_receive_and_carries_its_marks_unweighed() {
        let first = batch_record("registrations", &message("1", false));
        assert_eq!(first.queue, "registrations");
        assert_eq!(first.message_id.as_deref(), Some("m-1"));
        assert_eq!(first.body.as_deref(), Some("{}"));
        assert!(!first.redelivered);
        assert_eq!(first.marks, Marks::default());
        assert!(batch_record("registrations", &message("2", false)).redelivered);
        let marked = batch_record("registrations", &message("1", true));
        assert!(!marked.redelivered, "the mark is the pipeline's to weigh, against the sender");
        assert!(marked.marks.redriven);
        assert_eq!(marked.marks.sender.as_deref(), Some("AROAKASSE067"));
    }

    #[test]
    fn an_empty_message_id_is_no_message_id() {
        let m = Message::builder().message_id("").body("{}").build();
        assert_eq!(batch_record("job-exits", &m).message_id, None);
    }

    #[test]
    fn batch_lines_name_only_what_happened() {
        let counts = BatchCounts { messages: 3, scheduled: 2, duplicates: 1, ..BatchCounts::default() };
        let mut report = BatchReport { counts, ..BatchReport::default() };
        assert_eq!(batch_line("registrations", &report, 0), "registrations: 3 messages: 2 scheduled, 1 duplicate");
        report.counts = BatchCounts { messages: 1, ..BatchCounts::default() };
        assert_eq!(batch_line("cv-completions", &report, 0), "cv-completions: 1 message: no meeting changed");
        report.counts = BatchCounts { messages: 1, transient_failures: 1, ..BatchCounts::default() };
        assert_eq!(batch_line("job-exits", &report, 1), "job-exits: 1 message: 1 left for retry");
    }
}
