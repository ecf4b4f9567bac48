//! Checks of written-out matrices beyond their shape: dimension values and `include`/
//! `exclude` entries that repeat an earlier one (they add nothing, or run a leg twice, and
//! usually hide a copy-and-paste slip).

use crate::diag::Diagnostics;
use crate::model::{Combos, Dimension, Matrix, Workflow};
use crate::yaml::node::{Node, NodeKind};

/// Structural equality, ignoring where the nodes are written.
fn same(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (NodeKind::Scalar(x), NodeKind::Scalar(y)) => {
            x.resolve() == y.resolve() || (x.text == y.text && x.style == y.style)
        }
        (NodeKind::Seq(x), NodeKind::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (NodeKind::Map(x), NodeKind::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|e| {
                    y.iter()
                        .any(|f| same(&e.key, &f.key) && same(&e.value, &f.value))
                })
        }
        _ => false,
    }
}

pub fn check(wf: &Workflow, diags: &mut Diagnostics) {
    for job in &wf.jobs {
        let Some(m) = job.strategy.as_ref().and_then(|s| s.matrix.as_ref()) else {
            continue;
        };
        let Matrix::Map(map) = &m.value else { continue };
        for (key, dim) in &map.dims {
            if let Dimension::Values(values) = &dim.value {
                repeats(values, &format!("value of `{}`", key.value), diags);
            }
        }
        for (name, list) in [("include", &map.include), ("exclude", &map.exclude)] {
            let Some(c) = list else { continue };
            let Combos::List(items) = &c.value else {
                continue;
            };
            repeats(items, &format!("{name} entry"), diags);
        }
    }
}

fn repeats(items: &[Node], what: &str, diags: &mut Diagnostics) {
    for (i, item) in items.iter().enumerate() {
        if let Some(first) = items[..i].iter().find(|p| same(p, item)) {
            diags.warning(
                "matrix",
                item.span,
                format!(
                    "this {what} repeats the {what} at line {}",
                    first.span.start.line
                ),
            );
        }
    }
}
