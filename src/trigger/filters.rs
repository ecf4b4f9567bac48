//! The filter checks behind trigger matching, one function per kind of filter, each
//! returning its verdict with a reason.

use super::patterns::{at, decide, glob_matches};
use super::{default_types, MatchResult};
use crate::event::Event;
use crate::model::{Filters, KafkaTrigger, Patterns, WebhookTrigger};

/// Applies a `x` / `x-ignore` pair to one value (a branch, a tag, a base branch).
/// Returns None when neither list is set.
fn ref_filter(
    what: &str,
    value: &str,
    include: &Option<Patterns>,
    ignore: &Option<Patterns>,
    key: &str,
    file: &str,
) -> Option<Result<String, String>> {
    if let Some(list) = include {
        let v = decide(list, value);
        return Some(match (v.included, v.by) {
            (true, Some(p)) => Ok(format!(
                "{what} `{value}` matched `{}` at {}",
                p.value,
                at(file, p)
            )),
            (false, Some(p)) => Err(format!(
                "{what} `{value}` excluded by `{}` at {}",
                p.value,
                at(file, p)
            )),
            (_, None) => Err(format!(
                "{what} `{value}` matches none of `{key}` at {}",
                at_list(file, list)
            )),
        });
    }
    if let Some(list) = ignore {
        let v = decide(list, value);
        return Some(match (v.included, v.by) {
            (true, Some(p)) => Err(format!(
                "{what} `{value}` ignored by `{}` at {}",
                p.value,
                at(file, p)
            )),
            (false, Some(p)) => Ok(format!(
                "{what} `{value}` re-included by `{}` at {}",
                p.value,
                at(file, p)
            )),
            (_, None) => Ok(format!(
                "{what} `{value}` matches none of `{key}-ignore` at {}",
                at_list(file, list)
            )),
        });
    }
    None
}

fn at_list(file: &str, list: &Patterns) -> String {
    format!("{file}:{}:{}", list.span.start.line, list.span.start.col)
}

/// Path filters over the changed files: `paths` needs one file included; `paths-ignore`
/// excludes the event only when every file is ignored. Unknown changes never exclude.
fn path_filter(f: &Filters, ev: &Event, file: &str) -> Option<Result<String, String>> {
    if f.paths.is_none() && f.paths_ignore.is_none() {
        return None;
    }
    let Some(changed) = &ev.meta.changed_files else {
        return Some(Ok(
            "path filters skipped: the changed files are unknown".into()
        ));
    };
    if let Some(list) = &f.paths {
        for path in changed {
            let v = decide(list, path);
            if let (true, Some(p)) = (v.included, v.by) {
                return Some(Ok(format!(
                    "changed file `{path}` matched `{}` at {}",
                    p.value,
                    at(file, p)
                )));
            }
        }
        return Some(Err(format!(
            "none of the {} changed files matches `paths` at {}{}",
            changed.len(),
            at_list(file, list),
            sample(changed)
        )));
    }
    let list = f.paths_ignore.as_ref()?;
    for path in changed {
        let v = decide(list, path);
        if !v.included {
            return Some(Ok(format!(
                "changed file `{path}` is not ignored by `paths-ignore` at {}",
                at_list(file, list)
            )));
        }
    }
    Some(Err(format!(
        "every changed file is ignored by `paths-ignore` at {}{}",
        at_list(file, list),
        sample(changed)
    )))
}

fn sample(files: &[String]) -> String {
    if files.is_empty() {
        return String::new();
    }
    let shown: Vec<&str> = files.iter().take(3).map(String::as_str).collect();
    let more = if files.len() > 3 {
        format!(", … {} more", files.len() - 3)
    } else {
        String::new()
    };
    format!(" ({}{more})", shown.join(", "))
}

fn types_filter(
    f: &Filters,
    event: &str,
    ev: &Event,
    file: &str,
) -> Option<Result<String, String>> {
    let action = ev.meta.action.as_deref()?;
    match &f.types {
        Some(list) => Some(match list.value.iter().find(|t| t.value == action) {
            Some(t) => Ok(format!("activity `{action}` listed at {}", at(file, t))),
            None => Err(format!("activity `{action}` is not in `types` at {}", at_list(file, list))),
        }),
        None => default_types(event).map(|d| {
            if d.contains(&action) {
                Ok(format!("activity `{action}` is a default type of `{event}`"))
            } else {
                Err(format!("activity `{action}` is not a default type of `{event}` ({}); list it in `types`", d.join(", ")))
            }
        }),
    }
}

pub fn match_filters(f: &Filters, event: &str, file: &str, ev: &Event) -> MatchResult {
    let mut reasons = Vec::new();
    let mut checks: Vec<Option<Result<String, String>>> = Vec::new();
    checks.push(types_filter(f, event, ev, file));
    match event {
        "push" => {
            let has_branch = f.branches.is_some() || f.branches_ignore.is_some();
            let has_tag = f.tags.is_some() || f.tags_ignore.is_some();
            let name = ev.ref_name().unwrap_or_default();
            if ev.is_tag() {
                if has_branch && !has_tag {
                    checks.push(Some(Err(format!(
                        "tag `{name}` pushed, but the workflow filters only branches"
                    ))));
                } else {
                    checks.push(ref_filter(
                        "tag",
                        name,
                        &f.tags,
                        &f.tags_ignore,
                        "tags",
                        file,
                    ));
                }
                // GitHub does not evaluate path filters for tag pushes.
            } else {
                if has_tag && !has_branch {
                    checks.push(Some(Err(format!(
                        "branch `{name}` pushed, but the workflow filters only tags"
                    ))));
                } else {
                    checks.push(ref_filter(
                        "branch",
                        name,
                        &f.branches,
                        &f.branches_ignore,
                        "branches",
                        file,
                    ));
                }
                checks.push(path_filter(f, ev, file));
            }
        }
        "pull_request" | "pull_request_target" | "merge_group" => {
            let base = ev.meta.base_ref.as_deref().unwrap_or_default();
            checks.push(ref_filter(
                "base branch",
                base,
                &f.branches,
                &f.branches_ignore,
                "branches",
                file,
            ));
            if event != "merge_group" {
                checks.push(path_filter(f, ev, file));
            }
        }
        "workflow_run" => {
            if let Some(list) = &f.workflows {
                let name = ev
                    .payload
                    .pointer("/workflow_run/name")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                checks.push(Some(
                    match list.value.iter().find(|w| glob_matches(&w.value, name)) {
                        Some(w) => Ok(format!("workflow `{name}` listed at {}", at(file, w))),
                        None => Err(format!(
                            "workflow `{name}` is not in `workflows` at {}",
                            at_list(file, list)
                        )),
                    },
                ));
            }
            let branch = ev
                .payload
                .pointer("/workflow_run/head_branch")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            checks.push(ref_filter(
                "branch",
                branch,
                &f.branches,
                &f.branches_ignore,
                "branches",
                file,
            ));
        }
        _ => {}
    }
    for c in checks.into_iter().flatten() {
        match c {
            Ok(r) => reasons.push(r),
            Err(r) => {
                reasons.push(r);
                return MatchResult {
                    matched: false,
                    reasons,
                };
            }
        }
    }
    if reasons.is_empty() {
        reasons.push(format!("`{event}` filters do not apply to this event"));
    }
    MatchResult {
        matched: true,
        reasons,
    }
}

pub fn match_kafka(k: &KafkaTrigger, file: &str, ev: &Event) -> MatchResult {
    let Some(msg) = &ev.meta.kafka else {
        return MatchResult::no("the event carries no Kafka message".into());
    };
    let mut reasons = Vec::new();
    match k.topics.iter().find(|t| glob_matches(&t.value, &msg.topic)) {
        Some(t) => reasons.push(format!(
            "topic `{}` matched `{}` at {}",
            msg.topic,
            t.value,
            at(file, t)
        )),
        None => {
            let names: Vec<&str> = k.topics.iter().map(|t| t.value.as_str()).collect();
            return MatchResult::no(format!(
                "topic `{}` is not one of [{}] at {}",
                msg.topic,
                names.join(", "),
                file_pos(file, k)
            ));
        }
    }
    if let Some(key) = &k.key {
        match &msg.key {
            Some(mk) if glob_matches(&key.value, mk) => reasons.push(format!(
                "key `{mk}` matched `{}` at {}",
                key.value,
                at(file, key)
            )),
            Some(mk) => {
                reasons.push(format!(
                    "key `{mk}` does not match `{}` at {}",
                    key.value,
                    at(file, key)
                ));
                return MatchResult {
                    matched: false,
                    reasons,
                };
            }
            None => {
                reasons.push(format!(
                    "the message has no key, and `key: {}` at {} requires one",
                    key.value,
                    at(file, key)
                ));
                return MatchResult {
                    matched: false,
                    reasons,
                };
            }
        }
    }
    for (name, glob) in &k.headers {
        let value = msg
            .headers
            .iter()
            .find(|(h, _)| *h == name.value)
            .and_then(|(_, v)| v.as_deref());
        match value {
            Some(v) if glob_matches(&glob.value, v) => reasons.push(format!(
                "header `{}: {v}` matched `{}` at {}",
                name.value,
                glob.value,
                at(file, glob)
            )),
            Some(v) => {
                reasons.push(format!(
                    "header `{}: {v}` does not match `{}` at {}",
                    name.value,
                    glob.value,
                    at(file, glob)
                ));
                return MatchResult {
                    matched: false,
                    reasons,
                };
            }
            None => {
                reasons.push(format!(
                    "header `{}` is missing; required at {}",
                    name.value,
                    at(file, name)
                ));
                return MatchResult {
                    matched: false,
                    reasons,
                };
            }
        }
    }
    MatchResult {
        matched: true,
        reasons,
    }
}

fn file_pos(file: &str, k: &KafkaTrigger) -> String {
    format!("{file}:{}:{}", k.span.start.line, k.span.start.col)
}

pub fn match_webhook(w: &WebhookTrigger, file: &str, ev: &Event) -> MatchResult {
    let Some(hook) = ev.meta.hook.as_deref() else {
        return MatchResult::no("the event names no webhook".into());
    };
    if w.names.is_empty() {
        return MatchResult::yes(format!(
            "`webhook` at {}:{}:{} accepts every hook",
            file, w.span.start.line, w.span.start.col
        ));
    }
    match w.names.iter().find(|n| glob_matches(&n.value, hook)) {
        Some(n) => MatchResult::yes(format!(
            "hook `{hook}` matched `{}` at {}",
            n.value,
            at(file, n)
        )),
        None => {
            let names: Vec<&str> = w.names.iter().map(|n| n.value.as_str()).collect();
            MatchResult::no(format!(
                "hook `{hook}` is not one of [{}] at {}:{}:{}",
                names.join(", "),
                file,
                w.span.start.line,
                w.span.start.col
            ))
        }
    }
}
