//! Table tests for plain and quoted scalars: folding, escapes, comments, and where a
//! plain scalar ends; each checked against libyaml too.

use super::super::testutil::{check_errors, check_table, dump_spans};

#[test]
fn plain_scalars() {
    check_table(&[
        ("a: hello world\n", "{a: P\"hello world\"}"),
        ("a: x#y\n", "{a: x#y}"),
        ("a: x #y\n", "{a: x}"),
        ("a: x\t#y\n", "{a: x}"),
        ("a: x  \n", "{a: x}"),
        ("a: x  y   z  # c\n", "{a: P\"x  y   z\"}"),
        ("a: x:y z\n", "{a: P\"x:y z\"}"),
        ("a: one two\n  three  four # c\n", "{a: P\"one two three  four\"}"),
        ("[a b , c #d\n]\n", "[P\"a b\", c]"),
        ("a: ${{ github.ref }}\n", "{a: P\"${{ github.ref }}\"}"),
        ("a: -x\n", "{a: -x}"),
        ("a: ?x\n", "{a: ?x}"),
        ("a: :x\n", "{a: :x}"),
        ("a: x:\n", "ERROR mapping values are not allowed here at line 1, column 5"),
        ("a: [x]y\n", "ERROR did not find expected key at line 1, column 7"),
        ("a: x]y\n", "{a: P\"x]y\"}"),
        ("a: 1\n", "{a: 1}"),
        ("a: 'x\n\n\n  y'\n", "{a: S\"x\\n\\ny\"}"),
        ("top\nlevel\n", "P\"top level\""),
        ("a: one\n\n  two\n   three\n", "{a: P\"one\\ntwo three\"}"),
        ("a: one   \n  two\n", "{a: P\"one two\"}"),
        ("a: x\n...\n", "{a: x}"),
        ("a\n---\n", "ERROR found a second document; a workflow file holds one YAML document at line 2, column 1"),
    ]);
}

#[test]
fn single_quoted_scalars() {
    check_table(&[
        ("a: 'it''s'\n", "{a: S\"it's\"}"),
        ("a: ''\n", "{a: S\"\"}"),
        ("a: '#x'\n", "{a: S\"#x\"}"),
        ("a: 'x\\n'\n", "{a: S\"x\\\\n\"}"),
        ("a: 'one\n  two'\n", "{a: S\"one two\"}"),
        ("a: 'one  \n\n  two'\n", "{a: S\"one\\ntwo\"}"),
        ("a: 'x'#c\n", "{a: S\"x\"}"),
        ("a: 'true'\n", "{a: S\"true\"}"),
        ("a: 'x\n'\n", "{a: S\"x \"}"),
    ]);
}

#[test]
fn double_quoted_scalars() {
    check_table(&[
        ("a: \"x\"\n", "{a: D\"x\"}"),
        (
            r#"a: "\n\t\\\"\/\0\a\b\e\f\r\v""#,
            r#"{a: D"\n\t\\\"/\0\u{7}\u{8}\u{1b}\u{c}\r\u{b}"}"#,
        ),
        (
            r#"a: "\N\_\L\P""#,
            r#"{a: D"\u{85}\u{a0}\u{2028}\u{2029}"}"#,
        ),
        (r#"a: "\x41\u00e9\U0001F600\ ""#, r#"{a: D"Aé😀 "}"#),
        ("a: \"\\\t\"\n", "{a: D\"\\t\"}"),
        ("a: \"one\n  two\"\n", "{a: D\"one two\"}"),
        ("a: \"one\\\n  two\"\n", "{a: D\"onetwo\"}"),
        ("a: \"one\\\n\n  two\"\n", "{a: D\"one\\ntwo\"}"),
        ("a: \"one \\\n  two\"\n", "{a: D\"one two\"}"),
        ("a: \"x  \"\n", "{a: D\"x  \"}"),
        ("a: \"x\\n  \n  y\"\n", "{a: D\"x\\n y\"}"),
        ("a: \"1\"\n", "{a: D\"1\"}"),
        ("a: \"\"\n", "{a: D\"\"}"),
        ("\"a\": \"b\"\n", "{D\"a\": D\"b\"}"),
    ]);
}

#[test]
fn scalar_spans() {
    assert_eq!(
        dump_spans("a: 'x''y'\n"),
        "{a@1:1-1:2: S\"x'y\"@1:4-1:10}@1:1-1:10"
    );
    assert_eq!(
        dump_spans("a: \"x\n  y\"\n"),
        "{a@1:1-1:2: D\"x y\"@1:4-2:5}@1:1-2:5"
    );
    assert_eq!(
        dump_spans("a: b c # d\n"),
        "{a@1:1-1:2: P\"b c\"@1:4-1:7}@1:1-1:7"
    );
}

#[test]
fn scalar_errors() {
    check_errors(&[
        ("a: \"x\n", "unterminated quoted scalar", 1, 4),
        ("a: 'x\n\n", "unterminated quoted scalar", 1, 4),
        (
            "a: \"\\q\"\n",
            "while parsing a quoted scalar: found unknown escape character",
            1,
            5,
        ),
        (
            "a: \"\\x4\"\n",
            "while parsing a quoted scalar: did not find expected hexadecimal",
            1,
            5,
        ),
        (
            "a: \"\\uD800\"\n",
            "while parsing a quoted scalar: found invalid Unicode",
            1,
            5,
        ),
        (
            "a: \"\\U00110000\"\n",
            "while parsing a quoted scalar: found invalid Unicode",
            1,
            5,
        ),
        (
            "a: \"x\n---\ny\"\n",
            "while scanning a quoted scalar: found unexpected document indicator",
            2,
            1,
        ),
        (
            "a: x\n\tb\n",
            "while scanning a plain scalar: found a tab character that violates",
            2,
            1,
        ),
    ]);
}
