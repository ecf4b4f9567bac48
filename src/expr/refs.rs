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
    let mut out = Vec::new();
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
    let mut parts: Vec<Option<&str>> = Vec::new();
    let mut spans: Vec<usize> = Vec::new();
    let mut e = expr;
    loop {
        match &e.kind {
            ExprKind::Context(name) => {
                parts.reverse();
                spans.reverse();
                let mut path = Vec::new();
                let mut end = e.span.end;
                for (p, s_end) in parts.into_iter().zip(spans) {
                    match p {
                        Some(p) => {
                            path.push(p);
                            end = s_end;
                        }
                        None => break,
                    }
                }
                return Some(ContextRef {
                    name,
                    path,
                    span: e.span.start..end,
                });
            }
            ExprKind::Property(b, name) => {
                parts.push(Some(name));
                spans.push(e.span.end);
                e = b;
            }
            ExprKind::Index(b, k) => {
                match &k.kind {
                    ExprKind::Str(s) => parts.push(Some(s)),
                    _ => parts.push(None),
                }
                spans.push(e.span.end);
                e = b;
            }
            ExprKind::Filter(b) => {
                parts.push(None);
                spans.push(e.span.end);
                e = b;
            }
            _ => return None,
        }
    }
}
