//! Static analysis for the validator: which contexts an expression reads, with the part of
//! each path known before run time (`steps.build.outputs.x` → `steps`, [build, outputs, x]).

use super::ast::{Expr, ExprKind};
use std::ops::Range;

#[derive(Clone, Debug, PartialEq)]
pub struct ContextRef<'e> {
    /// The context name, lower case.
    pub name: &'e str,
    /// Property names known statically, in order, up to the first dynamic index or `*`, as
    /// written (compare them ignoring case, as GitHub does).
    pub path: Vec<&'e str>,
    /// The span of the whole access (name and known path).
    pub span: Range<usize>,
}

/// Every context access in `expr`, outermost chains only.
pub fn context_refs(expr: &Expr) -> Vec<ContextRef<'_>> {
    let mut out = Vec::with_capacity(2);
    collect(expr, &mut out);
    out
}

fn collect<'e>(expr: &'e Expr, out: &mut Vec<ContextRef<'e>>) {
    // A chain is handled from its outermost node so its full static path is seen once.
    if let Some(r) = chain(expr) {
        out.push(r);
        // Indexes inside the chain may hold references of their own.
        let mut e = expr;
        loop {
            match &e.kind {
                ExprKind::Property(b, _) | ExprKind::Filter(b) => e = b,
                ExprKind::Index(b, k) => {
                    collect(k, out);
                    e = b;
                }
                _ => break,
            }
        }
        return;
    }
    match &expr.kind {
        ExprKind::Property(a, _) | ExprKind::Filter(a) | ExprKind::Not(a) => collect(a, out),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            collect(a, out);
            collect(b, out);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| collect(a, out)),
        _ => {}
    }
}

/// If `expr` is an access chain rooted at a context, its reference.
fn chain(expr: &Expr) -> Option<ContextRef<'_>> {
    chain_from_root(expr).map(|(r, _)| r)
}

/// The chain's reference built from its root outwards (one allocation for the path), and
/// whether the path is still static at this node: a dynamic index or `*` ends it.
fn chain_from_root(e: &Expr) -> Option<(ContextRef<'_>, bool)> {
    let (mut r, open) = match &e.kind {
        ExprKind::Context(name) => {
            let r = ContextRef {
                name,
                // Paths are short: `steps.<id>.outputs.<name>` is the longest common one.
                path: Vec::with_capacity(4),
                span: e.span.clone(),
            };
            return Some((r, true));
        }
        ExprKind::Property(b, _) | ExprKind::Index(b, _) | ExprKind::Filter(b) => {
            chain_from_root(b)?
        }
        _ => return None,
    };
    if !open {
        return Some((r, false));
    }
    let part = match &e.kind {
        ExprKind::Property(_, name) => Some(name.as_str()),
        ExprKind::Index(_, k) => match &k.kind {
            ExprKind::Str(s) => Some(s.as_str()),
            _ => None,
        },
        _ => None,
    };
    match part {
        Some(p) => {
            r.path.push(p);
            r.span.end = e.span.end;
            Some((r, true))
        }
        None => Some((r, false)),
    }
}
