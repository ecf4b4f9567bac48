//! The PostgreSQL writer: the same contract as SQLite's (`crate::writer`) — one task owns
//! the writes and commits in groups: every message waiting when a transaction starts goes
//! into it, and answers are sent only after its COMMIT (which PostgreSQL makes durable
//! before answering). It runs on a thread of its own with a one-thread Tokio runtime, so
//! `Store::send` works from sync code and the writer outlives no caller's runtime.
//!
//! A group of changes and accepted events (nothing else) goes the fast way first (`batch`):
//! planned, then sent as one pipeline without savepoints. PostgreSQL gives up a whole
//! transaction at the first failed statement, so when the server refuses any of it the group
//! is rolled back and written again the slow way, as every other group is: each change and
//! request in a savepoint, so one refused change is undone alone and the rest commit. When
//! the server cannot be reached or fails (not the statement), nothing is dropped: changes are
//! held, in order, and written with the next transaction that commits; requests are answered
//! "unavailable"; the writer tries again every [`RETRY`].

use super::apply;
use super::batch::{self, Item};
use super::control;
use super::fence as pg_fence;
use super::lease;
use crate::apply::Ctx;
use crate::error::{is_pg_fault, pg, StoreError};
use crate::fence::{self, Scope, Sent};
use crate::health::Health;
use crate::held::Held;
use crate::write::Accepted;
use crate::write::Msg;
use crate::writer::{Reply, TRANSACTION};
use deadpool_postgres::{Object, Pool, Transaction};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio_postgres::error::SqlState;

struct Writer {
    /// The writer's own connection (a pool of one, so that a lost connection is replaced).
    pool: Pool,
    owner: String,
    held: Held,
}

/// Starts the writer thread; `pool` is its own.
pub fn start(
    pool: Pool,
    rx: mpsc::Receiver<Msg>,
    owner: &str,
    health: Arc<Health>,
) -> Result<(), StoreError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let w = Writer {
        pool,
        owner: owner.to_string(),
        held: Held::new(health),
    };
    std::thread::Builder::new()
        .name("gantry-store-pg".into())
        .spawn(move || rt.block_on(w.run(rx)))?;
    Ok(())
}

/// Runs `work` on `t`, which holds the savepoint `op` (set at [`begin`], set again after
/// every operation). `Ok(Err)`: the operation was refused and undone; `Err`: the server
/// failed (the transaction is lost). One round trip per operation besides its own
/// statements: the savepoint is released and set again in one.
async fn savepoint<T>(
    t: &Transaction<'_>,
    work: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<Result<T, tokio_postgres::Error>, tokio_postgres::Error> {
    match work.await {
        Ok(v) => t
            .batch_execute("RELEASE SAVEPOINT op; SAVEPOINT op")
            .await
            .map(|()| Ok(v)),
        Err(e) if is_pg_fault(&e) => Err(e),
        // The savepoint stays, for the next operation.
        Err(e) => t
            .batch_execute("ROLLBACK TO SAVEPOINT op")
            .await
            .map(|()| Err(e)),
    }
}

/// Runs `$work` (with the transaction as `$t`) in a savepoint unless the transaction
/// failed already. `None`: not run, or the server failed under it (`$fault` says why).
macro_rules! scoped {
    ($tx:expr, $fault:expr, |$t:ident| $work:expr) => {
        match ($fault.is_none(), $tx.as_ref()) {
            (true, Some($t)) => match savepoint($t, $work).await {
                Ok(r) => Some(r),
                Err(e) => {
                    *$fault = Some(pg("write")(e));
                    None
                }
            },
            _ => None,
        }
    };
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<Msg>) {
        loop {
            let (batch, open) = match self.held.retry_at {
                None => collect(&mut rx).await,
                Some(at) => self.hold(&mut rx, at).await,
            };
            if !batch.is_empty() || self.held.retry_at.is_some() {
                self.commit(batch).await;
            }
            if !open {
                self.held.close();
                return;
            }
        }
    }

    /// While down, until `at`: keeps the changes that arrive (up to the bound) and answers
    /// requests "unavailable" at once.
    async fn hold(&mut self, rx: &mut mpsc::Receiver<Msg>, at: Instant) -> (Vec<Msg>, bool) {
        loop {
            if Instant::now() >= at {
                return (Vec::new(), true);
            }
            if self.held.full() {
                tokio::time::sleep_until(at.into()).await;
                return (Vec::new(), true);
            }
            match tokio::time::timeout_at(at.into(), rx.recv()).await {
                Err(_) => return (Vec::new(), true),
                Ok(None) => return (Vec::new(), false),
                Ok(Some(msg)) => self.held.keep(msg),
            }
        }
    }

    /// One transaction: what is held, then `batch`, in order; then every request answered.
    async fn commit(&mut self, batch: Vec<Msg>) {
        let mut replies = Vec::new();
        let result = self.transaction(batch, &mut replies).await;
        let failure = result.as_ref().err().map(ToString::to_string);
        self.held.settle(failure, replies);
    }

    /// The fast way when the group allows it, else one message at a time.
    async fn transaction(
        &mut self,
        batch: Vec<Msg>,
        replies: &mut Vec<Reply>,
    ) -> Result<(), StoreError> {
        match batch::items(batch, &mut self.held.pending) {
            Ok(items) => self.group(items, replies).await,
            Err(batch) => self.one_by_one(batch, replies).await,
        }
    }

    /// A group of changes, accepts and flushes, the fast way; when the server refuses any
    /// of it (not when it fails), rolled back and written again one message at a time.
    async fn group(
        &mut self,
        mut items: Vec<Item>,
        replies: &mut Vec<Reply>,
    ) -> Result<(), StoreError> {
        let Writer { pool, owner, held } = self;
        let mut conn = match pool.get().await {
            Ok(c) => c,
            Err(e) => {
                replies.extend(batch::answers(items));
                return Err(e.into());
            }
        };
        let mut fence = fence::Fence::default();
        let done = fast(&mut conn, &mut items, (&held.pending, &mut fence), owner).await;
        // Log lines went in numbered by the server: the numbers kept here are read again.
        held.seqs.clear();
        let refused = match done {
            Ok(()) => {
                fence.report();
                replies.extend(batch::answers(items));
                return Ok(());
            }
            Err(e) if is_pg_fault(&e) => {
                // The connection may be left inside the transaction: it leaves the pool.
                drop(Object::take(conn));
                replies.extend(batch::answers(items));
                return Err(pg("write")(e));
            }
            Err(e) => e,
        };
        tracing::debug!(error = %refused, "the run store refused part of a group; writing it a message at a time");
        let mut fault: Option<StoreError> = None;
        let tx = begin(&mut conn).await.map_err(|e| fault = Some(e)).ok();
        let Held { seqs, pending, .. } = held;
        let mut cx = Ctx { owner, seqs, fence };
        learn(&tx, &mut fault, &fence::runs(pending.iter()), &mut cx).await;
        for item in items {
            match item {
                Item::Change(i) => change(&tx, &mut fault, &pending[i], &mut cx).await,
                Item::Flush(reply) => replies.push(Reply::Unit(reply, Some(Ok(())))),
                Item::Accept(a) => replies.push(accept_again(&tx, &mut fault, cx.owner, *a).await),
            }
        }
        finish(tx, fault, &cx.fence).await
    }

    /// Every message in its own savepoint.
    async fn one_by_one(
        &mut self,
        batch: Vec<Msg>,
        replies: &mut Vec<Reply>,
    ) -> Result<(), StoreError> {
        let idle = batch.is_empty() && self.held.pending.is_empty();
        let Writer { pool, owner, held } = self;
        let Held { seqs, pending, .. } = held;
        let mut fault: Option<StoreError> = None;
        let mut conn = pool.get().await.map_err(|e| fault = Some(e.into())).ok();
        let mut tx = None;
        if let Some(c) = conn.as_mut() {
            tx = begin(c).await.map_err(|e| fault = Some(e)).ok();
        }
        let fence = fence::Fence::default();
        let mut cx = Ctx { owner, seqs, fence };
        // Which runs of the fenced changes are still this instance's: one statement.
        let runs = fence::runs(pending.iter().chain(fence::changes(&batch)));
        learn(&tx, &mut fault, &runs, &mut cx).await;
        for sent in pending.iter() {
            change(&tx, &mut fault, sent, &mut cx).await;
        }
        for msg in batch {
            let Msg::Write(sent) = msg else {
                let scope = Scope::of(&msg);
                replies.push(request(&tx, &mut fault, cx.owner, msg).await);
                cx.fence.forget(scope, cx.seqs);
                continue;
            };
            change(&tx, &mut fault, &sent, &mut cx).await;
            pending.push(sent);
        }
        if idle {
            if let Some(Err(e)) = scoped!(tx, &mut fault, |t| apply::probe(t, cx.owner)) {
                fault = Some(pg("probe")(e));
            }
        }
        finish(tx, fault, &cx.fence).await
    }
}

/// Commits `tx` unless the server failed under it; then says which fenced changes it dropped.
async fn finish(
    tx: Option<Transaction<'_>>,
    fault: Option<StoreError>,
    fence: &fence::Fence,
) -> Result<(), StoreError> {
    match (tx, fault) {
        (_, Some(e)) => Err(e),
        (Some(tx), None) => {
            let done = tx.commit().await.map_err(pg("commit"));
            done.inspect(|()| fence.report())
        }
        (None, None) => Ok(()),
    }
}

/// The fast way (`batch`): a group whose events bring no runs goes BEGIN (with the
/// writers' lock) to COMMIT in one pipeline; one with runs (or that met an event recorded
/// before) first looks up what is recorded and takes run ids, after BEGIN, in one round
/// trip. A group with fenced changes first asks, after BEGIN, which of their runs are still
/// this instance's (`crate::fence`: one statement) and leaves out the changes of attempts
/// that are not. On an error, rolled back, and the error (the rollback's own when it fails:
/// the server failed, see [`Writer::group`]).
async fn fast(
    conn: &mut Object,
    items: &mut Vec<Item>,
    (pending, fence): (&[Sent], &mut fence::Fence),
    owner: &str,
) -> Result<(), tokio_postgres::Error> {
    let begin = format!("BEGIN; SELECT pg_advisory_xact_lock({WRITERS})");
    let c: &Object = conn;
    let n = batch::runs_wanted(items);
    let fenced = fence::runs(pending.iter());
    let mut look = n > 0;
    loop {
        let r = async {
            let mut head = Some(begin.as_str());
            if !fenced.is_empty() {
                c.batch_execute(&begin).await?;
                head = None;
                pg_fence::load(c, owner, &fenced, fence).await?;
                items.retain(|i| match i {
                    Item::Change(k) => fence.keep(&pending[*k]),
                    _ => true,
                });
            }
            if look {
                let (before, fresh) = batch::look(c, head.take(), items, n).await?;
                batch::decide(items, &before, fresh);
            } else {
                batch::decide(items, &HashMap::new(), Vec::new());
            }
            let stmts = batch::statements(items, pending, owner);
            batch::pipeline(c, head, &stmts, Some("COMMIT")).await
        }
        .await;
        let Err(e) = r else { return Ok(()) };
        // After the pipeline's COMMIT there is nothing left to roll back (a warning only).
        c.batch_execute("ROLLBACK").await?;
        if look || e.code() != Some(&SqlState::UNIQUE_VIOLATION) {
            return Err(e);
        }
        // Most likely a redelivery: look up what is recorded, and try once more.
        look = true;
    }
}

/// An accept of a group the fast way could not write, written again: as planned there
/// (the same run ids and stored answer), or as any accept when it had no plan.
async fn accept_again(
    tx: &Option<Transaction<'_>>,
    fault: &mut Option<StoreError>,
    owner: &str,
    a: batch::Accept,
) -> Reply {
    if let Some(respond) = a.respond {
        let (event, runs, reply) = (a.event, a.runs, a.reply);
        let msg = Msg::Accept {
            event,
            runs,
            respond,
            reply,
        };
        return request(tx, fault, owner, msg).await;
    }
    let id = a.event.id.clone();
    let r = match batch::answer(&a) {
        Some(done) if matches!(a.plan, batch::Plan::New { .. }) => {
            scoped!(tx, fault, |t| async {
                batch::record(t, &a, owner).await.map(|()| done)
            })
        }
        done => done.map(Ok),
    };
    Reply::Accepted(a.reply, recorded_instead(tx, fault, &id, r).await)
}

/// An accept's result; when the event's insert met the same event recorded by another
/// instance meanwhile (its COMMIT came first), what it recorded is the answer, as for any
/// redelivery.
async fn recorded_instead(
    tx: &Option<Transaction<'_>>,
    fault: &mut Option<StoreError>,
    id: &str,
    mut r: Option<Result<Accepted, tokio_postgres::Error>>,
) -> Option<Result<Accepted, StoreError>> {
    if let Some(Err(e)) = &r {
        if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
            if let Some(Ok(Some(before))) = scoped!(tx, fault, |t| apply::recorded(t, id)) {
                r = Some(Ok(before));
            }
        }
    }
    r.map(|r| r.map_err(pg("record event")))
}

/// Any number, the same for every instance: the lock each writer's transaction takes first.
pub(crate) const WRITERS: i64 = 0x6761_6e74_7277;

/// Begins a writer's transaction, taking the writers' lock first: instances sharing the
/// store write one at a time, as SQLite's `BEGIN IMMEDIATE` makes them. Without it two
/// writers' groups inserting the same events in different orders deadlock (seen with two
/// instances given the same 100 deliveries at once), and PostgreSQL gives one group up.
/// Then sets the savepoint the first operation runs in (see [`savepoint`]).
async fn begin(c: &mut deadpool_postgres::Object) -> Result<Transaction<'_>, StoreError> {
    let tx = c.transaction().await.map_err(pg("begin"))?;
    let lock = format!("SELECT pg_advisory_xact_lock({WRITERS}); SAVEPOINT op");
    tx.batch_execute(&lock)
        .await
        .map_err(pg("take the writers' lock"))?;
    Ok(tx)
}

/// Takes the first message (waiting for it) and whatever else waits; false when every
/// handle is gone.
async fn collect(rx: &mut mpsc::Receiver<Msg>) -> (Vec<Msg>, bool) {
    let Some(first) = rx.recv().await else {
        return (Vec::new(), false);
    };
    let mut batch = vec![first];
    while batch.len() < TRANSACTION {
        match rx.try_recv() {
            Ok(m) => batch.push(m),
            Err(_) => break,
        }
    }
    (batch, true)
}

/// Asks, in one statement, which of `runs` are still this instance's (`crate::fence`),
/// unless the transaction failed already; a failure is the server's (tried again).
async fn learn(
    tx: &Option<Transaction<'_>>,
    fault: &mut Option<StoreError>,
    runs: &[i64],
    cx: &mut Ctx<'_>,
) {
    let (Some(t), None, false) = (tx.as_ref(), fault.as_ref(), runs.is_empty()) else {
        return;
    };
    if let Err(e) = pg_fence::load(t, cx.owner, runs, &mut cx.fence).await {
        *fault = Some(pg("check which runs are still this instance's")(e));
    }
}

/// Applies a change, unless its attempt is no longer this instance's (dropped, see
/// `crate::fence`); a refused one is said and dropped.
async fn change(
    tx: &Option<Transaction<'_>>,
    fault: &mut Option<StoreError>,
    sent: &Sent,
    cx: &mut Ctx<'_>,
) {
    if cx.fence.verdict(sent).is_none() {
        learn(tx, fault, &[sent.op.run()], cx).await;
    }
    if !cx.admits(sent) {
        return;
    }
    let op = &sent.op;
    if let Some(Err(e)) = scoped!(tx, fault, |t| apply::write(t, op, cx)) {
        tracing::error!(run = op.run(), error = %e, "the run store refused a change; it is dropped");
    }
}

/// A request in the transaction, and its answer to send after it.
async fn request(
    tx: &Option<Transaction<'_>>,
    fault: &mut Option<StoreError>,
    owner: &str,
    msg: Msg,
) -> Reply {
    match msg {
        Msg::Accept {
            event,
            runs,
            respond,
            reply,
        } => {
            let id = event.id.clone();
            let r = scoped!(tx, fault, |t| apply::accept(t, owner, event, runs, respond));
            Reply::Accepted(reply, recorded_instead(tx, fault, &id, r).await)
        }
        Msg::Requeue { run, reply } => {
            let r = scoped!(tx, fault, |t| apply::requeue(t, owner, run));
            Reply::Unit(reply, r.map(|r| r.map_err(pg("requeue run"))))
        }
        Msg::Claim {
            run,
            lease,
            attempt,
            reply,
        } => {
            let r = scoped!(tx, fault, |t| apply::claim(t, owner, run, (lease, attempt)));
            Reply::Claimed(reply, r.map(|r| r.map_err(pg("claim run"))))
        }
        Msg::Recover {
            run,
            attempt,
            reply,
        } => {
            let r = scoped!(tx, fault, |t| pg_fence::requeue_own(t, owner, run, attempt));
            Reply::Claimed(reply, r.map(|r| r.map_err(pg("requeue run"))))
        }
        Msg::Renew { runs, until, reply } => {
            let r = scoped!(tx, fault, |t| lease::renew(t, owner, &runs, until));
            Reply::Renewed(reply, r.map(|r| r.map_err(pg("renew leases"))))
        }
        Msg::TakeOver { spec, reply } => {
            let r = scoped!(tx, fault, |t| lease::take_over(t, owner, &spec));
            Reply::Taken(reply, r.map(|r| r.map_err(pg("take over runs"))))
        }
        Msg::Control { req, reply } => {
            let r = scoped!(tx, fault, |t| control::apply(t, owner, &req));
            Reply::Controlled(reply, r.map(|r| r.map_err(pg("control a run"))))
        }
        Msg::Flush(reply) => Reply::Unit(reply, Some(Ok(()))),
        Msg::Write(_) => unreachable!("changes are applied by the transaction itself"),
    }
}
