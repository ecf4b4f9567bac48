//! What a "re-run failed jobs" attempt carries from the attempt before it: every job's
//! result and outputs, per attempt (`job_results`), so that a job kept from an earlier
//! attempt keeps its conclusion and the outputs its dependents read as
//! `needs.<id>.outputs.*`. The engine's masked outputs are written once the run ends
//! ([`crate::Op::JobResult`]); [`crate::Store::rerun_failed`] queues the next attempt with
//! the jobs that did not fail written at that attempt as kept (`kept_from`, the attempt
//! they ran in), and the scheduler reads them back with [`kept`]. Which of those are
//! really kept is the engine's to decide: only it knows the `needs` graph (a job that
//! needs one that runs again runs again too).

use super::error::StoreError;
use super::read::Reader;
use gantry_engine::Conclusion;
use std::collections::BTreeMap;

/// A job's result in an attempt, as a later attempt may keep it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    pub key: String,
    pub conclusion: Conclusion,
    /// Its outputs (masked by the engine before they were stored).
    pub outputs: BTreeMap<String, String>,
    /// The attempt the job ran in.
    pub attempt: i64,
}

/// The table of both backends (SQLite adds it on open; PostgreSQL's migration 6).
/// `kept_from` is NULL for a job executed in `attempt`, else the attempt it ran in.
pub(crate) const TABLE: &str = "CREATE TABLE IF NOT EXISTS job_results (
    run_id     BIGINT NOT NULL,
    attempt    BIGINT NOT NULL,
    key        TEXT NOT NULL,
    conclusion TEXT NOT NULL,
    outputs    TEXT NOT NULL,
    kept_from  BIGINT,
    PRIMARY KEY (run_id, attempt, key)
);";

/// After a requeue of an interrupted attempt (a crash, a takeover): the new attempt keeps
/// what the interrupted one was to keep, so a "re-run failed jobs" attempt stays one. The
/// run's attempt is the new one already. (A rerun asked of an ended run does not: it keeps
/// what `rerun_failed` decides, or nothing.) `?1`/`$1`: the run.
pub(crate) const CARRY_FORWARD: &str =
    "INSERT INTO job_results (run_id, attempt, key, conclusion, outputs, kept_from)
     SELECT run_id, attempt + 1, key, conclusion, outputs, kept_from FROM job_results
     WHERE run_id = $1 AND kept_from IS NOT NULL
       AND attempt = (SELECT attempt FROM runs WHERE id = $1) - 1
     ON CONFLICT (run_id, attempt, key) DO NOTHING";

/// The conclusions a job is kept with; any other (failure, cancelled, none) runs again.
pub(crate) fn keeps(conclusion: Option<&str>) -> bool {
    matches!(conclusion, Some("success" | "skipped"))
}

/// Whether a job that ended so runs again in a "re-run failed jobs" attempt.
pub fn runs_again(conclusion: Option<Conclusion>) -> bool {
    !keeps(conclusion.map(Conclusion::as_str))
}

/// Outputs as stored (a JSON object of strings).
pub(crate) fn outputs_text(outputs: &BTreeMap<String, String>) -> String {
    serde_json::to_string(outputs).unwrap_or_else(|_| "{}".into())
}

/// Outputs from their stored text; what cannot be read is none (never a panic).
pub(crate) fn outputs_of(text: &str) -> BTreeMap<String, String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// The jobs attempt `attempt` of run `run` keeps from earlier attempts (none: a full run).
pub async fn kept(r: &Reader, run: i64, attempt: i64) -> Result<Vec<Kept>, StoreError> {
    match r {
        Reader::Sqlite(c) => {
            let guard = c.lock().unwrap_or_else(|p| p.into_inner());
            super::carry_apply::kept(&guard, run, attempt)
        }
        Reader::Postgres(c) => super::pg::carry::kept(c, run, attempt).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_success_and_skipped_are_kept() {
        let table = [
            (Some("success"), true),
            (Some("skipped"), true),
            (Some("failure"), false),
            (Some("cancelled"), false),
            (None, false),
            (Some("weird"), false),
        ];
        for (conclusion, want) in table {
            assert_eq!(keeps(conclusion), want, "{conclusion:?}");
            if let Some(c) = conclusion.and_then(|t| crate::status::parse_conclusion(t).ok()) {
                assert_eq!(runs_again(Some(c)), !want, "{conclusion:?}");
            }
        }
        assert!(runs_again(None), "never concluded");
    }

    #[test]
    fn outputs_round_trip_and_bad_text_is_none() {
        let mut o = BTreeMap::new();
        o.insert("x".to_string(), "a \"quoted\" value".to_string());
        assert_eq!(outputs_of(&outputs_text(&o)), o);
        assert!(outputs_of("not json").is_empty());
        assert!(outputs_of("[1]").is_empty());
    }
}
