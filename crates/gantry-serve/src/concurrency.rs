//! `concurrency:` groups across runs, as GitHub has them: in a group at most one run runs
//! and one waits. A new run replaces the waiting one (which ends cancelled); with
//! `cancel-in-progress` it also cancels the running one.

use gantry_engine::Signals;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::oneshot;

#[derive(Default)]
struct Group {
    running: Option<(i64, Signals)>,
    waiting: Option<(i64, oneshot::Sender<bool>)>,
}

#[derive(Default)]
pub struct Groups {
    groups: Mutex<HashMap<String, Group>>,
}

/// What a run may do once it asked to enter its group.
pub enum Entry {
    Go,
    /// Wait for the answer: `true` to go, `false` when replaced by a newer run.
    Wait(oneshot::Receiver<bool>),
}

impl Groups {
    /// Enters `group` with run `id`; returns the run it replaced while waiting, if any.
    pub fn enter(
        &self,
        group: &str,
        id: i64,
        signals: Signals,
        cancel_in_progress: bool,
    ) -> (Entry, Option<i64>) {
        let Ok(mut groups) = self.groups.lock() else {
            return (Entry::Go, None);
        };
        let g = groups.entry(group.to_string()).or_default();
        let mut replaced = None;
        if let Some((old, tx)) = g.waiting.take() {
            let _ = tx.send(false);
            replaced = Some(old);
        }
        match &g.running {
            None => {
                g.running = Some((id, signals));
                (Entry::Go, replaced)
            }
            Some((_, running)) => {
                if cancel_in_progress {
                    running.cancel.cancel();
                }
                let (tx, rx) = oneshot::channel();
                g.waiting = Some((id, tx));
                // Remember our signals for when we run.
                drop(signals);
                (Entry::Wait(rx), replaced)
            }
        }
    }

    /// Marks `id` as running after it waited (its turn came).
    pub fn started(&self, group: &str, id: i64, signals: Signals) {
        if let Ok(mut groups) = self.groups.lock() {
            groups.entry(group.to_string()).or_default().running = Some((id, signals));
        }
    }

    /// Leaves the group; the waiting run, if any, gets its turn.
    pub fn leave(&self, group: &str, id: i64) {
        let Ok(mut groups) = self.groups.lock() else {
            return;
        };
        let Some(g) = groups.get_mut(group) else {
            return;
        };
        if g.running.as_ref().is_some_and(|(r, _)| *r == id) {
            g.running = None;
            if let Some((_, tx)) = g.waiting.take() {
                let _ = tx.send(true);
            }
        }
        if g.running.is_none() && g.waiting.is_none() {
            groups.remove(group);
        }
    }
}
