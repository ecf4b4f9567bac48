//! What the plan said about a run when its event was accepted: why its workflow matched
//! (the reasons `gantry plan` prints) and its job graph (each job's id, key, name, needs,
//! and whether `if:` skipped it at plan time). Kept with the run (`runs.why`, `runs.graph`,
//! JSON text) because the workflow file may change or vanish later, and the run page shows
//! the plan the run was made from. Runs recorded before these columns have neither.

use super::error::StoreError;
use serde::{Deserialize, Serialize};

/// One job of the plan, as the run page draws it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedJob {
    /// The job id: matrix legs (and the jobs of a called workflow) share it.
    pub id: String,
    /// Unique in the run: the key of the job's rows (`jobs.key`).
    pub key: String,
    pub name: String,
    /// Job ids this job waits for.
    pub needs: Vec<String>,
    /// `if:` decided at plan time that the job does not run.
    #[serde(default)]
    pub skipped: bool,
}

/// The plan's why and graph of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunPlan {
    pub why: Vec<String>,
    pub graph: Vec<PlannedJob>,
}

/// `value` as the JSON text stored (a list of strings or of jobs always serialises).
pub(crate) fn to_text<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// The stored columns read back: `None` for a run recorded before they existed (both NULL).
pub(crate) fn from_text(
    why: Option<String>,
    graph: Option<String>,
) -> Result<Option<RunPlan>, StoreError> {
    if why.is_none() && graph.is_none() {
        return Ok(None);
    }
    let parse = |what: &'static str, text: Option<String>| match text {
        None => Ok(serde_json::Value::Array(Vec::new())),
        Some(t) => {
            serde_json::from_str(&t).map_err(|source| StoreError::Malformed { what, source })
        }
    };
    let why = serde_json::from_value(parse("read runs.why", why)?).map_err(|source| {
        StoreError::Malformed {
            what: "read runs.why",
            source,
        }
    })?;
    let graph = serde_json::from_value(parse("read runs.graph", graph)?).map_err(|source| {
        StoreError::Malformed {
            what: "read runs.graph",
            source,
        }
    })?;
    Ok(Some(RunPlan { why, graph }))
}

/// The plan of run `run` in SQLite (`None`: no such run, or recorded before).
pub(crate) fn read_sqlite(
    c: &rusqlite::Connection,
    run: i64,
) -> Result<Option<RunPlan>, StoreError> {
    use rusqlite::OptionalExtension;
    const WHAT: &str = "read a run's plan";
    let found = c
        .query_row("SELECT why, graph FROM runs WHERE id = ?1", [run], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .map_err(super::error::sql(WHAT))?;
    found.map_or(Ok(None), |(why, graph)| from_text(why, graph))
}

/// The plan of run `run` in PostgreSQL (`None`: no such run, or recorded before).
pub(crate) async fn read_postgres(
    c: &deadpool_postgres::Object,
    run: i64,
) -> Result<Option<RunPlan>, StoreError> {
    use super::error::pg;
    const WHAT: &str = "read a run's plan";
    let found = c
        .query_opt("SELECT why, graph FROM runs WHERE id = $1", &[&run])
        .await
        .map_err(pg(WHAT))?;
    let Some(row) = found else { return Ok(None) };
    let why = row.try_get(0).map_err(pg(WHAT))?;
    let graph = row.try_get(1).map_err(pg(WHAT))?;
    from_text(why, graph)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_round_trips() {
        let plan = RunPlan {
            why: vec!["branch `main` matches `main`".into()],
            graph: vec![PlannedJob {
                id: "b".into(),
                key: "b (1)".into(),
                name: "<b>&\"".into(),
                needs: vec!["a".into()],
                skipped: true,
            }],
        };
        let back = from_text(Some(to_text(&plan.why)), Some(to_text(&plan.graph)));
        assert_eq!(back.unwrap(), Some(plan));
        assert_eq!(from_text(None, None).unwrap(), None, "recorded before");
        let only_why = from_text(Some("[\"x\"]".into()), None).unwrap().unwrap();
        assert_eq!((only_why.why.len(), only_why.graph.len()), (1, 0));
        assert!(from_text(Some("{".into()), None).is_err(), "malformed text");
        assert!(from_text(Some("[1]".into()), None).is_err(), "not strings");
    }
}
