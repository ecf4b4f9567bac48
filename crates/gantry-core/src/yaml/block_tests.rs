//! Table tests for block collections: each case's tree, and (through `check_table`)
//! that libyaml reads the same value.

use super::super::testutil::{check_errors, check_table, dump_spans};

#[test]
fn mappings() {
    check_table(&[
        ("a: 1\nb: two\n", "{a: 1, b: two}"),
        (
            "a:\n  b: 1\n  c:\n    d: x\ne: 2\n",
            "{a: {b: 1, c: {d: x}}, e: 2}",
        ),
        ("a   : 1\n", "{a: 1}"),
        ("\"a b\": 1\n'c': 2\n", "{D\"a b\": 1, S\"c\": 2}"),
        ("[a, b]: c\n", "{[a, b]: c}"),
        ("a:\t1\n", "{a: 1}"),
        ("a: 1\na: 2\n", "{a: 1, a: 2}"),
        (
            "base: &b {x: 1}\nuse:\n  <<: *b\n",
            "{base: {x: 1}, use: {P\"<<\": {x: 1}}}",
        ),
        ("a: b:c\n", "{a: b:c}"),
        ("url: http://x.y/z#frag\n", "{url: http://x.y/z#frag}"),
        ("a: x # comment\n", "{a: x}"),
        ("  indented: 1\n  more: 2\n", "{indented: 1, more: 2}"),
    ]);
}

#[test]
fn empty_values_are_nulls() {
    check_table(&[
        ("a:\nb: 1\n", "{a: P\"\", b: 1}"),
        ("a:\n  # only a comment\nb: 1\n", "{a: P\"\", b: 1}"),
        ("a:", "{a: P\"\"}"),
        ("- \n- a\n-\n", "[P\"\", a, P\"\"]"),
        ("a: # c\n", "{a: P\"\"}"),
    ]);
}

#[test]
fn sequences() {
    check_table(&[
        ("- a\n- b\n", "[a, b]"),
        ("- - a\n  - b\n- c\n", "[[a, b], c]"),
        ("-   a\n-\n  b\n", "[a, b]"),
        ("key:\n- a\n- b\nnext: 1\n", "{key: [a, b], next: 1}"),
        ("key:\n  - a\nnext:\n- b\n", "{key: [a], next: [b]}"),
        (
            "- key: v\n  k2: v2\n- k3: v3\n",
            "[{key: v, k2: v2}, {k3: v3}]",
        ),
        (
            "- name: x\n  with:\n    a: 1\n  run: y\n",
            "[{name: x, with: {a: 1}, run: y}]",
        ),
        ("a:\n- b:\n  - c\n", "{a: [{b: [c]}]}"),
        ("- a\n  b\n", "[P\"a b\"]"),
        ("- a\n  - b\n", "[P\"a - b\"]"),
    ]);
}

#[test]
fn explicit_keys() {
    check_table(&[
        ("? a\n: b\n? c\n", "{a: b, c: P\"\"}"),
        ("? - x\n  - y\n: z\n", "{[x, y]: z}"),
        ("? \n- x\n", "{[x]: P\"\"}"),
        ("? a\n: b: c\n", "{a: {b: c}}"),
    ]);
}

#[test]
fn block_scalars_may_sit_at_their_parent_column() {
    check_table(&[
        ("a:\n|\n x\n", "{a: |\"x\\n\"}"),
        ("- \n|\n x\n", "[|\"x\\n\"]"),
    ]);
}

#[test]
fn multi_line_plain_values_fold() {
    check_table(&[
        (
            "a: one\n  two\n\n  three\nb: 1\n",
            "{a: P\"one two\\nthree\", b: 1}",
        ),
        ("a: one\n # not a comment? it is\nb: 1\n", "{a: one, b: 1}"),
        ("a:\n  one\n  two\n", "{a: P\"one two\"}"),
    ]);
}

#[test]
fn flow_collections_may_close_left_of_their_key() {
    // The shape of pytest's test.yml: libyaml does not check indentation in flow context.
    check_table(&[
        (
            "jobs:\n  m:\n    os: [\n      \"a\",\n\n      \"b\",\n    ]\n\n    x: 1\n",
            "{jobs: {m: {os: [D\"a\", D\"b\"], x: 1}}}",
        ),
        ("a: [\nb, c\n]\nd: 1\n", "{a: [b, c], d: 1}"),
        ("a: {\nb: c,\n}\n", "{a: {b: c}}"),
    ]);
}

#[test]
fn spans_of_keys_values_and_collections() {
    assert_eq!(
        dump_spans("a: 1\nb:\n  - x\n"),
        "{a@1:1-1:2: 1@1:4-1:5, b@2:1-2:2: [x@3:5-3:6]@3:3-3:6}@1:1-3:6"
    );
    assert_eq!(
        dump_spans("a:\nb: 1\n"),
        "{a@1:1-1:2: P\"\"@1:3-1:3, b@2:1-2:2: 1@2:4-2:5}@1:1-2:5"
    );
    assert_eq!(
        dump_spans("- \n- a\n"),
        "[P\"\"@1:2-1:2, a@2:3-2:4]@1:1-2:4"
    );
    assert_eq!(
        dump_spans("é: ü\r\nk: v\r\n"),
        "{P\"é\"@1:1-1:2: P\"ü\"@1:4-1:5, k@2:1-2:2: v@2:4-2:5}@1:1-2:5"
    );
    assert_eq!(
        dump_spans("k: one\n  two\n"),
        "{k@1:1-1:2: P\"one two\"@1:4-2:6}@1:1-2:6"
    );
}

#[test]
fn structure_errors() {
    check_errors(&[
        ("a: b: c\n", "mapping values are not allowed here", 1, 5),
        ("a: 1\n b: 2\n", "mapping values are not allowed here", 2, 3),
        ("a: 1\nb\n", "could not find expected ':'", 2, 1),
        ("a: 1\nb\nc: 2\n", "could not find expected ':'", 2, 1),
        ("- a\nb: 1\n", "did not find expected '-' indicator", 2, 1),
        (
            "- \"a\"\n - b\n",
            "did not find expected '-' indicator",
            2,
            2,
        ),
        ("a: \"x\" y\n", "did not find expected key", 1, 8),
        ("a:\n    b: 1\n  c: 2\n", "did not find expected key", 3, 3),
        ("a: 1\n- b\n", "did not find expected key", 2, 1),
        (
            "key: - a\n",
            "block sequence entries are not allowed here",
            1,
            6,
        ),
        (
            "a:\n\tb: 1\n",
            "found a tab character where indentation is expected",
            2,
            1,
        ),
        (
            "-\tx\n",
            "found a tab character where indentation is expected",
            1,
            2,
        ),
        (
            "a: 1\n\t\nb: 2\n",
            "while scanning a plain scalar: found a tab character",
            2,
            1,
        ),
        (": v\n", "did not find expected key", 1, 1),
        (
            "a: @x\n",
            "found character that cannot start any token",
            1,
            4,
        ),
        (
            "a: `x`\n",
            "found character that cannot start any token",
            1,
            4,
        ),
        ("a: ]\n", "did not find expected node content", 1, 4),
        (
            "&a - x\n",
            "a block collection cannot start on the line",
            1,
            4,
        ),
    ]);
}

#[test]
fn nesting_is_bounded() {
    let deep = "- ".repeat(300) + "x\n";
    assert!(super::super::testutil::err_of(&deep)
        .message
        .starts_with("nesting deeper than 256 levels"));
    let mut nested = String::new();
    for i in 0..300 {
        nested.push_str(&format!("{}k:\n", " ".repeat(i)));
    }
    let e = super::super::testutil::err_of(&nested);
    assert_eq!(
        (e.message.as_str(), e.pos.line),
        ("nesting deeper than 256 levels", 257)
    );
    let ok = "- ".repeat(250) + "x\n";
    assert!(super::super::parse::parse(&ok).is_ok());
}
