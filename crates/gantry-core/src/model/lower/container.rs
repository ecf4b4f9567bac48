//! Lowering `container:` and `services:`.

use super::Cx;
use crate::model::spanned::Str;
use crate::model::workflow::Container;
use crate::model::Env;
use crate::yaml::tree::{Node, NodeKind};

const CONTAINER_KEYS: &[&str] = &["image", "credentials", "env", "ports", "volumes", "options"];

pub fn lower_container(node: &Node, cx: &mut Cx<'_>, what: &str) -> Option<Container> {
    let mut c = Container {
        span: node.span,
        image: None,
        credentials: None,
        env: Env::default(),
        ports: Vec::new(),
        volumes: Vec::new(),
        options: None,
        extra: Vec::new(),
    };
    if let NodeKind::Scalar(_) = node.kind {
        c.image = cx.required_string(node, what);
        return Some(c);
    }
    let entries = cx.map(node, what)?;
    cx.check_duplicates(entries, what);
    for e in entries {
        let Some(key) = cx.key(e) else { continue };
        let v = &e.value;
        match key {
            "image" => c.image = cx.string(v, &format!("{what} `image`")),
            "credentials" => {
                let Some(cred) = cx.map(v, "`credentials`") else {
                    continue;
                };
                let (mut user, mut pass) = (None, None);
                for ce in cred {
                    let Some(k) = cx.key(ce) else { continue };
                    match k {
                        // GitHub refuses empty credentials.
                        "username" => user = non_empty(cx, &ce.value, "`credentials.username`"),
                        "password" => pass = non_empty(cx, &ce.value, "`credentials.password`"),
                        _ => cx.unknown_key(ce, k, "`credentials`", &["username", "password"]),
                    }
                }
                c.credentials = Some((user, pass));
            }
            "env" => c.env = cx.env(v, &format!("{what} `env`")),
            "ports" => c.ports = cx.str_list(v, "`ports`").value,
            "volumes" => c.volumes = cx.str_list(v, "`volumes`").value,
            "options" => c.options = cx.string(v, "`options`"),
            _ => {
                cx.unknown_key(e, key, what, CONTAINER_KEYS);
                if let Some(k) = cx.key_str(e) {
                    c.extra.push((k, v.to_owned_node()));
                }
            }
        }
    }
    Some(c)
}

pub fn lower_services(node: &Node, cx: &mut Cx<'_>) -> Vec<(Str, Container)> {
    let mut out = Vec::new();
    let Some(entries) = cx.map(node, "`services`") else {
        return out;
    };
    cx.check_duplicates(entries, "`services`");
    for e in entries {
        let Some(id) = cx.key_str(e) else { continue };
        let what = format!("service `{}`", id.value);
        if let Some(c) = lower_container(&e.value, cx, &what) {
            if c.image.is_none() {
                cx.diags
                    .error("required", id.span, format!("{what} needs an `image`"));
            }
            out.push((id, c));
        }
    }
    out
}

/// A string that is neither null nor empty.
fn non_empty(cx: &mut Cx<'_>, node: &Node, what: &str) -> Option<Str> {
    let s = cx.required_string(node, what)?;
    if s.value.is_empty() {
        cx.diags
            .error("type", node.span, format!("{what} must not be empty"));
        return None;
    }
    Some(s)
}
