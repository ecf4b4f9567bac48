//! Jobs a "re-run failed jobs" attempt keeps from an earlier one ([`crate::KeptJob`]): such a
//! job is not executed; it is done at once with its earlier conclusion and outputs (its
//! dependents read `needs.<id>.outputs.*` from them) and reported as started and finished,
//! with why, so that the new attempt shows it. A job is kept only when every job it needs
//! (each matrix leg, each job of a called workflow) was kept too: one that needs a job
//! that runs again runs again, as on GitHub. The graph is the plan's, so this is decided
//! here and not where the earlier results are stored.

use super::{legs_of, Board, State};
use crate::backend::ContainerBackend;
use crate::context::RunCtx;
use crate::report::RunEvent;
use crate::JobResult;

impl Board {
    /// Keeps pending job `i` (its needs done) when the attempt keeps it and everything it
    /// needs was kept; true when it did.
    pub(super) fn keep<B: ContainerBackend>(&mut self, cx: &RunCtx<B>, i: usize) -> bool {
        let jp = &self.jobs[i];
        let Some(k) = self.kept.get(&jp.key) else {
            return false;
        };
        let needs_kept = jp
            .needs
            .iter()
            .flat_map(|n| legs_of(&self.jobs, n))
            .all(|l| matches!(&self.state[l], State::Done(r) if r.kept_from.is_some()));
        if !needs_kept {
            return false;
        }
        cx.reporter.report(RunEvent::JobStarted {
            job: jp.key.clone(),
            name: jp.name.clone(),
        });
        cx.reporter.report(RunEvent::JobFinished {
            job: jp.key.clone(),
            conclusion: k.conclusion,
            reason: Some(format!("kept from attempt {}", k.attempt)),
            duration_ms: 0,
        });
        // No reason in the result: a run's failure is explained by a job that ran.
        let result = JobResult {
            key: jp.key.clone(),
            id: jp.id.clone(),
            conclusion: k.conclusion,
            outputs: k.outputs.clone(),
            reason: None,
            kept_from: Some(k.attempt),
        };
        self.state[i] = State::Done(result);
        true
    }
}
