//! Counting the requests the SDK clients send, per operation.
//!
//! [`RequestCounter`] is a cheap, cloneable handle on shared counts; [`RequestCounter::interceptor`]
//! gives an SDK interceptor that adds one to the operation's count (`"GetItem"`, `"PutItem"`,
//! `"Publish"`, ...) each time a request is about to go on the wire. Because it hooks the transmit
//! step, a retried operation counts once per attempt: the figure is what the service sees (and
//! bills), which is what the request budget ("one read and one write per message") is about.
//!
//! Attach the same counter to every client ([`super::AwsClients::with_counter`]) to count across
//! services. Used by the adapter tests and the request-count benchmark.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Requests sent, per operation name. Clones share the counts.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl RequestCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The counts so far, by operation name.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.lock().clone()
    }

    /// The count of one operation, e.g. `"GetItem"`.
    pub fn get(&self, operation: &str) -> u64 {
        self.lock().get(operation).copied().unwrap_or(0)
    }

    /// All requests counted, of every operation.
    pub fn total(&self) -> u64 {
        self.lock().values().sum()
    }

    /// Starts counting from zero again.
    pub fn reset(&self) {
        self.lock().clear();
    }

    /// Adds one request of `operation`.
    pub fn record(&self, operation: &str) {
        let mut counts = self.lock();
        match counts.get_mut(operation) {
            Some(n) => *n += 1,
            None => {
                counts.insert(operation.to_string(), 1);
            }
        }
    }

    /// The interceptor to attach to an SDK client's config builder (`.interceptor(...)`).
    pub fn interceptor(&self) -> CountRequests {
        CountRequests { counter: self.clone() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        // A panic while holding the lock cannot leave the map inconsistent: keep counting.
        self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The SDK interceptor behind [`RequestCounter::interceptor`].
#[derive(Debug, Clone)]
pub struct CountRequests {
    counter: RequestCounter,
}

impl Intercept for CountRequests {
    fn name(&self) -> &'static str {
        "samspil::CountRequests"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Metadata>().map_or("unknown", |m| m.name());
        self.counter.record(operation);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_operation_and_resets() {
        let counter = RequestCounter::new();
        let shared = counter.clone();
        counter.record("GetItem");
        shared.record("GetItem");
        counter.record("PutItem");
        assert_eq!(counter.get("GetItem"), 2);
        assert_eq!(counter.get("Publish"), 0);
        assert_eq!(counter.total(), 3);
        assert_eq!(shared.snapshot(), BTreeMap::from([("GetItem".to_string(), 2), ("PutItem".to_string(), 1)]));
        shared.reset();
        assert_eq!(counter.total(), 0);
    }
}
