//! Table tests for flow collections and inline nodes, each checked against libyaml too.

use super::super::testutil::{check_errors, check_table, dump_spans};

#[test]
fn flow_sequences_and_mappings() {
    check_table(&[
        ("[a, b, c]\n", "[a, b, c]"),
        ("[]\n", "[]"),
        ("{}\n", "{}"),
        ("[a, b,]\n", "[a, b]"),
        ("{a: 1, b: [x, {c: d}]}\n", "{a: 1, b: [x, {c: d}]}"),
        ("[[[a]], [b]]\n", "[[[a]], [b]]"),
        ("{a, b: c}\n", "{a: P\"\", b: c}"),
        ("{\"a\":b, 'c':d}\n", "{D\"a\": b, S\"c\": d}"),
        ("{a: }\n", "{a: P\"\"}"),
        ("[a: b, c]\n", "[{a: b}, c]"),
        ("[a:b]\n", "[a:b]"),
        ("[? a : b]\n", "[{a: b}]"),
        ("{? a}\n", "{a: P\"\"}"),
        ("[a b, c\n  d]\n", "[P\"a b\", P\"c d\"]"),
        ("[a,\n\n b]\n", "[a, b]"),
        ("[a, # comment\n b]\n", "[a, b]"),
        ("[a,#comment\n b]\n", "[a, b]"),
        ("[a#b]\n", "[a#b]"),
        ("[\ta,\tb\t]\n", "[a, b]"),
        ("[http://x.y/z]\n", "[http://x.y/z]"),
        ("{a: [1, 2], b: {c: 3}}\n", "{a: [1, 2], b: {c: 3}}"),
        ("k: [a, 'b c', \"d\"]\n", "{k: [a, S\"b c\", D\"d\"]}"),
        ("[&x a, *x]\n", "[a, a]"),
        ("[!!str 1, ! 2]\n", "[!str 1, ! 2]"),
        ("[-1, -a]\n", "[-1, -a]"),
    ]);
}

#[test]
fn flow_spans_cover_the_brackets() {
    assert_eq!(
        dump_spans("k: [a, {b: c}]\n"),
        "{k@1:1-1:2: [a@1:5-1:6, {b@1:9-1:10: c@1:12-1:13}@1:8-1:14]@1:4-1:15}@1:1-1:15"
    );
    assert_eq!(
        dump_spans("[a: b, c:]"),
        "ERROR while scanning a plain scalar: found unexpected ':' at line 1, column 9"
    );
    assert_eq!(
        dump_spans("[a: ]"),
        "[{a@1:2-1:3: P\"\"@1:4-1:4}@1:2-1:4]@1:1-1:6"
    );
}

#[test]
fn flow_errors() {
    check_errors(&[
        ("[a, b\n", "did not find expected ',' or ']'", 2, 1),
        ("{a: b\n", "did not find expected ',' or '}'", 2, 1),
        ("[a b: c: d]\n", "did not find expected ',' or ']'", 1, 8),
        ("{a: b: c}\n", "did not find expected ',' or '}'", 1, 6),
        ("[,]\n", "did not find expected node content", 1, 2),
        (
            "{a:}\n",
            "while scanning a plain scalar: found unexpected ':'",
            1,
            3,
        ),
        ("[a\n: b]\n", "did not find expected ',' or ']'", 2, 1),
        (
            "[- a]\n",
            "block sequence entries are not allowed in a flow collection",
            1,
            2,
        ),
        (
            "[a, |b]\n",
            "found character that cannot start any token",
            1,
            5,
        ),
        (
            "[a,\n---\n]\n",
            "found a document marker inside a flow collection",
            2,
            1,
        ),
        ("{: b}\n", "did not find expected node content", 1, 2),
        ("k: [a] b\n", "did not find expected key", 1, 8),
    ]);
}

#[test]
fn flow_nesting_is_bounded() {
    let deep = "[".repeat(300) + &"]".repeat(300);
    let e = super::super::testutil::err_of(&deep);
    assert_eq!(
        (e.message.as_str(), e.pos.col),
        ("nesting deeper than 256 levels", 257)
    );
    let ok = "[".repeat(200) + &"]".repeat(200);
    assert!(super::super::parse::parse(&ok).is_ok());
}
