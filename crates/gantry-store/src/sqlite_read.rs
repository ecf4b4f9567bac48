//! Reading the SQLite store: runs (filtered), one run with its jobs and steps, logs after a
//! sequence number (for live streaming), events (for reruns), runs left in progress, the
//! status history of a run, and where a run's event came from (its tenant).

use super::error::{sql, StoreError};
use super::lease::Lease;
use super::rows::{ChangeRow, EventRow, JobRow, ListFilter, LogRow, RunRow, StepRow};
use super::status::{conclusion_at, Status};
use gantry_engine::Conclusion;
use rusqlite::{params, Connection, OptionalExtension, Row};

const RUN_COLUMNS: &str = "r.id, r.event_id, e.name, r.workflow_file, r.workflow_name, r.status, r.conclusion, r.attempt, r.created_at, r.started_at, r.finished_at, r.reason, r.owner";

fn run_row(r: &Row<'_>) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id: r.get(0)?,
        event_id: r.get(1)?,
        event: r.get(2)?,
        workflow_file: r.get(3)?,
        workflow_name: r.get(4)?,
        status: r.get(5)?,
        conclusion: conclusion_at(r, 6)?,
        attempt: r.get(7)?,
        created_at: r.get(8)?,
        started_at: r.get(9)?,
        finished_at: r.get(10)?,
        reason: r.get(11)?,
        owner: r.get(12)?,
    })
}

pub fn list_runs(c: &Connection, f: &ListFilter) -> Result<Vec<RunRow>, StoreError> {
    let sql_text = format!(
        "SELECT {RUN_COLUMNS} FROM runs r JOIN events e ON e.id = r.event_id
         WHERE (?1 IS NULL OR r.status = ?1 OR r.conclusion = ?1)
           AND (?2 IS NULL OR r.workflow_name = ?2 OR r.workflow_file LIKE '%' || ?2)
           AND (?3 IS NULL OR e.name = ?3)
           AND (?5 IS NULL OR r.id < ?5)
           AND (?6 IS NULL OR json_extract(e.payload, '$.meta.git_ref') IN ('refs/heads/' || ?6, ?6))
           AND (?7 IS NULL OR e.source IN (SELECT value FROM json_each(?7))
                OR (e.source = 'github' AND lower(json_extract(e.payload, '$.meta.repository'))
                    IN (SELECT lower(value) FROM json_each(?8))))
         ORDER BY r.id DESC LIMIT ?4"
    );
    let origins = f.origins.as_ref().map(|o| o.as_json());
    let mut s = c.prepare(&sql_text).map_err(sql("list runs"))?;
    let rows = s
        .query_map(
            params![
                f.status,
                f.workflow,
                f.event,
                f.limit.unwrap_or(100),
                f.before,
                f.branch,
                origins.as_ref().map(|o| &o.0),
                origins.as_ref().map(|o| &o.1)
            ],
            run_row,
        )
        .map_err(sql("list runs"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("list runs"))?;
    Ok(rows)
}

pub fn run(c: &Connection, id: i64) -> Result<Option<RunRow>, StoreError> {
    let sql_text = format!(
        "SELECT {RUN_COLUMNS} FROM runs r JOIN events e ON e.id = r.event_id WHERE r.id = ?1"
    );
    c.query_row(&sql_text, [id], run_row)
        .optional()
        .map_err(sql("read run"))
}

/// Runs in `status` recorded by instance `owner` (or before instances had names).
pub fn runs_with_status(
    c: &Connection,
    status: Status,
    owner: &str,
) -> Result<Vec<RunRow>, StoreError> {
    let sql_text = format!("SELECT {RUN_COLUMNS} FROM runs r JOIN events e ON e.id = r.event_id WHERE r.status = ?1 AND (r.owner = ?2 OR r.owner = '') ORDER BY r.id");
    let mut s = c.prepare(&sql_text).map_err(sql("runs by status"))?;
    let rows = s
        .query_map(params![status, owner], run_row)
        .map_err(sql("runs by status"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("runs by status"))?;
    Ok(rows)
}

pub fn jobs(c: &Connection, run: i64) -> Result<Vec<JobRow>, StoreError> {
    let mut s = c
        .prepare("SELECT key, name, status, conclusion, started_at, finished_at, reason FROM jobs WHERE run_id = ?1 ORDER BY COALESCE(started_at, 0), key")
        .map_err(sql("read jobs"))?;
    let mut jobs = s
        .query_map([run], |r| {
            Ok(JobRow {
                key: r.get(0)?,
                name: r.get(1)?,
                status: r.get(2)?,
                conclusion: conclusion_at(r, 3)?,
                started_at: r.get(4)?,
                finished_at: r.get(5)?,
                reason: r.get(6)?,
                steps: Vec::new(),
            })
        })
        .map_err(sql("read jobs"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("read jobs"))?;
    let mut s = c
        .prepare("SELECT job, step, name, status, outcome, conclusion, started_at, finished_at, reason FROM steps WHERE run_id = ?1 ORDER BY COALESCE(started_at, 0), rowid")
        .map_err(sql("read steps"))?;
    let steps = s
        .query_map([run], |r| {
            Ok((
                r.get::<_, String>(0)?,
                StepRow {
                    step: r.get(1)?,
                    name: r.get(2)?,
                    status: r.get(3)?,
                    outcome: conclusion_at(r, 4)?,
                    conclusion: conclusion_at(r, 5)?,
                    started_at: r.get(6)?,
                    finished_at: r.get(7)?,
                    reason: r.get(8)?,
                },
            ))
        })
        .map_err(sql("read steps"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("read steps"))?;
    for (job, step) in steps {
        if let Some(j) = jobs.iter_mut().find(|j| j.key == job) {
            j.steps.push(step);
        }
    }
    Ok(jobs)
}

/// The run's status history, oldest first, every attempt.
pub fn changes(c: &Connection, run: i64) -> Result<Vec<ChangeRow>, StoreError> {
    let mut s = c
        .prepare("SELECT attempt, job, step, status, conclusion, reason, at FROM changes WHERE run_id = ?1 ORDER BY rowid")
        .map_err(sql("read changes"))?;
    let rows = s
        .query_map([run], |r| {
            Ok(ChangeRow {
                attempt: r.get(0)?,
                job: r.get(1)?,
                step: r.get(2)?,
                status: r.get(3)?,
                conclusion: conclusion_at(r, 4)?,
                reason: r.get(5)?,
                at: r.get(6)?,
            })
        })
        .map_err(sql("read changes"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("read changes"));
    rows
}

pub fn logs_after(
    c: &Connection,
    run: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<LogRow>, StoreError> {
    let mut s = c
        .prepare_cached("SELECT seq, job, step, stream, line, at FROM logs WHERE run_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3")
        .map_err(sql("read logs"))?;
    let rows = s
        .query_map(params![run, after, limit], |r| {
            Ok(LogRow {
                seq: r.get(0)?,
                job: r.get(1)?,
                step: r.get(2)?,
                stream: r.get(3)?,
                line: r.get(4)?,
                at: r.get(5)?,
            })
        })
        .map_err(sql("read logs"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("read logs"))?;
    Ok(rows)
}

pub fn event(c: &Connection, id: &str) -> Result<Option<EventRow>, StoreError> {
    c.query_row(
        "SELECT id, source, name, received_at, payload FROM events WHERE id = ?1",
        [id],
        |r| {
            Ok(EventRow {
                id: r.get(0)?,
                source: r.get(1)?,
                name: r.get(2)?,
                received_at: r.get(3)?,
                payload: r.get(4)?,
            })
        },
    )
    .optional()
    .map_err(sql("read event"))
}

/// Where a run's event came from: its source and the repository the event names (what its
/// tenant is derived from), without reading the whole payload.
pub fn run_origin(
    c: &Connection,
    run: i64,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    c.query_row(
        "SELECT e.source, json_extract(e.payload, '$.meta.repository')
         FROM runs r JOIN events e ON e.id = r.event_id WHERE r.id = ?1",
        [run],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
    .map_err(sql("read a run's origin"))
}

/// Up to `limit` queued runs (any instance's) recorded before `before` (ms), oldest first:
/// what a sweep hands to the scheduler.
pub fn queued_before(c: &Connection, before: i64, limit: usize) -> Result<Vec<i64>, StoreError> {
    let mut s = c
        .prepare_cached(
            "SELECT id FROM runs WHERE status = ?1 AND created_at < ?2 ORDER BY id LIMIT ?3",
        )
        .map_err(sql("queued runs"))?;
    let ids = s
        .query_map(params![Status::Queued, before, limit as i64], |r| r.get(0))
        .map_err(sql("queued runs"))?
        .collect::<Result<Vec<i64>, _>>()
        .map_err(sql("queued runs"))?;
    Ok(ids)
}

/// How many runs there are by status and conclusion.
pub fn counts(c: &Connection) -> Result<Vec<(Status, Option<Conclusion>, i64)>, StoreError> {
    let mut s = c
        .prepare("SELECT status, conclusion, COUNT(*) FROM runs GROUP BY status, conclusion")
        .map_err(sql("count runs"))?;
    let rows = s
        .query_map([], |r| Ok((r.get(0)?, conclusion_at(r, 1)?, r.get(2)?)))
        .map_err(sql("count runs"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("count runs"))?;
    Ok(rows)
}

/// A run's lease; `None`: no such run.
pub fn lease(c: &Connection, run: i64) -> Result<Option<Lease>, StoreError> {
    c.query_row(
        "SELECT owner, lease_until FROM runs WHERE id = ?1",
        [run],
        |r| {
            Ok(Lease {
                owner: r.get(0)?,
                until: r.get(1)?,
            })
        },
    )
    .optional()
    .map_err(sql("read a run's lease"))
}
