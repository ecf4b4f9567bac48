//! PostgreSQL going away under the store (the counterpart of SQLite's full disk): accepting
//! answers "unavailable" and the store says it is down; changes sent meanwhile are held, and
//! once the server is back the writer's retry brings the store back by itself with every
//! held change written, in order. A reader kept across the outage says it is broken (the
//! scheduler replaces its own so).

use super::{all_runs, event, log, run, until_writable};
use crate::read;
use crate::testpg;
use crate::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_goes_away_holds_changes_refuses_events_and_recovers_by_itself() {
    let (db, cluster) = tokio::task::spawn_blocking(testpg::own_database)
        .await
        .unwrap();
    let cfg = StoreConfig {
        url: Some(db.url.clone()),
        ..Default::default()
    };
    let store = Store::connect(&cfg, &std::env::temp_dir(), "")
        .await
        .unwrap();
    let id = store
        .accept(event("before"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap()
        .run_ids[0];
    let kept = store.reader().await.unwrap();
    assert!(!kept.is_broken());
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.stop()).await.unwrap();
    // A reader kept across the stop fails, and says it must be replaced.
    assert!(read::run(&kept, id).await.is_err());
    assert!(kept.is_broken());
    let refused = store
        .accept(event("during"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap_err();
    assert!(refused.is_unavailable(), "{refused}");
    assert!(!store.writable());
    assert!(store.unavailable_cause().is_some());
    let s = store.clone();
    tokio::task::spawn_blocking(move || {
        for i in 0..50 {
            s.send(log(id, &format!("held {i}"))).unwrap();
        }
    })
    .await
    .unwrap();
    assert!(store.flush().await.unwrap_err().is_unavailable());
    assert_eq!(store.held_changes(), 50);
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.start_server())
        .await
        .unwrap();
    until_writable(&store).await;
    store.flush().await.unwrap();
    assert_eq!(store.held_changes(), 0);
    let r = store.reader().await.unwrap();
    let lines: Vec<String> = read::logs_after(&r, id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect();
    let want: Vec<String> = (0..50).map(|i| format!("held {i}")).collect();
    assert_eq!(lines, want);
    assert!(
        read::event(&r, "during").await.unwrap().is_none(),
        "refused, not recorded"
    );
    let again = store
        .accept(event("during"), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap();
    assert!(!again.duplicate);
    assert_eq!(all_runs(&store).await.len(), 2);
}
