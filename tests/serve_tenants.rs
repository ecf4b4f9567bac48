//! Tenants in `gantry serve`, against the real service, Docker and a real OpenBao: a
//! workflow resolves only its own tenant's secrets (asking for another tenant's fails the run
//! before anything starts, naming the secret and the tenant, with no value anywhere), and a
//! burst of fifty runs from one tenant does not hold another tenant's run back for more than
//! one slot (asserted on the order the runs started in, not on timings).

mod docker;
mod serve;
mod vault;

use serde_json::{json, Value};
use serve::Service;
use std::path::Path;
use vault::Bao;

const ACME_VALUE: &str = "acme-deploy-key-5f1e9a";
const BETA_VALUE: &str = "beta-deploy-key-c03b77";

/// A hook table for `[hooks.NAME]` of `tenant`, its workflows in `dir/NAME`.
fn hook(dir: &Path, name: &str, tenant: &str, workflows: &[(&str, &str)]) -> String {
    let w = dir.join(name);
    std::fs::create_dir_all(&w).unwrap();
    for (file, text) in workflows {
        std::fs::write(w.join(file), text).unwrap();
    }
    format!(
        "[hooks.{name}]\ntoken = \"{name}-token\"\nworkflows = \"{}\"\ntenant = \"{tenant}\"\n",
        w.display()
    )
}

fn call_hook(s: &Service, name: &str, key: &str) -> Vec<i64> {
    let (code, text) = s.post(
        &format!("/hooks/{name}"),
        &[
            ("Authorization", &format!("Bearer {name}-token")),
            ("Idempotency-Key", key),
            ("Content-Type", "application/json"),
        ],
        b"{}",
    );
    assert_eq!(code, 202, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

/// A workflow of hook `name` with one step.
fn workflow(name: &str, step: &str) -> String {
    format!(
        "on:\n  webhook:\n    names: [{name}]\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n{step}"
    )
}

fn sha256(text: &str) -> String {
    let o = std::process::Command::new("sh")
        .args(["-c", "printf '%s' \"$V\" | sha256sum"])
        .env("V", text)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// A secrets config with one Vault path per tenant (acme, beta) of the dev server.
fn tenant_secrets(bao: &Bao, dir: &Path) -> std::path::PathBuf {
    bao.put_kv2("acme", json!({ "deploy": ACME_VALUE }));
    bao.put_kv2("beta", json!({ "deploy": BETA_VALUE }));
    let token = dir.join("token");
    std::fs::write(&token, "root").unwrap();
    let secrets = dir.join("secrets.toml");
    std::fs::write(
        &secrets,
        format!(
            "[vault]\naddress = \"{}\"\ntoken_file = \"{}\"\n[tenants.acme.secrets]\nACME_DEPLOY = \"secret/data/acme#deploy\"\n[tenants.beta.secrets]\nBETA_DEPLOY = \"secret/data/beta#deploy\"\n",
            bao.addr,
            token.display()
        ),
    )
    .unwrap();
    secrets
}

/// Checks one finished run of the test below; returns its API answers.
fn check_run(s: &Service, id: i64, beta: bool) -> String {
    let run = s.wait_run(id, 120);
    let logs = s.get_json(&format!("/api/runs/{id}/logs"));
    let lines: Vec<&str> = logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["line"].as_str())
        .collect();
    let text = lines.join("\n");
    let stealing = run["run"]["workflow_file"]
        .as_str()
        .is_some_and(|f| f.ends_with("steal.yml"));
    if beta {
        assert_eq!(run["run"]["conclusion"], "success", "{run}");
        assert!(text.contains("mine ***"), "{text}");
    } else if stealing {
        assert_eq!(run["run"]["conclusion"], "failure", "{run}");
        let reason = run["run"]["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("secret `BETA_DEPLOY`")
                && reason.contains("not available to tenant `acme`"),
            "{reason}"
        );
        // Refused before anything started: no job, no container, no log line.
        assert_eq!(run["jobs"].as_array().map(Vec::len), Some(0), "{run}");
        assert!(lines.is_empty(), "{lines:?}");
    } else {
        assert_eq!(run["run"]["conclusion"], "success", "{run}");
        assert!(
            text.contains(&sha256(ACME_VALUE)) && text.contains("plain ***"),
            "acme's own secret reached its step: {text}"
        );
    }
    format!("{run}\n{logs}\n")
}

#[test]
fn a_tenant_resolves_its_own_vault_secrets_and_never_another_tenants() {
    let bao = Bao::start();
    let dir = tempfile::tempdir().unwrap();
    let secrets = tenant_secrets(&bao, dir.path());
    let own = "      - env:\n          V: ${{ secrets.ACME_DEPLOY }}\n        run: printf '%s' \"$V\" | sha256sum && echo \"plain $V\"\n";
    let steal = "      - run: echo \"stolen ${{ secrets.BETA_DEPLOY }}\"\n";
    let a_workflows = [
        ("own.yml", workflow("a", own)),
        ("steal.yml", workflow("a", steal)),
    ];
    let b_workflow = workflow("b", &steal.replace("stolen", "mine"));
    let extra = format!(
        "secrets_config = \"{}\"\n{}{}",
        secrets.display(),
        hook(
            dir.path(),
            "a",
            "acme",
            &a_workflows.each_ref().map(|(f, w)| (*f, w.as_str()))
        ),
        hook(dir.path(), "b", "beta", &[("own.yml", &b_workflow)]),
    );
    let s = Service::new("on: push\njobs: {}\n", "on: push\njobs: {}\n", &extra);
    let a_runs = call_hook(&s, "a", "a-1");
    let b_runs = call_hook(&s, "b", "b-1");
    assert_eq!((a_runs.len(), b_runs.len()), (2, 1));
    let mut seen = String::new();
    for id in &a_runs {
        seen.push_str(&check_run(&s, *id, false));
    }
    seen.push_str(&check_run(&s, b_runs[0], true));
    seen.push_str(&s.get("/api/runs?limit=100").1);
    seen.push_str(&s.log_text());
    for value in [ACME_VALUE, BETA_VALUE] {
        assert!(
            !seen.contains(value),
            "`{value}` in the API or the logs:\n{seen}"
        );
    }
}

/// Fifty events for hook `a`, sent by five clients at once; their run ids.
fn send_burst(s: &Service) -> Vec<i64> {
    std::thread::scope(|scope| {
        let senders: Vec<_> = (0..5)
            .map(|t| {
                scope.spawn(move || {
                    (0..10)
                        .flat_map(|i| call_hook(s, "a", &format!("burst-{t}-{i}")))
                        .collect::<Vec<i64>>()
                })
            })
            .collect();
        senders
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

#[test]
fn a_burst_from_one_tenant_holds_another_back_by_one_slot_at_most() {
    let dir = tempfile::tempdir().unwrap();
    // A short sleep keeps the burst's runs in their slots while the burst is still arriving.
    let quick = "      - run: sleep 0.5\n";
    let extra = format!(
        "{}{}",
        hook(dir.path(), "a", "acme", &[("a.yml", &workflow("a", quick))]),
        hook(dir.path(), "b", "beta", &[("b.yml", &workflow("b", quick))]),
    );
    let s = Service::new("on: push\njobs: {}\n", "on: push\njobs: {}\n", &extra);
    // Fifty events from tenant acme, then one from beta.
    let burst = send_burst(&s);
    assert_eq!(burst.len(), 50);
    let b = call_hook(&s, "b", "single")[0];
    let b_run = s.wait_run(b, 300)["run"].clone();
    for id in &burst {
        assert_eq!(s.wait_run(*id, 300)["run"]["conclusion"], "success");
    }
    assert_eq!(b_run["conclusion"], "success", "{b_run}");
    let list = s.get_json("/api/runs?limit=1000");
    let started = |id: i64| {
        list["runs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .and_then(|r| r["started_at"].as_i64())
            .unwrap()
    };
    let (b_created, b_started) = (b_run["created_at"].as_i64().unwrap(), started(b));
    let a_started: Vec<i64> = burst.iter().map(|id| started(*id)).collect();
    let after_b = a_started.iter().filter(|t| **t > b_started).count();
    // Runs of acme that started while beta's run waited: at most the one slot that was
    // already being handed out when beta's event arrived.
    let overtaking = a_started
        .iter()
        .filter(|t| **t > b_created && **t < b_started)
        .count();
    eprintln!(
        "{after_b} of acme's 50 runs started after beta's; {overtaking} started while it waited"
    );
    assert!(
        after_b >= 45,
        "beta's run started after {} of acme's",
        50 - after_b
    );
    assert!(
        overtaking <= 1,
        "{overtaking} of acme's runs overtook beta's"
    );
}
