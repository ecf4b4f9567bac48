//! The SQL of leases on PostgreSQL, inside the writer's transaction: renewing an instance's
//! leases, taking over runs whose lease expired (see `crate::lease`). Expired runs are locked
//! `FOR UPDATE SKIP LOCKED`: a run another instance's transaction is taking over is skipped,
//! never taken twice.

use super::apply::{change, exec, requeue};
use crate::lease::{self, Attempt, TakeOver, Taken};
use crate::status::Status;
use deadpool_postgres::Transaction;
use tokio_postgres::Error;

/// Extends until `until` the leases `owner` holds on `runs` (those still in progress and
/// still its own); the attempts it did not extend (`lease::lost`).
pub async fn renew(
    t: &Transaction<'_>,
    owner: &str,
    runs: &[Attempt],
    until: i64,
) -> Result<Vec<Attempt>, Error> {
    let started = Status::InProgress.as_str();
    let ids: Vec<i64> = runs.iter().map(|a| a.run).collect();
    let stmt = t
        .prepare_cached(
            "UPDATE runs SET lease_until = $1 WHERE owner = $2 AND status = $3 AND id = ANY($4)
             RETURNING id, attempt",
        )
        .await?;
    let mut renewed = Vec::with_capacity(runs.len());
    for r in t.query(&stmt, &[&until, &owner, &started, &ids]).await? {
        renewed.push(Attempt {
            run: r.try_get(0)?,
            attempt: r.try_get(1)?,
        });
    }
    Ok(lease::lost(runs, &renewed))
}

/// Takes over, for `owner`, every run in progress whose lease ended before `spec.now`.
pub async fn take_over(
    t: &Transaction<'_>,
    owner: &str,
    spec: &TakeOver,
) -> Result<Vec<Taken>, Error> {
    let started = Status::InProgress.as_str();
    let stmt = t
        .prepare_cached(
            "SELECT id, attempt, owner FROM runs WHERE status = $1 AND lease_until < $2
             ORDER BY id FOR UPDATE SKIP LOCKED",
        )
        .await?;
    let rows = t.query(&stmt, &[&started, &spec.now]).await?;
    let mut taken = Vec::with_capacity(rows.len());
    for r in rows {
        let mut found = Taken {
            run: r.try_get(0)?,
            attempt: r.try_get(1)?,
            owner: r.try_get(2)?,
            requeued: false,
        };
        found.requeued = found.attempt < spec.max_attempts;
        if found.requeued {
            requeue(t, owner, found.run).await?;
            super::carry::carry_forward(t, found.run).await?;
        } else {
            conclude(t, &found, spec).await?;
        }
        taken.push(found);
    }
    Ok(taken)
}

/// A run taken over at its last attempt: interrupted, failed, as after a crash.
async fn conclude(t: &Transaction<'_>, found: &Taken, spec: &TakeOver) -> Result<(), Error> {
    let why = lease::reason(found, spec.max_attempts);
    let interrupted = Status::Interrupted.as_str();
    exec(
        t,
        "UPDATE runs SET status = $2, conclusion = 'failure', reason = $3, finished_at = $4, lease_until = NULL
         WHERE id = $1",
        &[&found.run, &interrupted, &why, &spec.now],
    )
    .await?;
    super::control::release(t, found.run).await?;
    let now = (Status::Interrupted, Some("failure"), Some(why.as_str()));
    change(t, found.run, (None, None), now, spec.now).await
}
