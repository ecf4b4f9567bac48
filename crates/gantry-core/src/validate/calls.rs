//! Checks across a workflow and the local reusable workflows it calls
//! (`uses: ./.github/workflows/x.yml`): the caller's `with:` against the inputs the called
//! file declares (undeclared, required but missing, a literal of the wrong type), its
//! `secrets:` against the declared secrets, and the permissions the called jobs ask for
//! against those the caller grants. Calls inside the called file are followed too (nested),
//! and what they break is reported at the top caller's `uses:`. GitHub refuses a run whose
//! call breaks any of these, so they are errors. Reading files is the caller's: this module
//! gets a function from a workspace path to its text.

use super::check_text;
use super::FileKind;
use crate::action_ref::{ActionRef, LocalRoot};
use crate::diag::Diagnostics;
use crate::model::{
    CallJob, CallSecrets, Input, Job, JobKind, Permissions, TriggerConfig, Workflow, WorkflowCall,
};
use crate::yaml::node::Span;

/// Nested calls GitHub follows (a caller and up to nine levels of called workflows).
const MAX_DEPTH: usize = 10;

/// Reads a file of the workspace by its path there (`.github/workflows/b.yml`).
pub type ReadFile<'f> = &'f dyn Fn(&str) -> Option<String>;

/// Where a call's problems are reported: at its own `with:`/`secrets:` keys, or — for a
/// call inside a called file — at the top caller's `uses:`, with the chain of files.
struct At<'a> {
    /// Whether a file `read` does not have is missing from the workspace (else: the
    /// workspace is not known, and such a call is not checked).
    complete: bool,
    top: Option<Span>,
    chain: String,
    diags: &'a mut Diagnostics,
}

impl At<'_> {
    fn error(&mut self, span: Span, message: String) {
        let (span, message) = match self.top {
            Some(top) => (top, format!("in {}: {message}", self.chain)),
            None => (span, message),
        };
        self.diags.error("call", span, message);
    }
}

/// Checks every local call of `wf` (see the module text). `complete`: `read` sees the whole
/// workspace, so a file it does not have is missing.
pub fn check_calls(wf: &Workflow, read: ReadFile<'_>, complete: bool, diags: &mut Diagnostics) {
    let mut at = At {
        complete,
        top: None,
        chain: String::new(),
        diags,
    };
    calls_of(wf, grant_of(wf, None), read, &mut at, &mut Vec::new());
}

/// The permissions a job gets: its own, else its workflow's, else what it inherits.
fn grant_of<'w>(wf: &'w Workflow, inherited: Option<&'w Permissions>) -> Option<&'w Permissions> {
    wf.permissions.as_ref().map(|p| &p.value).or(inherited)
}

fn calls_of(
    wf: &Workflow,
    grant: Option<&Permissions>,
    read: ReadFile<'_>,
    at: &mut At<'_>,
    seen: &mut Vec<String>,
) {
    for job in &wf.jobs {
        let JobKind::Call(call) = &job.kind else {
            continue;
        };
        let Ok(ActionRef::Local { path, root }) = &call.uses.parsed else {
            continue;
        };
        if !matches!(root, LocalRoot::Workspace | LocalRoot::SelfRepo) {
            continue;
        }
        let job_grant = job.permissions.as_ref().map(|p| &p.value).or(grant);
        check_call(job, call, path, job_grant, read, at, seen);
    }
}

fn check_call(
    job: &Job,
    call: &CallJob,
    path: &str,
    grant: Option<&Permissions>,
    read: ReadFile<'_>,
    at: &mut At<'_>,
    seen: &mut Vec<String>,
) {
    let uses = call.uses.text.span;
    let Some(text) = read(path) else {
        if at.complete {
            at.error(uses, format!("`./{path}` is not in the workspace"));
        }
        return;
    };
    let Some(callee) = check_text(&text, FileKind::Workflow).workflow else {
        return at.error(
            uses,
            format!("`./{path}` cannot be read as a workflow (see `gantry validate ./{path}`)"),
        );
    };
    let Some(decl) = workflow_call(&callee) else {
        return at.error(
            uses,
            format!("`./{path}` is not a reusable workflow: its `on` has no `workflow_call`"),
        );
    };
    check_inputs(call, decl, path, at);
    check_secrets(call, decl, path, at);
    check_permissions(job, &callee, grant, path, at);
    if seen.len() + 1 >= MAX_DEPTH || seen.iter().any(|s| s == path) {
        if seen.iter().any(|s| s == path) {
            at.error(
                uses,
                format!("`./{path}` calls itself through {}", seen.join(" → ")),
            );
        }
        return;
    }
    seen.push(path.to_string());
    let mut nested = At {
        complete: at.complete,
        top: Some(at.top.unwrap_or(uses)),
        chain: format!("./{}", seen.join(" → ./")),
        diags: at.diags,
    };
    calls_of(&callee, grant_of(&callee, grant), read, &mut nested, seen);
    seen.pop();
}

fn workflow_call(wf: &Workflow) -> Option<&WorkflowCall> {
    wf.on
        .as_ref()?
        .value
        .events
        .iter()
        .find_map(|t| match &t.config {
            TriggerConfig::Call(c) => Some(c),
            _ => None,
        })
}

/// `file:line:column` of a declaration in the called file.
fn declared(path: &str, span: Span) -> String {
    format!(
        "declared at ./{path}:{}:{}",
        span.start.line, span.start.col
    )
}

fn check_inputs(call: &CallJob, decl: &WorkflowCall, path: &str, at: &mut At<'_>) {
    let names: Vec<&str> = decl
        .inputs
        .inputs
        .iter()
        .map(|i| i.name.value.as_str())
        .collect();
    for (k, v) in &call.with.entries {
        match decl.inputs.get(&k.value) {
            None => at.error(
                k.span,
                format!(
                    "input `{}` is not declared by `./{path}` (inputs: {})",
                    k.value,
                    names.join(", ")
                ),
            ),
            Some(input) => {
                if let Some(want) = literal_mismatch(input, &v.value) {
                    at.error(
                        v.span,
                        format!(
                            "input `{}` is a {want} ({}), not `{}`",
                            k.value,
                            declared(path, input.name.span),
                            v.value
                        ),
                    );
                }
            }
        }
    }
    for input in &decl.inputs.inputs {
        let given = call
            .with
            .entries
            .iter()
            .any(|(k, _)| k.value.eq_ignore_ascii_case(&input.name.value));
        if !given && required(input) && input.default.is_none() {
            let m = format!(
                "input `{}` is required by `./{path}` and has no default ({}); pass it in `with:`",
                input.name.value,
                declared(path, input.name.span)
            );
            at.error(call.uses.text.span, m);
        }
    }
}

fn required(input: &Input) -> bool {
    matches!(
        input.required.as_ref().map(|r| &r.value),
        Some(crate::model::BoolOrExpr::Bool(true))
    )
}

/// The declared type a literal value does not fit (`boolean`, `number`); expressions are
/// decided at run time.
fn literal_mismatch(input: &Input, value: &str) -> Option<&'static str> {
    if value.contains("${{") {
        return None;
    }
    match input.kind.as_ref().map(|k| k.value.as_str()) {
        Some("boolean") if value != "true" && value != "false" => Some("boolean"),
        Some("number") if value.trim().parse::<f64>().is_err() => Some("number"),
        _ => None,
    }
}

fn check_secrets(call: &CallJob, decl: &WorkflowCall, path: &str, at: &mut At<'_>) {
    let names: Vec<&str> = decl.secrets.iter().map(|s| s.name.value.as_str()).collect();
    let given = match &call.secrets {
        CallSecrets::Inherit(_) => return,
        CallSecrets::None => Vec::new(),
        CallSecrets::Map(m) => m.entries.iter().map(|(k, _)| k).collect(),
    };
    for k in &given {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&k.value)) {
            at.error(
                k.span,
                format!(
                    "secret `{}` is not declared by `./{path}` (secrets: {})",
                    k.value,
                    names.join(", ")
                ),
            );
        }
    }
    for s in &decl.secrets {
        let required = s.required.as_ref().is_some_and(|r| r.value);
        if required
            && !given
                .iter()
                .any(|k| k.value.eq_ignore_ascii_case(&s.name.value))
        {
            let m = format!("secret `{}` is required by `./{path}` ({}); pass it in `secrets:` or use `secrets: inherit`", s.name.value, declared(path, s.name.span));
            at.error(call.uses.text.span, m);
        }
    }
}

/// None < read < write, for a scope under `p`.
fn level(p: &Permissions, scope: &str) -> u8 {
    let of = |l: &str| match l {
        "write" => 2,
        "read" => 1,
        _ => 0,
    };
    match p {
        Permissions::ReadAll => 1,
        Permissions::WriteAll => 2,
        Permissions::Scopes(s) => s
            .iter()
            .find(|(k, _)| k.value == scope)
            .map_or(0, |(_, l)| of(&l.value)),
    }
}

const LEVELS: [&str; 3] = ["none", "read", "write"];

/// Each called job asks for no more than the caller grants (GitHub: permissions can only be
/// kept or reduced down a chain of calls). Unknown when the caller sets none: the
/// repository's default decides, which a file does not say.
fn check_permissions(
    job: &Job,
    callee: &Workflow,
    grant: Option<&Permissions>,
    path: &str,
    at: &mut At<'_>,
) {
    let Some(grant) = grant else { return };
    for j in &callee.jobs {
        let Some(ask) = j.permissions.as_ref().or(callee.permissions.as_ref()) else {
            continue;
        };
        for scope in crate::model::PERMISSION_SCOPES {
            let (want, have) = (level(&ask.value, scope), level(grant, scope));
            if want > have {
                let m = format!("job `{}` of `./{path}` asks for `{scope}: {}`, but job `{}` grants `{scope}: {}`", j.id.value, LEVELS[want as usize], job.id.value, LEVELS[have as usize]);
                at.error(job.permissions.as_ref().map_or(job.id.span, |p| p.span), m);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLEE: &str = "on:
  workflow_call:
    inputs:
      env: {type: string, required: true}
      dry: {type: boolean, default: false}
      n: {type: number}
    secrets:
      token: {required: true}
      extra: {}
permissions:
  contents: read
jobs:
  deploy:
    runs-on: x
    permissions:
      contents: write
    steps: [{run: a}]
";

    const NESTED: &str = "on:
  workflow_call:
    inputs:
      level: {type: number, required: true}
jobs:
  inner:
    uses: ./.github/workflows/leaf.yml
    with:
      nope: 1
";

    const LEAF: &str = "on: {workflow_call: {}}
jobs:
  leaf:
    runs-on: x
    steps: [{run: a}]
";

    /// The `call` diagnostics of `caller`, as `line:col message`.
    fn check(caller: &str) -> Vec<String> {
        let read = |p: &str| match p {
            ".github/workflows/callee.yml" => Some(CALLEE.to_string()),
            ".github/workflows/nested.yml" => Some(NESTED.to_string()),
            ".github/workflows/leaf.yml" => Some(LEAF.to_string()),
            ".github/workflows/push.yml" => {
                Some("on: push\njobs: {a: {runs-on: x, steps: [{run: a}]}}\n".into())
            }
            _ => None,
        };
        let wf = check_text(caller, FileKind::Workflow)
            .workflow
            .expect("the caller lowers");
        let mut diags = Diagnostics::new();
        check_calls(&wf, &read, true, &mut diags);
        diags
            .into_sorted()
            .iter()
            .map(|d| format!("{}:{} {}", d.span.start.line, d.span.start.col, d.message))
            .collect()
    }

    fn caller(with: &str, secrets: &str, permissions: &str) -> String {
        format!("on: push\njobs:\n  call:\n    uses: ./.github/workflows/callee.yml\n{permissions}{with}{secrets}")
    }

    #[test]
    fn a_call_that_keeps_the_contract_is_clean() {
        let ok = caller(
            "    with: {env: prod, dry: true, n: '${{ github.run_number }}'}\n",
            "    secrets: {token: x}\n",
            "    permissions: {contents: write}\n",
        );
        assert_eq!(check(&ok), Vec::<String>::new());
        let inherit = caller("    with: {env: prod}\n", "    secrets: inherit\n", "");
        assert_eq!(check(&inherit), Vec::<String>::new());
    }

    #[test]
    fn broken_contracts_are_errors_at_the_caller() {
        // GitHub refuses each of these calls (reusing-workflows: inputs, secrets, permissions).
        let cases: &[(&str, String, &str)] = &[
            ("missing required input", caller("", "    secrets: {token: x}\n", ""), "4:11 input `env` is required by `./.github/workflows/callee.yml` and has no default (declared at ./.github/workflows/callee.yml:4:7)"),
            ("undefined input", caller("    with: {env: a, stage: b}\n", "    secrets: {token: x}\n", ""), "5:20 input `stage` is not declared by `./.github/workflows/callee.yml` (inputs: env, dry, n)"),
            ("type mismatch", caller("    with: {env: a, dry: maybe, n: ten}\n", "    secrets: {token: x}\n", ""), "5:25 input `dry` is a boolean (declared at ./.github/workflows/callee.yml:5:7), not `maybe`"),
            ("undefined secret", caller("    with: {env: a}\n", "    secrets: {token: x, other: y}\n", ""), "6:25 secret `other` is not declared by `./.github/workflows/callee.yml` (secrets: token, extra)"),
            ("missing required secret", caller("    with: {env: a}\n", "", ""), "4:11 secret `token` is required by `./.github/workflows/callee.yml`"),
            ("permission escalation", caller("    with: {env: a}\n", "    secrets: {token: x}\n", "    permissions: {contents: read}\n"), "5:18 job `deploy` of `./.github/workflows/callee.yml` asks for `contents: write`, but job `call` grants `contents: read`"),
            ("nested call", "on: push\njobs:\n  call:\n    uses: ./.github/workflows/nested.yml\n    with: {level: 1}\n".into(), "4:11 in ./.github/workflows/nested.yml: input `nope` is not declared by `./.github/workflows/leaf.yml` (inputs: )"),
            ("missing file", "on: push\njobs:\n  call:\n    uses: ./.github/workflows/gone.yml\n".into(), "4:11 `./.github/workflows/gone.yml` is not in the workspace"),
            ("not reusable", "on: push\njobs:\n  call:\n    uses: ./.github/workflows/push.yml\n".into(), "4:11 `./.github/workflows/push.yml` is not a reusable workflow"),
        ];
        for (name, src, want) in cases {
            let got = check(src);
            assert!(
                got.iter().any(|g| g.starts_with(want)),
                "{name}: want {want:?} in {got:#?}"
            );
        }
    }
}
