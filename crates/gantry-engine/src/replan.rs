//! Run-time re-planning: what the plan could only leave to run time, planned now with the
//! planner's own functions. That is a remote action (`owner/repo[/path]@ref`), whose
//! `action.yml` exists only once the run has downloaded it — read and checked here
//! ([`gantry_plan::resolve::find_action`]) and planned by
//! [`gantry_plan::steps::action_plan`] — and a job whose matrix needs the outputs of the
//! jobs it needs, planned again by [`gantry_plan::replan_job`] once they are done. Local
//! actions and called workflows are resolved in the workspace, remote reusable workflows in
//! the repositories fetched before planning, as the planner does. This is the one place in
//! the engine that reads action or workflow files.

use super::error::EngineError;
use gantry_core::expr::{Object, Value};
use gantry_core::model::Workflow;
use gantry_plan::remote::{RemoteAt, RemoteError, RemoteRepos};
use gantry_plan::resolve::{called_workflow, find_action, ActionLookup, InvalidWorkflow, Resolver};
use gantry_plan::steps::action_plan;
use gantry_plan::{replan_job, ActionPlan, JobPlan, PlanError, RunTimeJob};
use std::path::Path;

/// Local actions (`./path`) and called workflows, in the workspace; remote reusable
/// workflows from the repositories fetched before planning.
struct Workspace<'a>(&'a Path, &'a RemoteRepos);

fn read_action(dir: &Path) -> ActionLookup {
    find_action(dir, dir.is_dir(), |p| std::fs::read(p).ok())
}

impl Resolver for Workspace<'_> {
    fn action(&self, path: &str) -> ActionLookup {
        read_action(&self.0.join(path))
    }
    fn workflow(&self, path: &str) -> Result<Option<Workflow>, InvalidWorkflow> {
        let p = self.0.join(path);
        match std::fs::read(&p) {
            Ok(bytes) => called_workflow(&bytes, &p.display().to_string()),
            Err(_) => Ok(None),
        }
    }
    fn remote_workflow(&self, at: &RemoteAt) -> Result<Option<Workflow>, RemoteError> {
        self.1.workflow(at, |p| std::fs::read(p).ok())
    }
}

/// The legs of a job whose matrix was left to run time, now that the jobs it needs are
/// done (`needs` is their context).
pub fn job_legs(
    rt: &RunTimeJob,
    needs: &Object,
    workspace: &Path,
    remote: &RemoteRepos,
) -> Result<Vec<JobPlan>, PlanError> {
    replan_job(
        rt,
        Value::object(needs.clone()),
        &Workspace(workspace, remote),
    )
}

/// Plans the downloaded action in `dir` (`path` inside its repository), for `uses`.
pub fn remote_action(
    dir: &Path,
    path: &str,
    uses: &str,
    workspace: &Path,
) -> Result<ActionPlan, EngineError> {
    let err = |message: String| EngineError::Action {
        uses: uses.to_string(),
        message,
    };
    match read_action(dir) {
        ActionLookup::Found { action, file } => action_plan(
            &action,
            path,
            &file,
            &Workspace(workspace, &RemoteRepos::default()),
            1,
        )
        .map_err(|n| err(n.error)),
        ActionLookup::Missing { error } | ActionLookup::Invalid { error, .. } => Err(err(error)),
    }
}
