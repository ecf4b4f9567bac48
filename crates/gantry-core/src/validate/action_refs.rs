//! Reports of `uses:` references that [`crate::action_ref`]'s parser refused when the
//! model was lowered: the forms GitHub accepts for steps (`./path`, `$/path`,
//! `owner/repo[/path]@ref`, `docker://image`) and for jobs calling reusable workflows,
//! pointing at the offending part. Existence is not checked here: validation reads one
//! file and nothing else. Also: composite `run` steps name a `shell`.

use super::Source;
use crate::diag::Diagnostics;
use crate::model::{Action, JobKind, RunsKind, Step, StepAction, Uses, Workflow};

fn check_step(step: &Step, composite: bool, src: &Source<'_>, diags: &mut Diagnostics) {
    match &step.action {
        StepAction::Uses { uses, .. } => report(uses, src, diags),
        StepAction::Run(r) if composite && step.shell.is_none() => {
            diags.error("shell", r.span, "a `run` step in a composite action must say which `shell` runs it (GitHub has no default there)");
        }
        StepAction::Parallel(inner) => inner
            .iter()
            .for_each(|s| check_step(s, composite, src, diags)),
        _ => {}
    }
}

/// The stored parse error, located from its offset to the end of the value.
fn report(uses: &Uses, src: &Source<'_>, diags: &mut Diagnostics) {
    if let Err(e) = &uses.parsed {
        let at = &uses.text;
        let v = &at.value;
        let start = e.offset.min(v.len());
        let span = if start < v.len() {
            src.index.locate(src.text, at.span, v, start..v.len())
        } else {
            at.span
        };
        if blank_in_repository(v, e.offset) {
            let m = format!("{}: GitHub accepts the file, but no repository has such a name, so the step fails when it runs", e.message);
            diags.warning("uses", span, m);
        } else {
            diags.error("uses", span, e.message.as_str());
        }
    }
}

/// White space in the `owner/repo` part of a remote reference: GitHub reads the file, and
/// only resolving the action fails.
fn blank_in_repository(v: &str, offset: usize) -> bool {
    let remote = !v.starts_with("docker://") && !v.starts_with("./") && !v.starts_with("$/");
    let at = v.find('@').unwrap_or(v.len());
    remote && offset < at && v[offset..].starts_with(char::is_whitespace)
}

pub fn check_workflow(wf: &Workflow, src: &Source<'_>, diags: &mut Diagnostics) {
    for job in &wf.jobs {
        match &job.kind {
            JobKind::Steps(s) => s
                .steps
                .iter()
                .for_each(|st| check_step(st, false, src, diags)),
            JobKind::Call(c) => report(&c.uses, src, diags),
        }
    }
}

pub fn check_action(a: &Action, src: &Source<'_>, diags: &mut Diagnostics) {
    if let Some(RunsKind::Composite { steps }) = a.runs.as_ref().map(|r| &r.kind) {
        steps.iter().for_each(|st| check_step(st, true, src, diags));
    }
}
