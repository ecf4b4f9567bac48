//! The writer: one thread, one connection, group commit. Every operation waiting when a
//! transaction starts goes into it; replies are sent only after the commit (and its fsync),
//! so "accepted" always means "on disk".

use super::error::{sql, StoreError};
use super::schema;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use tokio::sync::oneshot;

pub struct NewEvent {
    pub id: String,
    pub source: String,
    pub name: String,
    pub payload: String,
}

pub struct NewRun {
    pub workflow_file: String,
    pub workflow_name: String,
    /// `queued`, or `completed` with a conclusion for runs decided at once (all skipped).
    pub status: String,
    pub conclusion: Option<String>,
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

type Respond = Box<dyn FnOnce(&[i64]) -> String + Send>;

pub enum Op {
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
    Run {
        run: i64,
        status: String,
        conclusion: Option<String>,
        reason: Option<String>,
        at: i64,
    },
    Job {
        run: i64,
        key: String,
        name: String,
        status: String,
        conclusion: Option<String>,
        reason: Option<String>,
        at: i64,
    },
    Step {
        run: i64,
        job: String,
        step: String,
        name: String,
        status: String,
        outcome: Option<String>,
        conclusion: Option<String>,
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
    /// Answers once everything sent before is committed.
    Flush(oneshot::Sender<()>),
}

/// The handle: cheap to clone, shared by ingress, scheduler and API.
#[derive(Clone)]
pub struct Store {
    tx: mpsc::Sender<Op>,
    path: PathBuf,
}

/// The store's writer state besides its connection.
struct Writer {
    /// The instance recording runs (several instances of a group may share one store).
    owner: String,
    /// Next log sequence number per run.
    seqs: HashMap<i64, i64>,
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
        let (tx, rx) = mpsc::channel();
        let state = Writer {
            owner: owner.to_string(),
            seqs: HashMap::new(),
        };
        std::thread::Builder::new()
            .name("gantry-store".into())
            .spawn(move || writer(conn, rx, state))?;
        Ok(Store { tx, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A connection for reading (queries run beside the writer, thanks to WAL).
    pub fn reader(&self) -> Result<Connection, StoreError> {
        schema::open(&self.path)
    }

    pub fn send(&self, op: Op) {
        let _ = self.tx.send(op);
    }

    /// Records an event and its runs durably, or returns what was recorded for it before.
    pub async fn accept(
        &self,
        event: NewEvent,
        runs: Vec<NewRun>,
        respond: impl FnOnce(&[i64]) -> String + Send + 'static,
    ) -> Result<Accepted, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Op::Accept {
                event,
                runs,
                respond: Box::new(respond),
                reply,
            })
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    pub async fn requeue(&self, run: i64) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Op::Requeue { run, reply })
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Op::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

enum Reply {
    Accepted(
        oneshot::Sender<Result<Accepted, StoreError>>,
        Result<Accepted, StoreError>,
    ),
    Unit(
        oneshot::Sender<Result<(), StoreError>>,
        Result<(), StoreError>,
    ),
    Flushed(oneshot::Sender<()>),
}

fn writer(mut conn: Connection, rx: mpsc::Receiver<Op>, mut w: Writer) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < 4096 {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let mut replies = Vec::with_capacity(batch.len());
        let result = (|| -> Result<(), StoreError> {
            // IMMEDIATE: the write lock is taken at BEGIN, where the busy timeout waits for
            // another instance sharing the store. A deferred transaction reads first and
            // upgrades at its first write; if another instance committed in between, SQLite
            // answers "database is locked" at once, without waiting (199 of 400 accepts failed
            // so with two instances in `two_instances_sharing_a_store_both_record_every_event`).
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(sql("begin"))?;
            for op in batch.drain(..) {
                apply(&tx, op, &mut w, &mut replies);
            }
            tx.commit().map_err(sql("commit"))
        })();
        for r in replies {
            match (r, &result) {
                (Reply::Accepted(tx, v), Ok(())) => {
                    let _ = tx.send(v);
                }
                (Reply::Accepted(tx, _), Err(e)) => {
                    let _ = tx.send(Err(StoreError::Io(std::io::Error::other(e.to_string()))));
                }
                (Reply::Unit(tx, v), Ok(())) => {
                    let _ = tx.send(v);
                }
                (Reply::Unit(tx, _), Err(e)) => {
                    let _ = tx.send(Err(StoreError::Io(std::io::Error::other(e.to_string()))));
                }
                (Reply::Flushed(tx), _) => {
                    let _ = tx.send(());
                }
            }
        }
        if result.is_err() {
            // Sequence numbers may be ahead of what was committed; read them again.
            w.seqs.clear();
        }
    }
}

fn accept(
    tx: &rusqlite::Transaction<'_>,
    owner: &str,
    event: NewEvent,
    runs: Vec<NewRun>,
    respond: Respond,
) -> Result<Accepted, StoreError> {
    if let Some(response) = tx
        .query_row(
            "SELECT response FROM events WHERE id = ?1",
            [&event.id],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .map_err(sql("look up event"))?
    {
        let mut stmt = tx
            .prepare_cached("SELECT id FROM runs WHERE event_id = ?1 ORDER BY id")
            .map_err(sql("look up runs"))?;
        let run_ids = stmt
            .query_map([&event.id], |r| r.get(0))
            .map_err(sql("look up runs"))?
            .collect::<Result<Vec<i64>, _>>()
            .map_err(sql("look up runs"))?;
        return Ok(Accepted {
            event_id: event.id,
            run_ids,
            duplicate: true,
            response,
        });
    }
    let now = now_ms();
    tx.prepare_cached("INSERT INTO events (id, source, name, received_at, payload, response) VALUES (?1, ?2, ?3, ?4, ?5, '')")
        .and_then(|mut s| s.execute(params![event.id, event.source, event.name, now, event.payload]))
        .map_err(sql("insert event"))?;
    let mut ids = Vec::with_capacity(runs.len());
    for r in runs {
        tx.prepare_cached("INSERT INTO runs (event_id, workflow_file, workflow_name, status, conclusion, created_at, finished_at, owner) VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?4 = 'completed' THEN ?6 END, ?7)")
            .and_then(|mut s| s.execute(params![event.id, r.workflow_file, r.workflow_name, r.status, r.conclusion, now, owner]))
            .map_err(sql("insert run"))?;
        let id = tx.last_insert_rowid();
        change(
            tx,
            id,
            None,
            None,
            (&r.status, r.conclusion.as_deref(), None),
            now,
        )
        .map_err(sql("record run status"))?;
        ids.push(id);
    }
    let response = respond(&ids);
    tx.prepare_cached("UPDATE events SET response = ?1 WHERE id = ?2")
        .and_then(|mut s| s.execute(params![response, event.id]))
        .map_err(sql("store response"))?;
    Ok(Accepted {
        event_id: event.id,
        run_ids: ids,
        duplicate: false,
        response,
    })
}

/// Appends to the status history (`changes`), at the run's current attempt.
fn change(
    tx: &rusqlite::Transaction<'_>,
    run: i64,
    job: Option<&str>,
    step: Option<&str>,
    (status, conclusion, reason): (&str, Option<&str>, Option<&str>),
    at: i64,
) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "INSERT INTO changes (run_id, attempt, job, step, status, conclusion, reason, at)
         SELECT ?1, attempt, ?2, ?3, ?4, ?5, ?6, ?7 FROM runs WHERE id = ?1",
    )
    .and_then(|mut s| s.execute(params![run, job, step, status, conclusion, reason, at]))
}

fn apply(tx: &rusqlite::Transaction<'_>, op: Op, w: &mut Writer, replies: &mut Vec<Reply>) {
    match op {
        Op::Accept {
            event,
            runs,
            respond,
            reply,
        } => replies.push(Reply::Accepted(
            reply,
            accept(tx, &w.owner, event, runs, respond),
        )),
        Op::Requeue { run, reply } => {
            let r = tx
                .execute(
                    "UPDATE runs SET status = 'queued', conclusion = NULL, started_at = NULL, finished_at = NULL, reason = NULL, attempt = attempt + 1, owner = ?2 WHERE id = ?1",
                    params![run, w.owner],
                )
                .and_then(|_| tx.execute("DELETE FROM jobs WHERE run_id = ?1", [run]))
                .and_then(|_| tx.execute("DELETE FROM steps WHERE run_id = ?1", [run]))
                .and_then(|_| change(tx, run, None, None, ("queued", None, None), now_ms()))
                .map(|_| ())
                .map_err(sql("requeue run"));
            replies.push(Reply::Unit(reply, r));
        }
        Op::Run {
            run,
            status,
            conclusion,
            reason,
            at,
        } => {
            let _ = tx.execute(
                "UPDATE runs SET status = ?2, conclusion = COALESCE(?3, conclusion), reason = COALESCE(?4, reason),
                   started_at = CASE WHEN ?2 = 'in_progress' THEN ?5 ELSE started_at END,
                   finished_at = CASE WHEN ?2 IN ('completed', 'interrupted') THEN ?5 ELSE finished_at END
                 WHERE id = ?1",
                params![run, status, conclusion, reason, at],
            );
            let _ = change(
                tx,
                run,
                None,
                None,
                (&status, conclusion.as_deref(), reason.as_deref()),
                at,
            );
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
            let _ = tx.execute(
                "INSERT INTO jobs (run_id, key, name, status, conclusion, started_at, finished_at, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?4 = 'in_progress' THEN ?6 END, CASE WHEN ?4 = 'completed' THEN ?6 END, ?7)
                 ON CONFLICT (run_id, key) DO UPDATE SET status = ?4, conclusion = ?5, reason = COALESCE(?7, reason),
                   finished_at = CASE WHEN ?4 = 'completed' THEN ?6 ELSE finished_at END",
                params![run, key, name, status, conclusion, at, reason],
            );
            let _ = change(
                tx,
                run,
                Some(&key),
                None,
                (&status, conclusion.as_deref(), reason.as_deref()),
                at,
            );
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
            let _ = tx.execute(
                "INSERT INTO steps (run_id, job, step, name, status, outcome, conclusion, started_at, finished_at, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CASE WHEN ?5 = 'in_progress' THEN ?8 END, CASE WHEN ?5 = 'completed' THEN ?8 END, ?9)
                 ON CONFLICT (run_id, job, step) DO UPDATE SET status = ?5, outcome = ?6, conclusion = ?7, reason = ?9,
                   finished_at = CASE WHEN ?5 = 'completed' THEN ?8 ELSE finished_at END",
                params![run, job, step, name, status, outcome, conclusion, at, reason],
            );
            let _ = change(
                tx,
                run,
                Some(&job),
                Some(&step),
                (&status, conclusion.as_deref(), reason.as_deref()),
                at,
            );
        }
        Op::Log {
            run,
            job,
            step,
            stream,
            line,
            at,
        } => {
            let seq = match w.seqs.get(&run) {
                Some(s) => *s + 1,
                None => {
                    tx.query_row(
                        "SELECT COALESCE(MAX(seq), 0) FROM logs WHERE run_id = ?1",
                        [run],
                        |r| r.get::<_, i64>(0),
                    )
                    .unwrap_or(0)
                        + 1
                }
            };
            w.seqs.insert(run, seq);
            let _ = tx
                .prepare_cached("INSERT INTO logs (run_id, seq, job, step, stream, line, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .and_then(|mut s| s.execute(params![run, seq, job, step, stream, line, at]));
        }
        Op::Flush(tx) => replies.push(Reply::Flushed(tx)),
    }
}
