//! The crash test: `kill -9` of `gantry serve` while runs are in flight and deliveries are
//! arriving, then a restart. Every delivery that got a 202 has its run completed (run again
//! after the crash when it was interrupted), none ran twice, a redelivery after the restart
//! creates nothing, and no container of the killed process is left.

mod docker;
mod serve;

use serde_json::Value;
use serve::Service;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const SLOW: &str = r#"
on:
  push:
    branches: [main]
jobs:
  work:
    runs-on: ubuntu-latest
    steps:
      - run: echo start && sleep 2 && echo done
"#;

#[test]
fn kill_9_loses_no_accepted_event_and_runs_nothing_twice() {
    let mut s = Service::new(SLOW, "on: push\njobs: {}\n", "max_attempts = 3");
    let first_pid = s.pid();
    let mut accepted: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut sent = 0;
    for i in 0..8 {
        let d = format!("crash-{i}");
        let (code, text) = s.push(&d);
        sent += 1;
        if code == 202 {
            let v: Value = serde_json::from_str(&text).unwrap();
            accepted.insert(
                d,
                v["runs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["id"].as_i64().unwrap())
                    .collect(),
            );
        }
    }
    // Let runs get going, then kill the service without warning.
    std::thread::sleep(Duration::from_millis(2500));
    let before = docker::labelled(&format!("dev.gantry.pid={first_pid}"));
    assert!(
        !before.is_empty(),
        "runs should be in flight when the service dies"
    );
    s.kill9();
    // Deliveries while it is down are refused (no 202): GitHub would retry them.
    let (code, _) = s.push("crash-while-down");
    assert_ne!(code, 202);
    s.start();
    for i in 8..12 {
        let d = format!("crash-{i}");
        let (code, text) = s.push(&d);
        sent += 1;
        assert_eq!(code, 202, "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        accepted.insert(
            d,
            v["runs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_i64().unwrap())
                .collect(),
        );
    }
    // A redelivery of an event accepted before the crash creates nothing new.
    let (code, text) = s.push("crash-0");
    assert_eq!(code, 202);
    let again: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        again["runs"][0]["id"].as_i64(),
        accepted["crash-0"].first().copied()
    );

    let ids: Vec<i64> = accepted.values().flatten().copied().collect();
    assert_eq!(ids.len(), accepted.len(), "one run per delivery");
    let deadline = Instant::now() + Duration::from_secs(240);
    for id in &ids {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .as_secs()
            .max(1);
        let run = s.wait_run(*id, left);
        assert_eq!(run["run"]["status"], "completed", "{run}");
        assert_eq!(run["run"]["conclusion"], "success", "{run}");
    }
    let all = s.get_json("/api/runs?limit=1000");
    let runs = all["runs"].as_array().unwrap();
    assert_eq!(runs.len(), ids.len(), "no duplicate runs: {all}");
    let rerun = runs
        .iter()
        .filter(|r| r["attempt"].as_i64() > Some(1))
        .count();
    eprintln!(
        "{sent} sent, {} accepted, {rerun} run again after the crash",
        ids.len()
    );
    assert!(rerun >= 1, "the runs in flight at the crash were run again");
    assert!(
        docker::labelled(&format!("dev.gantry.pid={first_pid}")).is_empty(),
        "containers of the killed service are left"
    );
    let pid = s.pid();
    assert_eq!(s.terminate(), Some(0), "SIGTERM ends the service cleanly");
    assert!(docker::labelled(&format!("dev.gantry.pid={pid}")).is_empty());
}
