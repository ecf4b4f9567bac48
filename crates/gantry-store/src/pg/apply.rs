//! The SQL of each write on PostgreSQL, inside the writer's transaction: the same writes as
//! SQLite's `apply` (an event with its runs, a requeue, a claim, a status with its line in
//! the history, a log line, a probe), in PostgreSQL's SQL. Every error is returned; the
//! writer decides whether the server failed (the transaction is retried later) or the
//! operation itself was refused (its savepoint is rolled back, the rest goes on).

use crate::apply::Ctx;
use crate::run_plan::to_text;
use crate::status::{conclusion_text, Status};
use crate::write::{now_ms, Accepted, NewEvent, NewRun, Op, Respond};
use deadpool_postgres::Transaction;
use tokio_postgres::types::ToSql;
use tokio_postgres::Error;

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Runs one statement (prepared once per connection); the rows it changed.
pub(crate) async fn exec(t: &Transaction<'_>, sql: &str, params: Params<'_>) -> Result<u64, Error> {
    let stmt = t.prepare_cached(sql).await?;
    t.execute(&stmt, params).await
}

/// The event recorded before under this id, with its runs.
pub async fn recorded(t: &Transaction<'_>, id: &str) -> Result<Option<Accepted>, Error> {
    let stmt = t
        .prepare_cached("SELECT response FROM events WHERE id = $1")
        .await?;
    let Some(row) = t.query_opt(&stmt, &[&id]).await? else {
        return Ok(None);
    };
    let stmt = t
        .prepare_cached("SELECT id FROM runs WHERE event_id = $1 ORDER BY id")
        .await?;
    let run_ids = t
        .query(&stmt, &[&id])
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(Some(Accepted {
        event_id: id.to_string(),
        run_ids,
        duplicate: true,
        response: row.try_get(0)?,
    }))
}

/// Records an event and its runs (or returns what was recorded for it before).
pub async fn accept(
    t: &Transaction<'_>,
    owner: &str,
    event: NewEvent,
    runs: Vec<NewRun>,
    respond: Respond,
) -> Result<Accepted, Error> {
    if let Some(before) = recorded(t, &event.id).await? {
        return Ok(before);
    }
    let now = now_ms();
    exec(t, "INSERT INTO events (id, source, name, received_at, payload, response) VALUES ($1, $2, $3, $4, $5, '')",
        &[&event.id, &event.source, &event.name, &now, &event.payload]).await?;
    let insert = t.prepare_cached("INSERT INTO runs (event_id, workflow_file, workflow_name, status, conclusion, created_at, finished_at, owner, why, graph) VALUES ($1, $2, $3, $4::text, $5, $6::bigint, CASE WHEN $4::text = 'completed' THEN $6::bigint END, $7, $8, $9) RETURNING id").await?;
    let mut ids = Vec::with_capacity(runs.len());
    for r in runs {
        let conclusion = conclusion_text(r.conclusion);
        let status = r.status.as_str();
        let (why, graph) = (to_text(&r.why), to_text(&r.graph));
        let row = t
            .query_one(
                &insert,
                &[
                    &event.id,
                    &r.workflow_file,
                    &r.workflow_name,
                    &status,
                    &conclusion,
                    &now,
                    &owner,
                    &why,
                    &graph,
                ],
            )
            .await?;
        let id: i64 = row.try_get(0)?;
        ids.push(id);
        change(t, id, (None, None), (r.status, conclusion, None), now).await?;
    }
    let response = respond(&ids);
    exec(
        t,
        "UPDATE events SET response = $1 WHERE id = $2",
        &[&response, &event.id],
    )
    .await?;
    Ok(Accepted {
        event_id: event.id,
        run_ids: ids,
        duplicate: false,
        response,
    })
}

pub async fn requeue(t: &Transaction<'_>, owner: &str, run: i64) -> Result<(), Error> {
    let queued = Status::Queued.as_str();
    exec(t, "UPDATE runs SET status = $3, conclusion = NULL, started_at = NULL, finished_at = NULL, reason = NULL, attempt = attempt + 1, owner = $2, lease_until = NULL WHERE id = $1",
        &[&run, &owner, &queued]).await?;
    exec(t, "DELETE FROM jobs WHERE run_id = $1", &[&run]).await?;
    exec(t, "DELETE FROM steps WHERE run_id = $1", &[&run]).await?;
    super::control::release(t, run).await?;
    change(t, run, (None, None), (Status::Queued, None, None), now_ms()).await
}

/// Takes run `run` for instance `owner` when it is queued (any instance's: see
/// `Msg::Claim`), with a lease of `lease` ms; the row is locked `FOR UPDATE SKIP LOCKED`, so
/// a run another transaction is taking is not waited for but left to it.
pub async fn claim(
    t: &Transaction<'_>,
    owner: &str,
    run: i64,
    (lease, attempt): (i64, Option<i64>),
) -> Result<bool, Error> {
    let at = now_ms();
    let (started, queued) = (Status::InProgress.as_str(), Status::Queued.as_str());
    let taken = exec(
        t,
        "UPDATE runs SET status = $3, started_at = $4, owner = $2, lease_until = $4::bigint + $6::bigint
         WHERE id = (SELECT id FROM runs WHERE id = $1 AND status = $5
                     AND ($7::bigint IS NULL OR attempt = $7::bigint) FOR UPDATE SKIP LOCKED)",
        &[&run, &owner, &started, &at, &queued, &lease, &attempt],
    )
    .await?;
    if taken == 0 {
        return Ok(false);
    }
    change(t, run, (None, None), (Status::InProgress, None, None), at).await?;
    Ok(true)
}

/// A status and the conclusion and reason beside it.
pub(crate) type Change<'a> = (Status, Option<&'a str>, Option<&'a str>);

/// A line in the status history, at the run's current attempt: run, job, step, status,
/// conclusion, reason, at.
pub(crate) const CHANGE: &str = "INSERT INTO changes (run_id, attempt, job, step, status, conclusion, reason, at)
         SELECT $1::bigint, attempt, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint FROM runs WHERE id = $1::bigint";

/// A run's new status: run, status, conclusion, reason, at.
pub(crate) const RUN: &str = "UPDATE runs SET status = $2::text, conclusion = COALESCE($3::text, conclusion), reason = COALESCE($4::text, reason),
                   started_at = CASE WHEN $2::text = 'in_progress' THEN $5::bigint ELSE started_at END,
                   finished_at = CASE WHEN $2::text IN ('completed', 'interrupted') THEN $5::bigint ELSE finished_at END
                 WHERE id = $1";

/// A job's new status: run, key, name, status, conclusion, at, reason.
pub(crate) const JOB: &str = "INSERT INTO jobs (run_id, key, name, status, conclusion, started_at, finished_at, reason)
         VALUES ($1, $2, $3, $4::text, $5::text, CASE WHEN $4::text = 'in_progress' THEN $6::bigint END, CASE WHEN $4::text = 'completed' THEN $6::bigint END, $7::text)
         ON CONFLICT (run_id, key) DO UPDATE SET status = $4::text, conclusion = $5::text, reason = COALESCE($7::text, jobs.reason),
           finished_at = CASE WHEN $4::text = 'completed' THEN $6::bigint ELSE jobs.finished_at END";

/// A step's new status: run, job, step, name, status, outcome, conclusion, at, reason.
pub(crate) const STEP: &str = "INSERT INTO steps (run_id, job, step, name, status, outcome, conclusion, started_at, finished_at, reason)
         VALUES ($1, $2, $3, $4, $5::text, $6::text, $7::text, CASE WHEN $5::text = 'in_progress' THEN $8::bigint END, CASE WHEN $5::text = 'completed' THEN $8::bigint END, $9::text)
         ON CONFLICT (run_id, job, step) DO UPDATE SET status = $5::text, outcome = $6::text, conclusion = $7::text, reason = $9::text,
           finished_at = CASE WHEN $5::text = 'completed' THEN $8::bigint ELSE steps.finished_at END";

/// Appends to the status history (`changes`), at the run's current attempt.
pub(crate) async fn change(
    t: &Transaction<'_>,
    run: i64,
    (job, step): (Option<&str>, Option<&str>),
    (status, conclusion, reason): Change<'_>,
    at: i64,
) -> Result<(), Error> {
    let status = status.as_str();
    exec(
        t,
        CHANGE,
        &[&run, &job, &step, &status, &conclusion, &reason, &at],
    )
    .await
    .map(drop)
}

/// One change the service sent without waiting.
pub async fn write(t: &Transaction<'_>, op: &Op, cx: &mut Ctx<'_>) -> Result<(), Error> {
    match op {
        Op::Run {
            run,
            status,
            conclusion,
            reason,
            at,
        } => {
            let conclusion = conclusion_text(*conclusion);
            let text = status.as_str();
            exec(t, RUN, &[run, &text, &conclusion, reason, at]).await?;
            change(
                t,
                *run,
                (None, None),
                (*status, conclusion, reason.as_deref()),
                *at,
            )
            .await
        }
        Op::Job { .. } => job(t, op).await,
        Op::Step { .. } => step(t, op).await,
        Op::Log {
            run,
            job,
            step,
            stream,
            line,
            at,
        } => {
            let seq = next_seq(t, cx, *run).await?;
            let kept = without_nul(line);
            let line: &str = &kept;
            exec(t, "INSERT INTO logs (run_id, seq, job, step, stream, line, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[run, &seq, job, step, stream, &line, at]).await.map(drop)
        }
        Op::JobResult { .. } => super::carry::write(t, op).await,
    }
}

/// `line` as PostgreSQL's text can hold it: a NUL byte (which a container may print) becomes
/// U+FFFD, where SQLite keeps it; without this the line would be refused, and dropped.
pub(crate) fn without_nul(line: &str) -> std::borrow::Cow<'_, str> {
    if line.contains('\0') {
        line.replace('\0', "\u{FFFD}").into()
    } else {
        line.into()
    }
}

async fn job(t: &Transaction<'_>, op: &Op) -> Result<(), Error> {
    let Op::Job {
        run,
        key,
        name,
        status,
        conclusion,
        reason,
        at,
    } = op
    else {
        return Ok(());
    };
    let conclusion = conclusion_text(*conclusion);
    let text = status.as_str();
    exec(t, JOB, &[run, key, name, &text, &conclusion, at, reason]).await?;
    let now = ((*status).into(), conclusion, reason.as_deref());
    change(t, *run, (Some(key), None), now, *at).await
}

async fn step(t: &Transaction<'_>, op: &Op) -> Result<(), Error> {
    let Op::Step {
        run,
        job,
        step,
        name,
        status,
        outcome,
        conclusion,
        reason,
        at,
    } = op
    else {
        return Ok(());
    };
    let (outcome, conclusion) = (conclusion_text(*outcome), conclusion_text(*conclusion));
    let text = status.as_str();
    exec(
        t,
        STEP,
        &[
            run,
            job,
            step,
            name,
            &text,
            &outcome,
            &conclusion,
            at,
            reason,
        ],
    )
    .await?;
    let now = ((*status).into(), conclusion, reason.as_deref());
    change(t, *run, (Some(job), Some(step)), now, *at).await
}

/// The run's next log sequence number (read from the table the first time).
async fn next_seq(t: &Transaction<'_>, cx: &mut Ctx<'_>, run: i64) -> Result<i64, Error> {
    let seq = match cx.seqs.get(&run) {
        Some(s) => *s + 1,
        None => {
            let stmt = t
                .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM logs WHERE run_id = $1")
                .await?;
            t.query_one(&stmt, &[&run]).await?.try_get::<_, i64>(0)? + 1
        }
    };
    cx.seqs.insert(run, seq);
    Ok(seq)
}

/// A write that proves the store can write again while it is down and nothing else waits.
pub async fn probe(t: &Transaction<'_>, owner: &str) -> Result<(), Error> {
    exec(
        t,
        "INSERT INTO probes (instance, at) VALUES ($1, $2) ON CONFLICT (instance) DO UPDATE SET at = $2",
        &[&owner, &now_ms()],
    )
    .await
    .map(drop)
}
