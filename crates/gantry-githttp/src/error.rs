//! `GitHttpError`: what can go wrong registering repositories and tokens, or serving a request.
//! Messages name what was expected; they never hold a token, and the handler never shows a host
//! path to a client (those stay in the server's log).

use std::path::PathBuf;

/// An error of the git HTTP adapter.
#[derive(Debug, thiserror::Error)]
pub enum GitHttpError {
    /// A repository name that is not `owner/repo` made of GitHub's name characters.
    #[error(
        "invalid repository name {name:?}: expected owner/repo of letters, digits, '.', '-', '_'"
    )]
    InvalidRepositoryName { name: String },
    /// `add_repository` was given something that is not a git directory.
    #[error("{} is not a git directory (expected a bare repository or a worktree's .git holding HEAD)", path.display())]
    NotAGitDirectory { path: PathBuf },
    /// `grant` was given an empty token.
    #[error("empty token: expected a non-empty token to grant")]
    EmptyToken,
    /// The host's `git` could not be started.
    #[error("could not start the host's `git`: {0}")]
    Spawn(#[source] std::io::Error),
    /// Reading from or writing to the backend process failed.
    #[error("i/o with `git http-backend` failed: {0}")]
    BackendIo(#[source] std::io::Error),
    /// The backend's CGI response was not a valid header block.
    #[error("bad CGI response from `git http-backend`: {0}")]
    BadCgiResponse(String),
    /// The request body was larger than the configured limit.
    #[error("request body over the limit of {limit} bytes")]
    BodyTooLarge { limit: u64 },
    /// The request body could not be read from the client.
    #[error("reading the request body failed: {0}")]
    RequestBody(String),
    /// The request did not finish within the configured time.
    #[error("request timed out after {seconds} s")]
    Timeout { seconds: u64 },
    /// `git rev-parse --show-object-format` did not name an object format.
    #[error("`git rev-parse --show-object-format` failed ({status}): expected sha1 or sha256")]
    ObjectFormat { status: String },
    /// The repository's HEAD could not be read.
    #[error("reading the repository's HEAD failed: {0}")]
    ReadHead(#[source] std::io::Error),
    /// The repository's HEAD names no branch, so it has no default branch to report.
    #[error("the repository's HEAD is not a branch (expected `ref: refs/heads/<name>`)")]
    NoDefaultBranch,
}
