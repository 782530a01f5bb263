//! A store and a publisher that misbehave on purpose, wrapped around the real adapters.
//!
//! Each keeps its counters in an `Arc`, so a test keeps a handle on them after handing the wrapper
//! to the runner.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use samspil::contract::OutboundEvent;
use samspil::domain::PersonState;
use samspil::identity::PersonKey;
use samspil::pipeline::{PublishError, Publisher, Store, StoreError, Stored};

/// Counts shared between a wrapper and its test.
#[derive(Debug, Clone, Default)]
pub struct Counter(Arc<AtomicU32>);

impl Counter {
    pub fn get(&self) -> u32 {
        self.0.load(Ordering::SeqCst)
    }

    /// Adds one; returns the new count.
    fn bump(&self) -> u32 {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
}

/// A [`Publisher`] whose first `failures` calls fail (sending nothing): SNS throttling, say.
pub struct FlakyPublisher<P> {
    pub inner: P,
    pub failures: u32,
    pub calls: Counter,
}

impl<P: Publisher> Publisher for FlakyPublisher<P> {
    async fn publish(&self, events: Vec<OutboundEvent>) -> Result<(), PublishError> {
        if self.calls.bump() <= self.failures {
            return Err(PublishError("injected failure: the topic is unavailable".into()));
        }
        self.inner.publish(events).await
    }
}

/// A [`Store`] whose first `failures` loads fail: DynamoDB throttling, say.
pub struct FlakyStore<S> {
    pub inner: S,
    pub failures: u32,
    pub loads: Counter,
}

impl<S: Store> Store for FlakyStore<S> {
    async fn load(&self, person: &PersonKey) -> Result<Option<Stored>, StoreError> {
        if self.loads.bump() <= self.failures {
            return Err(StoreError::Unavailable("injected failure: throttled".into()));
        }
        self.inner.load(person).await
    }

    async fn save(&self, person: &PersonKey, state: &PersonState, expected: Option<u64>) -> Result<u64, StoreError> {
        self.inner.save(person, state, expected).await
    }

    async fn due_for_sweep(&self, today: chrono::NaiveDate) -> Result<Vec<PersonKey>, StoreError> {
        self.inner.due_for_sweep(today).await
    }

    async fn policies_mark(&self) -> Result<Option<String>, StoreError> {
        self.inner.policies_mark().await
    }

    async fn set_policies_mark(&self, fingerprint: &str) -> Result<(), StoreError> {
        self.inner.set_policies_mark(fingerprint).await
    }
}

/// A [`Store`] that waits after every load, so that writers of one person that run at the same
/// time read the same version and race; it counts the races lost (conditional writes refused).
pub struct SlowStore<S> {
    pub inner: S,
    pub delay: Duration,
    pub conflicts: Counter,
}

impl<S: Store> Store for SlowStore<S> {
    async fn load(&self, person: &PersonKey) -> Result<Option<Stored>, StoreError> {
        let loaded = self.inner.load(person).await;
        tokio::time::sleep(self.delay).await;
        loaded
    }

    async fn save(&self, person: &PersonKey, state: &PersonState, expected: Option<u64>) -> Result<u64, StoreError> {
        let saved = self.inner.save(person, state, expected).await;
        if matches!(saved, Err(StoreError::Conflict { .. })) {
            self.conflicts.bump();
        }
        saved
    }

    async fn due_for_sweep(&self, today: chrono::NaiveDate) -> Result<Vec<PersonKey>, StoreError> {
        self.inner.due_for_sweep(today).await
    }

    async fn policies_mark(&self) -> Result<Option<String>, StoreError> {
        self.inner.policies_mark().await
    }

    async fn set_policies_mark(&self, fingerprint: &str) -> Result<(), StoreError> {
        self.inner.set_policies_mark(fingerprint).await
    }
}
