//! Where a served event's workflows (and workspace) come from: a configured repository's
//! `.github/workflows` at the event's sha (read with git, cached per sha — a sha never
//! changes; for pull requests, the sha `pull_requests` settles), or a named hook's workflow
//! directory.

use super::config::{HookConfig, RepositoryConfig};
use gantry_github::ActionFetcher;
use gantry_github::FetchError;
use gantry_load::git::GitError;
use gantry_load::LoadError;
use gantry_plan::platform::PlatformMap;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Reading and checking are the loading layer's, shared with the CLI.
pub use gantry_load::{check, Loaded};

pub use super::checked::Workflows;

/// Why an event has no workflows or workspace: what it names is not configured (or no
/// longer, when a stored event runs), or reading them failed. Shown as an event's
/// `not_matched` reason or a run's failure.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("no webhook named `{name}` is configured")]
    NoHook { name: String },
    #[error("no [kafka] section is configured")]
    NoKafka,
    #[error("repository `{name}` is not configured")]
    NoRepository { name: String },
    #[error("`{event}` events of {repository} are not handled (only push, pull_request and pull_request_target)")]
    NotHandled { event: String, repository: String },
    /// A pull request payload without a field the run needs.
    #[error("pull request #{number}: the payload has no `pull_request.{field}`")]
    PullRequestField { number: u64, field: &'static str },
    /// The head does not merge cleanly into the base: GitHub runs no `pull_request`
    /// workflow then (`pull_request_target` ones still run).
    #[error("pull request #{number} has a merge conflict ({files}): no merge commit, so no pull_request workflow runs, as on GitHub")]
    MergeConflict { number: u64, files: String },
    /// The merge commit built here for a run accepted elsewhere is not the one recorded
    /// (the repositories of the two hosts differ).
    #[error("pull request #{number}: the merge commit built on this host ({built}) is not the one recorded when the event was accepted ({recorded}); the hosts' repositories differ")]
    MergeDiffers {
        number: u64,
        recorded: String,
        built: String,
    },
    /// `pull_request_target` runs the default branch, which the repository does not have.
    #[error("branch `{branch}` is not in repository `{repository}`")]
    NoBranch { repository: String, branch: String },
    #[error("{repository} is on GitHub, but no GitHub client could be built")]
    NoGitHubClientFor { repository: String },
    /// The push names a commit the local repository does not have yet (and fetching its
    /// remotes did not bring it): nothing is decided or recorded, the sender tries again.
    #[error(
        "commit {sha} is not in repository `{repository}` yet; deliver the event again once it is"
    )]
    CommitNotYet { repository: String, sha: String },
    #[error("no GitHub client could be built")]
    NoGitHubClient,
    #[error("{repository} is not a local repository")]
    NotLocal { repository: String },
    #[error("no local path")]
    NoLocalPath,
    /// A stored event's hook, removed from the configuration since.
    #[error("hook `{name}` is no longer configured")]
    HookGone { name: String },
    #[error("[kafka] is no longer configured")]
    KafkaGone,
    #[error("repository `{name}` is no longer configured")]
    RepositoryGone { name: String },
    /// The run's workspace directory could not be made.
    #[error(transparent)]
    Workspace(std::io::Error),
    #[error("copying {}: {error}", path.display())]
    Copy {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    GitHub(#[from] FetchError),
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The blocking task reading them panicked or was cancelled.
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
}

impl SourceError {
    /// Whether the workflows could not be read *for now* (the commit not in the repository
    /// yet, GitHub not answering or rate-limiting): then nothing is decided or recorded, and
    /// the sender is told to try again (503, Retry-After; a Kafka message is retried), since
    /// a recorded answer would be replayed to every redelivery and the event never run.
    pub fn is_transient(&self) -> bool {
        match self {
            SourceError::CommitNotYet { .. } => true,
            SourceError::GitHub(FetchError::Network { .. }) => true,
            SourceError::GitHub(FetchError::Unauthorized { status, .. }) => {
                matches!(status, 403 | 429)
            }
            _ => false,
        }
    }

    /// The error code of a transient failure's 503 (and its metric).
    pub fn transient_code(&self) -> &'static str {
        match self {
            SourceError::CommitNotYet { .. } => "commit_not_yet",
            _ => "source_unavailable",
        }
    }
}

/// Tries for the pushed commit: a push can reach the service before the local repository
/// has its commit (a mirror that syncs on its own schedule). The remotes are fetched and the
/// repository is looked at again for up to about two seconds; a blocking caller's thread.
pub(crate) fn wait_for_commit(path: &Path, repository: &str, sha: &str) -> Result<(), SourceError> {
    use gantry_load::git::{fetch_remotes, has_commit};
    for attempt in 0..8 {
        if has_commit(path, sha) {
            return Ok(());
        }
        if attempt == 0 {
            fetch_remotes(path);
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    if has_commit(path, sha) {
        return Ok(());
    }
    Err(SourceError::CommitNotYet {
        repository: repository.to_string(),
        sha: sha.to_string(),
    })
}

#[derive(Default)]
pub struct Sources {
    cache: Mutex<HashMap<(String, String), Workflows>>,
    /// Files already checked, by content (most new commits leave the workflows alone).
    checked: super::checked::Checked,
    /// `[platforms]`, parsed once (the configuration does not change while serving).
    platforms: OnceLock<Result<PlatformMap, LoadError>>,
}

impl Sources {
    /// The platform map from the configuration's `[platforms]`, parsed the first time;
    /// an invalid mapping is an error every run reports.
    pub fn platforms(
        &self,
        configured: &BTreeMap<String, String>,
    ) -> Result<&PlatformMap, &LoadError> {
        self.platforms
            .get_or_init(|| {
                gantry_load::platforms(configured.iter().map(|(l, i)| format!("{l}={i}")))
            })
            .as_ref()
    }

    fn cached(&self, repo: &str, sha: &str) -> Option<Workflows> {
        let key = (repo.to_string(), sha.to_string());
        self.cache.lock().ok().and_then(|c| c.get(&key).cloned())
    }

    /// A local repository's workflows at `sha` (cached).
    pub fn at_sha(&self, repo: &RepositoryConfig, sha: &str) -> Result<Workflows, SourceError> {
        if let Some(w) = self.cached(&repo.name, sha) {
            return Ok(w);
        }
        let Some(path) = &repo.path else {
            return Err(SourceError::NotLocal {
                repository: repo.name.clone(),
            });
        };
        let files = match gantry_load::git::workflow_files_at(path, sha) {
            Ok(files) => files,
            // Only a failed read costs the look for the commit.
            Err(e) if gantry_load::git::has_commit(path, sha) => return Err(e.into()),
            Err(_) => {
                wait_for_commit(path, &repo.name, sha)?;
                gantry_load::git::workflow_files_at(path, sha)?
            }
        };
        Ok(self.keep(&repo.name, sha, files))
    }

    /// A GitHub repository's workflows at `sha`, through the contents API (cached).
    pub async fn at_sha_on_github(
        &self,
        fetch: &ActionFetcher,
        repo: &RepositoryConfig,
        sha: &str,
    ) -> Result<Workflows, SourceError> {
        if let Some(w) = self.cached(&repo.name, sha) {
            return Ok(w);
        }
        let files = fetch.workflow_files(&repo.name, sha).await?;
        Ok(self.keep(&repo.name, sha, files))
    }

    /// Checks the files and caches them when `sha` names a commit (a branch name, read for
    /// a GitHub-hosted `pull_request_target`, moves: never cached).
    fn keep(&self, repo: &str, sha: &str, files: Vec<(String, Vec<u8>)>) -> Workflows {
        let key = (repo.to_string(), sha.to_string());
        let loaded: Workflows = self.checked.of(files);
        let is_sha = sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit());
        if !is_sha {
            return loaded;
        }
        if let Ok(mut c) = self.cache.lock() {
            if c.len() > 256 {
                c.clear();
            }
            c.insert(key, loaded.clone());
        }
        loaded
    }

    /// The workflows of a tree on disk (a downloaded tarball) at `.github/workflows`.
    pub fn of_tree(&self, repo: &str, sha: &str, root: &Path) -> Result<Workflows, SourceError> {
        if let Some(w) = self.cached(repo, sha) {
            return Ok(w);
        }
        let dir = root.join(".github/workflows");
        let list = if dir.is_dir() {
            gantry_load::read_dir(&dir)?
        } else {
            Vec::new()
        };
        // Paths as the contents API names them, so runs find their workflow file again.
        let files = list
            .into_iter()
            .map(|mut l| {
                if let Ok(rel) = Path::new(&l.path).strip_prefix(root) {
                    l.path = rel.display().to_string();
                }
                l
            })
            .collect();
        Ok(Arc::new(files))
    }

    /// A hook's workflows, read from its directory each time (they may change).
    pub fn of_hook(&self, hook: &HookConfig) -> Result<Workflows, SourceError> {
        Ok(Arc::new(gantry_load::read_dir(&hook.workflows)?))
    }
}
