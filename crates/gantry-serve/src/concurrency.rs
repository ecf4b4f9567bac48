//! `concurrency:` groups across runs and instances, as GitHub has them: in a group at most
//! one run runs and one waits; a new run replaces the waiting one (which ends cancelled) and
//! with `cancel-in-progress` also cancels the running one. The groups themselves live in the
//! run store, decided by its writer (`gantry_store::control`), so instances sharing a store
//! share them; this process keeps only a waker per group, so that a run waiting here starts
//! at once when the run holding its group ended here too (a holder elsewhere is noticed by
//! polling the store every [`POLL`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// How often a waiting run asks the store whether its turn came.
pub const POLL: Duration = Duration::from_secs(1);

/// The wakers of the groups runs wait for in this process.
#[derive(Default)]
pub struct Groups {
    wakers: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Groups {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Notify>>> {
        self.wakers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The waker of `group`, for a run about to wait for it (drop it when done waiting).
    pub fn waker(&self, group: &str) -> Arc<Notify> {
        self.map().entry(group.to_string()).or_default().clone()
    }

    /// Wakes the runs waiting for `group` here: its holder left, or a waiter was replaced.
    pub fn wake(&self, group: &str) {
        let mut map = self.map();
        if let Some(n) = map.get(group) {
            n.notify_waiters();
            // Nobody but the map holds it: nobody waits here any more.
            if Arc::strong_count(n) == 1 {
                map.remove(group);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiter_is_woken_and_an_unused_waker_forgotten() {
        let g = Groups::default();
        {
            let waker = g.waker("deploy");
            let woken = waker.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            g.wake("deploy");
            woken.await;
        }
        g.wake("deploy");
        assert!(g.map().is_empty(), "forgotten once nobody waits");
        g.wake("other");
    }
}
