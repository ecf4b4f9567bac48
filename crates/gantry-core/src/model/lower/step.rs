//! Lowering steps (of jobs and of composite actions), including 2026's background steps
//! and `parallel:` groups.

use super::{entry_span, Cx};
use crate::model::step::{Step, StepAction};
use crate::model::uses::Uses;
use crate::model::Env;
use crate::yaml::tree::{Entry, Node, NodeKind};

const STEP_KEYS: &[&str] = &[
    "id",
    "if",
    "name",
    "uses",
    "run",
    "working-directory",
    "shell",
    "with",
    "env",
    "continue-on-error",
    "timeout-minutes",
    "background",
    "wait",
    "wait-all",
    "cancel",
    "parallel",
];

/// The actions a step may take; exactly one of them must be given.
const ACTION_KEYS: &[&str] = &["uses", "run", "wait", "wait-all", "cancel", "parallel"];

pub fn lower_steps(node: &Node, cx: &mut Cx<'_>, what: &str) -> Vec<Step> {
    match &node.kind {
        NodeKind::Seq(items) => {
            if items.is_empty() {
                cx.diags.error(
                    "required",
                    node.span,
                    format!("{what} must hold at least one step"),
                );
            }
            items.iter().filter_map(|i| lower_step(i, cx)).collect()
        }
        _ => {
            cx.diags.error(
                "type",
                node.span,
                format!(
                    "{what} must be a list of steps, but it is {}",
                    node.kind_name()
                ),
            );
            Vec::new()
        }
    }
}

fn lower_step(node: &Node, cx: &mut Cx<'_>) -> Option<Step> {
    let entries = cx.map(node, "a step")?;
    cx.check_duplicates(entries, "a step");
    let mut step = Step {
        span: node.span,
        id: None,
        name: None,
        if_: None,
        env: Env::default(),
        continue_on_error: None,
        timeout_minutes: None,
        working_directory: None,
        shell: None,
        background: None,
        action: StepAction::Invalid,
    };
    let single = single_action(entries, node, cx);
    let mut with = None;
    for e in entries {
        let Some(key) = cx.key(e) else { continue };
        let v = &e.value;
        match key {
            _ if lower_setting(&mut step, key, v, cx) => {}
            "with" => with = Some(cx.str_map(v, "step `with`")),
            "run" => {
                if let Some(r) = cx.string(v, "step `run`") {
                    if single {
                        step.action = StepAction::Run(r);
                    }
                }
            }
            "uses" => {
                if let Some(u) = cx.required_string(v, "step `uses`") {
                    if single {
                        step.action = StepAction::Uses {
                            uses: Uses::step(u),
                            with: Default::default(),
                        };
                    }
                }
            }
            "parallel" => {
                let inner = lower_steps(v, cx, "`parallel`");
                if single {
                    step.action = StepAction::Parallel(inner);
                }
            }
            "wait" => {
                let ids = cx.str_list(v, "`wait`");
                if ids.value.is_empty() {
                    cx.diags
                        .error("required", v.span, "`wait` must name at least one step id");
                }
                if single {
                    step.action = StepAction::Wait(ids.value);
                }
            }
            "wait-all" => {
                if single {
                    step.action = StepAction::WaitAll(e.key.span);
                }
            }
            "cancel" => {
                if let Some(id) = cx.required_string(v, "`cancel`") {
                    if single {
                        step.action = StepAction::Cancel(id);
                    }
                }
            }
            _ => cx.unknown_key(e, key, "a step", STEP_KEYS),
        }
    }
    match (&mut step.action, with) {
        (StepAction::Uses { with: w, .. }, Some(given)) => *w = given,
        (StepAction::Run(_), Some(_)) => {
            if let Some(e) = entries.iter().find(|e| e.key.as_str() == Some("with")) {
                cx.diags.error(
                    "key",
                    e.key.span,
                    "`with` only applies to steps that `uses` an action; this step has `run`",
                );
            }
        }
        _ => {}
    }
    if let (StepAction::Uses { .. }, Some(sh)) = (&step.action, &step.shell) {
        cx.diags.error(
            "key",
            sh.span,
            "`shell` only applies to `run` steps; this step `uses` an action",
        );
    }
    Some(step)
}

/// Whether the step names exactly one action. Only the first two action keys matter: one
/// is right, a second one is reported (and none at all).
fn single_action(entries: &[Entry], node: &Node, cx: &mut Cx<'_>) -> bool {
    let mut actions = entries
        .iter()
        .filter(|e| e.key.as_str().is_some_and(|k| ACTION_KEYS.contains(&k)));
    match (actions.next(), actions.next()) {
        (None, _) => {
            cx.diags.error(
                "required",
                node.span,
                "a step must have `run` or `uses` (or, for background steps, `wait`, `wait-all`, `cancel` or `parallel`)",
            );
            false
        }
        (Some(_), None) => true,
        (Some(first), Some(second)) => {
            cx.diags.error(
                "key",
                entry_span(second),
                format!(
                    "a step can only do one thing, but it has both `{}` and `{}`",
                    first.key.as_str().unwrap_or_default(),
                    second.key.as_str().unwrap_or_default()
                ),
            );
            false
        }
    }
}

/// A key that sets how the step runs rather than what it does; false for any other key.
fn lower_setting(step: &mut Step, key: &str, v: &Node, cx: &mut Cx<'_>) -> bool {
    match key {
        "id" => step.id = cx.required_string(v, "step `id`"),
        "if" => step.if_ = cx.string(v, "step `if`"),
        "name" => step.name = cx.string(v, "step `name`"),
        "env" => step.env = cx.env(v, "step `env`"),
        "working-directory" => step.working_directory = cx.string(v, "step `working-directory`"),
        "shell" => step.shell = cx.required_string(v, "step `shell`"),
        "continue-on-error" => {
            step.continue_on_error = cx.bool_or_expr(v, "step `continue-on-error`")
        }
        "timeout-minutes" => step.timeout_minutes = cx.num_or_expr(v, "step `timeout-minutes`"),
        "background" => step.background = cx.bool_or_expr(v, "step `background`"),
        _ => return false,
    }
    true
}
