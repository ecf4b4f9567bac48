//! Runs GitHub's official `actions/checkout` (unmodified, from `../shared/official-actions`)
//! with a real `node`, the way the runner starts a JavaScript action: every input of its
//! `action.yml` as `INPUT_<NAME>` (upper-cased, hyphens kept) with its default, the job's
//! `GITHUB_*`/`RUNNER_*` variables and file commands, the step's working directory the
//! workspace; and its post step again with `STATE_*` from the main step's `GITHUB_STATE` file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The folder of the official actions: `GANTRY_OFFICIAL_ACTIONS`, else `../shared/official-actions`
/// beside the workspace. Panics (the test fails) when it is missing.
pub fn official_actions() -> PathBuf {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/official-actions");
    let dir = std::env::var_os("GANTRY_OFFICIAL_ACTIONS")
        .map(PathBuf::from)
        .unwrap_or(beside);
    assert!(
        dir.join("checkout@v4.4.0/action.yml").is_file(),
        "the official actions are missing at {} (expected ../shared/official-actions beside the \
         project, or set GANTRY_OFFICIAL_ACTIONS)",
        dir.display()
    );
    dir
}

/// The node binary for `runs.using` (`node20`, `node24`): `GANTRY_EXTERNALS`, else
/// `~/.cache/gantry/externals` (where `scripts/setup-node.sh` installs them). Panics when missing.
pub fn node(using: &str) -> PathBuf {
    let externals = std::env::var_os("GANTRY_EXTERNALS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").expect("HOME is not set");
            Path::new(&home).join(".cache/gantry/externals")
        });
    let node = externals.join(using).join("bin/node");
    assert!(
        node.is_file(),
        "{} is missing: install the Node runtimes (scripts/setup-node.sh) or set GANTRY_EXTERNALS",
        node.display()
    );
    node
}

/// The job around one checkout step.
pub struct Job {
    pub server_url: String,
    pub repository: String,
    pub sha: String,
    pub git_ref: String,
    pub token: String,
    pub root: PathBuf,
}

/// What a step left: its state (for the post step) and outputs.
pub struct StepResult {
    pub state: BTreeMap<String, String>,
    pub outputs: BTreeMap<String, String>,
}

/// One version of checkout (`checkout@v4.4.0`).
pub struct Checkout {
    pub dir: PathBuf,
    using: String,
    defaults: Vec<(String, String)>,
}

impl Checkout {
    pub fn load(version: &str) -> Checkout {
        let dir = official_actions().join(format!("checkout@{version}"));
        let text = std::fs::read_to_string(dir.join("action.yml")).unwrap();
        let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
        let using = yaml["runs"]["using"].as_str().unwrap().to_string();
        let inputs = yaml["inputs"].as_mapping().unwrap();
        let defaults = inputs
            .iter()
            .map(|(name, spec)| (name.as_str().unwrap().to_string(), scalar(&spec["default"])))
            .collect();
        Checkout {
            dir,
            using,
            defaults,
        }
    }

    pub fn workspace(job: &Job) -> PathBuf {
        job.root.join("workspace")
    }

    /// Runs the main step with `inputs` over the defaults; panics when it fails.
    pub fn run_main(&self, job: &Job, inputs: &[(&str, &str)]) -> StepResult {
        let mut env = self.job_env(job);
        for (name, default) in &self.defaults {
            let given = inputs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.to_string());
            let value = given.unwrap_or_else(|| resolve(default, job));
            env.push((format!("INPUT_{}", name.to_uppercase()), value));
        }
        for (name, _) in inputs {
            assert!(
                self.defaults.iter().any(|(n, _)| n == name),
                "checkout has no input {name}"
            );
        }
        self.node(job, env, "main");
        StepResult {
            state: read_file_command(&job.root.join("state")),
            outputs: read_file_command(&job.root.join("output")),
        }
    }

    /// Runs the post step with the main step's state; panics when it fails.
    pub fn run_post(&self, job: &Job, main: &StepResult) {
        let mut env = self.job_env(job);
        for (name, value) in &main.state {
            env.push((format!("STATE_{name}"), value.clone()));
        }
        self.node(job, env, "post");
    }

    fn job_env(&self, job: &Job) -> Vec<(String, String)> {
        let path = |name: &str| job.root.join(name).to_str().unwrap().to_string();
        for dir in ["workspace", "temp", "home"] {
            std::fs::create_dir_all(job.root.join(dir)).unwrap();
        }
        std::fs::write(job.root.join("event.json"), "{}").unwrap();
        for file in ["state", "output", "env", "path"] {
            std::fs::write(job.root.join(file), "").unwrap();
        }
        let owner = job.repository.split('/').next().unwrap().to_string();
        let fixed = [
            ("CI", "true".to_string()),
            ("GITHUB_ACTIONS", "true".to_string()),
            ("GITHUB_SERVER_URL", job.server_url.clone()),
            ("GITHUB_API_URL", format!("{}/api/v3", job.server_url)),
            (
                "GITHUB_GRAPHQL_URL",
                format!("{}/api/graphql", job.server_url),
            ),
            ("GITHUB_REPOSITORY", job.repository.clone()),
            ("GITHUB_REPOSITORY_OWNER", owner),
            ("GITHUB_SHA", job.sha.clone()),
            ("GITHUB_REF", job.git_ref.clone()),
            ("GITHUB_EVENT_NAME", "push".to_string()),
            ("GITHUB_EVENT_PATH", path("event.json")),
            ("GITHUB_WORKSPACE", path("workspace")),
            ("GITHUB_STATE", path("state")),
            ("GITHUB_OUTPUT", path("output")),
            ("GITHUB_ENV", path("env")),
            ("GITHUB_PATH", path("path")),
            ("RUNNER_TEMP", path("temp")),
            ("RUNNER_OS", "Linux".to_string()),
            ("RUNNER_ARCH", "X64".to_string()),
            ("HOME", path("home")),
            ("PATH", std::env::var("PATH").unwrap()),
        ];
        fixed.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    fn node(&self, job: &Job, env: Vec<(String, String)>, step: &str) {
        let out = Command::new(node(&self.using))
            .arg(self.dir.join("dist/index.js"))
            .current_dir(job.root.join("workspace"))
            .env_clear()
            .envs(env)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "checkout {step} failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !stdout.contains(&job.token),
            "checkout's log shows the token"
        );
    }
}

/// An `action.yml` default as the runner passes it: YAML scalars as text, null as "".
fn scalar(value: &serde_yaml_ng::Value) -> String {
    match value {
        serde_yaml_ng::Value::Null => String::new(),
        serde_yaml_ng::Value::Bool(b) => b.to_string(),
        serde_yaml_ng::Value::Number(n) => n.to_string(),
        serde_yaml_ng::Value::String(s) => s.clone(),
        other => panic!("unexpected default {other:?}"),
    }
}

/// The two expressions checkout's defaults use.
fn resolve(default: &str, job: &Job) -> String {
    match default {
        "${{ github.repository }}" => job.repository.clone(),
        "${{ github.token }}" => job.token.clone(),
        text => {
            assert!(
                !text.contains("${{"),
                "unhandled expression in a default: {text}"
            );
            text.to_string()
        }
    }
}

/// A file command's `name<<DELIMITER` blocks (and `name=value` lines), as the runner reads them.
fn read_file_command(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let mut values = BTreeMap::new();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            values.insert(name.to_string(), body.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            values.insert(name.to_string(), value.to_string());
        }
    }
    values
}
