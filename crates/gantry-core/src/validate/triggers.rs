//! Checks of `on:` beyond its shape: every glob parses (pointing at the bad character),
//! every cron parses, schedules are not more frequent than GitHub runs them, and
//! `workflow_dispatch`/`workflow_call` inputs are typed consistently.

use super::Source;
use crate::cron::Cron;
use crate::diag::Diagnostics;
use crate::filter::Glob;
use crate::model::{Filters, Input, Inputs, Str, TriggerConfig, Workflow};
use crate::yaml::node::{NodeKind, Resolved};

pub fn check(wf: &Workflow, src: &Source<'_>, diags: &mut Diagnostics) {
    let Some(on) = &wf.on else { return };
    for t in &on.value.events {
        match &t.config {
            TriggerConfig::Filters(f) => check_filters(f, src, diags),
            TriggerConfig::Schedule(s) => {
                for entry in s {
                    check_cron(&entry.cron, src, diags);
                }
            }
            TriggerConfig::Dispatch(inputs) => check_inputs(inputs, true, diags),
            TriggerConfig::Call(call) => check_inputs(&call.inputs, false, diags),
            TriggerConfig::Kafka(k) => {
                for t in &k.topics {
                    check_glob(t, false, src, diags);
                    if !t.value.contains(['*', '?', '+', '[']) && !valid_topic(&t.value) {
                        diags.error("event", t.span, format!("`{}` is not a valid Kafka topic name: use 1-249 of the characters a-z A-Z 0-9 . _ -", t.value));
                    }
                }
                if let Some(key) = &k.key {
                    check_glob(key, false, src, diags);
                }
                for (name, glob) in &k.headers {
                    if name.value.is_empty() {
                        diags.error("event", name.span, "a Kafka header name must not be empty");
                    }
                    check_glob(glob, false, src, diags);
                }
            }
            TriggerConfig::Webhook(w) => {
                for n in &w.names {
                    if !n
                        .value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                        || n.value.is_empty()
                    {
                        diags.error("event", n.span, format!("webhook name `{}` must use only letters, digits, `-`, `_` and `.` (it is the last part of the URL /hooks/{{name}})", n.value));
                    }
                }
            }
            TriggerConfig::Any => {}
        }
    }
}

fn valid_topic(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 249
        && t != "."
        && t != ".."
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

fn check_filters(f: &Filters, src: &Source<'_>, diags: &mut Diagnostics) {
    // `!` re-includes in `-ignore` lists too: the last matching pattern decides everywhere.
    for (list, negatable) in [
        (&f.branches, true),
        (&f.tags, true),
        (&f.paths, true),
        (&f.branches_ignore, true),
        (&f.tags_ignore, true),
        (&f.paths_ignore, true),
        (&f.workflows, false),
    ] {
        let Some(list) = list else { continue };
        for p in &list.value {
            check_glob(p, negatable, src, diags);
        }
        let include_list = [&f.branches, &f.tags, &f.paths]
            .iter()
            .any(|l| l.as_ref().is_some_and(|l| std::ptr::eq(l, list)));
        if include_list
            && !list.value.is_empty()
            && list.value.iter().all(|p| p.value.starts_with('!'))
        {
            diags.warning(
                "glob",
                list.span,
                "every pattern here is negated (`!…`), so nothing ever matches this filter; to mean \"everything except\", put `'**'` first",
            );
        }
    }
}

/// Parses one pattern; a leading `!` is allowed only where GitHub allows negation.
fn check_glob(p: &Str, negatable: bool, src: &Source<'_>, diags: &mut Diagnostics) {
    let mut body = p.value.as_str();
    let mut skip = 0;
    if let Some(rest) = body.strip_prefix('!') {
        if !negatable {
            diags.error(
                "glob",
                p.span,
                format!("`{}`: `!` negation is not allowed here", p.value),
            );
            return;
        }
        body = rest;
        skip = 1;
    }
    if let Err(e) = Glob::parse(body) {
        let at = skip + e.offset;
        let span = src
            .index
            .locate(src.text, p.span, &p.value, at..p.value.len());
        diags.error(
            "glob",
            span,
            format!("invalid pattern `{}`: {}", p.value, e.message),
        );
    }
}

fn check_cron(c: &Str, src: &Source<'_>, diags: &mut Diagnostics) {
    match Cron::parse(&c.value) {
        Err(e) => {
            let span = src
                .index
                .locate(src.text, c.span, &c.value, e.offset..c.value.len());
            diags.error(
                "cron",
                span,
                format!("invalid cron `{}`: {}", c.value, e.message),
            );
        }
        Ok(cron) => {
            if cron.fires_within(5) {
                let gap = cron.min_interval_minutes();
                diags.warning("cron", c.span, format!("cron `{}` fires every {gap} minute{}, but GitHub runs scheduled workflows at most every 5 minutes", c.value, if gap == 1 { "" } else { "s" }));
            }
        }
    }
}

const DISPATCH_TYPES: &[&str] = &["string", "boolean", "number", "choice", "environment"];
const CALL_TYPES: &[&str] = &["string", "boolean", "number"];

fn check_inputs(inputs: &Inputs, dispatch: bool, diags: &mut Diagnostics) {
    let allowed = if dispatch { DISPATCH_TYPES } else { CALL_TYPES };
    for input in &inputs.inputs {
        let ok_name = input
            .name
            .value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && input
                .name
                .value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok_name {
            diags.error("inputs", input.name.span, format!("input name `{}` must start with a letter or `_` and contain only letters, digits, `-` and `_`", input.name.value));
        }
        let kind = input.kind.as_ref().map(|k| k.value.as_str());
        match (&input.kind, kind) {
            (Some(k), Some(t)) if !allowed.contains(&t) => {
                diags.error(
                    "inputs",
                    k.span,
                    format!(
                        "input type `{t}` is not one of {}",
                        allowed
                            .iter()
                            .map(|a| format!("`{a}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            (None, _) if !dispatch => {
                diags.error("inputs", input.name.span, format!("input `{}` of a reusable workflow needs a `type` (string, boolean or number)", input.name.value));
            }
            _ => {}
        }
        check_default(input, kind.unwrap_or("string"), diags);
    }
}

fn check_default(input: &Input, kind: &str, diags: &mut Diagnostics) {
    if kind == "choice" && input.options.is_empty() {
        diags.error(
            "inputs",
            input.name.span,
            format!(
                "choice input `{}` needs `options` to choose from",
                input.name.value
            ),
        );
    }
    let Some(default) = &input.default else {
        return;
    };
    let NodeKind::Scalar(s) = &default.kind else {
        diags.error(
            "inputs",
            default.span,
            format!(
                "the default of input `{}` must be a single value",
                input.name.value
            ),
        );
        return;
    };
    if crate::expr::find_open(&s.text).is_some() {
        return;
    }
    match (kind, s.resolve()) {
        ("boolean", Resolved::Bool(_)) | ("number", Resolved::Int(_) | Resolved::Float(_)) => {}
        ("boolean", Resolved::Str(t)) if t == "true" || t == "false" => {}
        ("boolean", _) => diags.error(
            "inputs",
            default.span,
            format!(
                "the default of boolean input `{}` must be `true` or `false`, not `{}`",
                input.name.value, s.text
            ),
        ),
        ("number", Resolved::Str(t)) if t.trim().parse::<f64>().is_ok() => {}
        ("number", _) => diags.error(
            "inputs",
            default.span,
            format!(
                "the default of number input `{}` must be a number, not `{}`",
                input.name.value, s.text
            ),
        ),
        ("choice", _)
            if !input.options.is_empty() && !input.options.iter().any(|o| o.value == s.text) =>
        {
            diags.error(
                "inputs",
                default.span,
                format!(
                    "the default `{}` of choice input `{}` is not one of its options",
                    s.text, input.name.value
                ),
            );
        }
        _ => {}
    }
}
