//! What the planner needs from outside: local actions' metadata, local reusable workflows
//! and the reusable workflows of other repositories that the front fetched before planning. The planner stays pure: the loading layer supplies a resolver that reads the
//! workspace, and the checks of what it reads are here, once ([`find_action`],
//! [`check_workflow`]), so that `gantry plan`, `gantry run`, the service and the engine's
//! run-time planning of downloaded actions say the same `file:line:col` things.

use crate::remote::{RemoteAt, RemoteError, NOT_FETCHED_HERE};
use gantry_core::diag::{Diagnostic, Severity};
use gantry_core::model::{Action, Workflow};
use gantry_core::validate::{check_bytes, FileKind};
use std::collections::HashMap;
use std::path::Path;

/// An error in a file, where it is: `file:line:col: message [rule]`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{col}: {message} [{rule}]")]
pub struct FileProblem {
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
    pub rule: &'static str,
}

impl FileProblem {
    /// The error-severity diagnostics of a checked file.
    pub fn errors(file: &str, diagnostics: &[Diagnostic]) -> Vec<FileProblem> {
        diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| FileProblem {
                file: file.to_string(),
                line: d.span.start.line,
                col: d.span.start.col,
                message: d.message.clone(),
                rule: d.rule,
            })
            .collect()
    }

    /// `file:line:col: message`, without the rule (the plan's one-line summaries).
    pub fn short(&self) -> String {
        format!("{}:{}:{}: {}", self.file, self.line, self.col, self.message)
    }
}

/// A reusable workflow with errors that keep it from running: shown on one line,
/// `file:line:col: message` for each, separated by `; `.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", join(problems.iter().map(FileProblem::short), "; "))]
pub struct InvalidWorkflow {
    pub problems: Vec<FileProblem>,
}

/// What is at a local action's path.
#[derive(Clone, Debug, PartialEq)]
pub enum ActionLookup {
    Found {
        action: Box<Action>,
        /// The metadata file, for messages.
        file: String,
    },
    /// No action there; `error` says what a step using it fails with.
    Missing { error: String },
    /// The metadata file is invalid: `summary` for the plan (one line), `error` for the
    /// step that uses it (every problem with its rule, one per line).
    Invalid { summary: String, error: String },
}

pub trait Resolver {
    /// The action at `path` (relative to the workspace, without `./`).
    fn action(&self, path: &str) -> ActionLookup;
    /// The workflow file at `path` (relative to the workspace): `Ok(None)` when there is
    /// none; `Err` (`file:line:col: ...`) when it is invalid.
    fn workflow(&self, path: &str) -> Result<Option<Workflow>, InvalidWorkflow>;
    /// The reusable workflow at `at` in another repository, from the repositories the front
    /// fetched before planning: `Ok(None)` when the fetched repository has no such file.
    /// By default nothing was fetched.
    fn remote_workflow(&self, at: &RemoteAt) -> Result<Option<Workflow>, RemoteError> {
        let _ = at;
        Err(RemoteError::NotFetched {
            reason: NOT_FETCHED_HERE.to_string(),
        })
    }
}

/// Finds and checks `action.yml` (or `action.yaml`) in `dir`. Reading is the caller's
/// (`read` gives a file's bytes, `None` when it cannot be read), so this stays pure.
pub fn find_action(
    dir: &Path,
    dir_exists: bool,
    read: impl Fn(&Path) -> Option<Vec<u8>>,
) -> ActionLookup {
    if !dir_exists {
        return ActionLookup::Missing {
            error: format!("the directory {} does not exist", dir.display()),
        };
    }
    for name in ["action.yml", "action.yaml"] {
        let p = dir.join(name);
        if let Some(bytes) = read(&p) {
            return check_action(&bytes, p.display().to_string());
        }
    }
    ActionLookup::Missing {
        error: format!("no action.yml or action.yaml in {}", dir.display()),
    }
}

/// Checks the bytes of an action's metadata file named `file`.
pub fn check_action(bytes: &[u8], file: String) -> ActionLookup {
    let checked = check_bytes(bytes, FileKind::Action);
    let problems = FileProblem::errors(&file, &checked.diagnostics);
    if !problems.is_empty() {
        return ActionLookup::Invalid {
            summary: join(problems.iter().map(FileProblem::short), "; "),
            error: join(problems.iter().map(ToString::to_string), "\n"),
        };
    }
    match checked.action {
        Some(action) => ActionLookup::Found {
            action: Box::new(action),
            file,
        },
        None => ActionLookup::Missing {
            error: format!("{file} is not an action"),
        },
    }
}

/// Checks the bytes of a workflow file named `file`: the workflow (when it could be read
/// at all) and the errors that keep it from running.
pub fn check_workflow(bytes: &[u8], file: &str) -> (Option<Workflow>, Vec<FileProblem>) {
    let checked = check_bytes(bytes, FileKind::Workflow);
    let problems = FileProblem::errors(file, &checked.diagnostics);
    (checked.workflow, problems)
}

/// A reusable workflow as a resolver gives it: `Err` with its errors.
pub fn called_workflow(bytes: &[u8], file: &str) -> Result<Option<Workflow>, InvalidWorkflow> {
    let (workflow, problems) = check_workflow(bytes, file);
    if problems.is_empty() {
        Ok(workflow)
    } else {
        Err(InvalidWorkflow { problems })
    }
}

fn join(items: impl Iterator<Item = String>, sep: &str) -> String {
    items.collect::<Vec<_>>().join(sep)
}

/// A resolver that knows nothing: every local action and workflow is "not found".
pub struct NoFiles;

impl Resolver for NoFiles {
    fn action(&self, path: &str) -> ActionLookup {
        ActionLookup::Missing {
            error: format!("no action.yml or action.yaml in {path}"),
        }
    }
    fn workflow(&self, _: &str) -> Result<Option<Workflow>, InvalidWorkflow> {
        Ok(None)
    }
}

/// A resolver over in-memory files, for tests and for callers that already loaded them.
#[derive(Default)]
pub struct MemoryResolver {
    pub actions: HashMap<String, Action>,
    pub workflows: HashMap<String, Workflow>,
    /// Workflows of other repositories, as if fetched (`owner/repo/PATH@REF` → workflow).
    pub remote: HashMap<String, Workflow>,
}

impl Resolver for MemoryResolver {
    fn action(&self, path: &str) -> ActionLookup {
        let path = path.trim_end_matches('/');
        match self.actions.get(path) {
            Some(a) => ActionLookup::Found {
                action: Box::new(a.clone()),
                file: format!("{path}/action.yml"),
            },
            None => NoFiles.action(path),
        }
    }
    fn workflow(&self, path: &str) -> Result<Option<Workflow>, InvalidWorkflow> {
        Ok(self.workflows.get(path).cloned())
    }
    fn remote_workflow(&self, at: &RemoteAt) -> Result<Option<Workflow>, RemoteError> {
        if let Some(w) = self.remote.get(&at.to_string()) {
            return Ok(Some(w.clone()));
        }
        let fetched = self.remote.keys().any(|k| {
            k.starts_with(&format!("{}/", at.repo.repository))
                && k.ends_with(&format!("@{}", at.repo.git_ref))
        });
        if fetched {
            Ok(None)
        } else {
            Err(RemoteError::NotFetched {
                reason: format!("{} is not among the resolver's repositories", at.repo),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files<'a>(list: &'a [(&'a str, &'a str)]) -> impl Fn(&Path) -> Option<Vec<u8>> + 'a {
        move |p: &Path| {
            list.iter()
                .find(|(n, _)| p == Path::new(n))
                .map(|(_, t)| t.as_bytes().to_vec())
        }
    }

    /// Directory, whether it exists, its files, and what is found.
    type Row<'a> = (&'a str, bool, &'a [(&'a str, &'a str)], &'a str);

    #[test]
    fn actions_are_found_missing_or_invalid() {
        let ok = "name: a\nruns:\n  using: node20\n  main: index.js\n";
        let bad = "name: b\nruns:\n  using: python3\n";
        let table: &[Row<'_>] = &[
            (
                "ws/a",
                true,
                &[("ws/a/action.yml", ok)],
                "found ws/a/action.yml",
            ),
            (
                "ws/a",
                true,
                &[("ws/a/action.yaml", ok)],
                "found ws/a/action.yaml",
            ),
            (
                "ws/none",
                false,
                &[],
                "missing the directory ws/none does not exist",
            ),
            (
                "ws/empty",
                true,
                &[],
                "missing no action.yml or action.yaml in ws/empty",
            ),
            (
                "ws/b",
                true,
                &[("ws/b/action.yml", bad)],
                "invalid ws/b/action.yml:3:",
            ),
        ];
        for (dir, exists, list, want) in table {
            let got = match find_action(Path::new(dir), *exists, files(list)) {
                ActionLookup::Found { file, .. } => format!("found {file}"),
                ActionLookup::Missing { error } => format!("missing {error}"),
                ActionLookup::Invalid { summary, error } => {
                    assert!(error.contains(&summary[..summary.len().min(14)]), "{error}");
                    assert!(
                        error.contains('['),
                        "the run's error names the rule: {error}"
                    );
                    format!("invalid {summary}")
                }
            };
            assert!(got.starts_with(want), "{dir}: {got}");
        }
    }

    #[test]
    fn invalid_workflows_say_where() {
        let (wf, problems) = check_workflow(b"on: push\njobs: 3\n", "w.yml");
        assert!(wf.is_some());
        let text = problems[0].to_string();
        assert!(
            text.starts_with("w.yml:2:") && text.ends_with(']'),
            "{text}"
        );
        let one_line = called_workflow(b"on: push\njobs: 3\n", "w.yml")
            .unwrap_err()
            .to_string();
        assert!(
            one_line.starts_with("w.yml:2:") && !one_line.contains('['),
            "{one_line}"
        );
    }
}
