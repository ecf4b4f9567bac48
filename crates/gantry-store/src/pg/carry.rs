//! The SQL of carried job results on PostgreSQL (see `crate::carry`), as SQLite's
//! `carry_apply`: a job's result written at the run's current attempt (also the batch
//! path's statement, [`RESULT`]); "re-run failed jobs" decided in the writer's transaction
//! with the run's row locked `FOR UPDATE`; the kept jobs an attempt reads back.

use super::apply::{exec, requeue};
use crate::carry::{self, Kept};
use crate::control::Rerun;
use crate::error::{pg, StoreError};
use crate::status::Status;
use deadpool_postgres::{Object, Transaction};
use tokio_postgres::Error;

/// A job's result at the run's current attempt: run, key, conclusion, outputs, kept_from.
pub(crate) const RESULT: &str =
    "INSERT INTO job_results (run_id, attempt, key, conclusion, outputs, kept_from)
     SELECT $1, attempt, $2::text, $3::text, $4::text, $5::bigint FROM runs WHERE id = $1
     ON CONFLICT (run_id, attempt, key) DO UPDATE SET conclusion = excluded.conclusion,
       outputs = excluded.outputs, kept_from = excluded.kept_from";

/// Writes `op` when it is a job's result.
pub async fn write(t: &Transaction<'_>, op: &crate::Op) -> Result<(), Error> {
    let crate::Op::JobResult {
        run,
        key,
        conclusion,
        outputs,
        kept_from,
    } = op
    else {
        return Ok(());
    };
    let (c, o) = (conclusion.as_str(), carry::outputs_text(outputs));
    exec(t, RESULT, &[run, key, &c, &o, kept_from])
        .await
        .map(drop)
}

/// See [`carry::CARRY_FORWARD`].
pub async fn carry_forward(t: &Transaction<'_>, run: i64) -> Result<(), Error> {
    exec(t, carry::CARRY_FORWARD, &[&run]).await.map(drop)
}

/// A job of the latest attempt: its key, conclusion, stored outputs and where it came from.
type Latest = (String, Option<String>, Option<String>, Option<i64>);

/// Queues run `run` again keeping its jobs that did not fail, when it has ended and one of
/// them failed or was cancelled.
pub async fn rerun_failed(t: &Transaction<'_>, owner: &str, run: i64) -> Result<Rerun, Error> {
    let stmt = t
        .prepare_cached("SELECT status, attempt FROM runs WHERE id = $1 FOR UPDATE")
        .await?;
    let Some(row) = t.query_opt(&stmt, &[&run]).await? else {
        return Ok(Rerun::NotFound);
    };
    let text: String = row.try_get(0)?;
    let attempt: i64 = row.try_get(1)?;
    // Text the store does not know is no status a control acts on: as if ended.
    let status = Status::parse(&text).unwrap_or(Status::Interrupted);
    if !status.is_final() {
        return Ok(Rerun::Busy(status));
    }
    let stmt = t
        .prepare_cached(
            "SELECT j.key, j.conclusion, r.outputs, r.kept_from FROM jobs j
             LEFT JOIN job_results r ON r.run_id = j.run_id AND r.attempt = $2 AND r.key = j.key
             WHERE j.run_id = $1",
        )
        .await?;
    let mut jobs: Vec<Latest> = Vec::new();
    for r in t.query(&stmt, &[&run, &attempt]).await? {
        jobs.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?));
    }
    if jobs.iter().all(|j| carry::keeps(j.1.as_deref())) {
        return Ok(Rerun::NothingFailed);
    }
    requeue(t, owner, run).await?;
    let next = attempt + 1;
    for (key, conclusion, outputs, from) in jobs {
        // Only a result whose outputs were stored can be kept: any other runs again.
        let (Some(conclusion), Some(outputs)) = (conclusion, outputs) else {
            continue;
        };
        if carry::keeps(Some(&conclusion)) {
            let from = from.unwrap_or(attempt);
            exec(
                t,
                "INSERT INTO job_results (run_id, attempt, key, conclusion, outputs, kept_from)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&run, &next, &key, &conclusion, &outputs, &from],
            )
            .await?;
        }
    }
    Ok(Rerun::Requeued { attempt: next })
}

/// The jobs attempt `attempt` of run `run` keeps from earlier attempts.
pub async fn kept(c: &Object, run: i64, attempt: i64) -> Result<Vec<Kept>, StoreError> {
    let what = "read the kept jobs";
    let stmt = c
        .prepare_cached(
            "SELECT key, conclusion, outputs, kept_from FROM job_results
             WHERE run_id = $1 AND attempt = $2 AND kept_from IS NOT NULL ORDER BY key",
        )
        .await
        .map_err(pg(what))?;
    let rows = c.query(&stmt, &[&run, &attempt]).await.map_err(pg(what))?;
    let mut kept = Vec::new();
    for r in rows {
        let cols = (
            r.try_get(0).map_err(pg(what))?,
            r.try_get(1).map_err(pg(what))?,
            r.try_get(2).map_err(pg(what))?,
            r.try_get(3).map_err(pg(what))?,
        );
        kept.extend(crate::carry_apply::kept_row(cols));
    }
    Ok(kept)
}
