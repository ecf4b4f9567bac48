//! Lowering the YAML tree into the typed model, reporting every shape problem on the way.
//!
//! Each `lower_*` function takes the node it understands and a [`Cx`] to report into; a
//! node of the wrong shape is reported and skipped, never a reason to stop.

mod action;
mod container;
mod job;
mod step;
mod strategy;
mod trigger;
mod workflow;

pub use action::lower_action;
pub use workflow::lower_workflow;
pub use workflow::SCOPES as PERMISSION_SCOPES;

use crate::diag::Diagnostics;
use crate::model::spanned::{BoolOrExpr, Env, NumOrExpr, Spanned, Str, StrMap};
use crate::yaml::node::{Resolved, Span};
use crate::yaml::tree::{Entry, Node, NodeKind};

/// The lowering context: where diagnostics go.
pub struct Cx<'d> {
    pub diags: &'d mut Diagnostics,
}

impl<'d> Cx<'d> {
    pub fn new(diags: &'d mut Diagnostics) -> Cx<'d> {
        Cx { diags }
    }

    fn type_error(&mut self, node: &Node, what: &str, expected: &str) {
        self.diags.error(
            "type",
            node.span,
            format!("{what} must be {expected}, but it is {}", node.kind_name()),
        );
    }

    /// The entries of a mapping, or `None` (reported) when `node` is not one.
    /// A null value reads as an empty mapping: `push:` with nothing after it is common.
    pub fn map<'n>(&mut self, node: &Node<'n>, what: &str) -> Option<&'n [Entry<'n>]> {
        match node.kind {
            NodeKind::Map(entries) => Some(entries),
            _ if node.is_null() => Some(&[]),
            _ => {
                self.type_error(node, what, "a mapping");
                None
            }
        }
    }

    /// The key of a mapping entry as text; non-scalar keys are reported.
    pub fn key<'n>(&mut self, entry: &Entry<'n>) -> Option<&'n str> {
        match entry.key.as_str() {
            Some(k) => Some(k),
            None => {
                self.diags.error(
                    "type",
                    entry.key.span,
                    format!(
                        "a mapping key must be a string, not {}",
                        entry.key.kind_name()
                    ),
                );
                None
            }
        }
    }

    pub fn key_str(&mut self, entry: &Entry) -> Option<Str> {
        self.key(entry)
            .map(|k| Spanned::new(k.to_string(), entry.key.span))
    }

    /// Reports a key that is not allowed here, suggesting the closest allowed one.
    pub fn unknown_key(&mut self, entry: &Entry, key: &str, what: &str, allowed: &[&str]) {
        let msg = unknown_key_message(key, what, allowed);
        self.diags.error("key", entry.key.span, msg);
    }

    /// Like [`Cx::unknown_key`], for places where GitHub accepts and ignores extra keys:
    /// the file runs, but what the key says has no effect.
    pub fn ignored_key(&mut self, entry: &Entry, key: &str, what: &str, allowed: &[&str]) {
        let msg = unknown_key_message(key, what, allowed);
        self.diags
            .warning("key", entry.key.span, format!("{msg} (GitHub ignores it)"));
    }

    /// Reports keys given twice in one mapping; YAML says a mapping has unique keys.
    pub fn check_duplicates(&mut self, entries: &[Entry], what: &str) {
        if entries.len() < 2 {
            return;
        }
        // Most mappings are small; for long ones a set answers "no duplicates" quickly.
        if entries.len() > 16 {
            let mut seen = std::collections::HashSet::with_capacity(entries.len());
            if entries
                .iter()
                .all(|e| e.key.as_str().is_none_or(|k| seen.insert(k)))
            {
                return;
            }
        }
        for (i, e) in entries.iter().enumerate() {
            let Some(k) = e.key.as_str() else { continue };
            if let Some(first) = entries[..i].iter().find(|p| p.key.as_str() == Some(k)) {
                let at = first.key.span.start;
                self.diags.error(
                    "key",
                    e.key.span,
                    format!(
                        "key `{k}` in {what} is already defined at line {}, column {}",
                        at.line, at.col
                    ),
                );
            }
        }
    }

    /// Any scalar as text (GitHub reads `name: 3.10` as "3.10"); null reads as "".
    pub fn string(&mut self, node: &Node, what: &str) -> Option<Str> {
        match &node.kind {
            NodeKind::Scalar(s) => Some(Spanned::new(s.text.to_owned(), node.span)),
            _ => {
                self.type_error(node, what, "a string");
                None
            }
        }
    }

    /// A string that must not be empty or null.
    pub fn required_string(&mut self, node: &Node, what: &str) -> Option<Str> {
        let s = self.string(node, what)?;
        if node.is_null() {
            self.diags
                .error("type", node.span, format!("{what} must not be empty"));
            return None;
        }
        Some(s)
    }

    pub fn bool_or_expr(&mut self, node: &Node, what: &str) -> Option<Spanned<BoolOrExpr>> {
        if let NodeKind::Scalar(s) = &node.kind {
            match s.resolve() {
                Resolved::Bool(b) => return Some(Spanned::new(BoolOrExpr::Bool(b), node.span)),
                Resolved::Str(t) if t.contains("${{") => {
                    return Some(Spanned::new(BoolOrExpr::Expr(t.to_string()), node.span))
                }
                _ => {}
            }
        }
        self.type_error(node, what, "a boolean or an expression");
        None
    }

    pub fn bool(&mut self, node: &Node, what: &str) -> Option<Spanned<bool>> {
        match node.as_scalar().map(|s| s.resolve()) {
            Some(Resolved::Bool(b)) => Some(Spanned::new(b, node.span)),
            _ => {
                self.type_error(node, what, "a boolean");
                None
            }
        }
    }

    pub fn num_or_expr(&mut self, node: &Node, what: &str) -> Option<Spanned<NumOrExpr>> {
        if let NodeKind::Scalar(s) = &node.kind {
            match s.resolve() {
                Resolved::Int(i) => return Some(Spanned::new(NumOrExpr::Num(i as f64), node.span)),
                Resolved::Float(f) => return Some(Spanned::new(NumOrExpr::Num(f), node.span)),
                Resolved::Str(t) if t.contains("${{") => {
                    return Some(Spanned::new(NumOrExpr::Expr(t.to_string()), node.span))
                }
                _ => {}
            }
        }
        self.type_error(node, what, "a number or an expression");
        None
    }

    /// A list of strings; a single scalar counts as a one-item list, as GitHub allows.
    pub fn str_list(&mut self, node: &Node, what: &str) -> Spanned<Vec<Str>> {
        let mut out = Vec::new();
        match &node.kind {
            NodeKind::Seq(items) => {
                out.reserve(items.len());
                for item in items.iter() {
                    match &item.kind {
                        NodeKind::Scalar(s) => out.push(Spanned::new(s.text.to_owned(), item.span)),
                        _ => self.type_error(item, &format!("each item of {what}"), "a string"),
                    }
                }
            }
            NodeKind::Scalar(_) if node.is_null() => {}
            NodeKind::Scalar(s) => out.push(Spanned::new(s.text.to_owned(), node.span)),
            NodeKind::Map(_) => self.type_error(node, what, "a string or a list of strings"),
        }
        Spanned::new(out, node.span)
    }

    /// A `key: scalar` mapping such as `with:` or `outputs:`.
    pub fn str_map(&mut self, node: &Node, what: &str) -> StrMap {
        let mut map = StrMap::default();
        let Some(entries) = self.map(node, what) else {
            return map;
        };
        self.check_duplicates(entries, what);
        map.entries.reserve(entries.len());
        for e in entries {
            let Some(k) = self.key_str(e) else { continue };
            match &e.value.kind {
                NodeKind::Scalar(s) => map
                    .entries
                    .push((k, Spanned::new(s.text.to_owned(), e.value.span))),
                _ => self.type_error(&e.value, &format!("`{}` in {what}", k.value), "a string"),
            }
        }
        map
    }

    /// `env:`: a mapping, or one expression that yields a mapping.
    pub fn env(&mut self, node: &Node, what: &str) -> Env {
        if let Some(s) = node.as_str() {
            if s.contains("${{") {
                return Env::Expr(Spanned::new(s.to_string(), node.span));
            }
        }
        Env::Map(self.str_map(node, what))
    }
}

fn unknown_key_message(key: &str, what: &str, allowed: &[&str]) -> String {
    let mut msg = format!("unexpected key `{key}` in {what}");
    if let Some(best) = suggest(key, allowed) {
        msg.push_str(&format!("; did you mean `{best}`?"));
    } else if !allowed.is_empty() {
        msg.push_str(&format!("; expected one of {}", quote_list(allowed)));
    }
    msg
}

/// The allowed key closest to a misspelt one, if it is close enough to be a typo.
pub(super) fn suggest<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (edit_distance(key, a), *a))
        .filter(|(d, a)| *d <= 2.max(a.len() / 4) && *d < a.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn quote_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The span of the key and value of an entry together.
pub fn entry_span(e: &Entry) -> Span {
    Span::new(e.key.span.start, e.value.span.end.max(e.key.span.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_only() {
        let allowed = ["runs-on", "needs", "steps", "timeout-minutes"];
        assert_eq!(suggest("runs_on", &allowed), Some("runs-on"));
        assert_eq!(suggest("step", &allowed), Some("steps"));
        assert_eq!(suggest("timeout", &allowed), None);
        assert_eq!(suggest("xyz", &allowed), None);
    }
}
