//! Helpers for the tests that run `gantry run` against the real Docker engine: a scratch
//! workspace with workflow files, running the binary with JSON events, and querying the
//! engine for anything left behind. Docker must be running (scripts/setup-docker.sh); a test
//! that cannot reach it fails and says so.

#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const PAYLOAD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/events/push.json"
);

pub fn require_docker() {
    let ok = Command::new("docker")
        .args([
            "image",
            "inspect",
            "gantry/busybox:latest",
            "gantry/runner:bookworm",
        ])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "these tests need a running Docker engine with the images gantry/busybox:latest and \
         gantry/runner:bookworm: run scripts/setup-docker.sh"
    );
}

pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        require_docker();
        Workspace {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn workflow(&self, text: &str) -> PathBuf {
        self.write(".github/workflows/test.yml", text)
    }

    pub fn command(&self, extra: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gantry"));
        c.arg("run")
            .arg("-W")
            .arg(self.path().join(".github/workflows"))
            .arg("--workspace")
            .arg(self.path())
            .args(["-e", "push", "--payload", PAYLOAD, "--format", "json"])
            .args(["-P", "ubuntu-latest=gantry/busybox:latest"])
            .args(extra);
        c
    }

    /// Runs the workflow and returns the outcome.
    pub fn run(&self, extra: &[&str]) -> Run {
        Run::from(self.command(extra).output().unwrap())
    }
}

pub struct Run {
    pub output: Output,
    pub events: Vec<Value>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let events = stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        Run {
            output,
            events,
            stdout,
            stderr,
        }
    }
}

impl Run {
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    /// Log lines of a job, in order.
    pub fn lines(&self, job: &str) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["event"] == "log" && e["job"] == job)
            .map(|e| e["line"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    pub fn all_lines(&self) -> String {
        self.events
            .iter()
            .filter(|e| e["event"] == "log")
            .map(|e| e["line"].as_str().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn job(&self, job: &str) -> &Value {
        self.events
            .iter()
            .find(|e| e["event"] == "job_finished" && e["job"] == job)
            .unwrap_or_else(|| {
                panic!(
                    "no job_finished for `{job}` in:\n{}\n{}",
                    self.stdout, self.stderr
                )
            })
    }

    pub fn step(&self, job: &str, name: &str) -> &Value {
        self.events
            .iter()
            .find(|e| e["event"] == "step_finished" && e["job"] == job && e["name"] == name)
            .unwrap_or_else(|| {
                panic!(
                    "no step `{name}` in job `{job}` in:\n{}\n{}",
                    self.stdout, self.stderr
                )
            })
    }

    pub fn conclusion(&self) -> String {
        self.events
            .iter()
            .find(|e| e["event"] == "run_finished")
            .map(|e| e["conclusion"].as_str().unwrap_or_default().to_string())
            .unwrap_or_else(|| panic!("no run_finished in:\n{}\n{}", self.stdout, self.stderr))
    }

    pub fn debug(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr)
    }
}

/// Containers, networks and volumes carrying `label` (e.g. `dev.gantry.pid=123`).
pub fn labelled(label: &str) -> Vec<String> {
    let mut out = Vec::new();
    for args in [
        vec!["ps", "-a", "-q", "--filter"],
        vec!["network", "ls", "-q", "--filter"],
        vec!["volume", "ls", "-q", "--filter"],
    ] {
        let o = Command::new("docker")
            .args(&args)
            .arg(format!("label={label}"))
            .output()
            .unwrap();
        out.extend(
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string),
        );
    }
    out
}

/// Builds a small image from a Dockerfile text (the tests' own helper images).
pub fn build_image(tag: &str, dockerfile: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    let o = Command::new("docker")
        .args(["build", "-q", "-t", tag])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The official actions: `GANTRY_OFFICIAL_ACTIONS`, else `../shared/official-actions`.
pub fn official_action(name: &str) -> PathBuf {
    let root = std::env::var_os("GANTRY_OFFICIAL_ACTIONS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/official-actions")
        });
    let dir = root.join(name);
    assert!(
        dir.join("action.yml").is_file(),
        "GitHub's official actions are missing: {} has no action.yml (they live in \
         ../shared/official-actions beside the project; GANTRY_OFFICIAL_ACTIONS overrides)",
        dir.display()
    );
    dir
}

/// `uses:` of each official action the tests use, and its folder in the official actions.
pub const OFFICIAL: &[(&str, &str)] = &[
    ("actions/checkout@v4", "checkout@v4.4.0"),
    ("actions/checkout@v6", "checkout@v6.1.0"),
    ("actions/upload-artifact@v4", "upload-artifact@v4.6.2"),
    ("actions/download-artifact@v4", "download-artifact@v4.3.0"),
    ("actions/cache@v4", "cache@v4.3.0"),
    ("actions/github-script@v7", "github-script@v7.1.0"),
    ("actions/setup-node@v4", "setup-node@v4.4.0"),
];

/// `git ARGS` in `repo` with a test identity (new repositories on `main`); its trimmed output.
pub fn git(repo: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["-c", "user.name=t", "-c", "user.email=t@e"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// The tool cache as setup-node finds a version offline: `node/<version>/x64` and a
/// `x64.complete` marker, filled from Gantry's own node20.
pub fn seed_tool_cache(tool_cache: &Path) {
    let externals = std::env::var_os("GANTRY_EXTERNALS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/gantry/externals")
        });
    let node20 = externals.join("node20");
    assert!(
        node20.join("bin/node").is_file(),
        "Node 20 is missing from {}: run scripts/setup-node.sh",
        externals.display()
    );
    let version = Command::new(node20.join("bin/node"))
        .arg("--version")
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout)
        .trim()
        .trim_start_matches('v')
        .to_string();
    assert_eq!(
        version, "20.20.2",
        "the node20 scripts/setup-node.sh installs"
    );
    let dest = tool_cache.join("node").join(&version);
    std::fs::create_dir_all(&dest).unwrap();
    let o = Command::new("cp")
        .arg("-a")
        .arg(&node20)
        .arg(dest.join("x64"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(dest.join("x64.complete"), "").unwrap();
}
