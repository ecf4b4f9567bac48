//! Why a workflow's jobs could not be planned: a `needs` cycle, a matrix, a job planned
//! again at run time, a call of a reusable workflow (local, or fetched from another
//! repository). Kept as data until rendered:
//! the plan shows each as one line of its workflow's `errors`, the engine as a job's reason.

use crate::dag::Cycle;
use crate::inputs::InputError;
use crate::matrix::MatrixError;
use crate::resolve::InvalidWorkflow;

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("`needs` forms a cycle: {}", .0 .0.join(" → "))]
    Cycle(Cycle),
    #[error("job `{job}`: {error}")]
    Matrix { job: String, error: MatrixError },
    /// A job planned again at run time that its workflow no longer has.
    #[error("job `{job}` is not in its workflow")]
    NoSuchJob { job: String },
    /// A matrix left to run time that still needs more than the jobs it needs.
    #[error(
        "job `{job}`: its matrix cannot be evaluated with the jobs it needs done: {expression}"
    )]
    MatrixAtRunTime { job: String, expression: String },
    /// GitHub connects at most `levels` levels of workflows (the top-level caller and
    /// `levels - 1` reusable workflows below it).
    #[error(
        "job `{job}` calls {uses}, connecting more than {levels} levels of workflows \
         (GitHub's limit: the caller and {} levels of reusable workflows)",
        levels - 1
    )]
    CallTooDeep {
        job: String,
        uses: String,
        levels: usize,
    },
    #[error(
        "job `{job}` calls {uses}, more than {limit} unique reusable workflows for one \
         workflow, nested calls included (GitHub's limit)"
    )]
    TooManyCalled {
        job: String,
        uses: String,
        limit: usize,
    },
    /// A reusable workflow of another repository that the front did not fetch before
    /// planning; `reason` says why (download failed, `--offline` and not cached, ...).
    #[error("job `{job}` calls {uses}, which was not fetched: {reason}")]
    CalledNotFetched {
        job: String,
        uses: String,
        reason: String,
    },
    #[error("job `{job}` calls {uses}, which does not exist")]
    CalledMissing { job: String, uses: String },
    #[error("job `{job}` calls {uses}, which is invalid: {error}")]
    CalledInvalid {
        job: String,
        uses: String,
        error: InvalidWorkflow,
    },
    #[error("job `{job}` calls {uses}, which has no `on: workflow_call`")]
    NotCallable { job: String, uses: String },
    /// The call's `with:` does not fit the called workflow's inputs (every problem, in order).
    #[error("job `{job}` calling {uses}: {}", joined(errors))]
    CallInputs {
        job: String,
        uses: String,
        errors: Vec<InputError>,
    },
}

fn joined(errors: &[InputError]) -> String {
    let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    texts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let (job, uses) = ("j".to_string(), "./w.yml".to_string());
        let table: Vec<(PlanError, &str)> = vec![
            (
                PlanError::Cycle(Cycle(vec!["a".into(), "b".into(), "a".into()])),
                "`needs` forms a cycle: a → b → a",
            ),
            (
                PlanError::Matrix {
                    job: job.clone(),
                    error: MatrixError::EmptyDimension("os".into()),
                },
                "job `j`: matrix dimension `os` has no values",
            ),
            (
                PlanError::CallTooDeep {
                    job: job.clone(),
                    uses: uses.clone(),
                    levels: 10,
                },
                "job `j` calls ./w.yml, connecting more than 10 levels of workflows \
                 (GitHub's limit: the caller and 9 levels of reusable workflows)",
            ),
            (
                PlanError::CalledNotFetched {
                    job: job.clone(),
                    uses: "o/r/.github/workflows/w.yml@v1".into(),
                    reason: "o/r@v1 is not in the action cache".into(),
                },
                "job `j` calls o/r/.github/workflows/w.yml@v1, which was not fetched: \
                 o/r@v1 is not in the action cache",
            ),
            (
                PlanError::CallInputs {
                    job,
                    uses,
                    errors: vec![
                        InputError::Required { name: "a".into() },
                        InputError::NotNumber {
                            name: "n".into(),
                            value: "x".into(),
                        },
                    ],
                },
                "job `j` calling ./w.yml: input `a` is required and has no default; pass it \
                 with --input a=VALUE; input `n` is a number; `x` is not a number",
            ),
        ];
        for (e, want) in table {
            assert_eq!(e.to_string(), want);
        }
    }
}
