//! The crate graph is the architecture: this test reads every `crates/*/Cargo.toml` and
//! checks the arrows the layers promise — the pure core depends on no other Gantry crate,
//! execution knows no adapter or front, the two fronts never depend on each other, there is
//! no cycle — and that `docs/architecture.md` draws exactly the graph the manifests declare.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Each workspace crate and the Gantry crates among its normal dependencies.
fn manifests() -> Graph {
    let mut graph = Graph::new();
    let dirs = std::fs::read_dir(root().join("crates")).expect("crates/ beside Cargo.toml");
    for dir in dirs {
        let path = dir.unwrap().path().join("Cargo.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: toml::Table = text
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = doc["package"]["name"].as_str().unwrap().to_string();
        let deps = doc
            .get("dependencies")
            .and_then(|d| d.as_table())
            .map(|t| {
                t.keys()
                    .filter(|k| k.starts_with("gantry-"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        graph.insert(name, deps);
    }
    graph
}

/// The `A --> B` lines of the mermaid block in docs/architecture.md.
fn drawn() -> Graph {
    let text = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    let block = text
        .split("```mermaid")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/architecture.md has a ```mermaid block");
    let mut graph = Graph::new();
    for line in block.lines() {
        let line = line.trim();
        if let Some((from, to)) = line.split_once("-->") {
            let (from, to) = (from.trim().to_string(), to.trim().to_string());
            if from == "gantry" {
                continue;
            }
            graph.entry(to.clone()).or_default();
            graph.entry(from).or_default().insert(to);
        } else if line.starts_with("gantry-") {
            // A crate on a line of its own: a node with no Gantry dependency.
            graph.entry(line.to_string()).or_default();
        }
    }
    graph
}

fn reaches(graph: &Graph, from: &str, to: &str) -> bool {
    let mut stack = vec![from.to_string()];
    let mut seen = BTreeSet::new();
    while let Some(n) = stack.pop() {
        for d in graph.get(&n).into_iter().flatten() {
            if d == to {
                return true;
            }
            if seen.insert(d.clone()) {
                stack.push(d.clone());
            }
        }
    }
    false
}

#[test]
fn layers_point_down_and_the_fronts_stay_apart() {
    let g = manifests();
    assert!(
        g.len() >= 10,
        "expected the layer crates, found {:?}",
        g.keys()
    );
    assert!(
        g["gantry-core"].is_empty(),
        "the core depends on {:?}",
        g["gantry-core"]
    );
    for (below, above) in [
        ("gantry-plan", "gantry-engine"),
        ("gantry-core", "gantry-plan"),
        ("gantry-engine", "gantry-docker"),
        ("gantry-engine", "gantry-store"),
        ("gantry-engine", "gantry-load"),
        ("gantry-engine", "gantry-kafka"),
        ("gantry-engine", "gantry-jobsvc"),
        ("gantry-engine", "gantry-results"),
        ("gantry-cli", "gantry-serve"),
        ("gantry-serve", "gantry-cli"),
    ] {
        assert!(
            !reaches(&g, below, above),
            "{below} must not depend on {above}"
        );
    }
    for name in g.keys() {
        assert!(!reaches(&g, name, name), "{name} is in a dependency cycle");
    }
}

#[test]
fn docs_architecture_draws_the_manifests_graph() {
    assert_eq!(
        drawn(),
        manifests(),
        "docs/architecture.md's mermaid graph differs from crates/*/Cargo.toml"
    );
}

#[test]
fn the_binary_joins_the_two_fronts_only() {
    let text = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    let deps: BTreeSet<&String> = doc["dependencies"]
        .as_table()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("gantry-"))
        .collect();
    let want = ["gantry-cli", "gantry-serve"];
    assert_eq!(
        deps,
        want.iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
            .iter()
            .collect()
    );
}
