//! The PostgreSQL writer's fast path: a group of changes and accepted events written as one
//! pipeline, without a savepoint per change. Per-statement round trips were what made the
//! writer slow (each change and its savepoint waited for the server in turn); here every
//! statement of the group is sent before the first answer is read (tokio-postgres pipelines
//! the queries polled together on one connection), consecutive log lines go in one
//! multi-row insert (`unnest`), and the run ids of new events are taken from their sequence
//! up front, so nothing in the group waits for another statement's answer.
//!
//! A group whose events bring no runs is sent at once, BEGIN to COMMIT, in one round trip
//! (log lines are numbered by the server); one with runs first looks up, in one round trip
//! ([`look`]), which events are recorded already and ids for the new runs (their answers
//! name them). A group that meets an event recorded before (a redelivery) is rolled back
//! and sent again after the look-up. The plan (run ids, stored answers) is kept, so when
//! the server refuses any statement the writer rolls the group back and writes the same
//! plan again the slow way, one savepoint per message, and exactly the refused message is
//! dropped (`pg/writer.rs`). Messages other than changes, accepts and flushes go the slow
//! way at once.

use super::apply::{without_nul, CHANGE, JOB, RUN, STEP};
use crate::error::StoreError;
use crate::fence::Sent;
use crate::status::conclusion_text;
use crate::write::{now_ms, Accepted, Msg, NewEvent, NewRun, Op, Respond};
use crate::writer::Reply;
use deadpool_postgres::GenericClient;
use futures_util::future::{join_all, BoxFuture};
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
    /// Boxed: a group is mostly changes, each a small item.
    Accept(Box<Accept>),
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
pub(super) fn items(batch: Vec<Msg>, pending: &mut Vec<Sent>) -> Result<Vec<Item>, Vec<Msg>> {
    let fits = |m: &Msg| matches!(m, Msg::Write(_) | Msg::Accept { .. } | Msg::Flush(_));
    if batch.is_empty() || !batch.iter().all(fits) {
        return Err(batch);
    }
    let mut items: Vec<Item> = (0..pending.len()).map(Item::Change).collect();
    for msg in batch {
        items.push(match msg {
            Msg::Write(sent) => {
                pending.push(sent);
                Item::Change(pending.len() - 1)
            }
            Msg::Accept {
                event,
                runs,
                respond,
                reply,
            } => Item::Accept(Box::new(Accept {
                event,
                runs,
                respond: Some(respond),
                reply,
                plan: Plan::Open,
            })),
            Msg::Flush(reply) => Item::Flush(reply),
            _ => unreachable!("checked by `fits` above"),
        });
    }
    Ok(items)
}

const RECORDED: &str =
    "SELECT e.id, e.response, ARRAY(SELECT r.id FROM runs r WHERE r.event_id = e.id ORDER BY r.id)
     FROM events e WHERE e.id = ANY($1)";
const IDS: &str =
    "SELECT nextval(pg_get_serial_sequence('runs', 'id')) FROM generate_series(1, $1::bigint)";

/// How many runs the group's events bring (each needs an id before its answer is made).
pub(super) fn runs_wanted(items: &[Item]) -> i64 {
    items
        .iter()
        .map(|i| match i {
            Item::Accept(a) => a.runs.len() as i64,
            _ => 0,
        })
        .sum()
}

/// The group's events recorded before (with their answers), and `n` run ids taken from
/// their sequence (a redelivered event leaves its share unused), after `begin` (the
/// transaction's start, with the writers' lock; `None`: begun already): one round trip.
pub(super) async fn look<C: GenericClient>(
    t: &C,
    begin: Option<&str>,
    items: &[Item],
    n: i64,
) -> Result<(HashMap<String, Accepted>, Vec<i64>), Error> {
    let events: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            Item::Accept(a) => Some(a.event.id.clone()),
            _ => None,
        })
        .collect();
    let (recorded, ids) = (
        t.prepare_cached(RECORDED).await?,
        t.prepare_cached(IDS).await?,
    );
    let (by_id, count): (Params, Params) = (&[&events], &[&n]);
    let begun = async {
        match begin {
            Some(b) => t.batch_execute(b).await,
            None => Ok(()),
        }
    };
    let (begun, recorded, ids) = futures_util::join!(begun, t.query(&recorded, by_id), async {
        match n {
            0 => Ok(Vec::new()),
            _ => t.query(&ids, count).await,
        }
    });
    begun?;
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
    let mut fresh = ids?
        .iter()
        .map(|r| r.try_get::<_, i64>(0))
        .collect::<Result<Vec<_>, _>>()?;
    fresh.sort_unstable();
    Ok((before, fresh))
}

/// Gives each accept its plan: recorded before (`before`, also when an earlier try planned
/// it new), new (kept from an earlier try, or with the next of the `fresh` run ids and its
/// caller's stored answer), or open (the same event as an earlier accept of the group,
/// answered as its duplicate).
pub(super) fn decide(items: &mut [Item], before: &HashMap<String, Accepted>, fresh: Vec<i64>) {
    let mut fresh = fresh.into_iter();
    let mut planned = HashSet::new();
    for item in items.iter_mut() {
        let Item::Accept(a) = item else { continue };
        if let Some(b) = before.get(&a.event.id) {
            a.plan = Plan::Recorded(b.clone());
            continue;
        }
        if !planned.insert(a.event.id.clone()) || matches!(a.plan, Plan::New { .. }) {
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
}

const EVENTS: &str = "INSERT INTO events (id, source, name, received_at, payload, response)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[])";
const NEW_RUN: &str = "INSERT INTO runs (id, event_id, workflow_file, workflow_name, status, conclusion, created_at, finished_at, owner, why, graph)
     VALUES ($1, $2, $3, $4, $5::text, $6::text, $7::bigint, CASE WHEN $5::text = 'completed' THEN $7::bigint END, $8, $9, $10)";
/// Log lines, numbered on from each run's last line: the last one is read once per run
/// (`base`; read per line it would step over every line this statement inserted before),
/// the window numbers each run's new lines in order.
const LOGS: &str = "WITH l AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
                   WITH ORDINALITY AS l(run, job, step, stream, line, at, n)),
     base AS MATERIALIZED (SELECT r.run, COALESCE((SELECT MAX(seq) FROM logs WHERE run_id = r.run), 0) AS last
                           FROM (SELECT DISTINCT run FROM l) r)
     INSERT INTO logs (run_id, seq, job, step, stream, line, at)
     SELECT l.run, base.last + row_number() OVER (PARTITION BY l.run ORDER BY l.n), l.job, l.step, l.stream, l.line, l.at
     FROM l JOIN base ON base.run = l.run";

/// Consecutive log lines, as the columns of one insert.
#[derive(Default)]
struct Logs {
    run: Vec<i64>,
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
            Box::new(l.job),
            Box::new(l.step),
            Box::new(l.stream),
            Box::new(l.line),
            Box::new(l.at),
        ];
        out.push(Stmt { sql: LOGS, params });
    }
}

/// The statements of the planned group, in its order (consecutive log lines in one).
pub(super) fn statements(items: &[Item], pending: &[Sent], owner: &str) -> Vec<Stmt> {
    let mut out = Vec::new();
    let mut logs = Logs::default();
    let mut accepts: Vec<&Accept> = Vec::new();
    for item in items {
        if let Item::Accept(a) = item {
            logs.take(&mut out);
            accepts.push(a);
            continue;
        }
        new_events(&accepts, owner, &mut out);
        accepts.clear();
        if let Item::Change(i) = item {
            if let Op::Log {
                run,
                job,
                step,
                stream,
                line,
                at,
            } = &pending[*i].op
            {
                logs.run.push(*run);
                logs.job.push(job.clone());
                logs.step.push(step.clone());
                logs.stream.push(stream.clone());
                logs.line.push(without_nul(line).into_owned());
                logs.at.push(*at);
                continue;
            }
        }
        logs.take(&mut out);
        if let Item::Change(i) = item {
            change(&pending[*i].op, &mut out);
        }
    }
    logs.take(&mut out);
    new_events(&accepts, owner, &mut out);
    out
}

/// A change's line in the status history: run, job, step, status, conclusion, reason, at.
type History = (
    i64,
    Option<String>,
    Option<String>,
    &'static str,
    Option<&'static str>,
    Option<String>,
    i64,
);

/// A change's statements (log lines are gathered by [`statements`]): its row, then its line
/// in the status history.
fn change(op: &Op, out: &mut Vec<Stmt>) {
    let (sql, params, history) = match op.clone() {
        Op::Run {
            run,
            status,
            conclusion,
            reason,
            at,
        } => {
            let (s, c) = (status.as_str(), conclusion_text(conclusion));
            let p: Vec<Param> = vec![
                Box::new(run),
                Box::new(s),
                Box::new(c),
                Box::new(reason.clone()),
                Box::new(at),
            ];
            (RUN, p, (run, None, None, s, c, reason, at))
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
            let (s, c) = (status.as_str(), conclusion_text(conclusion));
            let p: Vec<Param> = vec![
                Box::new(run),
                Box::new(key.clone()),
                Box::new(name),
                Box::new(s),
                Box::new(c),
                Box::new(at),
                Box::new(reason.clone()),
            ];
            let s = crate::status::Status::from(status).as_str();
            (JOB, p, (run, Some(key), None, s, c, reason, at))
        }
        Op::Step { .. } => match step(op) {
            Some(row) => row,
            None => return,
        },
        Op::Log { .. } => return,
        Op::JobResult { .. } => return job_result(op, out),
    };
    out.push(Stmt { sql, params });
    let (run, job, step, status, conclusion, reason, at) = history;
    let p: Vec<Param> = vec![
        Box::new(run),
        Box::new(job),
        Box::new(step),
        Box::new(status),
        Box::new(conclusion),
        Box::new(reason),
        Box::new(at),
    ];
    out.push(Stmt {
        sql: CHANGE,
        params: p,
    });
}

/// A job's result (see `crate::carry`): its row alone, no line in the status history.
fn job_result(op: &Op, out: &mut Vec<Stmt>) {
    let Op::JobResult {
        run,
        key,
        conclusion,
        outputs,
        kept_from,
    } = op.clone()
    else {
        return;
    };
    let params: Vec<Param> = vec![
        Box::new(run),
        Box::new(key),
        Box::new(conclusion.as_str()),
        Box::new(crate::carry::outputs_text(&outputs)),
        Box::new(kept_from),
    ];
    out.push(Stmt {
        sql: super::carry::RESULT,
        params,
    });
}

/// A step's row (see [`change`]); `None` for any other change.
fn step(op: &Op) -> Option<(&'static str, Vec<Param>, History)> {
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
    } = op.clone()
    else {
        return None;
    };
    let (s, c) = (status.as_str(), conclusion_text(conclusion));
    let p: Vec<Param> = vec![
        Box::new(run),
        Box::new(job.clone()),
        Box::new(step.clone()),
        Box::new(name),
        Box::new(s),
        Box::new(conclusion_text(outcome)),
        Box::new(c),
        Box::new(at),
        Box::new(reason.clone()),
    ];
    let s = crate::status::Status::from(status).as_str();
    Some((STEP, p, (run, Some(job), Some(step), s, c, reason, at)))
}

/// The statements of consecutive accepts: the new events in one insert, with their stored
/// answers, then each one's runs with their ids and first lines in the status history, in
/// order. None for events recorded before.
fn new_events(accepts: &[&Accept], owner: &str, out: &mut Vec<Stmt>) {
    let new: Vec<(&Accept, &[i64], &str, i64)> = accepts
        .iter()
        .filter_map(|a| match &a.plan {
            Plan::New { ids, response, at } => Some((*a, ids.as_slice(), response.as_str(), *at)),
            _ => None,
        })
        .collect();
    if new.is_empty() {
        return;
    }
    let column = |f: &dyn Fn(&NewEvent) -> &String| -> Vec<String> {
        new.iter().map(|(a, ..)| f(&a.event).clone()).collect()
    };
    let params: Vec<Param> = vec![
        Box::new(column(&|e| &e.id)),
        Box::new(column(&|e| &e.source)),
        Box::new(column(&|e| &e.name)),
        Box::new(new.iter().map(|n| n.3).collect::<Vec<i64>>()),
        Box::new(column(&|e| &e.payload)),
        Box::new(new.iter().map(|n| n.2.to_string()).collect::<Vec<String>>()),
    ];
    out.push(Stmt {
        sql: EVENTS,
        params,
    });
    for (a, ids, _, at) in new {
        runs(a, ids, at, owner, out);
    }
}

/// A new event's runs, each with its id and its first line in the status history.
fn runs(a: &Accept, ids: &[i64], at: i64, owner: &str, out: &mut Vec<Stmt>) {
    let e = &a.event;
    for (id, r) in ids.iter().zip(&a.runs) {
        let (status, conclusion) = (r.status.as_str(), conclusion_text(r.conclusion));
        let p: Vec<Param> = vec![
            Box::new(*id),
            Box::new(e.id.clone()),
            Box::new(r.workflow_file.clone()),
            Box::new(r.workflow_name.clone()),
            Box::new(status),
            Box::new(conclusion),
            Box::new(at),
            Box::new(owner.to_string()),
            Box::new(crate::run_plan::to_text(&r.why)),
            Box::new(crate::run_plan::to_text(&r.graph)),
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
            Box::new(at),
        ];
        out.push(Stmt {
            sql: CHANGE,
            params: p,
        });
    }
}

/// Runs `stmts` as one pipeline, after `head` and before `tail` (simple statements, such as
/// BEGIN and COMMIT, when given): every statement is sent before the first answer is read
/// (`join_all` polls them in order, and a query is sent when first polled), so the whole
/// costs one round trip. The first error, if any (the server runs nothing after it but a
/// COMMIT, which then rolls back).
pub(super) async fn pipeline<C: GenericClient>(
    t: &C,
    head: Option<&str>,
    stmts: &[Stmt],
    tail: Option<&str>,
) -> Result<(), Error> {
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
    let simple = |sql: &str| -> BoxFuture<'_, Result<(), Error>> {
        let sql = sql.to_string();
        Box::pin(async move { t.batch_execute(&sql).await })
    };
    let mut all: Vec<BoxFuture<'_, Result<(), Error>>> = Vec::with_capacity(stmts.len() + 2);
    all.extend(head.map(simple));
    for (s, p) in prepared.iter().zip(&params) {
        all.push(Box::pin(async move { t.execute(s, p).await.map(drop) }));
    }
    all.extend(tail.map(simple));
    join_all(all)
        .await
        .into_iter()
        .find_map(Result::err)
        .map_or(Ok(()), Err)
}

/// One planned new event, the slow way (in the caller's savepoint): its statements alone.
pub(super) async fn record<C: GenericClient>(t: &C, a: &Accept, owner: &str) -> Result<(), Error> {
    let mut stmts = Vec::new();
    new_events(&[a], owner, &mut stmts);
    pipeline(t, None, &stmts, None).await
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
