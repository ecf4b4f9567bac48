//! Table tests of the step log tree: groups (nested, unbalanced), numbering, annotations
//! and summaries.

use super::*;
use crate::log_rows::Level;

/// Rows as (stream, line).
type Spec<'a> = &'a [(&'a str, &'a str)];

fn rows(spec: Spec) -> Vec<LogRow> {
    spec.iter()
        .enumerate()
        .map(|(i, (stream, line))| LogRow {
            seq: i as i64 + 1,
            job: "b".into(),
            step: Some("1".into()),
            stream: stream.to_string(),
            line: line.to_string(),
            at: 0,
        })
        .collect()
}

/// The tree in short: `n:text` for lines, `n[title ...]` for groups (`n[title ...` unclosed).
fn shape(nodes: &[Node]) -> String {
    let text = |s: &[Span]| s.iter().map(|s| s.text.as_str()).collect::<String>();
    let parts: Vec<String> = nodes
        .iter()
        .map(|n| match n {
            Node::Line(l) => format!("{}:{}", l.n, text(&l.spans)),
            Node::Group(g) => format!(
                "{}[{} {}{}",
                g.n,
                text(&g.title),
                shape(&g.children),
                if g.unclosed { "" } else { "]" }
            ),
        })
        .collect();
    parts.join(" ")
}

#[test]
fn groups_nest_and_numbering_continues() {
    let table: [(Spec, &str, usize); 6] = [
        (&[("stdout", "a"), ("stdout", "b")], "1:a 2:b", 2),
        (
            &[
                ("stdout", "a"),
                ("group", "Setup"),
                ("stdout", "in"),
                ("endgroup", ""),
                ("stdout", "out"),
            ],
            "1:a 2[Setup 3:in] 4:out",
            4,
        ),
        (
            &[
                ("group", "A"),
                ("group", "B"),
                ("stdout", "x"),
                ("endgroup", ""),
                ("stdout", "y"),
                ("endgroup", ""),
            ],
            "1[A 2[B 3:x] 4:y]",
            4,
        ),
        // Unbalanced: a group never closed holds the rest; a stray close is ignored.
        (&[("group", "A"), ("stdout", "x")], "1[A 2:x", 2),
        (
            &[("endgroup", ""), ("stdout", "x"), ("endgroup", "")],
            "1:x",
            1,
        ),
        (
            &[
                ("group", "A"),
                ("group", "B"),
                ("stdout", "x"),
                ("endgroup", ""),
            ],
            "1[A 2[B 3:x]",
            3,
        ),
    ];
    for (spec, want, count) in table {
        let log = step(&rows(spec));
        assert_eq!(shape(&log.nodes), want, "{spec:?}");
        assert_eq!(log.lines, count, "{spec:?}");
    }
}

#[test]
fn annotations_point_at_the_line_before_them() {
    let a = r#"{"level":"error","message":"bad thing","file":"src/a.rs","line":3}"#;
    let log = step(&rows(&[
        ("annotation", "warning: early"),
        ("stdout", "x"),
        ("system", "error (src/a.rs:3): bad thing"),
        ("annotation", a),
    ]));
    let got: Vec<_> = log
        .notes
        .iter()
        .map(|n| (n.annotation.level, n.annotation.place(), n.line))
        .collect();
    assert_eq!(
        got,
        [
            (Level::Warning, None, None),
            (Level::Error, Some("src/a.rs:3".into()), Some(2)),
        ]
    );
    assert_eq!(shape(&log.nodes), "1:x 2:error (src/a.rs:3): bad thing");
}

#[test]
fn summaries_are_kept_apart_from_lines() {
    let log = step(&rows(&[
        ("summary", "# One"),
        ("stdout", "x"),
        ("summary", "two"),
    ]));
    assert_eq!(log.summary.as_deref(), Some("# One\n\ntwo"));
    assert_eq!(log.lines, 1);
    assert!(step(&rows(&[("stdout", "x")])).summary.is_none());
}

#[test]
fn group_titles_and_lines_are_styled() {
    let log = step(&rows(&[
        ("group", "\x1b[1mBold"),
        ("stdout", "\x1b[31mred"),
    ]));
    let Node::Group(g) = &log.nodes[0] else {
        panic!("{:?}", log.nodes)
    };
    assert_eq!(g.title[0].class, "ansi-bold");
    let Node::Line(l) = &g.children[0] else {
        panic!("{:?}", g.children)
    };
    assert_eq!(
        (l.spans[0].text.as_str(), l.spans[0].class.as_str()),
        ("red", "ansi-red")
    );
}
