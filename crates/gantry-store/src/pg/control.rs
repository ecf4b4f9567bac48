//! The SQL of run controls on PostgreSQL (see `crate::control`), inside the writer's
//! transaction: cancel, rerun, entering and leaving concurrency groups. The rows read are
//! locked `FOR UPDATE` (the writers also take one advisory lock per transaction), so what a
//! request decides on no other instance changes before it writes.

use super::apply::{change, exec, requeue};
use crate::control::{self, Answer, Cancel, Entered, Members, Request, Rerun, Turn};
use crate::error::{pg, StoreError};
use crate::groups::{self, Row};
use crate::status::Status;
use crate::write::now_ms;
use deadpool_postgres::{Object, Transaction};
use tokio_postgres::Error;

/// Decides `req` for instance `owner`.
pub async fn apply(t: &Transaction<'_>, owner: &str, req: &Request) -> Result<Answer, Error> {
    Ok(match req {
        Request::Cancel { run, reason } => Answer::Cancel(cancel(t, *run, reason).await?),
        Request::Rerun { run } => Answer::Rerun(rerun(t, owner, *run).await?),
        Request::RerunFailed { run } => {
            Answer::Rerun(super::carry::rerun_failed(t, owner, *run).await?)
        }
        Request::Enter {
            group,
            run,
            cancel_in_progress,
        } => Answer::Entered(enter(t, group, *run, *cancel_in_progress).await?),
        Request::Turn { group, run } => Answer::Turn(turn(t, group, *run).await?),
        Request::Leave { group, run } => {
            leave(t, group, *run).await?;
            Answer::Left
        }
    })
}

async fn status_of(t: &Transaction<'_>, run: i64) -> Result<Option<(Status, String)>, Error> {
    let stmt = t
        .prepare_cached("SELECT status, owner FROM runs WHERE id = $1 FOR UPDATE")
        .await?;
    let Some(row) = t.query_opt(&stmt, &[&run]).await? else {
        return Ok(None);
    };
    let text: String = row.try_get(0)?;
    // Text the store does not know is no status a control acts on: as if ended.
    let status = Status::parse(&text).unwrap_or(Status::Interrupted);
    Ok(Some((status, row.try_get(1)?)))
}

async fn cancel(t: &Transaction<'_>, run: i64, reason: &str) -> Result<Cancel, Error> {
    match status_of(t, run).await? {
        None => Ok(Cancel::NotFound),
        Some((Status::Queued, _)) => {
            end_cancelled(t, run, "cancelled before it started").await?;
            Ok(Cancel::Cancelled)
        }
        Some((Status::InProgress, owner)) => {
            request_cancel(t, run, reason).await?;
            Ok(Cancel::Requested { owner })
        }
        Some((ended, _)) => Ok(Cancel::Ended(ended)),
    }
}

async fn request_cancel(t: &Transaction<'_>, run: i64, reason: &str) -> Result<(), Error> {
    let started = Status::InProgress.as_str();
    exec(
        t,
        "UPDATE runs SET cancel_requested = COALESCE(cancel_requested, $2) WHERE id = $1 AND status = $3",
        &[&run, &reason, &started],
    )
    .await
    .map(drop)
}

/// Ends a run that has not ended `cancelled`, with `reason`; false when it had ended.
async fn end_cancelled(t: &Transaction<'_>, run: i64, reason: &str) -> Result<bool, Error> {
    let at = now_ms();
    let completed = Status::Completed.as_str();
    let n = exec(
        t,
        "UPDATE runs SET status = $2, conclusion = 'cancelled', reason = $3, finished_at = $4, lease_until = NULL
         WHERE id = $1 AND status IN ('queued', 'in_progress')",
        &[&run, &completed, &reason, &at],
    )
    .await?;
    if n == 0 {
        return Ok(false);
    }
    let now = (Status::Completed, Some("cancelled"), Some(reason));
    change(t, run, (None, None), now, at).await?;
    Ok(true)
}

async fn rerun(t: &Transaction<'_>, owner: &str, run: i64) -> Result<Rerun, Error> {
    match status_of(t, run).await? {
        None => Ok(Rerun::NotFound),
        Some((s, _)) if !s.is_final() => Ok(Rerun::Busy(s)),
        Some(_) => {
            requeue(t, owner, run).await?;
            let stmt = t
                .prepare_cached("SELECT attempt FROM runs WHERE id = $1")
                .await?;
            let attempt = t.query_one(&stmt, &[&run]).await?.try_get(0)?;
            Ok(Rerun::Requeued { attempt })
        }
    }
}

/// The group's row (locked), with whether its holder is still in progress.
async fn row(t: &Transaction<'_>, group: &str) -> Result<Option<Row>, Error> {
    let stmt = t
        .prepare_cached(
            "SELECT g.running, g.waiting, COALESCE(r.status = 'in_progress', false)
             FROM concurrency_groups g LEFT JOIN runs r ON r.id = g.running
             WHERE g.name = $1 FOR UPDATE OF g",
        )
        .await?;
    let Some(r) = t.query_opt(&stmt, &[&group]).await? else {
        return Ok(None);
    };
    Ok(Some(Row {
        running: r.try_get(0)?,
        waiting: r.try_get(1)?,
        holder_live: r.try_get(2)?,
    }))
}

async fn write_row(
    t: &Transaction<'_>,
    group: &str,
    (running, waiting): Members,
) -> Result<(), Error> {
    exec(
        t,
        "INSERT INTO concurrency_groups (name, running, waiting) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET running = $2, waiting = $3",
        &[&group, &running, &waiting],
    )
    .await
    .map(drop)
}

async fn enter(t: &Transaction<'_>, group: &str, run: i64, cip: bool) -> Result<Entered, Error> {
    let mut d = groups::enter(row(t, group).await?, run, cip);
    write_row(t, group, d.row).await?;
    if let Some(old) = d.replace {
        let ended = end_cancelled(t, old, &control::replaced_reason(group, run)).await?;
        d.replace = ended.then_some(old);
    }
    let mut cancelling = None;
    if let Some(holder) = d.cancel {
        let why = control::cancel_in_progress_reason(group, run);
        request_cancel(t, holder, &why).await?;
        cancelling = status_of(t, holder)
            .await?
            .map(|(_, owner)| (holder, owner));
    }
    Ok(groups::entered(&d, cancelling))
}

async fn turn(t: &Transaction<'_>, group: &str, run: i64) -> Result<Turn, Error> {
    let (answer, write) = groups::turn(row(t, group).await?, run);
    if let Some(r) = write {
        write_row(t, group, r).await?;
    }
    Ok(answer)
}

/// Run `run` leaves `group`, holding or waiting; the waiting run, if any, holds it next.
async fn leave(t: &Transaction<'_>, group: &str, run: i64) -> Result<(), Error> {
    exec(
        t,
        "UPDATE concurrency_groups SET running = waiting, waiting = NULL WHERE name = $1 AND running = $2",
        &[&group, &run],
    )
    .await?;
    exec(
        t,
        "UPDATE concurrency_groups SET waiting = NULL WHERE name = $1 AND waiting = $2",
        &[&group, &run],
    )
    .await?;
    exec(
        t,
        "DELETE FROM concurrency_groups WHERE name = $1 AND running IS NULL AND waiting IS NULL",
        &[&group],
    )
    .await
    .map(drop)
}

/// A run queued again or concluded by a takeover: its cancel request is spent and it
/// leaves every group it was in (the one waiting holds a group it held next).
pub async fn release(t: &Transaction<'_>, run: i64) -> Result<(), Error> {
    exec(
        t,
        "UPDATE runs SET cancel_requested = NULL WHERE id = $1",
        &[&run],
    )
    .await?;
    let stmt = t
        .prepare_cached("SELECT name FROM concurrency_groups WHERE running = $1 OR waiting = $1")
        .await?;
    for r in t.query(&stmt, &[&run]).await? {
        let g: String = r.try_get(0)?;
        leave(t, &g, run).await?;
    }
    Ok(())
}

/// The runs in progress on instance `owner` that someone asked to cancel.
pub async fn cancel_requests(c: &Object, owner: &str) -> Result<Vec<i64>, StoreError> {
    let what = "read cancel requests";
    let stmt = c
        .prepare_cached(
            "SELECT id FROM runs WHERE owner = $1 AND cancel_requested IS NOT NULL AND status = 'in_progress' ORDER BY id",
        )
        .await
        .map_err(pg(what))?;
    let rows = c.query(&stmt, &[&owner]).await.map_err(pg(what))?;
    rows.iter()
        .map(|r| r.try_get(0).map_err(pg(what)))
        .collect()
}

/// A group's row: the run holding it and the one waiting (`None`: nobody is in it).
pub async fn group(c: &Object, name: &str) -> Result<Option<Members>, StoreError> {
    let what = "read a concurrency group";
    let stmt = c
        .prepare_cached("SELECT running, waiting FROM concurrency_groups WHERE name = $1")
        .await
        .map_err(pg(what))?;
    let row = c.query_opt(&stmt, &[&name]).await.map_err(pg(what))?;
    row.map(|r| {
        Ok((
            r.try_get(0).map_err(pg(what))?,
            r.try_get(1).map_err(pg(what))?,
        ))
    })
    .transpose()
}
