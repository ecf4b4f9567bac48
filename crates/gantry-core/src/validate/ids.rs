//! Checks of step ids: well formed, unique within their job, not GitHub's reserved prefix.

use crate::diag::Diagnostics;
use crate::model::{Action, JobKind, RunsKind, Step, StepAction, Workflow};
use std::collections::HashMap;

pub fn check_workflow(wf: &Workflow, diags: &mut Diagnostics) {
    for job in &wf.jobs {
        if let JobKind::Steps(s) = &job.kind {
            check_steps(&s.steps, diags);
        }
    }
}

pub fn check_action(action: &Action, diags: &mut Diagnostics) {
    if let Some(runs) = &action.runs {
        if let RunsKind::Composite { steps } = &runs.kind {
            check_steps(steps, diags);
        }
    }
}

/// Every step of a job, `parallel:` groups flattened, in file order.
pub fn flatten(steps: &[Step]) -> Vec<&Step> {
    let mut out = Vec::with_capacity(steps.len());
    fn walk<'a>(steps: &'a [Step], out: &mut Vec<&'a Step>) {
        for s in steps {
            out.push(s);
            if let StepAction::Parallel(inner) = &s.action {
                walk(inner, out);
            }
        }
    }
    walk(steps, &mut out);
    out
}

fn check_steps(steps: &[Step], diags: &mut Diagnostics) {
    let mut seen: HashMap<String, (u32, u32)> = HashMap::new();
    for step in flatten(steps) {
        let Some(id) = &step.id else { continue };
        let s = id.value.as_str();
        if crate::expr::find_open(s).is_some() {
            continue;
        }
        let ok = s
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            diags.error(
                "id",
                id.span,
                format!("step id `{s}` must start with a letter or `_` and contain only letters, digits, `-` and `_`"),
            );
        }
        if s.len() > 2 && s[..2].eq_ignore_ascii_case("__") {
            diags.warning(
                "id",
                id.span,
                format!("step id `{s}` starts with `__`, which GitHub reserves"),
            );
        }
        let key = s.to_ascii_lowercase();
        if let Some((line, col)) = seen.get(&key) {
            diags.error(
                "id",
                id.span,
                format!("step id `{s}` is already used by a step at line {line}, column {col} of this job"),
            );
        } else {
            seen.insert(key, (id.span.start.line, id.span.start.col));
        }
    }
}
