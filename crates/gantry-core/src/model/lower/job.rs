//! Lowering one entry of `jobs:`: a job that runs steps, or one that calls a reusable workflow.

use super::container::{lower_container, lower_services};
use super::step::lower_steps;
use super::strategy::lower_strategy;
use super::workflow::{lower_concurrency, lower_defaults, lower_permissions};
use super::{entry_span, Cx};
use crate::model::spanned::{Spanned, Str, StrMap};
use crate::model::uses::Uses;
use crate::model::workflow::{CallJob, CallSecrets, Environment, Job, JobKind, RunsOn, StepsJob};
use crate::model::Env;
use crate::yaml::node::Span;
use crate::yaml::tree::{Entry, Node, NodeKind};

const STEPS_JOB_KEYS: &[&str] = &[
    "name",
    "needs",
    "permissions",
    "runs-on",
    "environment",
    "outputs",
    "env",
    "defaults",
    "if",
    "steps",
    "timeout-minutes",
    "cancel-timeout-minutes",
    "strategy",
    "continue-on-error",
    "container",
    "services",
    "concurrency",
    "snapshot",
];

const CALL_JOB_KEYS: &[&str] = &[
    "name",
    "needs",
    "permissions",
    "if",
    "uses",
    "with",
    "secrets",
    "strategy",
    "concurrency",
];

pub fn lower_job(entry: &Entry, cx: &mut Cx<'_>) -> Option<Job> {
    let id = cx.key_str(entry)?;
    check_job_id(&id, cx);
    let what = format!("job `{}`", id.value);
    let entries = cx.map(&entry.value, &what)?;
    cx.check_duplicates(entries, &what);
    let is_call = entries.iter().any(|e| e.key.as_str() == Some("uses"));
    let mut job = Job {
        id,
        span: entry_span(entry),
        name: None,
        needs: Vec::new(),
        if_: None,
        permissions: None,
        concurrency: None,
        strategy: None,
        env: Env::default(),
        defaults: None,
        outputs: Default::default(),
        environment: None,
        continue_on_error: None,
        timeout_minutes: None,
        kind: JobKind::Steps(StepsJob::default()),
    };
    let mut steps = StepsJob {
        steps_span: Span::at(entry.value.span.start),
        ..StepsJob::default()
    };
    // A call's `uses:` is parsed once the job is known to be a call, so a job that runs
    // steps costs nothing for it.
    let mut call_uses: Option<Str> = None;
    let (mut call_with, mut call_secrets) = (StrMap::default(), CallSecrets::None);
    let mut saw_steps = false;
    for e in entries {
        let Some(key) = cx.key(e) else { continue };
        let v = &e.value;
        if !allowed_key(e, key, is_call, &what, cx) {
            continue;
        }
        match key {
            "name" => job.name = cx.string(v, "job `name`"),
            "needs" => job.needs = cx.str_list(v, "`needs`").value,
            "if" => job.if_ = cx.string(v, "job `if`"),
            "permissions" => job.permissions = lower_permissions(v, cx),
            "concurrency" => job.concurrency = lower_concurrency(v, cx, "job `concurrency`"),
            "strategy" => job.strategy = lower_strategy(v, cx),
            "env" => job.env = cx.env(v, "job `env`"),
            "defaults" => job.defaults = lower_defaults(v, cx, "job `defaults`"),
            "outputs" => job.outputs = cx.str_map(v, "job `outputs`"),
            "environment" => job.environment = lower_environment(v, cx),
            "continue-on-error" => {
                job.continue_on_error = cx.bool_or_expr(v, "job `continue-on-error`")
            }
            "timeout-minutes" => job.timeout_minutes = cx.num_or_expr(v, "job `timeout-minutes`"),
            // GitHub's grace for a cancelled job's steps; checked, not applied (Gantry's
            // cancellation grace is the service's `shutdown_grace_secs`).
            "cancel-timeout-minutes" => {
                cx.num_or_expr(v, "job `cancel-timeout-minutes`");
            }
            "runs-on" => steps.runs_on = lower_runs_on(v, cx),
            // GitHub takes an empty job `container:` (null or `''`) as no container.
            "container" if is_empty_scalar(v) => {}
            "container" => steps.container = lower_container(v, cx, "job `container`"),
            "services" => steps.services = lower_services(v, cx),
            "snapshot" => steps.snapshot = lower_snapshot(v, cx),
            "steps" => {
                saw_steps = true;
                steps.steps_span = e.key.span;
                steps.steps = lower_steps(v, cx, "job `steps`");
            }
            "uses" => {
                if let Some(u) = cx.required_string(v, "job `uses`") {
                    call_uses = Some(u);
                }
            }
            "with" => call_with = cx.str_map(v, "job `with`"),
            "secrets" => call_secrets = lower_call_secrets(v, cx),
            _ => unreachable!("every allowed key is handled"),
        }
    }
    if is_call {
        // An unreadable `uses:` (already reported) is kept empty at the key, which
        // validation reports as empty too.
        let text = call_uses.unwrap_or_else(|| Spanned::new(String::new(), entry.key.span));
        job.kind = JobKind::Call(CallJob {
            uses: Uses::job(text),
            with: call_with,
            secrets: call_secrets,
        });
    } else {
        check_steps_job(&steps, saw_steps, &job.id, &what, cx);
        job.kind = JobKind::Steps(steps);
    }
    Some(job)
}

/// Whether `key` belongs in this kind of job (a job that calls a reusable workflow takes
/// fewer keys); reports it when not.
fn allowed_key(e: &Entry, key: &str, is_call: bool, what: &str, cx: &mut Cx<'_>) -> bool {
    let allowed = if is_call {
        CALL_JOB_KEYS
    } else {
        STEPS_JOB_KEYS
    };
    if allowed.contains(&key) {
        return true;
    }
    let msg_what = if is_call {
        format!("{what}, which calls a reusable workflow")
    } else {
        what.to_string()
    };
    cx.unknown_key(e, key, &msg_what, allowed);
    false
}

/// A job with steps needs a runner and its steps.
fn check_steps_job(steps: &StepsJob, saw_steps: bool, id: &Str, what: &str, cx: &mut Cx<'_>) {
    if steps.runs_on.is_none() {
        cx.diags.error(
            "required",
            id.span,
            format!("{what} has no `runs-on`; say which runner (or image) it runs on"),
        );
    }
    if !saw_steps {
        cx.diags.error(
            "required",
            id.span,
            format!("{what} has no `steps` (and no `uses` calling a reusable workflow)"),
        );
    }
}

/// GitHub: a job id starts with a letter or `_` and holds only alphanumerics, `-` and `_`.
fn check_job_id(id: &Str, cx: &mut Cx<'_>) {
    let s = id.value.as_str();
    let ok_start = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let ok_rest = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok_start || !ok_rest {
        cx.diags.error(
            "id",
            id.span,
            format!("job id `{s}` must start with a letter or `_` and contain only letters, digits, `-` and `_`"),
        );
    }
}

fn lower_runs_on(node: &Node, cx: &mut Cx<'_>) -> Option<Spanned<RunsOn>> {
    let value = match &node.kind {
        NodeKind::Scalar(_) | NodeKind::Seq(_) => {
            let labels = cx.str_list(node, "`runs-on`");
            if labels.value.is_empty() {
                cx.diags.error(
                    "runs-on",
                    node.span,
                    "`runs-on` must name at least one label",
                );
            }
            RunsOn::Labels(labels.value)
        }
        NodeKind::Map(entries) => {
            let mut group = None;
            let mut labels = Vec::new();
            for e in entries.iter() {
                let Some(key) = cx.key(e) else { continue };
                match key {
                    "group" => group = cx.string(&e.value, "`runs-on.group`"),
                    "labels" => labels = cx.str_list(&e.value, "`runs-on.labels`").value,
                    _ => cx.unknown_key(e, key, "`runs-on`", &["group", "labels"]),
                }
            }
            if group.is_none() && labels.is_empty() {
                cx.diags.error(
                    "runs-on",
                    node.span,
                    "`runs-on` as a mapping needs a `group` or `labels`",
                );
            }
            RunsOn::Group { group, labels }
        }
    };
    Some(Spanned::new(value, node.span))
}

fn lower_environment(node: &Node, cx: &mut Cx<'_>) -> Option<Environment> {
    if let NodeKind::Scalar(_) = node.kind {
        return Some(Environment {
            name: cx.string(node, "`environment`"),
            url: None,
            deployment: None,
            span: node.span,
        });
    }
    let entries = cx.map(node, "`environment`")?;
    let mut env = Environment {
        name: None,
        url: None,
        deployment: None,
        span: node.span,
    };
    for e in entries {
        let Some(key) = cx.key(e) else { continue };
        match key {
            "name" => env.name = cx.string(&e.value, "`environment.name`"),
            "url" => env.url = cx.string(&e.value, "`environment.url`"),
            "deployment" => env.deployment = cx.bool_or_expr(&e.value, "`environment.deployment`"),
            _ => cx.unknown_key(e, key, "`environment`", &["name", "url", "deployment"]),
        }
    }
    // GitHub's schema: `name` is required in `job-environment-mapping` (its key check
    // ignores case and is skipped when a key is an expression).
    let has = |f: &dyn Fn(&str) -> bool| entries.iter().any(|e| e.key.as_str().is_some_and(f));
    if !has(&|k| k.eq_ignore_ascii_case("name")) && !has(&|k| k.contains("${{")) {
        cx.diags.error(
            "required",
            node.span,
            "`environment` needs a `name` when it is a mapping: GitHub refuses the file without one (\"Required property is missing: name\")",
        );
    }
    Some(env)
}

fn lower_call_secrets(node: &Node, cx: &mut Cx<'_>) -> CallSecrets {
    if node.as_str() == Some("inherit") {
        return CallSecrets::Inherit(node.span);
    }
    if let NodeKind::Scalar(_) = node.kind {
        if !node.is_null() {
            cx.diags.error(
                "type",
                node.span,
                "job `secrets` must be `inherit` or a mapping of secret names to values",
            );
            return CallSecrets::None;
        }
    }
    CallSecrets::Map(cx.str_map(node, "job `secrets`"))
}

fn lower_snapshot(node: &Node, cx: &mut Cx<'_>) -> Option<Str> {
    if let NodeKind::Map(entries) = &node.kind {
        for e in entries.iter() {
            let Some(key) = cx.key(e) else { continue };
            match key {
                "image-name" => return cx.string(&e.value, "`snapshot.image-name`"),
                "version" => {}
                _ => cx.unknown_key(e, key, "`snapshot`", &["image-name", "version"]),
            }
        }
        return None;
    }
    cx.string(node, "`snapshot`")
}

/// A null or empty-string scalar.
fn is_empty_scalar(v: &Node) -> bool {
    v.is_null() || matches!(&v.kind, NodeKind::Scalar(s) if s.text.is_empty())
}
