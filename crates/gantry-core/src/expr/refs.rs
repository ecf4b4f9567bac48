//! Static analysis for the validator: which contexts an expression reads, with the part of
//! each path known before run time (`steps.build.outputs.x` → `steps`, [build, outputs, x]).

use super::ast::{Expr, ExprKind, ExprRef, Id};
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

/// A context access as [`visit_context_refs`] finds it: the path is read off the tree on
/// demand, so finding references allocates nothing.
#[derive(Clone, Copy, Debug)]
pub struct RefView<'e> {
    /// The context name, lower case.
    pub name: &'e str,
    /// The node of the last static path part (the context node when there is none).
    end: ExprRef<'e>,
    len: usize,
    /// Where the access starts and where its static path ends.
    start: usize,
    stop: usize,
}

impl<'e> RefView<'e> {
    /// The static path part `i` (`steps.build.outputs` → 0: build, 1: outputs).
    pub fn part(&self, i: usize) -> Option<&'e str> {
        if i >= self.len {
            return None;
        }
        let mut e = self.end;
        for _ in 0..self.len - 1 - i {
            e = e.at(base(e)?);
        }
        part_name(e)
    }

    /// The whole static path.
    pub fn path(&self) -> Vec<&'e str> {
        (0..self.len).filter_map(|i| self.part(i)).collect()
    }

    pub fn span(&self) -> Range<usize> {
        self.start..self.stop
    }
}

/// Every context access in `expr`, outermost chains only.
pub fn context_refs(expr: &Expr) -> Vec<ContextRef<'_>> {
    let mut out = Vec::with_capacity(2);
    visit_context_refs(expr, &mut |r| {
        out.push(ContextRef {
            name: r.name,
            path: r.path(),
            span: r.span(),
        })
    });
    out
}

/// Calls `f` with every context access in `expr`, outermost chains only, in source order.
pub fn visit_context_refs<'e>(expr: &'e Expr, f: &mut impl FnMut(RefView<'e>)) {
    if !expr.nodes.is_empty() {
        collect(expr.root(), f);
    }
}

fn collect<'e>(expr: ExprRef<'e>, f: &mut impl FnMut(RefView<'e>)) {
    // A chain is handled from its outermost node so its full static path is seen once.
    if let Some((r, _)) = chain(expr) {
        f(r);
        // Indexes inside the chain may hold references of their own.
        let mut e = expr;
        loop {
            match e.kind() {
                ExprKind::Property(b, _) | ExprKind::Filter(b) => e = e.at(*b),
                ExprKind::Index(b, k) => {
                    collect(e.at(*k), f);
                    e = e.at(*b);
                }
                _ => break,
            }
        }
        return;
    }
    match expr.kind() {
        ExprKind::Property(a, _) | ExprKind::Filter(a) | ExprKind::Not(a) => {
            collect(expr.at(*a), f)
        }
        ExprKind::Index(a, b) => {
            collect(expr.at(*a), f);
            collect(expr.at(*b), f);
        }
        ExprKind::Binary(..) => collect_operands(expr, f),
        ExprKind::Call { args, .. } => expr.args(args).iter().for_each(|a| collect(a, f)),
        _ => {}
    }
}

/// The operands of a chain of binary operators (`a && b && c`, nested to the left), in
/// source order, recursing only into the operands: a run of `&&` or `||` may be thousands
/// long (GitHub counts it as one level).
fn collect_operands<'e>(expr: ExprRef<'e>, f: &mut impl FnMut(RefView<'e>)) {
    // Nearly every chain is short: its right operands fit on the stack (a `Vec` for each
    // operator cost ~0.5% of `gantry validate`).
    let mut short = [0 as Id; 8];
    let mut n = 0;
    let mut left = expr;
    while let ExprKind::Binary(_, a, b) = left.kind() {
        if n == short.len() {
            return collect_long(expr, f);
        }
        short[n] = *b;
        n += 1;
        left = left.at(*a);
    }
    collect(left, f);
    for &b in short[..n].iter().rev() {
        collect(expr.at(b), f);
    }
}

/// [`collect_operands`] for a chain of more than eight operators.
fn collect_long<'e>(expr: ExprRef<'e>, f: &mut impl FnMut(RefView<'e>)) {
    let mut rights = Vec::new();
    let mut left = expr;
    while let ExprKind::Binary(_, a, b) = left.kind() {
        rights.push(*b);
        left = left.at(*a);
    }
    collect(left, f);
    for b in rights.into_iter().rev() {
        collect(expr.at(b), f);
    }
}

/// The node an access applies to.
fn base(e: ExprRef<'_>) -> Option<Id> {
    match e.kind() {
        ExprKind::Property(b, _) | ExprKind::Index(b, _) | ExprKind::Filter(b) => Some(*b),
        _ => None,
    }
}

/// The property an access names statically: `.name` or `['name']`.
fn part_name(e: ExprRef<'_>) -> Option<&str> {
    match e.kind() {
        ExprKind::Property(_, name) => Some(name.as_str()),
        ExprKind::Index(_, k) => match e.at(*k).kind() {
            ExprKind::Str(s) => Some(s.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// If `e` is an access chain rooted at a context, its reference (built from the root
/// outwards), and whether the path is still static at this node: a dynamic index or `*`
/// ends it.
fn chain(e: ExprRef<'_>) -> Option<(RefView<'_>, bool)> {
    let (mut r, open) = match e.kind() {
        ExprKind::Context(name) => {
            let span = e.span();
            let r = RefView {
                name,
                end: e,
                len: 0,
                start: span.start,
                stop: span.end,
            };
            return Some((r, true));
        }
        _ => chain(e.at(base(e)?))?,
    };
    if !open {
        return Some((r, false));
    }
    if part_name(e).is_none() {
        return Some((r, false));
    }
    r.end = e;
    r.len += 1;
    r.stop = e.span().end;
    Some((r, true))
}
