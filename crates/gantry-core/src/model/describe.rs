//! One-line descriptions of triggers and jobs, for `gantry list` and plan output.

use super::trigger::{Filters, Trigger, TriggerConfig};
use super::workflow::{Job, JobKind, RunsOn};

fn list(name: &str, items: &Option<super::trigger::Patterns>) -> Option<String> {
    items.as_ref().map(|p| {
        let v: Vec<&str> = p.value.iter().map(|s| s.value.as_str()).collect();
        format!("{name}: [{}]", v.join(", "))
    })
}

fn filters(f: &Filters) -> Vec<String> {
    [
        list("branches", &f.branches),
        list("branches-ignore", &f.branches_ignore),
        list("tags", &f.tags),
        list("tags-ignore", &f.tags_ignore),
        list("paths", &f.paths),
        list("paths-ignore", &f.paths_ignore),
        list("types", &f.types),
        list("workflows", &f.workflows),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `push (branches: [main])`, `kafka (topics: [orders], key: eu-*)`, ...
pub fn trigger(t: &Trigger) -> String {
    let parts: Vec<String> = match &t.config {
        TriggerConfig::Any => Vec::new(),
        TriggerConfig::Filters(f) => filters(f),
        TriggerConfig::Schedule(s) => s
            .iter()
            .map(|c| format!("cron: '{}'", c.cron.value))
            .collect(),
        TriggerConfig::Dispatch(i)
        | TriggerConfig::Call(super::trigger::WorkflowCall { inputs: i, .. }) => {
            if i.inputs.is_empty() {
                Vec::new()
            } else {
                let names: Vec<&str> = i.inputs.iter().map(|x| x.name.value.as_str()).collect();
                vec![format!("inputs: [{}]", names.join(", "))]
            }
        }
        TriggerConfig::Kafka(k) => {
            let topics: Vec<&str> = k.topics.iter().map(|s| s.value.as_str()).collect();
            let mut v = vec![format!("topics: [{}]", topics.join(", "))];
            if let Some(key) = &k.key {
                v.push(format!("key: {}", key.value));
            }
            for (h, g) in &k.headers {
                v.push(format!("header {}: {}", h.value, g.value));
            }
            v
        }
        TriggerConfig::Webhook(w) => {
            if w.names.is_empty() {
                vec!["any hook".to_string()]
            } else {
                let n: Vec<&str> = w.names.iter().map(|s| s.value.as_str()).collect();
                vec![format!("names: [{}]", n.join(", "))]
            }
        }
    };
    if parts.is_empty() {
        t.event.value.clone()
    } else {
        format!("{} ({})", t.event.value, parts.join(", "))
    }
}

/// `build: runs-on ubuntu-latest, 4 steps, needs [lint]`.
pub fn job(j: &Job) -> String {
    let mut parts = Vec::new();
    match &j.kind {
        JobKind::Steps(s) => {
            if let Some(r) = &s.runs_on {
                let labels: Vec<&str> = match &r.value {
                    RunsOn::Labels(l) => l.iter().map(|x| x.value.as_str()).collect(),
                    RunsOn::Group { group, labels } => group
                        .iter()
                        .chain(labels)
                        .map(|x| x.value.as_str())
                        .collect(),
                };
                parts.push(format!("runs-on {}", labels.join(", ")));
            }
            if let Some(c) = s.container.as_ref().and_then(|c| c.image.as_ref()) {
                parts.push(format!("container {}", c.value));
            }
            parts.push(format!(
                "{} step{}",
                s.steps.len(),
                if s.steps.len() == 1 { "" } else { "s" }
            ));
        }
        JobKind::Call(c) => parts.push(format!("calls {}", c.uses.as_str())),
    }
    if j.strategy.as_ref().is_some_and(|s| s.matrix.is_some()) {
        parts.push("matrix".into());
    }
    if !j.needs.is_empty() {
        let n: Vec<&str> = j.needs.iter().map(|x| x.value.as_str()).collect();
        parts.push(format!("needs [{}]", n.join(", ")));
    }
    format!("{}: {}", j.id.value, parts.join(", "))
}
