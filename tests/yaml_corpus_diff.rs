//! Differential test: Gantry's YAML parser against `serde_yaml_ng` (libyaml) on every file of
//! the compatibility corpus. Both trees are reduced to plain values and must be equal.

use gantry::yaml::node::{Node, NodeKind, Resolved};
mod common;

use common::{corpus, yaml_files};

#[derive(Debug, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Num(u64),
    Str(String),
    Seq(Vec<J>),
    Map(Vec<(J, J)>),
}

fn num(f: f64) -> J {
    // Compare numbers by value (an integer and the same float are one number); NaN == NaN.
    J::Num(if f.is_nan() {
        u64::MAX
    } else {
        (f + 0.0).to_bits()
    })
}

fn ours(n: &Node) -> J {
    match &n.kind {
        NodeKind::Scalar(s) => match s.resolve() {
            Resolved::Null => J::Null,
            Resolved::Bool(b) => J::Bool(b),
            Resolved::Int(i) => num(i as f64),
            Resolved::Float(f) => num(f),
            Resolved::Str(t) => J::Str(t.to_string()),
        },
        NodeKind::Seq(items) => J::Seq(items.iter().map(ours).collect()),
        NodeKind::Map(entries) => J::Map(
            entries
                .iter()
                .map(|e| (ours(&e.key), ours(&e.value)))
                .collect(),
        ),
    }
}

fn theirs(v: &serde_yaml_ng::Value) -> J {
    use serde_yaml_ng::Value as V;
    match v {
        V::Null => J::Null,
        V::Bool(b) => J::Bool(*b),
        V::Number(n) => num(n.as_f64().unwrap_or(f64::NAN)),
        V::String(s) => J::Str(s.clone()),
        V::Sequence(items) => J::Seq(items.iter().map(theirs).collect()),
        V::Mapping(m) => J::Map(m.iter().map(|(k, v)| (theirs(k), theirs(v))).collect()),
        V::Tagged(t) => theirs(&t.value),
    }
}

/// Finds the first place two trees differ, for a readable failure.
fn first_difference(a: &J, b: &J, path: &str) -> String {
    match (a, b) {
        (J::Seq(x), J::Seq(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find(|(_, (p, q))| p != q)
            .map_or(String::new(), |(i, (p, q))| {
                first_difference(p, q, &format!("{path}[{i}]"))
            }),
        (J::Map(x), J::Map(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .find(|(p, q)| p != q)
            .map_or(String::new(), |((k1, v1), (k2, v2))| {
                if k1 != k2 {
                    format!("{path}: key {k1:?} vs {k2:?}")
                } else {
                    first_difference(v1, v2, &format!("{path}.{k1:?}"))
                }
            }),
        _ => format!("{path}: ours {a:?}\n   libyaml {b:?}"),
    }
}

#[test]
fn parser_agrees_with_libyaml_on_the_whole_corpus() {
    let root = corpus();
    let all = yaml_files(&root);
    let mut compared = 0;
    let mut failures = Vec::new();
    for p in &all {
        let text = std::fs::read_to_string(p).unwrap();
        let theirs_v = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&text);
        let ours_v = gantry::yaml::parse(&text);
        match (ours_v, theirs_v) {
            (Ok(Some(o)), Ok(t)) => {
                let (a, b) = (ours(&o), theirs(&t));
                if a != b {
                    failures.push(format!(
                        "{}: {}",
                        p.display(),
                        first_difference(&a, &b, "$")
                    ));
                }
            }
            (Ok(None), Ok(serde_yaml_ng::Value::Null)) => {}
            (Err(e), Ok(_)) => {
                failures.push(format!("{}: we reject ({e}), libyaml accepts", p.display()))
            }
            (Ok(_), Err(e)) => {
                failures.push(format!("{}: libyaml rejects ({e}), we accept", p.display()))
            }
            (Err(_), Err(_)) => {}
            (Ok(None), Ok(_)) => {
                failures.push(format!("{}: we see an empty document", p.display()))
            }
        }
        compared += 1;
    }
    println!("compared {compared} files with serde_yaml_ng");
    assert_eq!(compared, 777);
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
