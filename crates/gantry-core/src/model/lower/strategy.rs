//! Lowering `strategy:` and the shape of its matrix (expansion is the planner's job).

use super::Cx;
use crate::model::spanned::Spanned;
use crate::model::strategy::{Combos, Dimension, Matrix, MatrixMap, Strategy};
use crate::yaml::tree::{Node, NodeKind};

pub fn lower_strategy(node: &Node, cx: &mut Cx<'_>) -> Option<Strategy> {
    let entries = cx.map(node, "`strategy`")?;
    cx.check_duplicates(entries, "`strategy`");
    let mut s = Strategy {
        span: node.span,
        matrix: None,
        fail_fast: None,
        max_parallel: None,
    };
    for e in entries {
        let Some(key) = cx.key(e) else { continue };
        match key {
            "matrix" => s.matrix = lower_matrix(&e.value, cx),
            "fail-fast" => s.fail_fast = cx.bool_or_expr(&e.value, "`fail-fast`"),
            "max-parallel" => s.max_parallel = cx.num_or_expr(&e.value, "`max-parallel`"),
            _ => cx.unknown_key(
                e,
                key,
                "`strategy`",
                &["matrix", "fail-fast", "max-parallel"],
            ),
        }
    }
    Some(s)
}

fn expr_of(node: &Node) -> Option<String> {
    node.as_str()
        .filter(|s| s.contains("${{"))
        .map(str::to_string)
}

fn lower_matrix(node: &Node, cx: &mut Cx<'_>) -> Option<Spanned<Matrix>> {
    if let Some(e) = expr_of(node) {
        return Some(Spanned::new(
            Matrix::Expr(Spanned::new(e, node.span)),
            node.span,
        ));
    }
    let entries = cx.map(node, "`matrix`")?;
    cx.check_duplicates(entries, "`matrix`");
    let mut m = MatrixMap::default();
    for e in entries {
        let Some(key) = cx.key_str(e) else { continue };
        let v = &e.value;
        match key.value.as_str() {
            "include" | "exclude" => {
                let combos = lower_combos(v, cx, &key.value);
                if key.value == "include" {
                    m.include = combos;
                } else {
                    m.exclude = combos;
                }
            }
            _ => {
                let dim = if let Some(x) = expr_of(v) {
                    Dimension::Expr(x)
                } else if let NodeKind::Seq(items) = &v.kind {
                    if items.is_empty() {
                        cx.diags.error(
                            "matrix",
                            v.span,
                            format!("matrix dimension `{}` has no values", key.value),
                        );
                    }
                    Dimension::Values(items.iter().map(Node::to_owned_node).collect())
                } else {
                    cx.diags.error(
                        "matrix",
                        v.span,
                        format!(
                            "matrix dimension `{}` must be a list of values or an expression, but it is {}",
                            key.value,
                            v.kind_name()
                        ),
                    );
                    continue;
                };
                m.dims.push((key, Spanned::new(dim, v.span)));
            }
        }
    }
    if m.dims.is_empty() && m.include.is_none() {
        cx.diags.error(
            "matrix",
            node.span,
            "the matrix defines no dimension and no `include`, so it has no combination",
        );
    }
    Some(Spanned::new(Matrix::Map(m), node.span))
}

fn lower_combos(node: &Node, cx: &mut Cx<'_>, what: &str) -> Option<Spanned<Combos>> {
    if let Some(x) = expr_of(node) {
        return Some(Spanned::new(Combos::Expr(x), node.span));
    }
    match &node.kind {
        NodeKind::Seq(items) => {
            for item in items.iter() {
                if expr_of(item).is_none() && !matches!(item.kind, NodeKind::Map(_)) {
                    cx.diags.error(
                        "matrix",
                        item.span,
                        format!(
                            "each item of matrix `{what}` must be a mapping of dimension values, but it is {}",
                            item.kind_name()
                        ),
                    );
                }
            }
            Some(Spanned::new(
                Combos::List(items.iter().map(Node::to_owned_node).collect()),
                node.span,
            ))
        }
        _ if node.is_null() => None,
        _ => {
            cx.diags.error(
                "matrix",
                node.span,
                format!(
                    "matrix `{what}` must be a list of mappings or an expression, but it is {}",
                    node.kind_name()
                ),
            );
            None
        }
    }
}
