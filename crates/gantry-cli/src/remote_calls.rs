//! Where `gantry plan` and `gantry run` get remote repositories: `--action-dir` overrides,
//! then the action cache. Remote actions come from there while a run lasts; the
//! repositories of remote reusable workflows (`uses: owner/repo/.github/workflows/x.yml@ref`
//! at job level) are fetched from there before planning, so that the planner sees them.
//! `gantry run` downloads what is missing (unless `--offline`); `gantry plan`, a dry run,
//! never does.

use anyhow::Result;
use clap::Args;
use gantry_engine::{ActionSource, ActionSourceError, Overrides};
use gantry_github::FetchError;
use gantry_load::{Loaded, RemoteRepos, RepoAt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Args, Debug, Clone, Default)]
pub struct ActionArgs {
    /// Use a local directory for a remote repository (an action's, or a reusable
    /// workflow's): owner/repo@ref=PATH (repeatable; like act's local repository option).
    #[arg(long = "action-dir", value_name = "OWNER/REPO@REF=PATH")]
    pub action_dirs: Vec<String>,
    /// Where downloaded repositories are kept (default ~/.cache/gantry/actions).
    #[arg(long, env = "GANTRY_ACTION_CACHE")]
    pub action_cache: Option<PathBuf>,
}

impl ActionArgs {
    pub fn cache_dir(&self) -> PathBuf {
        self.action_cache.clone().unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| ".".into()))
                .join(".cache/gantry/actions")
        })
    }

    /// The `--action-dir` overrides over `fallback`.
    pub fn overrides(&self, fallback: Arc<dyn ActionSource>) -> Result<Overrides> {
        let mut dirs = Vec::new();
        for spec in &self.action_dirs {
            dirs.push(Overrides::parse(spec)?);
        }
        Ok(Overrides { dirs, fallback })
    }

    /// What `gantry plan` reads: the overrides, then the cache; never the network.
    pub fn cached(&self) -> Result<Overrides> {
        let fetcher = gantry_github::FetcherConfig {
            cache_dir: self.cache_dir(),
            offline: true,
            api_base: None,
            token: None,
        }
        .build()?;
        self.overrides(Arc::new(fetcher))
    }
}

/// How the command gets what is not already there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fetching {
    /// `gantry plan`: from the overrides and the cache only.
    CacheOnly,
    /// `gantry run`: downloaded when missing (unless `--offline`, which the source knows).
    Download,
}

/// Why a repository could not be had, as the plan says it at the call.
fn reason(at: &RepoAt, e: ActionSourceError, how: Fetching, cache: &Path) -> String {
    let not_cached = match &e {
        ActionSourceError::Fetch(inner) => {
            matches!(inner.downcast_ref(), Some(FetchError::NotCached { .. }))
        }
        ActionSourceError::NoRemote { .. } => false,
    };
    if how == Fetching::CacheOnly && not_cached {
        format!(
            "{at} is not in the action cache ({}) and `gantry plan` does not download; \
             `gantry run` does (unless --offline), or give --action-dir {at}=PATH",
            cache.display()
        )
    } else {
        e.to_string()
    }
}

/// The repositories of the remote reusable workflows `loaded` calls (nested calls too),
/// from `actions`, before planning.
pub fn fetch(
    rt: &tokio::runtime::Runtime,
    loaded: &[Loaded],
    workspace: &Path,
    actions: &dyn ActionSource,
    how: Fetching,
    cache: &Path,
) -> RemoteRepos {
    let fetch_one = move |at: RepoAt| async move {
        actions
            .repository(&at.repository, &at.git_ref)
            .await
            .map_err(|e| reason(&at, e, how, cache))
    };
    let repos = rt.block_on(gantry_load::fetch_remote_calls(
        loaded, workspace, fetch_one,
    ));
    for (at, why) in repos.failures() {
        tracing::debug!(
            repository = %at,
            reason = why,
            "a reusable workflow's repository is not available"
        );
    }
    repos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dry_run_says_it_does_not_download() {
        let at = RepoAt {
            repository: "o/r".into(),
            git_ref: "v1".into(),
        };
        let not_cached = || {
            ActionSourceError::Fetch(Box::new(FetchError::NotCached {
                repository: "o/r".into(),
                git_ref: "v1".into(),
                cache: "/c".into(),
            }))
        };
        let plan = reason(&at, not_cached(), Fetching::CacheOnly, Path::new("/c"));
        assert_eq!(
            plan,
            "o/r@v1 is not in the action cache (/c) and `gantry plan` does not download; \
             `gantry run` does (unless --offline), or give --action-dir o/r@v1=PATH"
        );
        let run = reason(&at, not_cached(), Fetching::Download, Path::new("/c"));
        assert!(
            run.contains("--offline forbids downloading it") && run.contains("o/r@v1"),
            "{run}"
        );
    }
}
