//! A level of steps: the job's own, or a composite action's. Each has its `steps`
//! context, its `inputs` (an action's), its failure flag and label prefix; the host a
//! step's expressions see is built from the job's contexts and the scope's.

use crate::env::{self, EnvMap};
use crate::host::RunHost;
use crate::report::Conclusion;
use gantry_core::expr::{JobStatus, Object, Value};
use std::collections::BTreeMap;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
pub struct Scope {
    pub steps: Object,
    pub inputs: Option<Value>,
    /// Inside an action: its directory as the job container sees it (`github.action_path`,
    /// `GITHUB_ACTION_PATH`).
    pub action_path: Option<String>,
    /// Step labels within this scope: "3" in the job, "3.2" inside a composite.
    pub prefix: String,
    pub failed: bool,
    /// Inside a composite action: the env of the step that called it.
    pub base_env: Option<EnvMap>,
    /// Inside a composite action: what stops the step that called it (its steps stop
    /// with it); the job's token otherwise.
    pub stop: Option<CancellationToken>,
}

impl Scope {
    /// The host for a step's expressions: the job's contexts with this scope's `steps`,
    /// `inputs`, `github.action_path`, the step's `env` and the job status.
    pub fn host(&self, job: &RunHost, status: JobStatus, env: &EnvMap) -> RunHost {
        let mut h = job.clone();
        h.status = status;
        h.set("steps", Value::object(self.steps.clone()));
        h.set("env", env::to_value(env));
        if let Some(i) = &self.inputs {
            h.set("inputs", i.clone());
        }
        if let Some(path) = &self.action_path {
            if let Some(Value::Object(g)) = gantry_core::expr::Host::context(&h, "github") {
                let mut g = (*g).clone();
                g.insert("action_path".into(), Value::str(path));
                h.set("github", Value::object(g));
            }
        }
        let mut job = match gantry_core::expr::Host::context(&h, "job") {
            Some(Value::Object(o)) => (*o).clone(),
            _ => Object::new(),
        };
        job.insert(
            "status".into(),
            Value::str(match h.status {
                JobStatus::Success => "success",
                JobStatus::Failure => "failure",
                JobStatus::Skipped => "skipped",
                JobStatus::Cancelled => "cancelled",
            }),
        );
        h.set("job", Value::object(job));
        h
    }

    /// `steps.<id>`: the step's outputs, outcome and conclusion.
    pub fn record(
        &mut self,
        id: &str,
        outputs: &BTreeMap<String, String>,
        outcome: Conclusion,
        conclusion: Conclusion,
    ) {
        let mut o = Object::new();
        let mut outs = Object::new();
        for (k, v) in outputs {
            outs.insert(k.clone(), Value::str(v));
        }
        o.insert("outputs".into(), Value::object(outs));
        o.insert("outcome".into(), Value::str(outcome.as_str()));
        o.insert("conclusion".into(), Value::str(conclusion.as_str()));
        self.steps.insert(id.to_string(), Value::object(o));
    }
}
