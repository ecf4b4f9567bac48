//! The store's handle: what can be written, and how it reaches the writer thread (`writer`
//! for SQLite, `pg::writer` for PostgreSQL: the same messages either way), and where readers
//! come from. The channel to the writer is bounded, so whoever produces writes
//! faster than the store commits them (a container printing without pause) waits for room
//! instead of growing memory; a request that needs an answer (accepting an event,
//! requeueing a run, a flush) waits for the commit that holds it, so "accepted" always
//! means "on disk".

use super::config::{redact, StoreConfig};
use super::error::StoreError;
use super::fence::Sent;
use super::health::Health;
use super::lease::{self, Attempt, TakeOver, Taken, DEFAULT_LEASE};
use super::read::Reader;
use super::schema;
use super::status::Status;
use super::writer;
use gantry_engine::Conclusion;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::sync::oneshot;

/// Messages waiting for the writer at most: with lines of up to 1 MiB this bounds memory.
/// It holds a whole Kafka batch (2,000 messages accepted at once), so the batch goes into
/// one transaction and one fsync: with 1,024, each batch took two (scripts/bench-kafka.sh
/// with 30,000 messages: ~9,100 messages/s with 1,024, ~11,300 with 4,096).
const CHANNEL: usize = 4096;

pub struct NewEvent {
    pub id: String,
    pub source: String,
    pub name: String,
    pub payload: String,
}

pub struct NewRun {
    pub workflow_file: String,
    pub workflow_name: String,
    /// [`Status::Queued`], or [`Status::Completed`] with a conclusion for runs decided at
    /// once (all their jobs skipped).
    pub status: Status,
    pub conclusion: Option<Conclusion>,
    /// Why the workflow matched (the plan's reasons), shown on the run page.
    pub why: Vec<String>,
    /// The plan's jobs, for the run page's graph.
    pub graph: Vec<super::run_plan::PlannedJob>,
}

/// What accepting an event recorded (or found recorded before).
#[derive(Clone, Debug)]
pub struct Accepted {
    pub event_id: String,
    pub run_ids: Vec<i64>,
    /// The event was recorded before: nothing new was created.
    pub duplicate: bool,
    /// The answer given the first time.
    pub response: String,
}

pub type Respond = Box<dyn FnOnce(&[i64]) -> String + Send>;

/// A change recorded without waiting for its commit: a run's, job's or step's status, or a
/// log line. Once [`Store::send`] took it, it is committed — when the store cannot write,
/// the writer keeps it and commits it with the first transaction that succeeds.
#[derive(Clone, Debug)]
pub enum Op {
    Run {
        run: i64,
        status: Status,
        conclusion: Option<Conclusion>,
        reason: Option<String>,
        at: i64,
    },
    Job {
        run: i64,
        key: String,
        name: String,
        status: super::status::Progress,
        conclusion: Option<Conclusion>,
        reason: Option<String>,
        at: i64,
    },
    Step {
        run: i64,
        job: String,
        step: String,
        name: String,
        status: super::status::Progress,
        outcome: Option<Conclusion>,
        conclusion: Option<Conclusion>,
        reason: Option<String>,
        at: i64,
    },
    Log {
        run: i64,
        job: String,
        step: Option<String>,
        stream: String,
        line: String,
        at: i64,
    },
    /// A job's result and (masked) outputs at the run's current attempt, once the run
    /// ended, for a later "re-run failed jobs" to keep (see `crate::carry`).
    JobResult {
        run: i64,
        key: String,
        conclusion: Conclusion,
        outputs: std::collections::BTreeMap<String, String>,
        /// The attempt it was kept from; `None`: executed in this one.
        kept_from: Option<i64>,
    },
}

impl Op {
    pub fn run(&self) -> i64 {
        match self {
            Op::Run { run, .. }
            | Op::Job { run, .. }
            | Op::Step { run, .. }
            | Op::Log { run, .. }
            | Op::JobResult { run, .. } => *run,
        }
    }
}

/// What goes to the writer: a change, or a request answered after its commit.
pub enum Msg {
    Write(Sent),
    Accept {
        event: NewEvent,
        runs: Vec<NewRun>,
        /// Builds the stored answer from the run ids the insert produced.
        respond: Respond,
        reply: oneshot::Sender<Result<Accepted, StoreError>>,
    },
    /// A new attempt of an existing run (rerun, or recovery after a crash).
    Requeue {
        run: i64,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    /// Takes a queued run (any instance's) for this instance to execute, with a lease of
    /// `lease` ms: true when it was queued (it is in progress now), false when it is not
    /// queued any more (run, or taken, already). Decided in the writer, after every change
    /// sent before, so a run handed to the scheduler twice (by its request and by a sweep,
    /// or to two instances) starts once.
    /// With `attempt`, only while the run is at that attempt (the one the scheduler read).
    Claim {
        run: i64,
        lease: i64,
        attempt: Option<i64>,
        reply: oneshot::Sender<Result<bool, StoreError>>,
    },
    /// Extends to `until` the leases this instance holds on `runs`; the ones it did not
    /// extend (taken over by another instance, or ended).
    Renew {
        runs: Vec<Attempt>,
        until: i64,
        reply: oneshot::Sender<Result<Vec<Attempt>, StoreError>>,
    },
    /// Queues this instance's run `run` again as its next attempt (after a crash, or with
    /// its container runtime lost) only while it is in progress here at `attempt`: false
    /// when another instance took it over first (see `crate::fence`).
    Recover {
        run: i64,
        attempt: i64,
        reply: oneshot::Sender<Result<bool, StoreError>>,
    },
    /// Takes over the runs whose lease expired (see [`crate::lease`]).
    TakeOver {
        spec: TakeOver,
        reply: oneshot::Sender<Result<Vec<Taken>, StoreError>>,
    },
    /// A control of a run (cancel, rerun, concurrency groups; see [`crate::control`]),
    /// decided in the writer's transaction so that instances asking at once never both win.
    Control {
        req: super::control::Request,
        reply: oneshot::Sender<Result<super::control::Answer, StoreError>>,
    },
    /// Answers once everything sent before is committed.
    Flush(oneshot::Sender<Result<(), StoreError>>),
}

/// The handle: cheap to clone, shared by ingress, scheduler and API.
#[derive(Clone)]
pub struct Store {
    tx: mpsc::Sender<Msg>,
    readers: Readers,
    health: Arc<Health>,
    /// How long a claim or a renewal holds a run ([`DEFAULT_LEASE`] unless told).
    lease: Duration,
}

/// Where readers come from: the SQLite file (a connection each), or PostgreSQL's pool.
#[derive(Clone)]
enum Readers {
    Sqlite(PathBuf),
    Postgres(deadpool_postgres::Pool),
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Store {
    /// Opens (creating) `dir/gantry.db` and starts the writer thread.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Self::open_as(dir, "")
    }

    /// Opens the store for instance `owner`: runs it records or re-queues are its own.
    pub fn open_as(dir: &Path, owner: &str) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("gantry.db");
        let conn = schema::open(&path)?;
        schema::create(&conn)?;
        let (tx, rx) = mpsc::channel(CHANNEL);
        let health = Arc::new(Health::default());
        writer::start(conn, rx, owner, health.clone())?;
        let readers = Readers::Sqlite(path);
        Ok(Store {
            tx,
            readers,
            health,
            lease: DEFAULT_LEASE,
        })
    }

    /// Opens the store `[store]` names for instance `owner`: PostgreSQL when it has a
    /// `url` (migrating its schema first), else SQLite in `data_dir`.
    pub async fn connect(
        cfg: &StoreConfig,
        data_dir: &Path,
        owner: &str,
    ) -> Result<Store, StoreError> {
        let lease = cfg.lease();
        let Some(pg) = cfg.postgres()? else {
            return Ok(Self::open_as(data_dir, owner)?.with_lease(lease));
        };
        if let Some(url) = &cfg.url {
            tracing::info!(url = %redact(url), "run store: PostgreSQL");
        }
        let (tx, rx) = mpsc::channel(CHANNEL);
        let health = Arc::new(Health::default());
        let pool = super::pg::open(&pg, rx, owner, health.clone()).await?;
        Ok(Store {
            tx,
            readers: Readers::Postgres(pool),
            health,
            lease,
        })
    }

    /// The same store with leases of `lease` (tests: short ones, to see them expire).
    pub fn with_lease(mut self, lease: Duration) -> Store {
        self.lease = lease;
        self
    }

    /// How long a claim or a renewal holds a run: a heartbeat renews well within it.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// The SQLite file, when the store is SQLite.
    pub fn path(&self) -> Option<&Path> {
        match &self.readers {
            Readers::Sqlite(path) => Some(path),
            Readers::Postgres(_) => None,
        }
    }

    /// A connection for reading: SQLite's run beside the writer (thanks to WAL),
    /// PostgreSQL's come from a pool.
    pub async fn reader(&self) -> Result<Reader, StoreError> {
        match &self.readers {
            Readers::Sqlite(path) => Ok(Reader::Sqlite(Mutex::new(schema::open(path)?))),
            Readers::Postgres(pool) => Ok(Reader::Postgres(pool.get().await?)),
        }
    }

    /// False from the first write the store could not commit for a reason of its own (a
    /// full disk...) until a later one, or the writer's periodic probe, commits again.
    pub fn writable(&self) -> bool {
        self.health.writable() && !self.tx.is_closed()
    }

    /// Why the store cannot write (SQLite's words, no path), while it cannot.
    pub fn unavailable_cause(&self) -> Option<String> {
        if self.tx.is_closed() {
            return Some(StoreError::Closed.to_string());
        }
        self.health.cause()
    }

    /// Changes the writer holds because the store could not write them yet.
    pub fn held_changes(&self) -> usize {
        self.health.held()
    }

    /// Hands a change to the writer, waiting for room when it is behind (back-pressure on
    /// whoever produces changes; a Tokio worker lends its thread to other tasks meanwhile).
    /// An error means the writer has stopped: the change is not recorded.
    pub fn send(&self, op: Op) -> Result<(), StoreError> {
        self.send_sent(Sent { op, attempt: None })
    }

    /// As [`Store::send`], for a change of the run's attempt `attempt` that this instance
    /// executes: it is written only while that attempt is still this instance's, and
    /// dropped once another instance took the run over (see `crate::fence`).
    pub fn send_fenced(&self, op: Op, attempt: i64) -> Result<(), StoreError> {
        let attempt = Some(attempt);
        self.send_sent(Sent { op, attempt })
    }

    fn send_sent(&self, sent: Sent) -> Result<(), StoreError> {
        let msg = match self.tx.try_send(Msg::Write(sent)) {
            Ok(()) => return Ok(()),
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(StoreError::Closed),
            Err(mpsc::error::TrySendError::Full(msg)) => msg,
        };
        let wait = || park_on(self.tx.send(msg)).map_err(|_| StoreError::Closed);
        match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(wait),
            _ => wait(),
        }
    }

    /// Hands a message to the writer from async code, waiting for room without a thread.
    pub(crate) async fn push(&self, msg: Msg) -> Result<(), StoreError> {
        self.tx.send(msg).await.map_err(|_| StoreError::Closed)
    }

    /// Records an event and its runs durably, or returns what was recorded for it before.
    pub async fn accept(
        &self,
        event: NewEvent,
        runs: Vec<NewRun>,
        respond: impl FnOnce(&[i64]) -> String + Send + 'static,
    ) -> Result<Accepted, StoreError> {
        self.submit_accept(event, runs, respond).await?.wait().await
    }

    /// Hands an accept to the writer and returns where its answer will come. A Kafka batch
    /// submits all its messages, then waits for their answers: one transaction for them all
    /// without a future per message held at once (4,096 of those, each several KB, cost
    /// ~20% of `bench-kafka`'s throughput in allocation and copying).
    pub async fn submit_accept(
        &self,
        event: NewEvent,
        runs: Vec<NewRun>,
        respond: impl FnOnce(&[i64]) -> String + Send + 'static,
    ) -> Result<Answer<Accepted>, StoreError> {
        let (reply, rx) = oneshot::channel();
        let respond = Box::new(respond);
        self.push(Msg::Accept {
            event,
            runs,
            respond,
            reply,
        })
        .await?;
        Ok(Answer(rx))
    }

    /// See [`Msg::Claim`].
    pub async fn claim(&self, run: i64) -> Result<bool, StoreError> {
        self.claim_at(run, None).await
    }

    /// Claims `run` only while it is queued at attempt `attempt` (see [`Msg::Claim`]).
    pub async fn claim_attempt(&self, run: i64, attempt: i64) -> Result<bool, StoreError> {
        self.claim_at(run, Some(attempt)).await
    }

    async fn claim_at(&self, run: i64, attempt: Option<i64>) -> Result<bool, StoreError> {
        let (reply, rx) = oneshot::channel();
        let lease = lease::millis(self.lease);
        let msg = Msg::Claim {
            run,
            lease,
            attempt,
            reply,
        };
        self.push(msg).await?;
        Answer(rx).wait().await
    }

    /// Extends, in one statement, the leases this instance holds on `runs` (the attempts it
    /// executes) to a lease from now; the ones it did not extend, which are no longer this
    /// instance's (taken over by another instance, or ended): their execution must stop.
    pub async fn renew(&self, runs: Vec<Attempt>) -> Result<Vec<Attempt>, StoreError> {
        let (reply, rx) = oneshot::channel();
        let until = now_ms().saturating_add(lease::millis(self.lease));
        self.push(Msg::Renew { runs, until, reply }).await?;
        Answer(rx).wait().await
    }

    /// Takes over, for this instance, every run in progress whose lease expired before
    /// `spec.now` (whoever held it): each is queued again as its next attempt, or concluded
    /// past `spec.max_attempts`, in one transaction, so that of instances racing each
    /// takes a run once at most.
    pub async fn take_over(&self, spec: TakeOver) -> Result<Vec<Taken>, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.push(Msg::TakeOver { spec, reply }).await?;
        Answer(rx).wait().await
    }

    /// See [`Msg::Recover`].
    pub async fn requeue_own(&self, run: i64, attempt: i64) -> Result<bool, StoreError> {
        let (reply, rx) = oneshot::channel();
        let msg = Msg::Recover {
            run,
            attempt,
            reply,
        };
        self.push(msg).await?;
        Answer(rx).wait().await
    }

    pub async fn requeue(&self, run: i64) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.push(Msg::Requeue { run, reply }).await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Waits until everything sent before is committed; an error when the store cannot
    /// write now (what was sent stays with the writer, committed when it can).
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.push(Msg::Flush(reply)).await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

/// The writer's answer to a request, once its transaction is committed (or given up).
pub struct Answer<T>(pub(crate) oneshot::Receiver<Result<T, StoreError>>);

impl<T> Answer<T> {
    pub async fn wait(self) -> Result<T, StoreError> {
        self.0.await.map_err(|_| StoreError::Closed)?
    }
}

/// Wakes a thread parked in [`park_on`].
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future to completion on this thread, parking it between polls. Unlike Tokio's
/// `blocking_send`, it may be called where a runtime is entered (the reporter is called
/// from async code through a sync trait); the caller has lent its thread first.
fn park_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
