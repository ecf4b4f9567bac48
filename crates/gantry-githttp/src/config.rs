//! `GitServerConfig`: the knobs of the git HTTP adapter (which `git`, body limit, timeout).

use std::path::PathBuf;
use std::time::Duration;

/// How the adapter runs `git http-backend` and bounds each request.
#[derive(Debug, Clone)]
pub struct GitServerConfig {
    /// The `git` program to run as `git http-backend` (a name looked up on `PATH`, or a path).
    pub git_program: PathBuf,
    /// The largest request body accepted (bytes on the wire, before gzip is undone); upload-pack
    /// requests are wants and haves, far smaller than this unless a client misbehaves.
    pub max_request_body: u64,
    /// The whole request, response body included, is cut off after this: a stuck backend or a
    /// client that stops reading cannot hold a process forever.
    pub request_timeout: Duration,
    /// The largest CGI header block accepted from the backend.
    pub max_response_header: usize,
}

impl Default for GitServerConfig {
    fn default() -> Self {
        Self {
            git_program: PathBuf::from("git"),
            max_request_body: 64 * 1024 * 1024,
            request_timeout: Duration::from_secs(600),
            max_response_header: 64 * 1024,
        }
    }
}
