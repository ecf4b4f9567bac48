//! The typed model of `strategy:` and its matrix. Matrix values stay YAML nodes: they may
//! be any value (objects included) and the planner expands them.

use super::spanned::{BoolOrExpr, NumOrExpr, Spanned, Str};
use crate::yaml::node::{Node, Span};

#[derive(Clone, Debug, PartialEq)]
pub struct Strategy {
    pub span: Span,
    pub matrix: Option<Spanned<Matrix>>,
    pub fail_fast: Option<Spanned<BoolOrExpr>>,
    pub max_parallel: Option<Spanned<NumOrExpr>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Matrix {
    /// `matrix: ${{ fromJSON(...) }}`: known only when the expression is evaluated.
    Expr(Str),
    Map(MatrixMap),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct MatrixMap {
    /// Each dimension in file order: its name and its values (a list or an expression).
    pub dims: Vec<(Str, Spanned<Dimension>)>,
    pub include: Option<Spanned<Combos>>,
    pub exclude: Option<Spanned<Combos>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Dimension {
    Values(Vec<Node>),
    Expr(String),
}

/// `include:`/`exclude:`: a list of partial combinations, or an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Combos {
    List(Vec<Node>),
    Expr(String),
}
