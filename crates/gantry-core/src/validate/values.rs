//! Values of the right type that GitHub's workflow converter still refuses when it reads
//! the file (`WorkflowTemplateConverter` in actions/runner's `src/Sdk/WorkflowParser`):
//! runner group names with a `/` other than an `org/`-style prefix, container images that
//! are empty (after `docker://`) where GitHub requires one, and `${{ }}` in the workflow's
//! `name`, a place with no contexts. Values holding expressions are only known at run time
//! and are left alone, as GitHub leaves them.

use crate::diag::Diagnostics;
use crate::model::{Container, Env, JobKind, RunsOn, Workflow};

/// The prefixes `ConvertToRunsOn` accepts before a `/` in a group name.
const GROUP_PREFIXES: &[&str] = &["org", "organization", "ent", "enterprise"];

pub fn check_workflow(wf: &Workflow, diags: &mut Diagnostics) {
    check_name(wf, diags);
    for job in &wf.jobs {
        let JobKind::Steps(sj) = &job.kind else {
            continue;
        };
        if let Some(RunsOn::Group {
            group: Some(group), ..
        }) = sj.runs_on.as_ref().map(|r| &r.value)
        {
            if let Some(msg) = group_problem(&group.value) {
                diags.error("runs-on", group.span, msg);
            }
        }
        if let Some(c) = &sj.container {
            check_image(c, None, diags);
        }
        for (id, c) in &sj.services {
            check_image(c, Some(&id.value), diags);
        }
    }
}

/// `ConvertToRunsOn`: a group name may hold one `/`, after `org`, `organization`, `ent`
/// or `enterprise` (compared with case), with a name after it.
fn group_problem(group: &str) -> Option<String> {
    if group.contains("${{") {
        return None;
    }
    let parts: Vec<&str> = group.split('/').collect();
    match parts.as_slice() {
        [_] => None,
        [prefix, ""] => Some(format!(
            "runner group `{group}` names no group after `{prefix}/`; GitHub refuses it (\"Invalid runs-on group name\")"
        )),
        [prefix, _] if GROUP_PREFIXES.contains(prefix) => None,
        [_, _] => Some(format!(
            "runner group `{group}`: only `org/`, `organization/`, `ent/` or `enterprise/` may come before a `/` in a group name (GitHub: \"Please use 'organization/' or 'enterprise/' prefix to target a single runner group\")"
        )),
        _ => Some(format!(
            "runner group `{group}` may hold at most one `/`, after `org/`, `organization/`, `ent/` or `enterprise/`; GitHub refuses it (\"Invalid runs-on group name\")"
        )),
    }
}

/// `ConvertToJobContainer`: an image empty after `docker://` is refused; for a service
/// (`service` names it) an empty image too, while a job's `container: {image: ''}` only
/// means no container.
fn check_image(c: &Container, service: Option<&str>, diags: &mut Diagnostics) {
    let Some(image) = &c.image else {
        return;
    };
    let prefixed = image.value.starts_with("docker://");
    let rest = image
        .value
        .strip_prefix("docker://")
        .unwrap_or(&image.value);
    if !rest.is_empty() || !(prefixed || service.is_some()) || has_expression(c) {
        return;
    }
    let what = match service {
        Some(id) => format!("service `{id}`"),
        None => "the job's container".to_string(),
    };
    let after = if prefixed { " after `docker://`" } else { "" };
    diags.error(
        "required",
        image.span,
        format!("{what}: container image cannot be empty; name an image such as `postgres:16` (GitHub refuses an empty one{after})"),
    );
}

/// GitHub skips this early check when any value of the container is an expression.
fn has_expression(c: &Container) -> bool {
    let env_expr = match &c.env {
        Env::Map(m) => m.iter().any(|(k, v)| k.has_expr() || v.has_expr()),
        Env::Expr(_) => true,
    };
    let creds = c.credentials.iter().flat_map(|(u, p)| [u, p]).flatten();
    env_expr
        || c.image
            .iter()
            .chain(&c.options)
            .chain(creds)
            .any(|s| s.has_expr())
        || c.ports.iter().chain(&c.volumes).any(|s| s.has_expr())
}

/// `workflow-name` in GitHub's schema has no contexts: any `${{ }}` there is refused,
/// except one lone string literal (`${{ 'CI' }}`), which the reader turns into its text.
fn check_name(wf: &Workflow, diags: &mut Diagnostics) {
    let Some(name) = &wf.name else { return };
    if !name.has_expr() || lone_string_literal(&name.value) {
        return;
    }
    diags.error(
        "expression",
        name.span,
        "the workflow's `name` cannot hold `${{ }}`: GitHub gives it no contexts and refuses the file; use `run-name`, which may use `github`, `inputs` and `vars`",
    );
}

/// `${{ '…' }}` and nothing else (`TemplateReader.IsExpressionString`).
fn lone_string_literal(s: &str) -> bool {
    let Some(inner) = s.strip_prefix("${{").and_then(|r| r.strip_suffix("}}")) else {
        return false;
    };
    let inner = inner.trim();
    let b = inner.as_bytes();
    if b.len() < 2 || b[0] != b'\'' || b[b.len() - 1] != b'\'' {
        return false;
    }
    // Between the outer quotes every quote is doubled: the literal ends only at the end.
    let body = &inner[1..inner.len() - 1];
    body.split("''").all(|piece| !piece.contains('\''))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_literals() {
        assert!(lone_string_literal("${{ 'CI' }}"));
        assert!(lone_string_literal("${{'it''s'}}"));
        assert!(!lone_string_literal("${{ 'a' }}${{ 'b' }}"));
        assert!(!lone_string_literal("${{ 'a' }} b"));
        assert!(!lone_string_literal("${{ 1 }}"));
        assert!(!lone_string_literal("${{ '' }}x"));
    }

    #[test]
    fn group_names() {
        assert!(group_problem("g").is_none());
        assert!(group_problem("enterprise/g").is_none());
        assert!(group_problem("/g").is_some());
        assert!(group_problem("org/").is_some());
        assert!(group_problem("org/a/b").is_some());
    }
}
