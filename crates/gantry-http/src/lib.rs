//! Gantry's accept loop for every listener (the service's API and webhooks, the services
//! jobs reach), in place of `axum::serve` (which has no read timeouts and no
//! connection cap): HTTP/1.1 through hyper with
//!
//! - a header read timeout (the service's `[ingress] header_timeout_secs`): a client that does not send
//!   a whole request head in time is disconnected; hyper starts this timer whenever the
//!   connection waits for a request head, so it also closes idle keep-alive connections;
//! - a write timeout (`write_timeout_secs`): a connection whose client reads nothing while
//!   an answer waits to be sent is closed;
//! - a cap on connections served at once (`max_connections`): the loop takes a slot before
//!   it accepts, so beyond the cap new connections wait in the kernel's accept queue (the
//!   listen backlog) until a served one closes; nothing of theirs is read meanwhile.
//!
//! A body read timeout is the handler's business (the service's ingress has one; the git
//! server bounds each whole request).
//! Shutdown is graceful: the listener closes, requests in flight finish, idle connections
//! are closed, and the loop waits for the rest up to a bound. A request read whole is
//! handled even when its client closes before the answer (see `half_close` below).

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{service_fn, Service as _};
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_io_timeout::TimeoutStream;
use tokio_util::sync::CancellationToken;

/// What the loop enforces.
#[derive(Clone, Debug)]
pub struct Limits {
    pub header_timeout: Duration,
    pub write_timeout: Duration,
    pub max_connections: usize,
    /// How long shutdown waits for open connections (long-lived log streams) to end.
    pub drain: Duration,
}

/// Serves `router` on `listener` until `stop` is cancelled, then drains.
pub async fn serve(listener: TcpListener, router: Router, limits: Limits, stop: CancellationToken) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    // half_close: a client that sends its whole request and closes (a webhook sender giving
    // up, or one that never reads answers) still has its request handled; without it hyper
    // drops the handler at the first EOF it reads, part way through recording the event.
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .half_close(true)
        .keep_alive(true);
    loop {
        let slot = tokio::select! {
            () = stop.cancelled() => break,
            s = slots.clone().acquire_owned() => match s {
                Ok(s) => s,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = stop.cancelled() => break,
            r = listener.accept() => match r {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
        };
        let (stream, peer) = stream;
        let _ = stream.set_nodelay(true);
        let mut io = TimeoutStream::new(stream);
        io.set_write_timeout(Some(limits.write_timeout));
        // The peer's address in every request, as axum's `ConnectInfo` (what
        // `into_make_service_with_connect_info` would give under `axum::serve`).
        let inner = TowerToHyperService::new(router.clone());
        let service = service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            inner.call(req)
        });
        let conn = http.serve_connection(TokioIo::new(Box::pin(io)), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // Errors here are the client's (timeouts, resets): nothing to report.
            let _ = conn.await;
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "connections still open {} s after shutdown began were dropped",
            limits.drain.as_secs()
        );
    }
}

/// Per-connection errors (the peer reset before accept) need nothing; others (out of file
/// descriptors) get a pause so the loop does not spin.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused
    ) {
        return;
    }
    tracing::warn!(error = %e, "accepting a connection");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
