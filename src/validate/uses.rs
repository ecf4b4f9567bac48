//! Checks of `uses:` references: the forms GitHub accepts for steps (`./path`, `$/path`,
//! `owner/repo[/path]@ref`, `docker://image`) and for jobs calling reusable workflows.
//! Existence is not checked here: validation reads one file and nothing else.

use crate::diag::Diagnostics;
use crate::model::{Action, JobKind, RunsKind, Step, StepAction, Str, Workflow};

/// Why a step's `uses:` is malformed, if it is.
pub fn step_uses_problem(u: &str) -> Option<String> {
    if u.contains("${{") {
        return Some(
            "`uses` cannot contain expressions: GitHub resolves actions before the job runs".into(),
        );
    }
    if u.trim() != u || u.contains(char::is_whitespace) {
        return Some(format!("`uses: {u}` contains white space"));
    }
    if let Some(img) = u.strip_prefix("docker://") {
        return (img.is_empty() || img.starts_with(':') || img.starts_with('/'))
            .then(|| format!("`{u}` names no image: expected docker://IMAGE[:TAG]"));
    }
    if u.starts_with("./") || u.starts_with("$/") {
        return None;
    }
    if u == "." || u.starts_with("../") || u.starts_with('/') {
        return Some(format!("`uses: {u}`: a local action is written `./path/to/action`, relative to the repository root"));
    }
    let Some((target, git_ref)) = u.rsplit_once('@') else {
        return Some(format!(
            "`uses: {u}` has no `@ref`: pin the action to a tag, branch or commit, e.g. `{u}@v4`"
        ));
    };
    if git_ref.is_empty() {
        return Some(format!("`uses: {u}` has an empty ref after `@`"));
    }
    let mut parts = target.split('/');
    let (owner, repo) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if owner.is_empty() || repo.is_empty() {
        return Some(format!("`uses: {u}` must be `owner/repo@ref` (or `owner/repo/path@ref`, `./local/path`, `docker://image`)"));
    }
    if parts.any(str::is_empty) {
        return Some(format!("`uses: {u}` has an empty path segment"));
    }
    None
}

/// Why a job's `uses:` (a reusable workflow) is malformed, if it is.
pub fn job_uses_problem(u: &str) -> Option<String> {
    if u.contains("${{") {
        return Some("`uses` cannot contain expressions: GitHub resolves reusable workflows before the run starts".into());
    }
    let (path, remote) = if let Some(local) = u.strip_prefix("./").or_else(|| u.strip_prefix("$/"))
    {
        (local, false)
    } else {
        match u.rsplit_once('@') {
            Some((target, r)) if !r.is_empty() => (target.splitn(3, '/').nth(2).unwrap_or(""), true),
            _ => return Some(format!("`uses: {u}` must be `./.github/workflows/FILE.yml` or `owner/repo/.github/workflows/FILE.yml@ref`")),
        }
    };
    let ok_dir =
        path.starts_with(".github/workflows/") && !path[".github/workflows/".len()..].contains('/');
    let ok_ext = path.ends_with(".yml") || path.ends_with(".yaml");
    if !ok_dir || !ok_ext {
        let what = if remote {
            "a remote reusable workflow"
        } else {
            "a local reusable workflow"
        };
        return Some(format!(
            "`uses: {u}`: {what} must be a `.yml`/`.yaml` file directly in `.github/workflows/`"
        ));
    }
    None
}

fn check_step(step: &Step, composite: bool, diags: &mut Diagnostics) {
    match &step.action {
        StepAction::Uses { uses, .. } => report(uses, step_uses_problem(&uses.value), diags),
        StepAction::Run(r) if composite && step.shell.is_none() => {
            diags.error("shell", r.span, "a `run` step in a composite action must say which `shell` runs it (GitHub has no default there)");
        }
        StepAction::Parallel(inner) => inner.iter().for_each(|s| check_step(s, composite, diags)),
        _ => {}
    }
}

fn report(at: &Str, problem: Option<String>, diags: &mut Diagnostics) {
    if let Some(p) = problem {
        diags.error("uses", at.span, p);
    }
}

pub fn check_workflow(wf: &Workflow, diags: &mut Diagnostics) {
    for job in &wf.jobs {
        match &job.kind {
            JobKind::Steps(s) => s.steps.iter().for_each(|st| check_step(st, false, diags)),
            JobKind::Call(c) => report(&c.uses, job_uses_problem(&c.uses.value), diags),
        }
    }
}

pub fn check_action(a: &Action, diags: &mut Diagnostics) {
    if let Some(RunsKind::Composite { steps }) = a.runs.as_ref().map(|r| &r.kind) {
        steps.iter().for_each(|st| check_step(st, true, diags));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_forms() {
        for ok in [
            "actions/checkout@v4",
            "actions/checkout@8f4b7f84864484a7bf31766abe9204da3cbe65b3",
            "github/codeql-action/init@v3",
            "./.github/actions/setup",
            "./",
            "$/.github/actions/x",
            "docker://alpine:3.20",
            "docker://localhost:5000/img:1",
            "docker://ghcr.io/o/i@sha256:abc",
        ] {
            assert_eq!(step_uses_problem(ok), None, "{ok}");
        }
        for (bad, frag) in [
            ("actions/checkout", "has no `@ref`"),
            ("actions/checkout@", "empty ref"),
            ("checkout@v4", "must be `owner/repo@ref`"),
            ("a//b@v1", "must be `owner/repo@ref`"),
            ("o/r//p@v1", "empty path segment"),
            ("docker://", "names no image"),
            ("${{ matrix.action }}@v1", "cannot contain expressions"),
            ("../up", "a local action is written"),
            ("o/r@v 1", "white space"),
        ] {
            let p = step_uses_problem(bad).unwrap_or_else(|| panic!("{bad} should be rejected"));
            assert!(p.contains(frag), "{bad}: {p}");
        }
    }

    #[test]
    fn job_forms() {
        for ok in [
            "./.github/workflows/build.yml",
            "octo/repo/.github/workflows/ci.yaml@main",
            "$/.github/workflows/build-binaries.yml",
        ] {
            assert_eq!(job_uses_problem(ok), None, "{ok}");
        }
        for (bad, frag) in [
            ("./workflows/build.yml", "directly in `.github/workflows/`"),
            (
                "octo/repo/.github/workflows/ci.yml",
                "must be `./.github/workflows/FILE.yml`",
            ),
            ("octo/repo/.github/workflows/sub/ci.yml@v1", "directly in"),
            ("./.github/workflows/ci.json", "`.yml`/`.yaml`"),
        ] {
            let p = job_uses_problem(bad).unwrap_or_else(|| panic!("{bad} should be rejected"));
            assert!(p.contains(frag), "{bad}: {p}");
        }
    }
}
