//! Rendering diagnostics for people (snippet with a caret, like `just` and actionlint)
//! and for tools (JSON).

use super::{Diagnostic, Severity};
use serde_json::json;

/// One file's text, with the line index needed to cut snippets out of it.
pub struct SourceMap<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

impl SourceMap<'_> {
    fn line_text(&self, line: u32) -> &str {
        self.text
            .split('\n')
            .nth(line.saturating_sub(1) as usize)
            .unwrap_or("")
            .trim_end_matches('\r')
    }
}

/// `path:line:col: severity: message [rule]`, then the source line and a caret under the span.
pub fn render_text(src: &SourceMap<'_>, d: &Diagnostic, color: bool) -> String {
    let (bold, red, yellow, blue, reset) = if color {
        ("\x1b[1m", "\x1b[31m", "\x1b[33m", "\x1b[34m", "\x1b[0m")
    } else {
        ("", "", "", "", "")
    };
    let start = d.span.start;
    let (label, tint) = match d.severity {
        Severity::Error => ("error", red),
        Severity::Warning => ("warning", yellow),
    };
    let mut out = format!(
        "{bold}{}:{}:{}:{reset} {tint}{label}{reset}: {} {blue}[{}]{reset}\n",
        src.path, start.line, start.col, d.message, d.rule
    );
    if start.line == 0 {
        return out;
    }
    let line = src.line_text(start.line);
    let gutter = start.line.to_string();
    let pad = " ".repeat(gutter.len());
    let col = start.col.max(1) as usize;
    // Underline to the end of the span when it stays on this line, else a single caret.
    let width = if d.span.end.line == start.line && d.span.end.col > start.col {
        (d.span.end.col - start.col) as usize
    } else {
        1
    };
    let line_chars = line.chars().count();
    let width = width.min(line_chars.saturating_sub(col - 1).max(1));
    let indent: String = line
        .chars()
        .take(col - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    out.push_str(&format!("{blue}{pad} |{reset}\n"));
    out.push_str(&format!("{blue}{gutter} |{reset} {line}\n"));
    out.push_str(&format!(
        "{blue}{pad} |{reset} {indent}{tint}^{}{reset}\n",
        "~".repeat(width - 1)
    ));
    out
}

/// A JSON object a tool can consume; line and column are 1-based like the text form.
pub fn render_json(path: &str, d: &Diagnostic) -> serde_json::Value {
    json!({
        "file": path,
        "line": d.span.start.line,
        "column": d.span.start.col,
        "end_line": d.span.end.line,
        "end_column": d.span.end.col,
        "severity": d.severity,
        "rule": d.rule,
        "message": d.message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::node::{Pos, Span};

    fn pos(offset: u32, line: u32, col: u32) -> Pos {
        Pos { offset, line, col }
    }

    #[test]
    fn snippet_underlines_the_span() {
        let text = "on: push\njobs:\n  a:\n    needs: [nope]\n";
        let d = Diagnostic::error(
            "needs",
            Span::new(pos(35, 4, 13), pos(39, 4, 17)),
            "job `a` needs `nope`, which does not exist",
        );
        let got = render_text(
            &SourceMap {
                path: "ci.yml",
                text,
            },
            &d,
            false,
        );
        let want = "ci.yml:4:13: error: job `a` needs `nope`, which does not exist [needs]\n  |\n4 |     needs: [nope]\n  |             ^~~~\n";
        assert_eq!(got, want);
    }

    #[test]
    fn span_past_line_end_is_clamped() {
        let text = "a: b\n";
        let d = Diagnostic::warning("x", Span::new(pos(3, 1, 4), pos(90, 7, 2)), "m");
        let got = render_text(&SourceMap { path: "f", text }, &d, false);
        assert!(got.ends_with("1 | a: b\n  |    ^\n"), "{got}");
    }

    #[test]
    fn json_has_positions() {
        let d = Diagnostic::error("yaml", Span::at(pos(0, 2, 5)), "bad");
        let v = render_json("w.yml", &d);
        assert_eq!(v["line"], 2);
        assert_eq!(v["column"], 5);
        assert_eq!(v["severity"], "error");
        assert_eq!(v["rule"], "yaml");
    }
}
