//! The filter checks behind trigger matching, one function per kind of filter, each
//! returning its verdict with a reason.

use super::patterns::{at, decide, glob_matches};
use super::{default_types, MatchResult};
use crate::event::Event;
use gantry_core::model::{Filters, KafkaTrigger, Patterns, Str, WebhookTrigger};

/// One filter's verdict on an event, with the reason either way (both are shown by
/// `gantry plan`). Not an error: an excluded event is an ordinary outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Pass(String),
    Exclude(String),
}

use Verdict::{Exclude, Pass};

/// The reasons of the verdicts in order, up to and including the first exclusion: the
/// event matches when nothing excludes it.
fn conclude(verdicts: impl IntoIterator<Item = Verdict>) -> MatchResult {
    let mut reasons = Vec::new();
    for v in verdicts {
        match v {
            Pass(r) => reasons.push(r),
            Exclude(r) => {
                reasons.push(r);
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

/// Applies a `x` / `x-ignore` pair to one value (a branch, a tag, a base branch).
/// Returns None when neither list is set.
fn ref_filter(
    what: &str,
    value: &str,
    include: &Option<Patterns>,
    ignore: &Option<Patterns>,
    key: &str,
    file: &str,
) -> Option<Verdict> {
    if let Some(list) = include {
        let v = decide(list, value);
        return Some(match (v.included, v.by) {
            (true, Some(p)) => Pass(format!(
                "{what} `{value}` matched `{}` at {}",
                p.value,
                at(file, p)
            )),
            (false, Some(p)) => Exclude(format!(
                "{what} `{value}` excluded by `{}` at {}",
                p.value,
                at(file, p)
            )),
            (_, None) => Exclude(format!(
                "{what} `{value}` matches none of `{key}` at {}",
                at_list(file, list)
            )),
        });
    }
    if let Some(list) = ignore {
        let v = decide(list, value);
        return Some(match (v.included, v.by) {
            (true, Some(p)) => Exclude(format!(
                "{what} `{value}` ignored by `{}` at {}",
                p.value,
                at(file, p)
            )),
            (false, Some(p)) => Pass(format!(
                "{what} `{value}` re-included by `{}` at {}",
                p.value,
                at(file, p)
            )),
            (_, None) => Pass(format!(
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
fn path_filter(f: &Filters, ev: &Event, file: &str) -> Option<Verdict> {
    if f.paths.is_none() && f.paths_ignore.is_none() {
        return None;
    }
    let Some(changed) = &ev.meta.changed_files else {
        return Some(Pass(
            "path filters skipped: the changed files are unknown".into(),
        ));
    };
    if let Some(list) = &f.paths {
        for path in changed {
            let v = decide(list, path);
            if let (true, Some(p)) = (v.included, v.by) {
                return Some(Pass(format!(
                    "changed file `{path}` matched `{}` at {}",
                    p.value,
                    at(file, p)
                )));
            }
        }
        return Some(Exclude(format!(
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
            return Some(Pass(format!(
                "changed file `{path}` is not ignored by `paths-ignore` at {}",
                at_list(file, list)
            )));
        }
    }
    Some(Exclude(format!(
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

fn types_filter(f: &Filters, event: &str, ev: &Event, file: &str) -> Option<Verdict> {
    let action = ev.meta.action.as_deref()?;
    match &f.types {
        Some(list) => Some(match list.value.iter().find(|t| t.value == action) {
            Some(t) => Pass(format!("activity `{action}` listed at {}", at(file, t))),
            None => Exclude(format!("activity `{action}` is not in `types` at {}", at_list(file, list))),
        }),
        None => default_types(event).map(|d| {
            if d.contains(&action) {
                Pass(format!("activity `{action}` is a default type of `{event}`"))
            } else {
                Exclude(format!("activity `{action}` is not a default type of `{event}` ({}); list it in `types`", d.join(", ")))
            }
        }),
    }
}

pub fn match_filters(f: &Filters, event: &str, file: &str, ev: &Event) -> MatchResult {
    let mut checks = vec![types_filter(f, event, ev, file)];
    match event {
        "push" => checks.extend(push_checks(f, ev, file)),
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
        "workflow_run" => checks.extend(workflow_run_checks(f, ev, file)),
        _ => {}
    }
    let mut result = conclude(checks.into_iter().flatten());
    if result.reasons.is_empty() {
        result
            .reasons
            .push(format!("`{event}` filters do not apply to this event"));
    }
    result
}

/// A push: tags are filtered by `tags`, branches by `branches` and the paths; a workflow that
/// filters only one kind of ref does not run for the other.
fn push_checks(f: &Filters, ev: &Event, file: &str) -> Vec<Option<Verdict>> {
    let has_branch = f.branches.is_some() || f.branches_ignore.is_some();
    let has_tag = f.tags.is_some() || f.tags_ignore.is_some();
    let name = ev.ref_name().unwrap_or_default();
    if ev.is_tag() {
        // GitHub does not evaluate path filters for tag pushes.
        return vec![if has_branch && !has_tag {
            Some(Exclude(format!(
                "tag `{name}` pushed, but the workflow filters only branches"
            )))
        } else {
            ref_filter("tag", name, &f.tags, &f.tags_ignore, "tags", file)
        }];
    }
    let branch = if has_tag && !has_branch {
        Some(Exclude(format!(
            "branch `{name}` pushed, but the workflow filters only tags"
        )))
    } else {
        ref_filter(
            "branch",
            name,
            &f.branches,
            &f.branches_ignore,
            "branches",
            file,
        )
    };
    vec![branch, path_filter(f, ev, file)]
}

/// `workflow_run`: the finished workflow's name against `workflows`, its branch against
/// `branches`.
fn workflow_run_checks(f: &Filters, ev: &Event, file: &str) -> Vec<Option<Verdict>> {
    let text = |pointer: &str| {
        ev.payload
            .pointer(pointer)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
    };
    let workflow = f.workflows.as_ref().map(|list| {
        let name = text("/workflow_run/name");
        match list.value.iter().find(|w| glob_matches(&w.value, name)) {
            Some(w) => Pass(format!("workflow `{name}` listed at {}", at(file, w))),
            None => Exclude(format!(
                "workflow `{name}` is not in `workflows` at {}",
                at_list(file, list)
            )),
        }
    });
    let branch = ref_filter(
        "branch",
        text("/workflow_run/head_branch"),
        &f.branches,
        &f.branches_ignore,
        "branches",
        file,
    );
    vec![workflow, branch]
}

pub fn match_kafka(k: &KafkaTrigger, file: &str, ev: &Event) -> MatchResult {
    let Some(msg) = &ev.meta.kafka else {
        return MatchResult::no("the event carries no Kafka message".into());
    };
    let topic = match k.topics.iter().find(|t| glob_matches(&t.value, &msg.topic)) {
        Some(t) => Pass(format!(
            "topic `{}` matched `{}` at {}",
            msg.topic,
            t.value,
            at(file, t)
        )),
        None => {
            let names: Vec<&str> = k.topics.iter().map(|t| t.value.as_str()).collect();
            Exclude(format!(
                "topic `{}` is not one of [{}] at {}",
                msg.topic,
                names.join(", "),
                file_pos(file, k)
            ))
        }
    };
    let key = k.key.as_ref().map(|key| match &msg.key {
        Some(mk) if glob_matches(&key.value, mk) => Pass(format!(
            "key `{mk}` matched `{}` at {}",
            key.value,
            at(file, key)
        )),
        Some(mk) => Exclude(format!(
            "key `{mk}` does not match `{}` at {}",
            key.value,
            at(file, key)
        )),
        None => Exclude(format!(
            "the message has no key, and `key: {}` at {} requires one",
            key.value,
            at(file, key)
        )),
    });
    let headers = k.headers.iter().map(|(name, glob)| {
        let value = msg
            .headers
            .iter()
            .find(|(h, _)| *h == name.value)
            .and_then(|(_, v)| v.as_deref());
        header_verdict(name, glob, value, file)
    });
    conclude(std::iter::once(topic).chain(key).chain(headers))
}

/// A `headers:` entry against the message's value of that header (`None`: missing).
fn header_verdict(name: &Str, glob: &Str, value: Option<&str>, file: &str) -> Verdict {
    let (name_at, name) = (name, &name.value);
    match value {
        Some(v) if glob_matches(&glob.value, v) => Pass(format!(
            "header `{name}: {v}` matched `{}` at {}",
            glob.value,
            at(file, glob)
        )),
        Some(v) => Exclude(format!(
            "header `{name}: {v}` does not match `{}` at {}",
            glob.value,
            at(file, glob)
        )),
        None => Exclude(format!(
            "header `{name}` is missing; required at {}",
            at(file, name_at)
        )),
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
