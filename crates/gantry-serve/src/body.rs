//! Reading a webhook's body within bounds, after its sender passed the checks that need no
//! body: a declared `Content-Length` above the limit is refused before any byte is read;
//! room for the body is reserved in a memory budget shared by all requests (the declared
//! length, or the whole limit when the body is chunked) so that many large bodies at once
//! wait for each other instead of exhausting memory; then the body is read frame by frame,
//! never holding more than the reservation, against one deadline for the whole body.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{timeout_at, Instant};

/// Why a body was not read whole.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the body did not arrive within {secs} s")]
    Timeout { secs: u64 },
    #[error("too many webhook bodies are being read at once; retry later")]
    Busy,
    #[error("the body could not be read: {0}")]
    Broken(String),
}

/// How a body is read: its limit, its deadline, and the shared memory budget (in bytes).
pub struct BodySpec<'a> {
    pub limit: usize,
    pub timeout: Duration,
    pub budget: &'a Arc<Semaphore>,
}

/// A body read whole, holding its share of the memory budget until dropped.
#[derive(Debug)]
pub struct Held {
    pub bytes: Bytes,
    _room: OwnedSemaphorePermit,
}

/// The declared `Content-Length`, if any and readable.
pub fn declared_len(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Refuses a declared length above the limit, before anything is read.
pub fn check_declared(headers: &HeaderMap, limit: usize) -> Result<(), BodyError> {
    match declared_len(headers) {
        Some(n) if n > limit => Err(BodyError::TooLarge { limit }),
        _ => Ok(()),
    }
}

/// Reads the body: reservation first, then the frames, all before one deadline.
pub async fn read(
    headers: &HeaderMap,
    mut body: Body,
    spec: BodySpec<'_>,
) -> Result<Held, BodyError> {
    check_declared(headers, spec.limit)?;
    let deadline = Instant::now() + spec.timeout;
    let timeout = BodyError::Timeout {
        secs: spec.timeout.as_secs(),
    };
    let reserve = declared_len(headers).unwrap_or(spec.limit);
    let permits = u32::try_from(reserve).unwrap_or(u32::MAX);
    let room = match timeout_at(deadline, spec.budget.clone().acquire_many_owned(permits)).await {
        Ok(Ok(p)) => p,
        Ok(Err(_)) | Err(_) => return Err(BodyError::Busy),
    };
    // The declared length is reserved already: one allocation of it, no regrowth copies.
    let mut buf = Vec::with_capacity(declared_len(headers).unwrap_or(64 * 1024).min(reserve));
    loop {
        let frame = match timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(timeout),
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(BodyError::Broken(e.to_string())),
            Ok(Some(Ok(f))) => f,
        };
        if let Ok(data) = frame.into_data() {
            let need = buf.len() + data.len();
            if need > reserve {
                return Err(BodyError::TooLarge { limit: spec.limit });
            }
            if need > buf.capacity() {
                // Doubling, but never past the reservation.
                let target = (buf.capacity() * 2).clamp(need, reserve);
                buf.reserve_exact(target - buf.len());
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Held {
        bytes: Bytes::from(buf),
        _room: room,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::convert::Infallible;

    fn chunks(n: usize, size: usize) -> Body {
        let items = (0..n).map(move |_| Ok::<_, Infallible>(Bytes::from(vec![b'x'; size])));
        Body::from_stream(futures_util::stream::iter(items))
    }

    fn spec(budget: &Arc<Semaphore>, limit: usize, ms: u64) -> BodySpec<'_> {
        BodySpec {
            limit,
            timeout: Duration::from_millis(ms),
            budget,
        }
    }

    #[tokio::test]
    async fn bounded_by_limit_declared_or_not() {
        let budget = Arc::new(Semaphore::new(1000));
        let none = HeaderMap::new();
        let held = read(&none, chunks(3, 100), spec(&budget, 300, 5000))
            .await
            .unwrap();
        assert_eq!(held.bytes.len(), 300);
        assert_eq!(budget.available_permits(), 700, "the reservation is held");
        drop(held);
        assert_eq!(budget.available_permits(), 1000);
        let e = read(&none, chunks(4, 100), spec(&budget, 300, 5000)).await;
        assert!(
            matches!(e, Err(BodyError::TooLarge { limit: 300 })),
            "{e:?}"
        );
        let mut declared = HeaderMap::new();
        declared.insert(header::CONTENT_LENGTH, HeaderValue::from_static("301"));
        // Refused on the header alone: the body (which never ends) is not read.
        let pending =
            Body::from_stream(futures_util::stream::pending::<Result<Bytes, Infallible>>());
        let e = read(&declared, pending, spec(&budget, 300, 5000)).await;
        assert!(matches!(e, Err(BodyError::TooLarge { .. })), "{e:?}");
        assert_eq!(budget.available_permits(), 1000);
    }

    #[tokio::test]
    async fn a_stalled_body_and_a_full_budget_end_at_the_deadline() {
        let budget = Arc::new(Semaphore::new(1000));
        let pending =
            Body::from_stream(futures_util::stream::pending::<Result<Bytes, Infallible>>());
        let e = read(&HeaderMap::new(), pending, spec(&budget, 300, 50)).await;
        assert!(matches!(e, Err(BodyError::Timeout { .. })), "{e:?}");
        assert_eq!(budget.available_permits(), 1000, "released on failure");
        let _all = budget.clone().acquire_many_owned(1000).await.unwrap();
        let e = read(&HeaderMap::new(), chunks(1, 10), spec(&budget, 300, 50)).await;
        assert!(matches!(e, Err(BodyError::Busy)), "{e:?}");
    }
}
