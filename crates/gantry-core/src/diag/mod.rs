//! Diagnostics: one problem found in a user's file, with where it is and which rule found it.
//!
//! Every check in Gantry reports through this type, so that the CLI can render all problems
//! of all files at once, as text with a source snippet or as JSON for tools.

mod render;
mod toml;

pub use render::{render_json, render_text, SourceMap};
pub use toml::parse_toml;
pub use toml::TomlError;

use crate::yaml::node::Span;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem in one file. The file itself is known to whoever holds the list.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub span: Span,
    pub severity: Severity,
    /// A short stable name of the check, shown as `[rule]` and used to count by rule.
    pub rule: &'static str,
    pub message: String,
}

impl Diagnostic {
    pub fn error(rule: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span,
            severity: Severity::Error,
            rule,
            message: message.into(),
        }
    }

    pub fn warning(rule: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span,
            severity: Severity::Warning,
            rule,
            message: message.into(),
        }
    }
}

/// Accumulates diagnostics; checks push into it and never stop at the first problem.
#[derive(Debug, Default)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }

    pub fn error(&mut self, rule: &'static str, span: Span, message: impl Into<String>) {
        self.list.push(Diagnostic::error(rule, span, message));
    }

    pub fn warning(&mut self, rule: &'static str, span: Span, message: impl Into<String>) {
        self.list.push(Diagnostic::warning(rule, span, message));
    }

    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The diagnostics in source order, the order a reader scans a file in.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.list
            .sort_by_key(|d| (d.span.start.offset, d.span.end.offset, d.rule));
        self.list.dedup();
        self.list
    }
}
