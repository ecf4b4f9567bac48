//! The SQL of leases on SQLite, inside the writer's transaction (`BEGIN IMMEDIATE`: one
//! instance's writer at a time, so what a transaction finds expired no other takes): renewing
//! an instance's leases, taking over runs whose lease expired (see `crate::lease`).

use super::apply::{change, requeue};
use super::lease::{self, Attempt, TakeOver, Taken};
use super::status::Status;
use rusqlite::{params, Connection};

/// Extends until `until` the leases `owner` holds on `runs` (those still in progress and
/// still its own); the attempts it did not extend (`lease::lost`).
pub fn renew(
    c: &Connection,
    owner: &str,
    runs: &[Attempt],
    until: i64,
) -> rusqlite::Result<Vec<Attempt>> {
    // The ids as one JSON array parameter (SQLite's json_each): one statement for them all.
    let ids: Vec<i64> = runs.iter().map(|a| a.run).collect();
    let ids = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
    let renewed = c
        .prepare_cached(
            "UPDATE runs SET lease_until = ?1
             WHERE owner = ?2 AND status = ?3 AND id IN (SELECT value FROM json_each(?4))
             RETURNING id, attempt",
        )?
        .query_map(params![until, owner, Status::InProgress, ids], |r| {
            Ok(Attempt {
                run: r.get(0)?,
                attempt: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(lease::lost(runs, &renewed))
}

/// Takes over, for `owner`, every run in progress whose lease ended before `spec.now`.
pub fn take_over(c: &Connection, owner: &str, spec: &TakeOver) -> rusqlite::Result<Vec<Taken>> {
    let expired = c
        .prepare_cached(
            "SELECT id, attempt, owner FROM runs WHERE status = ?1 AND lease_until < ?2 ORDER BY id",
        )?
        .query_map(params![Status::InProgress, spec.now], |r| {
            Ok(Taken {
                run: r.get(0)?,
                attempt: r.get(1)?,
                owner: r.get(2)?,
                requeued: false,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut taken = Vec::with_capacity(expired.len());
    for mut t in expired {
        t.requeued = t.attempt < spec.max_attempts;
        if t.requeued {
            requeue(c, owner, t.run)?;
            super::carry_apply::carry_forward(c, t.run)?;
        } else {
            conclude(c, &t, spec)?;
        }
        taken.push(t);
    }
    Ok(taken)
}

/// A run taken over at its last attempt: interrupted, failed, as after a crash.
fn conclude(c: &Connection, t: &Taken, spec: &TakeOver) -> rusqlite::Result<()> {
    let why = lease::reason(t, spec.max_attempts);
    c.prepare_cached(
        "UPDATE runs SET status = ?2, conclusion = 'failure', reason = ?3, finished_at = ?4, lease_until = NULL
         WHERE id = ?1",
    )?
    .execute(params![t.run, Status::Interrupted, why, spec.now])?;
    super::control_apply::release(c, t.run)?;
    let now = (Status::Interrupted, Some("failure"), Some(why.as_str()));
    change(c, t.run, (None, None), now, spec.now)
}
