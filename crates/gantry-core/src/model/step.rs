//! The typed model of a step, shared by jobs and composite actions.

use super::spanned::{BoolOrExpr, Env, NumOrExpr, Spanned, Str, StrMap};
use super::uses::Uses;
use crate::yaml::node::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The whole step mapping.
    pub span: Span,
    pub id: Option<Str>,
    pub name: Option<Str>,
    pub if_: Option<Str>,
    pub env: Env,
    pub continue_on_error: Option<Spanned<BoolOrExpr>>,
    pub timeout_minutes: Option<Spanned<NumOrExpr>>,
    pub working_directory: Option<Str>,
    pub shell: Option<Str>,
    /// 2026 syntax: run without blocking the next step.
    pub background: Option<Spanned<BoolOrExpr>>,
    pub action: StepAction,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StepAction {
    Run(Str),
    /// An action or Docker image, parsed when lowered.
    Uses {
        uses: Uses,
        with: StrMap,
    },
    /// 2026 syntax: a group of steps run concurrently, joined at the end.
    Parallel(Vec<Step>),
    /// 2026 syntax: wait for the named background steps.
    Wait(Vec<Str>),
    /// 2026 syntax: wait for every background step.
    WaitAll(Span),
    /// 2026 syntax: terminate a background step.
    Cancel(Str),
    /// The step said none (or several) of the above; already reported.
    Invalid,
}

impl Step {
    /// How the step is named in messages: its name, else its id, else what it runs.
    pub fn label(&self) -> String {
        if let Some(n) = &self.name {
            return n.value.clone();
        }
        if let Some(id) = &self.id {
            return id.value.clone();
        }
        match &self.action {
            StepAction::Run(r) => {
                let first = r.value.lines().next().unwrap_or("");
                format!("Run {first}")
            }
            StepAction::Uses { uses, .. } => format!("Run {}", uses.as_str()),
            StepAction::Parallel(_) => "parallel".into(),
            StepAction::Wait(_) => "wait".into(),
            StepAction::WaitAll(_) => "wait-all".into(),
            StepAction::Cancel(_) => "cancel".into(),
            StepAction::Invalid => "step".into(),
        }
    }
}
