//! The harness the integration tests share: the service on 127.0.0.1 (random port), and the
//! official actions' JavaScript run by node20 the way the runner starts an action step.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use gantry_results::{CacheProtocol, JobGrant, ResultsConfig, ResultsService, StorageConfig};
use tempfile::TempDir;

/// A running service over a temporary directory store.
pub struct Harness {
    pub service: ResultsService,
    pub base_url: String,
    pub storage: TempDir,
}

pub async fn start(protocol: CacheProtocol) -> Harness {
    start_with(|config| config.cache_protocol = protocol).await
}

/// The service with a configuration the test adjusts.
pub async fn start_with(adjust: impl FnOnce(&mut ResultsConfig)) -> Harness {
    start_on(tempfile::tempdir().unwrap(), adjust).await
}

/// The service over an existing storage folder (as after a restart).
pub async fn start_on(storage: TempDir, adjust: impl FnOnce(&mut ResultsConfig)) -> Harness {
    let store = StorageConfig::Directory(storage.path().join("store"));
    start_with_storage(store, storage, adjust).await
}

/// The service over `store` (a directory or a bucket); `storage` is the test's scratch.
pub async fn start_with_storage(
    store: StorageConfig,
    storage: TempDir,
    adjust: impl FnOnce(&mut ResultsConfig),
) -> Harness {
    let mut config = ResultsConfig::new(store);
    adjust(&mut config);
    let service = ResultsService::new(config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/", listener.local_addr().unwrap());
    let router = service.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Harness {
        service,
        base_url,
        storage,
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/official-actions` beside the workspace, or `GANTRY_OFFICIAL_ACTIONS`. Missing
/// is a failure: these tests exist to run the real clients.
pub fn official_actions() -> PathBuf {
    let dir = std::env::var_os("GANTRY_OFFICIAL_ACTIONS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/official-actions"));
    assert!(
        dir.join("upload-artifact@v4.6.2").is_dir(),
        "the official actions are needed at {} (set GANTRY_OFFICIAL_ACTIONS to their folder)",
        dir.display()
    );
    dir
}

/// node20 as `scripts/setup-node.sh` installs it (the script prints the externals folder);
/// where the checkout has no script yet, the folder it installs to (`GANTRY_EXTERNALS`, else
/// `~/.cache/gantry/externals`).
pub fn node20() -> PathBuf {
    let script = workspace_root().join("scripts/setup-node.sh");
    let dir = if script.is_file() {
        let out = std::process::Command::new("bash")
            .arg(&script)
            .output()
            .expect("running scripts/setup-node.sh");
        assert!(
            out.status.success(),
            "scripts/setup-node.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        PathBuf::from(
            stdout
                .lines()
                .last()
                .expect("setup-node.sh prints a folder")
                .trim(),
        )
    } else {
        std::env::var_os("GANTRY_EXTERNALS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var("HOME").unwrap_or_default())
                    .join(".cache/gantry/externals")
            })
    };
    let node = dir.join("node20/bin/node");
    assert!(
        node.is_file(),
        "no node20 at {} (run scripts/setup-node.sh)",
        node.display()
    );
    node
}

/// One job of one run: its grant, workspace and runner files.
pub struct Job {
    pub grant: JobGrant,
    pub env: Vec<(String, String)>,
    pub workspace: TempDir,
    pub runner: TempDir,
}

pub struct JobSpec<'a> {
    pub run_id: u64,
    pub job_id: &'a str,
    pub repository: &'a str,
    pub git_ref: &'a str,
}

impl Harness {
    pub fn job(&self, spec: JobSpec<'_>) -> Job {
        let grant = JobGrant {
            base_url: self.base_url.clone(),
            run_id: spec.run_id,
            job_id: spec.job_id.to_string(),
            repository: spec.repository.to_string(),
            git_ref: spec.git_ref.to_string(),
            default_branch: Some("main".to_string()),
            base_ref: None,
        };
        let env = self.service.grant(&grant);
        Job {
            grant,
            env,
            workspace: tempfile::tempdir().unwrap(),
            runner: tempfile::tempdir().unwrap(),
        }
    }
}

/// One action step: `dir` under the official actions, its script, the step's `with:`.
pub struct Step<'a> {
    pub action: &'a str,
    pub script: &'a str,
    pub inputs: &'a [(&'a str, &'a str)],
    /// `STATE_*` for a post step: what the main step saved.
    pub state: HashMap<String, String>,
}

#[derive(Debug)]
pub struct Outcome {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
    pub outputs: HashMap<String, String>,
    pub state: HashMap<String, String>,
}

impl Outcome {
    pub fn expect_success(&self, what: &str) {
        assert!(
            self.success,
            "{what} failed:\n{}\n{}",
            self.stdout, self.stderr
        );
    }
}

/// The action's declared input defaults, with the expressions the runner would evaluate.
fn input_defaults(action_dir: &Path, job: &Job) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(action_dir.join("action.yml")).unwrap();
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut out = Vec::new();
    let Some(inputs) = yaml.get("inputs").and_then(|i| i.as_mapping()) else {
        return out;
    };
    for (name, spec) in inputs {
        let default = match spec.get("default") {
            Some(serde_yaml_ng::Value::String(s)) => s.clone(),
            Some(serde_yaml_ng::Value::Bool(b)) => b.to_string(),
            Some(serde_yaml_ng::Value::Number(n)) => n.to_string(),
            _ => continue,
        };
        let default = default
            .replace("${{ github.repository }}", &job.grant.repository)
            .replace("${{ github.run_id }}", &job.grant.run_id.to_string())
            .replace("${{ github.token }}", "unused-github-token");
        out.push((name.as_str().unwrap().to_string(), default));
    }
    out
}

/// `name=value` and `name<<DELIM ... DELIM` lines, as the runner reads them.
pub fn parse_command_file(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            out.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            out.insert(name.to_string(), value.to_string());
        }
    }
    out
}

fn runner_env(job: &Job, files: &Path) -> Vec<(String, String)> {
    let g = &job.grant;
    let owner = g
        .repository
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let event = files.join("event.json");
    std::fs::write(&event, "{}").unwrap();
    let mut env: Vec<(String, String)> = [
        (
            "GITHUB_WORKSPACE",
            job.workspace.path().display().to_string(),
        ),
        (
            "RUNNER_TEMP",
            job.runner.path().join("temp").display().to_string(),
        ),
        (
            "RUNNER_TOOL_CACHE",
            job.runner.path().join("tool").display().to_string(),
        ),
        ("GITHUB_REPOSITORY", g.repository.clone()),
        ("GITHUB_REPOSITORY_OWNER", owner),
        ("GITHUB_REF", g.git_ref.clone()),
        ("GITHUB_RUN_ID", g.run_id.to_string()),
        ("GITHUB_RUN_ATTEMPT", "1".into()),
        ("GITHUB_JOB", g.job_id.clone()),
        (
            "GITHUB_SHA",
            "0123456789abcdef0123456789abcdef01234567".into(),
        ),
        ("GITHUB_EVENT_NAME", "push".into()),
        ("GITHUB_EVENT_PATH", event.display().to_string()),
        ("GITHUB_SERVER_URL", "https://github.com".into()),
        ("GITHUB_API_URL", "https://api.github.com".into()),
        ("GITHUB_ACTIONS", "true".into()),
        ("CI", "true".into()),
        // Debug lines name the protocol each client chose; the tests check them.
        ("RUNNER_DEBUG", "1".into()),
        ("RUNNER_OS", "Linux".into()),
        ("RUNNER_ARCH", "X64".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for name in [
        "GITHUB_OUTPUT",
        "GITHUB_STATE",
        "GITHUB_ENV",
        "GITHUB_PATH",
        "GITHUB_STEP_SUMMARY",
    ] {
        let path = files.join(name.to_lowercase());
        std::fs::write(&path, "").unwrap();
        env.push((name.to_string(), path.display().to_string()));
    }
    env
}

/// Runs one step with node20 in a clean environment (PATH and HOME kept for `tar`/`zstd`).
pub async fn run_step(job: &Job, step: Step<'_>) -> Outcome {
    let action_dir = official_actions().join(step.action);
    let files = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(job.runner.path().join("temp")).unwrap();
    let mut cmd = tokio::process::Command::new(node20());
    cmd.arg(action_dir.join(step.script))
        .current_dir(job.workspace.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .envs(runner_env(job, files.path()))
        .envs(job.env.iter().cloned())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let mut inputs = input_defaults(&action_dir, job);
    inputs.extend(
        step.inputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    for (name, value) in inputs {
        cmd.env(
            format!("INPUT_{}", name.replace(' ', "_").to_uppercase()),
            value,
        );
    }
    for (name, value) in &step.state {
        cmd.env(format!("STATE_{name}"), value);
    }
    // A guard against a hung client, not a timing assertion: the clients retry for minutes.
    let out = tokio::time::timeout(Duration::from_secs(300), cmd.output())
        .await
        .expect("the action finished")
        .expect("node started");
    let read = |name: &str| std::fs::read_to_string(files.path().join(name)).unwrap_or_default();
    Outcome {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        outputs: parse_command_file(&read("github_output")),
        state: parse_command_file(&read("github_state")),
    }
}

/// Deterministic, incompressible-enough test content of `len` bytes.
pub fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

pub fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

pub fn read(root: &Path, rel: &str) -> Vec<u8> {
    let path = root.join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}
