//! Actions as steps run them: a planned local action (or a downloaded one, planned at run
//! time) with its inputs evaluated and its process environment, handed to the executor
//! of what it runs — `container_action`, `composite` or `node`.

mod composite;
mod container;
mod node;
pub(crate) mod runtime;

use super::{JobRunner, StepCall, StepResult};
use crate::backend::ContainerBackend;
use crate::error::EngineError;
use crate::host::RunHost;
use crate::layout::WORKSPACE;
use crate::loaded_action::{self, input_var, LoadedAction};
use crate::shell;
use gantry_core::expr::{Object, Value};
use gantry_plan::{ActionRuns, SharedAction};

/// An action step ready for its executor.
pub struct ActionCall {
    pub la: LoadedAction,
    /// Every input's value (`with:`, else the default), as `INPUT_*` gets it.
    pub inputs: Vec<(String, String)>,
    pub inputs_ctx: Object,
    /// The process environment: the step's, `INPUT_*` and `GITHUB_ACTION_PATH`.
    pub penv: Vec<(String, String)>,
    /// The step's host with the action's `inputs`.
    pub host: RunHost,
}

impl<B: ContainerBackend> JobRunner<B> {
    /// A local action as the plan resolved it, at its place in the workspace.
    pub(super) fn local(&self, call: &StepCall<'_>, action: &SharedAction) -> LoadedAction {
        self.local_action(call.uses(), action)
    }

    /// [`JobRunner::local`] by its `uses:`.
    pub(super) fn local_action(&self, uses: &str, action: &SharedAction) -> LoadedAction {
        LoadedAction {
            uses: uses.to_string(),
            plan: action.clone(),
            host_dir: self.cx.cfg.workspace.join(&action.dir),
            container_dir: format!("{WORKSPACE}/{}", action.dir),
        }
    }

    /// Evaluates the action's inputs and builds its process environment.
    pub(super) fn prepare(
        &self,
        call: &StepCall<'_>,
        la: LoadedAction,
    ) -> Result<ActionCall, EngineError> {
        let inputs = loaded_action::inputs(&la.plan, &call.plan.exec.with, &call.host)?;
        let mut penv = self
            .job_env()
            .process_env(&call.env, &call.files, &call.action_id);
        // The services' variables, unless the workflow set its own (a job may, say, choose
        // the cache protocol with `ACTIONS_CACHE_SERVICE_V2`).
        for (k, v) in &self.action_env {
            if !penv.iter().any(|(name, _)| name == k) {
                penv.push((k.clone(), v.clone()));
            }
        }
        for (k, v) in &inputs {
            penv.push((input_var(k), v.clone()));
        }
        penv.push(("GITHUB_ACTION_PATH".into(), la.container_dir.clone()));
        let mut inputs_ctx = Object::new();
        for (k, v) in &inputs {
            inputs_ctx.insert(k.clone(), Value::str(v));
        }
        let mut host = call.host.clone();
        host.set("inputs", Value::object(inputs_ctx.clone()));
        Ok(ActionCall {
            la,
            inputs,
            inputs_ctx,
            penv,
            host,
        })
    }

    /// Runs a prepared action by what it runs (remote actions, whose kind the plan could
    /// not know).
    pub(super) async fn run_action(
        &self,
        call: &StepCall<'_>,
        a: ActionCall,
    ) -> Result<StepResult, EngineError> {
        match &a.la.plan.runs {
            ActionRuns::Docker(_) => self.container_action(call, a).await,
            ActionRuns::Composite(_) => self.composite(call, a).await,
            ActionRuns::Node(_) => self.node(call, a).await,
        }
    }
}

/// A `with:` value by its exact key.
pub fn with_value<'a>(with: &'a [(String, String)], key: &str) -> Option<&'a str> {
    with.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Splits `with.args` into words as a shell would (quotes group).
pub fn words(s: &str) -> Vec<String> {
    let cmd = shell::command(Some(s), "");
    cmd.argv.into_iter().filter(|w| !w.is_empty()).collect()
}
