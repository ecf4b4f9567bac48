//! Lowering action metadata (`action.yml`): inputs, outputs and how the action runs.

use super::step::lower_steps;
use super::Cx;
use crate::model::action::*;
use crate::model::{Spanned, Str};
use crate::yaml::node::Span;
use crate::yaml::tree::{Entry, Node};

const ACTION_KEYS: &[&str] = &[
    "name",
    "author",
    "description",
    "inputs",
    "outputs",
    "runs",
    "branding",
];

pub fn lower_action(root: &Node, cx: &mut Cx<'_>) -> Action {
    let mut a = Action {
        name: None,
        author: None,
        description: None,
        inputs: Vec::new(),
        outputs: Vec::new(),
        runs: None,
    };
    let Some(entries) = cx.map(root, "action metadata") else {
        return a;
    };
    cx.check_duplicates(entries, "the action");
    for e in entries {
        let Some(key) = cx.key(e) else { continue };
        let v = &e.value;
        match key {
            "name" => a.name = cx.string(v, "`name`"),
            "author" => a.author = cx.string(v, "`author`"),
            "description" => a.description = cx.string(v, "`description`"),
            "inputs" => a.inputs = lower_inputs(v, cx),
            "outputs" => a.outputs = lower_outputs(v, cx),
            "runs" => a.runs = lower_runs(v, cx),
            "branding" => {}
            _ => cx.ignored_key(e, key, "the action", ACTION_KEYS),
        }
    }
    if a.runs.is_none() {
        cx.diags.error(
            "required",
            Span::at(root.span.start),
            "the action has no `runs:` section saying how it runs",
        );
    }
    a
}

fn lower_inputs(node: &Node, cx: &mut Cx<'_>) -> Vec<ActionInput> {
    let mut out = Vec::new();
    let Some(entries) = cx.map(node, "`inputs`") else {
        return out;
    };
    cx.check_duplicates(entries, "`inputs`");
    for e in entries {
        let Some(name) = cx.key_str(e) else { continue };
        let what = format!("input `{}`", name.value);
        let mut input = ActionInput {
            name,
            description: None,
            required: None,
            default: None,
            deprecation_message: None,
        };
        for p in cx.map(&e.value, &what).unwrap_or(&[]) {
            let Some(k) = cx.key(p) else { continue };
            match k {
                "description" => input.description = cx.string(&p.value, "`description`"),
                "required" => input.required = Some(p.value.to_owned_node()),
                // `default: null` (or `~`, or nothing) is an empty string on GitHub, not
                // the text `null`.
                "default" if p.value.is_null() => {
                    input.default = Some(Spanned::new(String::new(), p.value.span))
                }
                "default" => input.default = cx.string(&p.value, "`default`"),
                "deprecationMessage" => {
                    input.deprecation_message = cx.string(&p.value, "`deprecationMessage`")
                }
                // GitHub ignores keys it does not know in action metadata (`type:`,
                // `deprecation-message`): a warning, never an error.
                _ => cx.ignored_key(
                    p,
                    k,
                    &what,
                    &["description", "required", "default", "deprecationMessage"],
                ),
            }
        }
        out.push(input);
    }
    out
}

fn lower_outputs(node: &Node, cx: &mut Cx<'_>) -> Vec<ActionOutput> {
    let mut out = Vec::new();
    let Some(entries) = cx.map(node, "`outputs`") else {
        return out;
    };
    cx.check_duplicates(entries, "`outputs`");
    for e in entries {
        let Some(name) = cx.key_str(e) else { continue };
        let what = format!("output `{}`", name.value);
        let mut o = ActionOutput {
            name,
            description: None,
            value: None,
        };
        for p in cx.map(&e.value, &what).unwrap_or(&[]) {
            let Some(k) = cx.key(p) else { continue };
            match k {
                "description" => o.description = cx.string(&p.value, "`description`"),
                "value" => o.value = cx.string(&p.value, "`value`"),
                _ => cx.unknown_key(p, k, &what, &["description", "value"]),
            }
        }
        out.push(o);
    }
    out
}

const DOCKER_KEYS: &[&str] = &[
    "using",
    "image",
    "env",
    "entrypoint",
    "pre-entrypoint",
    "post-entrypoint",
    "args",
    "pre-if",
    "post-if",
];
const NODE_KEYS: &[&str] = &["using", "main", "pre", "pre-if", "post", "post-if"];

fn lower_runs(node: &Node, cx: &mut Cx<'_>) -> Option<Runs> {
    let entries = cx.map(node, "`runs`")?;
    cx.check_duplicates(entries, "`runs`");
    let Some(using_entry) = entries.iter().find(|e| e.key.as_str() == Some("using")) else {
        cx.diags.error(
            "required",
            node.span,
            "`runs` needs `using`: `docker`, `composite` or `node20`/`node24`",
        );
        return None;
    };
    let using = cx.required_string(&using_entry.value, "`runs.using`")?;
    let u = using.value.as_str();
    let kind = if u == "docker" {
        RunsKind::Docker(lower_docker_runs(entries, &using, cx))
    } else if u == "composite" {
        lower_composite_runs(entries, &using, cx)
    } else if is_node(u) {
        RunsKind::Node(lower_node_runs(entries, &using, cx))
    } else {
        cx.diags.error(
            "action",
            using.span,
            format!("unknown `runs.using: {u}`; expected `docker`, `composite` or `node12`/`node16`/`node20`/`node24`"),
        );
        RunsKind::Unknown
    };
    Some(Runs {
        using,
        span: node.span,
        kind,
    })
}

/// `runs` of a docker action: `image` is required.
fn lower_docker_runs(entries: &[Entry], using: &Str, cx: &mut Cx<'_>) -> DockerRuns {
    let mut d = DockerRuns::default();
    for e in entries {
        let Some(k) = cx.key(e) else { continue };
        let v = &e.value;
        match k {
            "using" => {}
            "image" => d.image = cx.required_string(v, "`runs.image`"),
            "env" => d.env = cx.env(v, "`runs.env`"),
            "entrypoint" => d.entrypoint = cx.string(v, "`runs.entrypoint`"),
            "pre-entrypoint" => d.pre_entrypoint = cx.string(v, "`runs.pre-entrypoint`"),
            "post-entrypoint" => d.post_entrypoint = cx.string(v, "`runs.post-entrypoint`"),
            "pre-if" => d.pre_if = cx.string(v, "`runs.pre-if`"),
            "post-if" => d.post_if = cx.string(v, "`runs.post-if`"),
            "args" => d.args = cx.str_list(v, "`runs.args`").value,
            _ => cx.unknown_key(e, k, "`runs` of a docker action", DOCKER_KEYS),
        }
    }
    if d.image.is_none() {
        cx.diags.error(
            "required",
            using.span,
            "a docker action needs `runs.image` (`Dockerfile` or `docker://IMAGE`)",
        );
    }
    d
}

/// `runs` of a composite action: `steps` is required.
fn lower_composite_runs(entries: &[Entry], using: &Str, cx: &mut Cx<'_>) -> RunsKind {
    let mut steps = Vec::new();
    let mut saw = false;
    for e in entries {
        let Some(k) = cx.key(e) else { continue };
        match k {
            "using" => {}
            "steps" => {
                saw = true;
                steps = lower_steps(&e.value, cx, "`runs.steps`");
            }
            _ => cx.unknown_key(e, k, "`runs` of a composite action", &["using", "steps"]),
        }
    }
    if !saw {
        cx.diags.error(
            "required",
            using.span,
            "a composite action needs `runs.steps`",
        );
    }
    RunsKind::Composite { steps }
}

/// `runs` of a JavaScript action: `main` is required.
fn lower_node_runs(entries: &[Entry], using: &Str, cx: &mut Cx<'_>) -> NodeRuns {
    let mut n = NodeRuns::default();
    for e in entries {
        let Some(k) = cx.key(e) else { continue };
        let v = &e.value;
        match k {
            "using" => {}
            "main" => n.main = cx.required_string(v, "`runs.main`"),
            "pre" => n.pre = cx.string(v, "`runs.pre`"),
            "post" => n.post = cx.string(v, "`runs.post`"),
            "pre-if" => n.pre_if = cx.string(v, "`runs.pre-if`"),
            "post-if" => n.post_if = cx.string(v, "`runs.post-if`"),
            _ => cx.unknown_key(e, k, "`runs` of a JavaScript action", NODE_KEYS),
        }
    }
    if n.main.is_none() {
        cx.diags.error(
            "required",
            using.span,
            "a JavaScript action needs `runs.main`",
        );
    }
    n
}

/// `node12` … `node24` and later: GitHub keeps adding Node versions.
fn is_node(using: &str) -> bool {
    using
        .strip_prefix("node")
        .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use crate::validate::{check_text, FileKind};

    /// GitHub passes an input whose `default:` is YAML null as an empty string
    /// (actions/checkout declares `filter: default: null`); a quoted `'null'` stays text.
    #[test]
    fn a_null_default_is_an_empty_string() {
        for (default, want) in [
            ("null", Some("")),
            ("~", Some("")),
            ("", Some("")),
            ("'null'", Some("null")),
            ("x", Some("x")),
        ] {
            let src = format!(
                "name: a\ndescription: d\ninputs:\n  f:\n    default: {default}\nruns:\n  using: node20\n  main: i.js\n"
            );
            let checked = check_text(&src, FileKind::Action);
            let action = checked.action.expect("an action");
            let got = action.inputs[0].default.as_ref().map(|d| d.value.as_str());
            assert_eq!(got, want, "default: {default}");
        }
    }
}
