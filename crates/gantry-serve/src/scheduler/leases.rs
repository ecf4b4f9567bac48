//! This instance's side of the run store's leases (`gantry_store::lease`): the attempts it
//! has claimed and executes ([`Leased`], each held from its claim to its end), a heartbeat
//! renewing their leases every third of a lease, and the takeover a sweep makes of the runs
//! whose lease expired — an instance killed or its host lost — so that the survivors run
//! them again (as their next attempt, while `max_attempts` lasts) without waiting for it.
//!
//! Fencing, so that a run never executes twice: an attempt the store no longer renews (taken
//! over by another instance, or ended elsewhere) is lost, and so is one this instance could
//! not renew for a lease less one heartbeat (the store unreachable: it must assume another
//! instance takes the run over when the lease ends). A lost attempt is cancelled here at
//! once ([`Fenced::token`] is its execution's cancel signal's parent), its containers are
//! removed, and nothing more is recorded for it ([`Fenced::send`]; the store drops what
//! was sent before, `gantry_store::fence`). Time since a renewal is measured on the
//! monotonic clock, never the wall clock.

use super::{work_dir, App};
use gantry_engine::backend::ContainerBackend;
use gantry_store::write::now_ms;
use gantry_store::{Attempt, Op, Store, StoreError, TakeOver};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Why a run is cancelled when the store no longer renews its lease.
pub(crate) const TAKEN_OVER: &str = "lease lost: run taken over by another instance";

/// The attempts this instance has claimed and not finished: the leases its heartbeat renews.
#[derive(Clone, Default)]
pub(crate) struct Leased(Arc<Mutex<HashMap<Attempt, Entry>>>);

struct Entry {
    /// When the last renewal that extended its lease was asked (or the claim): the lease
    /// runs at least a lease from then.
    renewed: Instant,
    fenced: Fenced,
}

/// What an execution checks before it records anything: its attempt, and whether its lease
/// was lost.
#[derive(Clone)]
pub(crate) struct Fenced {
    pub(crate) attempt: i64,
    lost: CancellationToken,
}

impl Fenced {
    /// Cancelled once the lease is lost: the parent of the execution's cancel signal.
    pub(crate) fn token(&self) -> &CancellationToken {
        &self.lost
    }

    pub(crate) fn lost(&self) -> bool {
        self.lost.is_cancelled()
    }

    /// Sends a change of this attempt, fenced by it in the store; nothing once the lease
    /// is lost.
    pub(crate) fn send(&self, store: &Store, op: Op) -> Result<(), StoreError> {
        if self.lost() {
            tracing::debug!(run = op.run(), "lease lost: a change is not recorded");
            return Ok(());
        }
        store.send_fenced(op, self.attempt)
    }
}

impl Leased {
    /// Holds `run`'s attempt (claimed by a request asked at `asked`) until the returned
    /// guard is dropped (the run's end, however it ends).
    pub(crate) fn hold(&self, run: Attempt, asked: Instant) -> Holding {
        let fenced = Fenced {
            attempt: run.attempt,
            lost: CancellationToken::new(),
        };
        let entry = Entry {
            renewed: asked,
            fenced: fenced.clone(),
        };
        self.set().insert(run, entry);
        Holding {
            leased: self.clone(),
            run,
            fenced,
        }
    }

    /// Whether this instance executes no run (nothing to renew, no cancel to look for).
    pub(crate) fn is_empty(&self) -> bool {
        self.set().is_empty()
    }

    /// The attempts whose leases are still to be renewed (not lost).
    fn live(&self) -> Vec<Attempt> {
        let set = self.set();
        set.iter()
            .filter(|(_, e)| !e.fenced.lost())
            .map(|(a, _)| *a)
            .collect()
    }

    /// `runs` were renewed by a request asked at `asked`.
    fn renewed(&self, runs: &[Attempt], asked: Instant) {
        let mut set = self.set();
        for run in runs {
            if let Some(e) = set.get_mut(run) {
                e.renewed = e.renewed.max(asked);
            }
        }
    }

    /// When the first live lease is to be given up (`within` after its last renewal).
    fn first_deadline(&self, within: Duration) -> Option<Instant> {
        let set = self.set();
        let live = set.values().filter(|e| !e.fenced.lost());
        live.map(|e| e.renewed + within).min()
    }

    /// The live attempts not renewed for `within` or longer at `now`.
    fn overdue(&self, now: Instant, within: Duration) -> Vec<Attempt> {
        let set = self.set();
        set.iter()
            .filter(|(_, e)| !e.fenced.lost() && e.renewed + within <= now)
            .map(|(a, _)| *a)
            .collect()
    }

    /// Marks `run` lost (cancelling its execution); false when it was lost already, or
    /// not held.
    fn lose(&self, run: &Attempt) -> bool {
        let set = self.set();
        match set.get(run) {
            Some(e) if !e.fenced.lost() => {
                e.fenced.lost.cancel();
                true
            }
            _ => false,
        }
    }

    fn set(&self) -> std::sync::MutexGuard<'_, HashMap<Attempt, Entry>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An attempt of [`Leased`], released when dropped.
pub(crate) struct Holding {
    leased: Leased,
    run: Attempt,
    pub(crate) fenced: Fenced,
}

impl Drop for Holding {
    fn drop(&mut self) {
        self.leased.set().remove(&self.run);
    }
}

/// Renews the leases of the runs this instance executes, every third of a lease, until
/// `stop`: a renewal may fail (the store down a moment) and the next still keeps the run.
/// An attempt not renewed for a lease less one heartbeat is given up here ([`fence`]),
/// before another instance may take it over.
pub(crate) async fn heartbeat<B: ContainerBackend>(app: Arc<App<B>>, stop: CancellationToken) {
    let lease = app.runs.store.lease();
    let every = (lease / 3).max(Duration::from_millis(10));
    let within = lease.saturating_sub(every);
    let mut next = Instant::now();
    loop {
        let first = app.runs.leased.first_deadline(within);
        let wake = first.map_or(next, |d| d.min(next));
        tokio::select! {
            _ = tokio::time::sleep_until(wake.into()) => {}
            _ = stop.cancelled() => return,
        }
        if Instant::now() >= next {
            renew(&app, every / 2).await;
            next = Instant::now() + every;
        }
        fence(&app, within);
    }
}

/// Renews the leases of the attempts executing here, waiting `wait` at most for the store
/// (unanswered, it counts as failed); the attempts the store did not renew are lost.
async fn renew<B: ContainerBackend>(app: &App<B>, wait: Duration) {
    let leased = &app.runs.leased;
    let runs = leased.live();
    if runs.is_empty() {
        return;
    }
    let asked = Instant::now();
    let lost = match tokio::time::timeout(wait, app.runs.store.renew(runs.clone())).await {
        Ok(Ok(lost)) => lost,
        Ok(Err(e)) => return tracing::error!(error = %e, "renewing this instance's leases"),
        Err(_) => {
            return tracing::error!(
                waited = ?wait,
                "renewing this instance's leases: the store did not answer"
            )
        }
    };
    let kept: Vec<Attempt> = runs.into_iter().filter(|r| !lost.contains(r)).collect();
    leased.renewed(&kept, asked);
    for run in lost {
        if leased.lose(&run) {
            tracing::warn!(
                run = run.run,
                attempt = run.attempt,
                "{TAKEN_OVER}: cancelled here, nothing more recorded for it"
            );
            remove_containers(app, run.run);
        }
    }
}

/// Gives up the attempts not renewed for `within`: the store could not be reached, so the
/// lease may end before it can be renewed and another instance take the run over. They are
/// cancelled here before that, said once.
fn fence<B: ContainerBackend>(app: &App<B>, within: Duration) {
    let leased = &app.runs.leased;
    let overdue = leased.overdue(Instant::now(), within);
    let lost: Vec<i64> = overdue
        .iter()
        .filter(|r| leased.lose(r))
        .map(|r| r.run)
        .collect();
    if lost.is_empty() {
        return;
    }
    tracing::error!(
        runs = ?lost,
        unrenewed = ?within,
        "the run store could not renew these runs' leases before they end: another instance may take them over, so they are cancelled here and nothing more is recorded for them"
    );
    for run in lost {
        remove_containers(app, run);
    }
}

/// Removes what the run left on the container runtime (this process's), in the background:
/// the cancelled execution removes its own as it ends, this is for whatever it cannot.
fn remove_containers<B: ContainerBackend>(app: &App<B>, run: i64) {
    let backend = app.exec.backend.clone();
    tokio::spawn(async move {
        gantry_engine::remove_run_leftovers(&*backend, &run.to_string()).await;
    });
}

/// Takes over the runs whose lease expired, whoever held them; the runs queued again are
/// picked up by the sweep that follows. This instance's own leases are renewed first (the
/// store applies both in order), so a run it still executes is never taken from it here,
/// even after the store could not be written for longer than a lease.
pub(crate) async fn take_over<B: ContainerBackend>(app: &App<B>) {
    let store = &app.runs.store;
    renew(app, store.lease() / 6).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(run: i64, attempt: i64) -> Attempt {
        Attempt { run, attempt }
    }

    #[test]
    fn an_attempt_not_renewed_for_long_enough_is_overdue_once() {
        let leased = Leased::default();
        let t0 = Instant::now();
        let within = Duration::from_secs(20);
        let (a, b) = (leased.hold(at(1, 1), t0), leased.hold(at(2, 1), t0));
        leased.renewed(&[at(2, 1)], t0 + Duration::from_secs(10));
        let table = [
            (Duration::from_secs(19), vec![]),
            (Duration::from_secs(20), vec![at(1, 1)]),
            (Duration::from_secs(30), vec![at(1, 1), at(2, 1)]),
        ];
        for (after, want) in table {
            let mut got = leased.overdue(t0 + after, within);
            got.sort_unstable();
            assert_eq!(got, want, "{after:?}");
        }
        assert_eq!(leased.first_deadline(within), Some(t0 + within));
        assert!(
            leased.lose(&at(1, 1)) && !leased.lose(&at(1, 1)),
            "lost once"
        );
        assert!(a.fenced.lost() && !b.fenced.lost());
        assert_eq!(leased.live(), [at(2, 1)]);
        assert_eq!(
            leased.overdue(t0 + Duration::from_secs(60), within),
            [at(2, 1)]
        );
        drop(b);
        assert_eq!(leased.first_deadline(within), None, "released");
    }
}
