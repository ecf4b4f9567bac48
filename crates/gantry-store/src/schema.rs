//! The tables, created on open. Times are milliseconds since the Unix epoch.

use super::error::{sql, StoreError};
use rusqlite::Connection;

pub(crate) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS events (
    id          TEXT PRIMARY KEY,     -- delivery id, idempotency key, or generated
    source      TEXT NOT NULL,        -- github, hook:<name>, kafka, cli
    name        TEXT NOT NULL,        -- push, webhook, kafka...
    received_at INTEGER NOT NULL,
    payload     TEXT NOT NULL,        -- the normalised event (JSON), replayed by rerun
    response    TEXT NOT NULL         -- the first answer, returned again on redelivery
);
CREATE TABLE IF NOT EXISTS runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      TEXT NOT NULL REFERENCES events(id),
    workflow_file TEXT NOT NULL,
    workflow_name TEXT NOT NULL,
    status        TEXT NOT NULL,      -- queued, in_progress, completed, interrupted
    conclusion    TEXT,               -- success, failure, cancelled, skipped
    attempt       INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    started_at    INTEGER,
    finished_at   INTEGER,
    reason        TEXT
);
CREATE INDEX IF NOT EXISTS runs_status ON runs(status);
CREATE INDEX IF NOT EXISTS runs_event ON runs(event_id);
CREATE TABLE IF NOT EXISTS jobs (
    run_id      INTEGER NOT NULL,
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL,
    conclusion  TEXT,
    started_at  INTEGER,
    finished_at INTEGER,
    reason      TEXT,
    PRIMARY KEY (run_id, key)
);
CREATE TABLE IF NOT EXISTS steps (
    run_id      INTEGER NOT NULL,
    job         TEXT NOT NULL,
    step        TEXT NOT NULL,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL,
    outcome     TEXT,
    conclusion  TEXT,
    started_at  INTEGER,
    finished_at INTEGER,
    reason      TEXT,
    PRIMARY KEY (run_id, job, step)
);
-- Every status change of a run, a job or a step, in order, across attempts: what `runs`,
-- `jobs` and `steps` show is only the latest state (a requeue starts their jobs afresh).
CREATE TABLE IF NOT EXISTS changes (
    run_id     INTEGER NOT NULL,
    attempt    INTEGER NOT NULL,
    job        TEXT,                  -- NULL: the run itself
    step       TEXT,                  -- NULL: the run or the job
    status     TEXT NOT NULL,
    conclusion TEXT,
    reason     TEXT,
    at         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_by_run ON changes (run_id);
CREATE TABLE IF NOT EXISTS logs (
    run_id INTEGER NOT NULL,
    seq    INTEGER NOT NULL,
    job    TEXT NOT NULL,
    step   TEXT,
    stream TEXT NOT NULL,
    line   TEXT NOT NULL,
    at     INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
);
-- The last write of each instance's writer that only proved the store could write again
-- (while it could not, and nothing else was waiting to be written).
CREATE TABLE IF NOT EXISTS probes (
    instance TEXT PRIMARY KEY,
    at       INTEGER NOT NULL
);
"#;

/// Opens (creating) the database with the settings every connection uses.
pub fn open(path: &std::path::Path) -> Result<Connection, StoreError> {
    let c = Connection::open(path).map_err(sql("open"))?;
    c.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(sql("busy timeout"))?;
    // temp_store=MEMORY: the statement journal of the writer's savepoints (one per change,
    // so a refused change is undone alone) stays in memory instead of a temporary file.
    c.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
    )
        .map_err(sql("pragmas"))?;
    Ok(c)
}

pub fn create(c: &Connection) -> Result<(), StoreError> {
    c.execute_batch(SCHEMA).map_err(sql("create tables"))?;
    // Added after the first release: the instance that recorded (and runs) a run, so that
    // instances sharing a store recover only their own runs after a crash.
    if !has_column(c, "owner")? {
        c.execute_batch("ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
            .map_err(sql("add runs.owner"))?;
    }
    // Added with leases (`crate::lease`): until when the claiming instance holds a run in
    // progress; NULL for runs claimed before (never taken over).
    if !has_column(c, "lease_until")? {
        c.execute_batch(
            "ALTER TABLE runs ADD COLUMN lease_until INTEGER;
             CREATE INDEX IF NOT EXISTS runs_lease ON runs (lease_until) WHERE status = 'in_progress';",
        )
        .map_err(sql("add runs.lease_until"))?;
    }
    // Added with the run page's graph (`crate::run_plan`): why the run's workflow matched
    // and its jobs' graph, as JSON text; NULL for runs recorded before.
    for (column, what) in [("why", "add runs.why"), ("graph", "add runs.graph")] {
        if !has_column(c, column)? {
            c.execute_batch(&format!("ALTER TABLE runs ADD COLUMN {column} TEXT"))
                .map_err(sql(what))?;
        }
    }
    // Added with controls across instances (`crate::control`).
    super::control_apply::create(c)?;
    // Added with "re-run failed jobs" (`crate::carry`).
    super::carry_apply::create(c)?;
    // Added with the run pages' sessions shared across instances (`crate::sessions`).
    c.execute_batch(super::sessions::TABLE)
        .map_err(sql("create the sessions table"))
}

fn has_column(c: &Connection, name: &str) -> Result<bool, StoreError> {
    c.query_row(
        "SELECT COUNT(*) FROM pragma_table_info('runs') WHERE name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(sql("inspect runs"))
}
