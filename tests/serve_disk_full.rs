//! The run store's disk fills up under a running `gantry serve`: its data directory is a
//! small tmpfs of its own, filled to the last byte with a filler file, so SQLite's writes
//! really fail (`database or disk is full`). While it is full, ingress answers 503 with
//! `Retry-After` and a JSON error naming no host path, and readiness says why; once the
//! filler is removed the service takes events again by itself. Every event answered 202,
//! before and after, is in the store with its run, and every run ends recorded — also the
//! ones running while nothing could be written.

mod docker;
mod serve;

use serde_json::Value;
use serve::{Service, API_TOKENS, HOOK_TOKEN};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const CI: &str = "on: push\njobs: {}\n";

/// Prints, then waits a little, so that a run started before the disk fills is still
/// running (and writing its lines) while it is full.
const HOOK: &str = r#"
on:
  webhook:
    names: [deploy]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - name: deploy
        run: |
          for i in $(seq 1 50); do echo "line $i"; done
          sleep 2
          echo "deployed ${{ github.event.body.n }}"
"#;

/// A tmpfs of `size` mounted on `path` (the tests run as root), lazily unmounted when
/// dropped (the service may still hold its files).
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(path: &Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(path).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success(), "mounting a tmpfs on {}", path.display());
        SmallDisk(path.to_path_buf())
    }

    /// Writes a filler file until the disk has no byte left; its path.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.0.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 64 * 1024];
        let mut n = block.len();
        while n > 0 {
            match f.write(&block[..n]) {
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(28) => n /= 2,
                Err(e) => panic!("filling {}: {e}", path.display()),
            }
        }
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A call of hook `deploy` with idempotency key `key`: status, headers, body.
fn deploy(s: &Service, key: &str) -> (u16, Vec<(String, String)>, String) {
    let auth = format!("Bearer {HOOK_TOKEN}");
    let body = format!(r#"{{"n":"{key}"}}"#);
    s.post_with_headers(
        "/hooks/deploy",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
            ("Idempotency-Key", key),
        ],
        body.as_bytes(),
    )
}

/// The run ids of an accepted call (asserting it was accepted).
fn accepted(key: &str, (code, _, body): (u16, Vec<(String, String)>, String)) -> Vec<i64> {
    assert_eq!(code, 202, "{key}: {body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let runs: Vec<i64> = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(runs.len(), 1, "{key}: {body}");
    runs
}

fn wait_for(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn metric(s: &Service, name: &str) -> u64 {
    let text = s.get("/metrics").1;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0)
}

/// Every run in the store, by id: (event id, status).
fn stored_runs(s: &Service) -> Vec<(i64, String, String)> {
    let v = s.get_json("/api/runs?limit=1000");
    v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (r["id"].as_i64().unwrap(), text("event_id"), text("status"))
        })
        .collect()
}

/// While the disk is full: a refusal with everything a sender needs, and nothing recorded.
fn assert_refused(s: &Service, key: &str) {
    let (code, headers, body) = deploy(s, key);
    assert_eq!(code, 503, "{key}: {body}");
    let retry_after = headers.iter().find(|(k, _)| k == "retry-after");
    let seconds: u64 = retry_after.expect("Retry-After").1.parse().unwrap();
    assert!(seconds > 0);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"], "store_unavailable", "{body}");
    let message = v["message"].as_str().unwrap();
    assert!(message.contains("full"), "{message}");
    let data = s.data_dir().display().to_string();
    assert!(
        !body.contains(&data) && !body.contains("gantry.db"),
        "{body}"
    );
}

#[test]
fn a_full_disk_refuses_events_with_503_then_recovers_and_loses_nothing() {
    let mut s = Service::configure(CI, HOOK, "", "", API_TOKENS);
    let disk = SmallDisk::mount(&s.data_dir(), "16m");
    s.start();
    let mut runs = Vec::new();
    for key in ["before-0", "before-1", "before-2"] {
        runs.extend(accepted(key, deploy(&s, key)));
    }
    // A run is going when the disk fills: its status and lines cannot be written for now.
    let first = runs[0];
    wait_for(60, "the first run started", || {
        s.get_json(&format!("/api/runs/{first}"))["run"]["status"] != "queued"
    });
    let filler = disk.fill();
    for key in ["during-0", "during-1", "during-2"] {
        assert_refused(&s, key);
    }
    let (code, why) = s.get("/readyz");
    assert_eq!(code, 503, "{why}");
    assert!(why.contains("full"), "{why}");
    assert_eq!(s.get("/healthz").0, 200, "alive, only not ready");
    let metrics = s.get("/metrics").1;
    assert!(metrics.contains("gantry_store_writable 0"), "{metrics}");
    // The runs going on meanwhile: their changes wait with the store's writer.
    wait_for(60, "a running run's changes held", || {
        metric(&s, "gantry_store_held_changes") > 0
    });
    let refused_ids: Vec<String> = stored_runs(&s)
        .into_iter()
        .map(|(_, event, _)| event)
        .filter(|e| e.contains("during"))
        .collect();
    assert!(
        refused_ids.is_empty(),
        "refused but recorded: {refused_ids:?}"
    );

    std::fs::remove_file(filler).unwrap();
    wait_for(60, "ready again", || s.get("/readyz").0 == 200);
    // The refused events sent again, and new ones: all taken.
    for key in ["during-0", "during-1", "during-2", "after-0", "after-1"] {
        runs.extend(accepted(key, deploy(&s, key)));
    }
    for id in &runs {
        let v = s.wait_run(*id, 120);
        assert_eq!(v["run"]["status"], "completed", "{v:#}\n{}", s.log_text());
        assert_eq!(v["run"]["conclusion"], "success", "{v:#}\n{}", s.log_text());
        let logs = s.get_json(&format!("/api/runs/{id}/logs")).to_string();
        assert!(
            logs.contains("line 50") && logs.contains("deployed"),
            "{logs}"
        );
    }
    let mut stored: Vec<i64> = stored_runs(&s).into_iter().map(|(id, _, _)| id).collect();
    stored.sort();
    let mut want = runs.clone();
    want.sort();
    assert_eq!(
        stored, want,
        "the store holds exactly the runs answered 202"
    );
    let log = s.log_text();
    assert!(log.contains("the run store cannot write"), "{log}");
    assert!(log.contains("the run store writes again"), "{log}");
    s.kill9();
}
