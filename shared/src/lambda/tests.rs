//! Configuration, record conversion and the processing day.

use std::collections::HashMap;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_smithy_runtime_api::client::http::{HttpClient, HttpConnectorSettings, SharedHttpConnector};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use chrono::{NaiveDate, TimeZone, Utc};

use super::*;

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |name| vars.get(name).cloned()
}

const COMPLETE: [(&str, &str); 8] = [
    ("STACK_NAME", "samspil-staging"),
    ("TABLE_NAME", "people"),
    ("TOPIC_ARN", "arn:aws:sns:eu-north-1:123456789012:meeting-updates"),
    ("QUEUE_URL", "http://127.0.0.1:4566/123456789012/registrations"),
    ("DLQ_URL", "http://127.0.0.1:4566/123456789012/registrations-dlq"),
    ("AKASSE_SENDERS", "AROAEXAMPLE=067"),
    ("SUMMONS_KEY_ID", "arn:aws:kms:eu-north-1:123456789012:key/1234"),
    ("HMAC_SECRET_PARAMETER", "/samspil/hmac-secret"),
];

#[test]
fn a_complete_environment_gives_the_config_with_defaults() {
    let config = Config::from_env(env(&COMPLETE)).unwrap();
    assert_eq!((config.table_name.as_str(), config.stack_name.as_str()), ("people", "samspil-staging"));
    assert_eq!(config.secret, SecretSource::Parameter("/samspil/hmac-secret".into()));
    assert_eq!(config.policy_file, None);
    assert_eq!(config.retention_days, DEFAULT_RETENTION_DAYS);

    let mut local = COMPLETE[..7].to_vec();
    local.extend([("HMAC_SECRET", "s3cret"), ("POLICY_FILE", "/opt/policies.toml"), ("RETENTION_DAYS", "30")]);
    let config = Config::from_env(env(&local)).unwrap();
    assert_eq!(config.secret, SecretSource::Inline("s3cret".into()));
    assert_eq!(config.policy_file, Some(PathBuf::from("/opt/policies.toml")));
    assert_eq!(config.retention_days, 30);
    assert!(!format!("{config:?}").contains("s3cret"), "the secret never shows in Debug");
}

#[test]
fn a_missing_or_wrong_variable_is_named() {
    for missing in ["STACK_NAME", "TABLE_NAME", "TOPIC_ARN", "QUEUE_URL", "DLQ_URL", "AKASSE_SENDERS", "SUMMONS_KEY_ID"]
    {
        let vars: Vec<_> = COMPLETE.iter().copied().filter(|(k, _)| *k != missing).collect();
        let error = Config::from_env(env(&vars)).unwrap_err();
        assert_eq!(error.to_string(), format!("missing environment variable {missing}"));
        assert_eq!(format!("{error:?}"), error.to_string());
    }
    let blank: Vec<_> = COMPLETE.iter().map(|&(k, v)| if k == "TABLE_NAME" { (k, " ") } else { (k, v) }).collect();
    assert_eq!(Config::from_env(env(&blank)).unwrap_err(), ConfigError::Missing("TABLE_NAME"));

    let no_secret = Config::from_env(env(&COMPLETE[..7])).unwrap_err();
    assert!(no_secret.to_string().contains("HMAC_SECRET_PARAMETER"), "{no_secret}");
    let mut both = COMPLETE.to_vec();
    both.push(("HMAC_SECRET", "s3cret"));
    let both = Config::from_env(env(&both)).unwrap_err();
    assert!(both.to_string().contains("not both") && !both.to_string().contains("s3cret"), "{both}");
    let mut senders = COMPLETE.to_vec();
    senders.iter_mut().filter(|(k, _)| *k == "AKASSE_SENDERS").for_each(|entry| entry.1 = "AROAEXAMPLE=67");
    let senders = Config::from_env(env(&senders)).unwrap_err().to_string();
    assert!(senders.contains("AKASSE_SENDERS") && senders.contains("entry 1"), "{senders}");
    let mut days = COMPLETE.to_vec();
    days.push(("RETENTION_DAYS", "a year"));
    assert!(Config::from_env(env(&days)).unwrap_err().to_string().contains("RETENTION_DAYS"));
}

fn sqs_event(records: serde_json::Value) -> SqsEvent {
    serde_json::from_value(serde_json::json!({ "Records": records })).unwrap()
}

#[test]
fn sqs_records_become_batch_records_with_logical_queue_redelivery_and_marks() {
    let event = sqs_event(serde_json::json!([
        {"messageId": "m1", "body": "{}", "attributes": {"ApproximateReceiveCount": "1", "SenderId": "AROAEXAMPLE:s",
         "SentTimestamp": "1793174400000"},
         "eventSourceARN": "arn:aws:sqs:eu-north-1:123456789012:samspil-prod-job-exits"},
        {"messageId": "m2", "body": "{}", "attributes": {"ApproximateReceiveCount": "3"},
         "eventSourceARN": "arn:aws:sqs:eu-north-1:123456789012:registrations"},
        {"body": "{}", "messageAttributes": {
            "samspil-redriven": {"stringValue": "1", "dataType": "String"},
            "samspil-sender": {"stringValue": "AROAKASSE067", "dataType": "String"},
            "samspil-seal": {"stringValue": "ab12", "dataType": "String"},
            "samspil-dead-letter-senders": {"stringValue": "AROAKASSE067,AROAOPERATOR", "dataType": "String"},
            "trace": {"stringValue": "x", "dataType": "String"}}},
        {"messageId": "m4", "eventSourceARN": "arn:aws:sqs:eu-north-1:123456789012:something-else"},
    ]));
    let records: Vec<BatchRecord> =
        event.records.iter().map(|m: &SqsMessage| batch_record(m, FactKind::Registration)).collect();
    let summary: Vec<(Option<&str>, &str, bool, Option<&str>)> =
        records.iter().map(|r| (r.message_id.as_deref(), r.queue.as_str(), r.redelivered, r.body.as_deref())).collect();
    assert_eq!(
        summary,
        [
            (Some("m1"), "job-exits", false, Some("{}")),
            (Some("m2"), "registrations", true, Some("{}")),
            (None, "registrations", false, Some("{}")),
            (Some("m4"), "registrations", false, None),
        ]
    );
    let senders: Vec<Option<&str>> = records.iter().map(|r| r.sender.as_deref()).collect();
    assert_eq!(senders, [Some("AROAEXAMPLE:s"), None, None, None], "the sender is the SenderId attribute");
    let sent = "2026-10-28T08:00:00Z".parse().ok();
    assert_eq!(records[0].sent_at, sent, "when it reached its queue is the SentTimestamp attribute");
    assert_eq!(records[1].sent_at, None);
    // samspil's attributes are read as they are (whether to trust them is the pipeline's call).
    let marks = Marks {
        redriven: true,
        sender: Some("AROAKASSE067".into()),
        seal: Some("ab12".into()),
        dead_letter_senders: Some("AROAKASSE067,AROAOPERATOR".into()),
    };
    assert_eq!(records[2].marks, marks);
    assert_eq!(records[0].marks, Marks::default());
}

#[test]
fn the_processing_day_is_the_day_in_copenhagen_across_summer_time_and_the_year_end() {
    let day = |y, mo, d, h, mi| copenhagen_date(Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap());
    let date = |s: &str| s.parse::<NaiveDate>().unwrap();
    // Winter, UTC+1.
    assert_eq!(day(2026, 1, 15, 22, 59), date("2026-01-15"));
    assert_eq!(day(2026, 1, 15, 23, 0), date("2026-01-16"));
    assert_eq!(day(2026, 12, 31, 23, 0), date("2027-01-01"));
    // Summer time starts 2026-03-29 01:00 UTC and ends 2026-10-25 01:00 UTC (last Sundays).
    assert_eq!(day(2026, 3, 28, 22, 30), date("2026-03-28"));
    assert_eq!(day(2026, 6, 30, 21, 59), date("2026-06-30"));
    assert_eq!(day(2026, 6, 30, 22, 0), date("2026-07-01"));
    assert_eq!(day(2026, 10, 24, 22, 0), date("2026-10-25"));
    assert_eq!(day(2026, 10, 25, 23, 0), date("2026-10-26"));
    // Around the switch instants: 2027-03-28 01:00 UTC and 2027-10-31 01:00 UTC.
    assert_eq!(day(2027, 3, 27, 22, 59), date("2027-03-27"));
    assert_eq!(day(2027, 3, 28, 22, 0), date("2027-03-29"));
    assert_eq!(day(2027, 10, 30, 22, 0), date("2027-10-31"));
    assert_eq!(day(2027, 10, 31, 22, 59), date("2027-10-31"));
    assert_eq!(processing_time(Utc.with_ymd_and_hms(2026, 11, 1, 23, 30, 0).unwrap()).today, date("2026-11-02"));
}

#[test]
fn function_names_are_the_binary_names() {
    let names: Vec<&str> = FactKind::ALL.into_iter().map(function_name).collect();
    assert_eq!(names, ["registration", "cv-completed", "job-exit"]);
}

/// An HTTP client that only counts how often the SDK asks it to validate (build its connector).
#[derive(Debug, Default, Clone)]
struct CountingHttpClient(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl HttpClient for CountingHttpClient {
    fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        unreachable!("no request is sent in this test")
    }

    fn validate_base_client_config(
        &self,
        _: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder,
        _: &aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn sdk_clients_do_not_build_the_tls_connector_until_the_first_request() {
    let counting = CountingHttpClient::default();
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::from_static("eu-north-1"))
        .http_client(counting.clone())
        .build();
    let validations = || counting.0.load(std::sync::atomic::Ordering::SeqCst);

    let _eager = AwsClients::new(&config);
    assert!(validations() >= 4, "the SDK validates (builds the connector) once per client");
    let before = validations();
    let lazy = config
        .to_builder()
        .http_client(crate::aws::config::connector_on_first_use(config.http_client().unwrap()))
        .build();
    let _lazy = AwsClients::new(&lazy);
    assert_eq!(validations(), before, "wrapped, no client builds the connector at construction");
}
