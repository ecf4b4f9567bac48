//! The store's tests. `conformance`, `control`, `fences`, `instances`, `leases`, `queries`, `sessions`: one suite of behaviour, every
//! case run against SQLite and against a live PostgreSQL (`crate::testpg`); `migrations`: PostgreSQL's schema from
//! empty and from the version before; `full_disk`: SQLite on a disk that fills up;
//! `server_down`: PostgreSQL going away; `refused`: one change PostgreSQL refuses; `tls`:
//! verified TLS to a server with a certificate of its own CA; `plans`: the run's why and
//! graph on both backends, and on files and databases from before them.

use crate::read;
use crate::testpg;
use crate::write::now_ms;
use crate::*;

pub fn event(id: &str) -> NewEvent {
    NewEvent {
        id: id.into(),
        source: "github".into(),
        name: "push".into(),
        payload: "{}".into(),
    }
}

pub fn run(file: &str) -> NewRun {
    NewRun {
        workflow_file: file.into(),
        workflow_name: file.into(),
        status: Status::Queued,
        conclusion: None,
        why: Vec::new(),
        graph: Vec::new(),
    }
}

pub fn log(run: i64, line: &str) -> Op {
    Op::Log {
        run,
        job: "build".into(),
        step: Some("1".into()),
        stream: "stdout".into(),
        line: line.into(),
        at: now_ms(),
    }
}

/// The lease the lease and fence cases hold runs with.
pub const LEASE: std::time::Duration = std::time::Duration::from_secs(30);

/// A queued run recorded by `store`; its id.
pub async fn queued(store: &Store, id: &str) -> i64 {
    store
        .accept(event(id), vec![run("w.yml")], |_| String::new())
        .await
        .unwrap()
        .run_ids[0]
}

/// Every run in the store (up to 1000), as the API lists them.
pub async fn all_runs(store: &Store) -> Vec<RunRow> {
    let c = store.reader().await.unwrap();
    let all = ListFilter {
        limit: Some(1000),
        ..Default::default()
    };
    read::list_runs(&c, &all).await.unwrap()
}

/// Waits (up to 30 s) for the store to write again after it could not.
pub async fn until_writable(store: &Store) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !store.writable() {
        assert!(
            std::time::Instant::now() < deadline,
            "the store stayed down"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Which backend a case runs against.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where a store under test lives (a directory, or a database of its own on the test
/// cluster), kept for the test's length; open as many handles on it as a case needs.
pub enum Place {
    Sqlite(tempfile::TempDir),
    Postgres(testpg::Database),
}

impl Backend {
    /// A fresh, empty place for a store (a PostgreSQL that cannot start fails the test,
    /// saying how to fix it).
    pub async fn place(self) -> Place {
        match self {
            Backend::Sqlite => Place::Sqlite(tempfile::tempdir().unwrap()),
            Backend::Postgres => {
                let db = tokio::task::spawn_blocking(testpg::database).await;
                Place::Postgres(db.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())))
            }
        }
    }
}

impl Place {
    /// The `[store]` settings that name this place (no url: SQLite).
    pub fn config(&self) -> StoreConfig {
        match self {
            Place::Sqlite(_) => StoreConfig::default(),
            Place::Postgres(db) => StoreConfig {
                url: Some(db.url.clone()),
                ..Default::default()
            },
        }
    }

    /// A handle on the store here, as `Store::connect` opens it for the service.
    pub async fn open(&self) -> Store {
        self.open_as("").await
    }

    /// A handle for instance `owner` (instances sharing one store).
    pub async fn open_as(&self, owner: &str) -> Store {
        let dir = match self {
            Place::Sqlite(d) => d.path().to_path_buf(),
            Place::Postgres(_) => std::env::temp_dir().join("gantry-store-unused"),
        };
        Store::connect(&self.config(), &dir, owner).await.unwrap()
    }

    /// Runs SQL on the store behind its writer's back (to plant what it would never write).
    pub async fn execute(&self, store: &Store, sql: &str) {
        match store.reader().await.unwrap() {
            Reader::Sqlite(c) => c.lock().unwrap().execute_batch(sql).unwrap(),
            Reader::Postgres(c) => c.batch_execute(sql).await.unwrap(),
        }
    }
}

/// `both_backends!(case)`: the async fn `case(Backend)` as two tests, `case::sqlite` and
/// `case::postgres`.
macro_rules! both_backends {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$case(crate::tests::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$case(crate::tests::Backend::Postgres).await
                }
            }
        )*
    };
}

// After the macro: macro_rules are in scope in what follows them.
mod carry;
mod conformance;
mod control;
mod fences;
mod full_disk;
mod instances;
mod leases;
mod migrations;
mod plans;
mod queries;
mod refused;
mod server_down;
mod sessions;
mod tls;
