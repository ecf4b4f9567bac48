//! Checks of written-out matrices beyond their shape: dimension values and `include`/
//! `exclude` entries that repeat an earlier one (they add nothing, or run a leg twice, and
//! usually hide a copy-and-paste slip).

use crate::diag::Diagnostics;
use crate::model::{Combos, Dimension, Matrix, Workflow};
use crate::yaml::node::{Node, NodeKind, Resolved};

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

/// A hash that structurally equal nodes (in the sense of [`same`]) share: resolved scalar
/// values, sequences in order, mappings in any order. Comparing these first keeps the
/// pairwise search cheap; only equal fingerprints are compared in full.
fn fingerprint(n: &Node) -> u64 {
    // FNV-1a over the bytes that identify a value.
    fn mix(h: u64, bytes: &[u8]) -> u64 {
        bytes
            .iter()
            .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    }
    const SEED: u64 = 0xcbf2_9ce4_8422_2325;
    match &n.kind {
        NodeKind::Scalar(s) => match s.resolve() {
            Resolved::Null => mix(SEED, b"n"),
            Resolved::Bool(b) => mix(SEED, &[b'b', u8::from(b)]),
            Resolved::Int(i) => mix(mix(SEED, b"i"), &i.to_le_bytes()),
            // 0.0 == -0.0, and NaN is only the same as NaN by its text: both hash alike.
            Resolved::Float(f) if f == 0.0 || f.is_nan() => mix(SEED, b"f0"),
            Resolved::Float(f) => mix(mix(SEED, b"f"), &f.to_bits().to_le_bytes()),
            Resolved::Str(t) => mix(mix(SEED, b"s"), t.as_bytes()),
        },
        NodeKind::Seq(items) => items.iter().fold(mix(SEED, b"["), |h, i| {
            mix(h, &fingerprint(i).to_le_bytes())
        }),
        NodeKind::Map(entries) => entries.iter().fold(mix(SEED, b"{"), |h, e| {
            // Order-independent: GitHub compares include entries as maps.
            h.wrapping_add(mix(
                fingerprint(&e.key),
                &fingerprint(&e.value).to_le_bytes(),
            ))
        }),
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
    let prints: Vec<u64> = items.iter().map(fingerprint).collect();
    for (i, item) in items.iter().enumerate() {
        if let Some(first) = items[..i]
            .iter()
            .zip(&prints)
            .find(|(p, &fp)| fp == prints[i] && same(p, item))
            .map(|(p, _)| p)
        {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn node(src: &str) -> Node {
        crate::yaml::parse(src).unwrap().unwrap()
    }

    #[test]
    fn nodes_that_are_the_same_share_a_fingerprint() {
        let cases: &[(&str, &str, bool)] = &[
            ("1", "1", true),
            ("0x1", "1", true),
            ("true", "True", true),
            ("~", "null", true),
            ("0.0", "-0.0", true),
            (".nan", ".nan", true),
            ("1", "'1'", false),
            ("1", "1.0", false),
            ("a", "b", false),
            ("[1, 2]", "[1, 2]", true),
            ("[1, 2]", "[2, 1]", false),
            ("{os: a, n: 1}", "{n: 1, os: a}", true),
            ("{os: a, n: 1}", "{os: a, n: 2}", false),
            ("{os: [x]}", "{os: x}", false),
        ];
        for &(a, b, want) in cases {
            let (x, y) = (node(a), node(b));
            assert_eq!(same(&x, &y), want, "{a} vs {b}");
            if want {
                assert_eq!(fingerprint(&x), fingerprint(&y), "{a} vs {b}");
            }
        }
    }
}
