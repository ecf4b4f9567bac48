//! Table tests of the YAML parser: values, positions, errors, and no panic on mutated input.

use super::node::{Node, NodeKind, Resolved};
use super::parse;

/// A compact rendering of a tree: `{k: v}`, `[a, b]`, strings quoted, other scalars bare.
fn show(n: &Node) -> String {
    match &n.kind {
        NodeKind::Scalar(s) => match s.resolve() {
            Resolved::Null => "~".into(),
            Resolved::Bool(b) => b.to_string(),
            Resolved::Int(i) => i.to_string(),
            Resolved::Float(f) => f.to_string(),
            Resolved::Str(t) => format!("{t:?}"),
        },
        NodeKind::Seq(items) => format!(
            "[{}]",
            items.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        NodeKind::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|e| format!("{}: {}", show(&e.key), show(&e.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn ok(src: &str) -> String {
    show(
        &parse(src)
            .unwrap_or_else(|e| panic!("{src:?}: {e}"))
            .expect("a document"),
    )
}

#[test]
fn values() {
    let cases: &[(&str, &str)] = &[
        ("a: 1", r#"{"a": 1}"#),
        ("on: push", r#"{"on": "push"}"#),
        (
            "a:\n  b: c\n  d: [1, 2]\n",
            r#"{"a": {"b": "c", "d": [1, 2]}}"#,
        ),
        ("k:\n- a\n- b\nz: 1\n", r#"{"k": ["a", "b"], "z": 1}"#),
        (
            "- name: x\n  run: y\n- z\n",
            r#"[{"name": "x", "run": "y"}, "z"]"#,
        ),
        ("- - a\n  - b\n- c\n", r#"[["a", "b"], "c"]"#),
        ("a:\nb: ~\nc: null\n", r#"{"a": ~, "b": ~, "c": ~}"#),
        (
            "a: 'it''s'\nb: \"tab\\there \\u00e9\"\n",
            r#"{"a": "it's", "b": "tab\there é"}"#,
        ),
        (
            "a: plain\n  continued\n\n  para\n",
            r#"{"a": "plain continued\npara"}"#,
        ),
        (
            "a: |\n  x\n    y\n\n  z\nb: 1\n",
            r#"{"a": "x\n  y\n\nz\n", "b": 1}"#,
        ),
        (
            "a: >\n  folded\n  text\n\n  next\n",
            r#"{"a": "folded text\nnext\n"}"#,
        ),
        ("a: |-\n  strip\n\n", r#"{"a": "strip"}"#),
        ("a: |+\n  keep\n\n", r#"{"a": "keep\n\n"}"#),
        ("a: |2\n    two\n", r#"{"a": "  two\n"}"#),
        (
            "a: {x: 1, y: [a, {b: c}]}",
            r#"{"a": {"x": 1, "y": ["a", {"b": "c"}]}}"#,
        ),
        ("a: [\n  x,\n  y,\n]\n", r#"{"a": ["x", "y"]}"#),
        ("x:\n  a: [\n    1\n  ]\n", r#"{"x": {"a": [1]}}"#),
        (
            "a: &x {k: v}\nb: *x\n",
            r#"{"a": {"k": "v"}, "b": {"k": "v"}}"#,
        ),
        ("a: !!str 12\n", r#"{"a": "12"}"#),
        (
            "url: http://x.y/z#frag\nc: a #comment\n",
            r#"{"url": "http://x.y/z#frag", "c": "a"}"#,
        ),
        ("---\na: 1\n...\n", r#"{"a": 1}"#),
        ("%YAML 1.2\n---\n- 1\n", "[1]"),
        ("\u{feff}a: b\r\nc: d\r\n", r#"{"a": "b", "c": "d"}"#),
        ("a: \"multi\n  line\"\n", r#"{"a": "multi line"}"#),
        ("? key\n: value\n", r#"{"key": "value"}"#),
        ("\"quoted key\": 1\n", r#"{"quoted key": 1}"#),
        (
            "a: 0x10\nb: 1e3\nc: .inf\nd: 3.10\n",
            r#"{"a": 16, "b": 1000, "c": inf, "d": 3.1}"#,
        ),
    ];
    for (src, want) in cases {
        assert_eq!(ok(src), *want, "{src:?}");
    }
    assert_eq!(parse("# only a comment\n").unwrap(), None);
}

#[test]
fn positions() {
    let src = "on: push\njobs:\n  build:\n    steps:\n      - run: |\n          make\n        name: 'é x'\n";
    let root = parse(src).unwrap().unwrap();
    let NodeKind::Map(top) = &root.kind else {
        panic!()
    };
    let jobs = &top[1];
    assert_eq!((jobs.key.span.start.line, jobs.key.span.start.col), (2, 1));
    let NodeKind::Map(j) = &jobs.value.kind else {
        panic!()
    };
    assert_eq!((j[0].key.span.start.line, j[0].key.span.start.col), (3, 3));
    let NodeKind::Map(b) = &j[0].value.kind else {
        panic!()
    };
    let NodeKind::Seq(steps) = &b[0].value.kind else {
        panic!()
    };
    assert_eq!((steps[0].span.start.line, steps[0].span.start.col), (5, 9));
    let NodeKind::Map(step) = &steps[0].kind else {
        panic!()
    };
    assert_eq!(
        (step[0].value.span.start.line, step[0].value.span.start.col),
        (5, 14)
    );
    assert_eq!(step[0].value.span.end.line, 6);
    assert_eq!(
        (step[1].value.span.start.line, step[1].value.span.start.col),
        (7, 15)
    );
    assert_eq!(
        &src[step[1].value.span.start.offset as usize..step[1].value.span.end.offset as usize],
        "'é x'"
    );
    // An empty value sits right after its colon.
    let root = parse("a:\nb: 1\n").unwrap().unwrap();
    let NodeKind::Map(m) = &root.kind else {
        panic!()
    };
    assert_eq!(
        (m[0].value.span.start.line, m[0].value.span.start.col),
        (1, 3)
    );
}

#[test]
fn errors_are_positioned() {
    let cases: &[(&str, u32, u32, &str)] = &[
        ("a: b: c\n", 1, 5, "mapping values are not allowed here"),
        ("a: [1, 2\n", 2, 1, "did not find expected ',' or ']'"),
        ("a: {x: 1\n", 2, 1, "did not find expected ',' or '}'"),
        ("a: 'open\n", 1, 4, "unterminated quoted scalar"),
        ("a: \"open\n", 1, 4, "unterminated quoted scalar"),
        ("a: \"\\q\"\n", 1, 5, "unknown escape"),
        ("a:\n\tb: 1\n", 2, 1, "tab character"),
        ("a: *nope\n", 1, 4, "undefined alias `nope`"),
        ("a: 1\n---\nb: 2\n", 2, 1, "second document"),
        ("a: 1\n  b: 2\n", 2, 4, "mapping values are not allowed"),
        (
            "a:\n  b: [1]\n    c: 2\n",
            3,
            5,
            "did not find expected key",
        ),
        ("- a\nb: 1\n", 2, 1, "did not find expected '-' indicator"),
        ("a: - b\n", 1, 4, "block sequence entries are not allowed"),
        ("a: @x\n", 1, 4, "cannot start any token"),
        ("a: [x, }\n", 1, 8, "did not find expected node content"),
        (
            "a:\n  - x\n  y: 1\n",
            3,
            3,
            "did not find expected '-' indicator",
        ),
    ];
    let mut bad = Vec::new();
    for (src, line, col, frag) in cases {
        let e = parse(src).expect_err(src);
        if !e.message.contains(frag) || (e.pos.line, e.pos.col) != (*line, *col) {
            bad.push(format!(
                "{src:?}: got {}:{} {:?}",
                e.pos.line, e.pos.col, e.message
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    let deep = format!("a: {}{}\n", "[".repeat(1000), "]".repeat(1000));
    assert!(parse(&deep).unwrap_err().message.contains("nesting deeper"));
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        bomb.push_str(&format!(
            "{}: &{} [*{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}]\n",
            (b'a' + i) as char,
            (b'a' + i) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char
        ));
    }
    assert!(parse(&bomb)
        .unwrap_err()
        .message
        .contains("too many alias expansions"));
}

/// Deterministic mutations of a realistic workflow: truncation at every byte, and bytes
/// replaced with YAML's special characters. Nothing may panic; errors point inside.
#[test]
fn no_panic_on_mutated_input() {
    let base = "name: ci\non:\n  push:\n    branches: [main, 'rel/**']\njobs:\n  build:\n    runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n        os: [a, b]\n        include:\n          - os: c\n            x: \"q\\n\"\n    steps:\n      - uses: actions/checkout@v4\n        with: {fetch-depth: 0}\n      - run: |\n          echo hi\n          echo there\n        env:\n          A: &x 1\n          B: *x\n      - name: >-\n          folded\n          text\n";
    let specials = b":-[]{}#&*!|>'\"%@` \t\n?,\\";
    let check = |s: &str| {
        if let Err(e) = parse(s) {
            assert!(e.pos.offset as usize <= s.len(), "{s:?}: {e:?}");
        }
    };
    for i in 0..=base.len() {
        if base.is_char_boundary(i) {
            check(&base[..i]);
        }
    }
    let bytes = base.as_bytes();
    for i in 0..bytes.len() {
        for &sp in specials {
            let mut m = bytes.to_vec();
            m[i] = sp;
            if let Ok(s) = std::str::from_utf8(&m) {
                check(s);
            }
            let mut ins = bytes.to_vec();
            ins.insert(i, sp);
            if let Ok(s) = std::str::from_utf8(&ins) {
                check(s);
            }
        }
    }
}
