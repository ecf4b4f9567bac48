//! The writer thread: one connection, group commit. Every message waiting when a
//! transaction starts goes into it; answers are sent only after the commit (and its fsync).
//!
//! No write is dropped when the store cannot write (a full disk, an I/O error): the
//! transaction's changes stay with the writer, in order, and go into the next transaction;
//! requests in it are answered "unavailable" (their callers answer 503 or retry). The
//! store is then down ([`Health`]) until a transaction commits: the writer tries again every
//! [`RETRY`], with what it holds or with a probe write, so recovery needs no outside help.
//! While down it takes more changes only up to a bound, so memory stays bounded and
//! whoever sends them waits.

use super::apply::{self, Ctx};
use super::control;
use super::control_apply;
use super::error::{is_store_fault, StoreError};
use super::fence::{self, Scope, Sent};
use super::fence_apply;
use super::health::Health;
use super::held::Held;
use super::lease::{Attempt, Taken};
use super::lease_apply;
use super::write::{Accepted, Msg, Op};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};

/// Changes held at most while the store is down.
pub(crate) const BATCH: usize = 1024;
/// Messages in one transaction at most (one fsync for all of them: group commit).
pub(crate) const TRANSACTION: usize = 4096;
/// How long the store stays down before the writer tries again.
pub const RETRY: Duration = Duration::from_secs(1);

struct Writer {
    conn: Connection,
    /// The instance recording runs (several instances of a group may share one store).
    owner: String,
    /// The sequence numbers, changes not written yet and health.
    held: Held,
}

/// An answer, sent once the transaction's fate is known. `None`: the request was not
/// tried (the transaction had failed before it).
pub(crate) enum Reply {
    Accepted(
        oneshot::Sender<Result<Accepted, StoreError>>,
        Option<Result<Accepted, StoreError>>,
    ),
    Unit(
        oneshot::Sender<Result<(), StoreError>>,
        Option<Result<(), StoreError>>,
    ),
    /// A yes or no: a claim, a requeue of this instance's own attempt.
    Claimed(
        oneshot::Sender<Result<bool, StoreError>>,
        Option<Result<bool, StoreError>>,
    ),
    Renewed(
        oneshot::Sender<Result<Vec<Attempt>, StoreError>>,
        Option<Result<Vec<Attempt>, StoreError>>,
    ),
    Taken(
        oneshot::Sender<Result<Vec<Taken>, StoreError>>,
        Option<Result<Vec<Taken>, StoreError>>,
    ),
    Controlled(
        oneshot::Sender<Result<control::Answer, StoreError>>,
        Option<Result<control::Answer, StoreError>>,
    ),
}

/// Starts the writer thread on `conn`.
pub fn start(
    conn: Connection,
    rx: mpsc::Receiver<Msg>,
    owner: &str,
    health: Arc<Health>,
) -> Result<(), StoreError> {
    // Only to wait for a message with a deadline while the store is down.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let w = Writer {
        conn,
        owner: owner.to_string(),
        held: Held::new(health),
    };
    std::thread::Builder::new()
        .name("gantry-store".into())
        .spawn(move || w.run(rx, &rt))?;
    Ok(())
}

impl Writer {
    fn run(mut self, mut rx: mpsc::Receiver<Msg>, rt: &Runtime) {
        loop {
            let (batch, open) = match self.held.retry_at {
                None => collect(&mut rx, rt),
                Some(at) => self.hold(&mut rx, rt, at),
            };
            if !batch.is_empty() || self.held.retry_at.is_some() {
                self.commit(batch);
            }
            if !open {
                self.held.close();
                return;
            }
        }
    }

    /// While down, until `at`: keeps the changes that arrive (up to the bound; then no more
    /// are taken and their senders wait) and answers requests "unavailable" at once.
    fn hold(
        &mut self,
        rx: &mut mpsc::Receiver<Msg>,
        rt: &Runtime,
        at: Instant,
    ) -> (Vec<Msg>, bool) {
        loop {
            let now = Instant::now();
            if now >= at {
                return (Vec::new(), true);
            }
            if self.held.full() {
                std::thread::sleep(at - now);
                return (Vec::new(), true);
            }
            let next = async { tokio::time::timeout_at(at.into(), rx.recv()).await };
            match rt.block_on(next) {
                Err(_) => return (Vec::new(), true),
                Ok(None) => return (Vec::new(), false),
                Ok(Some(msg)) => self.held.keep(msg),
            }
        }
    }

    /// One transaction: what is held, then `batch`, in order. Afterwards the store is up or
    /// down, and every request is answered.
    fn commit(&mut self, batch: Vec<Msg>) {
        let mut replies = Vec::new();
        let result = self.transaction(batch, &mut replies);
        let failure = result.as_ref().err().map(ToString::to_string);
        self.held.settle(failure, replies);
    }

    fn transaction(&mut self, batch: Vec<Msg>, replies: &mut Vec<Reply>) -> rusqlite::Result<()> {
        let idle = batch.is_empty() && self.held.pending.is_empty();
        let Writer { conn, owner, held } = self;
        let Held { seqs, pending, .. } = held;
        let mut fault = None;
        // IMMEDIATE: the write lock is taken at BEGIN, where the busy timeout waits for
        // another instance sharing the store. A deferred transaction reads first and
        // upgrades at its first write; if another instance committed in between, SQLite
        // answers "database is locked" at once, without waiting (199 of 400 accepts failed
        // so with two instances in `two_instances_sharing_a_store_both_record_every_event`).
        let mut tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| fault = Some(e))
            .ok();
        let fence = fence::Fence::default();
        let mut cx = Ctx { owner, seqs, fence };
        // Which runs of the fenced changes are still this instance's: one statement.
        let runs = fence::runs(pending.iter().chain(fence::changes(&batch)));
        learn(&mut tx, &mut fault, &runs, &mut cx);
        for sent in pending.iter() {
            change(&mut tx, &mut fault, sent, &mut cx);
        }
        for msg in batch {
            let Msg::Write(sent) = msg else {
                let scope = Scope::of(&msg);
                replies.push(request(&mut tx, &mut fault, cx.owner, msg));
                cx.fence.forget(scope, cx.seqs);
                continue;
            };
            change(&mut tx, &mut fault, &sent, &mut cx);
            pending.push(sent);
        }
        if idle {
            if let Some(Err(e)) = attempt(&mut tx, &mut fault, |c| apply::probe(c, cx.owner)) {
                fault = Some(e);
            }
        }
        match (tx, fault) {
            (_, Some(e)) => Err(e),
            (Some(tx), None) => tx.commit().inspect(|()| cx.fence.report()),
            (None, None) => Ok(()),
        }
    }
}

/// Takes the first message (waiting for it) and whatever else waits, up to [`BATCH`];
/// false when every handle is gone.
fn collect(rx: &mut mpsc::Receiver<Msg>, rt: &Runtime) -> (Vec<Msg>, bool) {
    let Some(first) = rt.block_on(rx.recv()) else {
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

/// Runs `f` in its own savepoint, unless the transaction failed already. `None`: not run,
/// or the store failed under it (`fault` says why; the whole transaction is given up).
/// `Some(Err)`: the operation itself was refused and undone; the rest goes on.
fn attempt<T>(
    tx: &mut Option<Transaction<'_>>,
    fault: &mut Option<rusqlite::Error>,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> Option<rusqlite::Result<T>> {
    attempt_in(tx, fault, true, f)
}

/// As [`attempt`]; without a savepoint when `scoped` is false, for an operation of one
/// statement (SQLite undoes a failed statement by itself): a log line, the bulk of writes.
fn attempt_in<T>(
    tx: &mut Option<Transaction<'_>>,
    fault: &mut Option<rusqlite::Error>,
    scoped: bool,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> Option<rusqlite::Result<T>> {
    if fault.is_some() {
        return None;
    }
    let t = tx.as_mut()?;
    let outcome = if scoped {
        in_savepoint(t, f)
    } else {
        match f(t) {
            Err(e) if is_store_fault(&e) => Err(e),
            r => Ok(r),
        }
    };
    outcome.map_err(|e| *fault = Some(e)).ok()
}

/// Runs `f` in a savepoint made with cached statements (rusqlite's `Transaction::savepoint`
/// parses `SAVEPOINT`/`RELEASE` anew each time). Accepts, the bulk of writes under load,
/// do without one (see `apply::accept`).
/// `Ok(Err)`: `f` was refused and undone; `Err`: the store failed (the transaction is lost).
fn in_savepoint<T>(
    c: &Connection,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<rusqlite::Result<T>> {
    let run = |sql: &str| c.prepare_cached(sql)?.execute([]).map(drop);
    run("SAVEPOINT op")?;
    match f(c) {
        Ok(v) => run("RELEASE op").map(|()| Ok(v)),
        Err(e) if is_store_fault(&e) => Err(e),
        Err(e) => {
            run("ROLLBACK TO op")?;
            run("RELEASE op").map(|()| Err(e))
        }
    }
}

/// Asks which of `runs` are still this instance's (`crate::fence`); a failure is the
/// store's (the transaction is tried again).
fn learn(
    tx: &mut Option<Transaction<'_>>,
    fault: &mut Option<rusqlite::Error>,
    runs: &[i64],
    cx: &mut Ctx<'_>,
) {
    let (owner, fence) = (cx.owner, &mut cx.fence);
    let asked = attempt_in(tx, fault, false, |c| {
        fence_apply::load(c, owner, runs, fence)
    });
    if let Some(Err(e)) = asked {
        *fault = Some(e);
    }
}

/// Applies a change, unless its attempt is no longer this instance's (dropped, see
/// `crate::fence`); a refused one is said and dropped.
fn change(
    tx: &mut Option<Transaction<'_>>,
    fault: &mut Option<rusqlite::Error>,
    sent: &Sent,
    cx: &mut Ctx<'_>,
) {
    if cx.fence.verdict(sent).is_none() {
        learn(tx, fault, &[sent.op.run()], cx);
    }
    if !cx.admits(sent) {
        return;
    }
    let op = &sent.op;
    let one_statement = matches!(op, Op::Log { .. });
    if let Some(Err(e)) = attempt_in(tx, fault, !one_statement, |c| apply::write(c, op, cx)) {
        rejected(op, &e);
    }
}

/// A request in the transaction, and its answer to send after it.
fn request(
    tx: &mut Option<Transaction<'_>>,
    fault: &mut Option<rusqlite::Error>,
    owner: &str,
    msg: Msg,
) -> Reply {
    let named = |what| move |e| StoreError::Sqlite { what, source: e };
    match msg {
        Msg::Accept {
            event,
            runs,
            respond,
            reply,
        } => {
            // Unscoped: a refused accept undoes itself (see `apply::accept`).
            let r = attempt_in(tx, fault, false, |c| {
                apply::accept(c, owner, event, runs, respond)
            });
            Reply::Accepted(reply, r.map(|r| r.map_err(named("record event"))))
        }
        Msg::Requeue { run, reply } => {
            let r = attempt(tx, fault, |c| apply::requeue(c, owner, run));
            Reply::Unit(reply, r.map(|r| r.map_err(named("requeue run"))))
        }
        Msg::Claim {
            run,
            lease,
            attempt: at,
            reply,
        } => {
            let r = attempt(tx, fault, |c| apply::claim(c, owner, run, (lease, at)));
            Reply::Claimed(reply, r.map(|r| r.map_err(named("claim run"))))
        }
        Msg::Recover {
            run,
            attempt: at,
            reply,
        } => {
            let r = attempt(tx, fault, |c| fence_apply::requeue_own(c, owner, run, at));
            Reply::Claimed(reply, r.map(|r| r.map_err(named("requeue run"))))
        }
        Msg::Renew { runs, until, reply } => {
            let r = attempt(tx, fault, |c| lease_apply::renew(c, owner, &runs, until));
            Reply::Renewed(reply, r.map(|r| r.map_err(named("renew leases"))))
        }
        Msg::TakeOver { spec, reply } => {
            let r = attempt(tx, fault, |c| lease_apply::take_over(c, owner, &spec));
            Reply::Taken(reply, r.map(|r| r.map_err(named("take over runs"))))
        }
        Msg::Control { req, reply } => {
            let r = attempt(tx, fault, |c| control_apply::apply(c, owner, &req));
            Reply::Controlled(reply, r.map(|r| r.map_err(named("control a run"))))
        }
        Msg::Flush(reply) => Reply::Unit(reply, Some(Ok(()))),
        Msg::Write(_) => unreachable!("changes are applied by the transaction itself"),
    }
}

/// A request that is not tried (the store is down).
pub(crate) fn refuse(msg: Msg) -> Reply {
    match msg {
        Msg::Accept { reply, .. } => Reply::Accepted(reply, None),
        Msg::Requeue { reply, .. } | Msg::Flush(reply) => Reply::Unit(reply, None),
        Msg::Claim { reply, .. } | Msg::Recover { reply, .. } => Reply::Claimed(reply, None),
        Msg::Renew { reply, .. } => Reply::Renewed(reply, None),
        Msg::TakeOver { reply, .. } => Reply::Taken(reply, None),
        Msg::Control { reply, .. } => Reply::Controlled(reply, None),
        Msg::Write(_) => unreachable!("changes are held, not refused"),
    }
}

/// A change SQLite refuses for what it is (not for the store's state): it can never be
/// written, and is dropped, loudly.
fn rejected(op: &Op, e: &rusqlite::Error) {
    tracing::error!(run = op.run(), error = %e, "the run store refused a change; it is dropped");
}

impl Reply {
    /// Sends the answer; `failure`: the transaction was not committed, and why.
    pub(crate) fn send(self, failure: Option<&str>) {
        let delivered = match self {
            Reply::Accepted(tx, r) => tx.send(settle(r, failure)).is_ok(),
            Reply::Unit(tx, r) => tx.send(settle(r, failure)).is_ok(),
            Reply::Claimed(tx, r) => tx.send(settle(r, failure)).is_ok(),
            Reply::Renewed(tx, r) => tx.send(settle(r, failure)).is_ok(),
            Reply::Taken(tx, r) => tx.send(settle(r, failure)).is_ok(),
            Reply::Controlled(tx, r) => tx.send(settle(r, failure)).is_ok(),
        };
        if !delivered {
            tracing::debug!("a run store request's caller stopped waiting for its answer");
        }
    }
}

fn settle<T>(r: Option<Result<T, StoreError>>, failure: Option<&str>) -> Result<T, StoreError> {
    match (r, failure) {
        (Some(Err(e)), _) => Err(e),
        (Some(Ok(v)), None) => Ok(v),
        (_, cause) => Err(StoreError::Unavailable {
            cause: cause.unwrap_or("the store is down").to_string(),
        }),
    }
}
