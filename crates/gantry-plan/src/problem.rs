//! Why a matched workflow cannot run, kept as data until it is shown: the file problem
//! with its position, the input, the planning error or the policy refusal. `gantry plan`
//! prints each as one line and `--format json` as one string, `file:line:col: ...` where
//! there is a place; callers that need more (the service's run reason, tests) match on it.

use crate::error::PlanError;
use crate::inputs::InputError;
use crate::resolve::FileProblem;
use gantry_core::policy::Located;
use serde::{Serialize, Serializer};

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum WorkflowProblem {
    /// An error in the workflow file, where it is.
    #[error(transparent)]
    File(#[from] FileProblem),
    /// A `workflow_dispatch` input that does not fit its declaration.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The jobs cannot be planned (a `needs` cycle, a matrix, a call).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Something the operator's policy refuses, where `file` asks for it.
    #[error("{}", .refusal.render(.file))]
    Refused { file: String, refusal: Located },
}

impl crate::WorkflowOutcome {
    /// The problems on one line, `; ` between them (a run's failure reason, the CLI's
    /// "cannot run" line).
    pub fn errors_text(&self) -> String {
        let lines: Vec<String> = self.errors.iter().map(ToString::to_string).collect();
        lines.join("; ")
    }
}

/// One line of text, as before the problems were typed (plans' JSON stays the same).
impl Serialize for WorkflowProblem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dag::Cycle;
    use gantry_core::policy::Refusal;
    use gantry_core::yaml::node::{Pos, Span};

    #[test]
    fn each_problem_renders_as_its_one_line() {
        let file = FileProblem {
            file: "ci.yml".into(),
            line: 3,
            col: 5,
            message: "bad".into(),
            rule: "needs",
        };
        let at = Pos {
            line: 7,
            col: 9,
            offset: 0,
        };
        let refusal = Located {
            span: Span { start: at, end: at },
            place: "job `build`'s container".into(),
            refusal: Refusal {
                option: "--privileged".into(),
                key: Some("privileged"),
                why: "full root on the host".into(),
            },
        };
        let table: Vec<(WorkflowProblem, String)> = vec![
            (file.clone().into(), "ci.yml:3:5: bad [needs]".into()),
            (
                PlanError::Cycle(Cycle(vec!["a".into(), "b".into(), "a".into()])).into(),
                "`needs` forms a cycle: a → b → a".into(),
            ),
            (
                WorkflowProblem::Refused {
                    file: "ci.yml".into(),
                    refusal: refusal.clone(),
                },
                refusal.render("ci.yml"),
            ),
        ];
        for (problem, want) in table {
            assert_eq!(problem.to_string(), want);
            assert_eq!(
                serde_json::to_value(&problem).unwrap(),
                serde_json::json!(want)
            );
        }
    }
}
