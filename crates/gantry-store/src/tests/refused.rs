//! A change PostgreSQL refuses for what it is (here a job key with a NUL byte, which its
//! text cannot hold) is dropped alone: the changes around it, sent together and so most
//! likely in the same transaction, are committed, and the store stays writable.

use super::{event, log, run, Backend};
use crate::read;
use crate::write::now_ms;
use crate::*;

fn job(run: i64, key: &str) -> Op {
    Op::Job {
        run,
        key: key.into(),
        name: key.into(),
        status: Progress::InProgress,
        conclusion: None,
        reason: None,
        at: now_ms(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_change_is_dropped_alone_and_the_rest_commits() {
    let place = Backend::Postgres.place().await;
    let store = place.open().await;
    let id = store
        .accept(event("refused"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap()
        .run_ids[0];
    let ops = [
        log(id, "before"),
        job(id, "a\0b"),
        log(id, "after"),
        job(id, "build"),
    ];
    for op in ops {
        store.send(op).unwrap();
    }
    store.flush().await.unwrap();
    assert!(store.writable());
    let c = store.reader().await.unwrap();
    let lines: Vec<String> = read::logs_after(&c, id, 0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect();
    assert_eq!(lines, ["before", "after"]);
    let jobs = read::jobs(&c, id).await.unwrap();
    assert_eq!(
        jobs.iter().map(|j| j.key.as_str()).collect::<Vec<_>>(),
        ["build"]
    );
}
