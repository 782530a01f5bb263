//! SQS events as Lambda hands them to a function, for the functions' integration tests: an
//! a-kasse's registration and the record that carries it, sent by a registered sender.

use serde_json::{Value, json};

/// The a-kasse system's role, as SQS names it in `SenderId` (role id and session).
pub const SENDER: &str = "AROAEXAMPLEAKASSE067:akasse-067";

/// The `AKASSE_SENDERS` value that registers [`SENDER`] for a-kasse 067.
pub const SENDERS: &str = "AROAEXAMPLEAKASSE067=067";

/// A registration from a-kasse 067 for municipality 851 on 2 November 2026, as its JSON body.
pub fn registration(id: &str, cpr: &str) -> String {
    json!({
        "specversion": "1.0", "id": id, "source": "urn:dk:akasse:067",
        "type": "dk.akasse.registration.v1", "time": "2026-11-02T08:00:00+01:00",
        "data": {"cpr": cpr, "municipality": "851", "akasse": "067", "registered_on": "2026-11-02"}
    })
    .to_string()
}

/// One SQS record of the `registrations` queue, received once, sent by [`SENDER`].
pub fn sqs_record(message_id: &str, body: &str) -> Value {
    json!({
        "messageId": message_id, "receiptHandle": "handle", "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1793606400000", "SenderId": SENDER},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-north-1:123456789012:registrations", "awsRegion": "eu-north-1"
    })
}
