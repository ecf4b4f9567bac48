//! Fencing of changes: a change sent for a run's attempt ([`Sent::attempt`]) is written only
//! while that attempt is still this instance's — the run in progress, owned by this
//! instance, at that attempt. Once another instance took the run over (or it ended), what
//! this instance still sends for it (an execution winding down, changes held while the store
//! could not be reached) is dropped, so it never overwrites the next attempt's statuses nor
//! interleaves its log lines.
//!
//! The writers ask the store once per transaction, for the distinct runs of its fenced
//! changes (`fence_apply`, `pg::fence`), and decide each change from that answer
//! ([`Fence`]). Writers of instances sharing a store write one transaction at a time
//! (SQLite's `BEGIN IMMEDIATE`, PostgreSQL's writers' lock), so the answer holds for the
//! whole transaction — except for this writer's own requests in it (a claim, a requeue, a
//! takeover), after which the runs they touch are asked about again ([`Scope`]).

use crate::apply::Ctx;
use crate::write::{Msg, Op};
use std::collections::{BTreeMap, HashMap};

/// A change as the writer receives it: fenced by the attempt it belongs to, or not
/// (`None`: a change that belongs to no claimed attempt, as cancelling a queued run).
#[derive(Clone, Debug)]
pub struct Sent {
    pub op: Op,
    pub attempt: Option<i64>,
}

/// What the store says of a run: whether it is in progress and this instance's, and its
/// attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) mine: bool,
    pub(crate) attempt: i64,
}

/// What one transaction knows of the runs its fenced changes belong to.
#[derive(Default)]
pub(crate) struct Fence {
    /// `None`: the run does not exist.
    rows: HashMap<i64, Option<Row>>,
    /// Changes dropped per run, said once at the end of the transaction.
    dropped: BTreeMap<i64, usize>,
}

/// The runs a request of this writer may have changed, whose rows must be asked again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    Nothing,
    Run(i64),
    All,
}

impl Scope {
    pub(crate) fn of(msg: &Msg) -> Scope {
        match msg {
            Msg::Write(_) | Msg::Accept { .. } | Msg::Renew { .. } | Msg::Flush(_) => {
                Scope::Nothing
            }
            Msg::Claim { run, .. } | Msg::Requeue { run, .. } | Msg::Recover { run, .. } => {
                Scope::Run(*run)
            }
            // A takeover, and whatever requests come later: ask again.
            _ => Scope::All,
        }
    }
}

/// The fenced runs among `sent` (each once): the ones a transaction asks the store about.
pub(crate) fn runs<'a>(sent: impl IntoIterator<Item = &'a Sent>) -> Vec<i64> {
    let mut runs: Vec<i64> = sent
        .into_iter()
        .filter(|s| s.attempt.is_some())
        .map(|s| s.op.run())
        .collect();
    runs.sort_unstable();
    runs.dedup();
    runs
}

/// The changes among a transaction's messages.
pub(crate) fn changes(batch: &[Msg]) -> impl Iterator<Item = &Sent> {
    batch.iter().filter_map(|m| match m {
        Msg::Write(s) => Some(s),
        _ => None,
    })
}

impl Fence {
    /// Records what the store answered for `asked`: `found` are the rows that exist.
    pub(crate) fn learn(&mut self, asked: &[i64], found: impl IntoIterator<Item = (i64, Row)>) {
        for run in asked {
            self.rows.insert(*run, None);
        }
        for (run, row) in found {
            self.rows.insert(run, Some(row));
        }
    }

    /// Whether `sent` may be written: `None` when its run was not asked about yet.
    pub(crate) fn verdict(&self, sent: &Sent) -> Option<bool> {
        let Some(attempt) = sent.attempt else {
            return Some(true);
        };
        let row = self.rows.get(&sent.op.run())?;
        Some(row.is_some_and(|r| r.mine && r.attempt == attempt))
    }

    /// After a request of this writer: forgets what it may have changed.
    pub(crate) fn forget(&mut self, scope: Scope, seqs: &mut HashMap<i64, i64>) {
        match scope {
            Scope::Nothing => {}
            Scope::Run(run) => {
                self.rows.remove(&run);
                // Another instance may have logged lines for the run meanwhile.
                seqs.remove(&run);
            }
            Scope::All => {
                self.rows.clear();
                seqs.clear();
            }
        }
    }

    /// Whether `sent` is written, counting a dropped change for [`Fence::report`]; `false`
    /// also when its run was not asked about (the transaction failed before it could ask).
    pub(crate) fn keep(&mut self, sent: &Sent) -> bool {
        match self.verdict(sent) {
            Some(true) => true,
            Some(false) => {
                *self.dropped.entry(sent.op.run()).or_default() += 1;
                false
            }
            None => false,
        }
    }

    /// Says, once per run, which changes were dropped.
    pub(crate) fn report(&self) {
        for (run, n) in &self.dropped {
            tracing::warn!(
                run,
                changes = n,
                "changes for an attempt that is no longer this instance's (taken over, or ended) are dropped"
            );
        }
    }
}

impl Ctx<'_> {
    /// Whether `sent` is written; a dropped change is counted (and its run's next log
    /// sequence number read again, as another instance may be logging for it). `false`
    /// also when its run is unknown: the transaction failed before it could ask.
    pub(crate) fn admits(&mut self, sent: &Sent) -> bool {
        let known = self.fence.verdict(sent).is_some();
        let kept = self.fence.keep(sent);
        if known && !kept {
            self.seqs.remove(&sent.op.run());
        }
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(run: i64, attempt: Option<i64>) -> Sent {
        let op = Op::Log {
            run,
            job: "j".into(),
            step: None,
            stream: "stdout".into(),
            line: "l".into(),
            at: 0,
        };
        Sent { op, attempt }
    }

    #[test]
    fn a_change_is_written_only_while_its_attempt_is_this_instances() {
        let mine = |attempt| {
            Some(Row {
                mine: true,
                attempt,
            })
        };
        let theirs = |attempt| {
            Some(Row {
                mine: false,
                attempt,
            })
        };
        let table = [
            // (the run's row, the change's attempt, written?)
            (mine(1), Some(1), true),
            (mine(2), Some(1), false),
            (theirs(1), Some(1), false),
            (theirs(2), Some(1), false),
            (None, Some(1), false),
            (theirs(2), None, true),
            (None, None, true),
        ];
        for (row, attempt, want) in table {
            let mut f = Fence::default();
            f.learn(&[7], row.map(|r| (7, r)));
            assert_eq!(
                f.verdict(&sent(7, attempt)),
                Some(want),
                "{row:?} {attempt:?}"
            );
        }
    }

    #[test]
    fn a_run_not_asked_about_is_unknown_until_learnt_and_again_after_a_request() {
        let mut f = Fence::default();
        let mut seqs = HashMap::from([(7, 10), (8, 3)]);
        assert_eq!(f.verdict(&sent(7, Some(1))), None);
        assert_eq!(f.verdict(&sent(7, None)), Some(true), "not fenced");
        let row = Row {
            mine: true,
            attempt: 1,
        };
        f.learn(&[7, 8], [(7, row), (8, row)]);
        assert_eq!(f.verdict(&sent(7, Some(1))), Some(true));
        f.forget(Scope::Run(7), &mut seqs);
        assert_eq!(f.verdict(&sent(7, Some(1))), None);
        assert_eq!(f.verdict(&sent(8, Some(1))), Some(true));
        assert_eq!(
            seqs,
            HashMap::from([(8, 3)]),
            "run 7's sequence is read again"
        );
        f.forget(Scope::All, &mut seqs);
        assert_eq!(f.verdict(&sent(8, Some(1))), None);
        assert!(seqs.is_empty());
    }

    #[test]
    fn the_runs_asked_about_are_the_fenced_ones_each_once() {
        let all = [
            sent(3, Some(1)),
            sent(1, Some(2)),
            sent(3, Some(1)),
            sent(2, None),
        ];
        assert_eq!(runs(&all), [1, 3]);
    }
}
