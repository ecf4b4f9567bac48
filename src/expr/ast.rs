//! The syntax tree of an expression; every node keeps its byte range.

use std::ops::Range;

/// Names and string literals in expressions are short (`github`, `outputs`, `'push'`): a
/// compact string holds up to 24 bytes inline, so parsing them allocates nothing.
pub type Name = compact_str::CompactString;

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Range<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Number(f64),
    Str(Name),
    /// A context name at the head of an access chain (`github`, `steps`, ...).
    Context(Name),
    /// `a.b`
    Property(Box<Expr>, Name),
    /// `a[b]`
    Index(Box<Expr>, Box<Expr>),
    /// `a.*` / `a[*]`
    Filter(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// A call of a known function; `name` is in its canonical spelling.
    Call {
        name: &'static str,
        name_span: Range<usize>,
        args: Vec<Expr>,
    },
}

impl Expr {
    /// Visits this node and every node below it, parents first.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Property(a, _) | ExprKind::Filter(a) | ExprKind::Not(a) => a.walk(f),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|a| a.walk(f)),
            _ => {}
        }
    }

    /// Whether the expression calls `success()`, `failure()`, `cancelled()` or `always()`.
    pub fn uses_status_function(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| {
            if let ExprKind::Call { name, .. } = &e.kind {
                found |= matches!(*name, "success" | "failure" | "cancelled" | "always");
            }
        });
        found
    }
}
