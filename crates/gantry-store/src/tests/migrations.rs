//! PostgreSQL's schema migrations: from an empty database to the latest version, and from
//! the version before the latest (with rows in it) to the latest; applying them again
//! changes nothing. And SQLite's upgrade at open of a file from before leases (and controls).

use super::{all_runs, Backend, Place};
use crate::pg::migrate::{latest, migrate, version, MIGRATIONS};

async fn pool_of(place: &Place) -> deadpool_postgres::Object {
    let cfg = place
        .config()
        .postgres()
        .unwrap()
        .expect("a PostgreSQL place");
    crate::pg::pool(&cfg, 1).unwrap().get().await.unwrap()
}

async fn applied(c: &deadpool_postgres::Object) -> Vec<i64> {
    let rows = c
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_database_is_migrated_to_the_latest_version_once() {
    let place = Backend::Postgres.place().await;
    let mut c = pool_of(&place).await;
    assert_eq!(version(&c).await.unwrap(), 0, "empty: no schema yet");
    let want: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
    assert_eq!(migrate(&mut c, latest()).await.unwrap(), latest());
    assert_eq!(applied(&c).await, want);
    assert_eq!(migrate(&mut c, latest()).await.unwrap(), latest());
    assert_eq!(applied(&c).await, want, "applied once");
    let store = place.open().await;
    assert!(all_runs(&store).await.is_empty());
}

/// A database at the version before the latest, with an event and a run recorded then, is
/// upgraded at open: the run is still there and reads as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_previous_version_is_migrated_to_the_latest_keeping_its_rows() {
    let place = Backend::Postgres.place().await;
    let mut c = pool_of(&place).await;
    // The migration before the last (versions may have gaps: a number another branch took).
    let previous = MIGRATIONS[MIGRATIONS.len() - 2].version;
    assert_eq!(migrate(&mut c, previous).await.unwrap(), previous);
    c.batch_execute(
        "INSERT INTO events (id, source, name, received_at, payload, response) VALUES ('old', 'github', 'push', 1, '{}', '');
         INSERT INTO runs (event_id, workflow_file, workflow_name, status, created_at) VALUES ('old', 'w.yml', 'w', 'queued', 1);",
    )
    .await
    .unwrap();
    let store = place.open().await;
    assert_eq!(version(&c).await.unwrap(), latest());
    let runs = all_runs(&store).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].event_id.as_str(), runs[0].workflow_file.as_str()),
        ("old", "w.yml")
    );
    // The run has no owner: this instance (any instance) may claim it.
    assert!(store.claim(runs[0].id).await.unwrap());
}

/// Instances starting together on an empty database: each migration is applied once (the
/// advisory lock), and both open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_apply_each_migration_once() {
    let place = Backend::Postgres.place().await;
    let (a, b) = tokio::join!(place.open_as("a"), place.open_as("b"));
    let c = pool_of(&place).await;
    let want: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
    assert_eq!(applied(&c).await, want);
    assert!(all_runs(&a).await.is_empty() && all_runs(&b).await.is_empty());
}

/// A SQLite file from before leases (runs with `owner`, without `lease_until`), with a run
/// in progress and one queued, gains the column at open: the old run has no lease and is
/// never taken over; the queued one is claimed with a lease. Opening again changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_file_from_before_leases_is_upgraded_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let old = rusqlite::Connection::open(dir.path().join("gantry.db")).unwrap();
    old.execute_batch(crate::schema::SCHEMA).unwrap();
    old.execute_batch(
        "ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
         INSERT INTO events (id, source, name, received_at, payload, response) VALUES ('old', 'github', 'push', 1, '{}', '');
         INSERT INTO runs (event_id, workflow_file, workflow_name, status, created_at, owner) VALUES ('old', 'w.yml', 'w', 'in_progress', 1, 'gone');
         INSERT INTO runs (event_id, workflow_file, workflow_name, status, created_at, owner) VALUES ('old', 'w.yml', 'w', 'queued', 1, 'gone');",
    )
    .unwrap();
    drop(old);
    drop(crate::Store::open_as(dir.path(), "a").unwrap());
    let store = crate::Store::open_as(dir.path(), "a").unwrap();
    let c = store.reader().await.unwrap();
    let before = crate::read::lease(&c, 1).await.unwrap().unwrap();
    assert_eq!((before.owner.as_str(), before.until), ("gone", None));
    let far = crate::TakeOver {
        now: i64::MAX,
        max_attempts: 3,
    };
    assert!(
        store.take_over(far).await.unwrap().is_empty(),
        "no lease: not taken"
    );
    assert!(
        store.claim(2).await.unwrap(),
        "another instance's queued run"
    );
    let claimed = crate::read::lease(&c, 2).await.unwrap().unwrap();
    assert_eq!(claimed.owner, "a");
    assert!(claimed.until.is_some(), "{claimed:?}");
    // The columns and table of controls were added too.
    let asked = store.cancel(2, "asked").await.unwrap();
    assert_eq!(asked, crate::Cancel::Requested { owner: "a".into() });
    assert_eq!(crate::read::cancel_requests(&c, "a").await.unwrap(), [2]);
    assert!(store.enter_group("g", 2, false).await.unwrap().go);
}
