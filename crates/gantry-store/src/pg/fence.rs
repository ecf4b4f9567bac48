//! The SQL of fencing on PostgreSQL, inside the writer's transaction: which runs of a
//! transaction's fenced changes are still this instance's (one statement for them all), and
//! requeueing a run after a crash only while it is still this instance's attempt (see
//! `crate::fence`).

use super::apply::requeue;
use crate::fence::{Fence, Row};
use crate::status::Status;
use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::Error;

/// Asks, in one statement, whether each of `runs` is in progress and `owner`'s, at which
/// attempt; `fence` learns the answer.
pub async fn load<C: GenericClient>(
    t: &C,
    owner: &str,
    runs: &[i64],
    fence: &mut Fence,
) -> Result<(), Error> {
    if runs.is_empty() {
        return Ok(());
    }
    let started = Status::InProgress.as_str();
    let stmt = t
        .prepare_cached(
            "SELECT id, owner = $1 AND status = $2, attempt FROM runs WHERE id = ANY($3)",
        )
        .await?;
    let rows = t.query(&stmt, &[&owner, &started, &runs]).await?;
    let mut found = Vec::with_capacity(rows.len());
    for r in rows {
        let row = Row {
            mine: r.try_get(1)?,
            attempt: r.try_get(2)?,
        };
        found.push((r.try_get::<_, i64>(0)?, row));
    }
    fence.learn(runs, found);
    Ok(())
}

/// Queues `run` again as its next attempt (after this instance's crash) only while it is in
/// progress as `owner`'s attempt `attempt`; the row is locked until the transaction ends, so
/// of a requeue and a takeover racing, one raises the attempt, once. False: it is not.
pub async fn requeue_own(
    t: &Transaction<'_>,
    owner: &str,
    run: i64,
    attempt: i64,
) -> Result<bool, Error> {
    let started = Status::InProgress.as_str();
    let stmt = t
        .prepare_cached(
            "SELECT 1 FROM runs WHERE id = $1 AND owner = $2 AND attempt = $3 AND status = $4 FOR UPDATE",
        )
        .await?;
    let own = t
        .query_opt(&stmt, &[&run, &owner, &attempt, &started])
        .await?
        .is_some();
    if own {
        requeue(t, owner, run).await?;
        super::carry::carry_forward(t, run).await?;
    }
    Ok(own)
}
