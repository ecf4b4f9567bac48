//! "Re-run failed jobs" through the API of the real binary, with real Docker: job `a` sets
//! an output and prints a line, job `b` needs it, prints `a`'s output and fails on its
//! first attempt. `POST /api/runs/{id}/rerun-failed` makes attempt 2, which keeps `a` (not
//! executed again: its line and its step rows exist once) and runs `b` again, reading the
//! output of `a` kept from attempt 1; it succeeds. A run with nothing failed is refused
//! (409), and a `read` token may not ask. The same on PostgreSQL across two instances.

mod docker;
mod serve;

use serde_json::Value;
use serve::instances::{no_tables, Cluster, Setup};
use serve::{Service, READ_TOKEN};

pub const WORKFLOW: &str = serve::KEEP_A_FAIL_B_ONCE;

const HOOK: &str = "on:\n  webhook:\n    names: [x]\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo x\n";

fn job<'a>(run: &'a Value, key: &str) -> &'a Value {
    run["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["key"] == key)
        .unwrap_or_else(|| panic!("job {key} in {run}"))
}

/// The attempts in which job `key`'s steps changed status.
fn step_attempts(run: &Value, key: &str) -> Vec<i64> {
    let mut attempts: Vec<i64> = run["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["job"] == key && !h["step"].is_null())
        .map(|h| h["attempt"].as_i64().unwrap())
        .collect();
    attempts.dedup();
    attempts
}

#[test]
fn rerun_failed_keeps_a_and_its_output_and_runs_b_again() {
    let s = Service::new(WORKFLOW, HOOK, "");
    rerun_failed(&s, &s);
}

/// On PostgreSQL, across instances: node-0 accepts the push, node-1 is asked to rerun the
/// failed jobs; whichever instance claims attempt 2 reads what it keeps from the store.
#[test]
fn rerun_failed_across_instances_on_postgresql() {
    let c = Cluster::start(&Setup {
        instances: 2,
        workflow: WORKFLOW,
        hook_workflow: HOOK,
        lease_secs: 10,
        extra: "",
        tables: &no_tables,
        own_server: false,
    });
    rerun_failed(&c.nodes[0], &c.nodes[1]);
}

/// Pushes to `first`, asks `other` to rerun the failed jobs; checks what attempt 2 did.
fn rerun_failed(first: &Service, other: &Service) {
    let (code, text) = first.push("rerun-failed-1");
    assert_eq!(code, 202, "{text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["runs"][0]["id"]
        .as_i64()
        .unwrap();
    let run = first.wait_run(id, 180);
    assert_eq!(run["run"]["conclusion"], "failure", "{run}");
    assert_eq!(job(&run, "a")["conclusion"], "success");
    assert_eq!(job(&run, "b")["conclusion"], "failure");

    let s = other;
    let (code, text) = s.post(
        &format!("/api/runs/{id}/rerun-failed"),
        &[("Authorization", &format!("Bearer {READ_TOKEN}"))],
        b"",
    );
    assert_eq!(code, 403, "a read token may not: {text}");
    let (code, text) = s.post(&format!("/api/runs/{id}/rerun-failed"), &[], b"");
    assert_eq!(code, 202, "{text}");
    assert!(text.contains("\"attempt\":2"), "{text}");
    let second = s.wait_success(id, 2);
    let a = job(&second, "a");
    assert_eq!(a["conclusion"], "success", "{second}");
    assert_eq!(a["reason"], "kept from attempt 1", "{second}");
    assert_eq!(job(&second, "b")["conclusion"], "success");
    assert_eq!(step_attempts(&second, "a"), [1], "a's steps ran once");
    assert_eq!(step_attempts(&second, "b"), [1, 2], "b's ran twice");

    let logs = s.logs(id);
    assert_eq!(logs.matches("a printed this").count(), 1, "{logs}");
    assert!(
        logs.contains("b got value-from-a on attempt 2"),
        "b read a's kept output: {logs}"
    );
    let (code, text) = s.post(&format!("/api/runs/{id}/rerun-failed"), &[], b"");
    assert_eq!(code, 409, "nothing failed now: {text}");
    assert!(text.contains("nothing_failed"), "{text}");
    let (code, text) = s.post("/api/runs/424242/rerun-failed", &[], b"");
    assert_eq!(code, 404, "{text}");
}
