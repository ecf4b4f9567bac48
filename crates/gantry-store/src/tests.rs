use super::read;
use super::write::now_ms;
use super::*;
use gantry_engine::Conclusion;

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
        status: Status::Queued,
        conclusion: None,
    }
}

fn log(run: i64, line: &str) -> Op {
    Op::Log {
        run,
        job: "build".into(),
        step: Some("1".into()),
        stream: "stdout".into(),
        line: line.into(),
        at: now_ms(),
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
    let c = store.reader().unwrap();
    let logs = read::logs_after(&c, id, 1, 10).unwrap();
    assert_eq!(
        logs.iter().map(|l| l.line.as_str()).collect::<Vec<_>>(),
        ["line 1", "line 2"]
    );
    let jobs = read::jobs(&c, id).unwrap();
    assert_eq!(jobs[0].steps[0].conclusion, Some(Conclusion::Success));
    assert_eq!(
        read::run(&c, id).unwrap().unwrap().status,
        Status::InProgress
    );
    store.requeue(id).await.unwrap();
    let r = read::run(&c, id).unwrap().unwrap();
    assert_eq!((r.status, r.attempt), (Status::Queued, 2));
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

/// Ten thousand lines from one producer, far more than the writer's channel holds: the
/// producer waits for room (it does not fail, and nothing is dropped), in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_producer_faster_than_the_writer_waits_and_loses_nothing() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(d.path()).unwrap();
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
    let c = store.reader().unwrap();
    let logs = read::logs_after(&c, id, 0, 20_000).unwrap();
    assert_eq!(logs.len(), 10_000);
    for (i, l) in logs.iter().enumerate() {
        assert_eq!(
            (l.seq, l.line.as_str()),
            (i as i64 + 1, &*format!("line {i}"))
        );
    }
}

/// Text the store does not know in a status column is an error naming it, not a default.
#[tokio::test]
async fn an_unknown_status_in_the_store_is_an_error_naming_it() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(d.path()).unwrap();
    let id = store
        .accept(event("odd"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap()
        .run_ids[0];
    let c = store.reader().unwrap();
    c.execute("UPDATE runs SET status = 'paused' WHERE id = ?1", [id])
        .unwrap();
    let e = read::run(&c, id).unwrap_err().to_string();
    assert!(e.contains("unknown status `paused`"), "{e}");
    c.execute(
        "UPDATE runs SET status = 'completed', conclusion = 'neutral' WHERE id = ?1",
        [id],
    )
    .unwrap();
    let e = read::run(&c, id).unwrap_err().to_string();
    assert!(e.contains("unknown conclusion `neutral`"), "{e}");
}

/// A small tmpfs of its own (the tests run as root), unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn new(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "mounting a tmpfs (the tests need root)");
        SmallDisk { dir }
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Fills the disk to the last byte; the filler's path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 64 * 1024];
        let mut n = block.len();
        while n > 0 {
            match f.write(&block[..n]) {
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(28) => n /= 2,
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily: whatever still has a file open there lets go later.
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

async fn until_writable(store: &Store) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !store.writable() {
        assert!(
            std::time::Instant::now() < deadline,
            "the store stayed down"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A full disk: accepting answers "unavailable" and the store says it is down; changes sent
/// meanwhile are held, and once there is room again the writer's probe brings the store back
/// by itself and every held change is on disk, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_holds_changes_refuses_events_and_recovers_by_itself() {
    let disk = SmallDisk::new("4m");
    let store = Store::open(disk.path()).unwrap();
    let id = store
        .accept(event("before"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap()
        .run_ids[0];
    let filler = disk.fill();
    let refused = store
        .accept(event("during"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap_err();
    assert!(refused.is_unavailable(), "{refused}");
    assert!(refused.to_string().contains("full"), "{refused}");
    assert!(!store.writable());
    assert!(store.unavailable_cause().unwrap().contains("full"));
    let s = store.clone();
    tokio::task::spawn_blocking(move || {
        for i in 0..50 {
            s.send(log(id, &format!("held {i}"))).unwrap();
        }
    })
    .await
    .unwrap();
    // The flush is answered after the writer took every change sent before it.
    assert!(store.flush().await.unwrap_err().is_unavailable());
    assert_eq!(store.held_changes(), 50);
    std::fs::remove_file(filler).unwrap();
    until_writable(&store).await;
    store.flush().await.unwrap();
    assert_eq!(store.held_changes(), 0);
    let c = store.reader().unwrap();
    let lines: Vec<String> = read::logs_after(&c, id, 0, 100)
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect();
    let want: Vec<String> = (0..50).map(|i| format!("held {i}")).collect();
    assert_eq!(lines, want);
    assert!(
        read::event(&c, "during").unwrap().is_none(),
        "refused, not recorded"
    );
    let again = store
        .accept(event("during"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap();
    assert!(!again.duplicate);
    assert_eq!(all_runs(&store).len(), 2);
    drop(c);
    drop(store);
}
