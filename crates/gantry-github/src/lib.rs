//! Remote actions from GitHub: the repository tarball at a ref, downloaded with octocrab
//! into a local action cache and unpacked safely, then used like a local action. The cache
//! makes `--offline` runs possible; each (repository, ref) is downloaded once, even when
//! several jobs ask at the same time. The service also reads a GitHub-hosted repository's
//! workflow files at a pushed sha here, and commit statuses go back from here. The only
//! place that talks to GitHub.

mod compare;
mod contents;
mod extract;
mod status;

pub use extract::{unpack, ExtractError};
pub use status::{State, StatusReporter};

use gantry_engine::ActionSource;
use gantry_engine::ActionSourceError;
use gantry_secrets::BoxFuture;
use octocrab::Octocrab;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum FetchError {
    #[error("{repository}@{git_ref} is not in the action cache ({cache}) and --offline forbids downloading it; run once without --offline, or use --action-dir {repository}@{git_ref}=PATH")]
    NotCached {
        repository: String,
        git_ref: String,
        cache: String,
    },
    #[error("{repository}@{git_ref} was not found on GitHub (no such repository or ref; private repositories need GITHUB_TOKEN)")]
    NotFound { repository: String, git_ref: String },
    #[error("GitHub refused {repository}@{git_ref} (HTTP {status}: check GITHUB_TOKEN and the rate limit)")]
    Unauthorized {
        repository: String,
        git_ref: String,
        status: u16,
    },
    #[error("downloading {repository}@{git_ref}: {message}")]
    Network {
        repository: String,
        git_ref: String,
        message: String,
    },
    #[error("unpacking {repository}@{git_ref}: {source}")]
    Archive {
        repository: String,
        git_ref: String,
        #[source]
        source: ExtractError,
    },
    #[error("the action cache {path}: {message}")]
    Cache { path: String, message: String },
}

impl FetchError {
    /// What GitHub's answer means, whichever API gave it: 404 — no such repository or ref,
    /// 401/403 — refused, anything else (or no answer) — a network failure with `message`.
    fn from_status(repository: &str, git_ref: &str, status: Option<u16>, message: String) -> Self {
        let (repository, git_ref) = (repository.to_string(), git_ref.to_string());
        match status {
            Some(404) => FetchError::NotFound {
                repository,
                git_ref,
            },
            Some(status @ (401 | 403)) => FetchError::Unauthorized {
                repository,
                git_ref,
                status,
            },
            _ => FetchError::Network {
                repository,
                git_ref,
                message,
            },
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct FetcherConfig {
    pub cache_dir: PathBuf,
    pub offline: bool,
    /// Default https://api.github.com; tests and GitHub Enterprise point elsewhere.
    pub api_base: Option<String>,
    pub token: Option<String>,
}

pub struct ActionFetcher {
    cfg: FetcherConfig,
    client: Option<Octocrab>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A ref as a directory name: safe characters kept, anything else percent-encoded (so
/// `release/v1` and `release%2Fv1` cannot collide).
fn ref_dir(git_ref: &str) -> String {
    let mut out = String::new();
    for b in git_ref.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.'
                if !(out.is_empty() && b == b'.') =>
            {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

const COMPLETE: &str = ".gantry-complete";

impl FetcherConfig {
    pub fn build(self) -> Result<ActionFetcher, FetchError> {
        let client = if self.offline {
            None
        } else {
            let mut b = Octocrab::builder();
            if let Some(t) = &self.token {
                b = b.personal_token(t.clone());
            }
            if let Some(api) = &self.api_base {
                b = b.base_uri(api.as_str()).map_err(|e| FetchError::Cache {
                    path: api.clone(),
                    message: format!("invalid GitHub API URL: {e}"),
                })?;
            }
            Some(b.build().map_err(|e| FetchError::Cache {
                path: "GitHub client".into(),
                message: e.to_string(),
            })?)
        };
        Ok(ActionFetcher {
            cfg: self,
            client,
            locks: Mutex::new(HashMap::new()),
        })
    }
}

impl ActionFetcher {
    /// The GitHub client and `owner`/`repo` of `repository`, or why there is none: not
    /// `owner/repo`, or no client (offline) and so only what is cached.
    fn client_for<'r>(
        &self,
        repository: &'r str,
        git_ref: &str,
    ) -> Result<(&Octocrab, &'r str, &'r str), FetchError> {
        let (owner, repo) = repository
            .split_once('/')
            .ok_or_else(|| FetchError::NotFound {
                repository: repository.into(),
                git_ref: git_ref.into(),
            })?;
        let client = self.client.as_ref().ok_or_else(|| FetchError::NotCached {
            repository: repository.into(),
            git_ref: git_ref.into(),
            cache: self.cfg.cache_dir.display().to_string(),
        })?;
        Ok((client, owner, repo))
    }

    /// The files `head` changed since its merge base with `base` (a pull request's diff,
    /// the first 300 as GitHub's `paths` filters see them), through the compare API.
    pub async fn changed_files(
        &self,
        repository: &str,
        base: &str,
        head: &str,
    ) -> Result<Vec<String>, FetchError> {
        let (client, _, _) = self.client_for(repository, head)?;
        compare::changed_files(client, repository, base, head).await
    }

    /// The workflow files (`.github/workflows/*.yml|yaml`) of a GitHub repository at a ref,
    /// through the contents API (see [`contents`]).
    pub async fn workflow_files(
        &self,
        repository: &str,
        git_ref: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, FetchError> {
        let (client, owner, repo) = self.client_for(repository, git_ref)?;
        let at = contents::Contents {
            client,
            owner,
            repo,
            repository,
            git_ref,
        };
        at.workflow_files().await
    }

    fn dir(&self, repository: &str, git_ref: &str) -> PathBuf {
        self.cfg.cache_dir.join(repository).join(ref_dir(git_ref))
    }

    /// The repository's files at the ref: from the cache, else downloaded into it.
    pub async fn repository(&self, repository: &str, git_ref: &str) -> Result<PathBuf, FetchError> {
        let dir = self.dir(repository, git_ref);
        let lock = {
            let mut m = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            m.entry(dir.display().to_string()).or_default().clone()
        };
        let _guard = lock.lock().await;
        if dir.join(COMPLETE).is_file() {
            return Ok(dir);
        }
        let bytes = self.tarball(repository, git_ref).await?;
        let target = dir.clone();
        let installed = tokio::task::spawn_blocking(move || install(&bytes, &target))
            .await
            .map_err(|e| FetchError::Network {
                repository: repository.into(),
                git_ref: git_ref.into(),
                message: e.to_string(),
            })?;
        installed.map_err(|source| FetchError::Archive {
            repository: repository.into(),
            git_ref: git_ref.into(),
            source,
        })?;
        Ok(dir)
    }

    /// The repository's tarball at the ref, downloaded whole.
    async fn tarball(&self, repository: &str, git_ref: &str) -> Result<bytes::Bytes, FetchError> {
        let (client, owner, repo) = self.client_for(repository, git_ref)?;
        let net = |message: String| FetchError::Network {
            repository: repository.into(),
            git_ref: git_ref.into(),
            message,
        };
        let resp = client
            .repos(owner, repo)
            .download_tarball(git_ref.to_string())
            .await
            .map_err(|e| net(e.to_string()))?;
        let status = resp.status().as_u16();
        if !(200..=299).contains(&status) {
            return Err(FetchError::from_status(
                repository,
                git_ref,
                Some(status),
                format!("HTTP {status}"),
            ));
        }
        use http_body_util::BodyExt;
        let body = resp.into_body().collect().await;
        Ok(body.map_err(|e| net(e.to_string()))?.to_bytes())
    }
}

/// Unpacks a tarball beside `target` and renames it into place, marked complete, so that a
/// half-written download is never taken for a cached one.
fn install(bytes: &[u8], target: &Path) -> Result<(), ExtractError> {
    let parent = target.parent().map(Path::to_path_buf).unwrap_or_default();
    std::fs::create_dir_all(&parent).map_err(ExtractError::Io)?;
    let tmp = tempfile::Builder::new()
        .prefix(".download-")
        .tempdir_in(&parent)
        .map_err(ExtractError::Io)?;
    unpack(bytes, tmp.path())?;
    std::fs::write(tmp.path().join(COMPLETE), b"").map_err(ExtractError::Io)?;
    let _ = std::fs::remove_dir_all(target);
    let kept = tmp.keep();
    std::fs::rename(&kept, target).map_err(ExtractError::Io)
}

impl ActionSource for ActionFetcher {
    fn repository<'a>(
        &'a self,
        repository: &'a str,
        git_ref: &'a str,
    ) -> BoxFuture<'a, Result<PathBuf, ActionSourceError>> {
        Box::pin(async move {
            ActionFetcher::repository(self, repository, git_ref)
                .await
                .map_err(|e| ActionSourceError::Fetch(Box::new(e)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::FetchError;

    #[test]
    fn github_statuses_become_the_right_errors() {
        for (status, want) in [
            (Some(404), "was not found on GitHub"),
            (Some(401), "GitHub refused o/r@v1 (HTTP 401"),
            (Some(403), "GitHub refused o/r@v1 (HTTP 403"),
            (Some(500), "downloading o/r@v1: boom"),
            (None, "downloading o/r@v1: boom"),
        ] {
            let e = FetchError::from_status("o/r", "v1", status, "boom".into()).to_string();
            assert!(e.contains(want), "{status:?}: {e}");
        }
    }

    #[test]
    fn ref_directories_do_not_collide() {
        assert_eq!(super::ref_dir("v4"), "v4");
        assert_eq!(super::ref_dir("release/v1"), "release%2Fv1");
        assert_ne!(super::ref_dir("release/v1"), super::ref_dir("release%2Fv1"));
        assert_eq!(super::ref_dir(".."), "%2E.");
    }

    /// Through the engine's trait the fetcher's error arrives whole: the same text, and
    /// still a `FetchError` for a caller that looks.
    #[tokio::test]
    async fn the_trait_carries_the_fetch_error() {
        use gantry_engine::{ActionSource, ActionSourceError};
        let cache = tempfile::tempdir().unwrap();
        let f = super::FetcherConfig {
            cache_dir: cache.path().to_path_buf(),
            offline: true,
            api_base: None,
            token: None,
        }
        .build()
        .unwrap();
        let direct = f.repository("o/r", "v1").await.unwrap_err().to_string();
        let e = ActionSource::repository(&f, "o/r", "v1").await.unwrap_err();
        assert_eq!(e.to_string(), direct);
        let ActionSourceError::Fetch(inner) = e else {
            panic!("not a fetch error: {e}");
        };
        assert!(matches!(
            inner.downcast_ref::<FetchError>(),
            Some(FetchError::NotCached { .. })
        ));
    }
}
