//! One attempt of a run, as a page shows it: its jobs and steps with state and times, and
//! which log lines are its own.
//!
//! The `jobs` and `steps` tables hold only the latest attempt (a rerun starts them afresh);
//! the `changes` table holds every attempt's history, so an earlier attempt's jobs and
//! steps are rebuilt from it. Log lines carry no attempt: an attempt's lines are those
//! stamped from its first change until the next attempt's first change (a rerun is only
//! accepted once the run has ended, so attempts do not overlap in time; between instances
//! whose clocks disagree by more than the pause before a rerun, a line could be shown
//! under the wrong attempt).

use gantry_store::read::{ChangeRow, JobRow, LogRow};

/// A job or step of an attempt, with what the page shows of it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Part {
    pub key: String,
    pub name: String,
    /// The conclusion when there is one, else the status.
    pub state: String,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub steps: Vec<Part>,
    /// A job kept from an earlier attempt ("re-run failed jobs"): why, as the engine said.
    pub kept: Option<String>,
}

/// A job's reason when it says the job was kept from an earlier attempt.
fn kept(reason: Option<&str>) -> Option<String> {
    reason
        .filter(|r| gantry_engine::is_kept_reason(r))
        .map(str::to_string)
}

/// The jobs of the latest attempt, from the `jobs` table.
pub fn current(jobs: &[JobRow]) -> Vec<Part> {
    jobs.iter()
        .map(|j| Part {
            key: j.key.clone(),
            name: j.name.clone(),
            state: j
                .conclusion
                .map_or(j.status.as_str(), |c| c.as_str())
                .into(),
            started_at: j.started_at,
            finished_at: j.finished_at,
            kept: kept(j.reason.as_deref()),
            steps: j
                .steps
                .iter()
                .map(|s| Part {
                    key: s.step.clone(),
                    name: s.name.clone(),
                    state: s
                        .conclusion
                        .map_or(s.status.as_str(), |c| c.as_str())
                        .into(),
                    started_at: s.started_at,
                    finished_at: s.finished_at,
                    steps: Vec::new(),
                    kept: None,
                })
                .collect(),
        })
        .collect()
}

/// The jobs of attempt `n`, rebuilt from the run's changes; names come from `names` (the
/// latest attempt's jobs) where the key is the same, else the key.
pub fn earlier(changes: &[ChangeRow], n: i64, names: &[JobRow]) -> Vec<Part> {
    let mut jobs: Vec<Part> = Vec::new();
    for c in changes.iter().filter(|c| c.attempt == n) {
        let Some(job) = &c.job else { continue };
        let j = match jobs.iter().position(|p| &p.key == job) {
            Some(i) => &mut jobs[i],
            None => {
                let name = names.iter().find(|r| &r.key == job).map(|r| r.name.clone());
                jobs.push(Part {
                    key: job.clone(),
                    name: name.unwrap_or_else(|| job.clone()),
                    ..Part::default()
                });
                jobs.last_mut().expect("just pushed")
            }
        };
        let part = match &c.step {
            None => j,
            Some(step) => step_of(j, step, names),
        };
        apply(part, c);
    }
    jobs
}

fn step_of<'a>(job: &'a mut Part, step: &str, names: &[JobRow]) -> &'a mut Part {
    if let Some(i) = job.steps.iter().position(|s| s.key == step) {
        return &mut job.steps[i];
    }
    let name = names
        .iter()
        .filter(|r| r.key == job.key)
        .flat_map(|r| r.steps.iter())
        .find(|s| s.step == step)
        .map_or_else(|| step.to_string(), |s| s.name.clone());
    job.steps.push(Part {
        key: step.to_string(),
        name,
        ..Part::default()
    });
    job.steps.last_mut().expect("just pushed")
}

fn apply(part: &mut Part, c: &ChangeRow) {
    part.state = c
        .conclusion
        .map_or(c.status.as_str(), |x| x.as_str())
        .into();
    if part.started_at.is_none() {
        part.started_at = Some(c.at);
    }
    if c.status.is_final() {
        part.finished_at = Some(c.at);
    }
    if let Some(k) = kept(c.reason.as_deref()) {
        part.kept = Some(k);
    }
}

/// The times (ms) attempt `n`'s log lines fall in: `[from, until)`.
pub fn window(changes: &[ChangeRow], n: i64) -> (i64, i64) {
    let first = |a: i64| {
        changes
            .iter()
            .filter(|c| c.attempt == a)
            .map(|c| c.at)
            .min()
    };
    let from = if n <= 1 {
        i64::MIN
    } else {
        first(n).unwrap_or(i64::MIN)
    };
    (from, first(n + 1).unwrap_or(i64::MAX))
}

/// The lines of `logs` in `window`.
pub fn lines_in(logs: Vec<LogRow>, (from, until): (i64, i64)) -> Vec<LogRow> {
    logs.into_iter()
        .filter(|l| l.at >= from && l.at < until)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_engine::Conclusion;
    use gantry_store::Status;

    fn change(
        attempt: i64,
        job: Option<&str>,
        step: Option<&str>,
        status: Status,
        at: i64,
    ) -> ChangeRow {
        let conclusion = status.is_final().then_some(Conclusion::Failure);
        ChangeRow {
            attempt,
            job: job.map(Into::into),
            step: step.map(Into::into),
            status,
            conclusion,
            reason: None,
            at,
        }
    }

    fn changes() -> Vec<ChangeRow> {
        use Status::*;
        vec![
            change(1, None, None, Queued, 10),
            change(1, Some("build"), None, InProgress, 20),
            change(1, Some("build"), Some("1"), InProgress, 21),
            change(1, Some("build"), Some("1"), Completed, 30),
            change(1, Some("build"), None, Completed, 31),
            change(2, None, None, Queued, 100),
            change(2, Some("build"), None, InProgress, 110),
        ]
    }

    #[test]
    fn windows_of_attempts() {
        let c = changes();
        for (n, want) in [
            (1, (i64::MIN, 100)),
            (2, (100, i64::MAX)),
            (3, (i64::MIN, i64::MAX)),
        ] {
            assert_eq!(window(&c, n), want, "attempt {n}");
        }
    }

    #[test]
    fn an_earlier_attempt_is_rebuilt_from_changes() {
        let jobs = earlier(&changes(), 1, &[]);
        assert_eq!(jobs.len(), 1);
        let build = &jobs[0];
        assert_eq!(
            (build.key.as_str(), build.state.as_str()),
            ("build", "failure")
        );
        assert_eq!((build.started_at, build.finished_at), (Some(20), Some(31)));
        assert_eq!(build.steps.len(), 1);
        assert_eq!(build.steps[0].name, "1", "no name known: the key");
        assert_eq!(
            (build.steps[0].started_at, build.steps[0].finished_at),
            (Some(21), Some(30))
        );
        let second = earlier(&changes(), 2, &[]);
        assert_eq!(second[0].state, "in_progress");
        assert!(second[0].steps.is_empty());
    }
}
