//! Lowering `on:` in all its forms (a name, a list, a mapping) into [`Triggers`], checking
//! each event's configuration against the event table, Gantry's own triggers included.

use super::Cx;
use crate::model::events::{self, accepts_filter, FilterSet};
use crate::model::spanned::Spanned;
use crate::model::trigger::*;
use crate::yaml::tree::{Entry, Node, NodeKind};

pub fn lower_on(node: &Node, cx: &mut Cx<'_>) -> Option<Spanned<Triggers>> {
    let mut t = Triggers::default();
    match &node.kind {
        NodeKind::Scalar(_) => {
            let name = cx.required_string(node, "`on`")?;
            if let Some(tr) = bare_event(name, cx) {
                t.events.push(tr);
            }
        }
        NodeKind::Seq(items) => {
            for item in items.iter() {
                let Some(name) = cx.required_string(item, "each event in `on`") else {
                    continue;
                };
                if t.get(&name.value).is_some() {
                    cx.diags.error(
                        "event",
                        name.span,
                        format!("event `{}` is listed twice", name.value),
                    );
                    continue;
                }
                if let Some(tr) = bare_event(name, cx) {
                    t.events.push(tr);
                }
            }
        }
        NodeKind::Map(entries) => {
            cx.check_duplicates(entries, "`on`");
            for e in entries.iter() {
                if let Some(tr) = event_entry(e, cx) {
                    t.events.push(tr);
                }
            }
        }
    }
    if t.events.is_empty() && !node.is_null() {
        return Some(Spanned::new(t, node.span));
    }
    if node.is_null() {
        cx.diags
            .error("event", node.span, "`on` must name at least one event");
    }
    Some(Spanned::new(t, node.span))
}

fn unknown_event(name: &Spanned<String>, cx: &mut Cx<'_>) {
    let names: Vec<&str> = events::EVENTS.iter().map(|e| e.name).collect();
    let mut msg = format!("unknown event `{}`", name.value);
    if let Some(s) = super::suggest(&name.value, &names) {
        msg.push_str(&format!("; did you mean `{s}`?"));
    }
    cx.diags.error("event", name.span, msg);
}

/// An event named without configuration (`on: push`, `on: [push, kafka]`).
fn bare_event(name: Spanned<String>, cx: &mut Cx<'_>) -> Option<Trigger> {
    let Some(spec) = events::lookup(&name.value) else {
        unknown_event(&name, cx);
        return None;
    };
    let config = match spec.name {
        "kafka" => {
            cx.diags.error(
                "event",
                name.span,
                "`kafka` needs a configuration naming its `topics`, e.g. `kafka: { topics: [orders] }`",
            );
            TriggerConfig::Kafka(KafkaTrigger {
                span: name.span,
                ..Default::default()
            })
        }
        "schedule" => {
            cx.diags.error(
                "event",
                name.span,
                "`schedule` needs a list of `cron` entries",
            );
            TriggerConfig::Schedule(Vec::new())
        }
        "webhook" => TriggerConfig::Webhook(WebhookTrigger {
            span: name.span,
            names: Vec::new(),
        }),
        "workflow_dispatch" => TriggerConfig::Dispatch(Inputs::default()),
        "workflow_call" => TriggerConfig::Call(WorkflowCall::default()),
        _ => TriggerConfig::Any,
    };
    Some(Trigger {
        event: name,
        config,
    })
}

fn event_entry(e: &Entry, cx: &mut Cx<'_>) -> Option<Trigger> {
    let name = cx.key_str(e)?;
    let Some(spec) = events::lookup(&name.value) else {
        unknown_event(&name, cx);
        return None;
    };
    let v = &e.value;
    let what = format!("`on.{}`", name.value);
    let config = match spec.name {
        "schedule" => TriggerConfig::Schedule(lower_schedule(v, cx)),
        "workflow_dispatch" => TriggerConfig::Dispatch(lower_dispatch(v, cx, &what)),
        "workflow_call" => TriggerConfig::Call(lower_call(v, cx, &what)),
        "kafka" => TriggerConfig::Kafka(lower_kafka(v, cx)),
        "webhook" => TriggerConfig::Webhook(lower_webhook(v, cx)),
        _ if v.is_null() => TriggerConfig::Any,
        _ if spec.filters == FilterSet::None => {
            match &v.kind {
                NodeKind::Map([]) => {}
                _ => cx.diags.warning(
                    "event",
                    v.span,
                    format!(
                        "event `{}` takes no configuration; GitHub ignores what is written here",
                        name.value
                    ),
                ),
            }
            TriggerConfig::Any
        }
        _ => TriggerConfig::Filters(lower_filters(v, cx, spec, &what)),
    };
    Some(Trigger {
        event: name,
        config,
    })
}

fn lower_filters(node: &Node, cx: &mut Cx<'_>, spec: &events::EventSpec, what: &str) -> Filters {
    let mut f = Filters::default();
    let Some(entries) = cx.map(node, what) else {
        return f;
    };
    for e in entries {
        let Some(key) = cx.key(e) else { continue };
        if !accepts_filter(spec, key) {
            let allowed: Vec<&str> = [
                "types",
                "branches",
                "branches-ignore",
                "tags",
                "tags-ignore",
                "paths",
                "paths-ignore",
                "workflows",
            ]
            .into_iter()
            .filter(|k| accepts_filter(spec, k))
            .collect();
            cx.ignored_key(e, key, what, &allowed);
            continue;
        }
        let list = cx.str_list(&e.value, &format!("`{key}`"));
        let slot = match key {
            "types" => &mut f.types,
            "branches" => &mut f.branches,
            "branches-ignore" => &mut f.branches_ignore,
            "tags" => &mut f.tags,
            "tags-ignore" => &mut f.tags_ignore,
            "paths" => &mut f.paths,
            "paths-ignore" => &mut f.paths_ignore,
            _ => &mut f.workflows,
        };
        *slot = Some(list);
    }
    for (a, b, a_name, b_name) in [
        (
            &f.branches,
            &f.branches_ignore,
            "branches",
            "branches-ignore",
        ),
        (&f.tags, &f.tags_ignore, "tags", "tags-ignore"),
        (&f.paths, &f.paths_ignore, "paths", "paths-ignore"),
    ] {
        if let (Some(_), Some(ig)) = (a, b) {
            cx.diags.error(
                "event",
                ig.span,
                format!("{what} cannot use both `{a_name}` and `{b_name}`; use `{a_name}` with `!` patterns instead"),
            );
        }
    }
    if let Some(types) = &f.types {
        if !spec.types.is_empty() {
            for t in &types.value {
                if !spec.types.contains(&t.value.as_str()) {
                    // GitHub does not check activity types (new ones appear often): a type
                    // it does not know never matches, so it is a warning.
                    cx.diags.warning(
                        "event",
                        t.span,
                        format!(
                            "unknown activity type `{}` for event `{}`; expected one of {}",
                            t.value,
                            spec.name,
                            spec.types
                                .iter()
                                .map(|t| format!("`{t}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
        }
    }
    f
}

fn lower_schedule(node: &Node, cx: &mut Cx<'_>) -> Vec<Schedule> {
    let mut out = Vec::new();
    let NodeKind::Seq(items) = &node.kind else {
        cx.diags.error(
            "type",
            node.span,
            format!(
                "`schedule` must be a list of `- cron: '…'` entries, but it is {}",
                node.kind_name()
            ),
        );
        return out;
    };
    for item in items.iter() {
        let Some(entries) = cx.map(item, "a schedule entry") else {
            continue;
        };
        let (mut cron, mut timezone) = (None, None);
        for e in entries {
            let Some(key) = cx.key(e) else { continue };
            match key {
                "cron" => cron = cx.required_string(&e.value, "`cron`"),
                "timezone" => timezone = cx.string(&e.value, "`timezone`"),
                _ => cx.unknown_key(e, key, "a schedule entry", &["cron", "timezone"]),
            }
        }
        match cron {
            Some(cron) => out.push(Schedule { cron, timezone }),
            None => cx.diags.error(
                "required",
                item.span,
                "a schedule entry needs a `cron` expression",
            ),
        }
    }
    out
}

const DISPATCH_INPUT_KEYS: &[&str] = &[
    "description",
    "deprecationMessage",
    "required",
    "default",
    "type",
    "options",
];

fn lower_inputs(node: &Node, cx: &mut Cx<'_>, what: &str, allowed: &[&str]) -> Inputs {
    let mut inputs = Inputs::default();
    let Some(entries) = cx.map(node, what) else {
        return inputs;
    };
    cx.check_duplicates(entries, what);
    for e in entries {
        let Some(name) = cx.key_str(e) else { continue };
        let iwhat = format!("input `{}`", name.value);
        let mut input = Input {
            name,
            description: None,
            required: None,
            kind: None,
            default: None,
            options: Vec::new(),
        };
        if let Some(props) = cx.map(&e.value, &iwhat) {
            for p in props {
                let Some(key) = cx.key(p) else { continue };
                if !allowed.contains(&key) {
                    cx.unknown_key(p, key, &iwhat, allowed);
                    continue;
                }
                match key {
                    "description" => input.description = cx.string(&p.value, "`description`"),
                    "required" => input.required = cx.bool_or_expr(&p.value, "`required`"),
                    "type" => input.kind = cx.string(&p.value, "`type`"),
                    "default" => input.default = Some(p.value.to_owned_node()),
                    "options" => input.options = cx.str_list(&p.value, "`options`").value,
                    _ => {}
                }
            }
        }
        inputs.inputs.push(input);
    }
    inputs
}

fn lower_dispatch(node: &Node, cx: &mut Cx<'_>, what: &str) -> Inputs {
    let Some(entries) = cx.map(node, what) else {
        return Inputs::default();
    };
    let mut inputs = Inputs::default();
    for e in entries {
        let Some(key) = cx.key(e) else { continue };
        match key {
            "inputs" => {
                inputs = lower_inputs(
                    &e.value,
                    cx,
                    "`workflow_dispatch.inputs`",
                    DISPATCH_INPUT_KEYS,
                )
            }
            // GitHub ignores other keys under `workflow_dispatch`.
            _ => cx.ignored_key(e, key, what, &["inputs"]),
        }
    }
    inputs
}

fn lower_call(node: &Node, cx: &mut Cx<'_>, what: &str) -> WorkflowCall {
    let mut call = WorkflowCall::default();
    let Some(entries) = cx.map(node, what) else {
        return call;
    };
    for e in entries {
        let Some(key) = cx.key(e) else { continue };
        match key {
            "inputs" => {
                call.inputs = lower_inputs(
                    &e.value,
                    cx,
                    "`workflow_call.inputs`",
                    &[
                        "description",
                        "deprecationMessage",
                        "required",
                        "default",
                        "type",
                    ],
                )
            }
            "outputs" => {
                let Some(outs) = cx.map(&e.value, "`workflow_call.outputs`") else {
                    continue;
                };
                for o in outs {
                    let Some(name) = cx.key_str(o) else { continue };
                    let owhat = format!("output `{}`", name.value);
                    let mut out = CallOutput {
                        name,
                        description: None,
                        value: None,
                    };
                    for p in cx.map(&o.value, &owhat).unwrap_or(&[]) {
                        let Some(k) = cx.key(p) else { continue };
                        match k {
                            "description" => out.description = cx.string(&p.value, "`description`"),
                            "value" => out.value = cx.string(&p.value, "`value`"),
                            _ => cx.unknown_key(p, k, &owhat, &["description", "value"]),
                        }
                    }
                    if out.value.is_none() {
                        cx.diags.error(
                            "required",
                            out.name.span,
                            format!("{owhat} needs a `value`"),
                        );
                    }
                    call.outputs.push(out);
                }
            }
            "secrets" => {
                let Some(secrets) = cx.map(&e.value, "`workflow_call.secrets`") else {
                    continue;
                };
                for s in secrets {
                    let Some(name) = cx.key_str(s) else { continue };
                    let swhat = format!("secret `{}`", name.value);
                    let mut sec = CallSecret {
                        name,
                        description: None,
                        required: None,
                    };
                    for p in cx.map(&s.value, &swhat).unwrap_or(&[]) {
                        let Some(k) = cx.key(p) else { continue };
                        match k {
                            "description" => sec.description = cx.string(&p.value, "`description`"),
                            "required" => sec.required = cx.bool(&p.value, "`required`"),
                            _ => cx.unknown_key(p, k, &swhat, &["description", "required"]),
                        }
                    }
                    call.secrets.push(sec);
                }
            }
            _ => cx.unknown_key(e, key, what, &["inputs", "outputs", "secrets"]),
        }
    }
    call
}

fn lower_kafka(node: &Node, cx: &mut Cx<'_>) -> KafkaTrigger {
    let mut k = KafkaTrigger {
        span: node.span,
        ..Default::default()
    };
    let Some(entries) = cx.map(node, "`on.kafka`") else {
        return k;
    };
    cx.check_duplicates(entries, "`on.kafka`");
    for e in entries {
        let Some(key) = cx.key(e) else { continue };
        match key {
            "topics" => k.topics = cx.str_list(&e.value, "`kafka.topics`").value,
            "key" => k.key = cx.string(&e.value, "`kafka.key`"),
            "headers" => k.headers = cx.str_map(&e.value, "`kafka.headers`").entries,
            "publish" => {
                k.publish = cx.string(&e.value, "`kafka.publish`");
                if let Some(t) = &k.publish {
                    let valid = !t.value.is_empty()
                        && t.value.len() <= 249
                        && t.value
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
                    if !valid {
                        cx.diags.error(
                            "event",
                            t.span,
                            format!(
                                "`kafka.publish` must be a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -), not `{}`",
                                t.value
                            ),
                        );
                    }
                }
            }
            _ => cx.unknown_key(
                e,
                key,
                "`on.kafka`",
                &["topics", "key", "headers", "publish"],
            ),
        }
    }
    if k.topics.is_empty() {
        cx.diags.error(
            "event",
            node.span,
            "`on.kafka` must name at least one topic in `topics`",
        );
    }
    k
}

fn lower_webhook(node: &Node, cx: &mut Cx<'_>) -> WebhookTrigger {
    let mut w = WebhookTrigger {
        span: node.span,
        names: Vec::new(),
    };
    let Some(entries) = cx.map(node, "`on.webhook`") else {
        return w;
    };
    for e in entries {
        let Some(key) = cx.key(e) else { continue };
        match key {
            "names" => {
                w.names = cx.str_list(&e.value, "`webhook.names`").value;
                if w.names.is_empty() {
                    cx.diags.error(
                        "event",
                        e.value.span,
                        "`webhook.names` must name at least one webhook",
                    );
                }
            }
            _ => cx.unknown_key(e, key, "`on.webhook`", &["names"]),
        }
    }
    w
}
