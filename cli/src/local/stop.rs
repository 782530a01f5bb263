//! [`Stop`]: the signal that ends the poller and the watcher.

use std::sync::Arc;

use tokio::sync::watch;

/// A stop signal shared by the poller, the watcher and whoever stops them (Ctrl-C, a test).
///
/// [`Stop::stop`] lets a receive that is waiting finish (at most its long-polling time) and
/// handles what it brought, so no message is left hidden by a receive nobody reads;
/// [`Stop::stop_now`] (Ctrl-C) cancels it, and a message it may have taken comes back after its
/// visibility timeout. Either way a batch in hand is finished and acknowledged.
#[derive(Debug, Clone)]
pub struct Stop(Arc<watch::Sender<Stopping>>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stopping {
    No,
    Finishing,
    Now,
}

impl Default for Stop {
    fn default() -> Self {
        Stop(Arc::new(watch::channel(Stopping::No).0))
    }
}

impl Stop {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops after the receives in progress.
    pub fn stop(&self) {
        self.raise(Stopping::Finishing);
    }

    /// Stops at once, cancelling receives in progress.
    pub fn stop_now(&self) {
        self.raise(Stopping::Now);
    }

    fn raise(&self, to: Stopping) {
        self.0.send_if_modified(|state| {
            let raised = *state < to;
            *state = (*state).max(to);
            raised
        });
    }

    pub fn is_stopped(&self) -> bool {
        *self.0.borrow() != Stopping::No
    }

    /// Completes once either stop was called (at once if it already was).
    pub async fn stopped(&self) {
        self.reached(Stopping::Finishing).await;
    }

    /// Completes once [`Stop::stop_now`] was called.
    pub async fn stopped_now(&self) {
        self.reached(Stopping::Now).await;
    }

    async fn reached(&self, level: Stopping) {
        let mut receiver = self.0.subscribe();
        let _ = receiver.wait_for(|state| *state >= level).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn stop_wakes_every_waiter_even_late_ones() {
        let stop = Stop::new();
        assert!(!stop.is_stopped());
        let waiter = stop.clone();
        let waiting = tokio::spawn(async move { waiter.stopped().await });
        stop.stop();
        waiting.await.unwrap();
        stop.stopped().await;
        assert!(stop.is_stopped());
        let now = tokio::time::timeout(Duration::from_millis(50), stop.stopped_now()).await;
        assert!(now.is_err(), "a plain stop is not a stop now");
        stop.stop_now();
        stop.stop();
        stop.stopped_now().await;
    }
}
