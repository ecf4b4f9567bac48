//! Table tests of the expression engine: every operator, coercion rule and function, with
//! the edge cases GitHub's documentation calls out.

use super::*;
use serde_json::json;

fn host() -> MapHost {
    MapHost::new()
        .with(
            "github",
            Value::from_json(&json!({
                "event_name": "push",
                "ref": "refs/heads/main",
                "event": {
                    "commits": [{"message": "fix: a", "id": 1}, {"message": "feat: b", "id": 2}, {"id": 3}],
                    "labels": {"bug": {"name": "bug"}, "doc": {"name": "documentation"}},
                    "number": 42
                }
            })),
        )
        .with("matrix", Value::from_json(&json!({"os": "ubuntu-latest", "node": 18})))
        .with("steps", Value::from_json(&json!({"build": {"outputs": {"version": "1.2.3"}, "outcome": "success"}})))
        .with("env", Value::from_json(&json!({"EMPTY": "", "NAME": "Gantry"})))
}

/// Evaluates and renders as JSON, so arrays and objects compare by content in tests.
fn ev(src: &str) -> serde_json::Value {
    let e = parse_expr(src).unwrap_or_else(|err| panic!("parse {src:?}: {err} at {:?}", err.span));
    evaluate(&e, &host())
        .unwrap_or_else(|err| panic!("eval {src:?}: {err}"))
        .to_json()
}

#[test]
fn literals() {
    let cases: &[(&str, serde_json::Value)] = &[
        ("null", json!(null)),
        ("true", json!(true)),
        ("false", json!(false)),
        ("711", json!(711)),
        ("-9.2", json!(-9.2)),
        ("0xff", json!(255)),
        ("-2.99e-2", json!(-0.0299)),
        ("1e3", json!(1000)),
        ("'Mona the Octocat'", json!("Mona the Octocat")),
        ("'It''s open source!'", json!("It's open source!")),
        ("''", json!("")),
    ];
    for (src, want) in cases {
        assert_eq!(&ev(src), want, "{src}");
    }
    assert!(
        matches!(evaluate(&parse_expr("NaN").unwrap(), &host()).unwrap(), Value::Number(n) if n.is_nan())
    );
}

#[test]
fn equality_and_coercion_as_documented() {
    let cases: &[(&str, bool)] = &[
        ("'' == 0", true),
        ("null == 0", true),
        ("null == false", true),
        ("true == 1", true),
        ("false == 0", true),
        ("'1' == 1", true),
        ("' 1 ' == 1", true),
        ("'0x10' == 16", true),
        ("'abc' == 'ABC'", true),
        ("'abc' != 'abd'", true),
        ("'abc' == 0", false),
        ("NaN == NaN", false),
        ("NaN != NaN", true),
        ("null == null", true),
        ("null == ''", true),
        ("fromJSON('[]') == fromJSON('[]')", false),
        ("github.event == github.event", true),
        ("github.event.commits == github.event.commits", true),
        ("1 < 2", true),
        ("2 <= 2", true),
        ("'b' > 'A'", true),
        ("'B' >= 'a'", true),
        ("'10' > 9", true),
        ("'abc' < 1", false),
        ("'abc' >= 1", false),
        ("NaN < 1", false),
        ("null < 1", true),
        ("true > false", true),
        ("fromJSON('1.5') == 1.5", true),
        ("fromJSON('\"1.5\"') == 1.5", true),
        ("!'0'", false),
        ("!''", true),
        ("!0", true),
        ("!null", true),
        ("!github", false),
    ];
    for (src, want) in cases {
        assert_eq!(ev(src), json!(want), "{src}");
    }
}

#[test]
fn logical_operators_return_operands() {
    let cases: &[(&str, serde_json::Value)] = &[
        ("null && 'x'", json!(null)),
        ("'' || 'default'", json!("default")),
        ("'a' || 'b'", json!("a")),
        ("0 || false", json!(false)),
        ("1 && 'yes'", json!("yes")),
        ("env.EMPTY || env.NAME", json!("Gantry")),
        (
            "github.ref == 'refs/heads/main' && 'prod' || 'dev'",
            json!("prod"),
        ),
        (
            "github.ref == 'refs/heads/x' && 'prod' || 'dev'",
            json!("dev"),
        ),
        ("true || false && false", json!(true)),
        ("(true || false) && false", json!(false)),
        ("1 == 1 && 2 < 3", json!(true)),
        ("!true == false", json!(true)),
    ];
    for (src, want) in cases {
        assert_eq!(&ev(src), want, "{src}");
    }
}

#[test]
fn access_and_filters() {
    let cases: &[(&str, serde_json::Value)] = &[
        ("github.event.number", json!(42)),
        ("GITHUB.EVENT.NUMBER", json!(42)),
        ("github['event']['number']", json!(42)),
        ("github.event.commits[1].message", json!("feat: b")),
        ("github.event.commits[7]", json!(null)),
        ("github.event.commits[-1]", json!(null)),
        ("github.event.commits[1.5].id", json!(2)),
        ("github.event.missing.deeper", json!(null)),
        ("github.ref.length", json!(null)),
        (
            "github.event.commits.*.message",
            json!(["fix: a", "feat: b"]),
        ),
        ("github.event.commits[*].id", json!([1, 2, 3])),
        (
            "github.event.labels.*.name",
            json!(["bug", "documentation"]),
        ),
        ("contains(github.event.labels.*.name, 'BUG')", json!(true)),
        ("steps.build.outputs.version", json!("1.2.3")),
        ("matrix.node", json!(18)),
        ("fromJSON('{\"a\":{\"b\":[10,20]}}').a.b[1]", json!(20)),
    ];
    for (src, want) in cases {
        assert_eq!(&ev(src), want, "{src}");
    }
}

#[test]
fn functions() {
    let cases: &[(&str, serde_json::Value)] = &[
        ("contains('Hello world', 'llo')", json!(true)),
        ("contains('Hello world', 'LLO')", json!(true)),
        ("contains('abc', 'x')", json!(false)),
        ("contains(fromJSON('[\"a\",\"b\"]'), 'A')", json!(true)),
        ("contains(fromJSON('[1,2]'), '2')", json!(true)),
        ("contains(fromJSON('[1,2]'), 3)", json!(false)),
        ("startsWith('Hello world', 'he')", json!(true)),
        ("endsWith('Hello world', 'LD')", json!(true)),
        ("startsWith(12345, 12)", json!(true)),
        (
            "format('Hello {0} {1} {2}', 'Mona', 'the', 'Octocat')",
            json!("Hello Mona the Octocat"),
        ),
        (
            "format('{{Hello {0} {1} {2}!}}', 'Mona', 'the', 'Octocat')",
            json!("{Hello Mona the Octocat!}"),
        ),
        ("format('{{0}} {0}', 'x')", json!("{0} x")),
        ("format('{0}{0}', 1.5)", json!("1.51.5")),
        ("format('{0}', null)", json!("")),
        (
            "join(github.event.commits.*.message)",
            json!("fix: a,feat: b"),
        ),
        (
            "join(github.event.commits.*.message, ' | ')",
            json!("fix: a | feat: b"),
        ),
        ("join('abc')", json!("abc")),
        ("join(fromJSON('[true, 1, null]'), '-')", json!("true-1-")),
        (
            "toJSON(matrix)",
            json!("{\n  \"os\": \"ubuntu-latest\",\n  \"node\": 18\n}"),
        ),
        ("toJSON('x')", json!("\"x\"")),
        ("toJSON(1.0)", json!("1")),
        ("fromJSON('true')", json!(true)),
        ("fromJSON('null')", json!(null)),
        ("fromJSON('[1, \"two\"]')", json!([1, "two"])),
        ("case(false, 'a', true, 'b', 'c')", json!("b")),
        // GitHub: predicates must be booleans (a null or 0 predicate is an error, see
        // tests_github::case_predicates_must_be_booleans)
        ("case(false, 'a', 1 == 0, 'b', 'default')", json!("default")),
        (
            "case(matrix.os == 'ubuntu-latest', 'linux', 'other')",
            json!("linux"),
        ),
        ("success()", json!(true)),
        ("always()", json!(true)),
        ("failure()", json!(false)),
        ("cancelled()", json!(false)),
        ("FROMJSON('1')", json!(1)),
    ];
    for (src, want) in cases {
        assert_eq!(&ev(src), want, "{src}");
    }
}

#[test]
fn status_functions_follow_the_host() {
    let mut h = host();
    h.status = JobStatus::Failure;
    let run = |src: &str, h: &MapHost| evaluate(&parse_expr(src).unwrap(), h).unwrap().truthy();
    assert!(run("failure()", &h) && !run("success()", &h) && run("always()", &h));
    h.status = JobStatus::Cancelled;
    assert!(run("cancelled()", &h) && !run("failure()", &h));
}

#[test]
fn after_a_skipped_need_only_always_and_not_cancelled_hold() {
    let mut h = host();
    h.status = JobStatus::Skipped;
    let cases = [
        ("success()", false),
        ("failure()", false),
        ("cancelled()", false),
        ("always()", true),
        ("!cancelled()", true),
        // No status function: `success() && ...`, so the job is skipped.
        ("true", false),
        ("github.event_name != ''", false),
    ];
    for (src, want) in cases {
        let got = parse_condition(src).unwrap().evaluate(&h).unwrap();
        assert_eq!(got, want, "{src}");
    }
}

#[test]
fn evaluation_errors() {
    let err = |src: &str| evaluate(&parse_expr(src).unwrap(), &host()).unwrap_err();
    assert!(err("fromJSON('{nope')").message.contains("not valid JSON"));
    assert!(err("format('{0')").message.contains("invalid placeholder"));
    assert!(err("format('{1}', 'a')")
        .message
        .contains("has no argument"));
    assert!(err("format('a}b')").message.contains("unmatched `}`"));
    // The function's name once: the host's error does not repeat it.
    assert_eq!(
        err("hashFiles('**/x')").message,
        "hashFiles: not available here"
    );
    let e = err("1 == secrets.TOKEN");
    assert_eq!(
        (e.span.clone(), e.message.as_str()),
        (5..12, "context `secrets` is not available here")
    );
}

#[test]
fn parse_errors_point_at_the_column() {
    let cases: &[(&str, usize, &str)] = &[
        ("github.sha ==  ", 15, "ends after an operator"),
        ("a ==", 4, "ends after an operator"),
        (
            "contains('a')",
            0,
            "`contains` takes 2 arguments, but got 1",
        ),
        ("toJSON(a, b)", 0, "`toJSON` takes 1 argument, but got 2"),
        ("case(a, b)", 0, "odd number of arguments"),
        ("nope(1)", 0, "unknown function `nope`"),
        (
            "format('x'",
            10,
            "ends before `)` closes the call to `format` opened at column 7",
        ),
        ("(1 == 1", 7, "ends before `)` closes"),
        ("a.b c", 4, "unexpected `c` after a complete expression"),
        ("\"double\"", 0, "strings use single quotes"),
        ("a = b", 2, "compare with `==`"),
        ("'open", 0, "unterminated string"),
        ("a.", 1, "expected a property name"),
        ("a[1", 3, "ends before `]` closes"),
        ("", 0, "empty expression"),
        ("1 & 2", 2, "use `&&`"),
        ("12abc", 0, "is not a number"),
    ];
    for (src, off, frag) in cases {
        let e = parse_expr(src).unwrap_err();
        assert_eq!(e.span.start, *off, "{src}: {e}");
        assert!(e.message.contains(frag), "{src}: {e}");
    }
    let deep = format!(
        "{}1{}",
        "(".repeat(MAX_DEPTH + 5),
        ")".repeat(MAX_DEPTH + 5)
    );
    assert!(parse_expr(&deep)
        .unwrap_err()
        .message
        .contains("nests deeper"));
    let nots = format!("{}true", "!".repeat(10_000));
    assert!(parse_expr(&nots).is_err());
}

#[test]
fn templates() {
    let h = host();
    let t = parse_template("Hello ${{ env.NAME }} on ${{ matrix.os }}!").unwrap();
    assert_eq!(
        t.evaluate(&h).unwrap().to_text(),
        "Hello Gantry on ubuntu-latest!"
    );
    let t = parse_template("${{ fromJSON('[1,2]') }}").unwrap();
    assert!(matches!(t.evaluate(&h).unwrap(), Value::Array(_)));
    let t = parse_template("  ${{ matrix.node }} ").unwrap();
    assert_eq!(t.evaluate(&h).unwrap().to_json(), json!(18));
    let t = parse_template("${{ format('{{x}}') }}-${{ 'a}}b' }}").unwrap();
    assert_eq!(t.evaluate(&h).unwrap().to_text(), "{x}-a}}b");
    assert!(parse_template("no expressions").unwrap().is_literal());
    let e = parse_template("echo ${{ github.sha == }}").unwrap_err();
    assert_eq!(e.span.start, 23, "{e}");
    let e = parse_template("x ${{ github.sha").unwrap_err();
    assert_eq!(
        (e.span.start, e.message.as_str()),
        (2, "`${{` is never closed with `}}`")
    );
    let e = parse_template("a ${{ contains(x) }}").unwrap_err();
    assert_eq!(e.span.start, 6);
}

#[test]
fn conditions() {
    let mut h = host();
    let c = parse_condition("github.event_name == 'push'").unwrap();
    assert!(c.evaluate(&h).unwrap());
    let c2 = parse_condition("${{ github.event_name == 'push' }}").unwrap();
    assert_eq!(
        c,
        Condition::Expr {
            expr: match &c {
                Condition::Expr { expr, .. } => expr.clone(),
                _ => unreachable!(),
            },
            offset: 0,
            implicit_success: true
        }
    );
    assert!(c2.evaluate(&h).unwrap());
    h.status = JobStatus::Failure;
    assert!(!c.evaluate(&h).unwrap(), "implicit success() && …");
    assert!(parse_condition("always() && true")
        .unwrap()
        .evaluate(&h)
        .unwrap());
    assert!(parse_condition("failure()").unwrap().evaluate(&h).unwrap());
    let t = parse_condition("${{ false }} && true").unwrap();
    assert!(matches!(t, Condition::Template(_)));
    let e = parse_condition("  github.sha ==").unwrap_err();
    assert_eq!(e.span.start, 15);
}

#[test]
fn context_references() {
    let e = parse_expr("steps.build.outputs.version == needs['lint'].result && matrix[env.K] || github.event.commits.*.id").unwrap();
    let refs = context_refs(&e);
    let view: Vec<(String, Vec<String>)> = refs
        .iter()
        .map(|r| {
            (
                r.name.to_string(),
                r.path.iter().map(|p| p.to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(
        view,
        vec![
            (
                "steps".into(),
                vec!["build".into(), "outputs".into(), "version".into()]
            ),
            ("needs".into(), vec!["lint".into(), "result".into()]),
            ("matrix".into(), vec![]),
            ("env".into(), vec!["K".into()]),
            ("github".into(), vec!["event".into(), "commits".into()]),
        ]
    );
    assert_eq!(refs[0].span, 0..27);
    // A chain's span ends where its static path ends: at a dynamic index or `*`.
    let src = "steps.build.outputs.version == needs['lint'].result && matrix[env.K] || github.event.commits.*.id";
    let m = src.find("matrix").unwrap();
    assert_eq!(refs[2].span, m..m + "matrix".len());
    let g = src.find("github").unwrap();
    assert_eq!(refs[4].span, g..g + "github.event.commits".len());
    let n = src.find("needs").unwrap();
    assert_eq!(refs[1].span, n..n + "needs['lint'].result".len());
}

/// Deterministic pseudo-random inputs from the token alphabet: nothing may panic and every
/// error must point inside the input.
#[test]
fn no_panics_on_arbitrary_input() {
    let alphabet = [
        "(",
        ")",
        "[",
        "]",
        ".",
        "*",
        "!",
        "==",
        "!=",
        "<",
        ">=",
        "&&",
        "||",
        "'",
        "''",
        "a",
        "github",
        "event",
        "1",
        "0x",
        "1e",
        "-",
        ",",
        "contains(",
        "format(",
        "fromJSON(",
        "case(",
        "${{",
        "}}",
        " ",
        "null",
        "true",
        "{0}",
        "\"",
        "ü",
        "\\",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let h = host();
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 24) as usize;
        let mut s = String::new();
        let mut x = seed;
        for _ in 0..len {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s.push_str(alphabet[(x >> 33) as usize % alphabet.len()]);
        }
        match parse_expr(&s) {
            Ok(e) => {
                let _ = evaluate(&e, &h);
            }
            Err(e) => assert!(
                e.span.start <= s.len() && e.span.end <= s.len(),
                "{s:?}: {:?}",
                e.span
            ),
        }
        if let Ok(t) = parse_template(&s) {
            let _ = t.evaluate(&h);
        }
        let _ = parse_condition(&s).map(|c| c.evaluate(&h));
    }
}

/// Behaviours found by running a second, independently written engine against this one
/// and reading GitHub's runner (DTExpressions2): lazy arguments, index rounding, 32-bit
/// hex, `join` of an object, identity ordering, `toJSON` escapes and literal indexing.
#[test]
fn runner_compatibility_details() {
    let cases: &[(&str, serde_json::Value)] = &[
        ("format('{1}', fromJSON('{bad'), 'b')", json!("b")),
        ("case(true, 'x', fromJSON('{bad'))", json!("x")),
        ("contains(fromJSON('[]'), fromJSON('{bad'))", json!(false)),
        ("startsWith(github, fromJSON('{bad'))", json!(false)),
        (
            "join(fromJSON('[\"one\"]'), fromJSON('{bad'))",
            json!("one"),
        ),
        ("github.event.commits[1.9].message", json!("feat: b")),
        ("join(github.event)", json!("")),
        ("github.event <= github.event", json!(true)),
        ("github.event >= github.event", json!(true)),
        ("0xffffffff", json!(-1)),
        ("'0xffffffff' == -1", json!(true)),
        ("toJSON(fromJSON('\"a\\u2028b\"'))", json!("\"a\\u2028b\"")),
        ("toJSON(fromJSON('[]'))", json!("[]")),
        (
            "toJSON(fromJSON('{\"a\":[1,{}]}'))",
            json!("{\n  \"a\": [\n    1,\n    {}\n  ]\n}"),
        ),
    ];
    for (src, want) in cases {
        assert_eq!(&ev(src), want, "{src}");
    }
    let nan = evaluate(&parse_expr("toJSON(NaN)").unwrap(), &host()).unwrap();
    assert_eq!(nan.to_text(), "NaN");
    for bad in ["'abc'[0]", "'abc'.length", "null.x", "true[0]"] {
        assert!(
            parse_expr(bad)
                .unwrap_err()
                .message
                .contains("literal cannot be indexed"),
            "{bad}"
        );
    }
    assert!(parse_expr("1.foo").is_err());
}

/// The tree's shape with every binary operation parenthesised.
fn shape(e: ExprRef<'_>) -> String {
    match e.kind() {
        ExprKind::Binary(op, a, b) => format!("({} {op:?} {})", shape(e.at(*a)), shape(e.at(*b))),
        ExprKind::Not(a) => format!("!{}", shape(e.at(*a))),
        ExprKind::Context(c) => c.as_str().to_owned(),
        ExprKind::Number(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

#[test]
fn precedence_and_associativity() {
    for (src, want) in [
        ("a || b && c == d < e", "(a Or (b And (c Eq (d Lt e))))"),
        ("a < b == c && d || e", "((((a Lt b) Eq c) And d) Or e)"),
        ("a == b != c", "((a Eq b) Ne c)"),
        ("a || b || c", "((a Or b) Or c)"),
        ("a && b && c", "((a And b) And c)"),
        ("a <= b >= c", "((a Le b) Ge c)"),
        ("!a == b", "(!a Eq b)"),
        ("a && (b || c)", "(a And (b Or c))"),
        ("1 > 2 || !b && c != 3", "((1 Gt 2) Or (!b And (c Ne 3)))"),
    ] {
        let e = parse_expr(src).unwrap_or_else(|err| panic!("parse {src:?}: {err}"));
        assert_eq!(shape(e.root()), want, "{src}");
    }
}
