//! Cancel and `concurrency:` across `gantry serve` instances on one PostgreSQL run store
//! (issue 21), with real Docker jobs: a run executing on node-0 is cancelled by a newer run
//! of its group that node-1 accepted (`cancel-in-progress`), which then runs; that run is
//! cancelled through node-0's API although node-1 executes it. Both end `cancelled` within
//! seconds and leave no containers.

mod docker;
mod serve;

use serde_json::Value;
use serve::instances::{no_tables, Cluster, Setup};
use serve::Service;
use std::time::{Duration, Instant};

/// One group for every push; each run ticks for a minute unless cancelled.
const CI: &str = r#"
on: push
concurrency:
  group: deploy
  cancel-in-progress: true
jobs:
  work:
    runs-on: ubuntu-latest
    steps:
      - run: for i in $(seq 1 60); do echo "tick $i"; sleep 1; done
"#;

fn pushed(s: &Service, delivery: &str) -> i64 {
    let (code, text) = s.push(delivery);
    assert_eq!(code, 202, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["runs"][0]["id"]
        .as_i64()
        .unwrap()
}

/// Waits (through `s`) until run `id` satisfies `ok`; its last state.
fn wait_for(c: &Cluster, s: &Service, id: i64, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = s.get_json(&format!("/api/runs/{id}"));
        if ok(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "run {id} never {what}: {v}\n{}",
            c.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn ticking(s: &Service, id: i64) -> bool {
    s.logs(id).contains("tick 1")
}

#[test]
fn a_run_on_one_instance_is_cancelled_by_its_group_and_by_the_api_of_another() {
    let c = Cluster::start(&Setup {
        instances: 2,
        workflow: CI,
        hook_workflow: "on: push\njobs: {}\n",
        lease_secs: 10,
        extra: "",
        tables: &no_tables,
        own_server: false,
    });
    let (n0, n1) = (&c.nodes[0], &c.nodes[1]);
    let first = pushed(n0, "first");
    wait_for(&c, n1, first, "ticking on node-0", |v| {
        v["run"]["status"] == "in_progress" && v["run"]["owner"] == "node-0"
    });
    wait_for(&c, n1, first, "logging", |_| ticking(n1, first));

    // A newer run of the group, accepted by node-1: node-0's run is cancelled through the
    // store, then the newer one gets the group.
    let second = pushed(n1, "second");
    let v = wait_for(&c, n1, first, "ended", |v| {
        v["run"]["status"] == "completed"
    });
    assert_eq!(v["run"]["conclusion"], "cancelled", "{v}");
    let v = wait_for(&c, n0, second, "ticking", |v| {
        v["run"]["status"] == "in_progress" && ticking(n0, second)
    });
    let runner = v["run"]["owner"].as_str().unwrap_or_default().to_string();

    // Cancelled through the other instance's API (whichever executes it).
    let other = if runner == "node-0" { n1 } else { n0 };
    let (code, text) = other.post(&format!("/api/runs/{second}/cancel"), &[], b"");
    assert_eq!(code, 202, "{text}");
    let v = wait_for(&c, other, second, "ended", |v| {
        v["run"]["status"] == "completed"
    });
    assert_eq!(v["run"]["conclusion"], "cancelled", "{v}");
    let (code, text) = other.post(&format!("/api/runs/{second}/cancel"), &[], b"");
    assert_eq!(code, 409, "an ended run: {text}");

    for s in &c.nodes {
        let label = format!("dev.gantry.pid={}", s.pid());
        let deadline = Instant::now() + Duration::from_secs(20);
        while !docker::labelled(&label).is_empty() {
            assert!(Instant::now() < deadline, "containers of {label} left");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
