//! Secrets from a real Vault-API server (OpenBao dev mode): KV v2 reads with a token,
//! AppRole login with a policy that can read only some paths (a forbidden path fails
//! cleanly), failures that stop a job before any step with the secret and path named, and
//! `gantry run` delivering secrets as env and as tmpfs files — asserted from inside the
//! container — with nothing left on the host and every value masked.

mod docker;
mod vault;

use gantry_secrets::{SecretError, SecretsConfig, VaultStore};
use serde_json::json;
use vault::Bao;

const PASSWORD: &str = "pa55-w0rd!x\"yz";
const MULTI: &str = "line-one-aaa\nline-two-bbb";

fn config(text: &str) -> SecretsConfig {
    SecretsConfig::parse(text).unwrap()
}

#[tokio::test]
async fn kv2_read_with_a_token_and_kv1_too() {
    let bao = Bao::start();
    bao.put_kv2("app", json!({"password": PASSWORD, "port": 5432}));
    bao.api(
        "POST",
        "sys/mounts/kv",
        Some(json!({"type": "kv", "options": {"version": "1"}})),
    )
    .unwrap();
    bao.api("POST", "kv/legacy", Some(json!({"token": "v1-token"})))
        .unwrap();
    let token = bao.dir.path().join("token");
    std::fs::write(&token, "root").unwrap();
    let cfg = config(&format!(
        "[vault]\naddress = \"{}\"\ntoken_file = \"{}\"\ndefault_path = \"secret/data/{{repository}}\"\n[secrets]\nDB_PASSWORD = \"secret/data/app#password\"\nDB_PORT = \"secret/data/app#port\"\nLEGACY = \"kv/legacy#token\"\n",
        bao.addr,
        token.display()
    ));
    let store = VaultStore::new(cfg, "octo/repo").unwrap();
    let got = store
        .fetch(&["DB_PASSWORD".into(), "DB_PORT".into(), "LEGACY".into()])
        .await
        .unwrap();
    assert_eq!(got["DB_PASSWORD"], PASSWORD);
    assert_eq!(got["DB_PORT"], "5432");
    assert_eq!(got["LEGACY"], "v1-token");
    // Names without a mapping use the default path for the repository.
    bao.put_kv2("octo/repo", json!({"API_KEY": "k-123"}));
    assert_eq!(
        store.fetch(&["API_KEY".into()]).await.unwrap()["API_KEY"],
        "k-123"
    );
    // A missing key and a missing path are named.
    let e = store.fetch(&["NOPE".into()]).await.unwrap_err();
    assert!(
        matches!(&e, SecretError::MissingKey { name, path, .. } if name == "NOPE" && path == "secret/data/octo/repo"),
        "{e}"
    );
}

#[tokio::test]
async fn approle_reads_what_its_policy_allows_and_nothing_else() {
    let bao = Bao::start();
    bao.put_kv2("app", json!({"password": PASSWORD}));
    bao.put_kv2("other", json!({"password": "forbidden-value-77"}));
    let (role, secret) = bao.approle("app");
    let cfg = config(&format!(
        "[vault]\naddress = \"{}\"\nauth = \"approle\"\nrole_id_file = \"{}\"\nsecret_id_file = \"{}\"\n[secrets]\nOK = \"secret/data/app#password\"\nFORBIDDEN = \"secret/data/other#password\"\n",
        bao.addr,
        role.display(),
        secret.display()
    ));
    let store = VaultStore::new(cfg, "o/r").unwrap();
    assert_eq!(store.fetch(&["OK".into()]).await.unwrap()["OK"], PASSWORD);
    let e = store
        .fetch(&["OK".into(), "FORBIDDEN".into()])
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, SecretError::PermissionDenied { .. }), "{text}");
    assert!(
        text.contains("`FORBIDDEN`") && text.contains("secret/data/other"),
        "{text}"
    );
    assert!(
        !text.contains("forbidden-value-77") && !text.contains(PASSWORD),
        "{text}"
    );
    // A wrong secret id is a login error, not a crash.
    std::fs::write(&secret, "not-the-secret-id").unwrap();
    let cfg = config(&format!(
        "[vault]\naddress = \"{}\"\nauth = \"approle\"\nrole_id_file = \"{}\"\nsecret_id_file = \"{}\"\n[secrets]\nOK = \"secret/data/app#password\"\n",
        bao.addr,
        role.display(),
        secret.display()
    ));
    let e = VaultStore::new(cfg, "o/r")
        .unwrap()
        .fetch(&["OK".into()])
        .await
        .unwrap_err();
    assert!(matches!(e, SecretError::Login { .. }), "{e}");
}

#[tokio::test]
async fn an_unreachable_vault_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "root").unwrap();
    let cfg = config(&format!(
        "[vault]\naddress = \"http://127.0.0.1:9\"\ntoken_file = \"{}\"\n[secrets]\nX = \"secret/data/app#x\"\n",
        token.display()
    ));
    let store = VaultStore::new(cfg, "o/r").unwrap();
    let e = store.fetch(&["X".into()]).await.unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, SecretError::Unreachable { .. }), "{text}");
    assert!(
        text.contains("`X`") && text.contains("127.0.0.1:9"),
        "{text}"
    );
}

fn secrets_file(bao: &Bao, extra: &str) -> std::path::PathBuf {
    let token = bao.dir.path().join("token");
    std::fs::write(&token, "root").unwrap();
    let p = bao.dir.path().join("secrets.toml");
    std::fs::write(
        &p,
        format!(
            "[vault]\naddress = \"{}\"\ntoken_file = \"{}\"\n[secrets]\nDB_PASSWORD = \"secret/data/app#password\"\n{extra}",
            bao.addr,
            token.display()
        ),
    )
    .unwrap();
    p
}

/// Steps that try every way of printing a secret, and one that fails with it.
const LEAKY_STEPS: &str = r#"
on: push
jobs:
  use:
    runs-on: self-hosted
    env:
      FROM_ENV: ${{ secrets.DB_PASSWORD }}
    steps:
      - name: env and file agree
        run: |
          test "$FROM_ENV" = "$(cat /run/secrets/DB_PASSWORD)" && echo same
          stat -c '%a %s' /run/secrets/DB_PASSWORD
          grep -q ' /run/secrets tmpfs ' /proc/mounts && echo on-tmpfs
          ls /run/secrets
      - name: try to leak it
        run: |
          echo "plain $FROM_ENV"
          echo "stderr $FROM_ENV" >&2
          printf '%s' "$FROM_ENV" | base64
          echo "leak=$FROM_ENV" >> "$GITHUB_OUTPUT"
          echo "summary $FROM_ENV" >> "$GITHUB_STEP_SUMMARY"
      - name: through GITHUB_ENV
        run: echo "COPY=$FROM_ENV" >> "$GITHUB_ENV"
      - name: a later step prints the copy
        run: echo "copy $COPY"
      - name: encodings
        run: |
          python3 -c 'import os,urllib.parse,json; v=os.environ["FROM_ENV"]; print("url", urllib.parse.quote(v, safe="")); print("json", json.dumps({"v": v}))'
      - name: multi-line
        env:
          M: ${{ secrets.MULTI }}
        run: printf '%s\n' "$M"
      - name: a container action reads the file
        uses: docker://gantry/busybox:latest
        with:
          entrypoint: /bin/sh
          args: -c "test -r /run/secrets/DB_PASSWORD && echo action-can-read"
      - name: fail with it
        run: echo "error $FROM_ENV" && exit 1
"#;

#[test]
fn gantry_run_delivers_secrets_as_env_and_tmpfs_files_and_masks_them() {
    let bao = Bao::start();
    bao.put_kv2("app", json!({"password": PASSWORD, "multi": MULTI}));
    let cfg = secrets_file(&bao, "MULTI = \"secret/data/app#multi\"\n");
    let ws = docker::Workspace::new();
    ws.workflow(LEAKY_STEPS);
    let r = ws.run(&["--secrets-config", cfg.to_str().unwrap()]);
    assert_eq!(r.code(), Some(1), "{}", r.debug());
    let lines = r.lines("use").join("\n");
    assert!(lines.contains("same"), "{lines}");
    assert!(
        lines.contains(&format!("400 {}", PASSWORD.len())),
        "{lines}"
    );
    assert!(lines.contains("on-tmpfs"), "{lines}");
    assert!(lines.contains("action-can-read"), "{lines}");
    assert!(
        lines.contains("plain ***") && lines.contains("stderr ***"),
        "{lines}"
    );
    assert!(lines.contains("copy ***"), "{lines}");
    assert!(
        lines.contains("url ***") && lines.contains("json {\"v\": \"***\"}"),
        "{lines}"
    );
    for leak in [
        PASSWORD,
        "pa55-w0rd%21x%22yz",
        "pa55-w0rd!x\\\"yz",
        "line-one-aaa",
        "line-two-bbb",
    ] {
        assert!(
            !r.stdout.contains(leak) && !r.stderr.contains(leak),
            "`{leak}` leaked:\n{}",
            r.debug()
        );
    }
    let b64 = std::process::Command::new("sh")
        .args(["-c", "printf '%s' \"$P\" | base64"])
        .env("P", PASSWORD)
        .output()
        .unwrap();
    let b64 = String::from_utf8_lossy(&b64.stdout).trim().to_string();
    assert!(!r.stdout.contains(&b64), "base64 leaked:\n{}", r.stdout);
    // The secrets volume is gone, and nothing the engine keeps on disk holds the value (the
    // run's own files are on tmpfs: tests/secrets_leak.rs).
    let run_id = r
        .events
        .iter()
        .find(|e| e["event"] == "run_started")
        .unwrap()["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(docker::labelled(&format!("dev.gantry.run={run_id}")).is_empty());
    let grep = std::process::Command::new("grep")
        .args([
            "-rl",
            PASSWORD,
            "/var/lib/docker/volumes",
            "/var/lib/docker/containers",
        ])
        .output()
        .unwrap();
    assert!(
        grep.stdout.is_empty(),
        "found on disk: {}",
        String::from_utf8_lossy(&grep.stdout)
    );
}

#[test]
fn a_secret_that_cannot_be_read_stops_the_job_before_any_step() {
    let bao = Bao::start();
    bao.put_kv2("app", json!({"password": PASSWORD}));
    let cfg = secrets_file(&bao, "MISSING = \"secret/data/nothing-here#x\"\n");
    let ws = docker::Workspace::new();
    ws.workflow(
        r#"
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ secrets.DB_PASSWORD }} ${{ secrets.MISSING }}"
"#,
    );
    let r = ws.run(&["--secrets-config", cfg.to_str().unwrap()]);
    assert_eq!(r.code(), Some(1), "{}", r.debug());
    let reason = r.job("j")["reason"].as_str().unwrap().to_string();
    assert!(
        reason.contains("`MISSING`") && reason.contains("secret/data/nothing-here"),
        "{reason}"
    );
    assert!(
        !r.events.iter().any(|e| e["event"] == "step_started"),
        "a step started:\n{}",
        r.debug()
    );
    assert!(!r.stdout.contains(PASSWORD));
}

#[test]
fn plan_shows_secret_sources_never_values() {
    let bao = Bao::start();
    bao.put_kv2("app", json!({"password": PASSWORD}));
    let cfg = secrets_file(&bao, "");
    let ws = docker::Workspace::new();
    ws.workflow("on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ secrets.DB_PASSWORD }} ${{ secrets.CLI_ONE }}\n");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(["plan", "-W"])
        .arg(ws.path().join(".github/workflows"))
        .args([
            "-e",
            "push",
            "--payload",
            docker::PAYLOAD,
            "--format",
            "json",
            "-s",
            "CLI_ONE=cli-value-1",
            "--secrets-config",
        ])
        .arg(&cfg)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("vault secret/data/app#password"), "{text}");
    assert!(text.contains("command line"), "{text}");
    assert!(
        !text.contains(PASSWORD) && !text.contains("cli-value-1"),
        "{text}"
    );
}

#[tokio::test]
async fn namespaces_are_honoured() {
    let bao = Bao::start();
    bao.api("POST", "sys/namespaces/team", Some(json!({})))
        .expect("creating a namespace");
    bao.api_ns(
        "root",
        "team",
        "POST",
        "sys/mounts/secret",
        Some(json!({"type": "kv", "options": {"version": "2"}})),
    )
    .expect("mounting KV in the namespace");
    bao.api_ns(
        "root",
        "team",
        "POST",
        "secret/data/app",
        Some(json!({"data": {"k": "in-namespace"}})),
    )
    .unwrap();
    bao.put_kv2("app", json!({"k": "in-root"}));
    let token = bao.dir.path().join("token");
    std::fs::write(&token, "root").unwrap();
    let text = |ns: &str| {
        format!(
            "[vault]\naddress = \"{}\"\ntoken_file = \"{}\"\n{ns}[secrets]\nK = \"secret/data/app#k\"\n",
            bao.addr,
            token.display()
        )
    };
    let in_ns = VaultStore::new(config(&text("namespace = \"team\"\n")), "o/r").unwrap();
    assert_eq!(
        in_ns.fetch(&["K".into()]).await.unwrap()["K"],
        "in-namespace"
    );
    let root = VaultStore::new(config(&text("")), "o/r").unwrap();
    assert_eq!(root.fetch(&["K".into()]).await.unwrap()["K"], "in-root");
}

#[tokio::test]
async fn the_token_is_renewed_for_long_runs() {
    let bao = Bao::start();
    bao.put_kv2("app", json!({"password": PASSWORD}));
    // Tokens of this role live 2 s unless renewed.
    let (role, secret) = bao.approle_with_ttl("app", "2s");
    let cfg = config(&format!(
        "[vault]\naddress = \"{}\"\nauth = \"approle\"\nrole_id_file = \"{}\"\nsecret_id_file = \"{}\"\nrenew_increment = \"2s\"\n[secrets]\nOK = \"secret/data/app#password\"\n",
        bao.addr,
        role.display(),
        secret.display()
    ));
    let store = VaultStore::new(cfg, "o/r").unwrap();
    assert_eq!(store.fetch(&["OK".into()]).await.unwrap()["OK"], PASSWORD);
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    // Without renewal the token would have expired twice over by now.
    assert_eq!(store.fetch(&["OK".into()]).await.unwrap()["OK"], PASSWORD);
}
