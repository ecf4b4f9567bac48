//! Whether the store can write now, as the writer last found it. Ingress, readiness and the
//! Kafka source read it to stop taking events the store could not record; the writer sets
//! it after every transaction (and every probe while it is down), so recovery is automatic.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

#[derive(Default)]
pub struct Health {
    down: AtomicBool,
    /// SQLite's words for the last failure (no path in them), while down.
    cause: Mutex<Option<String>>,
    /// Changes the writer holds because it could not commit them yet.
    held: AtomicUsize,
}

impl Health {
    pub fn writable(&self) -> bool {
        !self.down.load(Ordering::SeqCst)
    }

    /// Why the store cannot write, while it cannot.
    pub fn cause(&self) -> Option<String> {
        if self.writable() {
            return None;
        }
        self.cause.lock().ok().and_then(|c| c.clone())
    }

    /// Changes waiting with the writer for the store to write again.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    pub fn set_held(&self, n: usize) {
        self.held.store(n, Ordering::Relaxed);
    }

    /// A write failed for a store fault; true when the store was writable until now.
    pub fn failed(&self, cause: &str) -> bool {
        if let Ok(mut c) = self.cause.lock() {
            *c = Some(cause.to_string());
        }
        !self.down.swap(true, Ordering::SeqCst)
    }

    /// A write was committed; true when the store was down until now.
    pub fn recovered(&self) -> bool {
        let was_down = self.down.swap(false, Ordering::SeqCst);
        if let Ok(mut c) = self.cause.lock() {
            *c = None;
        }
        was_down
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_on_a_failure_up_on_a_commit_and_each_edge_reported_once() {
        let h = Health::default();
        assert!(h.writable() && h.cause().is_none());
        assert!(h.failed("database or disk is full"));
        assert!(!h.failed("database or disk is full"), "already down");
        assert!(!h.writable());
        assert_eq!(h.cause().as_deref(), Some("database or disk is full"));
        assert!(h.recovered());
        assert!(!h.recovered(), "already up");
        assert!(h.writable() && h.cause().is_none());
    }
}
