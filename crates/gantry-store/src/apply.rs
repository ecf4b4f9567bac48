//! The SQL of each write, inside the writer's transaction: accepting an event with its
//! runs, requeueing a run, a run's, job's or step's status (with its line in the history of
//! changes), a log line. Every statement's error is returned; the writer decides whether it
//! is the store's fault (the transaction is retried later) or the operation's own.

use super::error::is_store_fault;
use super::fence::Fence;
use super::run_plan::to_text;
use super::status::{conclusion_text, Status};
use super::write::{now_ms, Accepted, NewEvent, NewRun, Op, Respond};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// What the writes need besides the connection.
pub struct Ctx<'a> {
    /// The instance recording runs (several instances of a group may share one store).
    pub owner: &'a str,
    /// Next log sequence number per run.
    pub seqs: &'a mut HashMap<i64, i64>,
    /// Which runs of the transaction's fenced changes are still this instance's.
    pub fence: Fence,
}

/// The event recorded before under this id, with its runs.
fn recorded(c: &Connection, id: &str) -> rusqlite::Result<Option<Accepted>> {
    let Some(response) = c
        .query_row("SELECT response FROM events WHERE id = ?1", [id], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
    else {
        return Ok(None);
    };
    let mut stmt = c.prepare_cached("SELECT id FROM runs WHERE event_id = ?1 ORDER BY id")?;
    let run_ids = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(Some(Accepted {
        event_id: id.to_string(),
        run_ids,
        duplicate: true,
        response,
    }))
}

/// Records an event and its runs (or returns what was recorded for it before). When a
/// statement is refused (not the store failing), what it inserted is deleted again, so the
/// transaction goes on without it: the writer runs accepts without a savepoint, which cost
/// ~20% of the Kafka benchmark's throughput (SQLite copies every page an open savepoint
/// touches into its statement journal).
pub fn accept(
    c: &Connection,
    owner: &str,
    event: NewEvent,
    runs: Vec<NewRun>,
    respond: Respond,
) -> rusqlite::Result<Accepted> {
    if let Some(before) = recorded(c, &event.id)? {
        return Ok(before);
    }
    let event_id = event.id.clone();
    let mut ids = Vec::with_capacity(runs.len());
    let result = insert_accepted(c, owner, event, runs, respond, &mut ids);
    if let Err(e) = &result {
        if !is_store_fault(e) {
            undo_accept(c, &event_id, &ids)?;
        }
    }
    result
}

fn insert_accepted(
    c: &Connection,
    owner: &str,
    event: NewEvent,
    runs: Vec<NewRun>,
    respond: Respond,
    ids: &mut Vec<i64>,
) -> rusqlite::Result<Accepted> {
    let now = now_ms();
    c.prepare_cached("INSERT INTO events (id, source, name, received_at, payload, response) VALUES (?1, ?2, ?3, ?4, ?5, '')")?
        .execute(params![event.id, event.source, event.name, now, event.payload])?;
    for r in runs {
        let conclusion = conclusion_text(r.conclusion);
        let (why, graph) = (to_text(&r.why), to_text(&r.graph));
        c.prepare_cached("INSERT INTO runs (event_id, workflow_file, workflow_name, status, conclusion, created_at, finished_at, owner, why, graph) VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?4 = 'completed' THEN ?6 END, ?7, ?8, ?9)")?
            .execute(params![event.id, r.workflow_file, r.workflow_name, r.status, conclusion, now, owner, why, graph])?;
        let id = c.last_insert_rowid();
        ids.push(id);
        change(c, id, (None, None), (r.status, conclusion, None), now)?;
    }
    let response = respond(ids);
    c.prepare_cached("UPDATE events SET response = ?1 WHERE id = ?2")?
        .execute(params![response, event.id])?;
    Ok(Accepted {
        event_id: event.id,
        run_ids: std::mem::take(ids),
        duplicate: false,
        response,
    })
}

/// Deletes what a refused accept inserted before the refusal.
fn undo_accept(c: &Connection, event_id: &str, runs: &[i64]) -> rusqlite::Result<()> {
    for run in runs {
        c.prepare_cached("DELETE FROM changes WHERE run_id = ?1")?
            .execute([run])?;
        c.prepare_cached("DELETE FROM runs WHERE id = ?1")?
            .execute([run])?;
    }
    c.prepare_cached("DELETE FROM events WHERE id = ?1")?
        .execute([event_id])?;
    Ok(())
}

pub fn requeue(c: &Connection, owner: &str, run: i64) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE runs SET status = ?3, conclusion = NULL, started_at = NULL, finished_at = NULL, reason = NULL, attempt = attempt + 1, owner = ?2, lease_until = NULL WHERE id = ?1",
        params![run, owner, Status::Queued],
    )?;
    c.execute("DELETE FROM jobs WHERE run_id = ?1", [run])?;
    c.execute("DELETE FROM steps WHERE run_id = ?1", [run])?;
    super::control_apply::release(c, run)?;
    change(c, run, (None, None), (Status::Queued, None, None), now_ms())
}

/// Takes run `run` for instance `owner` when it is queued (any instance's: see
/// `Msg::Claim`), at `attempt` when given, with a lease of `lease` ms.
pub fn claim(
    c: &Connection,
    owner: &str,
    run: i64,
    (lease, attempt): (i64, Option<i64>),
) -> rusqlite::Result<bool> {
    let at = now_ms();
    let taken = c
        .prepare_cached(
            "UPDATE runs SET status = ?3, started_at = ?4, owner = ?2, lease_until = ?4 + ?6
             WHERE id = ?1 AND status = ?5 AND (?7 IS NULL OR attempt = ?7)",
        )?
        .execute(params![
            run,
            owner,
            Status::InProgress,
            at,
            Status::Queued,
            lease,
            attempt
        ])?;
    if taken == 0 {
        return Ok(false);
    }
    change(c, run, (None, None), (Status::InProgress, None, None), at)?;
    Ok(true)
}

/// A status and the conclusion and reason beside it.
pub(crate) type Change<'a> = (Status, Option<&'a str>, Option<&'a str>);

/// Appends to the status history (`changes`), at the run's current attempt.
pub(crate) fn change(
    c: &Connection,
    run: i64,
    (job, step): (Option<&str>, Option<&str>),
    (status, conclusion, reason): Change<'_>,
    at: i64,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO changes (run_id, attempt, job, step, status, conclusion, reason, at)
         SELECT ?1, attempt, ?2, ?3, ?4, ?5, ?6, ?7 FROM runs WHERE id = ?1",
    )?
    .execute(params![run, job, step, status, conclusion, reason, at])?;
    Ok(())
}

/// One change the service sent without waiting (applied by reference: if the transaction
/// fails, the writer keeps it to apply again).
pub fn write(c: &Connection, op: &Op, cx: &mut Ctx<'_>) -> rusqlite::Result<()> {
    match op {
        Op::Run {
            run,
            status,
            conclusion,
            reason,
            at,
        } => {
            let conclusion = conclusion_text(*conclusion);
            c.prepare_cached(
                "UPDATE runs SET status = ?2, conclusion = COALESCE(?3, conclusion), reason = COALESCE(?4, reason),
                   started_at = CASE WHEN ?2 = 'in_progress' THEN ?5 ELSE started_at END,
                   finished_at = CASE WHEN ?2 IN ('completed', 'interrupted') THEN ?5 ELSE finished_at END
                 WHERE id = ?1",
            )?
            .execute(params![run, status, conclusion, reason, at])?;
            let now = (*status, conclusion, reason.as_deref());
            change(c, *run, (None, None), now, *at)
        }
        Op::Job { .. } => job(c, op),
        Op::Step { .. } => step(c, op),
        Op::Log {
            run,
            job,
            step,
            stream,
            line,
            at,
        } => {
            let seq = next_seq(c, cx.seqs, *run)?;
            c.prepare_cached("INSERT INTO logs (run_id, seq, job, step, stream, line, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?
                .execute(params![run, seq, job, step, stream, line, at])?;
            Ok(())
        }
        Op::JobResult {
            run,
            key,
            conclusion,
            outputs,
            kept_from,
        } => super::carry_apply::write(c, *run, key, (*conclusion, outputs, *kept_from)),
    }
}

fn job(c: &Connection, op: &Op) -> rusqlite::Result<()> {
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
    c.prepare_cached(
        "INSERT INTO jobs (run_id, key, name, status, conclusion, started_at, finished_at, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?4 = 'in_progress' THEN ?6 END, CASE WHEN ?4 = 'completed' THEN ?6 END, ?7)
         ON CONFLICT (run_id, key) DO UPDATE SET status = ?4, conclusion = ?5, reason = COALESCE(?7, reason),
           finished_at = CASE WHEN ?4 = 'completed' THEN ?6 ELSE finished_at END",
    )?
    .execute(params![run, key, name, status, conclusion, at, reason])?;
    let now = ((*status).into(), conclusion, reason.as_deref());
    change(c, *run, (Some(key), None), now, *at)
}

fn step(c: &Connection, op: &Op) -> rusqlite::Result<()> {
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
    c.prepare_cached(
        "INSERT INTO steps (run_id, job, step, name, status, outcome, conclusion, started_at, finished_at, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CASE WHEN ?5 = 'in_progress' THEN ?8 END, CASE WHEN ?5 = 'completed' THEN ?8 END, ?9)
         ON CONFLICT (run_id, job, step) DO UPDATE SET status = ?5, outcome = ?6, conclusion = ?7, reason = ?9,
           finished_at = CASE WHEN ?5 = 'completed' THEN ?8 ELSE finished_at END",
    )?
    .execute(params![run, job, step, name, status, outcome, conclusion, at, reason])?;
    let now = ((*status).into(), conclusion, reason.as_deref());
    change(c, *run, (Some(job), Some(step)), now, *at)
}

/// The run's next log sequence number (read from the table the first time).
fn next_seq(c: &Connection, seqs: &mut HashMap<i64, i64>, run: i64) -> rusqlite::Result<i64> {
    let seq = match seqs.get(&run) {
        Some(s) => *s + 1,
        None => {
            c.query_row(
                "SELECT COALESCE(MAX(seq), 0) FROM logs WHERE run_id = ?1",
                [run],
                |r| r.get::<_, i64>(0),
            )? + 1
        }
    };
    seqs.insert(run, seq);
    Ok(seq)
}

/// A write that proves the store can write again while it is down and nothing else waits:
/// this instance's row in `probes`.
pub fn probe(c: &Connection, owner: &str) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO probes (instance, at) VALUES (?1, ?2) ON CONFLICT (instance) DO UPDATE SET at = ?2",
    )?
    .execute(params![owner, now_ms()])?;
    Ok(())
}
