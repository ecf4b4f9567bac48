//! Run-time re-planning: what the plan could only leave to run time, planned now with the
//! planner's own functions. Today that is a remote action (`owner/repo[/path]@ref`),
//! whose `action.yml` exists only once the run has downloaded it: it is read and checked
//! here ([`crate::plan::resolve::find_action`]) and planned by
//! [`crate::plan::steps::action_plan`], local actions its composite steps use resolved in
//! the workspace as the planner does. This is the one place in the engine that reads
//! action or workflow files.

use super::error::EngineError;
use crate::model::Workflow;
use crate::plan::resolve::{find_action, ActionLookup, Resolver};
use crate::plan::steps::action_plan;
use crate::plan::ActionPlan;
use std::path::Path;

/// Local actions (`./path`) used by a downloaded composite action: in the workspace.
struct WorkspaceActions<'a>(&'a Path);

fn read_action(dir: &Path) -> ActionLookup {
    find_action(dir, dir.is_dir(), |p| std::fs::read(p).ok())
}

impl Resolver for WorkspaceActions<'_> {
    fn action(&self, path: &str) -> ActionLookup {
        read_action(&self.0.join(path))
    }
    fn workflow(&self, _: &str) -> Result<Option<Workflow>, String> {
        Ok(None)
    }
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
        ActionLookup::Found { action, file } => {
            action_plan(&action, path, &file, &WorkspaceActions(workspace), 1)
                .map_err(|n| err(n.error))
        }
        ActionLookup::Missing { error } | ActionLookup::Invalid { error, .. } => Err(err(error)),
    }
}
