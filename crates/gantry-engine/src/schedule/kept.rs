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

/// The reason a kept job is reported with (the pages show it beside the job).
pub fn kept_reason(attempt: u32) -> String {
    format!("{KEPT_FROM}{attempt}")
}

/// Whether `reason` is a kept job's ([`kept_reason`]).
pub fn is_kept_reason(reason: &str) -> bool {
    reason
        .strip_prefix(KEPT_FROM)
        .is_some_and(|n| n.parse::<u32>().is_ok())
}

const KEPT_FROM: &str = "kept from attempt ";

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
            reason: Some(kept_reason(k.attempt)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_reasons_are_recognised_and_no_other() {
        let table = [
            (kept_reason(1), true),
            (kept_reason(12), true),
            ("kept from attempt ".into(), false),
            ("kept from attempt x".into(), false),
            ("step 1 `kept from attempt 1` failed".into(), false),
            ("never started".into(), false),
        ];
        for (reason, want) in table {
            assert_eq!(is_kept_reason(&reason), want, "{reason}");
        }
    }
}
