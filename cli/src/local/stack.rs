//! Where the local runner finds the stack: the outputs `scripts/deploy_local.py` writes to
//! `target/local-stack.json`, or explicit names.
//!
//! The deployer writes the CloudFormation stack's outputs as one flat JSON object, e.g.
//! `{"RegistrationsQueueUrl": "...", "RegistrationsDlqUrl": "...", "TableName": "people",
//! "MeetingUpdatesTopicArn": "arn:aws:sns:...", ...}` (the output names are the template's). Reading
//! them, rather than assuming names, is what keeps the local run on the stack the template made.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use samspil::contract::FactKind;

use crate::Error;
use crate::failure::Failure;

/// One inbound queue: its contract name (`registrations`, ...), URL and dead-letter queue URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePair {
    pub name: String,
    pub url: String,
    pub dlq_url: String,
}

/// The parts of the stack the local runner uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    /// The DynamoDB table of people's states.
    pub table: String,
    /// The `meeting-updates` topic.
    pub topic_arn: String,
    /// The three inbound queues, in the order of [`FactKind::ALL`].
    pub queues: Vec<QueuePair>,
    /// The example jobcenter subscriber queue (municipality 851), if the stack has one.
    pub example_subscriber_url: Option<String>,
    /// The stack's sender map (output `AkasseSenders`, see [`samspil::senders`]); `None` for a
    /// stack given by explicit names, whose senders are then not checked.
    pub senders: Option<String>,
    /// The KMS key that seals CPR numbers awaiting their summons (output `SummonsKeyArn`, rule
    /// R12); for a stack given by explicit names, what `--summons-key` says.
    pub summons_key: Option<String>,
}

/// The prefix of the template's output names for each queue: `RegistrationsQueueUrl`, ...
fn output_prefix(kind: FactKind) -> &'static str {
    match kind {
        FactKind::Registration => "Registrations",
        FactKind::CvCompleted => "CvCompletions",
        FactKind::JobExit => "JobExits",
    }
}

impl Stack {
    /// Reads the deployer's outputs file.
    pub fn load(path: &Path) -> Result<Stack, Error> {
        // A missing or broken stack file is configuration that cannot work (exit status 4).
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::config(format!(
                "{}: {e} (deploy the local stack first: `make deploy-local`, or give --table and --topic-arn)",
                path.display()
            ))
        })?;
        let outputs: BTreeMap<String, String> = serde_json::from_str(&text)
            .map_err(|e| Failure::config(format!("{}: not the deployer's outputs: {e}", path.display())))?;
        Stack::from_outputs(&outputs).map_err(|e| Failure::config(format!("{}: {e}", path.display())).into())
    }

    /// The stack from its outputs, by the template's output names.
    pub fn from_outputs(outputs: &BTreeMap<String, String>) -> Result<Stack, String> {
        let need = |key: &str| outputs.get(key).cloned().ok_or_else(|| format!("the stack has no output {key}"));
        let mut queues = Vec::new();
        for kind in FactKind::ALL {
            let prefix = output_prefix(kind);
            queues.push(QueuePair {
                name: kind.queue().to_string(),
                url: need(&format!("{prefix}QueueUrl"))?,
                dlq_url: need(&format!("{prefix}DlqUrl"))?,
            });
        }
        Ok(Stack {
            table: need("TableName")?,
            topic_arn: need("MeetingUpdatesTopicArn")?,
            queues,
            example_subscriber_url: outputs.get("ExampleSubscriberQueueUrl").cloned(),
            senders: outputs.get("AkasseSenders").cloned(),
            summons_key: outputs.get("SummonsKeyArn").cloned(),
        })
    }

    /// The stack from explicit names: the queues are found by their contract names (and
    /// `<name>-dlq`) through `GetQueueUrl`.
    pub async fn resolve(sqs: &aws_sdk_sqs::Client, table: &str, topic_arn: &str) -> Result<Stack, Error> {
        let mut queues = Vec::new();
        for kind in FactKind::ALL {
            let name = kind.queue();
            let url = crate::queue_url(sqs, name).await?;
            let dlq_url = crate::queue_url(sqs, &format!("{name}-dlq")).await?;
            queues.push(QueuePair { name: name.to_string(), url, dlq_url });
        }
        Ok(Stack {
            table: table.to_string(),
            topic_arn: topic_arn.to_string(),
            queues,
            example_subscriber_url: None,
            senders: None,
            summons_key: None,
        })
    }

    /// Each queue's dead-letter queue URL, by queue name: what [`samspil::aws::SqsDeadLetters::new`] takes.
    pub fn dlq_urls(&self) -> HashMap<String, String> {
        self.queues.iter().map(|q| (q.name.clone(), q.dlq_url.clone())).collect()
    }

    /// The queue called `name`.
    pub fn queue(&self, name: &str) -> Option<&QueuePair> {
        self.queues.iter().find(|q| q.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs() -> BTreeMap<String, String> {
        let base = "http://127.0.0.1:4566/123456789012";
        let mut o = BTreeMap::new();
        for (prefix, name) in
            [("Registrations", "registrations"), ("CvCompletions", "cv-completions"), ("JobExits", "job-exits")]
        {
            o.insert(format!("{prefix}QueueUrl"), format!("{base}/{name}"));
            o.insert(format!("{prefix}DlqUrl"), format!("{base}/{name}-dlq"));
        }
        o.insert("TableName".into(), "people".into());
        o.insert("MeetingUpdatesTopicArn".into(), "arn:aws:sns:eu-north-1:123456789012:meeting-updates".into());
        o
    }

    #[test]
    fn reads_the_deployers_outputs() {
        let stack = Stack::from_outputs(&outputs()).unwrap();
        assert_eq!(stack.table, "people");
        let names: Vec<&str> = stack.queues.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["registrations", "cv-completions", "job-exits"]);
        assert_eq!(stack.dlq_urls()["job-exits"], "http://127.0.0.1:4566/123456789012/job-exits-dlq");
        assert_eq!(stack.example_subscriber_url, None);
        assert_eq!(stack.summons_key, None);
    }

    #[test]
    fn names_a_missing_output() {
        let mut o = outputs();
        o.remove("CvCompletionsDlqUrl");
        assert_eq!(Stack::from_outputs(&o).unwrap_err(), "the stack has no output CvCompletionsDlqUrl");
    }
}
