//! Reusable workflows in other repositories (`uses: owner/repo/.github/workflows/x.yml@ref`
//! at job level): where a call points ([`call_target`]: inside a remote workflow, `./` paths
//! are in that same repository at the same ref, as on GitHub), the repositories the front
//! fetched before planning ([`RemoteRepos`]), and GitHub's limits on nesting. The planner
//! stays pure: it never fetches, it only looks at what it is handed.

use super::resolve::{called_workflow, InvalidWorkflow};
use gantry_core::action_ref::ActionRef;
use gantry_core::model::Workflow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// GitHub connects at most ten levels of workflows: the top-level caller and nine levels of
/// reusable workflows below it (raised from four in November 2025).
pub const MAX_CALL_LEVELS: usize = 10;

/// GitHub calls at most 50 unique reusable workflows from one top-level workflow, counting
/// every nested call (raised from 20 in November 2025).
pub const MAX_UNIQUE_CALLED: usize = 50;

/// A repository at a ref: `owner/repo@ref`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoAt {
    pub repository: String,
    pub git_ref: String,
}

impl fmt::Display for RepoAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.repository, self.git_ref)
    }
}

/// A reusable workflow in another repository: `owner/repo/PATH@REF`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RemoteAt {
    pub repo: RepoAt,
    /// The file inside the repository (`.github/workflows/x.yml`).
    pub path: String,
}

impl fmt::Display for RemoteAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}@{}",
            self.repo.repository, self.path, self.repo.git_ref
        )
    }
}

/// The workflow a job's `uses:` calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallTarget {
    /// A file in the workspace (`./.github/workflows/x.yml` in a workspace workflow).
    Local(String),
    /// A file in another repository: written `owner/repo/...@ref`, or `./...` inside a
    /// workflow of that repository.
    Remote(RemoteAt),
}

/// Where the job-level `uses` of a workflow that lives in `within` (`None`: the workspace)
/// points; `None` for a reference that names no workflow file.
pub fn call_target(uses: &ActionRef, within: Option<&RepoAt>) -> Option<CallTarget> {
    match (uses, within) {
        (ActionRef::Local { path, .. }, None) => Some(CallTarget::Local(path.clone())),
        (ActionRef::Local { path, .. }, Some(repo)) => Some(CallTarget::Remote(RemoteAt {
            repo: repo.clone(),
            path: path.clone(),
        })),
        (ActionRef::Remote(r), _) => Some(CallTarget::Remote(RemoteAt {
            repo: RepoAt {
                repository: format!("{}/{}", r.owner, r.repo),
                git_ref: r.git_ref.clone(),
            },
            path: r.path.clone().unwrap_or_default(),
        })),
        (ActionRef::Docker(_), _) => None,
    }
}

/// The call targets of `workflow`'s jobs, in job order, each once.
pub fn call_targets(workflow: &Workflow, within: Option<&RepoAt>) -> Vec<CallTarget> {
    let mut out: Vec<CallTarget> = Vec::new();
    for job in &workflow.jobs {
        let gantry_core::model::JobKind::Call(c) = &job.kind else {
            continue;
        };
        let Ok(uses) = &c.uses.parsed else { continue };
        if let Some(t) = call_target(uses, within) {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

/// Why a remote reusable workflow cannot be planned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// Its repository was not fetched before planning; `reason` says why (a download that
    /// failed, `--offline` with nothing in the cache, a front that does not fetch).
    #[error("not fetched: {reason}")]
    NotFetched { reason: String },
    #[error("invalid: {0}")]
    Invalid(#[from] InvalidWorkflow),
}

/// What a front that does not fetch remote repositories says (the `Resolver` default).
pub const NOT_FETCHED_HERE: &str =
    "remote reusable workflows are read only from repositories fetched before planning";

/// The repositories a front fetched before planning: each (repository, ref) with its
/// local directory, or why it could not be fetched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteRepos {
    repos: BTreeMap<RepoAt, Result<PathBuf, String>>,
}

impl RemoteRepos {
    pub fn insert(&mut self, at: RepoAt, fetched: Result<PathBuf, String>) {
        self.repos.insert(at, fetched);
    }

    pub fn get(&self, at: &RepoAt) -> Option<&Result<PathBuf, String>> {
        self.repos.get(at)
    }

    pub fn is_empty(&self) -> bool {
        self.repos.is_empty()
    }

    /// The repositories that could not be fetched, with why.
    pub fn failures(&self) -> impl Iterator<Item = (&RepoAt, &str)> {
        self.repos
            .iter()
            .filter_map(|(at, r)| r.as_ref().err().map(|e| (at, e.as_str())))
    }

    /// The workflow at `at`, read with `read` (a file's bytes, `None` when it cannot be
    /// read) from its repository's directory: `Ok(None)` when the file is not there.
    pub fn workflow(
        &self,
        at: &RemoteAt,
        read: impl Fn(&Path) -> Option<Vec<u8>>,
    ) -> Result<Option<Workflow>, RemoteError> {
        let dir = match self.repos.get(&at.repo) {
            Some(Ok(dir)) => dir,
            Some(Err(reason)) => {
                return Err(RemoteError::NotFetched {
                    reason: reason.clone(),
                })
            }
            None => {
                return Err(RemoteError::NotFetched {
                    reason: format!("{} was not fetched before planning", at.repo),
                })
            }
        };
        // A path leaving the repository (`..`) names nothing in it.
        if at.path.split('/').any(|c| c == "..") || at.path.starts_with('/') {
            return Ok(None);
        }
        let Some(bytes) = read(&dir.join(&at.path)) else {
            return Ok(None);
        };
        Ok(called_workflow(&bytes, &at.to_string())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::action_ref::parse_job_uses;

    fn repo(r: &str, g: &str) -> RepoAt {
        RepoAt {
            repository: r.into(),
            git_ref: g.into(),
        }
    }

    #[test]
    fn call_targets_follow_the_repository_they_are_in() {
        let inside = repo("o/shared", "v1");
        let table: &[(&str, Option<&RepoAt>, &str)] = &[
            (
                "./.github/workflows/a.yml",
                None,
                "local .github/workflows/a.yml",
            ),
            (
                "./.github/workflows/a.yml",
                Some(&inside),
                "remote o/shared/.github/workflows/a.yml@v1",
            ),
            (
                "x/y/.github/workflows/b.yml@main",
                None,
                "remote x/y/.github/workflows/b.yml@main",
            ),
            (
                "x/y/.github/workflows/b.yml@main",
                Some(&inside),
                "remote x/y/.github/workflows/b.yml@main",
            ),
        ];
        for (uses, within, want) in table {
            let parsed = parse_job_uses(uses).unwrap();
            let got = match call_target(&parsed, *within) {
                Some(CallTarget::Local(p)) => format!("local {p}"),
                Some(CallTarget::Remote(at)) => format!("remote {at}"),
                None => "none".into(),
            };
            assert_eq!(&got, want, "{uses}");
        }
    }

    #[test]
    fn fetched_repositories_give_workflows_or_say_why_not() {
        let file = "on: workflow_call\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n";
        let mut repos = RemoteRepos::default();
        repos.insert(repo("o/ok", "v1"), Ok(PathBuf::from("/cache/o/ok")));
        repos.insert(repo("o/gone", "v1"), Err("not in the cache".into()));
        let read =
            |p: &Path| (p == Path::new("/cache/o/ok/w.yml")).then(|| file.as_bytes().to_vec());
        let at = |r: &str, path: &str| RemoteAt {
            repo: repo(r, "v1"),
            path: path.into(),
        };
        assert!(repos
            .workflow(&at("o/ok", "w.yml"), read)
            .unwrap()
            .is_some());
        assert_eq!(repos.workflow(&at("o/ok", "none.yml"), read), Ok(None));
        assert_eq!(repos.workflow(&at("o/ok", "../ok/w.yml"), read), Ok(None));
        let e = repos.workflow(&at("o/gone", "w.yml"), read).unwrap_err();
        assert_eq!(e.to_string(), "not fetched: not in the cache");
        let e = repos.workflow(&at("o/never", "w.yml"), read).unwrap_err();
        assert_eq!(
            e.to_string(),
            "not fetched: o/never@v1 was not fetched before planning"
        );
        assert_eq!(repos.failures().count(), 1);
    }
}
