//! The reads the service makes, on both backends: the runs list and its filters, counts by
//! status, the scheduler's sweep of queued runs, events; and log lines SQLite keeps as they
//! are that PostgreSQL's text cannot hold (a NUL byte).

use super::{event, log, run, Backend};
use crate::read;
use crate::write::now_ms;
use crate::*;
use gantry_engine::Conclusion;

both_backends!(
    runs_are_listed_filtered_counted_and_swept,
    runs_are_listed_by_page_branch_and_origin,
    a_log_line_with_a_nul_byte_is_kept_with_the_lines_after_it,
);

fn filter(status: Option<&str>, workflow: Option<&str>, name: Option<&str>) -> ListFilter {
    ListFilter {
        status: status.map(Into::into),
        workflow: workflow.map(Into::into),
        event: name.map(Into::into),
        limit: None,
        before: None,
        branch: None,
        origins: None,
    }
}

async fn runs_are_listed_filtered_counted_and_swept(b: Backend) {
    let place = b.place().await;
    let store = place.open().await;
    let accept = |e: NewEvent, r: NewRun| {
        let s = store.clone();
        async move {
            s.accept(e, vec![r], |_| String::new())
                .await
                .unwrap()
                .run_ids[0]
        }
    };
    let ci = accept(event("p1"), run(".github/workflows/ci.yml")).await;
    let mut hook = event("h1");
    hook.name = "webhook".into();
    let deploy = accept(hook, run(".github/workflows/deploy.yml")).await;
    let mut skipped = run("skip.yml");
    (skipped.status, skipped.conclusion) = (Status::Completed, Some(Conclusion::Skipped));
    let done = accept(event("p2"), skipped).await;
    let c = store.reader().await.unwrap();
    let ids = |f: ListFilter| {
        let c = &c;
        async move {
            let runs = read::list_runs(c, &f).await.unwrap();
            runs.into_iter().map(|r| r.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(ids(filter(None, None, None)).await, [done, deploy, ci]);
    assert_eq!(ids(filter(Some("queued"), None, None)).await, [deploy, ci]);
    assert_eq!(ids(filter(Some("skipped"), None, None)).await, [done]);
    assert_eq!(ids(filter(None, Some("deploy.yml"), None)).await, [deploy]);
    assert_eq!(ids(filter(None, None, Some("webhook"))).await, [deploy]);
    let first = ListFilter {
        limit: Some(1),
        ..Default::default()
    };
    assert_eq!(ids(first).await, [done]);
    let finished = read::run(&c, done).await.unwrap().unwrap();
    assert_eq!(
        finished.finished_at,
        Some(finished.created_at),
        "decided at once"
    );
    let mut counts = read::counts(&c).await.unwrap();
    counts.sort_by_key(|(s, c, _)| (s.as_str(), c.map(Conclusion::as_str)));
    let want = [
        (Status::Completed, Some(Conclusion::Skipped), 1),
        (Status::Queued, None, 2),
    ];
    assert_eq!(counts, want);
    let later = now_ms() + 60_000;
    assert_eq!(
        read::queued_before(&c, later, 10).await.unwrap(),
        [ci, deploy]
    );
    assert_eq!(read::queued_before(&c, later, 1).await.unwrap(), [ci]);
    assert!(read::queued_before(&c, 0, 10).await.unwrap().is_empty());
    let e = read::event(&c, "h1").await.unwrap().expect("the event");
    assert_eq!((e.source.as_str(), e.name.as_str()), ("github", "webhook"));
    assert!(read::event(&c, "nope").await.unwrap().is_none());
}

/// The pages' filters: `before` (the next page), the event's branch, a tenant's origins.
async fn runs_are_listed_by_page_branch_and_origin(b: Backend) {
    let place = b.place().await;
    let store = place.open().await;
    let accept = |e: NewEvent| {
        let s = store.clone();
        async move {
            let r = run("ci.yml");
            s.accept(e, vec![r], |_| String::new())
                .await
                .unwrap()
                .run_ids[0]
        }
    };
    let mut on_main = event("p1");
    on_main.payload = r#"{"meta":{"git_ref":"refs/heads/main","repository":"octo/repo"}}"#.into();
    let ci = accept(on_main).await;
    let mut hook = event("h1");
    hook.source = "hook:deploy".into();
    let deploy = accept(hook).await;
    let mut from_kafka = event("k1");
    from_kafka.source = "kafka".into();
    let done = accept(from_kafka).await;
    let c = store.reader().await.unwrap();
    let ids = |f: ListFilter| {
        let c = &c;
        async move {
            let runs = read::list_runs(c, &f).await.unwrap();
            runs.into_iter().map(|r| r.id).collect::<Vec<_>>()
        }
    };
    let next_page = ListFilter {
        limit: Some(1),
        before: Some(done),
        ..Default::default()
    };
    assert_eq!(ids(next_page).await, [deploy], "the page after `done`");
    let last_page = ListFilter {
        before: Some(deploy),
        ..Default::default()
    };
    assert_eq!(ids(last_page).await, [ci]);
    for (branch, want) in [
        ("main", vec![ci]),
        ("refs/heads/main", vec![ci]),
        ("dev", vec![]),
    ] {
        let f = ListFilter {
            branch: Some(branch.into()),
            ..Default::default()
        };
        assert_eq!(ids(f).await, want, "branch {branch}");
    }
    let tenant = |sources: &[&str], repositories: &[&str]| ListFilter {
        origins: Some(Origins {
            sources: sources.iter().map(|s| s.to_string()).collect(),
            repositories: repositories.iter().map(|s| s.to_string()).collect(),
        }),
        ..Default::default()
    };
    assert_eq!(ids(tenant(&["kafka"], &[])).await, [done]);
    assert_eq!(
        ids(tenant(&["cli"], &["Octo/Repo"])).await,
        [ci],
        "the repository, any case"
    );
    assert_eq!(
        ids(tenant(&["cli"], &["other/repo"])).await,
        Vec::<i64>::new()
    );
    assert_eq!(ids(tenant(&["hook:deploy"], &[])).await, [deploy]);
}

/// A container may print a NUL byte. SQLite keeps it; PostgreSQL's text cannot hold one, so
/// its store writes U+FFFD instead. Either way the line is kept and the run's later lines too.
async fn a_log_line_with_a_nul_byte_is_kept_with_the_lines_after_it(b: Backend) {
    let place = b.place().await;
    let store = place.open().await;
    let id = store
        .accept(event("nul"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap()
        .run_ids[0];
    for line in ["before", "a\0b", "after"] {
        store.send(log(id, line)).unwrap();
    }
    store.flush().await.unwrap();
    let c = store.reader().await.unwrap();
    let lines: Vec<String> = read::logs_after(&c, id, 0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!((lines[0].as_str(), lines[2].as_str()), ("before", "after"));
    let kept = ["a\0b", "a\u{FFFD}b"];
    assert!(kept.contains(&lines[1].as_str()), "{:?}", lines[1]);
}
