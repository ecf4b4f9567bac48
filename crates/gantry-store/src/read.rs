//! Reading the store, whichever backend it is: a [`Reader`] ([`crate::Store::reader`]) and
//! the queries the service makes on it. Each query is the same SQL question asked of SQLite
//! (`sqlite_read`, on a connection of its own beside the writer, thanks to WAL) or of
//! PostgreSQL (`pg::read`, on a pooled connection).
//!
//! The queries are async for PostgreSQL's sake; SQLite's answer at once. The SQLite
//! connection sits behind a mutex only so that a `&Reader` may be held across an `.await` in
//! a handler (rusqlite's connection is `Send`, not `Sync`); nothing else contends for it.

use super::control::Members;
use super::error::StoreError;
use super::lease::Lease;
use super::pg;
use super::sqlite_read;
use super::status::Status;
use gantry_engine::Conclusion;
use rusqlite::Connection;
use std::sync::Mutex;

pub use super::rows::{ChangeRow, EventRow, JobRow, ListFilter, LogRow, Origins, RunRow, StepRow};

/// A connection for reading.
pub enum Reader {
    Sqlite(Mutex<Connection>),
    Postgres(deadpool_postgres::Object),
}

impl Reader {
    /// The connection is gone (PostgreSQL restarted, the network dropped it): a reader kept
    /// for long (the scheduler's) should take a new one. A SQLite connection never is.
    pub fn is_broken(&self) -> bool {
        match self {
            Reader::Sqlite(_) => false,
            Reader::Postgres(c) => c.is_closed(),
        }
    }
}

/// Runs a SQLite query on the reader's connection.
fn on<T>(
    c: &Mutex<Connection>,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let guard = c.lock().unwrap_or_else(|p| p.into_inner());
    f(&guard)
}

pub async fn list_runs(r: &Reader, f: &ListFilter) -> Result<Vec<RunRow>, StoreError> {
    match r {
        Reader::Sqlite(c) => on(c, |c| sqlite_read::list_runs(c, f)),
        Reader::Postgres(c) => pg::read::list_runs(c, f).await,
    }
}

pub async fn run(r: &Reader, id: i64) -> Result<Option<RunRow>, StoreError> {
    match r {
        Reader::Sqlite(c) => on(c, |c| sqlite_read::run(c, id)),
        Reader::Postgres(c) => pg::read::run(c, id).await,
    }
}

/// Runs in `status` recorded by instance `owner` (or before instances had names).
pub async fn runs_with_status(
    r: &Reader,
    status: Status,
    owner: &str,
) -> Result<Vec<RunRow>, StoreError> {
    match r {
        Reader::Sqlite(c) => on(c, |c| sqlite_read::runs_with_status(c, status, owner)),
        Reader::Postgres(c) => pg::read::runs_with_status(c, status, owner).await,
    }
}

pub async fn jobs(r: &Reader, run: i64) -> Result<Vec<JobRow>, StoreError> {
    match r {
        Reader::Sqlite(c) => on(c, |c| sqlite_read::jobs(c, run)),
        Reader::Postgres(c) => pg::read::jobs(c, run).await,
    }
}

/// What the plan said about the run when it was recorded: why it matched and its job
/// graph (`None`: no such run, or recorded before the store kept them).
pub async fn plan(r: &Reader, run: i64) -> Result<Option<super::RunPlan>, StoreError> {
    match r {
        Reader::Sqlite(c) => on(c, |c| super::run_plan::read_sqlite(c, run)),
        Reader::Postgres(c) => super::run_plan::read_postgres(c, run).await,
    }
}

/// The run's status history, oldest first, every attempt.
pub async fn changes(r: &Reader, run: i64) -> Result<Vec<ChangeRow>, StoreError> {
    match r {
        Reader::Sqlite(c) => on(c, |c| sqlite_read::changes(c, run)),
        Reader::Postgres(c) => pg::read::changes(c, run).await,
    }
}

pub async fn logs_after(
    r: &Reader,
    run: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<LogRow>, StoreError> {
    match r {
        Reader::Sqlite(c) => on(c, |c| sqlite_read::logs_after(c, run, after, limit)),
        Reader::Postgres(c) => pg::read::logs_after(c, run, after, limit).await,
    }
}

pub async fn event(r: &Reader, id: &str) -> Result<Option<EventRow>, StoreError> {
    match r {
        Reader::Sqlite(c) => on(c, |c| sqlite_read::event(c, id)),
        Reader::Postgres(c) => pg::read::event(c, id).await,
    }
}

/// Where a run's event came from: its source and the repository the event names.
pub async fn run_origin(
    r: &Reader,
    run: i64,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    match r {
        Reader::Sqlite(c) => on(c, |c| sqlite_read::run_origin(c, run)),
        Reader::Postgres(c) => pg::read::run_origin(c, run).await,
    }
}

/// Up to `limit` queued runs (any instance's: any instance runs any queued run) recorded
/// before `before` (ms), oldest first: what a sweep hands to the scheduler.
pub async fn queued_before(r: &Reader, before: i64, limit: usize) -> Result<Vec<i64>, StoreError> {
    match r {
        Reader::Sqlite(c) => on(c, |c| sqlite_read::queued_before(c, before, limit)),
        Reader::Postgres(c) => pg::read::queued_before(c, before, limit).await,
    }
}

/// A run's lease (see [`crate::lease`]); `None`: no such run.
pub async fn lease(r: &Reader, run: i64) -> Result<Option<Lease>, StoreError> {
    match r {
        Reader::Sqlite(c) => on(c, |c| sqlite_read::lease(c, run)),
        Reader::Postgres(c) => pg::read::lease(c, run).await,
    }
}

/// The runs in progress on instance `owner` that someone asked to cancel (see
/// [`crate::control`]): what its scheduler polls, one indexed query.
pub async fn cancel_requests(r: &Reader, owner: &str) -> Result<Vec<i64>, StoreError> {
    match r {
        Reader::Sqlite(c) => on(c, |c| super::control_apply::cancel_requests(c, owner)),
        Reader::Postgres(c) => pg::cancel_requests(c, owner).await,
    }
}

/// Concurrency group `name`: the run holding it and the run waiting (`None`: nobody).
pub async fn group(r: &Reader, name: &str) -> Result<Option<Members>, StoreError> {
    match r {
        Reader::Sqlite(c) => on(c, |c| super::control_apply::group(c, name)),
        Reader::Postgres(c) => pg::group(c, name).await,
    }
}

/// How many runs there are by status and conclusion.
pub async fn counts(r: &Reader) -> Result<Vec<(Status, Option<Conclusion>, i64)>, StoreError> {
    match r {
        Reader::Sqlite(c) => on(c, sqlite_read::counts),
        Reader::Postgres(c) => pg::read::counts(c).await,
    }
}
