//! The `composite` executor: the action's planned steps in a scope of their own (its
//! inputs, its directory, the calling step's env), and its outputs from them.

use super::ActionCall;
use crate::backend::ContainerBackend;
use crate::env;
use crate::error::EngineError;
use crate::report::Conclusion;
use crate::step::scope::Scope;
use crate::step::{JobRunner, StepCall, StepResult};
use gantry_core::expr::{Object, Value};
use gantry_plan::ActionRuns;
use std::collections::BTreeMap;

impl<B: ContainerBackend> JobRunner<B> {
    pub(in crate::step) async fn composite(
        &self,
        call: &StepCall<'_>,
        a: ActionCall,
    ) -> Result<StepResult, EngineError> {
        let plan = a.la.plan.clone();
        let ActionRuns::Composite(steps) = &plan.runs else {
            return Err(EngineError::Action {
                uses: a.la.uses.clone(),
                message: format!("{}: not a composite action", plan.file),
            });
        };
        let mut inner = Scope {
            steps: Object::new(),
            inputs: Some(Value::object(a.inputs_ctx)),
            action_path: Some(a.la.container_dir.clone()),
            prefix: format!("{}.", call.label),
            failed: false,
            base_env: Some(call.env.clone()),
            stop: Some(call.stop.clone()),
        };
        self.inner_scope(steps, &mut inner).await;
        let user = self.job_env().user().clone();
        let ohost = self.step_host(&inner, &user);
        let mut outputs = BTreeMap::new();
        for (name, value) in &plan.outputs {
            if let Some(v) = value {
                outputs.insert(name.clone(), env::eval_text(v, &ohost).unwrap_or_default());
            }
        }
        Ok(StepResult {
            outcome: if inner.failed {
                Conclusion::Failure
            } else if call.stop.is_cancelled() {
                Conclusion::Cancelled
            } else {
                Conclusion::Success
            },
            outputs,
            reason: inner
                .failed
                .then(|| format!("a step of {} failed", a.la.uses)),
            changes: Vec::new(),
        })
    }
}
