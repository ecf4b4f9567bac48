//! Fencing on both backends: once instance "b" took a run over, what "a" still sends for
//! its old attempt (statuses, steps, log lines — sent while "b" logs for the new attempt) is
//! dropped and "b"'s is kept, its log lines in order; changes "a" could not get through to
//! the store until after the takeover are dropped; a renewal says which runs it lost; and a
//! requeue after a crash racing a takeover raises the attempt once.

use super::{queued, Backend, LEASE};
use crate::read;
use crate::write::now_ms;
use crate::*;
use gantry_engine::Conclusion;
use std::time::Duration;

both_backends!(
    changes_of_an_attempt_taken_over_are_dropped_and_the_new_attempts_kept,
    a_renewal_says_which_runs_it_lost,
    a_requeue_after_a_crash_racing_a_takeover_raises_the_attempt_once,
    changes_that_reach_the_store_after_a_takeover_are_dropped,
);

fn at(run: i64, attempt: i64) -> Attempt {
    Attempt { run, attempt }
}

/// A time past every lease taken so far.
fn after_expiry() -> TakeOver {
    TakeOver {
        now: now_ms() + 2 * lease::millis(LEASE),
        max_attempts: 3,
    }
}

fn line(run: i64, text: &str) -> Op {
    super::log(run, text)
}

fn step(run: i64, name: &str, status: Progress) -> Op {
    Op::Step {
        run,
        job: "build".into(),
        step: name.into(),
        name: name.into(),
        status,
        outcome: None,
        conclusion: None,
        reason: None,
        at: now_ms(),
    }
}

fn ended(run: i64) -> Op {
    Op::Run {
        run,
        status: Status::Completed,
        conclusion: Some(Conclusion::Success),
        reason: None,
        at: now_ms(),
    }
}

/// A job, `n` lines `prefix i` for attempt `attempt` of `run`, then a step and (for "a")
/// the run's end, sent from a thread as an engine's reporter sends them.
async fn send_lines(store: &Store, run: i64, attempt: i64, prefix: &'static str, n: usize) {
    let s = store.clone();
    tokio::task::spawn_blocking(move || {
        let job = Op::Job {
            run,
            key: "build".into(),
            name: format!("{prefix}-job"),
            status: Progress::InProgress,
            conclusion: None,
            reason: None,
            at: now_ms(),
        };
        s.send_fenced(job, attempt).unwrap();
        for i in 0..n {
            s.send_fenced(line(run, &format!("{prefix} {i}")), attempt)
                .unwrap();
        }
        let name = format!("{prefix}-step");
        s.send_fenced(step(run, &name, Progress::Completed), attempt)
            .unwrap();
        if prefix == "a" {
            s.send_fenced(ended(run), attempt).unwrap();
        }
    })
    .await
    .unwrap();
}

async fn changes_of_an_attempt_taken_over_are_dropped_and_the_new_attempts_kept(b: Backend) {
    let place = b.place().await;
    let a = place.open_as("a").await.with_lease(LEASE);
    let id = queued(&a, "e").await;
    assert!(a.claim_attempt(id, 1).await.unwrap());
    a.send_fenced(step(id, "first", Progress::InProgress), 1)
        .unwrap();
    a.send_fenced(line(id, "before"), 1).unwrap();
    a.flush().await.unwrap();
    let other = place.open_as("b").await.with_lease(LEASE);
    assert_eq!(other.take_over(after_expiry()).await.unwrap().len(), 1);
    assert!(!a.claim_attempt(id, 1).await.unwrap(), "attempt 1 is over");
    assert!(other.claim_attempt(id, 2).await.unwrap());
    // "a", cut off, still sends for attempt 1 while "b" logs for attempt 2.
    tokio::join!(
        send_lines(&a, id, 1, "a", 200),
        send_lines(&other, id, 2, "b", 200)
    );
    a.flush().await.unwrap();
    other.flush().await.unwrap();
    let c = other.reader().await.unwrap();
    let logs = read::logs_after(&c, id, 0, 10_000).await.unwrap();
    let lines: Vec<&str> = logs.iter().map(|l| l.line.as_str()).collect();
    let mut want = vec!["before".to_string()];
    want.extend((0..200).map(|i| format!("b {i}")));
    assert_eq!(lines, want);
    assert!(logs.windows(2).all(|w| w[0].seq < w[1].seq), "ordered");
    let row = read::run(&c, id).await.unwrap().unwrap();
    assert_eq!((row.status, row.attempt), (Status::InProgress, 2));
    assert_eq!(read::lease(&c, id).await.unwrap().unwrap().owner, "b");
    let jobs = read::jobs(&c, id).await.unwrap();
    let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, ["b-job"], "{jobs:?}");
    let steps: Vec<&str> = jobs[0].steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(steps, ["b-step"], "{jobs:?}");
    let history = read::changes(&c, id).await.unwrap();
    assert!(
        history
            .iter()
            .all(|ch| ch.status != Status::Completed || ch.attempt == 2),
        "nothing of attempt 1 after it was taken over: {history:?}"
    );
    // An unfenced change (not of a claimed attempt) is written as before.
    a.send(line(id, "unfenced")).unwrap();
    a.flush().await.unwrap();
    let last = read::logs_after(&c, id, 0, 10_000).await.unwrap();
    assert_eq!(last.last().map(|l| l.line.as_str()), Some("unfenced"));
}

async fn a_renewal_says_which_runs_it_lost(b: Backend) {
    let place = b.place().await;
    let a = place.open_as("a").await.with_lease(LEASE);
    let ids = [
        queued(&a, "e1").await,
        queued(&a, "e2").await,
        queued(&a, "e3").await,
    ];
    // The first with a lease that ends at once, so that "b" takes it over now.
    let brief = a.clone().with_lease(Duration::from_millis(1));
    assert!(brief.claim_attempt(ids[0], 1).await.unwrap());
    for id in &ids[1..] {
        assert!(a.claim_attempt(*id, 1).await.unwrap());
    }
    let other = place.open_as("b").await;
    let soon = TakeOver {
        now: now_ms() + 1_000,
        max_attempts: 3,
    };
    let taken = other.take_over(soon).await.unwrap();
    assert_eq!(taken.iter().map(|t| t.run).collect::<Vec<_>>(), [ids[0]]);
    // The second ended (cancelled from elsewhere, say).
    a.send(ended(ids[1])).unwrap();
    a.flush().await.unwrap();
    let c = a.reader().await.unwrap();
    let before = read::lease(&c, ids[2]).await.unwrap().unwrap().until;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let held: Vec<Attempt> = ids.iter().map(|id| at(*id, 1)).collect();
    let lost = a.renew(held).await.unwrap();
    assert_eq!(lost, [at(ids[0], 1), at(ids[1], 1)]);
    let after = read::lease(&c, ids[2]).await.unwrap().unwrap().until;
    assert!(after > before, "the third renewed: {after:?} > {before:?}");
    assert_eq!(a.renew(vec![at(ids[2], 1)]).await.unwrap(), []);
}

async fn a_requeue_after_a_crash_racing_a_takeover_raises_the_attempt_once(b: Backend) {
    let place = b.place().await;
    // Leases that end at once: every run is "b"'s to take over as soon as it asks.
    let a = place
        .open_as("a")
        .await
        .with_lease(Duration::from_millis(1));
    let mut ids = Vec::new();
    for i in 0..12 {
        let id = queued(&a, &format!("e{i}")).await;
        assert!(a.claim(id).await.unwrap());
        ids.push(id);
    }
    let other = place.open_as("b").await;
    let spec = after_expiry();
    // One each way first: whoever comes first wins, the other is refused.
    assert!(a.requeue_own(ids[0], 1).await.unwrap());
    assert_eq!(other.take_over(spec).await.unwrap().len(), ids.len() - 1);
    assert!(!a.requeue_own(ids[1], 1).await.unwrap(), "taken over first");
    for id in &ids[2..] {
        assert!(a.claim(*id).await.unwrap(), "attempt 2, a's again");
    }
    // Then racing: "a" recovering each run while "b" takes them all over.
    let mut recovering = tokio::task::JoinSet::new();
    for id in ids[2..].iter().copied() {
        let a = a.clone();
        recovering.spawn(async move { (id, a.requeue_own(id, 2).await.unwrap()) });
    }
    let taken = other.take_over(after_expiry()).await.unwrap();
    let mut recovered = Vec::new();
    while let Some(done) = recovering.join_next().await {
        let (id, won) = done.unwrap();
        if won {
            recovered.push(id);
        }
    }
    let c = a.reader().await.unwrap();
    for id in &ids[2..] {
        let by_a = recovered.contains(id);
        let by_b = taken.iter().any(|t| t.run == *id);
        assert!(by_a != by_b, "run {id}: one winner (a {by_a}, b {by_b})");
        let row = read::run(&c, *id).await.unwrap().unwrap();
        assert_eq!((row.status, row.attempt), (Status::Queued, 3), "run {id}");
    }
    for id in &ids[..2] {
        let row = read::run(&c, *id).await.unwrap().unwrap();
        assert_eq!((row.status, row.attempt), (Status::Queued, 2), "run {id}");
    }
}

/// Takes the writers' turn on `gate` (SQLite's write lock, PostgreSQL's writers' lock), so
/// that every instance's writer waits, as when the store cannot be reached.
async fn close(gate: &Reader) {
    match gate {
        Reader::Sqlite(c) => c.lock().unwrap().execute_batch("BEGIN IMMEDIATE").unwrap(),
        Reader::Postgres(c) => {
            let lock = format!(
                "BEGIN; SELECT pg_advisory_xact_lock({})",
                crate::pg::writer::WRITERS
            );
            c.batch_execute(&lock).await.unwrap()
        }
    }
}

/// Runs `sql` in the transaction `close` began, then commits it: the writers go on.
async fn open_with(gate: &Reader, sql: &str) {
    let sql = format!("{sql}; COMMIT");
    match gate {
        Reader::Sqlite(c) => c.lock().unwrap().execute_batch(&sql).unwrap(),
        Reader::Postgres(c) => c.batch_execute(&sql).await.unwrap(),
    }
}

async fn changes_that_reach_the_store_after_a_takeover_are_dropped(b: Backend) {
    let place = b.place().await;
    let a = place.open_as("a").await.with_lease(LEASE);
    let id = queued(&a, "e").await;
    assert!(a.claim_attempt(id, 1).await.unwrap());
    a.send_fenced(line(id, "before"), 1).unwrap();
    a.flush().await.unwrap();
    let gate = a.reader().await.unwrap();
    close(&gate).await;
    // "a" goes on executing attempt 1; its changes cannot reach the store meanwhile.
    send_lines(&a, id, 1, "a", 20).await;
    let waiting = a.clone();
    let written = tokio::spawn(async move { waiting.flush().await });
    // Meanwhile "b" took the run over and is executing attempt 2 (as its writer does).
    let takeover = format!(
        "UPDATE runs SET owner = 'b', attempt = attempt + 1, lease_until = lease_until + 1 WHERE id = {id}"
    );
    open_with(&gate, &takeover).await;
    written.await.unwrap().unwrap();
    let c = a.reader().await.unwrap();
    let logs = read::logs_after(&c, id, 0, 1000).await.unwrap();
    let lines: Vec<&str> = logs.iter().map(|l| l.line.as_str()).collect();
    assert_eq!(lines, ["before"]);
    let row = read::run(&c, id).await.unwrap().unwrap();
    assert_eq!((row.status, row.attempt), (Status::InProgress, 2));
    assert!(read::jobs(&c, id).await.unwrap().is_empty());
    // "b"'s lines follow "a"'s, numbered after them.
    let other = place.open_as("b").await;
    other.send_fenced(line(id, "b"), 2).unwrap();
    other.flush().await.unwrap();
    let logs = read::logs_after(&c, id, 0, 1000).await.unwrap();
    let seqs: Vec<(i64, &str)> = logs.iter().map(|l| (l.seq, l.line.as_str())).collect();
    assert_eq!(seqs, [(1, "before"), (2, "b")]);
}
