//! The response body after the CGI head: the backend's stdout, streamed, ending in an error
//! (which makes hyper abort the response rather than end it cleanly) when the deadline passes
//! or when the request body was refused after the head had already gone out — `git
//! http-backend` writes its head before it reads the request, so a too-large request body can
//! only be reported this way.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::process::ChildStdout;
use tokio::task::JoinHandle;
use tokio::time::{timeout_at, Instant};
use tokio_util::io::ReaderStream;

use crate::GitHttpError;

/// The task copying the request body into the backend.
pub(crate) type Feeder = JoinHandle<Result<(), GitHttpError>>;

/// What is left of a response once its head is parsed.
pub(crate) struct BodyTail {
    pub stdout: ChildStdout,
    /// The feeder, unless it already finished (successfully) before the head.
    pub feeder: Option<Feeder>,
    pub deadline: Instant,
}

struct State {
    chunks: ReaderStream<ChildStdout>,
    feeder: Option<Feeder>,
    deadline: Instant,
    done: bool,
}

impl BodyTail {
    /// The body chunks; the last item is an error if the request failed after the head.
    pub(crate) fn into_stream(self) -> impl Stream<Item = std::io::Result<Bytes>> {
        let state = State {
            chunks: ReaderStream::new(self.stdout),
            feeder: self.feeder,
            deadline: self.deadline,
            done: false,
        };
        futures_util::stream::unfold(state, next)
    }
}

async fn next(mut state: State) -> Option<(std::io::Result<Bytes>, State)> {
    if state.done {
        return None;
    }
    let failed = |message: &str| std::io::Error::other(message.to_string());
    match timeout_at(state.deadline, state.chunks.next()).await {
        Ok(Some(chunk)) => return Some((chunk, state)),
        Ok(None) => {}
        Err(_) => {
            state.done = true;
            return Some((Err(failed("request timed out")), state));
        }
    }
    state.done = true;
    let feeder = state.feeder.take()?;
    match timeout_at(state.deadline, feeder).await {
        Ok(Ok(Ok(()))) => None,
        Ok(Ok(Err(e))) => {
            tracing::warn!(error = %e, "request body refused after the response began");
            Some((Err(failed("request body refused")), state))
        }
        _ => Some((Err(failed("request body not read in time")), state)),
    }
}
