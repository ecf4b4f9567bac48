//! Why a workflow's jobs could not be planned: a `needs` cycle, a matrix, a job planned
//! again at run time, a call of a local reusable workflow. Kept as data until rendered:
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
    #[error("job `{job}` calls {uses}, nesting reusable workflows deeper than {depth} levels")]
    CallTooDeep {
        job: String,
        uses: String,
        depth: usize,
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
                    depth: 4,
                },
                "job `j` calls ./w.yml, nesting reusable workflows deeper than 4 levels",
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
