//! `gantry serve` over real HTTP: GitHub's signature test vector and bad signatures,
//! malformed and oversized bodies, unknown hooks, a real push payload running a workflow in
//! Docker with everything recorded, redelivery dedupe, the API (list, one run, logs as JSON
//! and as a live SSE stream), cancel and rerun, named hooks with bearer tokens, metrics.

mod docker;
mod serve;

use serde_json::Value;
use serve::{Service, HOOK_TOKEN, SECRET};

const CI: &str = r#"
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - name: greet
        run: echo "hello from ${{ github.sha }} in $GITHUB_WORKSPACE" && cat README.md
"#;

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
          echo "deploying to ${{ github.event.body.environment }}"
          if [ "${{ github.event.body.environment }}" = slow ]; then sleep 60; fi
"#;

#[test]
fn signatures_and_bad_requests_get_clear_json_errors() {
    let s = Service::new(CI, HOOK, "body_limit = 100000");
    let body = br#"{"zen":"Keep it logically awesome."}"#;
    let sig = gantry_plan::signature::sign(SECRET.as_bytes(), body);
    let (code, text) = s.post(
        "/hooks/github",
        &[
            ("X-GitHub-Event", "ping"),
            ("X-GitHub-Delivery", "p1"),
            ("X-Hub-Signature-256", &sig),
        ],
        body,
    );
    assert_eq!(code, 200, "{text}");
    // GitHub's documented vector, sent for real.
    let (code, text) = s.post(
        "/hooks/github",
        &[
            ("X-GitHub-Event", "ping"),
            ("X-GitHub-Delivery", "p2"),
            (
                "X-Hub-Signature-256",
                "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            ),
        ],
        b"Hello, World!",
    );
    assert_eq!(code, 200, "the documented vector verifies: {text}");
    let (code, text) = s.post(
        "/hooks/github",
        &[
            ("X-GitHub-Event", "push"),
            ("X-GitHub-Delivery", "x"),
            ("X-Hub-Signature-256", "sha256=00"),
        ],
        body,
    );
    assert_eq!(code, 401, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["error"],
        "bad_signature"
    );
    let (code, _) = s.post(
        "/hooks/github",
        &[("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "x")],
        body,
    );
    assert_eq!(code, 401);
    let bad = b"{\"ref\": \"refs/heads/main\",\n  oops}";
    let sig = gantry_plan::signature::sign(SECRET.as_bytes(), bad);
    let (code, text) = s.post(
        "/hooks/github",
        &[
            ("X-GitHub-Event", "push"),
            ("X-GitHub-Delivery", "m1"),
            ("X-Hub-Signature-256", &sig),
        ],
        bad,
    );
    assert_eq!(code, 400, "{text}");
    assert!(text.contains("line 2"), "the error says where: {text}");
    let (code, text) = s.post("/hooks/nope", &[("Authorization", "Bearer x")], b"{}");
    assert_eq!(code, 404, "{text}");
    assert!(text.contains("unknown_hook"));
    let big = vec![b'x'; 200_000];
    let (code, text) = s.post(
        "/hooks/deploy",
        &[("Authorization", &format!("Bearer {HOOK_TOKEN}"))],
        &big,
    );
    assert_eq!(code, 413, "{text}");
    assert!(text.contains("too_large"), "{text}");
    let (code, _) = s.post("/hooks/deploy", &[("Authorization", "Bearer wrong")], b"{}");
    assert_eq!(code, 401);
    let metrics = s.get("/metrics").1;
    assert!(
        metrics.contains("gantry_events_rejected_total{reason=\"bad_signature\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("gantry_events_rejected_total{reason=\"too_large\"} 1"),
        "{metrics}"
    );
}

#[test]
fn a_push_runs_its_workflow_and_everything_is_recorded_once() {
    let s = Service::new(CI, HOOK, "");
    let (code, text) = s.push("delivery-1");
    assert_eq!(code, 202, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    let id = answer["runs"][0]["id"].as_i64().unwrap();
    assert_eq!(answer["event_id"], "github:delivery-1");
    // Redelivery: the same answer, no second run.
    let (code, again) = s.push("delivery-1");
    assert_eq!(code, 202);
    assert_eq!(again, text);
    let run = s.wait_run(id, 120);
    assert_eq!(run["run"]["conclusion"], "success", "{run}");
    assert_eq!(run["jobs"][0]["steps"][0]["name"], "greet");
    assert_eq!(run["jobs"][0]["steps"][0]["conclusion"], "success");
    let logs = s.get_json(&format!("/api/runs/{id}/logs"));
    let lines: Vec<&str> = logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["line"].as_str())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("hello from {} in /github/workspace", s.sha))),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"hello"),
        "the workspace is the pushed tree: {lines:?}"
    );
    // Server-Sent Events replay the logs and end.
    let (code, sse) = s.get_sse(&format!("/api/runs/{id}/logs"));
    assert_eq!(code, 200);
    assert!(
        sse.contains("event: logs") && sse.contains("event: end"),
        "{sse}"
    );
    let list = s.get_json("/api/runs?event=push");
    assert_eq!(
        list["runs"].as_array().unwrap().len(),
        1,
        "redelivery created no second run"
    );
    let metrics = s.get("/metrics").1;
    assert!(
        metrics.contains("gantry_events_duplicate_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("conclusion=\"success\"} 1"), "{metrics}");
    // `/` sends a browser on to the run pages (the old single-page view is gone).
    let (code, _) = s.get("/");
    assert_eq!(code, 303, "/ redirects");
    let (code, _) = s.get("/page.js");
    assert_eq!(code, 404, "the old page's script is gone");
}

#[test]
fn named_hooks_cancel_and_rerun() {
    let s = Service::new(CI, HOOK, "");
    let auth = format!("Bearer {HOOK_TOKEN}");
    let (code, text) = s.post(
        "/hooks/deploy",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
            ("Idempotency-Key", "k1"),
        ],
        br#"{"environment":"slow"}"#,
    );
    assert_eq!(code, 202, "{text}");
    let first = text.clone();
    let id = serde_json::from_str::<Value>(&text).unwrap()["runs"][0]["id"]
        .as_i64()
        .unwrap();
    // Wait until it runs, then cancel it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while s.get_json(&format!("/api/runs/{id}"))["run"]["status"] != "in_progress" {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let (code, text) = s.post(&format!("/api/runs/{id}/cancel"), &[], b"");
    assert_eq!(code, 202, "{text}");
    let run = s.wait_run(id, 60);
    assert_eq!(run["run"]["conclusion"], "cancelled", "{run}");
    // The same Idempotency-Key creates nothing new.
    let (_, again) = s.post(
        "/hooks/deploy",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
            ("Idempotency-Key", "k1"),
        ],
        br#"{"environment":"slow"}"#,
    );
    assert_eq!(again, first);
    // Rerun replays the stored event as attempt 2.
    let (code, text) = s.post(&format!("/api/runs/{id}/rerun"), &[], b"");
    assert_eq!(code, 202, "{text}");
    assert!(text.contains("\"attempt\":2"), "{text}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    s.post(&format!("/api/runs/{id}/cancel"), &[], b"");
    let run = s.wait_run(id, 60);
    assert_eq!(run["run"]["attempt"], 2, "{run}");
    // The history keeps both attempts: the first one cancelled, the second one too.
    let history = run["history"].as_array().expect("history").clone();
    let run_level: Vec<(i64, &str, &str)> = history
        .iter()
        .filter(|h| h["job"].is_null())
        .map(|h| {
            (
                h["attempt"].as_i64().unwrap(),
                h["status"].as_str().unwrap(),
                h["conclusion"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let first_attempt: Vec<_> = run_level.iter().filter(|h| h.0 == 1).collect();
    assert_eq!(
        first_attempt,
        [
            &(1, "queued", ""),
            &(1, "in_progress", ""),
            &(1, "completed", "cancelled"),
        ],
        "{run:#}"
    );
    // The rerun may be cancelled before or after it started.
    let second: Vec<_> = run_level.iter().filter(|h| h.0 == 2).collect();
    assert_eq!(second.first(), Some(&&(2, "queued", "")), "{run:#}");
    assert_eq!(
        second.last(),
        Some(&&(2, "completed", "cancelled")),
        "{run:#}"
    );
    assert!(
        history
            .iter()
            .any(|h| h["attempt"] == 1 && h["step"].is_string()),
        "step changes of attempt 1 kept: {run:#}"
    );
    let logs = s.get_json(&format!("/api/runs/{id}/logs"));
    assert!(logs.to_string().contains("deploying to slow"), "{logs}");
}

#[test]
fn sigterm_refuses_new_events_drains_and_cleans_up() {
    let mut s = Service::new(CI, HOOK, "");
    let auth = format!("Bearer {HOOK_TOKEN}");
    let (code, text) = s.post(
        "/hooks/deploy",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        br#"{"environment":"slow"}"#,
    );
    assert_eq!(code, 202, "{text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["runs"][0]["id"]
        .as_i64()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while s.get_json(&format!("/api/runs/{id}"))["run"]["status"] != "in_progress" {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let pid = s.pid();
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (code, text) = s.post(
        "/hooks/deploy",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        br#"{"environment":"x"}"#,
    );
    assert_eq!(code, 503, "{text}");
    assert!(text.contains("shutting_down"));
    assert_eq!(
        s.terminate(),
        Some(0),
        "the service exits cleanly after the grace period"
    );
    assert!(
        docker::labelled(&format!("dev.gantry.pid={pid}")).is_empty(),
        "containers left after shutdown"
    );
    // The store is consistent: the interrupted run is recorded as cancelled.
    s.start();
    let run = s.get_json(&format!("/api/runs/{id}"));
    assert_eq!(run["run"]["status"], "completed", "{run}");
    assert_eq!(run["run"]["conclusion"], "cancelled", "{run}");
}

#[test]
fn a_post_receive_hook_triggers_pushes_once() {
    let s = Service::new(CI, HOOK, "");
    let git = |args: &[&str]| {
        let o = std::process::Command::new("git")
            .arg("-C")
            .arg(&s.repo)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@e",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    std::fs::write(s.repo.join("README.md"), "second version\n").unwrap();
    git(&["commit", "-qam", "second"]);
    let new = git(&["rev-parse", "HEAD"]);
    let trigger = || {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_gantry"))
            .args([
                "trigger",
                "push",
                "--url",
                &s.base,
                "--repository",
                "octo-org/octo-repo",
                "--repo",
            ])
            .arg(&s.repo)
            .env("GANTRY_WEBHOOK_SECRET", SECRET)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        writeln!(c.stdin.take().unwrap(), "{} {new} refs/heads/main", s.sha).unwrap();
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let out = trigger();
    assert!(out.contains(" 202 "), "{out}");
    let v: Value = serde_json::from_str(out.split(" 202 ").nth(1).unwrap().trim()).unwrap();
    let id = v["runs"][0]["id"].as_i64().unwrap();
    let run = s.wait_run(id, 120);
    assert_eq!(run["run"]["conclusion"], "success", "{run}");
    let logs = s.get_json(&format!("/api/runs/{id}/logs")).to_string();
    assert!(
        logs.contains("second version") && logs.contains(&new),
        "{logs}"
    );
    // The hook running again for the same update creates no second run.
    let again = trigger();
    assert!(again.contains(&format!("\"id\":{id}")), "{again}");
    assert_eq!(s.get_json("/api/runs")["runs"].as_array().unwrap().len(), 1);
}

#[test]
fn concurrency_groups_cancel_in_progress_runs() {
    let hook = r#"
on:
  webhook:
    names: [deploy]
concurrency:
  group: deploy-${{ github.event.body.environment }}
  cancel-in-progress: true
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: echo "deploy ${{ github.event.body.n }}" && sleep 30
"#;
    let s = Service::new(CI, hook, "");
    let auth = format!("Bearer {HOOK_TOKEN}");
    let send = |n: u32| {
        let body = format!("{{\"environment\":\"prod\",\"n\":{n}}}");
        let (code, text) = s.post(
            "/hooks/deploy",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        );
        assert_eq!(code, 202, "{text}");
        serde_json::from_str::<Value>(&text).unwrap()["runs"][0]["id"]
            .as_i64()
            .unwrap()
    };
    let first = send(1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while s.get_json(&format!("/api/runs/{first}"))["run"]["status"] != "in_progress" {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let second = send(2);
    let run = s.wait_run(first, 60);
    assert_eq!(
        run["run"]["conclusion"], "cancelled",
        "cancel-in-progress stops the first run: {run}"
    );
    // The second runs; cancel it to finish quickly, and check it did start.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while s.get_json(&format!("/api/runs/{second}"))["run"]["status"] != "in_progress" {
        assert!(
            std::time::Instant::now() < deadline,
            "the second run never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let logs = s.get_json(&format!("/api/runs/{second}/logs")).to_string();
    assert!(logs.contains("deploy 2"), "{logs}");
    s.post(&format!("/api/runs/{second}/cancel"), &[], b"");
    s.wait_run(second, 60);
}

/// `[logs]`: a step printing past its budget keeps the first lines, one notice where the
/// rest was cut, and at its end how much was not kept; the run itself is not affected.
#[test]
fn a_step_printing_past_its_log_budget_is_cut_with_notices_and_still_succeeds() {
    let noisy = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - name: noisy\n        run: for i in $(seq 1 40); do echo \"line $i\"; done\n      - name: after\n        run: echo quiet\n";
    let s = Service::new(noisy, HOOK, "[logs]\nmax_lines_per_step = 10\n");
    let (code, text) = s.push("noisy-1");
    assert_eq!(code, 202, "{text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["runs"][0]["id"]
        .as_i64()
        .unwrap();
    s.wait_success(id, 1);
    let logs = s.get_json(&format!("/api/runs/{id}/logs"));
    let lines: Vec<(String, String)> = logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["step"].as_str().is_some())
        .map(|l| {
            (
                l["stream"].as_str().unwrap_or("").to_string(),
                l["line"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let kept: Vec<&str> = lines
        .iter()
        .filter(|(_, l)| l.starts_with("line "))
        .map(|(_, l)| l.as_str())
        .collect();
    let notices: Vec<&str> = lines
        .iter()
        .filter(|(stream, l)| stream == "system" && l.starts_with("gantry: "))
        .map(|(_, l)| l.as_str())
        .collect();
    let first_ten: Vec<String> = (1..=10).map(|i| format!("line {i}")).collect();
    assert_eq!(kept, first_ten, "the first 10 lines are kept: {lines:?}");
    assert_eq!(notices.len(), 2, "{lines:?}");
    assert!(
        notices[0].contains("reached its limit (10 lines"),
        "{notices:?}"
    );
    assert!(
        notices[1].starts_with("gantry: 30 lines (210 bytes)"),
        "every line not kept is counted: {notices:?}"
    );
    assert!(
        lines.iter().any(|(_, l)| l == "quiet"),
        "the next step has its own budget: {lines:?}"
    );
}
