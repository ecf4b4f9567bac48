//! Leases and takeover on both backends: a claim sets a lease, a renewal extends it, an
//! expired lease is taken over once by one of two instances racing, a live lease never is,
//! and a run taken over goes again as its next attempt, or past `max_attempts` ends as a
//! crash ends it. Expiry is seen by asking `take_over` about a later time, not by waiting.

use super::{queued, Backend, LEASE};
use crate::read;
use crate::write::now_ms;
use crate::*;

both_backends!(
    a_claim_sets_a_lease_and_a_renewal_extends_it,
    an_expired_lease_is_taken_over_once_by_one_of_two_racing_instances,
    a_live_lease_is_never_taken_over,
    a_run_taken_over_at_its_last_attempt_ends_interrupted,
);

async fn lease_of(store: &Store, run: i64) -> Lease {
    let c = store.reader().await.unwrap();
    read::lease(&c, run).await.unwrap().expect("the run")
}

/// `max_attempts` 3, at a time past every lease taken so far.
fn after_expiry() -> TakeOver {
    TakeOver {
        now: now_ms() + 2 * lease::millis(LEASE),
        max_attempts: 3,
    }
}

async fn a_claim_sets_a_lease_and_a_renewal_extends_it(b: Backend) {
    let place = b.place().await;
    let a = place.open_as("a").await.with_lease(LEASE);
    let id = queued(&a, "e").await;
    assert_eq!(lease_of(&a, id).await.until, None, "queued: no lease");
    let before = now_ms();
    assert!(a.claim(id).await.unwrap());
    let claimed = lease_of(&a, id).await;
    assert_eq!(claimed.owner, "a");
    let until = claimed.until.expect("a lease");
    assert!(until >= before + lease::millis(LEASE), "{until} {before}");
    let longer = a.with_lease(LEASE * 2);
    let mine = Attempt {
        run: id,
        attempt: 1,
    };
    assert_eq!(longer.renew(vec![mine]).await.unwrap(), [], "nothing lost");
    let renewed = lease_of(&longer, id).await.until.expect("a lease");
    assert!(renewed > until, "extended: {renewed} > {until}");
    let other = place.open_as("b").await;
    assert_eq!(
        other.renew(vec![mine]).await.unwrap(),
        [mine],
        "not b's lease"
    );
    assert_eq!(lease_of(&other, id).await.until, Some(renewed));
}

async fn an_expired_lease_is_taken_over_once_by_one_of_two_racing_instances(b: Backend) {
    let place = b.place().await;
    let dead = place.open_as("dead").await.with_lease(LEASE);
    let ids = [queued(&dead, "e1").await, queued(&dead, "e2").await];
    for id in ids {
        assert!(dead.claim(id).await.unwrap());
    }
    let (x, y) = (place.open_as("x").await, place.open_as("y").await);
    let spec = after_expiry();
    let (tx, ty) = tokio::join!(x.take_over(spec), y.take_over(spec));
    let (tx, ty) = (tx.unwrap(), ty.unwrap());
    let mut all: Vec<i64> = tx.iter().chain(&ty).map(|t| t.run).collect();
    all.sort_unstable();
    assert_eq!(all, ids, "each taken once: {tx:?} {ty:?}");
    for t in tx.iter().chain(&ty) {
        assert_eq!((t.attempt, t.owner.as_str(), t.requeued), (1, "dead", true));
    }
    let c = x.reader().await.unwrap();
    for id in ids {
        let row = read::run(&c, id).await.unwrap().unwrap();
        assert_eq!((row.status, row.attempt), (Status::Queued, 2));
        assert_eq!(lease_of(&x, id).await.until, None, "queued again: no lease");
    }
    assert!(x.take_over(spec).await.unwrap().is_empty(), "nothing left");
    // The next attempt is claimed by a survivor, with a lease of its own.
    assert!(y.claim(ids[0]).await.unwrap());
    assert_eq!(lease_of(&y, ids[0]).await.owner, "y");
}

async fn a_live_lease_is_never_taken_over(b: Backend) {
    let place = b.place().await;
    let a = place.open_as("a").await.with_lease(LEASE);
    let id = queued(&a, "e").await;
    assert!(a.claim(id).await.unwrap());
    let other = place.open_as("b").await;
    let now = TakeOver {
        now: now_ms(),
        max_attempts: 3,
    };
    assert!(other.take_over(now).await.unwrap().is_empty());
    let c = other.reader().await.unwrap();
    let row = read::run(&c, id).await.unwrap().unwrap();
    assert_eq!((row.status, row.attempt), (Status::InProgress, 1));
    assert_eq!(lease_of(&other, id).await.owner, "a");
}

async fn a_run_taken_over_at_its_last_attempt_ends_interrupted(b: Backend) {
    let place = b.place().await;
    let dead = place.open_as("dead").await.with_lease(LEASE);
    let id = queued(&dead, "e").await;
    let survivor = place.open_as("s").await;
    let spec = after_expiry();
    for attempt in 1..spec.max_attempts {
        assert!(dead.claim(id).await.unwrap());
        let taken = survivor.take_over(spec).await.unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!((taken[0].attempt, taken[0].requeued), (attempt, true));
    }
    assert!(dead.claim(id).await.unwrap());
    let last = survivor.take_over(spec).await.unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!((last[0].attempt, last[0].requeued), (3, false));
    let c = survivor.reader().await.unwrap();
    let row = read::run(&c, id).await.unwrap().unwrap();
    assert_eq!(row.status, Status::Interrupted);
    assert_eq!(row.conclusion, Some(gantry_engine::Conclusion::Failure));
    let why = row.reason.unwrap_or_default();
    assert!(
        why.contains("\"dead\"") && why.contains("attempt 3 of 3"),
        "{why}"
    );
    let history: Vec<_> = read::changes(&c, id).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!((last.attempt, last.status), (3, Status::Interrupted));
    assert!(
        survivor.take_over(spec).await.unwrap().is_empty(),
        "ended: not taken again"
    );
}
