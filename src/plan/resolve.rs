//! What the planner needs from outside: local actions' metadata and local reusable
//! workflows. The planner stays pure; the CLI supplies a resolver that reads files.

use crate::model::{Action, Workflow};
use std::collections::HashMap;

pub trait Resolver {
    /// The action at `path` (relative to the workspace, without `./`): `Ok(None)` when
    /// there is no `action.yml`/`action.yaml` there; `Err` when it exists but is invalid.
    fn action(&self, path: &str) -> Result<Option<Action>, String>;
    /// The workflow file at `path` (relative to the workspace).
    fn workflow(&self, path: &str) -> Result<Option<Workflow>, String>;
}

/// A resolver that knows nothing: every local action and workflow is "not found".
pub struct NoFiles;

impl Resolver for NoFiles {
    fn action(&self, _: &str) -> Result<Option<Action>, String> {
        Ok(None)
    }
    fn workflow(&self, _: &str) -> Result<Option<Workflow>, String> {
        Ok(None)
    }
}

/// A resolver over in-memory files, for tests and for callers that already loaded them.
#[derive(Default)]
pub struct MemoryResolver {
    pub actions: HashMap<String, Action>,
    pub workflows: HashMap<String, Workflow>,
}

impl Resolver for MemoryResolver {
    fn action(&self, path: &str) -> Result<Option<Action>, String> {
        Ok(self.actions.get(path.trim_end_matches('/')).cloned())
    }
    fn workflow(&self, path: &str) -> Result<Option<Workflow>, String> {
        Ok(self.workflows.get(path).cloned())
    }
}
