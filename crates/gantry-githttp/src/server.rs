//! `GitServer`: the registry of served repositories and granted tokens, and the axum router that
//! serves them. Cheap to clone (one `Arc`); the registries change while the router serves.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::SystemTime;

use axum::routing::get;
use axum::Router;

use crate::access::{Decision, Grants};
use crate::{repo_name, GitHttpError, GitServerConfig};

/// A read-only git smart HTTP server for registered repositories, reachable with granted tokens.
#[derive(Debug, Clone)]
pub struct GitServer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: GitServerConfig,
    repositories: RwLock<HashMap<String, PathBuf>>,
    grants: RwLock<Grants>,
}

/// What a request may use once access is decided: the git directory to serve.
pub(crate) enum Lookup {
    Allowed(PathBuf),
    Unauthenticated,
    NotFound,
}

impl GitServer {
    /// A server with no repositories and no tokens.
    pub fn new(config: GitServerConfig) -> GitServer {
        let inner = Inner {
            config,
            repositories: RwLock::new(HashMap::new()),
            grants: RwLock::new(Grants::default()),
        };
        GitServer {
            inner: Arc::new(inner),
        }
    }

    /// The routes: `/{owner}/{repo}/info/refs`, `/{owner}/{repo}/git-upload-pack` (each also
    /// with `.git`), and `GET /api/v3/repos/{owner}/{repo}` and `.../hash-algorithm` (the two
    /// REST calls checkout makes). The caller binds the listener.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/v3/repos/{owner}/{repo}", get(crate::api::repository))
            .route(
                "/api/v3/repos/{owner}/{repo}/hash-algorithm",
                get(crate::api::hash_algorithm),
            )
            .fallback(crate::handler::git)
            .with_state(self.clone())
    }

    /// Serves `git_dir` (a bare repository or a worktree's `.git`) as `name` (`owner/repo`,
    /// matched case-insensitively, as GitHub). Replaces an earlier registration of that name.
    pub fn add_repository(&self, name: &str, git_dir: PathBuf) -> Result<(), GitHttpError> {
        let key = repo_name::normalize(name)?;
        if !git_dir.join("HEAD").is_file() {
            return Err(GitHttpError::NotAGitDirectory { path: git_dir });
        }
        tracing::debug!(repository = %key, "serving repository");
        write(&self.inner.repositories).insert(key, git_dir);
        Ok(())
    }

    /// Stops serving `name`; true when it was served.
    pub fn remove_repository(&self, name: &str) -> bool {
        let Ok(key) = repo_name::normalize(name) else {
            return false;
        };
        write(&self.inner.repositories).remove(&key).is_some()
    }

    /// Lets `token` read `repositories` (`owner/repo` each) until `expires`; a later grant of the
    /// same token replaces this one. Only a digest of the token is kept.
    pub fn grant(
        &self,
        token: &str,
        repositories: &[String],
        expires: SystemTime,
    ) -> Result<(), GitHttpError> {
        if token.is_empty() {
            return Err(GitHttpError::EmptyToken);
        }
        let names = repositories
            .iter()
            .map(|name| repo_name::normalize(name))
            .collect::<Result<HashSet<_>, _>>()?;
        write(&self.inner.grants).grant(token, names, expires);
        Ok(())
    }

    /// Forgets `token`; true when it was granted.
    pub fn revoke(&self, token: &str) -> bool {
        write(&self.inner.grants).revoke(token)
    }

    pub(crate) fn config(&self) -> &GitServerConfig {
        &self.inner.config
    }

    /// Decides access to `repo` (normalised) for `token`: a repository the token may not read
    /// and one that does not exist give the same answer.
    pub(crate) fn lookup(&self, token: Option<&str>, repo: &str) -> Lookup {
        let Some(token) = token else {
            return Lookup::Unauthenticated;
        };
        match read(&self.inner.grants).decide(token, repo, SystemTime::now()) {
            Decision::Unauthenticated => return Lookup::Unauthenticated,
            Decision::NotGranted => return Lookup::NotFound,
            Decision::Allowed => {}
        }
        match read(&self.inner.repositories).get(repo) {
            Some(dir) => Lookup::Allowed(dir.clone()),
            None => Lookup::NotFound,
        }
    }
}

/// The lock's data even if a writer panicked: every write is a single map operation, so the
/// data is never half-updated.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
