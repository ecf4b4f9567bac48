//! The secrets a job of a called workflow sees: only what the caller passes. With
//! `secrets: inherit` the caller's secrets by the same names; with a mapping, each passed
//! secret's expression evaluated with the caller's secrets; anything not passed is empty
//! (as on GitHub), `GITHUB_TOKEN` excepted.

use super::context::RunCtx;
use super::env::eval_text;
use super::error::EngineError;
use super::host::RunHost;
use crate::backend::ContainerBackend;
use gantry_core::expr::{context_refs, parse_template, Object, Value};
use gantry_plan::{CallSource, PassedSecrets};
use std::collections::BTreeMap;

/// Outer secret names an expression reads (`${{ secrets.DEPLOY_TOKEN }}`).
fn outer_names(text: &str) -> Vec<String> {
    let Ok(t) = parse_template(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (e, _) in t.exprs() {
        for r in context_refs(e) {
            if r.name == "secrets" {
                if let Some(n) = r.path.first() {
                    out.push(n.to_ascii_uppercase());
                }
            }
        }
    }
    out
}

pub async fn resolve<B: ContainerBackend>(
    cx: &RunCtx<B>,
    call: &CallSource,
    names: &[String],
    host: &RunHost,
) -> Result<BTreeMap<String, String>, EngineError> {
    let wants_token = names.iter().any(|n| n.eq_ignore_ascii_case("GITHUB_TOKEN"));
    let mut out = BTreeMap::new();
    match &call.secrets {
        PassedSecrets::Inherit => return Ok(cx.store.resolve(names).await?),
        PassedSecrets::None => {}
        PassedSecrets::Map(m) => {
            let mut needed = Vec::new();
            let mut passed = Vec::new();
            for n in names {
                if let Some((_, v)) = m.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)) {
                    needed.extend(outer_names(v));
                    passed.push((n.clone(), v.clone()));
                }
            }
            needed.sort();
            needed.dedup();
            let outer = cx.store.resolve(&needed).await?;
            let mut h = host.clone();
            let mut o = Object::new();
            for (k, v) in &outer {
                o.insert(k.clone(), Value::str(v));
            }
            h.set("secrets", Value::object(o));
            for (n, text) in passed {
                let v = eval_text(&text, &h).map_err(EngineError::Expression)?;
                out.insert(n.to_ascii_uppercase(), v);
            }
        }
    }
    if wants_token && !out.contains_key("GITHUB_TOKEN") {
        out.extend(cx.store.resolve(&["GITHUB_TOKEN".to_string()]).await?);
    }
    for n in names {
        out.entry(n.to_ascii_uppercase()).or_default();
    }
    Ok(out)
}
