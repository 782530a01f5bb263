//! Data protection on the stack: what is stored, who may send, and hostile input.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::{Message, MessageAttributeValue};
use samspil::senders::{
    DEAD_LETTER_SENDERS_ATTRIBUTE, ERROR_CODE_ATTRIBUTE, REDRIVEN_ATTRIBUTE, SEAL_ATTRIBUTE, SENDER_ATTRIBUTE,
};
use samspil_cli::redrive::{Plan, redrive};
use samspil_e2e::people::{DAY, EMULATOR_SENDER, Person};
use samspil_e2e::runner::{handler, poller, run_until_idle, send, stored};
use samspil_e2e::stack::{Env, root, setup};
use samspil_e2e::subscriber::{Subscriber, take_matching};

fn attribute(m: &Message, name: &str) -> String {
    m.message_attributes().and_then(|a| a.get(name)).and_then(|v| v.string_value()).unwrap_or_default().to_string()
}

/// Every item of the stack's table, as the text of all its attributes.
async fn table_text(env: &Env) -> Vec<String> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = env
            .clients
            .dynamodb
            .scan()
            .table_name(&env.stack.table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("Scan");
        for item in page.items() {
            let mut text: Vec<String> = item
                .iter()
                .map(|(k, v)| match v {
                    AttributeValue::S(s) | AttributeValue::N(s) => format!("{k}={s}"),
                    // The compact state: its bytes as text, so digits stored as ASCII would show.
                    AttributeValue::B(b) => format!("{k}={}", String::from_utf8_lossy(b.as_ref())),
                    other => format!("{k}={other:?}"),
                })
                .collect();
            text.sort();
            items.push(text.join(" "));
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    items
}

#[tokio::test]
async fn the_stored_items_hold_no_cpr_number() {
    let env = setup().await;
    let (one, two) = (Person::new(), Person::new());
    let messages = [
        one.registration("851", DAY),
        one.cv_completed("2026-11-26"),
        one.job_exit("2027-01-04"),
        two.registration("840", DAY),
    ];
    send(&env, &messages).await;
    let summary = run_until_idle(&poller(&env, handler(&env))).await;
    assert_eq!(summary.counts.permanent_failures + summary.left_for_retry, 0);
    for person in [&one, &two] {
        assert!(stored(&env, person).await.is_some(), "the person's state is stored");
    }
    let items = table_text(&env).await;
    assert!(!items.is_empty());
    for person in [&one, &two] {
        let holding = items.iter().filter(|i| i.contains(person.cpr())).count();
        assert_eq!(holding, 0, "items holding a test person's CPR number (key or value)");
    }
}

#[tokio::test]
async fn a_sender_speaking_for_another_akasse_is_dead_lettered_with_sender_mismatch() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let person = Person::new();
    // The emulator's one sender is registered for 067, 010 and 048 (scripts/deploy_local.py).
    let other_akasse = person.registration("851", DAY).with_source("urn:dk:akasse:099").with_data("akasse", "099");
    let other_in_data = person.registration("851", DAY).with_data("akasse", "099");
    let cv_for_other = person.cv_completed("2026-11-05").with_source("urn:dk:akasse:099");
    let sent = [other_akasse, other_in_data, cv_for_other];
    send(&env, &sent).await;
    let summary = run_until_idle(&poller(&env, handler(&env))).await;
    assert_eq!((summary.counts.permanent_failures, summary.left_for_retry), (3, 0), "dead-lettered, not retried");

    let mut codes = BTreeMap::new();
    for queue in ["registrations", "cv-completions"] {
        let dlq = &env.stack.queue(queue).expect("a queue").dlq_url;
        let letters = take_matching(&env.clients.sqs, dlq, |m| sent.iter().any(|s| m.body() == Some(&s.body))).await;
        for m in letters {
            let id = sent.iter().find(|s| m.body() == Some(&s.body)).expect("a sent body, unchanged").id.clone();
            assert!(!attribute(&m, "error_message").contains(person.cpr()));
            codes.insert(id, (queue, attribute(&m, "error_code")));
        }
    }
    let want: BTreeMap<String, (&str, String)> = [
        (sent[0].id.clone(), ("registrations", "sender_mismatch".to_string())),
        (sent[1].id.clone(), ("registrations", "sender_mismatch".to_string())),
        (sent[2].id.clone(), ("cv-completions", "sender_mismatch".to_string())),
    ]
    .into();
    assert_eq!(codes, want, "each message is in its queue's DLQ with sender_mismatch");
    assert!(stored(&env, &person).await.is_none(), "nothing stored");
    assert!(subscriber.updates_for(&[&person]).await.is_empty(), "nothing published");
    subscriber.remove().await;
}

/// What a sender writes on a `...-forged-redrive-marks` case: samspil's attributes as a redriven
/// message of a-kasse 099 would carry them, and an `error_code` of its own
/// (`shared/tests/hostile_corpus.rs` has the same).
fn forged_marks() -> [(&'static str, String); 5] {
    [
        (REDRIVEN_ATTRIBUTE, "1".into()),
        (SENDER_ATTRIBUTE, "AROAKASSE099".into()),
        (SEAL_ATTRIBUTE, "0".repeat(64)),
        (DEAD_LETTER_SENDERS_ATTRIBUTE, "AROAKASSE099".into()),
        (ERROR_CODE_ATTRIBUTE, "unknown_municipality".into()),
    ]
}

/// One case of `tests/hostile/<queue>/<code>--<case>.<json|bin>`. A `.bin` case is not UTF-8; SQS
/// carries only text, so it is sent as its lossy UTF-8 form. A case that is hostile only after other
/// messages (rule R14) names them in `<code>--<case>.before.jsonl` (replay format).
struct Hostile {
    queue: &'static str,
    code: String,
    case: String,
    body: String,
    before: Vec<(String, String)>,
}

fn hostile_corpus() -> Vec<Hostile> {
    let dir: PathBuf = root().join("tests/hostile");
    let mut cases = Vec::new();
    for queue in ["registrations", "cv-completions", "job-exits"] {
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(dir.join(queue)).expect("tests/hostile").map(|e| e.expect("entry").path()).collect();
        files.sort();
        for path in files.into_iter().filter(|p| p.extension().is_some_and(|e| e == "json" || e == "bin")) {
            let stem = path.file_stem().and_then(|s| s.to_str()).expect("a name").to_string();
            let (code, case) = stem.split_once("--").expect("<code>--<case>");
            let body = String::from_utf8_lossy(&std::fs::read(&path).expect("a case")).into_owned();
            let before = std::fs::read_to_string(path.with_extension("before.jsonl"))
                .map(|text| {
                    text.lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(|l| {
                            let line: serde_json::Value = serde_json::from_str(l).expect("a replay-format line");
                            (line["queue"].as_str().expect("queue").to_owned(), line["body"].to_string())
                        })
                        .collect()
                })
                .unwrap_or_default();
            cases.push(Hostile { queue, code: code.to_string(), case: case.to_string(), body, before });
        }
    }
    cases
}

#[tokio::test]
async fn every_hostile_case_lands_in_its_dead_letter_queue_with_its_code_and_nothing_else_changes() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let cases = hostile_corpus();
    assert!(cases.len() >= 25);
    // What some cases need first (another a-kasse's member must be a member somewhere, R14).
    for (queue, body) in cases.iter().flat_map(|c| c.before.iter()) {
        let url = &env.stack.queue(queue).expect("a queue").url;
        samspil_cli::send::send_body(&env.clients.sqs, url, body).await.expect("SendMessage");
    }
    let summary = run_until_idle(&poller(&env, handler(&env))).await;
    assert_eq!(summary.counts.permanent_failures + summary.left_for_retry, 0, "the setup is applied");
    subscriber.drain().await;
    let before = table_text(&env).await;
    for Hostile { queue, case, body, .. } in &cases {
        let url = &env.stack.queue(queue).expect("a queue").url;
        let mut send = env.clients.sqs.send_message().queue_url(url).message_body(body);
        if case.ends_with("forged-redrive-marks") {
            for (name, value) in forged_marks() {
                let value = MessageAttributeValue::builder().data_type("String").string_value(value).build();
                send = send.message_attributes(name, value.expect("an attribute"));
            }
        }
        send.send().await.expect("SendMessage");
    }
    let summary = run_until_idle(&poller(&env, handler(&env))).await;
    let c = summary.counts;
    assert_eq!((c.messages, c.permanent_failures), (cases.len() as u64, cases.len() as u64), "all dead-lettered");
    assert_eq!((c.scheduled + c.rescheduled + c.cancelled, c.duplicates, summary.left_for_retry), (0, 0, 0));

    // A routine redrive moves none of them; `--error-code` moves the `-then-redriven` cases' codes
    // back on purpose, and they are dead-lettered again with the same code.
    let redriven: Vec<_> = cases.iter().filter(|c| c.case.ends_with("-then-redriven")).collect();
    assert!(!redriven.is_empty(), "the corpus has a forged-then-redriven case");
    for Hostile { queue, code, .. } in &redriven {
        let routine = redrive(&env.clients.sqs, &Plan::retries_exhausted(queue), |_| {}).await.expect("redrive");
        let in_queue = cases.iter().filter(|c| c.queue == *queue && c.code == *code).count() as u64;
        assert!(routine.left.get(code.as_str()).copied().unwrap_or(0) >= in_queue, "{queue}: nothing of {code} moved");
        let named = Plan { error_codes: vec![code.clone()], ..Plan::retries_exhausted(queue) };
        let moved = redrive(&env.clients.sqs, &named, |_| {}).await.expect("redrive");
        assert!(moved.moved.len() as u64 >= in_queue, "{queue}: {code} moved back on purpose");
    }
    let again = run_until_idle(&poller(&env, handler(&env))).await;
    assert_eq!(again.counts.permanent_failures, again.counts.messages, "every redriven case dead-lettered again");
    assert!(again.counts.messages >= redriven.len() as u64);

    let mut missing: BTreeSet<String> = cases.iter().map(|c| c.case.clone()).collect();
    for queue in ["registrations", "cv-completions", "job-exits"] {
        let mine: Vec<_> = cases.iter().filter(|c| c.queue == queue).collect();
        let dlq = &env.stack.queue(queue).expect("a queue").dlq_url;
        let letters = take_matching(&env.clients.sqs, dlq, |m| mine.iter().any(|c| m.body() == Some(&c.body))).await;
        for m in &letters {
            // A copy left by an earlier run against the same emulator has the same body and code.
            let Hostile { code, case, .. } =
                mine.iter().find(|c| m.body() == Some(&c.body)).expect("a case body, unchanged");
            assert_eq!(&attribute(m, "error_code"), code, "{queue}/{case}");
            // Written by the function: the real sender, never what the message claimed.
            assert_eq!(attribute(m, SENDER_ATTRIBUTE), EMULATOR_SENDER, "{queue}/{case}");
            assert_eq!(attribute(m, SEAL_ATTRIBUTE).len(), 64, "{queue}/{case}");
            assert_eq!(attribute(m, REDRIVEN_ATTRIBUTE), "", "{queue}/{case}: no forged mark kept");
            assert!(!attribute(m, "error_message").contains("0101900001"), "{case}: no CPR in error_message");
            missing.remove(case);
        }
    }
    assert!(missing.is_empty(), "cases not in their dead-letter queue: {missing:?}");
    assert_eq!(table_text(&env).await, before, "no item was written or changed");
    let everything = subscriber.drain().await;
    assert!(everything.is_empty(), "no update was published ({} arrived)", everything.len());
    subscriber.remove().await;
}
