//! Runs one request through the host's `git http-backend` as a CGI process.
//!
//! Why a CGI process: no maintained Rust crate serves git's smart protocol (upload-pack
//! negotiation, shallow and filtered fetches, protocol v2); `git http-backend` is git's own,
//! well-kept server side of it, the same one GitHub-compatible servers put behind a web server.
//!
//! Both bodies stream: the request body is copied into the process's stdin as it arrives (and
//! counted against the limit), the response body is the process's stdout after its CGI head, so
//! a clone of a large repository is never held in memory. A supervisor task kills the process
//! at the request's deadline.

use std::process::Stdio;

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout};
use tokio::task::JoinHandle;
use tokio::time::{timeout_at, Instant};

use crate::body_tail::{BodyTail, Feeder};
use crate::cgi_env::{environment, CgiRequest};
use crate::cgi_response::{self, CgiHead, Parsed};
use crate::{GitHttpError, GitServerConfig};

/// How much of the backend's stderr is kept for the log.
const STDERR_KEPT: usize = 4096;

/// How long a finished or killed backend's stderr is waited for.
const STDERR_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs `request` (its body in `body`) and answers with the backend's response.
pub(crate) async fn serve(
    config: &GitServerConfig,
    request: CgiRequest,
    body: Body,
) -> Result<Response, GitHttpError> {
    if let Some(length) = request.content_length {
        if length > config.max_request_body {
            return Err(GitHttpError::BodyTooLarge {
                limit: config.max_request_body,
            });
        }
    }
    let deadline = Instant::now() + config.request_timeout;
    let seconds = config.request_timeout.as_secs();
    let mut child = spawn(config, &request)?;
    let (stdin, mut stdout, stderr) = pipes(&mut child)?;
    let mut feeder = Some(tokio::spawn(feed(body, stdin, config.max_request_body)));
    let stderr = tokio::spawn(collect(stderr));
    let max = config.max_response_header;
    let head = timeout_at(deadline, read_head(&mut stdout, &mut feeder, max))
        .await
        .unwrap_or(Err(GitHttpError::Timeout { seconds }));
    let (head, rest) = match head {
        Ok(found) => found,
        Err(e) => {
            // Ended now (killed unless already gone), with its stderr logged.
            tokio::spawn(supervise(child, stderr, Instant::now()));
            return Err(e);
        }
    };
    tokio::spawn(supervise(child, stderr, deadline));
    let tail = BodyTail {
        stdout,
        feeder,
        deadline,
    };
    Ok(respond(head, rest, tail))
}

fn spawn(config: &GitServerConfig, request: &CgiRequest) -> Result<Child, GitHttpError> {
    tokio::process::Command::new(&config.git_program)
        .arg("http-backend")
        .env_clear()
        .envs(environment(request))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(GitHttpError::Spawn)
}

fn pipes(child: &mut Child) -> Result<(ChildStdin, ChildStdout, ChildStderr), GitHttpError> {
    let missing = || GitHttpError::BackendIo(std::io::Error::other("a pipe was not opened"));
    let stdin = child.stdin.take().ok_or_else(missing)?;
    let stdout = child.stdout.take().ok_or_else(missing)?;
    let stderr = child.stderr.take().ok_or_else(missing)?;
    Ok((stdin, stdout, stderr))
}

/// Copies the request body into the backend's stdin, then closes it. Over the limit is an
/// error; the backend going away early is not (its own response says why).
async fn feed(body: Body, mut stdin: ChildStdin, limit: u64) -> Result<(), GitHttpError> {
    let mut stream = body.into_data_stream();
    let mut total: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| GitHttpError::RequestBody(e.to_string()))?;
        total = total.saturating_add(chunk.len() as u64);
        if total > limit {
            return Err(GitHttpError::BodyTooLarge { limit });
        }
        if let Err(e) = stdin.write_all(&chunk).await {
            tracing::debug!(error = %e, "git http-backend stopped reading the request body");
            return Ok(());
        }
    }
    Ok(())
}

/// Reads stdout until the CGI head is complete; returns it and the body bytes read after it.
/// Watches the feeder meanwhile (taking it once it is done), so a too-large body ends the
/// request at once.
async fn read_head(
    stdout: &mut ChildStdout,
    feeder: &mut Option<Feeder>,
    max: usize,
) -> Result<(CgiHead, Vec<u8>), GitHttpError> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        match cgi_response::parse(&buf).map_err(GitHttpError::BadCgiResponse)? {
            Parsed::Complete(head) => {
                let rest = buf.split_off(head.len);
                return Ok((head, rest));
            }
            Parsed::Partial if buf.len() > max => {
                let reason = format!("no end of the header block within {max} bytes");
                return Err(GitHttpError::BadCgiResponse(reason));
            }
            Parsed::Partial => {}
        }
        tokio::select! {
            read = stdout.read_buf(&mut buf) => {
                if read.map_err(GitHttpError::BackendIo)? == 0 {
                    let reason = "the backend exited before ending its header block";
                    return Err(GitHttpError::BadCgiResponse(reason.to_string()));
                }
            }
            done = wait_feeder(feeder), if feeder.is_some() => {
                *feeder = None;
                done?;
            }
        }
    }
}

/// The feeder's outcome, once it is done (pending while `feeder` is `None`).
async fn wait_feeder(feeder: &mut Option<Feeder>) -> Result<(), GitHttpError> {
    match feeder {
        Some(handle) => handle
            .await
            .map_err(|e| GitHttpError::RequestBody(e.to_string()))?,
        None => std::future::pending().await,
    }
}

/// The HTTP response: the backend's status and headers, and its stdout as a streamed body. An
/// error status gets a short fixed body instead of whatever the backend wrote.
fn respond(head: CgiHead, rest: Vec<u8>, tail: BodyTail) -> Response {
    if head.status.is_client_error() || head.status.is_server_error() {
        tracing::warn!(status = %head.status, "git http-backend answered an error");
        let reason = head.status.canonical_reason().unwrap_or("error");
        return (head.status, reason.to_string()).into_response();
    }
    let first = futures_util::stream::iter(
        (!rest.is_empty()).then(|| Ok::<Bytes, std::io::Error>(Bytes::from(rest))),
    );
    let body = Body::from_stream(first.chain(tail.into_stream()));
    let mut response = Response::new(body);
    *response.status_mut() = head.status;
    *response.headers_mut() = head.headers;
    response
}

/// Keeps the first `STDERR_KEPT` bytes of stderr (for the log) and drains the rest.
async fn collect(mut stderr: ChildStderr) -> String {
    let mut kept = Vec::new();
    let mut chunk = [0u8; 1024];
    while let Ok(n) = stderr.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        let room = STDERR_KEPT.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..n.min(room)]);
    }
    String::from_utf8_lossy(&kept).into_owned()
}

/// Waits for the backend to exit, killing it at the deadline, and logs how it ended (with the
/// start of its stderr when it failed).
async fn supervise(mut child: Child, stderr: JoinHandle<String>, deadline: Instant) {
    let failure = match timeout_at(deadline, child.wait()).await {
        Ok(Ok(status)) if status.success() => None,
        Ok(Ok(status)) => Some(status.to_string()),
        Ok(Err(e)) => Some(format!("waiting for it failed: {e}")),
        Err(_) => Some(match child.kill().await {
            Ok(()) => "killed: still running at its deadline".to_string(),
            Err(e) => format!("killing it at its deadline failed: {e}"),
        }),
    };
    let Some(failure) = failure else {
        tracing::debug!("git http-backend done");
        return;
    };
    // A killed backend's helpers (upload-pack) may hold stderr open a moment longer.
    let stderr = tokio::time::timeout(STDERR_WAIT, stderr).await;
    let stderr = stderr.ok().and_then(Result::ok).unwrap_or_default();
    tracing::warn!(ended = %failure, stderr = %stderr.trim(), "git http-backend failed");
}

/// The status a failed request gets, and the short message shown to the client (no host
/// path, no backend output).
pub(crate) fn error_status(error: &GitHttpError) -> (StatusCode, &'static str) {
    match error {
        GitHttpError::BodyTooLarge { .. } => {
            (StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
        }
        GitHttpError::Timeout { .. } => (StatusCode::GATEWAY_TIMEOUT, "request timed out"),
        GitHttpError::RequestBody(_) => (StatusCode::BAD_REQUEST, "request body could not be read"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "git backend failed"),
    }
}
