//! Leases on claimed runs, so that instances sharing a store take over each other's runs:
//! a claim gives the claiming instance the run for [`DEFAULT_LEASE`] (a [`crate::Store`]
//! setting), its heartbeat renews the leases of the runs it executes, and once a lease has
//! expired (the instance was killed, its host lost) any instance's [`crate::Store::take_over`]
//! runs it again as its next attempt, or concludes it as a crash does past `max_attempts`.
//! Taking over happens in the writer's transaction (PostgreSQL: rows locked
//! `FOR UPDATE SKIP LOCKED`; SQLite: its one writer at a time), so a run is taken once.

use std::time::Duration;

/// How long a claim or a renewal holds a run when the store is not told otherwise.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// What [`crate::Store::take_over`] needs: the time leases are compared with, and the crash
/// policy's attempts.
#[derive(Clone, Copy, Debug)]
pub struct TakeOver {
    /// Milliseconds since the Unix epoch: leases that ended before it have expired.
    pub now: i64,
    /// A run taken over at this attempt (or later) is concluded instead of run again.
    pub max_attempts: i64,
}

/// A run whose lease had expired, taken over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taken {
    pub run: i64,
    /// The attempt that was in progress when its lease expired.
    pub attempt: i64,
    /// The instance that held the lease.
    pub owner: String,
    /// True: queued again as the next attempt; false: concluded (interrupted, failure).
    pub requeued: bool,
}

/// One attempt of a run this instance executes: what its heartbeat renews, and what a change
/// it sends is fenced with (`crate::fence`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Attempt {
    pub run: i64,
    pub attempt: i64,
}

/// Of the attempts a renewal asked for, those it did not renew (`renewed`: what the store
/// extended): taken over by another instance, or ended; sorted.
pub(crate) fn lost(asked: &[Attempt], renewed: &[Attempt]) -> Vec<Attempt> {
    let mut lost: Vec<Attempt> = asked
        .iter()
        .filter(|a| !renewed.contains(a))
        .copied()
        .collect();
    lost.sort_unstable();
    lost.dedup();
    lost
}

/// A run's lease as recorded: who claimed it and until when (`None`: no lease, the run is
/// not in progress, or was claimed before leases).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub owner: String,
    pub until: Option<i64>,
}

/// Milliseconds, as leases are recorded.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Why a run taken over at its last attempt is not run again.
pub(crate) fn reason(t: &Taken, max_attempts: i64) -> String {
    format!(
        "instance {:?} stopped renewing its lease on the run (attempt {} of {max_attempts}); not run again",
        t.owner, t.attempt
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(run: i64, attempt: i64) -> Attempt {
        Attempt { run, attempt }
    }

    #[test]
    fn a_renewal_loses_what_it_did_not_extend() {
        let table: [(&[Attempt], &[Attempt], &[Attempt]); 5] = [
            (&[], &[], &[]),
            (&[at(1, 1), at(2, 1)], &[at(1, 1), at(2, 1)], &[]),
            (&[at(2, 1), at(1, 1)], &[], &[at(1, 1), at(2, 1)]),
            // Run 1 was taken over and is this instance's again at attempt 2: attempt 1 is lost.
            (&[at(1, 1), at(1, 2)], &[at(1, 2)], &[at(1, 1)]),
            (&[at(3, 1)], &[at(3, 2)], &[at(3, 1)]),
        ];
        for (asked, renewed, want) in table {
            assert_eq!(lost(asked, renewed), want, "{asked:?} {renewed:?}");
        }
    }
}
