//! Reading a local git repository with the `git` command: a push event for a ref (`gantry plan
//! --event push --repo .`), and later the workflow files at a pushed sha. An edge module: the
//! pure event model only receives the resulting [`PushSpec`].

use gantry_plan::event::{Commit, PushSpec, ZERO_SHA};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// Git says the directory is in no repository (the case `gantry plan`/`run` replace with
    /// a synthetic push); every other failure is one of the variants below.
    #[error("{path} is not a git repository: {detail}")]
    NotARepo { path: PathBuf, detail: String },
    #[error("cannot run `git` in {path} (is git installed?): {detail}")]
    NoGit { path: PathBuf, detail: String },
    #[error("ref `{name}` does not exist in the repository at {repo}")]
    UnknownRef { repo: PathBuf, name: String },
    #[error("`git {args}` failed in {repo}: {stderr}")]
    Failed {
        repo: PathBuf,
        args: String,
        stderr: String,
    },
}

/// What the user said about the push; everything unset is read from the repository.
#[derive(Clone, Debug, Default)]
pub struct PushQuery {
    pub git_ref: Option<String>,
    pub sha: Option<String>,
    pub before: Option<String>,
}

pub(crate) fn no_git(repo: &Path, e: std::io::Error) -> GitError {
    GitError::NoGit {
        path: repo.into(),
        detail: e.to_string(),
    }
}

pub(crate) fn git(repo: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["-c", "core.quotepath=off"])
        .args(args)
        .output()
        .map_err(|e| no_git(repo, e))?;
    if !out.status.success() {
        return Err(GitError::Failed {
            repo: repo.into(),
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub(crate) fn commit_of(repo: &Path, rev: &str) -> Option<String> {
    git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .ok()
    .map(|s| s.trim().to_string())
    .filter(|s| !s.is_empty())
}

/// Expands `main` to `refs/heads/main` (or `refs/tags/main`), checking that it exists.
fn full_ref(repo: &Path, name: &str) -> Result<String, GitError> {
    let candidates: Vec<String> = if name.starts_with("refs/") {
        vec![name.to_string()]
    } else {
        vec![format!("refs/heads/{name}"), format!("refs/tags/{name}")]
    };
    candidates
        .into_iter()
        .find(|c| commit_of(repo, c).is_some())
        .ok_or_else(|| GitError::UnknownRef {
            repo: repo.into(),
            name: name.to_string(),
        })
}

/// Whether `repo` is in a git repository: `Ok(false)` only when git itself says it found
/// none; git missing, a directory that cannot be entered, a `.git` that points nowhere or a
/// repository git refuses (`safe.directory`) are errors. Git's messages are read untranslated (`LC_ALL=C`).
pub fn is_repository(repo: &Path) -> Result<bool, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--git-dir"])
        .env("LC_ALL", "C")
        .env("LANGUAGE", "C")
        .output()
        .map_err(|e| no_git(repo, e))?;
    if out.status.success() {
        return Ok(true);
    }
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    // "not a git repository (or any of the parent directories)", "(or any parent up to
    // mount point ...)": git looked and found none. A broken `.git` file says
    // "not a git repository: PATH", which is an error like any other.
    if stderr.contains("not a git repository (or any") {
        return Ok(false);
    }
    Err(GitError::Failed {
        repo: repo.into(),
        args: "rev-parse --git-dir".into(),
        stderr,
    })
}

/// Builds a push of `query.git_ref` (default: the checked-out branch) in `repo`.
pub fn push_from_repo(repo: &Path, query: &PushQuery) -> Result<PushSpec, GitError> {
    if !is_repository(repo)? {
        return Err(GitError::NotARepo {
            path: repo.into(),
            detail: "git found no repository here or in any parent directory".into(),
        });
    }
    let git_ref = match &query.git_ref {
        Some(r) => full_ref(repo, r)?,
        None => git(repo, &["symbolic-ref", "--quiet", "HEAD"])
            .map(|s| s.trim().to_string())
            .map_err(|_| GitError::UnknownRef {
                repo: repo.into(),
                name: "HEAD (detached: pass --ref)".into(),
            })?,
    };
    let sha = match &query.sha {
        Some(s) => commit_of(repo, s).ok_or_else(|| GitError::UnknownRef {
            repo: repo.into(),
            name: s.clone(),
        })?,
        None => commit_of(repo, &git_ref).ok_or_else(|| GitError::UnknownRef {
            repo: repo.into(),
            name: git_ref.clone(),
        })?,
    };
    let before = match &query.before {
        Some(b) if b.chars().all(|c| c == '0') => ZERO_SHA.to_string(),
        Some(b) => commit_of(repo, b).ok_or_else(|| GitError::UnknownRef {
            repo: repo.into(),
            name: b.clone(),
        })?,
        None => commit_of(repo, &format!("{sha}^")).unwrap_or_else(|| ZERO_SHA.to_string()),
    };
    let (changed, commits) = if before == ZERO_SHA {
        let files = lines(&git(repo, &["ls-tree", "-r", "--name-only", &sha])?);
        (files, read_commits(repo, &sha, 1)?)
    } else {
        let files = lines(&git(repo, &["diff", "--name-only", &before, &sha])?);
        (files, read_commits(repo, &format!("{before}..{sha}"), 20)?)
    };
    let pusher = git(repo, &["log", "-1", "--format=%an%x1f%ae", &sha])
        .ok()
        .and_then(|s| {
            s.trim()
                .split_once('\x1f')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        });
    Ok(PushSpec {
        git_ref,
        before: Some(before),
        after: sha,
        repository: repository_name(repo),
        pusher,
        commits,
        changed_files: Some(changed),
        forced: false,
    })
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// `owner/name` from the `origin` remote when there is one, else the directory name.
fn repository_name(repo: &Path) -> Option<String> {
    if let Ok(url) = git(repo, &["remote", "get-url", "origin"]) {
        let url = url.trim().trim_end_matches(".git");
        let parts: Vec<&str> = url.rsplit(['/', ':']).take(2).collect();
        if parts.len() == 2 && !parts[0].is_empty() && !parts[1].is_empty() {
            return Some(format!("{}/{}", parts[1], parts[0]));
        }
    }
    let top = git(repo, &["rev-parse", "--show-toplevel"]).ok()?;
    let name = Path::new(top.trim())
        .file_name()?
        .to_string_lossy()
        .into_owned();
    Some(format!("local/{name}"))
}

fn read_commits(repo: &Path, range: &str, max: usize) -> Result<Vec<Commit>, GitError> {
    let n = format!("-n{max}");
    let log = git(
        repo,
        &[
            "log",
            &n,
            "--reverse",
            "--format=%x1e%H%x1f%an%x1f%ae%x1f%aI%x1f%B%x1f",
            "--name-status",
            range,
        ],
    )?;
    let mut out = Vec::new();
    for rec in log.split('\x1e').filter(|r| !r.trim().is_empty()) {
        let f: Vec<&str> = rec.splitn(6, '\x1f').collect();
        if f.len() < 6 {
            continue;
        }
        let mut c = Commit {
            id: f[0].to_string(),
            author_name: f[1].to_string(),
            author_email: f[2].to_string(),
            timestamp: f[3].to_string(),
            message: f[4].trim_end().to_string(),
            ..Commit::default()
        };
        for line in f[5].lines() {
            let mut parts = line.split('\t');
            let (Some(status), Some(path)) = (parts.next(), parts.next()) else {
                continue;
            };
            let last = parts.next_back().unwrap_or(path).to_string();
            match status.chars().next() {
                Some('A') | Some('C') => c.added.push(last),
                Some('D') => c.removed.push(path.to_string()),
                Some('R') => {
                    c.removed.push(path.to_string());
                    c.added.push(last);
                }
                Some(_) => c.modified.push(path.to_string()),
                None => {}
            }
        }
        out.push(c);
    }
    Ok(out)
}

/// The workflow files (`.github/workflows/*.yml|yaml`, not in subdirectories: GitHub reads
/// none) of the tree at `sha`, as bytes:
/// read in-process for a full sha (see [`crate::objects`]), with `git` for anything else.
pub fn workflow_files_at(repo: &Path, sha: &str) -> Result<Vec<(String, Vec<u8>)>, GitError> {
    let Some(id) = crate::objects::full_id(sha) else {
        return workflow_files_by_command(repo, sha);
    };
    match crate::objects::workflow_files(repo, id) {
        Ok(Some(files)) => Ok(files),
        Ok(None) => Err(GitError::UnknownRef {
            repo: repo.into(),
            name: sha.to_string(),
        }),
        Err(stderr) => Err(GitError::Failed {
            repo: repo.into(),
            args: format!("(read the tree of {sha})"),
            stderr,
        }),
    }
}

pub(crate) fn workflow_files_by_command(
    repo: &Path,
    sha: &str,
) -> Result<Vec<(String, Vec<u8>)>, GitError> {
    let listing = git(
        repo,
        &[
            "ls-tree",
            "-r",
            "--name-only",
            sha,
            "--",
            ".github/workflows",
        ],
    )?;
    let mut out = Vec::new();
    for path in listing.lines() {
        let in_dir = path
            .strip_prefix(".github/workflows/")
            .is_some_and(|name| !name.contains('/'));
        if !in_dir || !(path.ends_with(".yml") || path.ends_with(".yaml")) {
            continue;
        }
        let bytes = Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["show", &format!("{sha}:{path}")])
            .output()
            .map_err(|e| no_git(repo, e))?;
        if bytes.status.success() {
            out.push((path.to_string(), bytes.stdout));
        }
    }
    Ok(out)
}

/// Writes the tree at `sha` into `dest` (a checkout without `.git`), for a run's workspace.
pub fn export_tree(repo: &Path, sha: &str, dest: &Path) -> Result<(), GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["archive", "--format=tar", sha])
        .output()
        .map_err(|e| no_git(repo, e))?;
    if !out.status.success() {
        return Err(GitError::Failed {
            repo: repo.into(),
            args: format!("archive {sha}"),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    std::fs::create_dir_all(dest).map_err(|e| GitError::Failed {
        repo: repo.into(),
        args: "archive (extract)".into(),
        stderr: e.to_string(),
    })?;
    tar::Archive::new(&out.stdout[..])
        .unpack(dest)
        .map_err(|e| GitError::Failed {
            repo: repo.into(),
            args: "archive (extract)".into(),
            stderr: e.to_string(),
        })
}

/// The git directory of the repository at `repo`: its `.git`, the directory a worktree's
/// `.git` file names, or `repo` itself when bare (what Gantry's git server serves).
pub fn git_dir(repo: &Path) -> Option<std::path::PathBuf> {
    let path = git(repo, &["rev-parse", "--absolute-git-dir"]).ok()?;
    let path = path.trim();
    (!path.is_empty()).then(|| std::path::PathBuf::from(path))
}

/// Whether the repository has commit `sha` (in-process for a full sha).
pub fn has_commit(repo: &Path, sha: &str) -> bool {
    match crate::objects::full_id(sha).map(|id| crate::objects::has_commit(repo, id)) {
        Some(Ok(found)) => found,
        Some(Err(_)) | None => commit_of(repo, sha).is_some(),
    }
}

/// Fetches every remote of the repository (a mirror catching up with a push it heard of
/// before it had the commit); false when it has no remote or the fetch failed.
pub fn fetch_remotes(repo: &Path) -> bool {
    let remotes = git(repo, &["remote"]).unwrap_or_default();
    !remotes.trim().is_empty() && git(repo, &["fetch", "--quiet", "--all"]).is_ok()
}
