//! Runs the real `gantry serve` on 127.0.0.1 with a scratch data directory, a local git
//! repository and a named hook, and talks to it over real HTTP (curl). The API is configured
//! with two tokens (`operate`: [`API_TOKEN`], `read`: [`READ_TOKEN`]) passed through the
//! environment; `get`, `get_sse` and `post` to `/api/*` and `/metrics` send the operate one.

#![allow(dead_code)]

pub mod github;
pub mod instances;

use serde_json::Value;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SECRET: &str = "It's a Secret to Everybody";
pub const HOOK_TOKEN: &str = "hook-token-123";
pub const API_TOKEN: &str = "test-operate-token-0123456789";
pub const READ_TOKEN: &str = "test-read-token-0123456789";
/// Re-run failed jobs: `a` succeeds and sets output `x`; `b` needs it, prints it and fails
/// in attempt 1 only.
pub const KEEP_A_FAIL_B_ONCE: &str = r#"
on:
  push:
    branches: [main]
jobs:
  a:
    runs-on: ubuntu-latest
    outputs:
      x: ${{ steps.s.outputs.x }}
    steps:
      - id: s
        name: produce
        run: |
          echo "a printed this"
          echo "x=value-from-a" >> "$GITHUB_OUTPUT"
  b:
    needs: a
    runs-on: ubuntu-latest
    steps:
      - name: consume
        run: |
          echo "b got ${{ needs.a.outputs.x }} on attempt ${{ github.run_attempt }}"
          test "${{ github.run_attempt }}" != 1
"#;

/// The `[[api.tokens]]` every service gets unless a test gives its own.
pub const API_TOKENS: &str = "[[api.tokens]]\nname = \"test\"\nscope = \"operate\"\ntoken_env = \"GANTRY_TEST_TOKEN\"\n[[api.tokens]]\nname = \"reader\"\nscope = \"read\"\ntoken_env = \"GANTRY_TEST_READ_TOKEN\"\n";

pub struct Service {
    pub child: Option<Child>,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub repo: PathBuf,
    pub sha: String,
    /// The service's stderr (appended across restarts).
    pub log: PathBuf,
    /// More environment for the service's process (set before [`Service::start`]).
    pub env: Vec<(String, String)>,
}

pub use crate::docker::git;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Service {
    /// A repository whose `.github/workflows/ci.yml` is `workflow`, a hook `deploy` whose
    /// workflows directory holds `hook_workflow`, and the service configured for both.
    pub fn new(workflow: &str, hook_workflow: &str, extra: &str) -> Service {
        Self::with_github(workflow, hook_workflow, extra, "")
    }

    /// As [`Service::new`], with more settings in the `[github]` table.
    pub fn with_github(workflow: &str, hook_workflow: &str, extra: &str, github: &str) -> Service {
        Self::with_api(workflow, hook_workflow, extra, github, API_TOKENS)
    }

    /// As [`Service::with_github`], with `api` as the `[api]` part of the config.
    pub fn with_api(
        workflow: &str,
        hook_workflow: &str,
        extra: &str,
        github: &str,
        api: &str,
    ) -> Service {
        let mut s = Self::configure(workflow, hook_workflow, extra, github, api);
        s.start();
        s
    }

    /// As [`Service::with_api`], without starting it: the test prepares [`Service::data_dir`]
    /// first (mounts a disk there...), then calls [`Service::start`].
    pub fn configure(
        workflow: &str,
        hook_workflow: &str,
        extra: &str,
        github: &str,
        api: &str,
    ) -> Service {
        crate::docker::require_docker();
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".github/workflows")).unwrap();
        std::fs::write(repo.join(".github/workflows/ci.yml"), workflow).unwrap();
        std::fs::write(repo.join("README.md"), "hello\n").unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        git(&repo, &["add", "."]);
        git(&repo, &["commit", "-q", "-m", "first"]);
        let sha = git(&repo, &["rev-parse", "HEAD"]);
        let hooks = dir.path().join("hooks");
        std::fs::create_dir_all(&hooks).unwrap();
        std::fs::write(hooks.join("deploy.yml"), hook_workflow).unwrap();
        let port = free_port();
        let config = dir.path().join("gantry.toml");
        std::fs::write(
            &config,
            format!(
                "listen = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\ncapacity = 2\nshutdown_grace_secs = 5\n{extra}\n[platforms]\nubuntu-latest = \"gantry/busybox:latest\"\n[github]\nwebhook_secret = \"{SECRET}\"\n{github}\n[[repositories]]\nname = \"octo-org/octo-repo\"\npath = \"{}\"\n[hooks.deploy]\ntoken = \"{HOOK_TOKEN}\"\nworkflows = \"{}\"\nrepository = \"octo-org/octo-repo\"\n{api}",
                dir.path().join("data").display(),
                repo.display(),
                hooks.display()
            ),
        )
        .unwrap();
        Service {
            child: None,
            base: format!("http://127.0.0.1:{port}"),
            log: dir.path().join("serve.log"),
            dir,
            config,
            repo,
            sha,
            env: Vec::new(),
        }
    }

    /// The service's `data_dir` (the run store is `gantry.db` in it).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_gantry"))
            .args(["serve", "--config"])
            .arg(&self.config)
            .env("GANTRY_TEST_TOKEN", API_TOKEN)
            .env("GANTRY_TEST_READ_TOKEN", READ_TOKEN)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.get("/healthz").0 == 200 {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("gantry serve did not come up: {}", self.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    pub fn terminate(&mut self) -> Option<i32> {
        let c = self.child.as_mut()?;
        Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .ok()?;
        let status = c.wait().ok()?;
        self.child = None;
        status.code()
    }

    fn curl(&self, args: &[&str], body: Option<&[u8]>) -> (u16, String) {
        let mut c = Command::new("curl");
        c.args(["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "30"])
            .args(args);
        if body.is_some() {
            c.args(["--data-binary", "@-"]);
        }
        c.stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut child = c.spawn().unwrap();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            if let Some(b) = body {
                stdin.write_all(b).unwrap();
            }
        }
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_string())
    }

    /// `-H Authorization: Bearer <API_TOKEN>` for the API and metrics, nothing elsewhere.
    fn api_auth(path: &str) -> Vec<String> {
        if path.starts_with("/api/") || path.starts_with("/metrics") {
            vec!["-H".into(), format!("Authorization: Bearer {API_TOKEN}")]
        } else {
            Vec::new()
        }
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        let mut args = Self::api_auth(path);
        args.push(format!("{}{path}", self.base));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.curl(&refs, None)
    }

    /// A Server-Sent Events stream read until the server closes it.
    pub fn get_sse(&self, path: &str) -> (u16, String) {
        let mut args = Self::api_auth(path);
        args.extend(["-N", "-H", "Accept: text/event-stream"].map(String::from));
        args.push(format!("{}{path}", self.base));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.curl(&refs, None)
    }

    pub fn get_json(&self, path: &str) -> Value {
        let (code, body) = self.get(path);
        assert_eq!(code, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
        let mut args: Vec<String> =
            vec!["-X".into(), "POST".into(), format!("{}{path}", self.base)];
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        {
            args.extend(Self::api_auth(path));
        }
        for (k, v) in headers {
            args.push("-H".into());
            args.push(format!("{k}: {v}"));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.curl(&refs, Some(body))
    }

    /// A POST answered with its status, its headers (lowercase names) and its body.
    pub fn post_with_headers(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, Vec<(String, String)>, String) {
        let mut args = vec!["-D".to_string(), "-".to_string()];
        for (k, v) in headers {
            args.push("-H".into());
            args.push(format!("{k}: {v}"));
        }
        args.extend(["-X".into(), "POST".into(), format!("{}{path}", self.base)]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, text) = self.curl(&refs, Some(body));
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let headers = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        (code, headers, body.to_string())
    }

    /// A signed GitHub push delivery of this repository's commit.
    pub fn push(&self, delivery: &str) -> (u16, String) {
        self.push_sha(delivery, &self.sha)
    }

    /// A push that must be accepted (202); the id of the first run it queued.
    pub fn push_run(&self, delivery: &str) -> i64 {
        let (code, text) = self.push(delivery);
        assert_eq!(code, 202, "{text}");
        first_run(&text)
    }

    /// A JSON call of hook `name` with `HOOK_TOKEN` that must be accepted (202); the id of
    /// the first run it queued.
    pub fn hook_run(&self, name: &str) -> i64 {
        let auth = format!("Bearer {HOOK_TOKEN}");
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        let (code, text) = self.post(&format!("/hooks/{name}"), &headers, b"{}");
        assert_eq!(code, 202, "{text}");
        first_run(&text)
    }

    /// A push of `sha` (which the repository may not have).
    pub fn push_sha(&self, delivery: &str, sha: &str) -> (u16, String) {
        let mut v: Value = serde_json::from_str(&self.push_payload()).unwrap();
        v["after"] = Value::String(sha.to_string());
        v["head_commit"]["id"] = Value::String(sha.to_string());
        let body = v.to_string();
        let sig = gantry_plan::signature::sign(SECRET.as_bytes(), body.as_bytes());
        self.post(
            "/hooks/github",
            &[
                ("X-GitHub-Event", "push"),
                ("X-GitHub-Delivery", delivery),
                ("X-Hub-Signature-256", &sig),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
    }

    pub fn push_payload(&self) -> String {
        let text = std::fs::read_to_string(crate::docker::PAYLOAD).unwrap();
        let mut v: Value = serde_json::from_str(&text).unwrap();
        v["after"] = Value::String(self.sha.clone());
        v["head_commit"]["id"] = Value::String(self.sha.clone());
        v.to_string()
    }

    /// Run `id`'s log lines, joined.
    pub fn logs(&self, id: i64) -> String {
        let v = self.get_json(&format!("/api/runs/{id}/logs"));
        v["logs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| l["line"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until run `id` is completed and asserts it succeeded on attempt `attempt`.
    pub fn wait_success(&self, id: i64, attempt: i64) -> Value {
        let run = self.wait_run(id, 120);
        let log = self.log_text();
        assert_eq!(run["run"]["conclusion"], "success", "{run}\n{log}");
        assert_eq!(run["run"]["attempt"], attempt, "{run}");
        run
    }

    /// Waits until the run is completed (or interrupted) and returns it with its jobs.
    pub fn wait_run(&self, id: i64, secs: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let v = self.get_json(&format!("/api/runs/{id}"));
            let status = v["run"]["status"].as_str().unwrap_or("").to_string();
            if status == "completed" || status == "interrupted" {
                return v;
            }
            assert!(Instant::now() < deadline, "run {id} still {status}: {v}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The id of the first run an accepted event's answer names.
fn first_run(answer: &str) -> i64 {
    let v: Value = serde_json::from_str(answer).unwrap_or_else(|e| panic!("{e}: {answer}"));
    v["runs"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no run in {answer}"))
}
