//! The store's behaviour, one suite for both backends: each case is an async fn of the
//! [`Backend`], run as `case::sqlite` and `case::postgres` (see `both_backends!`).

use super::{all_runs, event, log, run, Backend};
use crate::read;
use crate::write::now_ms;
use crate::*;
use gantry_engine::Conclusion;

both_backends!(
    an_event_is_recorded_once_and_answers_the_same_twice,
    concurrent_accepts_share_commits_and_all_survive_a_reopen,
    progress_logs_and_requeue,
    two_instances_sharing_a_store_both_record_every_event,
    a_runs_origin_is_its_events_source_and_repository,
    a_producer_faster_than_the_writer_waits_and_loses_nothing,
    an_unknown_status_in_the_store_is_an_error_naming_it,
);

async fn an_event_is_recorded_once_and_answers_the_same_twice(b: Backend) {
    let place = b.place().await;
    let store = place.open().await;
    let a = store
        .accept(event("d-1"), vec![run("a.yml"), run("b.yml")], |ids| {
            format!("{ids:?}")
        })
        .await
        .unwrap();
    assert!(!a.duplicate);
    assert_eq!(a.run_ids.len(), 2);
    let again = store
        .accept(event("d-1"), vec![run("a.yml")], |_| "other".into())
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(again.run_ids, a.run_ids);
    assert_eq!(again.response, a.response);
    let c = store.reader().await.unwrap();
    assert_eq!(
        read::list_runs(&c, &ListFilter::default())
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn concurrent_accepts_share_commits_and_all_survive_a_reopen(b: Backend) {
    let place = b.place().await;
    let store = place.open().await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.accept(event(&format!("e-{i}")), vec![run("w.yml")], |_| {
                String::new()
            })
            .await
            .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    drop(store);
    let reopened = place.open().await;
    assert_eq!(all_runs(&reopened).await.len(), 200);
}

async fn progress_logs_and_requeue(b: Backend) {
    let place = b.place().await;
    let store = place.open().await;
    let a = store
        .accept(event("x"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap();
    let id = a.run_ids[0];
    let at = now_ms();
    let ops = [
        Op::Run {
            run: id,
            status: Status::InProgress,
            conclusion: None,
            reason: None,
            at,
        },
        Op::Job {
            run: id,
            key: "build".into(),
            name: "build".into(),
            status: Progress::InProgress,
            conclusion: None,
            reason: None,
            at,
        },
        Op::Step {
            run: id,
            job: "build".into(),
            step: "1".into(),
            name: "s".into(),
            status: Progress::Completed,
            outcome: Some(Conclusion::Success),
            conclusion: Some(Conclusion::Success),
            reason: None,
            at,
        },
    ];
    for op in ops
        .into_iter()
        .chain((0..3).map(|i| log(id, &format!("line {i}"))))
    {
        store.send(op).unwrap();
    }
    store.flush().await.unwrap();
    let c = store.reader().await.unwrap();
    let logs = read::logs_after(&c, id, 1, 10).await.unwrap();
    assert_eq!(
        logs.iter().map(|l| l.line.as_str()).collect::<Vec<_>>(),
        ["line 1", "line 2"]
    );
    let jobs = read::jobs(&c, id).await.unwrap();
    assert_eq!(jobs[0].steps[0].conclusion, Some(Conclusion::Success));
    assert_eq!(
        read::run(&c, id).await.unwrap().unwrap().status,
        Status::InProgress
    );
    store.requeue(id).await.unwrap();
    let r = read::run(&c, id).await.unwrap().unwrap();
    assert_eq!((r.status, r.attempt), (Status::Queued, 2));
    assert!(read::jobs(&c, id).await.unwrap().is_empty());
    // The first attempt's changes outlive the requeue, in order.
    let history: Vec<_> = read::changes(&c, id)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.attempt, h.job, h.step, h.status))
        .collect();
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        history,
        [
            (1, None, None, Status::Queued),
            (1, None, None, Status::InProgress),
            (1, s("build"), None, Status::InProgress),
            (1, s("build"), s("1"), Status::Completed),
            (2, None, None, Status::Queued),
        ]
    );
}

/// Instances that share one store (a consumer group on one volume) write at the same time. A
/// transaction that read first and wrote second would get SQLITE_BUSY at once when the other
/// instance committed in between (SQLite cannot wait there), and the event would be lost to
/// retries and the dead-letter topic; taking the write lock up front waits instead.
async fn two_instances_sharing_a_store_both_record_every_event(b: Backend) {
    let place = b.place().await;
    let a = place.open().await;
    let b = place.open().await;
    let mut tasks = Vec::new();
    for i in 0..400 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            s.accept(event(&format!("e-{i}")), vec![run("w.yml")], |_| {
                String::new()
            })
            .await
        }));
        if i % 8 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let mut failed = Vec::new();
    for t in tasks {
        if let Err(e) = t.await.unwrap() {
            failed.push(e.to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{} accepts failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(3)]
    );
    assert_eq!(all_runs(&a).await.len(), 400);
}

async fn a_runs_origin_is_its_events_source_and_repository(b: Backend) {
    let place = b.place().await;
    let store = place.open().await;
    let mut e = event("d-origin");
    e.source = "hook:deploy".into();
    e.payload = r#"{"name":"webhook","payload":{},"meta":{"repository":"o/r"}}"#.into();
    let a = store
        .accept(e, vec![run("a.yml")], |_| String::new())
        .await
        .unwrap();
    let c = store.reader().await.unwrap();
    assert_eq!(
        read::run_origin(&c, a.run_ids[0]).await.unwrap(),
        Some(("hook:deploy".to_string(), Some("o/r".to_string())))
    );
    assert_eq!(read::run_origin(&c, 999).await.unwrap(), None);
}

/// Ten thousand lines from one producer, far more than the writer's channel holds: the
/// producer waits for room (it does not fail, and nothing is dropped), in order.
async fn a_producer_faster_than_the_writer_waits_and_loses_nothing(b: Backend) {
    let place = b.place().await;
    let store = place.open().await;
    let id = store
        .accept(event("fast"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap()
        .run_ids[0];
    let s = store.clone();
    // A sync caller inside a task, as the engine's reporter is.
    tokio::spawn(async move {
        for i in 0..10_000 {
            s.send(log(id, &format!("line {i}"))).unwrap();
        }
    })
    .await
    .unwrap();
    store.flush().await.unwrap();
    let c = store.reader().await.unwrap();
    let logs = read::logs_after(&c, id, 0, 20_000).await.unwrap();
    assert_eq!(logs.len(), 10_000);
    for (i, l) in logs.iter().enumerate() {
        assert_eq!(
            (l.seq, l.line.as_str()),
            (i as i64 + 1, &*format!("line {i}"))
        );
    }
}

/// Text the store does not know in a status column is an error naming it, not a default.
async fn an_unknown_status_in_the_store_is_an_error_naming_it(b: Backend) {
    let place = b.place().await;
    let store = place.open().await;
    let id = store
        .accept(event("odd"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap()
        .run_ids[0];
    let c = store.reader().await.unwrap();
    let plant = |sql: &str| sql.replace("?1", &id.to_string());
    place
        .execute(
            &store,
            &plant("UPDATE runs SET status = 'paused' WHERE id = ?1"),
        )
        .await;
    let e = read::run(&c, id).await.unwrap_err().to_string();
    assert!(e.contains("unknown status `paused`"), "{e}");
    let neutral = "UPDATE runs SET status = 'completed', conclusion = 'neutral' WHERE id = ?1";
    place.execute(&store, &plant(neutral)).await;
    let e = read::run(&c, id).await.unwrap_err().to_string();
    assert!(e.contains("unknown conclusion `neutral`"), "{e}");
}
