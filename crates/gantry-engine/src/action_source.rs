//! Remote actions (`uses: owner/repo[/path]@ref`): where the engine gets their files. The
//! engine asks an [`ActionSource`] for the repository's directory at the ref (downloaded and
//! cached, or a local override), then copies the action into the job container once, so that
//! composite and JavaScript actions find their files there as on GitHub.

use gantry_secrets::BoxFuture;
use std::path::PathBuf;

/// Gives the local directory of `owner/repo` at `ref`, fetching it when needed.
pub trait ActionSource: Send + Sync {
    fn repository<'a>(
        &'a self,
        repository: &'a str,
        git_ref: &'a str,
    ) -> BoxFuture<'a, Result<PathBuf, String>>;
}

/// No network: every remote action is an error that says how to provide it.
pub struct NoRemote;

impl ActionSource for NoRemote {
    fn repository<'a>(
        &'a self,
        repository: &'a str,
        git_ref: &'a str,
    ) -> BoxFuture<'a, Result<PathBuf, String>> {
        Box::pin(async move {
            Err(format!(
                "{repository}@{git_ref} is not available: remote actions need access to GitHub \
                 (or --action-dir {repository}@{git_ref}=PATH)"
            ))
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

/// `--action-dir owner/repo@ref=PATH` (like act's local repository option): these
/// repositories come from local directories; anything else from `fallback`.
pub struct Overrides {
    pub dirs: Vec<(String, String, PathBuf)>,
    pub fallback: std::sync::Arc<dyn ActionSource>,
}

impl Overrides {
    /// Parses one `owner/repo@ref=PATH`.
    pub fn parse(spec: &str) -> Result<(String, String, PathBuf), String> {
        let (target, path) = spec
            .split_once('=')
            .ok_or_else(|| format!("--action-dir `{spec}`: expected owner/repo@ref=PATH"))?;
        let (repo, git_ref) = target
            .split_once('@')
            .filter(|(r, g)| r.split('/').count() == 2 && !g.is_empty())
            .ok_or_else(|| format!("--action-dir `{spec}`: expected owner/repo@ref=PATH"))?;
        let path = PathBuf::from(path);
        if !path.is_dir() {
            return Err(format!(
                "--action-dir `{spec}`: {} is not a directory",
                path.display()
            ));
        }
        Ok((repo.to_string(), git_ref.to_string(), path))
    }
}

impl ActionSource for Overrides {
    fn repository<'a>(
        &'a self,
        repository: &'a str,
        git_ref: &'a str,
    ) -> BoxFuture<'a, Result<PathBuf, String>> {
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
        for bad in [
            "x",
            "actions/checkout=/tmp",
            "checkout@v4=/tmp",
            "a/b@v1=/definitely/missing",
        ] {
            assert!(Overrides::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            container_dir("o/r", "release/v1"),
            "/github/actions/o/r/release_v1"
        );
    }
}
