//! Checks of ids. Step ids: well formed, unique within their job, not GitHub's reserved
//! prefix. Job ids (whose form lowering checks): unique ignoring case, not `__`-prefixed,
//! under 100 characters.

use crate::diag::Diagnostics;
use crate::model::{Action, Job, JobKind, RunsKind, Step, StepAction, Workflow};
use std::collections::HashMap;

/// GitHub's `WorkflowConstants.MaxNodeNameLength`: an id must be shorter.
const MAX_ID_LENGTH: usize = 100;

pub fn check_workflow(wf: &Workflow, diags: &mut Diagnostics) {
    check_job_ids(&wf.jobs, diags);
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

/// GitHub reads `jobs:` keys ignoring case (`TemplateReader`: "'MY-JOB' is already
/// defined"), and `IdBuilder.TryAddKnownId` refuses ids starting with `__` or of 100
/// characters and more. Ids of the wrong form are reported by lowering, and the same key
/// twice as a duplicate key: GitHub reports those once too.
fn check_job_ids(jobs: &[Job], diags: &mut Diagnostics) {
    for (i, job) in jobs.iter().enumerate() {
        let (s, span) = (job.id.value.as_str(), job.id.span);
        let well_formed = s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if well_formed && s.starts_with("__") {
            diags.error(
                "id",
                span,
                format!("job id `{s}` starts with `__`, which GitHub reserves for ids it makes"),
            );
        }
        if well_formed && s.len() >= MAX_ID_LENGTH {
            diags.error(
                "id",
                span,
                format!(
                    "job id `{s}` is {} characters long; GitHub takes at most {}",
                    s.len(),
                    MAX_ID_LENGTH - 1
                ),
            );
        }
        // The first job whose id is the same but for case (one with the very same id is a
        // duplicate key, reported as such).
        let first = jobs[..i]
            .iter()
            .find(|j| j.id.value.eq_ignore_ascii_case(s) && j.id.value != s);
        let already = |j: &&Job| j.id.value == s;
        if let Some(first) = first.filter(|_| !jobs[..i].iter().any(|j| already(&j))) {
            let at = first.id.span.start;
            diags.error(
                "id",
                span,
                format!("job id `{s}` is already used by job `{}` at line {}, column {}: GitHub compares job ids ignoring case", first.id.value, at.line, at.col),
            );
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
        // GitHub's `IdBuilder.TryAddKnownId` refuses it for steps as for jobs.
        if s.len() > 2 && s[..2].eq_ignore_ascii_case("__") {
            diags.error(
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
