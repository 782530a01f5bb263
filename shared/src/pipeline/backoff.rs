//! How long a message that failed for a transient reason waits before SQS delivers it again.
//!
//! SQS makes a failed message visible again when its visibility timeout ends, and moves it to the
//! dead-letter queue once it has been received `maxReceiveCount` times. With the queue's fixed
//! timeout alone (120 s) and five receives, an outage of DynamoDB or SNS longer than ten minutes
//! emptied the queues into the dead-letter queues: every valid message, with no reason code, for
//! an operator to redrive by hand. So after a transient failure the caller (the Lambda glue, the
//! local runner) raises the failed message's visibility timeout with its receive count
//! (`ChangeMessageVisibility`): [`Backoff::LAMBDA`] waits 1 minute after the first receive, then 2,
//! 4, 8, ... up to 1 hour. With the template's `maxReceiveCount` of [`MAX_RECEIVES`] a message is
//! received for the last time about three hours after the first
//! ([`Backoff::until_dead_letter`]), so an outage of up to three hours sends nothing valid to a
//! dead-letter queue, while a message that fails because of its own content still arrives there
//! the same day. Bad input never waits: it is dead-lettered at once with its code.
//!
//! A test reads `maxReceiveCount` from `infra/template.yaml`, so the two cannot drift apart.

use std::time::Duration;

/// The queues' `maxReceiveCount` in `infra/template.yaml`.
pub const MAX_RECEIVES: u32 = 8;

/// A doubling wait between deliveries of a failed message: `first` after the first receive, twice
/// as long after each further one, never more than `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// The Lambda functions' schedule: 1 minute, doubling, at most 1 hour.
    pub const LAMBDA: Backoff = Backoff { first: Duration::from_secs(60), cap: Duration::from_secs(3600) };

    /// The longest visibility timeout SQS accepts: 12 hours.
    pub const SQS_LIMIT: Duration = Duration::from_secs(12 * 3600);

    /// How long a message that failed on its `receive_count`-th receive (SQS'
    /// `ApproximateReceiveCount`, 1 for the first) stays invisible from now on.
    pub fn delay(&self, receive_count: u32) -> Duration {
        let doublings = receive_count.saturating_sub(1).min(20);
        self.first.saturating_mul(1 << doublings).min(self.cap).min(Self::SQS_LIMIT)
    }

    /// The same delay in whole seconds, as `ChangeMessageVisibility` takes it.
    pub fn delay_seconds(&self, receive_count: u32) -> i32 {
        i32::try_from(self.delay(receive_count).as_secs()).unwrap_or(i32::MAX)
    }

    /// How long after its first receive a message that fails every time is received for the
    /// `max_receives + 1`-th time, when SQS moves it to the dead-letter queue: the outage it
    /// survives.
    pub fn until_dead_letter(&self, max_receives: u32) -> Duration {
        (1..=max_receives).map(|n| self.delay(n)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_from_the_first_up_to_the_cap() {
        let minutes: Vec<u64> = (1..=9).map(|n| Backoff::LAMBDA.delay(n).as_secs() / 60).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(Backoff::LAMBDA.delay(0), Duration::from_secs(60), "a missing count counts as the first");
        assert_eq!(Backoff::LAMBDA.delay(u32::MAX), Duration::from_secs(3600));
        let huge = Backoff { first: Duration::from_secs(3600), cap: Duration::from_secs(u64::MAX) };
        assert_eq!(huge.delay(30), Backoff::SQS_LIMIT, "never beyond what SQS accepts");
    }

    #[test]
    fn a_one_hour_outage_sends_nothing_valid_to_a_dead_letter_queue() {
        let template = include_str!("../../../infra/template.yaml");
        for queue in ["RegistrationsQueue", "CvCompletionsQueue", "JobExitsQueue"] {
            let resource = format!("  {queue}:");
            let count: u32 = template
                .lines()
                .skip_while(|l| *l != resource)
                .find_map(|l| l.trim().strip_prefix("maxReceiveCount:"))
                .unwrap_or_else(|| panic!("{queue} has a maxReceiveCount in the template"))
                .trim()
                .parse()
                .expect("a whole number");
            assert_eq!(count, MAX_RECEIVES, "{queue}'s maxReceiveCount");
        }
        let survived = Backoff::LAMBDA.until_dead_letter(MAX_RECEIVES);
        assert!(survived >= Duration::from_secs(2 * 3600), "an outage of {survived:?} is ridden out");
        assert!(survived <= Duration::from_secs(6 * 3600), "a poisoned message reaches its DLQ within hours");
    }
}
