use super::read;
use super::write::now_ms;
use super::*;

fn event(id: &str) -> NewEvent {
    NewEvent {
        id: id.into(),
        source: "github".into(),
        name: "push".into(),
        payload: "{}".into(),
    }
}

fn run(file: &str) -> NewRun {
    NewRun {
        workflow_file: file.into(),
        workflow_name: file.into(),
        status: "queued".into(),
        conclusion: None,
    }
}

/// Every run in the store (up to 1000), as the API lists them.
fn all_runs(store: &Store) -> Vec<RunRow> {
    let c = store.reader().unwrap();
    read::list_runs(
        &c,
        &ListFilter {
            limit: Some(1000),
            ..Default::default()
        },
    )
    .unwrap()
}

#[tokio::test]
async fn an_event_is_recorded_once_and_answers_the_same_twice() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(d.path()).unwrap();
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
    let c = store.reader().unwrap();
    assert_eq!(
        read::list_runs(&c, &ListFilter::default()).unwrap().len(),
        2
    );
}

#[tokio::test]
async fn concurrent_accepts_share_commits_and_all_survive_a_reopen() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(d.path()).unwrap();
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
    let reopened = Store::open(d.path()).unwrap();
    assert_eq!(all_runs(&reopened).len(), 200);
}

#[tokio::test]
async fn progress_logs_and_requeue() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(d.path()).unwrap();
    let a = store
        .accept(event("x"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap();
    let id = a.run_ids[0];
    let at = now_ms();
    store.send(Op::Run {
        run: id,
        status: "in_progress".into(),
        conclusion: None,
        reason: None,
        at,
    });
    store.send(Op::Job {
        run: id,
        key: "build".into(),
        name: "build".into(),
        status: "in_progress".into(),
        conclusion: None,
        reason: None,
        at,
    });
    store.send(Op::Step {
        run: id,
        job: "build".into(),
        step: "1".into(),
        name: "s".into(),
        status: "completed".into(),
        outcome: Some("success".into()),
        conclusion: Some("success".into()),
        reason: None,
        at,
    });
    for i in 0..3 {
        store.send(Op::Log {
            run: id,
            job: "build".into(),
            step: Some("1".into()),
            stream: "stdout".into(),
            line: format!("line {i}"),
            at,
        });
    }
    store.flush().await;
    let c = store.reader().unwrap();
    let logs = read::logs_after(&c, id, 1, 10).unwrap();
    assert_eq!(
        logs.iter().map(|l| l.line.as_str()).collect::<Vec<_>>(),
        ["line 1", "line 2"]
    );
    let jobs = read::jobs(&c, id).unwrap();
    assert_eq!(jobs[0].steps[0].conclusion.as_deref(), Some("success"));
    assert_eq!(read::run(&c, id).unwrap().unwrap().status, "in_progress");
    store.requeue(id).await.unwrap();
    let r = read::run(&c, id).unwrap().unwrap();
    assert_eq!((r.status.as_str(), r.attempt), ("queued", 2));
    assert!(read::jobs(&c, id).unwrap().is_empty());
    // The first attempt's changes outlive the requeue, in order.
    let history: Vec<_> = read::changes(&c, id)
        .unwrap()
        .into_iter()
        .map(|h| (h.attempt, h.job, h.step, h.status))
        .collect();
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        history,
        [
            (1, None, None, "queued".to_string()),
            (1, None, None, "in_progress".to_string()),
            (1, s("build"), None, "in_progress".to_string()),
            (1, s("build"), s("1"), "completed".to_string()),
            (2, None, None, "queued".to_string()),
        ]
    );
}

/// Instances that share one store (a consumer group on one volume) write at the same time. A
/// transaction that read first and wrote second would get SQLITE_BUSY at once when the other
/// instance committed in between (SQLite cannot wait there), and the event would be lost to
/// retries and the dead-letter topic; taking the write lock up front waits instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_sharing_a_store_both_record_every_event() {
    let d = tempfile::tempdir().unwrap();
    let a = Store::open(d.path()).unwrap();
    let b = Store::open(d.path()).unwrap();
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
    assert_eq!(all_runs(&a).len(), 400);
}

#[tokio::test]
async fn a_runs_origin_is_its_events_source_and_repository() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(d.path()).unwrap();
    let mut e = event("d-origin");
    e.source = "hook:deploy".into();
    e.payload = r#"{"name":"webhook","payload":{},"meta":{"repository":"o/r"}}"#.into();
    let a = store
        .accept(e, vec![run("a.yml")], |_| String::new())
        .await
        .unwrap();
    let c = store.reader().unwrap();
    assert_eq!(
        read::run_origin(&c, a.run_ids[0]).unwrap(),
        Some(("hook:deploy".to_string(), Some("o/r".to_string())))
    );
    assert_eq!(read::run_origin(&c, 999).unwrap(), None);
}
