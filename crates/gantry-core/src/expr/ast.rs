//! The syntax tree of an expression; every node keeps its byte range.
//!
//! The tree is flat: all nodes of one expression live in one vector and refer to their
//! children by index. A workflow holds thousands of small expressions, and validating it
//! parses every one; one allocation per expression instead of one per node (and no
//! recursive drop) is most of what parsing them costs.

use std::ops::Range;

/// Names and string literals in expressions are short (`github`, `outputs`, `'push'`): a
/// compact string holds up to 24 bytes inline, so parsing them allocates nothing.
pub type Name = compact_str::CompactString;

/// A node's index in its expression.
pub type Id = u32;

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
    Property(Id, Name),
    /// `a[b]`
    Index(Id, Id),
    /// `a.*` / `a[*]`
    Filter(Id),
    Not(Id),
    Binary(BinOp, Id, Id),
    /// A call of a known function; `name` is in its canonical spelling, `args` a range of
    /// the expression's argument list.
    Call {
        name: &'static str,
        name_span: Range<usize>,
        args: Range<Id>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: ExprKind,
    pub span: Range<usize>,
}

/// A parsed expression: its nodes, children before parents, the root last.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub(super) nodes: Vec<Node>,
    /// Call arguments: each call's arguments are one contiguous range.
    pub(super) args: Vec<Id>,
}

/// A node together with the expression it belongs to, to reach its children.
#[derive(Clone, Copy, Debug)]
pub struct ExprRef<'e> {
    tree: &'e Expr,
    id: Id,
}

impl Expr {
    /// The whole expression.
    pub fn root(&self) -> ExprRef<'_> {
        ExprRef {
            tree: self,
            id: self.nodes.len().saturating_sub(1) as Id,
        }
    }

    /// The byte range of the whole expression.
    pub fn span(&self) -> Range<usize> {
        self.root().span()
    }

    /// Every node, children before their parents.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter()
    }

    /// Whether the expression calls `success()`, `failure()`, `cancelled()` or `always()`.
    pub fn uses_status_function(&self) -> bool {
        self.nodes.iter().any(|n| {
            matches!(
                n.kind,
                ExprKind::Call {
                    name: "success" | "failure" | "cancelled" | "always",
                    ..
                }
            )
        })
    }
}

impl<'e> ExprRef<'e> {
    pub fn kind(self) -> &'e ExprKind {
        &self.tree.nodes[self.id as usize].kind
    }

    pub fn span(self) -> Range<usize> {
        self.tree.nodes[self.id as usize].span.clone()
    }

    /// A child of this node (an index found in its kind).
    pub fn at(self, id: Id) -> ExprRef<'e> {
        ExprRef {
            tree: self.tree,
            id,
        }
    }

    /// A call's arguments, given the call's `args` range.
    pub fn args(self, range: &Range<Id>) -> Args<'e> {
        Args {
            tree: self.tree,
            ids: &self.tree.args[range.start as usize..range.end as usize],
        }
    }
}

/// A call's arguments: indexed without collecting them, since a function evaluates each
/// only when it needs it.
#[derive(Clone, Copy, Debug)]
pub struct Args<'e> {
    tree: &'e Expr,
    ids: &'e [Id],
}

impl<'e> Args<'e> {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<ExprRef<'e>> {
        let tree = self.tree;
        self.ids.get(i).map(|&id| ExprRef { tree, id })
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = ExprRef<'e>> + 'e {
        let tree = self.tree;
        self.ids.iter().map(move |&id| ExprRef { tree, id })
    }
}
