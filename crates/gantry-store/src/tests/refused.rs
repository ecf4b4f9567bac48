//! A change PostgreSQL refuses for what it is (here a job key with a NUL byte, which its
//! text cannot hold) is dropped alone: the changes around it, sent together and so most
//! likely in the same transaction, are committed, and the store stays writable — also when
//! it sits among hundreds of good changes and events sent the fast way (`pg::batch`).

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

/// The fast way sends a whole group at once; a refused change or event among hundreds of
/// good ones (and the same event twice) sends the group again a message at a time: only the
/// refused ones are dropped, every other change, event and run is written once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_change_in_a_large_group_is_dropped_alone() {
    let place = Backend::Postgres.place().await;
    let store = place.open().await;
    let id = store
        .accept(event("large"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap()
        .run_ids[0];
    let mut answers = Vec::new();
    for i in 0..20 {
        // Event 7 is refused (PostgreSQL's text holds no NUL); event 3 comes twice.
        let mut e = event(&format!("e{}", if i == 13 { 3 } else { i }));
        if i == 7 {
            e.payload = "{\"a\": \"\0\"}".into();
        }
        let ans = store.submit_accept(e, vec![run("a.yml"), run("b.yml")], |ids| {
            format!("{ids:?}")
        });
        answers.push(ans.await.unwrap());
    }
    for i in 0..500 {
        store.send(log(id, &format!("line {i}"))).unwrap();
        if i == 250 {
            store.send(job(id, "a\0b")).unwrap();
        }
    }
    store.send(job(id, "build")).unwrap();
    let mut recorded = Vec::new();
    for (i, ans) in answers.into_iter().enumerate() {
        let r = ans.wait().await;
        assert_eq!(r.is_err(), i == 7, "event {i}: {r:?}");
        recorded.push(r.ok());
    }
    store.flush().await.unwrap();
    assert!(store.writable());
    let (first, again) = (recorded[3].clone().unwrap(), recorded[13].clone().unwrap());
    assert_eq!((first.run_ids.len(), first.duplicate), (2, false));
    assert_eq!((&again.run_ids, again.duplicate), (&first.run_ids, true));
    assert_eq!(first.response, format!("{:?}", first.run_ids));
    let c = store.reader().await.unwrap();
    let lines = read::logs_after(&c, id, 0, 1000).await.unwrap();
    let want: Vec<String> = (0..500).map(|i| format!("line {i}")).collect();
    assert_eq!(
        lines.iter().map(|l| l.line.clone()).collect::<Vec<_>>(),
        want
    );
    assert_eq!(
        lines.iter().map(|l| l.seq).collect::<Vec<_>>(),
        (1..=500).collect::<Vec<i64>>()
    );
    let jobs = read::jobs(&c, id).await.unwrap();
    assert_eq!(
        jobs.iter().map(|j| j.key.as_str()).collect::<Vec<_>>(),
        ["build"]
    );
    let runs = super::all_runs(&store).await;
    // The first event's run, and two runs for each of the 18 other distinct events.
    assert_eq!(runs.len(), 1 + 2 * 18, "{runs:?}");
    for r in recorded.iter().flatten() {
        for run in &r.run_ids {
            let history = read::changes(&c, *run).await.unwrap();
            assert_eq!(history.len(), 1, "run {run}: {history:?}");
        }
    }
}
