//! Reading meeting updates back, the way a jobcenter or a-kasse system receives them: from an SQS
//! queue subscribed to the `meeting-updates` topic with raw message delivery.
//!
//! The emulator delivers a published update to every subscribed queue before `Publish` returns, so
//! once the runner is idle every update is in the queue: reading needs no waiting for stragglers.

use std::collections::BTreeMap;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, Message, QueueAttributeName,
};
use samspil::contract::{MeetingUpdate, OutboundEvent};

use crate::people::Person;
use crate::stack::Env;

/// One update as a subscriber received it: the event and the string message attributes.
#[derive(Debug, Clone)]
pub struct Update {
    pub event: OutboundEvent,
    pub attributes: BTreeMap<String, String>,
}

impl Update {
    pub fn update(&self) -> MeetingUpdate {
        self.event.to_update().expect("a meeting update")
    }

    fn read(message: &Message) -> Option<Update> {
        let event = OutboundEvent::from_json(message.body()?).ok()?;
        let attributes = message
            .message_attributes()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.string_value()?.to_string())))
            .collect();
        Some(Update { event, attributes })
    }

    fn is_for(&self, people: &[&Person]) -> bool {
        people.iter().any(|p| p.cpr() == self.event.data().cpr.expose())
    }
}

/// A queue of this test's, subscribed to the topic with raw delivery and no filter.
pub struct Subscriber {
    sqs: Client,
    sns: aws_sdk_sns::Client,
    url: String,
    subscription: String,
}

impl Subscriber {
    pub async fn new(env: &Env) -> Subscriber {
        let (sqs, sns) = (env.clients.sqs.clone(), env.clients.sns.clone());
        let name = format!("e2e-updates-{:08x}", fastrand::u32(..));
        let url = sqs.create_queue().queue_name(&name).send().await.expect("CreateQueue").queue_url.expect("a URL");
        let attributes =
            sqs.get_queue_attributes().queue_url(&url).attribute_names(QueueAttributeName::QueueArn).send().await;
        let arn = attributes.expect("GetQueueAttributes").attributes.expect("attributes")
            [&QueueAttributeName::QueueArn]
            .clone();
        let subscribed = sns
            .subscribe()
            .topic_arn(&env.stack.topic_arn)
            .protocol("sqs")
            .endpoint(arn)
            .attributes("RawMessageDelivery", "true")
            .return_subscription_arn(true)
            .send()
            .await;
        let subscription = subscribed.expect("Subscribe").subscription_arn.expect("a subscription ARN");
        Subscriber { sqs, sns, url, subscription }
    }

    /// Every update now in the queue for one of `people`, in arrival order (the queue is emptied).
    pub async fn updates_for(&self, people: &[&Person]) -> Vec<Update> {
        let mut updates = Vec::new();
        loop {
            let batch = receive(&self.sqs, &self.url, 1, 30).await;
            if batch.is_empty() {
                return updates;
            }
            delete(&self.sqs, &self.url, &batch).await;
            updates.extend(batch.iter().filter_map(Update::read).filter(|u| u.is_for(people)));
        }
    }

    /// Every message now in the queue, whoever it is for (the queue is emptied).
    pub async fn drain(&self) -> Vec<Message> {
        let mut all = Vec::new();
        loop {
            let batch = receive(&self.sqs, &self.url, 1, 30).await;
            if batch.is_empty() {
                return all;
            }
            delete(&self.sqs, &self.url, &batch).await;
            all.extend(batch);
        }
    }

    /// Unsubscribes and deletes the queue.
    pub async fn remove(self) {
        let _ = self.sns.unsubscribe().subscription_arn(&self.subscription).send().await;
        let _ = self.sqs.delete_queue().queue_url(&self.url).send().await;
    }
}

/// The updates for `people` in a queue others use too (the template's example subscriber): they
/// are taken off the queue; every other message is left as it was.
pub async fn take_from_shared_queue(sqs: &Client, url: &str, people: &[&Person]) -> Vec<Update> {
    let mine = take_matching(sqs, url, |m| Update::read(m).is_some_and(|u| u.is_for(people))).await;
    mine.iter().filter_map(Update::read).collect()
}

/// Takes the messages that `keep` picks off a queue others use too (deleting them), and leaves
/// every other message as it was (visible again at once).
pub async fn take_matching(sqs: &Client, url: &str, keep: impl Fn(&Message) -> bool) -> Vec<Message> {
    let (mut mine, mut others) = (Vec::new(), Vec::new());
    loop {
        let batch = receive(sqs, url, 1, 30).await;
        if batch.is_empty() {
            break;
        }
        let (ours, theirs): (Vec<Message>, Vec<Message>) = batch.into_iter().partition(&keep);
        delete(sqs, url, &ours).await;
        mine.extend(ours);
        others.extend(theirs);
    }
    for chunk in others.chunks(10) {
        let entries = chunk.iter().enumerate().filter_map(|(i, m)| {
            let entry = ChangeMessageVisibilityBatchRequestEntry::builder().id(i.to_string()).visibility_timeout(0);
            entry.receipt_handle(m.receipt_handle()?).build().ok()
        });
        let request = sqs.change_message_visibility_batch().queue_url(url).set_entries(Some(entries.collect()));
        request.send().await.expect("ChangeMessageVisibilityBatch");
    }
    mine
}

/// Up to ten messages with all their attributes, hidden from others for `visibility` seconds.
pub async fn receive(sqs: &Client, url: &str, wait_seconds: i32, visibility: i32) -> Vec<Message> {
    let output = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait_seconds)
        .visibility_timeout(visibility)
        .message_attribute_names("All")
        .send()
        .await
        .expect("ReceiveMessage");
    output.messages.unwrap_or_default()
}

pub async fn delete(sqs: &Client, url: &str, messages: &[Message]) {
    if messages.is_empty() {
        return;
    }
    let entries = messages.iter().enumerate().filter_map(|(i, m)| {
        DeleteMessageBatchRequestEntry::builder().id(i.to_string()).receipt_handle(m.receipt_handle()?).build().ok()
    });
    let output = sqs
        .delete_message_batch()
        .queue_url(url)
        .set_entries(Some(entries.collect()))
        .send()
        .await
        .expect("DeleteMessageBatch");
    assert!(output.failed().is_empty(), "some messages could not be deleted");
}
