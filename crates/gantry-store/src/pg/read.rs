//! Reading the PostgreSQL store: the same questions as `sqlite_read`, in PostgreSQL's SQL,
//! on a pooled connection (its prepared statements cached by the pool).

use crate::error::{pg, StoreError};
use crate::lease::Lease;
use crate::rows::{ChangeRow, EventRow, JobRow, ListFilter, LogRow, RunRow, StepRow};
use crate::status::{parse_conclusion, Progress, Status};
use deadpool_postgres::Object;
use gantry_engine::Conclusion;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

const RUN_COLUMNS: &str = "r.id, r.event_id, e.name, r.workflow_file, r.workflow_name, r.status, r.conclusion, r.attempt, r.created_at, r.started_at, r.finished_at, r.reason, r.owner";

/// Runs `sql` (prepared once per connection) and returns its rows.
async fn rows(
    c: &Object,
    what: &'static str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, StoreError> {
    let stmt = c.prepare_cached(sql).await.map_err(pg(what))?;
    c.query(&stmt, params).await.map_err(pg(what))
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    r: &'a Row,
    i: usize,
    what: &'static str,
) -> Result<T, StoreError> {
    r.try_get(i).map_err(pg(what))
}

fn status(r: &Row, i: usize, what: &'static str) -> Result<Status, StoreError> {
    Status::parse(&get::<String>(r, i, what)?)
        .map_err(|source| StoreError::Unknown { what, source })
}

fn progress(r: &Row, i: usize, what: &'static str) -> Result<Progress, StoreError> {
    Progress::parse(&get::<String>(r, i, what)?)
        .map_err(|source| StoreError::Unknown { what, source })
}

fn conclusion(r: &Row, i: usize, what: &'static str) -> Result<Option<Conclusion>, StoreError> {
    match get::<Option<String>>(r, i, what)? {
        None => Ok(None),
        Some(text) => parse_conclusion(&text)
            .map(Some)
            .map_err(|source| StoreError::Unknown { what, source }),
    }
}

fn run_row(r: &Row, what: &'static str) -> Result<RunRow, StoreError> {
    Ok(RunRow {
        id: get(r, 0, what)?,
        event_id: get(r, 1, what)?,
        event: get(r, 2, what)?,
        workflow_file: get(r, 3, what)?,
        workflow_name: get(r, 4, what)?,
        status: status(r, 5, what)?,
        conclusion: conclusion(r, 6, what)?,
        attempt: get(r, 7, what)?,
        created_at: get(r, 8, what)?,
        started_at: get(r, 9, what)?,
        finished_at: get(r, 10, what)?,
        reason: get(r, 11, what)?,
        owner: get(r, 12, what)?,
    })
}

pub async fn list_runs(c: &Object, f: &ListFilter) -> Result<Vec<RunRow>, StoreError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM runs r JOIN events e ON e.id = r.event_id
         WHERE ($1::text IS NULL OR r.status = $1 OR r.conclusion = $1)
           AND ($2::text IS NULL OR r.workflow_name = $2 OR r.workflow_file LIKE '%' || $2)
           AND ($3::text IS NULL OR e.name = $3)
           AND ($5::bigint IS NULL OR r.id < $5)
           AND ($6::text IS NULL OR (e.payload::jsonb -> 'meta' ->> 'git_ref') IN ('refs/heads/' || $6, $6))
           AND ($7::text IS NULL OR e.source IN (SELECT jsonb_array_elements_text($7::text::jsonb))
                OR (e.source = 'github' AND lower(e.payload::jsonb -> 'meta' ->> 'repository')
                    IN (SELECT lower(jsonb_array_elements_text($8::text::jsonb)))))
         ORDER BY r.id DESC LIMIT $4"
    );
    let limit = f.limit.unwrap_or(100);
    let origins = f.origins.as_ref().map(|o| o.as_json());
    let (sources, repositories) = (
        origins.as_ref().map(|o| o.0.as_str()),
        origins.as_ref().map(|o| o.1.as_str()),
    );
    let found = rows(
        c,
        "list runs",
        &sql,
        &[
            &f.status,
            &f.workflow,
            &f.event,
            &limit,
            &f.before,
            &f.branch,
            &sources,
            &repositories,
        ],
    )
    .await?;
    found.iter().map(|r| run_row(r, "list runs")).collect()
}

pub async fn run(c: &Object, id: i64) -> Result<Option<RunRow>, StoreError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM runs r JOIN events e ON e.id = r.event_id WHERE r.id = $1"
    );
    let found = rows(c, "read run", &sql, &[&id]).await?;
    found.first().map(|r| run_row(r, "read run")).transpose()
}

/// Runs in `status` recorded by instance `owner` (or before instances had names).
pub async fn runs_with_status(
    c: &Object,
    status: Status,
    owner: &str,
) -> Result<Vec<RunRow>, StoreError> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs r JOIN events e ON e.id = r.event_id WHERE r.status = $1 AND (r.owner = $2 OR r.owner = '') ORDER BY r.id");
    let found = rows(c, "runs by status", &sql, &[&status.as_str(), &owner]).await?;
    found.iter().map(|r| run_row(r, "runs by status")).collect()
}

pub async fn jobs(c: &Object, run: i64) -> Result<Vec<JobRow>, StoreError> {
    const WHAT: &str = "read jobs";
    let found = rows(c, WHAT, "SELECT key, name, status, conclusion, started_at, finished_at, reason FROM jobs WHERE run_id = $1 ORDER BY COALESCE(started_at, 0), key", &[&run]).await?;
    let mut jobs = found
        .iter()
        .map(|r| {
            Ok(JobRow {
                key: get(r, 0, WHAT)?,
                name: get(r, 1, WHAT)?,
                status: progress(r, 2, WHAT)?,
                conclusion: conclusion(r, 3, WHAT)?,
                started_at: get(r, 4, WHAT)?,
                finished_at: get(r, 5, WHAT)?,
                reason: get(r, 6, WHAT)?,
                steps: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    for (job, step) in steps(c, run).await? {
        if let Some(j) = jobs.iter_mut().find(|j| j.key == job) {
            j.steps.push(step);
        }
    }
    Ok(jobs)
}

/// The run's steps with their job's key, in the order they started (then were recorded).
async fn steps(c: &Object, run: i64) -> Result<Vec<(String, StepRow)>, StoreError> {
    const WHAT: &str = "read steps";
    let found = rows(c, WHAT, "SELECT job, step, name, status, outcome, conclusion, started_at, finished_at, reason FROM steps WHERE run_id = $1 ORDER BY COALESCE(started_at, 0), ord", &[&run]).await?;
    found
        .iter()
        .map(|r| {
            let step = StepRow {
                step: get(r, 1, WHAT)?,
                name: get(r, 2, WHAT)?,
                status: progress(r, 3, WHAT)?,
                outcome: conclusion(r, 4, WHAT)?,
                conclusion: conclusion(r, 5, WHAT)?,
                started_at: get(r, 6, WHAT)?,
                finished_at: get(r, 7, WHAT)?,
                reason: get(r, 8, WHAT)?,
            };
            Ok((get(r, 0, WHAT)?, step))
        })
        .collect()
}

/// The run's status history, oldest first, every attempt.
pub async fn changes(c: &Object, run: i64) -> Result<Vec<ChangeRow>, StoreError> {
    const WHAT: &str = "read changes";
    let found = rows(c, WHAT, "SELECT attempt, job, step, status, conclusion, reason, at FROM changes WHERE run_id = $1 ORDER BY id", &[&run]).await?;
    found
        .iter()
        .map(|r| {
            Ok(ChangeRow {
                attempt: get(r, 0, WHAT)?,
                job: get(r, 1, WHAT)?,
                step: get(r, 2, WHAT)?,
                status: status(r, 3, WHAT)?,
                conclusion: conclusion(r, 4, WHAT)?,
                reason: get(r, 5, WHAT)?,
                at: get(r, 6, WHAT)?,
            })
        })
        .collect()
}

pub async fn logs_after(
    c: &Object,
    run: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<LogRow>, StoreError> {
    const WHAT: &str = "read logs";
    let found = rows(c, WHAT, "SELECT seq, job, step, stream, line, at FROM logs WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3", &[&run, &after, &limit]).await?;
    found
        .iter()
        .map(|r| {
            Ok(LogRow {
                seq: get(r, 0, WHAT)?,
                job: get(r, 1, WHAT)?,
                step: get(r, 2, WHAT)?,
                stream: get(r, 3, WHAT)?,
                line: get(r, 4, WHAT)?,
                at: get(r, 5, WHAT)?,
            })
        })
        .collect()
}

pub async fn event(c: &Object, id: &str) -> Result<Option<EventRow>, StoreError> {
    const WHAT: &str = "read event";
    let found = rows(
        c,
        WHAT,
        "SELECT id, source, name, received_at, payload FROM events WHERE id = $1",
        &[&id],
    )
    .await?;
    found
        .first()
        .map(|r| {
            Ok(EventRow {
                id: get(r, 0, WHAT)?,
                source: get(r, 1, WHAT)?,
                name: get(r, 2, WHAT)?,
                received_at: get(r, 3, WHAT)?,
                payload: get(r, 4, WHAT)?,
            })
        })
        .transpose()
}

/// Where a run's event came from: its source and the repository the event names.
pub async fn run_origin(
    c: &Object,
    run: i64,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    const WHAT: &str = "read a run's origin";
    let found = rows(c, WHAT, "SELECT e.source, e.payload::jsonb #>> '{meta,repository}' FROM runs r JOIN events e ON e.id = r.event_id WHERE r.id = $1", &[&run]).await?;
    found
        .first()
        .map(|r| Ok((get(r, 0, WHAT)?, get(r, 1, WHAT)?)))
        .transpose()
}

/// Up to `limit` queued runs (any instance's) recorded before `before` (ms), oldest first.
pub async fn queued_before(c: &Object, before: i64, limit: usize) -> Result<Vec<i64>, StoreError> {
    const WHAT: &str = "queued runs";
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let sql = "SELECT id FROM runs WHERE status = $1 AND created_at < $2 ORDER BY id LIMIT $3";
    let queued = Status::Queued.as_str();
    let found = rows(c, WHAT, sql, &[&queued, &before, &limit]).await?;
    found.iter().map(|r| get(r, 0, WHAT)).collect()
}

/// How many runs there are by status and conclusion.
pub async fn counts(c: &Object) -> Result<Vec<(Status, Option<Conclusion>, i64)>, StoreError> {
    const WHAT: &str = "count runs";
    let sql = "SELECT status, conclusion, COUNT(*) FROM runs GROUP BY status, conclusion";
    let found = rows(c, WHAT, sql, &[]).await?;
    found
        .iter()
        .map(|r| {
            Ok((
                status(r, 0, WHAT)?,
                conclusion(r, 1, WHAT)?,
                get(r, 2, WHAT)?,
            ))
        })
        .collect()
}

/// A run's lease; `None`: no such run.
pub async fn lease(c: &Object, run: i64) -> Result<Option<Lease>, StoreError> {
    const WHAT: &str = "read a run's lease";
    let found = rows(
        c,
        WHAT,
        "SELECT owner, lease_until FROM runs WHERE id = $1",
        &[&run],
    )
    .await?;
    found
        .first()
        .map(|r| {
            Ok(Lease {
                owner: get(r, 0, WHAT)?,
                until: get(r, 1, WHAT)?,
            })
        })
        .transpose()
}
