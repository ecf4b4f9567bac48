//! Remote actions (`uses: owner/repo[/path]@ref`): where the engine gets their files. The
//! engine asks an [`ActionSource`] for the repository's directory at the ref (downloaded and
//! cached, or a local override), then copies the action into the job container once, so that
//! composite and JavaScript actions find their files there as on GitHub.

use gantry_secrets::BoxFuture;
use std::path::PathBuf;

/// Why an [`ActionSource`] has no directory for a repository at a ref.
#[derive(Debug, thiserror::Error)]
pub enum ActionSourceError {
    /// The run has no way to fetch remote actions.
    #[error(
        "{repository}@{git_ref} is not available: remote actions need access to GitHub \
         (or --action-dir {repository}@{git_ref}=PATH)"
    )]
    NoRemote { repository: String, git_ref: String },
    /// The source's own error (the GitHub adapter's `FetchError`), kept whole: shown as it
    /// is, and the caller can downcast it.
    #[error(transparent)]
    Fetch(Box<dyn std::error::Error + Send + Sync>),
}

/// Gives the local directory of `owner/repo` at `ref`, fetching it when needed.
pub trait ActionSource: Send + Sync {
    fn repository<'a>(
        &'a self,
        repository: &'a str,
        git_ref: &'a str,
    ) -> BoxFuture<'a, Result<PathBuf, ActionSourceError>>;
}

/// No network: every remote action is an error that says how to provide it.
pub struct NoRemote;

impl ActionSource for NoRemote {
    fn repository<'a>(
        &'a self,
        repository: &'a str,
        git_ref: &'a str,
    ) -> BoxFuture<'a, Result<PathBuf, ActionSourceError>> {
        Box::pin(async move {
            Err(ActionSourceError::NoRemote {
                repository: repository.to_string(),
                git_ref: git_ref.to_string(),
            })
        })
    }
}

/// The container path a remote action's repository is copied to.
pub fn container_dir(repository: &str, git_ref: &str) -> String {
    let safe: String = git_ref
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("/github/actions/{repository}/{safe}")
}

/// An `--action-dir` that is not `owner/repo@ref=PATH` with an existing directory.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ActionDirError {
    #[error("--action-dir `{spec}`: expected owner/repo@ref=PATH")]
    Malformed { spec: String },
    #[error("--action-dir `{spec}`: {} is not a directory", path.display())]
    NotADirectory { spec: String, path: PathBuf },
}

/// `--action-dir owner/repo@ref=PATH` (like act's local repository option): these
/// repositories come from local directories; anything else from `fallback`.
pub struct Overrides {
    pub dirs: Vec<(String, String, PathBuf)>,
    pub fallback: std::sync::Arc<dyn ActionSource>,
}

impl Overrides {
    /// Parses one `owner/repo@ref=PATH`.
    pub fn parse(spec: &str) -> Result<(String, String, PathBuf), ActionDirError> {
        let malformed = || ActionDirError::Malformed {
            spec: spec.to_string(),
        };
        let (target, path) = spec.split_once('=').ok_or_else(malformed)?;
        let (repo, git_ref) = target
            .split_once('@')
            .filter(|(r, g)| r.split('/').count() == 2 && !g.is_empty())
            .ok_or_else(malformed)?;
        let path = PathBuf::from(path);
        if !path.is_dir() {
            return Err(ActionDirError::NotADirectory {
                spec: spec.to_string(),
                path,
            });
        }
        Ok((repo.to_string(), git_ref.to_string(), path))
    }
}

impl ActionSource for Overrides {
    fn repository<'a>(
        &'a self,
        repository: &'a str,
        git_ref: &'a str,
    ) -> BoxFuture<'a, Result<PathBuf, ActionSourceError>> {
        if let Some((_, _, p)) = self
            .dirs
            .iter()
            .find(|(r, g, _)| r.eq_ignore_ascii_case(repository) && g == git_ref)
        {
            let p = p.clone();
            return Box::pin(async move { Ok(p) });
        }
        self.fallback.repository(repository, git_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_specs() {
        let d = tempfile::tempdir().unwrap();
        let spec = format!("actions/checkout@v4={}", d.path().display());
        let (r, g, p) = Overrides::parse(&spec).unwrap();
        assert_eq!((r.as_str(), g.as_str()), ("actions/checkout", "v4"));
        assert_eq!(p, d.path());
        for (bad, want) in [
            ("x", "--action-dir `x`: expected owner/repo@ref=PATH"),
            (
                "actions/checkout=/tmp",
                "--action-dir `actions/checkout=/tmp`: expected owner/repo@ref=PATH",
            ),
            (
                "checkout@v4=/tmp",
                "--action-dir `checkout@v4=/tmp`: expected owner/repo@ref=PATH",
            ),
            (
                "a/b@v1=/definitely/missing",
                "--action-dir `a/b@v1=/definitely/missing`: /definitely/missing is not a directory",
            ),
        ] {
            assert_eq!(Overrides::parse(bad).unwrap_err().to_string(), want);
        }
        let e = ActionSourceError::NoRemote {
            repository: "o/r".into(),
            git_ref: "v1".into(),
        };
        assert_eq!(
            e.to_string(),
            "o/r@v1 is not available: remote actions need access to GitHub \
             (or --action-dir o/r@v1=PATH)"
        );
        assert_eq!(
            container_dir("o/r", "release/v1"),
            "/github/actions/o/r/release_v1"
        );
    }
}
