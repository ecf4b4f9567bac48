//! Table tests of the job graph's layout, states and drawing (`graph.rs`, `graph.html`).

use super::*;

fn job(id: &str, key: &str, needs: &[&str]) -> PlannedJob {
    PlannedJob {
        id: id.into(),
        key: key.into(),
        name: key.into(),
        needs: needs.iter().map(|n| n.to_string()).collect(),
        skipped: false,
    }
}

fn part(key: &str, state: &str) -> Part {
    Part {
        key: key.into(),
        name: key.into(),
        state: state.into(),
        ..Part::default()
    }
}

/// a; b (a matrix of two legs) and c need a; d needs b and c.
fn diamond() -> Vec<PlannedJob> {
    vec![
        job("a", "a", &[]),
        job("b", "b (1)", &["a"]),
        job("b", "b (2)", &["a"]),
        job("c", "c", &["a"]),
        job("d", "d", &["b", "c"]),
    ]
}

fn graph_of(jobs: &[PlannedJob], parts: &[Part], ended: bool) -> Graph {
    layout(&Spec { jobs, parts, ended })
}

#[test]
fn a_diamond_has_four_nodes_four_edges_and_three_columns() {
    let g = graph_of(&diamond(), &[], false);
    let nodes: Vec<(&str, usize, usize)> = g
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), n.depth, n.count))
        .collect();
    assert_eq!(nodes, [("a", 0, 1), ("b", 1, 2), ("c", 1, 1), ("d", 2, 1)]);
    let edges: Vec<(&str, &str)> = g
        .edges
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str()))
        .collect();
    assert_eq!(edges, [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]);
    // Columns left to right, nodes of a column one below the other, inside the box.
    let (b, c) = (&g.nodes[1], &g.nodes[2]);
    assert!(g.nodes[0].x < b.x && b.x == c.x && c.x < g.nodes[3].x);
    assert!(b.y + b.h < c.y, "{b:?} {c:?}");
    for n in &g.nodes {
        assert!(
            n.x + g.node_width <= g.width && n.y + n.h <= g.height,
            "{n:?}"
        );
    }
}

#[test]
fn depth_is_the_longest_path() {
    // e needs a directly and through a chain a → f → g: it goes after g.
    let jobs = [
        job("a", "a", &[]),
        job("f", "f", &["a"]),
        job("g", "g", &["f"]),
        job("e", "e", &["a", "g", "a", "missing", "e"]),
    ];
    let g = graph_of(&jobs, &[], false);
    let depths: Vec<usize> = g.nodes.iter().map(|n| n.depth).collect();
    assert_eq!(depths, [0, 1, 2, 3]);
    // a → f, f → g, a → e, g → e: repeated, unknown and own needs draw nothing.
    assert_eq!(g.edges.len(), 4);
    // A cycle (never planned, but stored text is read) ends, with bounded depths.
    let cycle = [job("x", "x", &["y"]), job("y", "y", &["x"])];
    let g = graph_of(&cycle, &[], false);
    assert!(g.nodes.iter().all(|n| n.depth <= 1));
}

#[test]
fn a_matrix_job_of_three_legs_is_one_node_listing_them() {
    let jobs = [
        job("t", "t (1)", &[]),
        job("t", "t (2)", &[]),
        job("t", "t (3)", &[]),
    ];
    let g = graph_of(&jobs, &[], false);
    assert_eq!(g.nodes.len(), 1);
    let t = &g.nodes[0];
    assert_eq!((t.count, t.title.as_str()), (3, "t"));
    let listed: Vec<&str> = t.listed.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(listed, ["t (1)", "t (2)", "t (3)"]);
    assert_eq!(t.legs_json, r#"["t (1)","t (2)","t (3)"]"#);
    assert_eq!(t.href, "t (1)");
}

#[test]
fn a_node_is_the_worst_of_its_legs() {
    let legs = [job("m", "m (1)", &[]), job("m", "m (2)", &[])];
    let ended = true;
    for (states, is_ended, want) in [
        (
            vec![("m (1)", "success"), ("m (2)", "failure")],
            ended,
            "failure",
        ),
        (
            vec![("m (1)", "cancelled"), ("m (2)", "in_progress")],
            !ended,
            "cancelled",
        ),
        (
            vec![("m (1)", "in_progress"), ("m (2)", "success")],
            !ended,
            "in_progress",
        ),
        (vec![("m (1)", "success")], !ended, "queued"),
        (vec![("m (1)", "success")], ended, "success"),
        (
            vec![("m (1)", "skipped"), ("m (2)", "success")],
            ended,
            "success",
        ),
        (vec![], ended, "skipped"),
        (
            vec![("m (1)", "skipped"), ("m (2)", "skipped")],
            ended,
            "skipped",
        ),
        (
            vec![("m (1)", "interrupted"), ("m (2)", "cancelled")],
            ended,
            "failure",
        ),
    ] {
        let parts: Vec<Part> = states.iter().map(|(k, s)| part(k, s)).collect();
        let g = graph_of(&legs, &parts, is_ended);
        assert_eq!(g.nodes[0].state, want, "{states:?} ended: {is_ended}");
    }
}

#[test]
fn a_job_skipped_at_plan_time_is_skipped_whatever_its_row() {
    let mut skipped = job("s", "s", &[]);
    skipped.skipped = true;
    let g = graph_of(std::slice::from_ref(&skipped), &[], false);
    assert_eq!(g.nodes[0].state, "skipped");
    assert_eq!(g.nodes[0].skipped_json, r#"["s"]"#);
}

#[test]
fn without_a_plan_the_rows_are_nodes_without_edges() {
    let parts = [part("build", "success"), part("test", "failure")];
    let g = graph_of(&[], &parts, true);
    let nodes: Vec<(&str, &str, usize)> = g
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), n.state, n.depth))
        .collect();
    assert_eq!(nodes, [("build", "success", 0), ("test", "failure", 0)]);
    assert!(g.edges.is_empty());
    // Legs planned at run time (not in the plan) join their job's node.
    let jobs = [job("t", "t", &[]), job("call", "call", &[])];
    let parts = [part("t (x)", "failure"), part("call/inner", "success")];
    let g = graph_of(&jobs, &parts, true);
    let counts: Vec<(usize, &str)> = g.nodes.iter().map(|n| (n.count, n.state)).collect();
    assert_eq!(counts, [(2, "failure"), (2, "success")]);
}

#[test]
fn names_are_shortened_on_characters_and_kept_whole_in_the_title() {
    let long = "é".repeat(40);
    let mut j = job("x", "x", &[]);
    j.name = long.clone();
    let g = graph_of(&[j], &[], false);
    assert_eq!(g.nodes[0].label.chars().count(), SHOWN);
    assert!(g.nodes[0].label.ends_with('…'));
    assert_eq!(g.nodes[0].title, long);
}

#[test]
fn the_drawing_escapes_names_and_counts_nodes_and_edges() {
    let evil = "<b>&\"";
    let mut jobs = diamond();
    for j in &mut jobs {
        j.name = format!("{evil}{}", j.key);
        j.key = format!("{evil}{}", j.key);
    }
    let g = graph_of(&jobs, &[], false);
    let ctx = minijinja::context! { graph => g };
    let html = super::super::env()
        .get_template("graph.html")
        .and_then(|t| t.render(ctx))
        .unwrap();
    assert!(!html.contains("<b>"), "{html}");
    assert!(html.contains("&lt;b&gt;&amp;&quot;"), "{html}");
    assert_eq!(html.matches("class=\"node ").count(), 4);
    assert_eq!(html.matches("class=\"edge\"").count(), 4);
    assert!(html.contains("role=\"group\""));
    assert!(
        !html.contains("style="),
        "no inline style: the CSP forbids it"
    );
}
