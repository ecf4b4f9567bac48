//! What the scheduler holds: runs waiting for a slot (fairly, by tenant) and runs executing,
//! by id, so a run handed over twice (by the request that recorded it and again by a sweep
//! of the store) is held once.

use crate::fair::FairQueue;
use std::collections::{HashMap, HashSet};

#[derive(Default)]
pub struct Held {
    fair: FairQueue,
    /// Runs waiting for a slot.
    waiting: usize,
    /// Every run waiting or executing.
    ids: HashSet<i64>,
    /// The tenant and run of each executing task.
    tasks: HashMap<tokio::task::Id, (String, i64)>,
}

impl Held {
    /// Holds run `id` of `tenant` until a slot is free; false when it is held already.
    pub fn admit(&mut self, tenant: &str, id: i64) -> bool {
        if !self.ids.insert(id) {
            return false;
        }
        self.fair.push(tenant, id);
        self.waiting += 1;
        true
    }

    pub fn holds(&self, id: i64) -> bool {
        self.ids.contains(&id)
    }

    pub fn waiting(&self) -> usize {
        self.waiting
    }

    /// The next run to start, when fewer than `capacity` run (at most `cap` per tenant).
    pub fn next(&mut self, capacity: usize, cap: usize) -> Option<(String, i64)> {
        if self.fair.running() >= capacity {
            return None;
        }
        let next = self.fair.pop(cap)?;
        self.waiting -= 1;
        Some(next)
    }

    /// The run started as `task`.
    pub fn started(&mut self, task: tokio::task::Id, tenant: String, id: i64) {
        self.tasks.insert(task, (tenant, id));
    }

    /// `task` ended: its slot is free and its run is no longer held.
    pub fn ended(&mut self, task: tokio::task::Id) {
        if let Some((tenant, id)) = self.tasks.remove(&task) {
            self.fair.done(&tenant);
            self.ids.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_run_is_held_once_until_its_task_ends() {
        let mut h = Held::default();
        assert!(h.admit("a", 1));
        assert!(!h.admit("a", 1), "held twice");
        assert!(h.admit("b", 2));
        assert_eq!(h.waiting(), 2);
        let (tenant, id) = h.next(1, 1).unwrap();
        assert_eq!((tenant.as_str(), id), ("a", 1));
        assert_eq!(h.next(1, 1), None, "capacity 1 is taken");
        let task = tokio::spawn(async {});
        let task_id = task.id();
        h.started(task_id, tenant, id);
        assert!(!h.admit("a", 1), "executing, still held");
        h.ended(task_id);
        assert!(!h.holds(1));
        assert_eq!(h.next(1, 1), Some(("b".to_string(), 2)));
        assert!(h.admit("a", 1), "a rerun is held again");
    }
}
