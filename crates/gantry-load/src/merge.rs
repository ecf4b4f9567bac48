//! A pull request's merge commit in a local repository, built as GitHub builds
//! `refs/pull/N/merge`: the head merged into the base by a three-way merge of trees (`git
//! merge-tree --write-tree`, git 2.38 or later), written as a commit whose parents are the
//! base and the head, and pointed to by `refs/pull/N/merge` (the head by `refs/pull/N/head`).
//! No working tree or index is read or written, so a repository with a checkout is left as
//! it was. A conflict writes no commit and no ref: GitHub runs no `pull_request` workflow
//! then. Also the files a pull request changes (for `paths` filters) and a branch's tip.

use super::git::{commit_of, git, no_git, GitError};
use std::path::Path;
use std::process::Command;

/// Which commits to merge, for which pull request.
#[derive(Clone, Copy, Debug)]
pub struct MergeSpec<'a> {
    pub number: u64,
    pub base: &'a str,
    pub head: &'a str,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Merge {
    /// The merge commit's sha; `refs/pull/N/merge` points to it.
    Commit(String),
    /// The head does not merge cleanly into the base: these files conflict.
    Conflict { files: Vec<String> },
}

/// `git ARGS` with more environment; stdout when git exits 0, else its exit code and stderr.
fn run(
    repo: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<Result<String, (i32, String)>, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["-c", "core.quotepath=off"])
        .args(args)
        .envs(env.iter().copied())
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| no_git(repo, e))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    Ok(match out.status.code() {
        Some(0) => Ok(stdout),
        code => Err((
            code.unwrap_or(-1),
            format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
        )),
    })
}

fn failed(repo: &Path, args: &str, stderr: String) -> GitError {
    GitError::Failed {
        repo: repo.into(),
        args: args.to_string(),
        stderr: stderr.trim().to_string(),
    }
}

/// Merges `spec.head` into `spec.base` and points `refs/pull/N/merge` at the result. The
/// commit is the same for the same base and head (author GitHub, the head's commit time),
/// so a redelivered event builds the commit it built before.
pub fn merge_commit(repo: &Path, spec: MergeSpec<'_>) -> Result<Merge, GitError> {
    let tree = match merge_tree(repo, spec)? {
        Ok(tree) => tree,
        Err(files) => return Ok(Merge::Conflict { files }),
    };
    let time = git(repo, &["log", "-1", "--format=%ct", spec.head])?;
    let date = format!("@{} +0000", time.trim());
    let message = format!("Merge {} into {}", spec.head, spec.base);
    let env = [
        ("GIT_AUTHOR_NAME", "GitHub"),
        ("GIT_AUTHOR_EMAIL", "noreply@github.com"),
        ("GIT_AUTHOR_DATE", date.as_str()),
        ("GIT_COMMITTER_NAME", "GitHub"),
        ("GIT_COMMITTER_EMAIL", "noreply@github.com"),
        ("GIT_COMMITTER_DATE", date.as_str()),
    ];
    let args = [
        "commit-tree",
        tree.as_str(),
        "-p",
        spec.base,
        "-p",
        spec.head,
        "-m",
        &message,
    ];
    let sha = run(repo, &args, &env)?
        .map_err(|(_, e)| failed(repo, "commit-tree", e))?
        .trim()
        .to_string();
    let merge_ref = format!("refs/pull/{}/merge", spec.number);
    let head_ref = format!("refs/pull/{}/head", spec.number);
    git(repo, &["update-ref", &merge_ref, &sha])?;
    git(repo, &["update-ref", &head_ref, spec.head])?;
    Ok(Merge::Commit(sha))
}

/// The merged tree's id, or the conflicting files (git exits 1 on a conflict).
fn merge_tree(repo: &Path, spec: MergeSpec<'_>) -> Result<Result<String, Vec<String>>, GitError> {
    let args = [
        "merge-tree",
        "--write-tree",
        "--name-only",
        "--no-messages",
        spec.base,
        spec.head,
    ];
    match run(repo, &args, &[])? {
        Ok(out) => match out.lines().next() {
            Some(tree) if !tree.trim().is_empty() => Ok(Ok(tree.trim().to_string())),
            _ => Err(failed(repo, "merge-tree", "no tree written".into())),
        },
        Err((1, out)) => {
            let mut files: Vec<String> = out
                .lines()
                .skip(1)
                .take_while(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            files.dedup();
            Ok(Err(files))
        }
        Err((_, e)) => Err(failed(repo, &args.join(" "), e)),
    }
}

/// The files a pull request changes, as GitHub lists them: the diff from the merge base of
/// `base` and `head` to `head` (renames as a removed and an added path).
pub fn changed_files(repo: &Path, base: &str, head: &str) -> Result<Vec<String>, GitError> {
    let range = format!("{base}...{head}");
    let out = git(repo, &["diff", "--name-only", "--no-renames", &range])?;
    let mut files: Vec<String> = out.lines().map(str::to_string).collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// The commit at the tip of branch `name`, if the repository has the branch.
pub fn branch_tip(repo: &Path, name: &str) -> Option<String> {
    commit_of(repo, &format!("refs/heads/{name}"))
}

#[cfg(test)]
mod tests;
