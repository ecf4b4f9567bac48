//! The REST calls checkout makes of Gantry (`GITHUB_API_URL` points at `/api/v3`):
//! `GET /repos/{owner}/{repo}` for the default branch when it checks out a repository other than
//! the workflow's without a `ref` (`getDefaultBranch`), and, from v6, `GET
//! /repos/{owner}/{repo}/hash-algorithm` before `git init` when it has no sha to tell SHA-1 from
//! SHA-256 (`tryGetRepositoryObjectFormat`). Only the fields checkout reads, and the
//! repository's identity, are answered; access is the same as for git.

use std::path::{Path, PathBuf};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::credentials::{self, Schemes};
use crate::handler::{plain, unauthorized};
use crate::server::Lookup;
use crate::{repo_name, GitHttpError, GitServer};

/// The normalised name and git directory of a repository the request's token may read, or the
/// answer refusing it (401 or 404, as for git).
fn authorize(
    server: &GitServer,
    owner: &str,
    repo: &str,
    headers: &HeaderMap,
) -> Result<(String, PathBuf), Refused> {
    let Ok(key) = repo_name::normalize(&format!("{owner}/{repo}")) else {
        return Err(Refused::NotFound);
    };
    let token = credentials::token(headers, Schemes::BasicOrToken);
    match server.lookup(token.as_deref(), &key) {
        Lookup::Allowed(dir) => Ok((key, dir)),
        Lookup::Unauthenticated => Err(Refused::Unauthenticated),
        Lookup::NotFound => Err(Refused::NotFound),
    }
}

/// Why `authorize` refused.
enum Refused {
    Unauthenticated,
    NotFound,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Unauthenticated => unauthorized(),
            Refused::NotFound => not_found(),
        }
    }
}

/// `GET /api/v3/repos/{owner}/{repo}`: `{ name, full_name, default_branch, ... }`.
pub(crate) async fn repository(
    State(server): State<GitServer>,
    UrlPath((owner, repo)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (key, git_dir) = match authorize(&server, &owner, &repo, &headers) {
        Ok(found) => found,
        Err(refused) => return refused.into_response(),
    };
    match default_branch(&git_dir) {
        Ok(branch) => Json(serde_json::json!({
            "name": repo,
            "full_name": format!("{owner}/{repo}"),
            "owner": { "login": owner },
            "private": true,
            "default_branch": branch,
        }))
        .into_response(),
        Err(e) => {
            tracing::warn!(repository = %key, error = %e, "no default branch");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "repository has no default branch",
            )
        }
    }
}

/// `GET /api/v3/repos/{owner}/{repo}/hash-algorithm`: `{ "hash_algorithm": "sha1" | "sha256" }`,
/// as the repository's own git reports it.
pub(crate) async fn hash_algorithm(
    State(server): State<GitServer>,
    UrlPath((owner, repo)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (key, git_dir) = match authorize(&server, &owner, &repo, &headers) {
        Ok(found) => found,
        Err(refused) => return refused.into_response(),
    };
    match object_format(&server.config().git_program, &git_dir).await {
        Ok(format) => Json(serde_json::json!({ "hash_algorithm": format })).into_response(),
        Err(e) => {
            tracing::warn!(repository = %key, error = %e, "no object format");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "repository object format unknown",
            )
        }
    }
}

/// `git rev-parse --show-object-format` in `git_dir`: reading `extensions.objectFormat` by hand
/// would mean parsing git's config format (includes, case rules); git itself already does.
async fn object_format(git: &Path, git_dir: &Path) -> Result<String, GitHttpError> {
    let out = tokio::process::Command::new(git)
        .arg("--git-dir")
        .arg(git_dir)
        .args(["rev-parse", "--show-object-format"])
        .env_clear()
        .envs(
            ["PATH", "HOME"]
                .iter()
                .filter_map(|k| Some((k, std::env::var_os(k)?))),
        )
        .kill_on_drop(true)
        .output()
        .await
        .map_err(GitHttpError::Spawn)?;
    let format = String::from_utf8_lossy(&out.stdout).trim().to_string();
    match format.as_str() {
        "sha1" | "sha256" if out.status.success() => Ok(format),
        _ => Err(GitHttpError::ObjectFormat {
            status: out.status.to_string(),
        }),
    }
}

/// GitHub's JSON 404, which Octokit turns into a `status: 404` error.
fn not_found() -> Response {
    let body = serde_json::json!({ "message": "Not Found" });
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

/// The default branch of a git directory, from its `HEAD` (`ref: refs/heads/<name>`).
fn default_branch(git_dir: &Path) -> Result<String, GitHttpError> {
    let head = std::fs::read_to_string(git_dir.join("HEAD")).map_err(GitHttpError::ReadHead)?;
    head.trim()
        .strip_prefix("ref: refs/heads/")
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .ok_or(GitHttpError::NoDefaultBranch)
}
