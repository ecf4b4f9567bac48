//! `gantry eval` through the real binary: bare expressions and templates against contexts
//! from a JSON file, the job status for `success()`/`failure()`, JSON output, and positioned
//! errors with exit code 1. The table rows name the GitHub behaviour they follow.

use std::process::{Command, Output};

fn eval(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gantry"))
        .arg("eval")
        .args(args)
        .output()
        .expect("gantry runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim_end().to_string()
}

fn contexts() -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    let json = serde_json::json!({
        "github": {"ref": "refs/heads/main", "event_name": "push",
                   "event": {"commits": [{"id": "a1"}, {"id": "b2"}], "n": 3}},
        "env": {"STAGE": "prod"},
        "matrix": {"os": "ubuntu-latest", "node": 20},
        "needs": {"build": {"result": "success", "outputs": {"tag": "v1"}}}
    });
    std::fs::write(f.path(), json.to_string()).unwrap();
    f
}

#[test]
fn expressions_evaluate_against_the_given_contexts() {
    let ctx = contexts();
    let path = ctx.path().to_str().unwrap();
    for (expr, want) in [
        // GitHub: `==` on strings ignores case.
        ("github.REF == 'REFS/HEADS/MAIN'", "true"),
        // GitHub: `&&`/`||` return an operand, not a boolean.
        ("env.STAGE == 'prod' && 'yes' || 'no'", "\"yes\""),
        // GitHub: the object filter `*` collects a property of every element.
        ("github.event.commits.*.id", "[\n  \"a1\",\n  \"b2\"\n]"),
        ("${{ matrix.node }}", "20"),
        // GitHub: a template with text around its expressions is a string.
        (
            "v${{ matrix.node }}-${{ matrix.os }}",
            "\"v20-ubuntu-latest\"",
        ),
        ("needs.build.outputs.tag", "\"v1\""),
        // GitHub: a missing property is null, not an error.
        ("github.event.nothing.deeper", "null"),
        ("contains(github.event.commits.*.id, 'B2')", "true"),
        (
            "toJSON(matrix)",
            "\"{\\n  \\\"os\\\": \\\"ubuntu-latest\\\",\\n  \\\"node\\\": 20\\n}\"",
        ),
    ] {
        let o = eval(&["--contexts", path, expr]);
        assert!(
            o.status.success(),
            "{expr}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(stdout(&o), want, "{expr}");
    }
}

#[test]
fn the_job_status_decides_status_functions() {
    for (status, expr, want) in [
        ("success", "success()", "true"),
        ("failure", "success()", "false"),
        ("failure", "failure()", "true"),
        ("cancelled", "cancelled()", "true"),
        ("cancelled", "always()", "true"),
    ] {
        let o = eval(&["--status", status, expr]);
        assert_eq!(stdout(&o), want, "{status}: {expr}");
    }
}

#[test]
fn json_output_names_the_type() {
    let o = eval(&["--format", "json", "format('{0}!', 'hi')"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v, serde_json::json!({"type": "string", "value": "hi!"}));
}

#[test]
fn errors_are_positioned_and_exit_1() {
    let o = eval(&["github.ref == "]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("error: column 15:"), "{err}");
    assert!(err.contains("  | github.ref == \n"), "{err}");
    let o = eval(&["--format", "json", "fromJSON('{')"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["error"]["column"], 1, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("JSON"),
        "{v}"
    );
}

#[test]
fn a_contexts_file_that_is_not_an_object_is_refused_by_name() {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), "[1, 2]").unwrap();
    let o = eval(&["--contexts", f.path().to_str().unwrap(), "1"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("expected a JSON object of contexts"), "{err}");
}

/// The places where GitHub's expression engine is exact in a way that is easy to get wrong,
/// through the binary (the library's tables are in gantry-core's `expr/tests_github.rs`).
#[test]
fn github_exactness_through_the_binary() {
    let f = tempfile::NamedTempFile::new().unwrap();
    let ctx = serde_json::json!({
        "obj": {"Infinity": "inf", "NaN": "nan", "Object": "named Object"},
        "needs": {"build": {"result": "success"}, "lint": {"result": "failure"}}
    });
    std::fs::write(f.path(), ctx.to_string()).unwrap();
    let path = f.path().to_str().unwrap();
    let deep = format!("{}true", "!".repeat(60));
    let rows: Vec<(&str, Option<&str>)> = vec![
        // Comparison folds with ToUpperInvariant: 'A' < '[' (0x41 < 0x5B).
        ("'A' < '['", Some("true")),
        ("'ς' == 'Σ'", Some("true")),
        ("'i' == 'İ'", Some("false")),
        ("startsWith('ßtraße', 'ß')", Some("true")),
        // Depth 50 counts every `!`.
        (&deep, None),
        // case(): a predicate must be a boolean.
        ("case(1, 'a', 'b')", None),
        // A collection as an index key yields null.
        ("obj[fromJSON('{}')]", Some("null")),
        // join: an array or object separator keeps the default `,`; primitives are text.
        (
            "join(fromJSON('[\"a\",\"b\"]'), fromJSON('{}'))",
            Some("\"a,b\""),
        ),
        ("join(fromJSON('[\"a\",\"b\"]'), 1)", Some("\"a1b\"")),
        // A sign before a hex literal is a lexing error.
        ("-0xFF", None),
        ("-1.5", Some("-1.5")),
        // Words after a dot are property names.
        ("obj.Infinity", Some("\"inf\"")),
        ("obj.NaN", Some("\"nan\"")),
        // GitHub's template readers refuse an empty `${{ }}`.
        ("${{ }}", None),
        // Numbers print with 15 significant digits (G15).
        ("0.84551240822557006", Some("0.84551240822557")),
        ("1000000000000000", Some("1E+15")),
        // White space is what .NET says it is (a non-breaking space too).
        ("1\u{a0}==\u{a0}1", Some("true")),
        // A job's `if:` may name jobs: their results decide.
        ("success('build')", Some("true")),
        ("failure('build', 'lint')", Some("true")),
    ];
    for (expr, want) in rows {
        // `--`: an expression may start with `-`.
        let o = eval(&["--contexts", path, "--", expr]);
        match want {
            Some(w) => {
                assert!(
                    o.status.success(),
                    "{expr}: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
                assert_eq!(stdout(&o), w, "{expr}");
            }
            None => assert_eq!(o.status.code(), Some(1), "{expr}: {}", stdout(&o)),
        }
    }
}
