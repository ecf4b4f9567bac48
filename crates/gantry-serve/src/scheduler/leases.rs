//! This instance's side of the run store's leases (`gantry_store::lease`): the runs it has
//! claimed and executes ([`Leased`], a run held from its claim to its end), a heartbeat
//! renewing their leases every third of a lease, and the takeover a sweep makes of the runs
//! whose lease expired — an instance killed or its host lost — so that the survivors run
//! them again (as their next attempt, while `max_attempts` lasts) without waiting for it.

use super::{work_dir, App};
use gantry_engine::backend::ContainerBackend;
use gantry_store::write::now_ms;
use gantry_store::{Store, TakeOver};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// The runs this instance has claimed and not finished: the leases its heartbeat renews.
#[derive(Clone, Default)]
pub(crate) struct Leased(Arc<Mutex<HashSet<i64>>>);

impl Leased {
    /// Holds run `id` until the returned guard is dropped (the run's end, however it ends).
    pub(crate) fn hold(&self, id: i64) -> Holding {
        self.set().insert(id);
        Holding(self.clone(), id)
    }

    pub(crate) fn ids(&self) -> Vec<i64> {
        self.set().iter().copied().collect()
    }

    fn set(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A run of [`Leased`], released when dropped.
pub(crate) struct Holding(Leased, i64);

impl Drop for Holding {
    fn drop(&mut self) {
        self.0.set().remove(&self.1);
    }
}

/// Renews the leases of the runs this instance executes, every third of a lease, until
/// `stop`: two renewals may fail (the store down a moment) before a lease runs out.
pub(crate) async fn heartbeat(store: Store, leased: Leased, stop: CancellationToken) {
    let every = (store.lease() / 3).max(std::time::Duration::from_millis(10));
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => renew(&store, &leased).await,
            _ = stop.cancelled() => return,
        }
    }
}

async fn renew(store: &Store, leased: &Leased) {
    let ids = leased.ids();
    if ids.is_empty() {
        return;
    }
    let held = ids.len();
    match store.renew(ids).await {
        Ok(n) if n as usize == held => {}
        Ok(n) => tracing::warn!(
            held,
            renewed = n,
            "some runs this instance executes are no longer its own (taken over, or ended)"
        ),
        Err(e) => tracing::error!(error = %e, "renewing this instance's leases"),
    }
}

/// Takes over the runs whose lease expired, whoever held them; the runs queued again are
/// picked up by the sweep that follows. This instance's own leases are renewed first (the
/// store applies both in order), so a run it still executes is never taken from it here,
/// even after the store could not be written for longer than a lease.
pub(crate) async fn take_over<B: ContainerBackend>(app: &App<B>) {
    let store = &app.runs.store;
    renew(store, &app.runs.leased).await;
    let spec = TakeOver {
        now: now_ms(),
        max_attempts: app.settings.cfg.max_attempts,
    };
    let taken = match store.take_over(spec).await {
        Ok(taken) => taken,
        Err(e) => return tracing::error!(error = %e, "taking over runs whose lease expired"),
    };
    for t in taken {
        // A checkout left here by an earlier attempt on this host.
        let _ = std::fs::remove_dir_all(work_dir(app, t.run));
        if t.requeued {
            tracing::warn!(run = t.run, from = %t.owner, attempt = t.attempt + 1, "its instance stopped renewing its lease: run again here");
        } else {
            tracing::warn!(run = t.run, from = %t.owner, attempt = t.attempt, "its instance stopped renewing its lease at its last attempt: interrupted");
        }
    }
}
