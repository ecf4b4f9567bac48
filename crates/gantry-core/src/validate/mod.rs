//! Validation: from a file's bytes to every problem in it, all reported at once.
//!
//! The pipeline is pure (bytes in, diagnostics out): decode, parse the YAML tree, lower it
//! into the model, then run the checks that need the whole model (ids, `needs`, expressions
//! and the contexts they may use, triggers, `uses:` references).

mod action_refs;
mod calls;
mod exprs;
mod ids;
mod limits;
mod locate;
mod matrix;
mod needs;
mod places;
mod triggers;
mod values;
mod walk;

pub use calls::{check_calls, ReadFile};
pub use ids::flatten as flatten_steps;
pub use locate::LineIndex;

use crate::diag::{Diagnostic, Diagnostics};
use crate::model::lower::{lower_action, lower_workflow, Cx};
use crate::model::{Action, Workflow};
use crate::yaml::node::{Pos, Span};
use crate::yaml::Bump;

/// Whether a file is a workflow or action metadata; they have different schemas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Workflow,
    Action,
}

impl FileKind {
    /// `action.yml`/`action.yaml` are action metadata; every other YAML file is a workflow.
    pub fn from_path(path: &str) -> FileKind {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        if name == "action.yml" || name == "action.yaml" {
            FileKind::Action
        } else {
            FileKind::Workflow
        }
    }
}

/// What a file turned into: its model (when it parsed) and its diagnostics in source order.
pub struct Checked {
    pub workflow: Option<Workflow>,
    pub action: Option<Action>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks one file's bytes. Never panics, whatever the input.
pub fn check_bytes(bytes: &[u8], kind: FileKind) -> Checked {
    match std::str::from_utf8(bytes) {
        Ok(text) => check_text(text, kind),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            // Safe: `valid_up_to` marks a UTF-8 boundary.
            let prefix = std::str::from_utf8(valid).unwrap_or_default();
            let pos = LineIndex::new(prefix).pos(prefix, prefix.len());
            Checked {
                workflow: None,
                action: None,
                diagnostics: vec![Diagnostic::error(
                    "encoding",
                    Span::at(pos),
                    format!(
                        "the file is not valid UTF-8: byte 0x{:02x} at offset {} cannot start a character",
                        bytes.get(e.valid_up_to()).copied().unwrap_or(0),
                        e.valid_up_to()
                    ),
                )],
            }
        }
    }
}

thread_local! {
    /// The YAML arena, kept from one file to the next on a thread: validation reads many
    /// files, and a reset arena reuses memory that is already mapped instead of faulting
    /// in fresh pages for every tree.
    static ARENA: std::cell::RefCell<Bump> = std::cell::RefCell::new(Bump::new());
}

pub fn check_text(text: &str, kind: FileKind) -> Checked {
    ARENA.with(|cell| match cell.try_borrow_mut() {
        Ok(mut arena) => {
            let checked = check_in(text, kind, &arena);
            arena.reset();
            checked
        }
        // Only if a check ever ran inside another on the same thread.
        Err(_) => check_in(text, kind, &Bump::new()),
    })
}

fn check_in(text: &str, kind: FileKind, arena: &Bump) -> Checked {
    let mut diags = Diagnostics::new();
    let (root, shape) = match crate::yaml::parse_shaped(text, arena) {
        Ok((Some(root), shape)) => (root, shape),
        Ok((None, _)) => {
            diags.error(
                "yaml",
                Span::at(Pos {
                    offset: 0,
                    line: 1,
                    col: 1,
                }),
                "the file is empty",
            );
            return Checked {
                workflow: None,
                action: None,
                diagnostics: diags.into_sorted(),
            };
        }
        Err(e) => {
            diags.error(
                "yaml",
                Span::at(e.pos),
                format!("invalid YAML: {}", e.message),
            );
            return Checked {
                workflow: None,
                action: None,
                diagnostics: diags.into_sorted(),
            };
        }
    };
    let index = LineIndex::new(text);
    let src = Source {
        text,
        index: &index,
    };
    match kind {
        FileKind::Workflow => {
            let wf = lower_workflow(&root, &mut Cx::new(&mut diags));
            limits::check_tree(&root, shape, text, &mut diags);
            validate_workflow(&wf, &src, &mut diags);
            // Only a value longer than GitHub's expression limit can be a bare `if:` past it.
            if shape.longest_scalar > limits::MAX_EXPRESSION_LENGTH {
                limits::check_conditions(&wf, &mut diags);
            }
            Checked {
                workflow: Some(wf),
                action: None,
                diagnostics: diags.into_sorted(),
            }
        }
        FileKind::Action => {
            let action = lower_action(&root, &mut Cx::new(&mut diags));
            validate_action(&action, &src, &mut diags);
            Checked {
                workflow: None,
                action: Some(action),
                diagnostics: diags.into_sorted(),
            }
        }
    }
}

/// The text being validated, for checks that must point inside a scalar.
pub struct Source<'a> {
    pub text: &'a str,
    pub index: &'a LineIndex,
}

pub fn validate_workflow(wf: &Workflow, src: &Source<'_>, diags: &mut Diagnostics) {
    needs::check(wf, diags);
    matrix::check(wf, diags);
    triggers::check(wf, src, diags);
    ids::check_workflow(wf, diags);
    values::check_workflow(wf, diags);
    action_refs::check_workflow(wf, src, diags);
    let mut checker = exprs::ExprChecker {
        src,
        diags,
        inputs: declared_inputs(wf),
        jobs: wf.jobs.iter().map(|j| j.id.value.clone()).collect(),
    };
    walk::walk_workflow(wf, &mut checker);
    // What the default policy would refuse: GitHub runs it, so a warning, not an error.
    static DEFAULT_POLICY: std::sync::LazyLock<crate::policy::Policy> =
        std::sync::LazyLock::new(crate::policy::Policy::default);
    for refused in crate::policy::check_workflow(wf, &DEFAULT_POLICY) {
        diags.push(refused.diagnostic());
    }
}

pub fn validate_action(action: &Action, src: &Source<'_>, diags: &mut Diagnostics) {
    ids::check_action(action, diags);
    action_refs::check_action(action, src, diags);
    let inputs = Some(action.inputs.iter().map(|i| i.name.value.clone()).collect());
    let mut checker = exprs::ExprChecker {
        src,
        diags,
        inputs,
        jobs: Vec::new(),
    };
    walk::walk_action(action, &mut checker);
}

/// Inputs a workflow declares through `workflow_dispatch` and `workflow_call`. With neither
/// trigger, `inputs` is empty at run time, so every `inputs.x` is a mistake; `None` only when
/// the file has no `on:` to tell.
fn declared_inputs(wf: &Workflow) -> Option<Vec<String>> {
    let on = wf.on.as_ref()?;
    let mut names = Vec::new();
    for t in &on.value.events {
        let inputs = match &t.config {
            crate::model::TriggerConfig::Dispatch(i) => i,
            crate::model::TriggerConfig::Call(c) => &c.inputs,
            _ => continue,
        };
        names.extend(inputs.inputs.iter().map(|i| i.name.value.clone()));
    }
    Some(names)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_github_errors;

#[cfg(test)]
pub(crate) mod tests_support;
