//! Vault stopped under `gantry serve`, with a real OpenBao for a hook's secret: with runs
//! queued, and in the middle of a run between its two jobs. While OpenBao is down the runs
//! wait (none fails, the log says why, `/readyz` is 503 and `gantry_secrets_up` 0); once it
//! is back (restarted at the same address, its secret put again) every run ends `success`
//! on its first attempt, its step having seen the secret.

mod docker;
mod serve;
mod vault;

use serde_json::json;
use serve::{Service, HOOK_TOKEN};
use std::time::{Duration, Instant};
use vault::Bao;

const VALUE: &str = "vault-outage-value-0123";
const HOOK_WORKFLOW: &str = r#"
on: webhook
jobs:
  go:
    runs-on: ubuntu-latest
    steps:
      - run: test "$TOKEN" = "vault-outage-value-0123" && echo had-the-secret
        env:
          TOKEN: ${{ secrets.TOKEN }}
"#;

fn post(s: &Service, key: &str) -> i64 {
    let auth = format!("Bearer {HOOK_TOKEN}");
    let (code, text) = s.post(
        "/hooks/deploy",
        &[("Authorization", auth.as_str()), ("Idempotency-Key", key)],
        b"{}",
    );
    assert_eq!(code, 202, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["runs"][0]["id"].as_i64().unwrap()
}

/// `gantry serve` whose `deploy` hook's TOKEN is `secret/data/outage#token` in `bao`.
fn service(bao: &Bao, conf: &std::path::Path, hook_workflow: &str) -> Service {
    let secrets = bao.hook_secrets_config(conf, "secret/data/outage#token");
    let extra = format!("secrets_config = \"{}\"", secrets.display());
    Service::new("on: push\njobs: {}\n", hook_workflow, &extra)
}

/// `/readyz` and `gantry_secrets_up` while the secret store does not answer.
fn assert_reported_down(s: &Service) {
    let (code, text) = s.get("/readyz");
    assert_eq!(code, 503, "{text}");
    assert!(text.contains("secret store"), "{text}");
    let (_, metrics) = s.get("/metrics");
    assert!(metrics.contains("gantry_secrets_up 0"), "{metrics}");
}

fn assert_reported_up(s: &Service) {
    let (code, text) = s.get("/readyz");
    assert_eq!(code, 200, "{text}");
    let (_, metrics) = s.get("/metrics");
    assert!(metrics.contains("gantry_secrets_up 1"), "{metrics}");
}

#[test]
fn runs_wait_while_vault_is_down_and_run_once_it_is_back() {
    docker::require_docker();
    let mut bao = Bao::start();
    bao.put_kv2("outage", json!({ "token": VALUE }));
    let conf = tempfile::tempdir().unwrap();
    let s = service(&bao, conf.path(), HOOK_WORKFLOW);
    bao.stop();
    let ids: Vec<i64> = (0..3).map(|i| post(&s, &format!("vault-{i}"))).collect();
    let until = Instant::now() + Duration::from_secs(8);
    while Instant::now() < until {
        for id in &ids {
            let run = s.get_json(&format!("/api/runs/{id}"));
            assert_ne!(run["run"]["status"], "completed", "{run}\n{}", s.log_text());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        s.log_text().contains("the secret store does not answer"),
        "{}",
        s.log_text()
    );
    assert_reported_down(&s);
    // A fresh dev server holds nothing until the secret is put again; the waiting runs try
    // again 1, 3, 7 and 15 s after they began waiting, so the put (at about 8.5 s) lands
    // between two tries.
    bao.restart();
    bao.put_kv2("outage", json!({ "token": VALUE }));
    for id in &ids {
        s.wait_success(*id, 1);
        let logs = s.get_json(&format!("/api/runs/{id}/logs")).to_string();
        assert!(logs.contains("had-the-secret"), "{logs}");
        assert!(!logs.contains(VALUE), "the value is masked: {logs}");
    }
    assert_reported_up(&s);
    assert!(s.log_text().contains("the secret store answers again"));
}

/// The first job needs no secret and takes a while; the second needs one.
const TWO_JOBS: &str = r#"
on: webhook
jobs:
  first:
    runs-on: ubuntu-latest
    steps:
      - run: sleep 5 && echo first-done
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - run: test "$TOKEN" = "vault-outage-value-0123" && echo second-had-the-secret
        env:
          TOKEN: ${{ secrets.TOKEN }}
"#;

/// Vault is lost while a run's first job runs: the second job waits for it instead of
/// failing, and the run succeeds on its first attempt once Vault is back.
#[test]
fn a_job_waits_for_vault_lost_in_the_middle_of_its_run() {
    docker::require_docker();
    let mut bao = Bao::start();
    bao.put_kv2("outage", json!({ "token": VALUE }));
    let conf = tempfile::tempdir().unwrap();
    let s = service(&bao, conf.path(), TWO_JOBS);
    let id = post(&s, "mid-run");
    let started = Instant::now() + Duration::from_secs(60);
    while s.get_json(&format!("/api/runs/{id}"))["run"]["status"] != "in_progress" {
        assert!(Instant::now() < started, "{}", s.log_text());
        std::thread::sleep(Duration::from_millis(100));
    }
    bao.stop();
    // The first job ends (about 5 s); the second then waits for the secret store.
    let lost = Instant::now() + Duration::from_secs(60);
    while !s
        .log_text()
        .contains("a secret lookup waits for the secret store")
    {
        assert!(Instant::now() < lost, "{}", s.log_text());
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2));
    let run = s.get_json(&format!("/api/runs/{id}"));
    assert_eq!(run["run"]["status"], "in_progress", "{run}");
    assert_reported_down(&s);
    bao.restart();
    bao.put_kv2("outage", json!({ "token": VALUE }));
    s.wait_success(id, 1);
    let logs = s.get_json(&format!("/api/runs/{id}/logs")).to_string();
    assert!(logs.contains("first-done"), "{logs}");
    assert!(logs.contains("second-had-the-secret"), "{logs}");
    assert_reported_up(&s);
}
