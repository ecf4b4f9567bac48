//! Reading local actions and reusable workflows from the workspace for the planner, and
//! remote reusable workflows from the repositories fetched before planning
//! ([`crate::fetch_remote_calls`]); the checks of what is read are the planner's own
//! ([`gantry_plan::resolve`]).

use gantry_core::model::Workflow;
use gantry_plan::remote::{RemoteAt, RemoteError, RemoteRepos};
use gantry_plan::resolve::{called_workflow, find_action, ActionLookup, InvalidWorkflow, Resolver};
use std::path::PathBuf;

pub struct FsResolver {
    pub root: PathBuf,
    /// Repositories of remote reusable workflows, fetched before planning (or why not).
    pub remote: RemoteRepos,
}

impl Resolver for FsResolver {
    fn action(&self, path: &str) -> ActionLookup {
        let dir = self.root.join(path);
        find_action(&dir, dir.is_dir(), |p| std::fs::read(p).ok())
    }

    fn workflow(&self, path: &str) -> Result<Option<Workflow>, InvalidWorkflow> {
        let p = self.root.join(path);
        let Ok(bytes) = std::fs::read(&p) else {
            return Ok(None);
        };
        called_workflow(&bytes, &p.display().to_string())
    }

    fn remote_workflow(&self, at: &RemoteAt) -> Result<Option<Workflow>, RemoteError> {
        self.remote.workflow(at, |p| std::fs::read(p).ok())
    }
}
