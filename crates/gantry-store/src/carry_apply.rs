//! The SQL of carried job results on SQLite (see `crate::carry`): the table, added on open;
//! a job's result written at the run's current attempt; "re-run failed jobs" decided in
//! the writer's transaction (compare-and-set on the run's status, as a rerun); and the
//! kept jobs an attempt reads back.

use super::apply::requeue;
use super::carry::{self, Kept};
use super::control::Rerun;
use super::error::{sql, StoreError};
use super::status::{parse_conclusion, Status};
use gantry_engine::Conclusion;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;

/// Adds the table to a store from before it (migration 6 on PostgreSQL).
pub fn create(c: &Connection) -> Result<(), StoreError> {
    c.execute_batch(carry::TABLE)
        .map_err(sql("create job_results"))
}

/// Job `key`'s result at run `run`'s current attempt (`kept_from`: the attempt it was kept
/// from, `None` when it was executed in this one).
pub fn write(
    c: &Connection,
    run: i64,
    key: &str,
    (conclusion, outputs, kept_from): (Conclusion, &BTreeMap<String, String>, Option<i64>),
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO job_results (run_id, attempt, key, conclusion, outputs, kept_from)
         SELECT ?1, attempt, ?2, ?3, ?4, ?5 FROM runs WHERE id = ?1
         ON CONFLICT (run_id, attempt, key) DO UPDATE SET conclusion = excluded.conclusion,
           outputs = excluded.outputs, kept_from = excluded.kept_from",
    )?
    .execute(params![
        run,
        key,
        conclusion.as_str(),
        carry::outputs_text(outputs),
        kept_from
    ])
    .map(drop)
}

/// See [`carry::CARRY_FORWARD`] (SQLite reads `$1` as a numbered parameter too).
pub fn carry_forward(c: &Connection, run: i64) -> rusqlite::Result<()> {
    c.prepare_cached(carry::CARRY_FORWARD)?
        .execute([run])
        .map(drop)
}

/// A job of the latest attempt: its key, conclusion, stored outputs and where it came from.
type Latest = (String, Option<String>, Option<String>, Option<i64>);

/// Queues run `run` again keeping its jobs that did not fail, when it has ended and one of
/// them failed or was cancelled.
pub fn rerun_failed(c: &Connection, owner: &str, run: i64) -> rusqlite::Result<Rerun> {
    let Some((status, attempt)) = c
        .prepare_cached("SELECT status, attempt FROM runs WHERE id = ?1")?
        .query_row([run], |r| Ok((r.get::<_, Status>(0)?, r.get::<_, i64>(1)?)))
        .optional()?
    else {
        return Ok(Rerun::NotFound);
    };
    if !status.is_final() {
        return Ok(Rerun::Busy(status));
    }
    let jobs: Vec<Latest> = c
        .prepare_cached(
            "SELECT j.key, j.conclusion, r.outputs, r.kept_from FROM jobs j
             LEFT JOIN job_results r ON r.run_id = j.run_id AND r.attempt = ?2 AND r.key = j.key
             WHERE j.run_id = ?1",
        )?
        .query_map(params![run, attempt], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    if jobs.iter().all(|j| carry::keeps(j.1.as_deref())) {
        return Ok(Rerun::NothingFailed);
    }
    requeue(c, owner, run)?;
    for (key, conclusion, outputs, from) in jobs {
        // Only a result whose outputs were stored can be kept: any other runs again.
        let (Some(conclusion), Some(outputs)) = (conclusion, outputs) else {
            continue;
        };
        if carry::keeps(Some(&conclusion)) {
            c.prepare_cached(
                "INSERT INTO job_results (run_id, attempt, key, conclusion, outputs, kept_from)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                run,
                attempt + 1,
                key,
                conclusion,
                outputs,
                from.unwrap_or(attempt)
            ])?;
        }
    }
    Ok(Rerun::Requeued {
        attempt: attempt + 1,
    })
}

/// The jobs attempt `attempt` of run `run` keeps from earlier attempts.
pub fn kept(c: &Connection, run: i64, attempt: i64) -> Result<Vec<Kept>, StoreError> {
    let what = "read the kept jobs";
    let mut stmt = c
        .prepare_cached(
            "SELECT key, conclusion, outputs, kept_from FROM job_results
             WHERE run_id = ?1 AND attempt = ?2 AND kept_from IS NOT NULL ORDER BY key",
        )
        .map_err(sql(what))?;
    let rows = stmt
        .query_map(params![run, attempt], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(sql(what))?;
    Ok(rows.into_iter().filter_map(kept_row).collect())
}

/// A kept job from its columns; one whose conclusion the store does not know runs again.
pub(crate) fn kept_row(
    (key, conclusion, outputs, attempt): (String, String, String, i64),
) -> Option<Kept> {
    Some(Kept {
        key,
        conclusion: parse_conclusion(&conclusion).ok()?,
        outputs: carry::outputs_of(&outputs),
        attempt,
    })
}
