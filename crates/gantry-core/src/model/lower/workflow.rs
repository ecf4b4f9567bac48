//! Lowering the top level of a workflow file, and the pieces shared with jobs
//! (`permissions`, `concurrency`, `defaults`).

use super::job::lower_job;
use super::trigger::lower_on;
use super::Cx;
use crate::model::spanned::Spanned;
use crate::model::workflow::{Concurrency, Defaults, Permissions, Workflow};
use crate::model::Env;
use crate::yaml::node::Span;
use crate::yaml::tree::{Node, NodeKind};

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "run-name",
    "on",
    "permissions",
    "env",
    "defaults",
    "concurrency",
    "jobs",
];

pub fn lower_workflow(root: &Node, cx: &mut Cx<'_>) -> Workflow {
    let mut wf = Workflow {
        name: None,
        run_name: None,
        on: None,
        permissions: None,
        env: Env::default(),
        defaults: None,
        concurrency: None,
        jobs: Vec::new(),
        jobs_span: Span::at(root.span.start),
    };
    let Some(entries) = cx.map(root, "a workflow") else {
        return wf;
    };
    cx.check_duplicates(entries, "the workflow");
    let mut saw_jobs = false;
    for e in entries {
        let Some(key) = cx.key(e) else { continue };
        let v = &e.value;
        match key {
            "name" => wf.name = cx.string(v, "`name`"),
            "run-name" => wf.run_name = cx.string(v, "`run-name`"),
            // YAML 1.1 parsers read a bare `on` as `true`; GitHub and Gantry read it as "on".
            "on" | "true" => wf.on = lower_on(v, cx),
            "permissions" => wf.permissions = lower_permissions(v, cx),
            "env" => wf.env = cx.env(v, "workflow `env`"),
            "defaults" => wf.defaults = lower_defaults(v, cx, "workflow `defaults`"),
            "concurrency" => wf.concurrency = lower_concurrency(v, cx, "workflow `concurrency`"),
            "jobs" => {
                saw_jobs = true;
                wf.jobs_span = e.key.span;
                if let Some(jobs) = cx.map(v, "`jobs`") {
                    cx.check_duplicates(jobs, "`jobs`");
                    wf.jobs.reserve(jobs.len());
                    for j in jobs {
                        if let Some(job) = lower_job(j, cx) {
                            wf.jobs.push(job);
                        }
                    }
                    if jobs.is_empty() {
                        cx.diags
                            .error("required", v.span, "`jobs` must define at least one job");
                    }
                }
            }
            // GitHub's workflow schema (workflow-v1.0.json, `workflow-description`) has a
            // top-level `description`; nothing uses it.
            "description" => {
                cx.string(v, "`description`");
            }
            _ => cx.unknown_key(e, key, "the workflow", TOP_KEYS),
        }
    }
    let top = Span::at(root.span.start);
    if wf.on.is_none() {
        cx.diags.error(
            "required",
            top,
            "the workflow has no `on:` section saying which events run it",
        );
    }
    if !saw_jobs {
        cx.diags
            .error("required", top, "the workflow has no `jobs:` section");
    }
    wf
}

/// The `permissions` scopes GitHub knows.
pub const SCOPES: &[&str] = &[
    "actions",
    "artifact-metadata",
    "attestations",
    "checks",
    "code-quality",
    "contents",
    "copilot-requests",
    "deployments",
    "discussions",
    "id-token",
    "issues",
    "models",
    "packages",
    "pages",
    "pull-requests",
    "repository-projects",
    "security-events",
    "statuses",
    "vulnerability-alerts",
];

pub fn lower_permissions(node: &Node, cx: &mut Cx<'_>) -> Option<Spanned<Permissions>> {
    let value = match &node.kind {
        NodeKind::Scalar(s) => match s.text {
            "read-all" => Permissions::ReadAll,
            "write-all" => Permissions::WriteAll,
            other => {
                cx.diags.error(
                    "permissions",
                    node.span,
                    format!("`permissions` must be `read-all`, `write-all` or a mapping of scopes, not `{other}`"),
                );
                return None;
            }
        },
        _ => {
            let entries = cx.map(node, "`permissions`")?;
            cx.check_duplicates(entries, "`permissions`");
            let mut scopes = Vec::new();
            for e in entries {
                let Some(k) = cx.key_str(e) else { continue };
                if !SCOPES.contains(&k.value.as_str()) {
                    cx.unknown_key(e, &k.value.clone(), "`permissions`", SCOPES);
                    continue;
                }
                let Some(level) = cx.string(&e.value, "a permission level") else {
                    continue;
                };
                // GitHub's workflow schema (`permission-level-*`): most scopes take any level;
                // these take one level or `none`.
                let allowed: &[&str] = match k.value.as_str() {
                    "id-token" | "copilot-requests" => &["write", "none"],
                    "models" | "vulnerability-alerts" => &["read", "none"],
                    _ => &["read", "write", "none"],
                };
                if !allowed.contains(&level.value.as_str()) {
                    let levels = match allowed {
                        [a, b] => format!("`{a}` or `{b}`"),
                        _ => "`read`, `write` or `none`".to_string(),
                    };
                    cx.diags.error(
                        "permissions",
                        level.span,
                        format!(
                            "permission `{}` must be {}, not `{}`",
                            k.value, levels, level.value
                        ),
                    );
                }
                scopes.push((k, level));
            }
            Permissions::Scopes(scopes)
        }
    };
    Some(Spanned::new(value, node.span))
}

pub fn lower_defaults(node: &Node, cx: &mut Cx<'_>, what: &str) -> Option<Defaults> {
    let entries = cx.map(node, what)?;
    let mut d = Defaults::default();
    for e in entries {
        let Some(key) = cx.key(e) else { continue };
        if key != "run" {
            cx.unknown_key(e, key, what, &["run"]);
            continue;
        }
        let Some(run) = cx.map(&e.value, "`defaults.run`") else {
            continue;
        };
        cx.check_duplicates(run, "`defaults.run`");
        for r in run {
            let Some(k) = cx.key(r) else { continue };
            match k {
                "shell" => d.shell = cx.string(&r.value, "`defaults.run.shell`"),
                "working-directory" => {
                    d.working_directory = cx.string(&r.value, "`defaults.run.working-directory`")
                }
                _ => cx.unknown_key(r, k, "`defaults.run`", &["shell", "working-directory"]),
            }
        }
    }
    Some(d)
}

pub fn lower_concurrency(node: &Node, cx: &mut Cx<'_>, what: &str) -> Option<Spanned<Concurrency>> {
    if let NodeKind::Scalar(_) = node.kind {
        let group = cx.required_string(node, what)?;
        let c = Concurrency {
            group: Some(group),
            cancel_in_progress: None,
            queue: None,
        };
        return Some(Spanned::new(c, node.span));
    }
    let entries = cx.map(node, what)?;
    cx.check_duplicates(entries, what);
    let mut c = Concurrency {
        group: None,
        cancel_in_progress: None,
        queue: None,
    };
    for e in entries {
        let Some(key) = cx.key(e) else { continue };
        match key {
            "group" => c.group = cx.required_string(&e.value, "`concurrency.group`"),
            "cancel-in-progress" => {
                c.cancel_in_progress = cx.bool_or_expr(&e.value, "`concurrency.cancel-in-progress`")
            }
            "queue" => c.queue = cx.string(&e.value, "`concurrency.queue`"),
            _ => cx.unknown_key(e, key, what, &["group", "cancel-in-progress", "queue"]),
        }
    }
    if c.group.is_none() {
        cx.diags
            .error("required", node.span, format!("{what} needs a `group`"));
    }
    Some(Spanned::new(c, node.span))
}
