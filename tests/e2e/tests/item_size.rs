//! Item sizes and write units, before and after the compact stored state (issue 14), in one run.
//!
//! A mixed, duplicated message set for about 300 people (the soak's generator: registrations,
//! repeated registrations, CV completions, job exits, new periods; 30 % sent twice, shuffled) goes
//! through the embedded pipeline. After every message the person's state is put into a DynamoDB
//! item twice: as the code before wrote it (the state's JSON in `state`, S) and as the store writes
//! it now ([`DynamoStore::item`]: the compact binary state), and both are sized the way DynamoDB
//! bills them ([`item_size`]: names and values). A `PutItem` costs one write unit per started KB of
//! the larger of the old and the new item; a duplicate writes nothing.
//!
//! Prints the table (`make item-size`) and fails when the compact items miss the target: 95 % at or
//! under 1 KB, so one write unit per message. The run is seeded, so its figures are the same every
//! time until the stored state changes; the README's "Figures" and the cost in
//! `docs/operations.md` state them, and this test fails when they no longer say what it measures
//! (`docs/doc-facts.md`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;
use samspil::aws::DEFAULT_RETENTION_DAYS;
use samspil::aws::dynamo::{DynamoStore, STATE_ATTRIBUTE, VERSION_ATTRIBUTE, item_size};
use samspil::aws::item_key::KEY_ATTRIBUTE;
use samspil::domain::PersonState;
use samspil::identity::{PersonKey, PersonKeyer};
use samspil::pipeline::memory::{MemoryPublisher, MemorySealer, MemoryStore};
use samspil::pipeline::{Delivery, Outcome, Pipeline, ProcessingTime, Store};
use samspil::policy::PolicyBook;
use samspil_cli::local::LOCAL_HMAC_SECRET;
use samspil_e2e::people::day;
use samspil_e2e::soak::cohort::Cohort;

/// The item the code before the compact encoding wrote: the state's JSON as a string.
fn json_item(
    store: &DynamoStore,
    person: &PersonKey,
    state: &PersonState,
    version: u64,
) -> HashMap<String, AttributeValue> {
    let mut item = store.item(person, state, version);
    let json = serde_json::to_string(state).expect("JSON");
    item.insert(STATE_ATTRIBUTE.to_string(), AttributeValue::S(json));
    item
}

#[derive(Default)]
struct Column {
    /// The final item of every person.
    sizes: Vec<usize>,
    /// Write units of all messages.
    write_units: usize,
    last: HashMap<PersonKey, usize>,
}

impl Column {
    fn write(&mut self, person: &PersonKey, size: usize) {
        let before = self.last.insert(*person, size).unwrap_or(0);
        self.write_units += size.max(before).div_ceil(1024);
    }

    fn finish(&mut self) {
        self.sizes = self.last.values().copied().collect();
        self.sizes.sort_unstable();
    }

    fn percentile(&self, p: f64) -> usize {
        let index = ((self.sizes.len() as f64 * p).ceil() as usize).clamp(1, self.sizes.len()) - 1;
        self.sizes[index]
    }

    fn over_1_kb(&self) -> f64 {
        self.sizes.iter().filter(|&&s| s > 1024).count() as f64 / self.sizes.len() as f64
    }
}

#[tokio::test]
async fn compact_items_need_one_write_unit_per_message() {
    fastrand::seed(14);
    let cohort = Cohort::generate(1000, 0.3);
    let messages: Vec<_> = cohort.sent.iter().filter(|m| cohort.bad.iter().all(|b| b.message.id != m.id)).collect();
    let keyer = PersonKeyer::new(LOCAL_HMAC_SECRET.as_bytes()).expect("a secret");
    let pipeline = Pipeline::new(
        MemoryStore::new(),
        MemoryPublisher::new(),
        MemorySealer::new(),
        PolicyBook::repository(),
        keyer.clone(),
    );
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("eu-north-1"))
        .build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), "people", DEFAULT_RETENTION_DAYS);
    let time = ProcessingTime { today: day(), now: Utc::now() };

    let (mut before, mut after) = (Column::default(), Column::default());
    let mut duplicates = 0;
    for m in &messages {
        let delivery = Delivery { queue: m.queue, body: &m.body, sender: None, redelivered: false };
        match pipeline.handle(delivery, time).await.expect("a valid message") {
            Outcome::Duplicate { .. } => duplicates += 1,
            Outcome::Applied { .. } => {
                let parsed = samspil::contract::parse(m.queue, &m.body).expect("valid");
                let person = keyer.key(&parsed.cpr);
                let stored = pipeline.store().load(&person).await.expect("load").expect("stored");
                before.write(&person, item_size(&json_item(&store, &person, &stored.state, stored.version)));
                let item = store.item(&person, &stored.state, stored.version);
                assert!(matches!(item.get(STATE_ATTRIBUTE), Some(AttributeValue::B(_))));
                for name in [KEY_ATTRIBUTE, VERSION_ATTRIBUTE] {
                    assert!(item.contains_key(name));
                }
                after.write(&person, item_size(&item));
            }
        }
    }
    before.finish();
    after.finish();

    let n = messages.len() as f64;
    println!(
        "item sizes: {} people, {} messages ({duplicates} duplicates), DynamoDB item size (names + values)",
        after.sizes.len(),
        messages.len()
    );
    println!("| | JSON state (before) | compact state (after) |");
    println!("|---|---:|---:|");
    println!("| median | {} B | {} B |", before.percentile(0.5), after.percentile(0.5));
    println!("| 95th percentile | {} B | {} B |", before.percentile(0.95), after.percentile(0.95));
    println!("| largest | {} B | {} B |", before.percentile(1.0), after.percentile(1.0));
    println!("| over 1 KB | {:.1} % | {:.1} % |", 100.0 * before.over_1_kb(), 100.0 * after.over_1_kb());
    println!(
        "| write units per message | {:.2} | {:.2} |",
        before.write_units as f64 / n,
        after.write_units as f64 / n
    );

    assert!(after.percentile(0.95) <= 1024, "95 % of items at or under 1 KB");
    let applied = (messages.len() - duplicates) as f64;
    assert!(after.write_units as f64 <= applied, "one write unit per applied message");

    let write_units = format!("{:.2}", after.write_units as f64 / n);
    let sizes = format!(
        "| median {} B, p95 {} B, largest {} B | `make item-size` |",
        after.percentile(0.5),
        after.percentile(0.95),
        after.percentile(1.0)
    );
    the_page_says("README.md", &sizes);
    the_page_says("README.md", &format!("| write units per message, same run | {write_units} | `make item-size` |"));
    // The cost of 100,000 messages' writes, at the price the page uses ($0.625 per million units).
    let units: u64 = (write_units.parse::<f64>().expect("a number") * 100_000.0).round() as u64;
    let cost = format!("{:.4}", units as f64 * 0.625 / 1_000_000.0);
    the_page_says("docs/operations.md", &format!("so {write_units} write units per message on average"));
    the_page_says(
        "docs/operations.md",
        &format!("| 100,000 x {write_units} WRU = {} WRU | $0.625 / M | {cost} |", thousands(units)),
    );
}

/// Fails unless `page` (from the repository's root) contains `text`, whitespace as in the page.
fn the_page_says(page: &str, text: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(page);
    let content = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{page}: {e}"));
    let flat = content.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(text), "{page} should state what this run measured: {text}");
}

/// `77000` as `77,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
