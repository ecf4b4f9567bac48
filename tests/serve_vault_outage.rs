//! Vault stopped with runs queued: `gantry serve` with a real OpenBao for a hook's secret.
//! While OpenBao is down the runs wait (none fails, the log says why); once it is back
//! (restarted at the same address, its secret put again) every run ends `success` on its
//! first attempt, its step having seen the secret.

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

#[test]
fn runs_wait_while_vault_is_down_and_run_once_it_is_back() {
    docker::require_docker();
    let mut bao = Bao::start();
    bao.put_kv2("outage", json!({ "token": VALUE }));
    let conf = tempfile::tempdir().unwrap();
    let token = conf.path().join("token");
    std::fs::write(&token, "root").unwrap();
    let secrets = conf.path().join("secrets.toml");
    std::fs::write(
        &secrets,
        format!(
            "[vault]\naddress = \"{}\"\ntoken_file = \"{}\"\n[tenants.\"hook:deploy\".secrets]\nTOKEN = \"secret/data/outage#token\"\n",
            bao.addr,
            token.display()
        ),
    )
    .unwrap();
    let extra = format!("secrets_config = \"{}\"", secrets.display());
    let s = Service::new("on: push\njobs: {}\n", HOOK_WORKFLOW, &extra);
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
}
