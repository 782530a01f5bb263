//! The generated JSON Schemas and the code agree: every example validates against its schema and
//! is accepted by the parser (or reads back); required members, defaults and rejections match;
//! the AsyncAPI document's references resolve.
//!
//! All CPR numbers here are synthetic.

use std::collections::BTreeSet;

use samspil::contract::schema::{self, inbound_examples, inbound_schema, outbound_example, outbound_schema};
use samspil::contract::{
    ErrorCode, ErrorCode as Code, FactKind, InboundType, OutboundEvent, UpdateReason, UpdateType, parse,
};
use serde_json::{Value, json};

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::options().should_validate_formats(true).build(schema).expect("a valid JSON Schema")
}

#[track_caller]
fn assert_valid(validator: &jsonschema::Validator, instance: &Value) {
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{instance}\nfails its schema: {errors:?}");
}

/// The data schema of an inbound or outbound schema, following its `$ref` into `$defs`.
fn data_schema(schema: &Value) -> &Value {
    let reference = schema["properties"]["data"]["$ref"].as_str().expect("data is a $ref");
    &schema["$defs"][reference.trim_start_matches("#/$defs/")]
}

fn names(list: &Value) -> BTreeSet<String> {
    list.as_array().map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect()).unwrap_or_default()
}

#[test]
fn every_schema_is_a_draft_2020_12_schema_named_for_its_type() {
    let types = InboundType::ALL
        .map(|k| (k.event_type(), inbound_schema(k)))
        .into_iter()
        .chain(UpdateType::ALL.map(|t| (t.event_type(), outbound_schema(t))));
    for (event_type, schema) in types {
        jsonschema::meta::validate(&schema).unwrap_or_else(|e| panic!("{event_type}: {e}"));
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert_eq!(schema["title"], event_type);
        assert_eq!(schema["properties"]["type"]["const"], event_type);
        assert_eq!(schema["properties"]["specversion"]["const"], "1.0");
    }
}

#[test]
fn inbound_examples_validate_and_parse() {
    for kind in InboundType::ALL {
        let schema = inbound_schema(kind);
        assert_eq!(schema["examples"], json!(inbound_examples(kind)));
        let v = validator(&schema);
        for example in inbound_examples(kind) {
            assert_valid(&v, &example);
            parse(kind.queue(), &example.to_string()).unwrap_or_else(|e| panic!("{example} does not parse: {e}"));
        }
    }
}

#[test]
fn outbound_examples_validate_and_read_back() {
    for update_type in UpdateType::ALL {
        let schema = outbound_schema(update_type);
        let v = validator(&schema);
        let example = outbound_example(update_type);
        assert_eq!(schema["examples"], json!([example]));
        assert_valid(&v, &example);
        let event = OutboundEvent::from_json(&example.to_string()).unwrap();
        assert_eq!(event.update_type(), Some(update_type));
        // The example is exactly what `OutboundEvent` writes.
        assert_eq!(serde_json::from_str::<Value>(&event.to_json()).unwrap(), example);
        for other in UpdateType::ALL.into_iter().filter(|t| *t != update_type) {
            assert!(
                !validator(&outbound_schema(other)).is_valid(&example),
                "{update_type:?} example passes as {other:?}"
            );
        }
    }
}

/// Each update type's schema allows exactly the `reason` values of [`UpdateType::reasons`].
#[test]
fn each_update_type_allows_its_own_reasons() {
    let all = [
        UpdateReason::CvCompleted,
        UpdateReason::JobExit,
        UpdateReason::Superseded,
        UpdateReason::JobExitWithdrawn,
        UpdateReason::Corrected,
    ];
    for update_type in UpdateType::ALL {
        let v = validator(&outbound_schema(update_type));
        for reason in all {
            let mut event = outbound_example(update_type);
            event["data"]["reason"] = json!(reason);
            let allowed = update_type.reasons().contains(&reason);
            assert_eq!(v.is_valid(&event), allowed, "{update_type:?} with {reason:?}");
            // Receivers reading an update back accept every value samspil sends.
            assert!(OutboundEvent::from_json(&event.to_string()).is_ok());
        }
    }
    let mut first = outbound_example(UpdateType::Scheduled);
    first["data"].as_object_mut().unwrap().remove("reason");
    assert!(validator(&outbound_schema(UpdateType::Scheduled)).is_valid(&first), "a first announcement has none");
}

#[test]
fn the_job_exits_queue_takes_job_exits_and_their_withdrawals() {
    let types: Vec<InboundType> = FactKind::JobExit.inbound_types().collect();
    assert_eq!(types, [InboundType::JobExit, InboundType::JobExitWithdrawn]);
    let withdrawal = inbound_examples(InboundType::JobExitWithdrawn).remove(0).to_string();
    assert!(parse("job-exits", &withdrawal).is_ok());
    let e = parse("registrations", &withdrawal).unwrap_err();
    assert_eq!(e.code, Code::WrongQueue);
    assert!(e.message.contains("belongs on queue `job-exits`"), "{e}");
    let doc: Value = serde_json::from_str(&schema::generate().last().unwrap().1).unwrap();
    let messages =
        names(&json!(doc["channels"]["job-exits"]["messages"].as_object().unwrap().keys().collect::<Vec<_>>()));
    assert_eq!(messages, BTreeSet::from(["job-exit".to_owned(), "job-exit-withdrawn".to_owned()]));
}

#[test]
fn outbound_schemas_tell_the_types_apart() {
    let mut scheduled = outbound_example(UpdateType::Scheduled);
    scheduled["data"]["previous_date"] = json!("2026-10-01");
    assert!(!validator(&outbound_schema(UpdateType::Scheduled)).is_valid(&scheduled));
    let mut rescheduled = outbound_example(UpdateType::Rescheduled);
    rescheduled["data"].as_object_mut().unwrap().remove("previous_date");
    assert!(!validator(&outbound_schema(UpdateType::Rescheduled)).is_valid(&rescheduled));
}

/// Removing a member the schema requires makes the parser report it missing (`specversion`: not a
/// CloudEvent); removing an optional one parses, and to the same fact as sending its schema default.
#[test]
fn required_members_and_defaults_agree_with_the_parser() {
    for kind in InboundType::ALL {
        let schema = inbound_schema(kind);
        let example = inbound_examples(kind).remove(0);
        let data = data_schema(&schema);
        let members = [("", &schema), ("data.", data)];
        for (prefix, object_schema) in members {
            let required = names(&object_schema["required"]);
            for (name, property) in object_schema["properties"].as_object().unwrap() {
                let path = format!("{prefix}{name}");
                let mut without = example.clone();
                let target = if prefix.is_empty() { &mut without } else { &mut without["data"] };
                target.as_object_mut().unwrap().remove(name);
                let parsed = parse(kind.queue(), &without.to_string());
                if required.contains(name) {
                    let e = parsed.expect_err(&path);
                    let code = if path == "specversion" { Code::NotCloudEvent } else { Code::MissingField };
                    assert_eq!(e.code, code, "{path}: {e}");
                    assert!(e.message.contains(&format!("`{path}`")), "{e}");
                } else {
                    let parsed = parsed.unwrap_or_else(|e| panic!("optional {path} is required by the parser: {e}"));
                    if let Some(default) = property.get("default") {
                        let mut with_default = without.clone();
                        with_default["data"][name] = default.clone();
                        assert_eq!(
                            parse(kind.queue(), &with_default.to_string()).unwrap(),
                            parsed,
                            "default of {path}"
                        );
                    }
                }
            }
        }
    }
}

/// Every member the schema describes is one the parser reads: the wrong JSON type is rejected,
/// naming it.
#[test]
fn the_parser_reads_every_member_the_schema_describes() {
    for kind in InboundType::ALL {
        let schema = inbound_schema(kind);
        let example = inbound_examples(kind).remove(0);
        for name in data_schema(&schema)["properties"].as_object().unwrap().keys() {
            let mut bad = example.clone();
            bad["data"][name] = json!([]);
            let e = parse(kind.queue(), &bad.to_string()).expect_err(name);
            assert_eq!(e.code, ErrorCode::MalformedField, "data.{name}: {e}");
            assert!(e.message.contains(&format!("`data.{name}`")), "{e}");
            assert!(!validator(&schema).is_valid(&bad), "schema accepts an array for data.{name}");
        }
    }
}

/// Values both sides must reject: the schema's patterns and limits mirror the parser's checks.
#[test]
fn schema_and_parser_reject_the_same_values() {
    let kind = InboundType::Registration;
    let v = validator(&inbound_schema(kind));
    let example = inbound_examples(kind).remove(0);
    let cases: Vec<(&str, Value)> = vec![
        ("data.cpr", json!("3201901234")),
        ("data.cpr", json!("010190123")),
        ("data.cpr", json!("0113901234")),
        ("data.municipality", json!("84")),
        ("data.akasse", json!("0670")),
        ("data.registered_on", json!("2026-9-1")),
        ("data.registered_on", json!("2026-02-30")),
        ("data.prior_hours", json!(-1)),
        ("data.weekly_hours", json!(40)),
        ("data.akasse_participation", json!("no")),
        ("id", json!("")),
        ("id", json!("x".repeat(129))),
        ("source", json!("")),
        ("time", json!("2026-09-01")),
        ("datacontenttype", json!("text/plain")),
        ("specversion", json!("0.3")),
    ];
    for (path, value) in cases {
        let mut bad = example.clone();
        match path.strip_prefix("data.") {
            Some(name) => bad["data"][name] = value,
            None => bad[path] = value,
        }
        assert!(!v.is_valid(&bad), "schema accepts bad {path}");
        assert!(parse(kind.queue(), &bad.to_string()).is_err(), "parser accepts bad {path}");
    }
}

#[test]
fn asyncapi_document_references_resolve() {
    let files = schema::generate();
    let (_, text) = files.iter().find(|(name, _)| name == "asyncapi.json").expect("asyncapi.json");
    let doc: Value = serde_json::from_str(text).unwrap();
    assert_eq!(doc["asyncapi"], "3.0.0");
    let file_names: BTreeSet<&str> = files.iter().map(|(name, _)| name.as_str()).collect();

    let mut references = Vec::new();
    collect_refs(&doc, &mut references);
    assert!(references.len() > 20);
    for reference in references {
        if let Some(pointer) = reference.strip_prefix('#') {
            assert!(doc.pointer(pointer).is_some(), "dangling {reference}");
        } else {
            let file = reference.trim_start_matches("./");
            assert!(file_names.contains(file), "{reference} is not a generated file");
        }
    }

    let channels = doc["channels"].as_object().unwrap();
    for channel in ["registrations", "cv-completions", "job-exits", "meeting-updates"] {
        assert_eq!(channels[channel]["address"], channel);
    }
    for kind in FactKind::ALL {
        assert_eq!(
            channels[&format!("{}-dlq", kind.queue())]["bindings"]["sqs"]["queue"]["name"],
            format!("{}-dlq", kind.queue())
        );
    }
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let attributes = &doc["components"]["schemas"]["DeadLetterAttributes"]["properties"];
    assert_eq!(attributes["error_code"]["enum"], json!(codes));
    assert!(attributes.get("error_message").is_some());
    for update_type in UpdateType::ALL {
        let name = update_type.event_type().trim_start_matches("dk.jobcenter.").trim_end_matches(".v1");
        let headers = &doc["components"]["messages"][name]["headers"];
        assert_eq!(
            names(&headers["required"]),
            BTreeSet::from(["akasse", "event_type", "municipality"].map(String::from))
        );
        assert_eq!(headers["properties"]["event_type"]["const"], update_type.event_type());
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => out.push(reference.clone()),
                    _ => collect_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
