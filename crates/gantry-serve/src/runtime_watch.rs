//! Watching the container runtime: a ping every [`EVERY`], its answer kept where the
//! scheduler (which starts no run while the runtime does not answer: queued runs wait
//! rather than fail), `/readyz` and `/metrics` read it, and a log line at each change
//! (lost, back). A run whose runtime was lost under it is not failed for it: see
//! `scheduler::lost_runtime`.

use super::App;
use gantry_engine::backend::ContainerBackend;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the runtime is pinged.
pub const EVERY: Duration = Duration::from_secs(1);
/// How long a ping may take before the runtime counts as not answering.
const PATIENCE: Duration = Duration::from_secs(3);

/// Pings the runtime until shutdown, publishing each change of its state.
pub async fn watch<B: ContainerBackend>(app: Arc<App<B>>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.cancelled() => return,
        }
        let answer = tokio::time::timeout(PATIENCE, app.exec.backend.ping()).await;
        let error = match answer {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!("no answer within {} s", PATIENCE.as_secs())),
        };
        let up = error.is_none();
        let changed = app.exec.runtime.send_if_modified(|was| {
            let changed = *was != up;
            *was = up;
            changed
        });
        match (changed, error) {
            (true, Some(error)) => {
                app.exec.outages.fetch_add(1, Ordering::SeqCst);
                tracing::error!(
                    error = %error,
                    "the container runtime does not answer: no run starts until it does"
                )
            }
            (true, None) => tracing::info!("the container runtime answers again: runs start"),
            _ => {}
        }
    }
}

/// Whether the runtime failed the run: it does not answer now, or it stopped answering
/// since `outages_before` was read.
pub async fn lost_since<B: ContainerBackend>(app: &App<B>, outages_before: u64) -> bool {
    let answers = tokio::time::timeout(PATIENCE, app.exec.backend.ping())
        .await
        .is_ok_and(|r| r.is_ok());
    !answers || app.exec.outages.load(Ordering::SeqCst) != outages_before
}

/// Waits until the runtime answers a ping of its own (the watcher may not have seen it go
/// yet); false once shutdown began.
pub async fn back<B: ContainerBackend>(app: &App<B>) -> bool {
    loop {
        let ping = tokio::time::timeout(PATIENCE, app.exec.backend.ping()).await;
        if ping.is_ok_and(|r| r.is_ok()) {
            return true;
        }
        if !app.intake.is_accepting() {
            return false;
        }
        tokio::time::sleep(EVERY).await;
    }
}
