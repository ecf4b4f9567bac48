//! The one REST call checkout makes of Gantry: `GET /api/v3/repos/{owner}/{repo}`, for the
//! default branch when it checks out a repository other than the workflow's without a `ref`
//! (checkout's `getDefaultBranch`; `GITHUB_API_URL` points here). Only the fields checkout reads,
//! and the repository's identity, are answered; access is the same as for git.

use std::path::Path;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::credentials::{self, Schemes};
use crate::handler::{plain, unauthorized};
use crate::server::Lookup;
use crate::{repo_name, GitHttpError, GitServer};

/// `GET /api/v3/repos/{owner}/{repo}`: `{ name, full_name, default_branch, ... }`.
pub(crate) async fn repository(
    State(server): State<GitServer>,
    UrlPath((owner, repo)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Ok(key) = repo_name::normalize(&format!("{owner}/{repo}")) else {
        return not_found();
    };
    let token = credentials::token(&headers, Schemes::BasicOrToken);
    let git_dir = match server.lookup(token.as_deref(), &key) {
        Lookup::Allowed(dir) => dir,
        Lookup::Unauthenticated => return unauthorized(),
        Lookup::NotFound => return not_found(),
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
