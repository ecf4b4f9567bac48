//! The plan's why and graph kept with each run (`crate::run_plan`): written by every insert
//! path (SQLite's; PostgreSQL's fast group and its one-by-one way), read back as written,
//! and absent for runs recorded before the columns existed (an older SQLite file opened, a
//! version 4 PostgreSQL database migrated).

use super::{all_runs, event, run, Backend, Place};
use crate::pg::migrate::migrate;
use crate::read;
use crate::*;

both_backends!(a_runs_why_and_graph_are_read_back_as_recorded);

/// A diamond: a; b (two matrix legs) and c (skipped at plan time) need a; d needs b and c.
fn diamond() -> Vec<PlannedJob> {
    let job = |id: &str, key: &str, needs: &[&str], skipped| PlannedJob {
        id: id.into(),
        key: key.into(),
        name: format!("<{key}>&\""),
        needs: needs.iter().map(|n| n.to_string()).collect(),
        skipped,
    };
    vec![
        job("a", "a", &[], false),
        job("b", "b (1)", &["a"], false),
        job("b", "b (2)", &["a"], false),
        job("c", "c", &["a"], true),
        job("d", "d", &["b", "c"], false),
    ]
}

fn planned(file: &str) -> NewRun {
    NewRun {
        why: vec![format!("branch `main` matches `main` at {file}:2:3")],
        graph: diamond(),
        ..run(file)
    }
}

async fn a_runs_why_and_graph_are_read_back_as_recorded(b: Backend) {
    let place = b.place().await;
    let store = place.open().await;
    let ids = store
        .accept(event("p-1"), vec![planned("a.yml"), run("b.yml")], |_| {
            String::new()
        })
        .await
        .unwrap()
        .run_ids;
    let c = store.reader().await.unwrap();
    let first = read::plan(&c, ids[0]).await.unwrap().unwrap();
    assert_eq!(first.why, ["branch `main` matches `main` at a.yml:2:3"]);
    assert_eq!(first.graph, diamond());
    let empty = read::plan(&c, ids[1]).await.unwrap().unwrap();
    assert_eq!(
        empty,
        RunPlan::default(),
        "recorded with no reason, no jobs"
    );
    assert_eq!(read::plan(&c, 999).await.unwrap(), None, "no such run");
    // Many events at once: on PostgreSQL they go the fast way, in groups.
    let mut tasks = Vec::new();
    for i in 0..50 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            let e = event(&format!("p-many-{i}"));
            s.accept(e, vec![planned("m.yml")], |_| String::new())
                .await
                .unwrap()
                .run_ids[0]
        }));
    }
    for t in tasks {
        let id = t.await.unwrap();
        let p = read::plan(&c, id).await.unwrap().unwrap();
        assert_eq!((p.why.len(), p.graph), (1, diamond()), "run {id}");
    }
}

/// PostgreSQL's one-by-one insert (`pg::apply::accept`, taken when a group holds other
/// messages than changes and accepts) writes them too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_one_by_one_accept_writes_why_and_graph() {
    let place = Backend::Postgres.place().await;
    let store = place.open().await;
    let mut conn = pool_of(&place).await;
    let tx = conn.transaction().await.unwrap();
    let a = crate::pg::apply::accept(
        &tx,
        "me",
        event("slow"),
        vec![planned("s.yml")],
        Box::new(|_| String::new()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let c = store.reader().await.unwrap();
    let p = read::plan(&c, a.run_ids[0]).await.unwrap().unwrap();
    assert_eq!(p.graph, diamond());
    assert_eq!(p.why.len(), 1);
}

async fn pool_of(place: &Place) -> deadpool_postgres::Object {
    let cfg = place.config().postgres().unwrap().expect("PostgreSQL");
    crate::pg::pool(&cfg, 1).unwrap().get().await.unwrap()
}

/// A version 4 database (before the columns) with a run in it: migrated at open, the old
/// run has no plan, a new one has its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_4_database_gains_the_columns_and_old_runs_have_no_plan() {
    let place = Backend::Postgres.place().await;
    let mut c = pool_of(&place).await;
    assert_eq!(migrate(&mut c, 4).await.unwrap(), 4);
    c.batch_execute(
        "INSERT INTO events (id, source, name, received_at, payload, response) VALUES ('old', 'github', 'push', 1, '{}', '');
         INSERT INTO runs (event_id, workflow_file, workflow_name, status, created_at) VALUES ('old', 'w.yml', 'w', 'completed', 1);",
    )
    .await
    .unwrap();
    let store = place.open().await;
    new_and_old_runs(&store).await;
}

/// A SQLite file from before the columns (with `owner` and `lease_until`) and a run in it:
/// opened, the old run has no plan, a new one has its own; opening again changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_sqlite_file_gains_the_columns_and_old_runs_have_no_plan() {
    let dir = tempfile::tempdir().unwrap();
    let old = rusqlite::Connection::open(dir.path().join("gantry.db")).unwrap();
    old.execute_batch(crate::schema::SCHEMA).unwrap();
    old.execute_batch(
        "ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
         ALTER TABLE runs ADD COLUMN lease_until INTEGER;
         INSERT INTO events (id, source, name, received_at, payload, response) VALUES ('old', 'github', 'push', 1, '{}', '');
         INSERT INTO runs (event_id, workflow_file, workflow_name, status, created_at) VALUES ('old', 'w.yml', 'w', 'completed', 1);",
    )
    .unwrap();
    drop(old);
    drop(Store::open_as(dir.path(), "a").unwrap());
    let store = Store::open_as(dir.path(), "a").unwrap();
    new_and_old_runs(&store).await;
}

/// The store holds one run recorded before the columns: it reads as before, without a
/// plan; a run accepted now keeps its own.
async fn new_and_old_runs(store: &Store) {
    let runs = all_runs(store).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].workflow_file, "w.yml");
    let c = store.reader().await.unwrap();
    assert_eq!(read::plan(&c, runs[0].id).await.unwrap(), None);
    let id = store
        .accept(event("new"), vec![planned("n.yml")], |_| String::new())
        .await
        .unwrap()
        .run_ids[0];
    let p = read::plan(&c, id).await.unwrap().unwrap();
    assert_eq!(p.graph, diamond());
}
