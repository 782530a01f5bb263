//! The AsyncAPI 3.0 document: samspil's queues, dead-letter queues and topic, and the messages on
//! each, built from the same types as the JSON Schemas it references.
//!
//! Channel, queue and type names come from [`FactKind`] and [`UpdateType`], the error codes from
//! [`ErrorCode::ALL`], so renaming any of them in code shows up here (and in the drift test).

use serde_json::{Map, Value, json};

use super::{inbound_examples, inbound_summary, outbound_example, outbound_summary, schema_path};
use crate::contract::wire::THREE_DIGITS_PATTERN;
use crate::contract::{ErrorCode, FactKind, InboundType, UpdateType};

/// The topic all meeting updates are published on.
const TOPIC: &str = "meeting-updates";
/// Structured-mode CloudEvents in JSON.
const CONTENT_TYPE: &str = "application/cloudevents+json";
const SCHEMA_FORMAT: &str = "application/schema+json;version=draft-2020-12";
/// The binding versions the AsyncAPI 3.0.0 schema itself names: the official parser refuses any
/// other (SQS 0.3.0 is published as a binding, but no AsyncAPI version's schema refers to it).
/// `make asyncapi-check` reads the generated document with that parser.
const SQS_BINDING_VERSION: &str = "0.2.0";
const SNS_BINDING_VERSION: &str = "0.1.0";

/// The whole document.
pub(super) fn document() -> Value {
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();

    for kind in FactKind::ALL {
        let queue = kind.queue();
        let dlq = format!("{queue}-dlq");
        let types: Vec<InboundType> = kind.inbound_types().collect();
        let names: Vec<String> = types.iter().map(|t| message_name(t.event_type())).collect();
        let listed = types.iter().map(|t| t.event_type()).collect::<Vec<_>>().join(" and ");
        // Operations keep the name of the queue's first type, as before a queue took two types.
        let operation = &names[0];
        channels.insert(queue.to_owned(), inbound_channel(queue, &listed, &names, &dlq));
        channels.insert(dlq.clone(), dead_letter_channel(queue, &dlq));
        operations.insert(
            format!("receive-{operation}"),
            json!({
                "action": "receive",
                "title": format!("Process {listed}"),
                "summary": format!("samspil takes {listed} messages from `{queue}`, a batch of up to 10 at a time."),
                "channel": { "$ref": format!("#/channels/{queue}") },
                "messages": names.iter().map(|name| json!({ "$ref": format!("#/channels/{queue}/messages/{name}") })).collect::<Vec<_>>(),
            }),
        );
        operations.insert(
            format!("dead-letter-{operation}"),
            json!({
                "action": "send",
                "title": format!("Dead-letter bad input from {queue}"),
                "summary": format!("samspil moves a message from `{queue}` that can never be processed to `{dlq}`."),
                "channel": { "$ref": format!("#/channels/{dlq}") },
                "messages": [{ "$ref": format!("#/channels/{dlq}/messages/dead-letter") }],
            }),
        );
        for (t, name) in types.into_iter().zip(names) {
            messages.insert(name, inbound_message(t));
        }
    }

    let mut topic_messages = Map::new();
    for update_type in UpdateType::ALL {
        let name = message_name(update_type.event_type());
        topic_messages.insert(name.clone(), json!({ "$ref": format!("#/components/messages/{name}") }));
        messages.insert(name, outbound_message(update_type));
    }
    let update_refs: Vec<Value> =
        topic_messages.keys().map(|name| json!({ "$ref": format!("#/channels/{TOPIC}/messages/{name}") })).collect();
    channels.insert(
        TOPIC.to_owned(),
        json!({
            "address": TOPIC,
            "title": "Meeting updates",
            "description": "SNS topic with one CloudEvent per meeting update. Every message carries the SNS \
                message attributes `municipality`, `akasse` and `event_type`, so each jobcenter and a-kasse \
                subscribes with a filter policy and receives only its own updates. Receivers apply an update \
                only if its `data.sequence` is higher than the last one applied; duplicates carry the same `id`.",
            "messages": topic_messages,
            "bindings": { "sns": { "name": TOPIC, "bindingVersion": SNS_BINDING_VERSION } },
        }),
    );
    operations.insert(
        "publish-meeting-update".to_owned(),
        json!({
            "action": "send",
            "title": "Publish a meeting update",
            "summary": "samspil publishes scheduled, rescheduled and cancelled updates for first joint meetings.",
            "channel": { "$ref": format!("#/channels/{TOPIC}") },
            "messages": update_refs,
        }),
    );
    messages.insert("dead-letter".to_owned(), dead_letter_message());

    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "samspil",
            "version": "1.0.0",
            "description": "The pipeline between Danish a-kasser and jobcenters: a-kasse systems send facts \
                (registration, CV conversation completed, job exit and its withdrawal) to SQS queues; samspil \
                plans, moves, cancels and reinstates the first joint meeting and publishes each change on one SNS topic. Every message is \
                a CloudEvents 1.0 event in structured mode. Fields may be added in later versions; none are \
                renamed or removed.",
        },
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": { "DeadLetterAttributes": dead_letter_attributes_schema() },
        },
    })
}

/// `dk.akasse.registration.v1` becomes `registration`, `dk.jobcenter.meeting-scheduled.v1`
/// becomes `meeting-scheduled`.
fn message_name(event_type: &str) -> String {
    let without_version = event_type.rsplit_once('.').map_or(event_type, |(rest, _)| rest);
    without_version.rsplit_once('.').map_or(without_version, |(_, name)| name).to_owned()
}

fn inbound_channel(queue: &str, listed: &str, names: &[String], dlq: &str) -> Value {
    let messages: Map<String, Value> =
        names.iter().map(|name| (name.clone(), json!({ "$ref": format!("#/components/messages/{name}") }))).collect();
    json!({
        "address": queue,
        "title": queue,
        "description": format!(
            "SQS queue for {}. A message that can never be processed is moved at once, body unchanged, \
             to `{dlq}` with the message attributes `error_code` and `error_message`; a transient failure \
             is retried by SQS and reaches `{dlq}` after the queue's maxReceiveCount.",
            listed
        ),
        "messages": messages,
        "bindings": {
            "sqs": {
                "queue": {
                    "name": queue,
                    "fifoQueue": false,
                    "redrivePolicy": { "deadLetterQueue": { "name": dlq } },
                },
                "deadLetterQueue": { "name": dlq, "fifoQueue": false },
                "bindingVersion": SQS_BINDING_VERSION,
            },
        },
    })
}

fn dead_letter_channel(queue: &str, dlq: &str) -> Value {
    json!({
        "address": dlq,
        "title": dlq,
        "description": format!("Dead-letter queue of `{queue}`: messages that can never be processed, or that failed transiently too often."),
        "messages": { "dead-letter": { "$ref": "#/components/messages/dead-letter" } },
        "bindings": {
            "sqs": { "queue": { "name": dlq, "fifoQueue": false }, "bindingVersion": SQS_BINDING_VERSION },
        },
    })
}

fn inbound_message(kind: InboundType) -> Value {
    let examples: Vec<Value> = inbound_examples(kind)
        .into_iter()
        .enumerate()
        .map(|(i, payload)| json!({ "name": if i == 0 { "complete" } else { "defaults" }, "payload": payload }))
        .collect();
    json!({
        "name": kind.event_type(),
        "title": kind.event_type(),
        "summary": inbound_summary(kind),
        "contentType": CONTENT_TYPE,
        "payload": payload(kind.event_type()),
        "examples": examples,
    })
}

fn outbound_message(update_type: UpdateType) -> Value {
    let example = outbound_example(update_type);
    let headers = json!({
        "municipality": example["data"]["municipality"],
        "akasse": example["data"]["akasse"],
        "event_type": update_type.event_type(),
    });
    json!({
        "name": update_type.event_type(),
        "title": update_type.event_type(),
        "summary": outbound_summary(update_type),
        "contentType": CONTENT_TYPE,
        "headers": sns_attributes_schema(update_type),
        "payload": payload(update_type.event_type()),
        "examples": [{ "name": "example", "headers": headers, "payload": example }],
    })
}

fn dead_letter_message() -> Value {
    json!({
        "name": "dead-letter",
        "title": "Dead-lettered message",
        "summary": "An inbound message that was not processed, body unchanged.",
        "description": "Bad input (a permanent failure) is moved here at once with the SQS message attributes \
            `error_code` and `error_message` (see docs/error-codes.md). A message that failed transiently \
            more than maxReceiveCount times is moved here by SQS, without them.",
        "headers": { "$ref": "#/components/schemas/DeadLetterAttributes" },
        "payload": { "description": "The original SQS message body, byte for byte. It may not be JSON." },
    })
}

fn payload(event_type: &str) -> Value {
    json!({ "schemaFormat": SCHEMA_FORMAT, "schema": { "$ref": format!("./{}", schema_path(event_type)) } })
}

/// The SNS message attributes of one update type.
fn sns_attributes_schema(update_type: UpdateType) -> Value {
    json!({
        "type": "object",
        "description": "SNS message attributes (String) for subscription filter policies.",
        "required": ["municipality", "akasse", "event_type"],
        "properties": {
            "municipality": { "type": "string", "pattern": THREE_DIGITS_PATTERN, "description": "`data.municipality`." },
            "akasse": { "type": "string", "pattern": THREE_DIGITS_PATTERN, "description": "`data.akasse`." },
            "event_type": { "type": "string", "const": update_type.event_type(), "description": "The CloudEvents `type`." },
        },
    })
}

fn dead_letter_attributes_schema() -> Value {
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    json!({
        "type": "object",
        "description": "SQS message attributes (String) set by samspil on bad input. Absent when SQS itself \
            moved the message after maxReceiveCount transient failures.",
        "properties": {
            "error_code": {
                "type": "string",
                "enum": codes,
                "description": "Why the message can never be processed; stable, see docs/error-codes.md.",
            },
            "error_message": {
                "type": "string",
                "description": "Human readable: names the field and what was expected. Never contains the CPR \
                    number or any other received value.",
            },
        },
    })
}
