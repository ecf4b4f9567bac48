//! Fair dispatch: one queue of run ids per tenant, and a free slot goes to the waiting tenant
//! that holds the fewest slots now (ties: in turn, round-robin), not to the oldest run — a
//! burst of fifty runs from one tenant delays another tenant's run by at most the time one
//! slot takes to free. An optional cap (`tenant_capacity`) bounds the slots one tenant holds
//! at once. Plain data: the scheduler owns the slots and the tasks.

use std::collections::{HashMap, VecDeque};

#[derive(Debug, Default)]
pub struct FairQueue {
    waiting: HashMap<String, VecDeque<i64>>,
    /// Tenants with waiting runs, in the order they are served next.
    turn: VecDeque<String>,
    running: HashMap<String, usize>,
}

impl FairQueue {
    pub fn push(&mut self, tenant: &str, id: i64) {
        let q = self.waiting.entry(tenant.to_string()).or_default();
        if q.is_empty() {
            self.turn.push_back(tenant.to_string());
        }
        q.push_back(id);
    }

    /// The next run to start: of the tenants below `cap` running runs, the one running the
    /// fewest (the first in turn among equals) gives its oldest, and goes to the back of the
    /// turn.
    pub fn pop(&mut self, cap: usize) -> Option<(String, i64)> {
        let held = |t: &String| self.running.get(t).copied().unwrap_or(0);
        let (k, _) = self
            .turn
            .iter()
            .enumerate()
            .filter(|(_, t)| held(t) < cap)
            .min_by_key(|(k, t)| (held(t), *k))?;
        let tenant = self.turn.remove(k)?;
        let q = self.waiting.get_mut(&tenant)?;
        let id = q.pop_front()?;
        if q.is_empty() {
            self.waiting.remove(&tenant);
        } else {
            self.turn.push_back(tenant.clone());
        }
        *self.running.entry(tenant.clone()).or_default() += 1;
        Some((tenant, id))
    }

    /// A run of `tenant` ended: its slot is free.
    pub fn done(&mut self, tenant: &str) {
        if let Some(n) = self.running.get_mut(tenant) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.running.remove(tenant);
            }
        }
    }

    pub fn running(&self) -> usize {
        self.running.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::FairQueue;

    #[test]
    fn a_burst_does_not_starve_another_tenant() {
        let mut q = FairQueue::default();
        for id in 0..50 {
            q.push("a", id);
        }
        let first: Vec<_> = (0..2).map(|_| q.pop(usize::MAX).unwrap()).collect();
        assert_eq!(first, [("a".to_string(), 0), ("a".to_string(), 1)]);
        q.push("b", 100);
        q.done("a");
        // The first free slot goes to b, although a's runs came first.
        assert_eq!(q.pop(usize::MAX), Some(("b".to_string(), 100)));
        q.done("a");
        assert_eq!(q.pop(usize::MAX), Some(("a".to_string(), 2)));
        assert_eq!(q.running(), 2);
        // Equal holdings: in turn.
        q.push("c", 200);
        q.push("b", 101);
        q.done("a");
        q.done("b");
        assert_eq!(q.pop(usize::MAX), Some(("a".to_string(), 3)));
        assert_eq!(q.pop(usize::MAX), Some(("c".to_string(), 200)));
        assert_eq!(q.pop(usize::MAX), Some(("b".to_string(), 101)));
    }

    #[test]
    fn a_tenant_cap_leaves_slots_to_others_and_fifo_within_a_tenant() {
        let mut q = FairQueue::default();
        for id in 0..3 {
            q.push("a", id);
        }
        q.push("b", 10);
        q.push("b", 11);
        let cap = 1;
        assert_eq!(q.pop(cap), Some(("a".to_string(), 0)));
        assert_eq!(q.pop(cap), Some(("b".to_string(), 10)));
        // Both tenants hold their one slot: nothing more starts, whatever is free.
        assert_eq!(q.pop(cap), None);
        q.done("b");
        assert_eq!(q.pop(cap), Some(("b".to_string(), 11)));
        q.done("a");
        assert_eq!(q.pop(cap), Some(("a".to_string(), 1)));
    }
}
