//! The run store's writer alone, SQLite beside PostgreSQL (a throw-away cluster, `testpg`):
//! how long 10,000 log lines take from the first `send` to the `flush` that says they are
//! committed, and accepted events per second with 32 callers each waiting for its answer
//! (as `gantry serve`'s webhook connections do), with their p50/p99 latency. Reported, not
//! asserted. `GANTRY_PG_BIN` as for the store's tests.
//!
//! `cargo run --release -p gantry-store --features testpg --example writer_bench [--async-commit]`
//!
//! `--async-commit` sets `synchronous_commit = off` on the PostgreSQL database (not durable:
//! only to see how much of the time is the commit's WAL flush).

use gantry_store::{testpg, NewEvent, NewRun, Op, Status, Store, StoreConfig};
use std::time::{Duration, Instant};

const LINES: usize = 10_000;
const CALLERS: usize = 32;
const ACCEPTS: usize = 20_000;

fn log(run: i64, i: usize) -> Op {
    Op::Log {
        run,
        job: "build".into(),
        step: Some("1".into()),
        stream: "stdout".into(),
        line: format!("line {i} of the benchmark's log, about as long as a build's"),
        at: gantry_store::write::now_ms(),
    }
}

fn event(id: String) -> NewEvent {
    NewEvent {
        id,
        source: "github".into(),
        name: "push".into(),
        payload: "{\"ref\": \"refs/heads/main\"}".into(),
    }
}

/// 10,000 log lines of one run, sent at once, until committed.
async fn lines(store: &Store) -> Duration {
    let run = NewRun {
        workflow_file: "w.yml".into(),
        workflow_name: "w".into(),
        status: Status::Queued,
        conclusion: None,
        why: Vec::new(),
        graph: Vec::new(),
    };
    let id = store
        .accept(event("lines".into()), vec![run], |_| String::new())
        .await
        .expect("an event for the run")
        .run_ids[0];
    let t0 = Instant::now();
    for i in 0..LINES {
        store.send(log(id, i)).expect("a log line sent");
    }
    store.flush().await.expect("the lines committed");
    t0.elapsed()
}

/// `CALLERS` callers accepting `ACCEPTS` events in all, each waiting for its answer: the
/// rate and the latencies.
async fn accepts(store: &Store) -> (f64, Vec<Duration>) {
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..CALLERS)
        .map(|c| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut lat = Vec::new();
                for i in 0..ACCEPTS / CALLERS {
                    let t = Instant::now();
                    let e = event(format!("e-{c}-{i}"));
                    store
                        .accept(e, Vec::new(), |_| "{}".into())
                        .await
                        .expect("accepted");
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.expect("a caller"));
    }
    lat.sort();
    (lat.len() as f64 / t0.elapsed().as_secs_f64(), lat)
}

async fn report(name: &str, store: &Store) {
    let l = lines(store).await;
    let (rate, lat) = accepts(store).await;
    let pct =
        |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1e3;
    println!(
        "{name:<11} {LINES} log lines {:>7.3} s | {ACCEPTS} accepts, {CALLERS} callers: {rate:>7.0}/s, p50 {:.2} ms, p99 {:.2} ms",
        l.as_secs_f64(),
        pct(0.50),
        pct(0.99)
    );
}

#[tokio::main]
async fn main() {
    let async_commit = std::env::args().any(|a| a == "--async-commit");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite = Store::open(dir.path()).expect("a SQLite store");
    report("SQLite", &sqlite).await;
    let db = tokio::task::spawn_blocking(testpg::database)
        .await
        .expect("a PostgreSQL database");
    if async_commit {
        let (c, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .expect("a connection");
        tokio::spawn(conn);
        let name = db.url.rsplit('/').next().unwrap_or_default();
        c.batch_execute(&format!(
            "ALTER DATABASE {name} SET synchronous_commit = off"
        ))
        .await
        .expect("synchronous_commit off");
    }
    let cfg = StoreConfig {
        url: Some(db.url.clone()),
        ..Default::default()
    };
    let pg = Store::connect(&cfg, dir.path(), "")
        .await
        .expect("a PostgreSQL store");
    report("PostgreSQL", &pg).await;
}
