//! "Re-run failed jobs" on the scheduler's side (see `gantry_store::carry`): the jobs an
//! attempt keeps from earlier ones are read from the store and handed to the engine with
//! the plan (the engine decides which it really keeps: it knows the `needs` graph); once
//! the run ends, every job's result and masked outputs are recorded at its attempt, so
//! that a later "re-run failed jobs" can keep them in turn.

use super::{record, App, Fenced};
use gantry_engine::backend::ContainerBackend;
use gantry_engine::{EngineError, KeptJob, RunResult};
use gantry_store::{carry, Op};

/// The jobs attempt `attempt` of run `id` keeps (none: every job runs). A store that
/// cannot say fails the run: running jobs the user asked to keep would not be the rerun
/// asked for.
pub(super) async fn load<B: ContainerBackend>(
    app: &App<B>,
    id: i64,
    attempt: i64,
) -> Result<Vec<KeptJob>, EngineError> {
    // A first attempt has no earlier one to keep from: no store read on every run's start.
    if attempt <= 1 {
        return Ok(Vec::new());
    }
    let what = "reading the jobs kept from an earlier attempt";
    let io = |e: gantry_store::StoreError| EngineError::io(what, std::io::Error::other(e));
    let reader = app.runs.store.reader().await.map_err(io)?;
    let kept = carry::kept(&reader, id, attempt).await.map_err(io)?;
    Ok(kept
        .into_iter()
        .map(|k| KeptJob {
            key: k.key,
            conclusion: k.conclusion,
            outputs: k.outputs,
            attempt: u32::try_from(k.attempt).unwrap_or(0),
        })
        .collect())
}

/// Records every job's result and outputs (masked by the engine) at the run's attempt.
pub(super) fn record_results<B: ContainerBackend>(
    app: &App<B>,
    (id, fenced): (i64, &Fenced),
    result: &RunResult,
) {
    for j in &result.jobs {
        let op = Op::JobResult {
            run: id,
            key: j.key.clone(),
            conclusion: j.conclusion,
            outputs: j.outputs.clone(),
            kept_from: j.kept_from.map(i64::from),
        };
        record(app, Some(fenced), op);
    }
}
