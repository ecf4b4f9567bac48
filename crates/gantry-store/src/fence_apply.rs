//! The SQL of fencing on SQLite, inside the writer's transaction: which runs of a
//! transaction's fenced changes are still this instance's (one statement for them all), and
//! requeueing a run after a crash only while it is still this instance's attempt (see
//! `crate::fence`).

use super::apply::requeue;
use super::fence::{Fence, Row};
use super::status::Status;
use rusqlite::{params, Connection, OptionalExtension};

/// Asks, in one statement, whether each of `runs` is in progress and `owner`'s, at which
/// attempt; `fence` learns the answer.
pub fn load(c: &Connection, owner: &str, runs: &[i64], fence: &mut Fence) -> rusqlite::Result<()> {
    if runs.is_empty() {
        return Ok(());
    }
    // The ids as one JSON array parameter (SQLite's json_each), as renewals pass them.
    let ids = serde_json::to_string(runs).unwrap_or_else(|_| "[]".into());
    let found = c
        .prepare_cached(
            "SELECT id, owner = ?1 AND status = ?2, attempt FROM runs
             WHERE id IN (SELECT value FROM json_each(?3))",
        )?
        .query_map(params![owner, Status::InProgress, ids], |r| {
            let row = Row {
                mine: r.get(1)?,
                attempt: r.get(2)?,
            };
            Ok((r.get::<_, i64>(0)?, row))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    fence.learn(runs, found);
    Ok(())
}

/// Queues `run` again as its next attempt (after this instance's crash) only while it is in
/// progress as `owner`'s attempt `attempt`: of a requeue and another instance's takeover
/// racing, one raises the attempt, once. False: it is not (taken over, or ended).
pub fn requeue_own(c: &Connection, owner: &str, run: i64, attempt: i64) -> rusqlite::Result<bool> {
    let own = c
        .prepare_cached(
            "SELECT 1 FROM runs WHERE id = ?1 AND owner = ?2 AND attempt = ?3 AND status = ?4",
        )?
        .query_row(params![run, owner, attempt, Status::InProgress], |_| Ok(()))
        .optional()?
        .is_some();
    if own {
        requeue(c, owner, run)?;
        super::carry_apply::carry_forward(c, run)?;
    }
    Ok(own)
}
