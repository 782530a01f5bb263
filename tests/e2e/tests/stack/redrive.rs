//! `samspil redrive` and the sender check on the stack: a redrive keeps the original sender and has
//! it checked again; a mark an a-kasse writes itself changes nothing.
//!
//! The emulator reports one `SenderId` for every message, whatever the credentials (moto's
//! `DEFAULT_SENDER_ID`, its default IAM user), so it cannot show an a-kasse and an operator as two
//! principals. The first test therefore gives the stack's handler a sender map in which that one
//! principal is the operator's (a redrive principal), and hands the first delivery to the handler
//! with the a-kasse's `SenderId`, as Lambda would; everything after that is the real thing: the
//! function's dead-lettering into the stack's DLQ with its seal, `samspil redrive` reading the
//! DLQ's `SenderId` and attributes, the poller receiving the redriven message from SQS.

use aws_sdk_sqs::types::{Message, MessageAttributeValue};
use chrono::Utc;
use samspil::pipeline::{BatchRecord, ProcessingTime};
use samspil::policy::PolicyBook;
use samspil::senders::{REDRIVEN_ATTRIBUTE, SENDER_ATTRIBUTE};
use samspil_cli::local::{self, LOCAL_HMAC_SECRET, LocalHandler, Stack};
use samspil_cli::redrive::{Plan, redrive};
use samspil_e2e::people::{DAY, EMULATOR_SENDER, Person, day};
use samspil_e2e::reference::in_order;
use samspil_e2e::runner::{handler, poller, run_until_idle, send, stored};
use samspil_e2e::stack::{Env, setup};
use samspil_e2e::subscriber::{Subscriber, take_matching};

/// The a-kasser's principals in the first test, and the emulator's one principal as the operator.
fn senders() -> String {
    format!("AROAE2EAKASSE067=067,AROAE2EAKASSE048=048,{EMULATOR_SENDER}=redrive")
}

/// The stack's handler with [`senders`] and `policies`.
fn handler_as_in_aws(env: &Env, policies: PolicyBook) -> LocalHandler {
    let stack = Stack { senders: Some(senders()), ..env.stack.clone() };
    local::handler(&env.clients, &stack, policies, LOCAL_HMAC_SECRET.as_bytes()).expect("a handler")
}

fn attribute(m: &Message, name: &str) -> Option<String> {
    m.message_attributes().and_then(|a| a.get(name)).and_then(|v| v.string_value()).map(str::to_owned)
}

#[tokio::test]
async fn a_forged_registration_stays_refused_through_a_redrive_and_a_genuine_one_comes_back_as_its_sender() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let (victim, genuine) = (Person::new(), Person::new());
    // 048 sends a registration in 067's name; 067 sends one for Aalborg while the policy file lacks it.
    let forged = victim.registration("851", DAY);
    let aalborg = genuine.registration("851", DAY);
    let no_aalborg = PolicyBook::from_toml("[municipalities.860]\nname = \"Hjørring\"\npolicy = \"baseline\"\n", "e2e")
        .expect("a policy file");
    let before = handler_as_in_aws(&env, no_aalborg);
    let record = |id: &str, sender: &str, body: &str| BatchRecord {
        message_id: Some(id.into()),
        queue: "registrations".into(),
        body: Some(body.into()),
        sender: Some(sender.into()),
        redelivered: false,
        marks: Default::default(),
        sent_at: None,
    };
    let time = ProcessingTime { today: day(), now: Utc::now() };
    let batch =
        [record("f-1", "AROAE2EAKASSE048:batch", &forged.body), record("g-1", "AROAE2EAKASSE067:batch", &aalborg.body)];
    let report = before.handle(&batch, time).await;
    assert_eq!(report.counts.permanent_failures, 2, "both dead-lettered into the stack's DLQ");

    // A routine redrive moves neither: both have an error_code.
    let routine = redrive(&env.clients.sqs, &Plan::retries_exhausted("registrations"), |_| {}).await.expect("redrive");
    assert!(routine.moved.is_empty(), "nothing moved by default");
    let left = |code: &str| routine.left.get(code).copied().unwrap_or(0);
    assert!(left("sender_mismatch") >= 1 && left("unknown_municipality") >= 1, "{:?}", routine.left);

    // Aalborg is in the policy file now; the operator moves both codes back on purpose.
    let codes = vec!["sender_mismatch".to_string(), "unknown_municipality".to_string()];
    let named = Plan { error_codes: codes, ..Plan::retries_exhausted("registrations") };
    let moved = redrive(&env.clients.sqs, &named, |_| {}).await.expect("redrive");
    assert!(moved.moved.len() >= 2, "both moved back");
    let after = run_until_idle(&poller(&env, handler_as_in_aws(&env, PolicyBook::repository()))).await;
    assert_eq!((after.counts.scheduled, after.counts.permanent_failures), (1, 1), "{:?}", after.counts);

    // The forgery is back in the DLQ as 048's, refused again; 067's message scheduled its meeting.
    let dlq = &env.stack.queue("registrations").expect("registrations").dlq_url;
    let letters = take_matching(&env.clients.sqs, dlq, |m| m.body() == Some(forged.body.as_str())).await;
    assert_eq!(letters.len(), 1, "the forgery, once");
    assert_eq!(attribute(&letters[0], "error_code").as_deref(), Some("sender_mismatch"));
    assert_eq!(attribute(&letters[0], SENDER_ATTRIBUTE).as_deref(), Some("AROAE2EAKASSE048"), "still 048's");
    assert!(stored(&env, &victim).await.is_none(), "nothing stored for the forgery");
    let got: Vec<_> = subscriber.updates_for(&[&victim, &genuine]).await.iter().map(|u| u.update()).collect();
    assert_eq!(got, in_order(&[aalborg]).await, "067's meeting, and nothing for the forgery");
    subscriber.remove().await;
}

#[tokio::test]
async fn a_message_an_akasse_marks_as_redriven_does_not_republish() {
    let env = setup().await;
    let subscriber = Subscriber::new(&env).await;
    let person = Person::new();
    let registration = person.registration("851", DAY);
    send(&env, std::slice::from_ref(&registration)).await;
    let first = run_until_idle(&poller(&env, handler(&env))).await;
    assert_eq!(first.counts.scheduled, 1);

    // The same message again, from the a-kasse (the stack's own sender map), marked as redriven.
    let mark = MessageAttributeValue::builder().data_type("String").string_value("1").build().expect("attribute");
    let url = &env.stack.queue("registrations").expect("registrations").url;
    let sent = env.clients.sqs.send_message().queue_url(url).message_body(&registration.body);
    sent.message_attributes(REDRIVEN_ATTRIBUTE, mark).send().await.expect("SendMessage");
    let again = run_until_idle(&poller(&env, handler(&env))).await;
    assert_eq!((again.counts.duplicates, again.counts.scheduled), (1, 0));

    let got: Vec<_> = subscriber.updates_for(&[&person]).await.iter().map(|u| u.update()).collect();
    assert_eq!(got, in_order(&[registration]).await, "one update: the a-kasse's mark republished nothing");
    subscriber.remove().await;
}
