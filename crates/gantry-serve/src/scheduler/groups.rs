//! A run's way through its `concurrency:` group (see `crate::concurrency`): entering it
//! through the run store (which replaces the run waiting, or asks the holder to cancel with
//! `cancel-in-progress`: here directly, elsewhere through its cancel request), waiting for
//! its turn (the store polled, or woken at once by a holder ending here), and leaving it.

use super::leases::Fenced;
use super::{finish, record, App};
use crate::concurrency::POLL;
use gantry_engine::backend::ContainerBackend;
use gantry_engine::{Conclusion, Signals};
use gantry_store::write::now_ms;
use gantry_store::{Entered, Op, Turn};
use std::sync::Arc;
use std::time::Duration;

/// Joins the run's concurrency group, waiting for its turn when another run holds it;
/// false when the run must not start (replaced or cancelled while waiting).
pub(super) async fn enter<B: ContainerBackend>(
    app: &Arc<App<B>>,
    (id, fenced): (i64, &Fenced),
    g: &str,
    cancel: bool,
    signals: &Signals,
) -> bool {
    let Some(entered) = entry(app, id, g, cancel, signals).await else {
        return stopped_waiting(app, (id, fenced), g, signals).await;
    };
    if let Some(old) = entered.replaced {
        tracing::info!(group = %g, replaced = old, "replaced the run waiting in its concurrency group");
        app.exec.groups.wake(g);
    }
    if let Some((holder, owner)) = &entered.cancelling {
        // Here: at once; elsewhere, its instance acts on the request within a poll.
        let here = app.exec.cancel(*holder);
        tracing::info!(group = %g, holder, instance = %owner, here, "cancel-in-progress: the running run is cancelled");
    }
    if entered.go {
        return true;
    }
    tracing::info!(group = %g, "waiting for its concurrency group");
    let line = format!("waiting for concurrency group `{g}`");
    record(
        app,
        Some(fenced),
        Op::Log {
            run: id,
            job: String::new(),
            step: None,
            stream: "system".into(),
            line,
            at: now_ms(),
        },
    );
    wait(app, (id, fenced), g, signals).await
}

/// The store's answer to entering, tried again while it cannot answer; `None` when the run
/// was cancelled (or the service stops) first.
async fn entry<B: ContainerBackend>(
    app: &App<B>,
    id: i64,
    g: &str,
    cancel: bool,
    signals: &Signals,
) -> Option<Entered> {
    let mut pause = Duration::from_millis(200);
    loop {
        match app.runs.store.enter_group(g, id, cancel).await {
            Ok(entered) => return Some(entered),
            Err(e) => {
                tracing::error!(group = %g, error = %e, "entering a concurrency group; trying again")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = signals.cancel.cancelled() => return None,
            _ = app.intake.stopping().cancelled() => return None,
        }
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

/// Waits until the run's turn comes (true), it is replaced (false: the run replacing it
/// ended it), or it is cancelled (false: it leaves the group and ends cancelled).
async fn wait<B: ContainerBackend>(
    app: &Arc<App<B>>,
    (id, fenced): (i64, &Fenced),
    g: &str,
    signals: &Signals,
) -> bool {
    let waker = app.exec.groups.waker(g);
    loop {
        let woken = waker.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        match app.runs.store.turn(g, id).await {
            Ok(Turn::Go) => return true,
            Ok(Turn::Gone) => {
                tracing::info!(group = %g, "no longer waiting in its concurrency group (replaced)");
                app.exec.forget(id);
                return false;
            }
            Ok(Turn::Wait) => {}
            Err(e) => {
                tracing::error!(group = %g, error = %e, "asking for the turn in a concurrency group")
            }
        }
        tokio::select! {
            _ = woken => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = signals.cancel.cancelled() => break,
        }
    }
    drop(waker);
    stopped_waiting(app, (id, fenced), g, signals).await
}

/// The run stops waiting without starting: it leaves the group, and ends cancelled when it
/// was cancelled (on shutdown without a cancel it stays in progress for the next start).
async fn stopped_waiting<B: ContainerBackend>(
    app: &Arc<App<B>>,
    (id, fenced): (i64, &Fenced),
    g: &str,
    signals: &Signals,
) -> bool {
    leave(app, g, id).await;
    app.exec.forget(id);
    if signals.cancel.is_cancelled() {
        let reason = "cancelled while waiting for its concurrency group".to_string();
        finish(app, (id, Some(fenced)), Conclusion::Cancelled, Some(reason));
    }
    false
}

/// Run `id` leaves group `g` (it ended, or stopped waiting): the run waiting holds it next,
/// and a waiter here is woken at once. Should the store not answer, the group is still
/// freed once the run's end is written (a holder not in progress holds nothing).
pub(super) async fn leave<B: ContainerBackend>(app: &App<B>, g: &str, id: i64) {
    if let Err(e) = app.runs.store.leave_group(g, id).await {
        tracing::error!(group = %g, error = %e, "leaving a concurrency group; it is freed when the run's end is written");
    }
    app.exec.groups.wake(g);
}
