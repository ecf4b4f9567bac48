//! The decisions of `concurrency:` groups, pure: given a group's row (the run holding it,
//! the run waiting, whether the holder is still in progress), what entering it or asking
//! for a turn changes. Both backends read the row, ask here, and write what is decided, in
//! one writer request (see `crate::control`).

use crate::control::{Entered, Members, Turn};

/// A group's row as stored, with whether its holder's run is still in progress (a holder
/// that ended, was requeued or taken over holds nothing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) running: Option<i64>,
    pub(crate) waiting: Option<i64>,
    pub(crate) holder_live: bool,
}

/// What to write after a decision: the group's new row (`running`, `waiting`), the run to
/// end as replaced, the holder to ask to cancel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) row: Members,
    pub(crate) replace: Option<i64>,
    pub(crate) cancel: Option<i64>,
    pub(crate) go: bool,
}

/// Run `run` enters a group whose row is `row` (`None`: nobody is in it).
pub(crate) fn enter(row: Option<Row>, run: i64, cancel_in_progress: bool) -> Decision {
    let row = row.unwrap_or_default();
    let same = |r: Option<i64>| r == Some(run);
    if same(row.running) || same(row.waiting) {
        // Entered already (asked again after an answer was lost): nothing changes.
        let go = same(row.running);
        let cancel = None;
        return Decision {
            row: (row.running, row.waiting),
            replace: None,
            cancel,
            go,
        };
    }
    let holder = row.running.filter(|_| row.holder_live);
    Decision {
        row: match holder {
            Some(h) => (Some(h), Some(run)),
            None => (Some(run), None),
        },
        replace: row.waiting,
        cancel: holder.filter(|_| cancel_in_progress),
        go: holder.is_none(),
    }
}

/// Where waiting run `run` stands in a group whose row is `row`, and the row to write when
/// its turn came (it holds the group now).
pub(crate) fn turn(row: Option<Row>, run: i64) -> (Turn, Option<Members>) {
    let Some(row) = row else {
        return (Turn::Gone, None);
    };
    if row.running == Some(run) {
        return (Turn::Go, None);
    }
    if row.waiting != Some(run) {
        return (Turn::Gone, None);
    }
    if row.running.is_some() && row.holder_live {
        return (Turn::Wait, None);
    }
    (Turn::Go, Some((Some(run), None)))
}

/// The answer to an entry once written (`cancelling`: the holder asked, with its owner).
pub(crate) fn entered(d: &Decision, cancelling: Option<(i64, String)>) -> Entered {
    Entered {
        go: d.go,
        replaced: d.replace,
        cancelling,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(running: Option<i64>, waiting: Option<i64>, holder_live: bool) -> Option<Row> {
        Some(Row {
            running,
            waiting,
            holder_live,
        })
    }

    #[test]
    fn entering_decides_as_github_does() {
        // (row, run, cancel-in-progress) -> (new row, replaced, cancel, go)
        let table = [
            (None, 5, false, ((Some(5), None), None, None, true)),
            (
                row(Some(1), None, true),
                5,
                false,
                ((Some(1), Some(5)), None, None, false),
            ),
            (
                row(Some(1), None, true),
                5,
                true,
                ((Some(1), Some(5)), None, Some(1), false),
            ),
            (
                row(Some(1), Some(2), true),
                5,
                false,
                ((Some(1), Some(5)), Some(2), None, false),
            ),
            // The holder ended (or was taken over) without leaving: the group is free.
            (
                row(Some(1), None, false),
                5,
                true,
                ((Some(5), None), None, None, true),
            ),
            (
                row(Some(1), Some(2), false),
                5,
                false,
                ((Some(5), None), Some(2), None, true),
            ),
            (
                row(None, Some(2), false),
                5,
                false,
                ((Some(5), None), Some(2), None, true),
            ),
            // Asked again: the same answer, nothing changes.
            (
                row(Some(5), Some(2), true),
                5,
                true,
                ((Some(5), Some(2)), None, None, true),
            ),
            (
                row(Some(1), Some(5), true),
                5,
                true,
                ((Some(1), Some(5)), None, None, false),
            ),
        ];
        for (before, run, cip, (after, replace, cancel, go)) in table {
            let d = enter(before, run, cip);
            assert_eq!(
                (d.row, d.replace, d.cancel, d.go),
                (after, replace, cancel, go),
                "{before:?} {run} {cip}"
            );
        }
    }

    #[test]
    fn a_waiting_run_gets_its_turn_once_the_holder_is_gone() {
        let table = [
            (None, 5, (Turn::Gone, None)),
            (row(Some(5), None, true), 5, (Turn::Go, None)),
            (row(Some(1), Some(5), true), 5, (Turn::Wait, None)),
            (row(Some(1), Some(6), true), 5, (Turn::Gone, None)),
            (
                row(Some(1), Some(5), false),
                5,
                (Turn::Go, Some((Some(5), None))),
            ),
            (
                row(None, Some(5), false),
                5,
                (Turn::Go, Some((Some(5), None))),
            ),
        ];
        for (before, run, want) in table {
            assert_eq!(turn(before, run), want, "{before:?} {run}");
        }
    }
}
