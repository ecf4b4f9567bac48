//! Differential test: our YAML parser against `serde_yaml_ng` (libyaml) on every workflow
//! and action file of the shared corpus, compared as plain values.
//!
//! The corpus is real GitHub files, so this is what decides whether the parser agrees
//! with what GitHub users' YAML means. A missing corpus fails the test: a differential
//! test that compares nothing must not pass.

use std::path::{Path, PathBuf};

use gantry_core::yaml::node::{Node, NodeKind, Resolved};
use gantry_core::yaml::parse;

/// A comparable value both trees are lowered to.
#[derive(Debug)]
enum V {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<V>),
    Map(Vec<(V, V)>),
    Tagged(String, Box<V>),
}

impl PartialEq for V {
    fn eq(&self, other: &V) -> bool {
        match (self, other) {
            (V::Null, V::Null) => true,
            (V::Bool(a), V::Bool(b)) => a == b,
            (V::Int(a), V::Int(b)) => a == b,
            (V::Float(a), V::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (V::Str(a), V::Str(b)) => a == b,
            (V::Seq(a), V::Seq(b)) => a == b,
            (V::Map(a), V::Map(b)) => a == b,
            (V::Tagged(t, a), V::Tagged(u, b)) => t == u && a == b,
            _ => false,
        }
    }
}

fn from_ours(n: &Node) -> V {
    match &n.kind {
        NodeKind::Scalar(s) => {
            let v = match s.resolve() {
                Resolved::Null => V::Null,
                Resolved::Bool(b) => V::Bool(b),
                Resolved::Int(i) => V::Int(i.into()),
                Resolved::Float(f) => V::Float(f),
                Resolved::Str(t) => V::Str(t.to_string()),
            };
            match s.tag.as_deref().map(String::as_str) {
                None | Some("str") => v,
                Some(t) => V::Tagged(format!("!{t}"), Box::new(v)),
            }
        }
        NodeKind::Seq(items) => V::Seq(items.iter().map(from_ours).collect()),
        NodeKind::Map(entries) => V::Map(
            entries
                .iter()
                .map(|e| (from_ours(&e.key), from_ours(&e.value)))
                .collect(),
        ),
    }
}

fn from_oracle(v: &serde_yaml_ng::Value) -> V {
    use serde_yaml_ng::Value;
    match v {
        Value::Null => V::Null,
        Value::Bool(b) => V::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                V::Int(i.into())
            } else if let Some(u) = n.as_u64() {
                V::Int(u.into())
            } else {
                V::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => V::Str(s.clone()),
        Value::Sequence(items) => V::Seq(items.iter().map(from_oracle).collect()),
        Value::Mapping(m) => V::Map(
            m.iter()
                .map(|(k, v)| (from_oracle(k), from_oracle(v)))
                .collect(),
        ),
        Value::Tagged(t) => V::Tagged(t.tag.to_string(), Box::new(from_oracle(&t.value))),
    }
}

/// `$GANTRY_CORPUS` if set, else `../shared/corpus` beside the project, else the
/// workplace's `/work/shared/corpus`.
fn corpus_root() -> PathBuf {
    let mut candidates: Vec<PathBuf> = std::env::var_os("GANTRY_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    candidates.push(PathBuf::from("/work/shared/corpus"));
    for root in candidates {
        if root.join("workflows").is_dir() {
            return root;
        }
    }
    panic!(
        "YAML corpus not found: set GANTRY_CORPUS, or put it at $CARGO_MANIFEST_DIR/../shared/corpus \
         or /work/shared/corpus, with workflows/ and actions/ in it"
    );
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            collect(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            out.push(path);
        }
    }
}

/// All corpus files (workflows and actions), sorted.
pub fn corpus_files() -> Vec<PathBuf> {
    let root = corpus_root();
    let mut files = Vec::new();
    for sub in ["workflows", "actions"] {
        let dir = root.join(sub);
        assert!(dir.is_dir(), "corpus folder {} is missing", dir.display());
        collect(&dir, &mut files);
    }
    files.sort();
    assert!(files.len() > 100, "only {} corpus files found", files.len());
    files
}

#[test]
fn parser_agrees_with_libyaml_on_the_corpus() {
    let files = corpus_files();
    let mut compared = 0;
    let mut both_fail = Vec::new();
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{} is not readable UTF-8: {e}", path.display()));
        let oracle = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&text);
        let ours = parse(&text);
        match (oracle, ours) {
            (Err(e), _) if e.to_string().contains("duplicate entry") => {
                skipped.push(format!("{} (duplicate key: {e})", path.display()));
                continue;
            }
            (Ok(want), Ok(got)) => {
                let got = got.as_ref().map_or(V::Null, from_ours);
                if got != from_oracle(&want) {
                    failures.push(format!("{}: trees differ", path.display()));
                }
            }
            (Err(want), Err(got)) => {
                both_fail.push(format!("{}: libyaml: {want}; ours: {got}", path.display()));
            }
            (Ok(_), Err(e)) => failures.push(format!(
                "{}: we fail ({e}), libyaml parses it",
                path.display()
            )),
            (Err(e), Ok(_)) => failures.push(format!(
                "{}: libyaml fails ({e}), we parse it",
                path.display()
            )),
        }
        compared += 1;
    }
    println!(
        "compared {compared} corpus files with serde_yaml_ng: {} differ, {} rejected by both, {} skipped",
        failures.len(),
        both_fail.len(),
        skipped.len()
    );
    for s in &both_fail {
        println!("rejected by both: {s}");
    }
    for s in &skipped {
        println!("skipped {s}");
    }
    assert!(
        failures.is_empty(),
        "{} files differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
