//! Shared by the integration tests: test repositories made with the host `git`, and a
//! `GitServer` serving them on 127.0.0.1 (a random port) from its own runtime thread, so tests
//! can run blocking `git` and `node` processes against it.

#![allow(dead_code)] // each test binary uses its own part of this module

pub mod checkout;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use gantry_githttp::{GitServer, GitServerConfig};
use tempfile::TempDir;

/// The repository the workflow runs for, and the second one (its submodule).
pub const REPO: &str = "owner/repo";
pub const OTHER: &str = "owner/other";
pub const BRANCH: &str = "feature";
pub const TAG: &str = "v1";

/// Two served repositories: `owner/repo` (a worktree's `.git`: three commits on `main`, a tag
/// on the first, a branch `feature` with its own commit, and `sub` a submodule at `../other`)
/// and `owner/other` (a bare repository, one commit on `main`).
pub struct Fixture {
    pub dir: TempDir,
    pub home: PathBuf,
    pub repo_git_dir: PathBuf,
    pub other_git_dir: PathBuf,
    /// `main`'s head, its parent, `feature`'s head, the tagged commit, `other`'s head.
    pub main: String,
    pub main_parent: String,
    pub feature: String,
    pub tagged: String,
    pub other: String,
    /// How many commits `main` has.
    pub main_commits: usize,
}

/// Runs the host `git` in `cwd` with a private `HOME` and no system config; panics with its
/// stderr when it fails. Returns trimmed stdout.
pub fn git(cwd: &Path, home: &Path, args: &[&str]) -> String {
    let out = git_output(cwd, home, args);
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Runs the host `git` and returns whatever it did.
pub fn git_output(cwd: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .unwrap()
}

fn commit_file(repo: &Path, home: &Path, name: &str, text: &str) -> String {
    std::fs::write(repo.join(name), text).unwrap();
    git(repo, home, &["add", name]);
    git(
        repo,
        home,
        &["commit", "-q", "-m", &format!("add {name}: {text}")],
    );
    git(repo, home, &["rev-parse", "HEAD"])
}

impl Fixture {
    /// Makes the repositories. The source trees sit at `src/owner/{repo,other}`, mirroring the
    /// URL space, so the submodule's relative URL `../other` resolves both here and when served.
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let owner = dir.path().join("src/owner");
        let (repo, other_src) = (owner.join("repo"), owner.join("other"));
        for path in [&repo, &other_src] {
            std::fs::create_dir_all(path).unwrap();
            git(path, &home, &["init", "-q", "-b", "main"]);
        }
        let other = commit_file(&other_src, &home, "other.txt", "the other repository");
        let other_git_dir = dir.path().join("served/other.git");
        let bare_target = other_git_dir.to_str().unwrap();
        git(
            dir.path(),
            &home,
            &[
                "clone",
                "-q",
                "--bare",
                other_src.to_str().unwrap(),
                bare_target,
            ],
        );
        let tagged = commit_file(&repo, &home, "README.md", "first");
        git(&repo, &home, &["tag", TAG]);
        git(&repo, &home, &["checkout", "-q", "-b", BRANCH]);
        let feature = commit_file(&repo, &home, "feature.txt", "on the branch");
        git(&repo, &home, &["checkout", "-q", "main"]);
        let main_parent = commit_file(&repo, &home, "README.md", "second");
        let add = [
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            "../other",
            "sub",
        ];
        git(&repo, &home, &add);
        git(&repo, &home, &["commit", "-q", "-m", "add the submodule"]);
        let main = git(&repo, &home, &["rev-parse", "HEAD"]);
        Fixture {
            repo_git_dir: repo.join(".git"),
            other_git_dir,
            home,
            dir,
            main,
            main_parent,
            feature,
            tagged,
            other,
            main_commits: 3,
        }
    }

    /// A SHA-256 repository (one commit on `main`) beside the others, not yet served: its git
    /// directory and head.
    pub fn sha256_repository(&self) -> (PathBuf, String) {
        let work = self.fresh_dir("src/owner/modern");
        git(
            &work,
            &self.home,
            &["init", "-q", "-b", "main", "--object-format=sha256"],
        );
        let head = commit_file(&work, &self.home, "modern.txt", "sha-256 objects");
        (work.join(".git"), head)
    }

    /// A fresh empty directory under the fixture.
    pub fn fresh_dir(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path).unwrap();
        path
    }
}

/// A running server and its base URL (`http://127.0.0.1:<port>`).
pub struct Served {
    pub server: GitServer,
    pub addr: SocketAddr,
    pub url: String,
}

impl Served {
    /// Serves both fixture repositories with `config`.
    pub fn start(fixture: &Fixture, config: GitServerConfig) -> Served {
        let server = GitServer::new(config);
        server
            .add_repository(REPO, fixture.repo_git_dir.clone())
            .unwrap();
        server
            .add_repository(OTHER, fixture.other_git_dir.clone())
            .unwrap();
        let router = server.router();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                axum::serve(listener, router).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        let url = format!("http://{addr}");
        Served { server, addr, url }
    }

    /// Grants `token` the named repositories for an hour.
    pub fn grant(&self, token: &str, repositories: &[&str]) {
        let names: Vec<String> = repositories.iter().map(|r| r.to_string()).collect();
        let expires = SystemTime::now() + Duration::from_secs(3600);
        self.server.grant(token, &names, expires).unwrap();
    }

    /// `http://x-access-token:<token>@127.0.0.1:<port>/<repo>`.
    pub fn url_with_token(&self, token: &str, repo: &str) -> String {
        format!("http://x-access-token:{token}@{}/{repo}", self.addr)
    }
}
