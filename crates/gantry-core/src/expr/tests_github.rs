//! Table tests of the places where GitHub's expression engine (actions/runner's
//! `src/Sdk/Expressions`, actions/languageservices' `expressions`) is exact in a way that is
//! easy to get wrong: case folding, depth, `case`, collection keys, `join` separators,
//! signed literals, keyword property names, empty expressions and number text. Every row
//! names the GitHub behaviour it follows.

use super::*;
use serde_json::json;

fn host() -> MapHost {
    MapHost::new()
        .with(
            "obj",
            Value::from_json(&json!({
                "Object": "named Object", "Array": "named Array", "": "empty key",
                "1": "one", "Infinity": "inf", "NaN": "nan", "true": "yes", "null": "nil",
                "inner": {"Infinity": {"NaN": 7}}
            })),
        )
        .with("list", Value::from_json(&json!(["a", "b"])))
        .with("objs", Value::from_json(&json!([{"k": 1}, {"k": 2}])))
}

fn eval_src(src: &str) -> Result<Value, String> {
    let e = parse_expr(src).map_err(|e| format!("parse: {e}"))?;
    evaluate(&e, &host()).map_err(|e| format!("eval: {e}"))
}

/// Evaluates and renders as JSON, so arrays and objects compare by content.
fn ev(src: &str) -> serde_json::Value {
    eval_src(src)
        .unwrap_or_else(|e| panic!("{src:?}: {e}"))
        .to_json()
}

fn check(cases: &[(&str, serde_json::Value)]) {
    for (src, want) in cases {
        assert_eq!(&ev(src), want, "{src}");
    }
}

#[test]
fn comparison_folds_like_to_upper_invariant() {
    let cases: &[(&str, bool)] = &[
        // GitHub: OrdinalIgnoreCase folds to upper case, so 'a' is 'A' (0x41) < '[' (0x5B)
        ("'A' < '['", true),
        ("'a' < '['", true),
        ("'[' > 'a'", true),
        // GitHub: '_' (0x5F) sorts after 'A' (0x41), not before 'a' (0x61)
        ("'_' > 'a'", true),
        ("'a' <= 'A'", true),
        ("'a' >= 'A'", true),
        // GitHub: final sigma upper-cases to Σ like σ
        ("'ς' == 'σ'", true),
        ("'ς' == 'Σ'", true),
        ("'ς' != 'Σ'", false),
        // GitHub: ToUpperInvariant('i') is 'I'; 'İ' (U+0130) stays 'İ'
        ("'i' == 'İ'", false),
        ("'I' == 'İ'", false),
        // GitHub: ordinal casing keeps dotless ı (U+0131) and long ſ (U+017F) as they are
        ("'ı' == 'I'", false),
        ("'ſ' == 'S'", false),
        // GitHub: one UTF-16 unit maps to one: 'ß' and 'ﬁ' do not expand, 'ẞ' is already upper
        ("'ß' == 'SS'", false),
        ("'ß' == 'ẞ'", false),
        ("'ﬁ' == 'FI'", false),
        // GitHub: simple upper-case mappings: µ → Μ, ÿ → Ÿ, titlecase ǅ → Ǆ, ᾳ → ᾼ
        ("'µ' == 'Μ'", true),
        ("'ÿ' == 'Ÿ'", true),
        ("'ǅ' == 'ǆ'", true),
        ("'ᾳ' == 'ᾼ'", true),
        ("'ᾀ' == 'ᾈ'", true),
        // GitHub: letters outside the BMP fold too (Deseret)
        ("'𐐨' == '𐐀'", true),
        // GitHub: ordering is by UTF-16 code units: a surrogate (0xD83D) sorts before U+FF61
        ("'😀' < '｡'", true),
        ("'😀' > '｡'", false),
    ];
    for (src, want) in cases {
        assert_eq!(ev(src), json!(want), "{src}");
    }
}

#[test]
fn functions_fold_like_to_upper_invariant() {
    check(&[
        // GitHub: StartsWith/EndsWith/IndexOf with StringComparison.OrdinalIgnoreCase
        ("startsWith('ςa', 'Σ')", json!(true)),
        ("endsWith('xµ', 'Μ')", json!(true)),
        ("contains('STRASSE', 'ß')", json!(false)),
        ("contains('İstanbul', 'i')", json!(false)),
        ("contains('aıb', 'I')", json!(false)),
        ("contains('x[y', 'X[Y')", json!(true)),
        // GitHub: array elements compare with the same folding (AbstractEqual)
        ("contains(fromJSON('[\"σ\"]'), 'ς')", json!(true)),
        ("contains(fromJSON('[\"ß\"]'), 'ẞ')", json!(false)),
        // GitHub: contains(string, non-primitive) is false, not a search for 'Object'
        ("contains('an Object', obj)", json!(false)),
    ]);
}

fn nest(open: &str, n: usize, mid: &str, close: &str) -> String {
    format!("{}{mid}{}", open.repeat(n), close.repeat(n))
}

/// Source texts that reach exactly GitHub's limit and one past it.
fn depth_pairs() -> Vec<(&'static str, String, String)> {
    let m = MAX_DEPTH;
    let chain = |step: &str, n: usize| format!("obj{}", step.repeat(n));
    vec![
        // GitHub: each `!` is a node: 49 of them put the literal at depth 50
        ("!", nest("!", m - 1, "true", ""), nest("!", m, "true", "")),
        // GitHub: `a.b` is Index(a, 'b'): every `.` is a level
        (".", chain(".k", m - 1), chain(".k", m)),
        ("[n]", chain("[0]", m - 1), chain("[0]", m)),
        ("[*]", chain("[*]", m - 1), chain("[*]", m)),
        (".*", chain(".*", m - 1), chain(".*", m)),
        // GitHub: every call is a node over its arguments
        (
            "call",
            nest("toJSON(", m - 1, "1", ")"),
            nest("toJSON(", m, "1", ")"),
        ),
        // GitHub: `==` is a node; a chain nests to the left
        (
            "==",
            format!("1{}", " == 1".repeat(m - 1)),
            format!("1{}", " == 1".repeat(m)),
        ),
        // languageservices: every parenthesised group is a level
        ("()", nest("(", m - 1, "1", ")"), nest("(", m, "1", ")")),
        // GitHub: levels add up across kinds
        (
            "mixed",
            format!("{}{}", "!".repeat(m - 26), chain(".k", 25)),
            format!("{}{}", "!".repeat(m - 25), chain(".k", 25)),
        ),
    ]
}

#[test]
fn depth_counts_every_nested_node() {
    for (what, ok, deep) in depth_pairs() {
        assert!(parse_expr(&ok).is_ok(), "{what}: {ok}");
        let e = parse_expr(&deep).expect_err(&deep);
        // GitHub: "Exceeded max expression depth 50"
        assert!(
            e.message.contains("Exceeded max expression depth 50"),
            "{what}: {e}"
        );
        assert!(e.message.contains("nests deeper than"), "{what}: {e}");
        assert!(e.span.end <= deep.len(), "{what}: {:?}", e.span);
    }
}

#[test]
fn long_flat_chains_are_one_level() {
    // GitHub: nested `&&` (and `||`) nodes are flattened into one, so a long chain is shallow
    for op in ["&&", "||"] {
        let src = format!("true{}", format!(" {op} true").repeat(5000));
        assert_eq!(ev(&src), json!(true), "{op}");
        let refs = format!("obj.k{}", format!(" {op} obj.k").repeat(5000));
        assert_eq!(context_refs(&parse_expr(&refs).unwrap()).len(), 5001);
    }
    // GitHub: the last operand decides: `&&` returns the first falsy one
    let src = format!("1{} && 0 && 'x'", " && 1".repeat(3000));
    assert_eq!(ev(&src), json!(0));
    // A chain of another operator is deep (each `==` is a node), and refused without overflow.
    let long_eq = format!("1{}", " == 1".repeat(10_000));
    assert!(parse_expr(&long_eq).is_err());
}

#[test]
fn case_predicates_must_be_booleans() {
    check(&[
        ("case(false, 'a', true, 'b', 'c')", json!("b")),
        // GitHub: later predicates are not evaluated once one is true
        ("case(true, 'a', 1, 'b', 'c')", json!("a")),
        ("case(1 == 1, 'a', 'c')", json!("a")),
    ]);
    for src in [
        "case(null, 'a', 'b')",
        "case(0, 'a', 'b')",
        "case(1, 'a', 'b')",
        "case('true', 'a', 'b')",
        "case(false, 'a', 'yes', 'b', 'c')",
        "case(obj, 'a', 'b')",
    ] {
        // GitHub: "case predicate must evaluate to a boolean value"
        let e = eval_src(src).expect_err(src);
        assert!(
            e.contains("case predicate must evaluate to a boolean value"),
            "{src}: {e}"
        );
    }
}

#[test]
fn collection_keys_index_nothing() {
    check(&[
        // GitHub: an object indexed by an array or object has no string key: null
        ("obj[fromJSON('{}')]", json!(null)),
        ("obj[fromJSON('[]')]", json!(null)),
        ("obj[obj]", json!(null)),
        ("obj[list]", json!(null)),
        // GitHub: an array indexed by one has no integer index: null
        ("list[fromJSON('[]')]", json!(null)),
        ("list[obj]", json!(null)),
        // GitHub: inside a filter the same rule drops every element
        ("objs.*[fromJSON('{}')]", json!([])),
        // GitHub: primitive keys are converted to text
        ("obj[null]", json!("empty key")),
        ("obj[1]", json!("one")),
        ("obj['object']", json!("named Object")),
    ]);
}

#[test]
fn join_separator_is_used_only_when_primitive() {
    check(&[
        // GitHub: a primitive separator is converted to text
        ("join(list, 1)", json!("a1b")),
        ("join(list, 0.5)", json!("a0.5b")),
        ("join(list, true)", json!("atrueb")),
        ("join(list, null)", json!("ab")),
        ("join(list, '')", json!("ab")),
        // GitHub: an array or object separator leaves the default ','
        ("join(list, fromJSON('{}'))", json!("a,b")),
        ("join(list, fromJSON('[]'))", json!("a,b")),
        ("join(list, obj)", json!("a,b")),
    ]);
}

#[test]
fn signed_literals() {
    check(&[
        // GitHub: Double.TryParse with AllowLeadingSign
        ("-1", json!(-1)),
        ("+1", json!(1)),
        ("-1.5", json!(-1.5)),
        ("-.5", json!(-0.5)),
        ("-1e3", json!(-1000)),
        ("+2E-1", json!(0.2)),
        ("1 == +1", json!(true)),
        ("toJSON(-Infinity)", json!("-Infinity")),
        ("toJSON(+Infinity)", json!("Infinity")),
        // GitHub: hex and octal take no sign, and only a lower-case `0x`/`0o`
        ("'-0x10' == -16", json!(false)),
        ("'+0x10' == 16", json!(false)),
        ("'-0o17' == -15", json!(false)),
        ("'0X10' == 16", json!(false)),
        ("'0x10' == 16", json!(true)),
    ]);
    // GitHub: the lexer reads `-0xFF` as one number token, which does not parse
    for src in [
        "-0xFF",
        "+0x10",
        "-0o17",
        "0XFF",
        "-NaN",
        "+NaN",
        "1 == -0x1",
    ] {
        assert!(parse_expr(src).is_err(), "{src}");
    }
}

#[test]
fn keywords_after_a_dot_are_property_names() {
    check(&[
        // GitHub: after `.` every word is a property name
        ("obj.Infinity", json!("inf")),
        ("obj.NaN", json!("nan")),
        ("obj.true", json!("yes")),
        ("obj.null", json!("nil")),
        ("obj.inner.Infinity.NaN", json!(7)),
        ("obj. Infinity", json!("inf")),
    ]);
}

#[test]
fn empty_expression_is_an_error_as_on_github() {
    // GitHub's template readers (runner TemplateReader.ParseExpression, languageservices
    // template-reader.ts) refuse `${{ }}`: "An expression was expected".
    for src in ["", "   ", "\n\t"] {
        let e = parse_expr(src).unwrap_err();
        assert!(
            e.message.contains("An expression was expected"),
            "{src:?}: {e}"
        );
    }
    for tpl in ["${{ }}", "${{}}", "a ${{  }} b", "${{ 1 }}${{ }}"] {
        let e = parse_template(tpl).unwrap_err();
        assert!(
            e.message.contains("An expression was expected"),
            "{tpl}: {e}"
        );
    }
}

#[test]
fn numbers_print_like_g15() {
    let cases: &[(f64, &str)] = &[
        // GitHub: Double.ToString("G15"): 15 significant digits, trailing zeros dropped
        (0.845_512_408_225_570_1, "0.84551240822557"),
        (0.1 + 0.2, "0.3"),
        (1.0 / 3.0, "0.333333333333333"),
        (2.0 / 3.0, "0.666666666666667"),
        (123.456, "123.456"),
        (12_345_678.9, "12345678.9"),
        (-1.5, "-1.5"),
        (100.0, "100"),
        // GitHub: integers of up to 15 digits print plainly
        (1e14, "100000000000000"),
        (123_456_789_012_345.0, "123456789012345"),
        (-123_456_789_012_345.0, "-123456789012345"),
        // GitHub: an exponent of 15 or more switches to E notation, at least two digits
        (1e15, "1E+15"),
        (1_234_567_890_123_456.0, "1.23456789012346E+15"),
        (999_999_999_999_999.9, "1E+15"),
        (1e21, "1E+21"),
        (1e100, "1E+100"),
        (f64::MAX, "1.79769313486232E+308"),
        // GitHub: an exponent below -4 switches too
        (0.0001, "0.0001"),
        (0.000_123_4, "0.0001234"),
        (0.00001, "1E-05"),
        (2.5e-7, "2.5E-07"),
        (-1e-7, "-1E-07"),
        (1.5e-300, "1.5E-300"),
        (5e-324, "4.94065645841247E-324"),
        // GitHub: ConvertToString prints negative zero as 0
        (-0.0, "0"),
        (0.0, "0"),
        (f64::NAN, "NaN"),
        (f64::NEG_INFINITY, "-Infinity"),
    ];
    for (n, want) in cases {
        assert_eq!(format_number(*n), *want, "{n:e}");
    }
    check(&[
        // GitHub: format, interpolation and toJSON all use ConvertToString
        (
            "format('{0}', 0.84551240822557006)",
            json!("0.84551240822557"),
        ),
        ("toJSON(1e15)", json!("1E+15")),
        (
            "toJSON(fromJSON('[0.00001, -0.0]'))",
            json!("[\n  1E-05,\n  0\n]"),
        ),
        (
            "format('{0}', 1234567890123456)",
            json!("1.23456789012346E+15"),
        ),
    ]);
    let t = parse_template("n=${{ 0.1 }}${{ 1e-5 }}").unwrap();
    assert_eq!(t.evaluate_text(&host()).unwrap(), "n=0.11E-05");
}

/// Over many doubles of every magnitude: the text reads back as the value rounded to 15
/// significant digits, with at most 15 digits, in the notation its exponent calls for.
#[test]
fn g15_text_is_the_value_rounded_to_15_digits() {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..50_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let n = f64::from_bits(seed);
        if !n.is_finite() || n == 0.0 {
            continue;
        }
        let text = format_number(n);
        let rounded: f64 = format!("{n:.14e}").parse().unwrap();
        assert_eq!(text.parse::<f64>().unwrap(), rounded, "{n:e} → {text}");
        let mantissa = text.split('E').next().unwrap();
        let digits = mantissa
            .trim_start_matches(['-', '0', '.'])
            .replace('.', "");
        assert!(digits.len() <= 15, "{n:e} → {text}");
        let exp = format!("{rounded:e}")
            .split_once('e')
            .unwrap()
            .1
            .parse::<i32>()
            .unwrap();
        // GitHub: E notation exactly when the exponent is below -4 or above 14
        assert_eq!(
            text.contains('E'),
            !(-4..15).contains(&exp),
            "{n:e} → {text}"
        );
    }
}

#[test]
fn non_breaking_and_other_unicode_spaces_separate_tokens() {
    // GitHub: the lexer skips what .NET's `char.IsWhiteSpace` calls white space (U+00A0,
    // U+2003, U+3000 ...), as editors and web pages paste them.
    check(&[
        ("1\u{a0}==\u{a0}1", json!(true)),
        ("\u{2003}list[0]\u{3000}", json!("a")),
    ]);
}

#[test]
fn status_functions_with_job_names_read_their_results() {
    // GitHub: a job's `if:` allows `success(job...)` and `failure(job...)` (JOB_IF_CONTEXT
    // `success(0,MAX)`, `failure(0,MAX)`): the named needed jobs' results decide.
    let needs = json!({"build": {"result": "success"}, "lint": {"result": "failure"}});
    let h = MapHost::new().with("needs", Value::from_json(&needs));
    for (src, want) in [
        ("success('build')", true),
        ("success('build', 'lint')", false),
        ("failure('lint')", true),
        ("failure('build')", false),
        ("success('nobody')", false),
    ] {
        let e = parse_expr(src).unwrap();
        assert!(
            matches!(evaluate(&e, &h).unwrap(), Value::Bool(b) if b == want),
            "{src}"
        );
    }
}

#[test]
fn an_empty_condition_is_success() {
    // GitHub (workflow-parser `convertToIfCondition`): an empty `if:` is `success()`.
    for src in ["", "  "] {
        let c = parse_condition(src).unwrap();
        assert!(c.evaluate(&MapHost::new()).unwrap(), "{src:?}");
        let failed = MapHost {
            status: JobStatus::Failure,
            ..MapHost::new()
        };
        assert!(!c.evaluate(&failed).unwrap(), "{src:?} after a failure");
    }
}
