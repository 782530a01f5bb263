//! The AWS requests each kind of message costs, counted at the SDK (`samspil::aws::RequestCounter`)
//! against the stack in the emulator, and checked against the budget (`docs/decisions.md`,
//! "Outbox"; `docs/operations.md`, "Requests per message on the happy path"): a message that
//! changes a meeting is one `GetItem`, one `PutItem` and one `Publish`; a duplicate is one
//! `GetItem`; a message that changes no meeting is one `GetItem` and one `PutItem`.
//!
//! Prints the table; `make bench-requests` runs this test alone and shows it.

use std::collections::BTreeMap;

use chrono::Utc;
use samspil::pipeline::{BatchRecord, ProcessingTime};
use samspil::policy::PolicyBook;
use samspil_cli::local::{LOCAL_HMAC_SECRET, PollOptions, Poller, Queue, Stop};
use samspil_e2e::people::{DAY, Msg, Person, day};
use samspil_e2e::runner::{options, send};
use samspil_e2e::stack::{counted_clients, setup};

const COLUMNS: [&str; 5] = ["GetItem", "PutItem", "Publish", "PublishBatch", "SendMessage"];

fn budget(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(op, n)| (op.to_string(), *n)).collect()
}

fn row(kind: &str, counts: &BTreeMap<String, u64>) -> String {
    let mut line = format!("{kind:<46}");
    for column in COLUMNS {
        line.push_str(&format!(" {:>12}", counts.get(column).copied().unwrap_or(0)));
    }
    let others: Vec<String> =
        counts.iter().filter(|(op, _)| !COLUMNS.contains(&op.as_str())).map(|(op, n)| format!("{op} {n}")).collect();
    line.push_str(&format!("  {}", others.join(", ")));
    line
}

#[tokio::test]
async fn requests_per_message_stay_within_the_budget() {
    let env = setup().await;
    let (clients, counter) = counted_clients().await;
    let handler =
        samspil_cli::local::handler(&clients, env.stack, PolicyBook::repository(), LOCAL_HMAC_SECRET.as_bytes())
            .expect("a handler");
    let person = Person::new();
    let registration = person.registration("860", DAY);
    let cases: Vec<(&str, Msg, bool, BTreeMap<String, u64>)> = vec![
        (
            "registration: schedules a meeting",
            registration.clone(),
            false,
            budget(&[("GetItem", 1), ("PutItem", 1), ("Publish", 1)]),
        ),
        ("the same registration again: duplicate", registration.clone(), false, budget(&[("GetItem", 1)])),
        ("duplicate, redelivered: outbox republished", registration, true, budget(&[("GetItem", 1), ("Publish", 1)])),
        (
            "CV completion in time: no meeting changes",
            person.cv_completed("2026-11-05"),
            false,
            budget(&[("GetItem", 1), ("PutItem", 1)]),
        ),
        (
            "late CV completion: moves the meeting",
            person.cv_completed("2026-11-26"),
            false,
            budget(&[("GetItem", 1), ("PutItem", 1), ("Publish", 1)]),
        ),
        (
            "job exit: cancels the meeting",
            person.job_exit("2026-12-01"),
            false,
            budget(&[("GetItem", 1), ("PutItem", 1), ("Publish", 1)]),
        ),
        (
            "bad input: to the dead-letter queue",
            person.registration("860", "2026-02-30"),
            false,
            budget(&[("SendMessage", 1)]),
        ),
    ];

    let time = ProcessingTime { today: day(), now: Utc::now() };
    let mut table =
        vec![format!("{:<46}{}", "message", COLUMNS.iter().map(|c| format!(" {c:>12}")).collect::<String>())];
    let mut over = Vec::new();
    for (i, (kind, message, redelivered, want)) in cases.into_iter().enumerate() {
        let record = BatchRecord {
            message_id: Some(format!("budget-{i}")),
            queue: message.queue.to_string(),
            body: Some(message.body.clone()),
            sender: Some(samspil_e2e::people::EMULATOR_SENDER.to_string()),
            redelivered,
            marks: Default::default(),
            sent_at: None,
        };
        counter.reset();
        let report = handler.handle(&[record], time).await;
        assert!(report.failed_message_ids.is_empty() && report.abort.is_none(), "{kind}: processed");
        let got = counter.snapshot();
        table.push(row(kind, &got));
        if got != want {
            over.push(format!("{kind}: {got:?}, budget {want:?}"));
        }
    }

    // The poller's own requests: one receive and one delete per batch (after one check of the
    // queue at start).
    let people: Vec<Person> = (0..10).map(|_| Person::new()).collect();
    send(&env, &people.iter().map(|p| p.registration("860", DAY)).collect::<Vec<_>>()).await;
    let registrations = env.stack.queue("registrations").expect("registrations");
    let queue = Queue { name: registrations.name.clone(), url: registrations.url.clone() };
    let once = PollOptions { once: true, until_idle: None, ..options() };
    let batch_handler =
        samspil_cli::local::handler(&clients, env.stack, PolicyBook::repository(), LOCAL_HMAC_SECRET.as_bytes())
            .expect("a handler");
    let poller = Poller::new(batch_handler, clients.sqs.clone(), vec![queue], once);
    counter.reset();
    let summary = poller.run(&Stop::new()).await.expect("one batch");
    let got = counter.snapshot();
    table.push(row(&format!("poller: one batch of {} new registrations", summary.counts.messages), &got));
    let n = summary.counts.messages;
    let want = budget(&[
        ("GetQueueAttributes", 1),
        ("ReceiveMessage", 1),
        ("DeleteMessageBatch", 1),
        ("GetItem", n),
        ("PutItem", n),
        ("Publish", n),
    ]);
    if got != want {
        over.push(format!("poller batch: {got:?}, budget {want:?}"));
    }
    print_table(&table);
    assert!(over.is_empty(), "over (or under) the request budget:\n{}", over.join("\n"));
    assert!(n > 0, "the poller took the registrations");
}

fn print_table(lines: &[String]) {
    println!("\nAWS requests per message (counted at the SDK, against the local stack):");
    for line in lines {
        println!("{line}");
    }
}
