//! The PostgreSQL writer's fast path: a group of changes and accepted events written as one
//! pipeline, without a savepoint per change. Per-statement round trips were what made the
//! writer slow (each change and its savepoint waited for the server in turn); here every
//! statement of the group is sent before the first answer is read (tokio-postgres pipelines
//! the queries polled together on one connection), consecutive log lines go in one
//! multi-row insert (`unnest`), and the run ids of new events are taken from their sequence
//! up front, so nothing in the group waits for another statement's answer.
//!
//! The group is planned first ([`look`], one round trip: which events are recorded already,
//! where each run's log lines go on); the plan (run ids, stored answers) is kept, so when
//! the server refuses any statement the writer rolls the group back and writes the same
//! plan again the slow way, one savepoint per message, and exactly the refused message is
//! dropped (`pg/writer.rs`). Messages other than changes, accepts and flushes go the slow
//! way at once.

use super::apply::{without_nul, CHANGE, JOB, RUN, STEP};
use crate::error::StoreError;
use crate::status::conclusion_text;
use crate::write::{now_ms, Accepted, Msg, NewEvent, NewRun, Op, Respond};
use crate::writer::Reply;
use deadpool_postgres::Transaction;
use futures_util::future::join_all;
use std::collections::{HashMap, HashSet};
use tokio::sync::oneshot;
use tokio_postgres::types::ToSql;
use tokio_postgres::Error;

type Param = Box<dyn ToSql + Sync + Send>;
type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// One statement of a pipeline, owning its parameters.
pub(super) struct Stmt {
    sql: &'static str,
    params: Vec<Param>,
}

/// One message of a group, in the order it came.
pub(super) enum Item {
    /// A change: its index in the writer's held changes (`Held::pending`).
    Change(usize),
    Accept(Accept),
    Flush(oneshot::Sender<Result<(), StoreError>>),
}

/// An event to accept, and what the plan decided for it.
pub(super) struct Accept {
    pub(super) event: NewEvent,
    pub(super) runs: Vec<NewRun>,
    /// Still here until the plan gives the event its run ids (then `plan` is `New`).
    pub(super) respond: Option<Respond>,
    pub(super) reply: oneshot::Sender<Result<Accepted, StoreError>>,
    pub(super) plan: Plan,
}

pub(super) enum Plan {
    /// Not planned yet, or the same event as an earlier one of the group.
    Open,
    /// Recorded before this group: the answer given then.
    Recorded(Accepted),
    /// To record with these run ids and this stored answer, received at `at`.
    New {
        ids: Vec<i64>,
        response: String,
        at: i64,
    },
}

/// The group as items when every message can go the fast way (changes, accepts, flushes),
/// with `held` (changes kept from before) first; the batch back otherwise. Changes are
/// moved to `pending`, where they stay until their commit.
pub(super) fn items(batch: Vec<Msg>, pending: &mut Vec<Op>) -> Result<Vec<Item>, Vec<Msg>> {
    let fits = |m: &Msg| matches!(m, Msg::Write(_) | Msg::Accept { .. } | Msg::Flush(_));
    if batch.is_empty() || !batch.iter().all(fits) {
        return Err(batch);
    }
    let mut items: Vec<Item> = (0..pending.len()).map(Item::Change).collect();
    for msg in batch {
        items.push(match msg {
            Msg::Write(op) => {
                pending.push(op);
                Item::Change(pending.len() - 1)
            }
            Msg::Accept {
                event,
                runs,
                respond,
                reply,
            } => Item::Accept(Accept {
                event,
                runs,
                respond: Some(respond),
                reply,
                plan: Plan::Open,
            }),
            Msg::Flush(reply) => Item::Flush(reply),
            _ => unreachable!("checked by `fits` above"),
        });
    }
    Ok(items)
}

const RECORDED: &str = "SELECT e.id, e.response, ARRAY(SELECT r.id FROM runs r WHERE r.event_id = e.id ORDER BY r.id)
     FROM events e WHERE e.id = ANY($1)";
const SEQS: &str = "SELECT run_id, MAX(seq) FROM logs WHERE run_id = ANY($1) GROUP BY run_id";
const IDS: &str =
    "SELECT nextval(pg_get_serial_sequence('runs', 'id')) FROM generate_series(1, $1::bigint)";

/// Takes the writers' lock (`lock`, the statement) and plans the group: the events recorded before, the log sequence numbers of runs not seen
/// yet (into `seqs`), and run ids and stored answers for the new events. Two round trips
/// (one when no new event has runs).
pub(super) async fn plan(
    t: &Transaction<'_>,
    lock: &str,
    items: &mut [Item],
    pending: &[Op],
    seqs: &mut HashMap<i64, i64>,
) -> Result<(), Error> {
    let mut ids: Vec<String> = Vec::new();
    let mut runs: Vec<i64> = Vec::new();
    for item in items.iter() {
        match item {
            Item::Accept(a) => ids.push(a.event.id.clone()),
            Item::Change(i) => match &pending[*i] {
                Op::Log { run, .. } if !seqs.contains_key(run) && !runs.contains(run) => {
                    runs.push(*run)
                }
                _ => {}
            },
            Item::Flush(_) => {}
        }
    }
    let (recorded, max) = (t.prepare_cached(RECORDED).await?, t.prepare_cached(SEQS).await?);
    let (by_id, by_run): (Params, Params) = (&[&ids], &[&runs]);
    let (locked, recorded, max) = futures_util::join!(
        t.batch_execute(lock),
        t.query(&recorded, by_id),
        t.query(&max, by_run)
    );
    locked?;
    let mut before = HashMap::new();
    for row in recorded? {
        let id: String = row.try_get(0)?;
        let accepted = Accepted {
            event_id: id.clone(),
            run_ids: row.try_get(2)?,
            duplicate: true,
            response: row.try_get(1)?,
        };
        before.insert(id, accepted);
    }
    for run in runs {
        seqs.insert(run, 0);
    }
    for row in max? {
        seqs.insert(row.try_get(0)?, row.try_get(1)?);
    }
    decide(t, items, before).await
}

/// Gives each accept its plan: recorded before, new (with run ids taken now), or open (the
/// same event as an earlier accept of the group, answered as its duplicate).
async fn decide(
    t: &Transaction<'_>,
    items: &mut [Item],
    before: HashMap<String, Accepted>,
) -> Result<(), Error> {
    let mut seen = HashSet::new();
    let mut wanted = 0i64;
    for item in items.iter_mut() {
        let Item::Accept(a) = item else { continue };
        if let Some(b) = before.get(&a.event.id) {
            a.plan = Plan::Recorded(b.clone());
        } else if seen.insert(a.event.id.clone()) {
            wanted += a.runs.len() as i64;
        }
    }
    let mut fresh = Vec::new();
    if wanted > 0 {
        let stmt = t.prepare_cached(IDS).await?;
        for row in t.query(&stmt, &[&wanted]).await? {
            fresh.push(row.try_get::<_, i64>(0)?);
        }
        fresh.sort_unstable();
    }
    let mut fresh = fresh.into_iter();
    let mut planned = HashSet::new();
    for item in items.iter_mut() {
        let Item::Accept(a) = item else { continue };
        if !matches!(a.plan, Plan::Open) || !planned.insert(a.event.id.clone()) {
            continue;
        }
        let ids: Vec<i64> = fresh.by_ref().take(a.runs.len()).collect();
        let Some(respond) = a.respond.take() else {
            continue;
        };
        let response = respond(&ids);
        let at = now_ms();
        a.plan = Plan::New { ids, response, at };
    }
    Ok(())
}

const EVENT: &str = "INSERT INTO events (id, source, name, received_at, payload, response) VALUES ($1, $2, $3, $4, $5, $6)";
const NEW_RUN: &str = "INSERT INTO runs (id, event_id, workflow_file, workflow_name, status, conclusion, created_at, finished_at, owner)
     VALUES ($1, $2, $3, $4, $5::text, $6::text, $7::bigint, CASE WHEN $5::text = 'completed' THEN $7::bigint END, $8)";
const LOGS: &str = "INSERT INTO logs (run_id, seq, job, step, stream, line, at)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])";

/// Consecutive log lines, as the columns of one insert.
#[derive(Default)]
struct Logs {
    run: Vec<i64>,
    seq: Vec<i64>,
    job: Vec<String>,
    step: Vec<Option<String>>,
    stream: Vec<String>,
    line: Vec<String>,
    at: Vec<i64>,
}

impl Logs {
    /// The insert of the lines gathered so far (none when there are none).
    fn take(&mut self, out: &mut Vec<Stmt>) {
        if self.run.is_empty() {
            return;
        }
        let l = std::mem::take(self);
        let params: Vec<Param> = vec![
            Box::new(l.run),
            Box::new(l.seq),
            Box::new(l.job),
            Box::new(l.step),
            Box::new(l.stream),
            Box::new(l.line),
            Box::new(l.at),
        ];
        out.push(Stmt { sql: LOGS, params });
    }
}

/// The statements of the planned group, in its order; log lines take their sequence
/// numbers from `seqs` (which [`plan`] filled for every run in the group).
pub(super) fn statements(
    items: &[Item],
    pending: &[Op],
    seqs: &mut HashMap<i64, i64>,
    owner: &str,
) -> Vec<Stmt> {
    let mut out = Vec::new();
    let mut logs = Logs::default();
    for item in items {
        if let Item::Change(i) = item {
            if let Op::Log {
                run,
                job,
                step,
                stream,
                line,
                at,
            } = &pending[*i]
            {
                let seq = seqs.get(run).copied().unwrap_or(0) + 1;
                seqs.insert(*run, seq);
                logs.run.push(*run);
                logs.seq.push(seq);
                logs.job.push(job.clone());
                logs.step.push(step.clone());
                logs.stream.push(stream.clone());
                logs.line.push(without_nul(line).into_owned());
                logs.at.push(*at);
                continue;
            }
        }
        logs.take(&mut out);
        match item {
            Item::Change(i) => change(&pending[*i], &mut out),
            Item::Accept(a) => accept(a, owner, &mut out),
            Item::Flush(_) => {}
        }
    }
    logs.take(&mut out);
    out
}

/// A change's statements (log lines are gathered by [`statements`]).
fn change(op: &Op, out: &mut Vec<Stmt>) {
    let stmt = |sql, params| Stmt { sql, params };
    let (run, job, step, status, conclusion, reason, at): (i64, _, _, &'static str, _, _, i64) =
        match op.clone() {
            Op::Run {
                run,
                status,
                conclusion,
                reason,
                at,
            } => {
                let c = conclusion_text(conclusion);
                let p: Vec<Param> = vec![
                    Box::new(run),
                    Box::new(status.as_str()),
                    Box::new(c),
                    Box::new(reason.clone()),
                    Box::new(at),
                ];
                out.push(stmt(RUN, p));
                (run, None, None, status.as_str(), c, reason, at)
            }
            Op::Job {
                run,
                key,
                name,
                status,
                conclusion,
                reason,
                at,
            } => {
                let c = conclusion_text(conclusion);
                let p: Vec<Param> = vec![
                    Box::new(run),
                    Box::new(key.clone()),
                    Box::new(name),
                    Box::new(status.as_str()),
                    Box::new(c),
                    Box::new(at),
                    Box::new(reason.clone()),
                ];
                out.push(stmt(JOB, p));
                let s: crate::status::Status = status.into();
                (run, Some(key), None, s.as_str(), c, reason, at)
            }
            Op::Step {
                run,
                job,
                step,
                name,
                status,
                outcome,
                conclusion,
                reason,
                at,
            } => {
                let c = conclusion_text(conclusion);
                let p: Vec<Param> = vec![
                    Box::new(run),
                    Box::new(job.clone()),
                    Box::new(step.clone()),
                    Box::new(name),
                    Box::new(status.as_str()),
                    Box::new(conclusion_text(outcome)),
                    Box::new(c),
                    Box::new(at),
                    Box::new(reason.clone()),
                ];
                out.push(stmt(STEP, p));
                let s: crate::status::Status = status.into();
                (run, Some(job), Some(step), s.as_str(), c, reason, at)
            }
            Op::Log { .. } => return,
        };
    let p: Vec<Param> = vec![
        Box::new(run),
        Box::new(job),
        Box::new(step),
        Box::new(status),
        Box::new(conclusion),
        Box::new(reason),
        Box::new(at),
    ];
    out.push(stmt(CHANGE, p));
}

/// A new event's statements: the event with its stored answer, each run with its id and
/// its first line in the status history. None for an event recorded before.
fn accept(a: &Accept, owner: &str, out: &mut Vec<Stmt>) {
    let Plan::New { ids, response, at } = &a.plan else {
        return;
    };
    let e = &a.event;
    let p: Vec<Param> = vec![
        Box::new(e.id.clone()),
        Box::new(e.source.clone()),
        Box::new(e.name.clone()),
        Box::new(*at),
        Box::new(e.payload.clone()),
        Box::new(response.clone()),
    ];
    out.push(Stmt { sql: EVENT, params: p });
    for (id, r) in ids.iter().zip(&a.runs) {
        let (status, conclusion) = (r.status.as_str(), conclusion_text(r.conclusion));
        let p: Vec<Param> = vec![
            Box::new(*id),
            Box::new(e.id.clone()),
            Box::new(r.workflow_file.clone()),
            Box::new(r.workflow_name.clone()),
            Box::new(status),
            Box::new(conclusion),
            Box::new(*at),
            Box::new(owner.to_string()),
        ];
        out.push(Stmt {
            sql: NEW_RUN,
            params: p,
        });
        let p: Vec<Param> = vec![
            Box::new(*id),
            Box::new(None::<String>),
            Box::new(None::<String>),
            Box::new(status),
            Box::new(conclusion),
            Box::new(None::<String>),
            Box::new(*at),
        ];
        out.push(Stmt { sql: CHANGE, params: p });
    }
}

/// Runs `stmts` as one pipeline: every statement is sent before the first answer is read
/// (`join_all` polls them in order, and a query is sent when first polled), so the group
/// costs one round trip. The first error, if any (the server runs nothing after it).
pub(super) async fn pipeline(t: &Transaction<'_>, stmts: &[Stmt]) -> Result<(), Error> {
    let mut prepared = Vec::with_capacity(stmts.len());
    for s in stmts {
        prepared.push(t.prepare_cached(s.sql).await?);
    }
    let params: Vec<Vec<&(dyn ToSql + Sync)>> = stmts
        .iter()
        .map(|s| {
            s.params
                .iter()
                .map(|p| &**p as &(dyn ToSql + Sync))
                .collect()
        })
        .collect();
    let runs = prepared.iter().zip(&params).map(|(s, p)| t.execute(s, p));
    join_all(runs)
        .await
        .into_iter()
        .find_map(Result::err)
        .map_or(Ok(()), Err)
}

/// One planned new event, the slow way (in the caller's savepoint): its statements alone.
pub(super) async fn record(t: &Transaction<'_>, a: &Accept, owner: &str) -> Result<(), Error> {
    let mut stmts = Vec::new();
    accept(a, owner, &mut stmts);
    pipeline(t, &stmts).await
}

/// What a planned accept answers when its group commits: `None` for an open one.
pub(super) fn answer(a: &Accept) -> Option<Accepted> {
    match &a.plan {
        Plan::Open => None,
        Plan::Recorded(before) => Some(before.clone()),
        Plan::New { ids, response, .. } => Some(Accepted {
            event_id: a.event.id.clone(),
            run_ids: ids.clone(),
            duplicate: false,
            response: response.clone(),
        }),
    }
}

/// The answers of a group that went the fast way (sent once its fate is known): an open
/// accept answers as the earlier accept of the same event, a duplicate.
pub(super) fn answers(items: Vec<Item>) -> Vec<Reply> {
    let mut first: HashMap<String, Accepted> = HashMap::new();
    let mut replies = Vec::new();
    for item in items {
        match item {
            Item::Change(_) => {}
            Item::Flush(reply) => replies.push(Reply::Unit(reply, Some(Ok(())))),
            Item::Accept(a) => {
                let r = match answer(&a) {
                    Some(v) => {
                        first.entry(v.event_id.clone()).or_insert_with(|| Accepted {
                            duplicate: true,
                            ..v.clone()
                        });
                        Some(Ok(v))
                    }
                    None => first.get(&a.event.id).cloned().map(Ok),
                };
                replies.push(Reply::Accepted(a.reply, r));
            }
        }
    }
    replies
}
