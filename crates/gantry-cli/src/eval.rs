//! `gantry eval`: one expression (or a template with several `${{ }}`) evaluated against
//! contexts given as JSON, the result printed as JSON. For a user debugging an `if:`, and the
//! way Gantry's expression behaviour is compared with other implementations.

use super::Format;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use gantry_core::expr::{
    evaluate, parse_expr, parse_template, to_json_text, JobStatus, MapHost, Value,
};
use std::ops::Range;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The expression, bare (`github.ref == 'refs/heads/main'`) or as a template
    /// (`${{ github.ref }}`, or text with several `${{ }}`, which evaluates to a string).
    pub expression: String,
    /// A JSON object of contexts: `{"github": {...}, "env": {...}, "matrix": {...}}`.
    #[arg(long, value_name = "FILE.json")]
    pub contexts: Option<PathBuf>,
    /// What `success()`, `failure()` and `cancelled()` see.
    #[arg(long, value_enum, default_value_t = Status::Success)]
    pub status: Status,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Status {
    Success,
    Failure,
    Cancelled,
}

/// Why the expression has no value: where in it, and what was expected.
struct Failure {
    span: Range<usize>,
    message: String,
}

pub fn run(args: EvalArgs) -> Result<ExitCode> {
    let host = host(&args)?;
    match value_of(&args.expression, &host) {
        Ok(v) => {
            print_value(&v, args.format);
            Ok(ExitCode::SUCCESS)
        }
        Err(f) => {
            print_failure(&args.expression, &f, args.format);
            Ok(ExitCode::from(1))
        }
    }
}

fn host(args: &EvalArgs) -> Result<MapHost> {
    let mut host = MapHost::new();
    host.status = match args.status {
        Status::Success => JobStatus::Success,
        Status::Failure => JobStatus::Failure,
        Status::Cancelled => JobStatus::Cancelled,
    };
    let Some(path) = &args.contexts else {
        return Ok(host);
    };
    let name = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{name}: not JSON (expected an object of contexts)"))?;
    let serde_json::Value::Object(contexts) = json else {
        anyhow::bail!("{name}: expected a JSON object of contexts (`{{\"github\": {{...}}}}`)");
    };
    for (k, v) in &contexts {
        host = host.with(k, Value::from_json(v));
    }
    Ok(host)
}

/// A template when the text has `${{`, else one bare expression.
fn value_of(text: &str, host: &MapHost) -> Result<Value, Failure> {
    let failure = |span: Range<usize>, message: String| Failure { span, message };
    if text.contains("${{") {
        let t = parse_template(text).map_err(|e| failure(e.span, e.message))?;
        return t.evaluate(host).map_err(|e| failure(e.span, e.message));
    }
    let e = parse_expr(text).map_err(|e| failure(e.span, e.message))?;
    evaluate(&e, host).map_err(|e| failure(e.span, e.message))
}

fn print_value(v: &Value, format: Format) {
    let json = to_json_text(v);
    match format {
        Format::Text => println!("{json}"),
        Format::Json => println!("{{\"type\": \"{}\", \"value\": {json}}}", v.kind()),
    }
}

/// 1-based columns (in characters) of a byte range of `text`.
fn columns(text: &str, span: &Range<usize>) -> (usize, usize) {
    let col = |b: usize| text[..b.min(text.len())].chars().count() + 1;
    let start = col(span.start);
    (start, col(span.end).max(start + 1))
}

fn print_failure(text: &str, f: &Failure, format: Format) {
    let (start, end) = columns(text, &f.span);
    match format {
        Format::Text => {
            eprintln!("error: column {start}: {}", f.message);
            // One line of context; a multi-line template shows its first line only.
            if !text.contains('\n') {
                eprintln!("  | {text}");
                eprintln!("  | {}{}", " ".repeat(start - 1), "^".repeat(end - start));
            }
        }
        Format::Json => {
            let out = serde_json::json!({
                "error": {"message": f.message, "column": start, "end_column": end}
            });
            println!("{out}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> MapHost {
        let github = serde_json::json!({"ref": "refs/heads/main", "event": {"n": 3}});
        MapHost::new().with("github", Value::from_json(&github))
    }

    #[test]
    fn bare_expressions_templates_and_failures() {
        let h = host();
        let show = |t: &str| value_of(t, &h).map(|v| to_json_text(&v));
        for (text, want) in [
            ("github.ref == 'refs/heads/main'", "true"),
            ("${{ github.event.n }}", "3"),
            (
                "ref=${{ github.ref }} n=${{ github.event.n }}",
                "\"ref=refs/heads/main n=3\"",
            ),
            ("github.nothing", "null"),
            ("format('{0}-{1}', 'a', 1)", "\"a-1\""),
        ] {
            assert_eq!(show(text).ok().as_deref(), Some(want), "{text}");
        }
        for (text, column) in [("github.ref ==", 14), ("fromJSON('{')", 1)] {
            let f = value_of(text, &h).err().unwrap_or_else(|| panic!("{text}"));
            assert_eq!(columns(text, &f.span).0, column, "{text}: {}", f.message);
        }
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(columns("'é' == x", &(8..9)), (8, 9));
        assert_eq!(columns("abc", &(3..3)), (4, 5));
    }
}
