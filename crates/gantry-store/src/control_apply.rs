//! The SQL of run controls on SQLite (see `crate::control`), inside the writer's transaction
//! (`BEGIN IMMEDIATE`: one instance's writer at a time, so what a request reads no other
//! changes before it writes): cancel, rerun, entering and leaving concurrency groups; and
//! the columns and table they need, added on open.

use super::apply::{change, requeue};
use super::control::{self, Answer, Cancel, Members, Request, Rerun, Turn};
use super::error::{sql, StoreError};
use super::groups::{self, Decision, Row};
use super::status::Status;
use super::write::now_ms;
use rusqlite::{params, Connection, OptionalExtension};

/// Adds what controls need to a store from before them (migration 4 on PostgreSQL).
pub fn create(c: &Connection) -> Result<(), StoreError> {
    let has = c
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('runs') WHERE name = 'cancel_requested'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(sql("inspect runs"))?;
    if has == 0 {
        c.execute_batch("ALTER TABLE runs ADD COLUMN cancel_requested TEXT;")
            .map_err(sql("add runs.cancel_requested"))?;
    }
    c.execute_batch(control::CANCEL_INDEX)
        .and_then(|()| c.execute_batch(control::GROUPS_TABLE))
        .map_err(sql("create concurrency groups"))
}

/// Decides `req` for instance `owner`.
pub fn apply(c: &Connection, owner: &str, req: &Request) -> rusqlite::Result<Answer> {
    Ok(match req {
        Request::Cancel { run, reason } => Answer::Cancel(cancel(c, *run, reason)?),
        Request::Rerun { run } => Answer::Rerun(rerun(c, owner, *run)?),
        Request::RerunFailed { run } => {
            Answer::Rerun(super::carry_apply::rerun_failed(c, owner, *run)?)
        }
        Request::Enter {
            group,
            run,
            cancel_in_progress,
        } => Answer::Entered(enter(c, group, *run, *cancel_in_progress)?),
        Request::Turn { group, run } => Answer::Turn(turn(c, group, *run)?),
        Request::Leave { group, run } => {
            leave(c, group, *run)?;
            Answer::Left
        }
    })
}

fn status_of(c: &Connection, run: i64) -> rusqlite::Result<Option<(Status, String)>> {
    c.prepare_cached("SELECT status, owner FROM runs WHERE id = ?1")?
        .query_row([run], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// A queued run ends cancelled; one in progress gets a cancel request (the first reason
/// asked is kept); an ended one is left alone.
fn cancel(c: &Connection, run: i64, reason: &str) -> rusqlite::Result<Cancel> {
    match status_of(c, run)? {
        None => Ok(Cancel::NotFound),
        Some((Status::Queued, _)) => {
            end_cancelled(c, run, "cancelled before it started")?;
            Ok(Cancel::Cancelled)
        }
        Some((Status::InProgress, owner)) => {
            request_cancel(c, run, reason)?;
            Ok(Cancel::Requested { owner })
        }
        Some((ended, _)) => Ok(Cancel::Ended(ended)),
    }
}

fn request_cancel(c: &Connection, run: i64, reason: &str) -> rusqlite::Result<()> {
    c.prepare_cached(
        "UPDATE runs SET cancel_requested = COALESCE(cancel_requested, ?2) WHERE id = ?1 AND status = ?3",
    )?
    .execute(params![run, reason, Status::InProgress])
    .map(drop)
}

/// Ends a run that has not ended `cancelled`, with `reason`; false when it had ended.
fn end_cancelled(c: &Connection, run: i64, reason: &str) -> rusqlite::Result<bool> {
    let at = now_ms();
    let n = c
        .prepare_cached(
            "UPDATE runs SET status = ?2, conclusion = 'cancelled', reason = ?3, finished_at = ?4, lease_until = NULL
             WHERE id = ?1 AND status IN ('queued', 'in_progress')",
        )?
        .execute(params![run, Status::Completed, reason, at])?;
    if n == 0 {
        return Ok(false);
    }
    let now = (Status::Completed, Some("cancelled"), Some(reason));
    change(c, run, (None, None), now, at)?;
    Ok(true)
}

fn rerun(c: &Connection, owner: &str, run: i64) -> rusqlite::Result<Rerun> {
    match status_of(c, run)? {
        None => Ok(Rerun::NotFound),
        Some((s, _)) if !s.is_final() => Ok(Rerun::Busy(s)),
        Some(_) => {
            requeue(c, owner, run)?;
            let attempt = c
                .prepare_cached("SELECT attempt FROM runs WHERE id = ?1")?
                .query_row([run], |r| r.get(0))?;
            Ok(Rerun::Requeued { attempt })
        }
    }
}

/// The group's row, with whether its holder is still in progress.
fn row(c: &Connection, group: &str) -> rusqlite::Result<Option<Row>> {
    c.prepare_cached(
        "SELECT g.running, g.waiting, COALESCE(r.status = 'in_progress', 0)
         FROM concurrency_groups g LEFT JOIN runs r ON r.id = g.running WHERE g.name = ?1",
    )?
    .query_row([group], |r| {
        Ok(Row {
            running: r.get(0)?,
            waiting: r.get(1)?,
            holder_live: r.get(2)?,
        })
    })
    .optional()
}

fn write_row(c: &Connection, group: &str, (running, waiting): Members) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO concurrency_groups (name, running, waiting) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET running = ?2, waiting = ?3",
    )?
    .execute(params![group, running, waiting])
    .map(drop)
}

fn enter(c: &Connection, group: &str, run: i64, cip: bool) -> rusqlite::Result<control::Entered> {
    let mut d: Decision = groups::enter(row(c, group)?, run, cip);
    write_row(c, group, d.row)?;
    if let Some(old) = d.replace {
        let ended = end_cancelled(c, old, &control::replaced_reason(group, run))?;
        d.replace = ended.then_some(old);
    }
    let mut cancelling = None;
    if let Some(holder) = d.cancel {
        request_cancel(c, holder, &control::cancel_in_progress_reason(group, run))?;
        cancelling = status_of(c, holder)?.map(|(_, owner)| (holder, owner));
    }
    Ok(groups::entered(&d, cancelling))
}

fn turn(c: &Connection, group: &str, run: i64) -> rusqlite::Result<Turn> {
    let (t, write) = groups::turn(row(c, group)?, run);
    if let Some(r) = write {
        write_row(c, group, r)?;
    }
    Ok(t)
}

/// Run `run` leaves `group`, holding or waiting; the waiting run, if any, holds it next.
fn leave(c: &Connection, group: &str, run: i64) -> rusqlite::Result<()> {
    c.prepare_cached(
        "UPDATE concurrency_groups SET running = waiting, waiting = NULL WHERE name = ?1 AND running = ?2",
    )?
    .execute(params![group, run])?;
    c.prepare_cached(
        "UPDATE concurrency_groups SET waiting = NULL WHERE name = ?1 AND waiting = ?2",
    )?
    .execute(params![group, run])?;
    c.prepare_cached(
        "DELETE FROM concurrency_groups WHERE name = ?1 AND running IS NULL AND waiting IS NULL",
    )?
    .execute([group])
    .map(drop)
}

/// A run queued again or concluded by a takeover: its cancel request is spent and it
/// leaves every group it was in (the one waiting holds a group it held next).
pub fn release(c: &Connection, run: i64) -> rusqlite::Result<()> {
    c.prepare_cached("UPDATE runs SET cancel_requested = NULL WHERE id = ?1")?
        .execute([run])?;
    let groups: Vec<String> = c
        .prepare_cached("SELECT name FROM concurrency_groups WHERE running = ?1 OR waiting = ?1")?
        .query_map([run], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for g in groups {
        leave(c, &g, run)?;
    }
    Ok(())
}

/// The runs in progress on instance `owner` that someone asked to cancel.
pub fn cancel_requests(c: &Connection, owner: &str) -> Result<Vec<i64>, StoreError> {
    let mut stmt = c
        .prepare_cached(
            "SELECT id FROM runs WHERE owner = ?1 AND cancel_requested IS NOT NULL AND status = 'in_progress' ORDER BY id",
        )
        .map_err(sql("read cancel requests"))?;
    let ids = stmt
        .query_map([owner], |r| r.get(0))
        .and_then(|rows| rows.collect::<Result<Vec<i64>, _>>())
        .map_err(sql("read cancel requests"))?;
    Ok(ids)
}

/// A group's row: the run holding it and the one waiting (`None`: nobody is in it).
pub fn group(c: &Connection, name: &str) -> Result<Option<Members>, StoreError> {
    row(c, name)
        .map(|r| r.map(|r| (r.running, r.waiting)))
        .map_err(sql("read a concurrency group"))
}
