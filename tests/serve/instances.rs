//! A cluster of `gantry serve` instances on one PostgreSQL run store: N separate processes
//! on 127.0.0.1, each with its own data directory, scratch directory (tmpfs), clone of the
//! test repository, hook directory, ports and `instance_id` (`node-0`, `node-1`, ...), all
//! with the same `[store] url` on a throw-away cluster (`gantry_store::testpg`). Nothing but
//! the database (and the Docker engine) is shared. Tests drive each instance through its
//! [`Service`] (pushes, hooks, API) and read the whole cluster's runs through any of them.

use super::{git, Service};
use gantry_store::testpg;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What every instance of a [`Cluster`] is given.
pub struct Setup<'a> {
    pub instances: usize,
    /// `.github/workflows/ci.yml` of the (one) repository every instance has a clone of.
    pub workflow: &'a str,
    /// The workflow of the named hook `deploy`.
    pub hook_workflow: &'a str,
    /// `[store] lease_secs`.
    pub lease_secs: u64,
    /// More top-level settings (before the `[store]` table).
    pub extra: &'a str,
    /// More tables after `[store]` (`[kafka]`...), given each instance's own directory (to
    /// write its own copy of files there).
    pub tables: &'a dyn Fn(&std::path::Path) -> String,
    /// The database on a server of its own, which the test may stop and start again
    /// ([`Cluster::server`]); else on the server the tests of this binary share.
    pub own_server: bool,
}

pub struct Cluster {
    pub nodes: Vec<Service>,
    pub db: testpg::Database,
    /// The server, when [`Setup::own_server`].
    pub server: Option<Arc<testpg::Cluster>>,
    /// Each instance's scratch directory (tmpfs) and the directory of its tables' files,
    /// kept for the life of the cluster.
    _scratch: Vec<tempfile::TempDir>,
}

/// Nothing more after `[store]`.
pub fn no_tables(_: &std::path::Path) -> String {
    String::new()
}

impl Cluster {
    /// Configures and starts the instances (fails, saying how to set it up, without Docker
    /// or PostgreSQL).
    pub fn start(setup: &Setup<'_>) -> Cluster {
        let (db, server) = if setup.own_server {
            let (db, server) = testpg::own_database();
            (db, Some(server))
        } else {
            (testpg::database(), None)
        };
        let mut nodes: Vec<Service> = Vec::new();
        let mut scratch = Vec::new();
        for i in 0..setup.instances {
            let dir = tempfile::Builder::new()
                .prefix("gantry-node-")
                .tempdir_in("/dev/shm")
                .expect("a scratch directory on /dev/shm");
            let node_dir = tempfile::tempdir().unwrap();
            let extra = format!(
                "instance_id = \"node-{i}\"\nscratch_dir = \"{}\"\n{}\n[store]\nurl = \"{}\"\nlease_secs = {}\n{}",
                dir.path().display(),
                setup.extra,
                db.url,
                setup.lease_secs,
                (setup.tables)(node_dir.path()),
            );
            let mut s = Service::configure(
                setup.workflow,
                setup.hook_workflow,
                &extra,
                "",
                super::API_TOKENS,
            );
            if let Some(first) = nodes.first() {
                same_repository(&mut s, first);
            }
            nodes.push(s);
            scratch.push(dir);
            scratch.push(node_dir);
        }
        for s in &mut nodes {
            s.start();
        }
        Cluster {
            nodes,
            db,
            server,
            _scratch: scratch,
        }
    }

    /// The instances still running.
    pub fn alive(&self) -> impl Iterator<Item = &Service> {
        self.nodes.iter().filter(|s| s.child.is_some())
    }

    /// Every run of the cluster as instance `i` lists them.
    pub fn runs(&self, i: usize) -> Vec<Value> {
        self.nodes[i].get_json("/api/runs?limit=10000")["runs"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Run ids per event id, as instance `i` lists them.
    pub fn runs_per_event(&self, i: usize) -> BTreeMap<String, Vec<i64>> {
        let mut out: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for r in self.runs(i) {
            let event = r["event_id"].as_str().unwrap_or_default().to_string();
            out.entry(event)
                .or_default()
                .push(r["id"].as_i64().unwrap_or(0));
        }
        out
    }

    /// Waits until every run instance `i` lists is completed (or interrupted), and at least
    /// `want` runs exist; fails with every live instance's log tail after `secs`.
    pub fn wait_all_done(&self, i: usize, want: usize, secs: u64) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let runs = self.runs(i);
            let open = runs
                .iter()
                .filter(|r| !matches!(r["status"].as_str(), Some("completed" | "interrupted")))
                .count();
            if runs.len() >= want && open == 0 {
                return runs;
            }
            if Instant::now() >= deadline {
                panic!(
                    "{} runs ({want} wanted), {open} not ended after {secs} s\n{}",
                    runs.len(),
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// The end of every instance's log, for failure messages.
    pub fn logs(&self) -> String {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let text = s.log_text();
                let mut start = text.len().saturating_sub(3000);
                while !text.is_char_boundary(start) {
                    start += 1;
                }
                format!("--- node-{i} ---\n{}\n", &text[start..])
            })
            .collect()
    }
}

/// Gives `s` a clone of `first`'s repository (the same commits, so a push of `first.sha`
/// is found on every instance) in place of its own.
fn same_repository(s: &mut Service, first: &Service) {
    std::fs::remove_dir_all(&s.repo).unwrap();
    let out = std::process::Command::new("git")
        .args(["clone", "-q"])
        .arg(&first.repo)
        .arg(&s.repo)
        .output()
        .unwrap();
    assert!(out.status.success(), "git clone: {out:?}");
    s.sha = git(&s.repo, &["rev-parse", "HEAD"]);
    assert_eq!(s.sha, first.sha);
}
