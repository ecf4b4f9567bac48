//! Strings with `${{ }}` inside: split into literal text and expressions, each expression
//! keeping where it sits in the string, so errors point at the right column.

use super::ast::Expr;
use super::error::{EvalError, ExprError};
use super::eval::{evaluate, Host};
use super::parser::parse_expr;
use super::value::Value;
use std::ops::Range;

#[derive(Clone, Debug, PartialEq)]
pub enum Segment {
    Text(String),
    Expr {
        expr: Expr,
        /// The whole `${{ … }}` in the template string.
        span: Range<usize>,
        /// The expression text (between the braces) in the template string.
        inner: Range<usize>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub segments: Vec<Segment>,
}

/// Finds the `}}` closing an expression that starts at `from`, skipping string literals
/// (where `''` is a quote). Jumps between quotes and braces with `memchr`.
fn find_close(s: &str, from: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = from;
    loop {
        let at = i + memchr::memchr2(b'\'', b'}', b.get(i..)?)?;
        if b[at] == b'}' {
            if b.get(at + 1) == Some(&b'}') {
                return Some(at);
            }
            i = at + 1;
            continue;
        }
        // A string literal: it ends at the next quote that is not doubled.
        let mut j = at + 1;
        loop {
            let q = j + memchr::memchr(b'\'', b.get(j..)?)?;
            if b.get(q + 1) == Some(&b'\'') {
                j = q + 2;
            } else {
                i = q + 1;
                break;
            }
        }
    }
}

/// Where the first `${{` in `s` starts. Every string of a workflow is asked this (`run:`
/// scripts included, which are most of its bytes), so it looks for `$` with `memchr`'s
/// vectorised search rather than setting up a substring searcher per call.
pub fn find_open(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'$', &b[from..]) {
        let at = from + i;
        if b.get(at + 1..at + 3) == Some(b"{{") {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The `${{ }}` expressions of a template string in order, parsed one at a time, each
/// with the span of the whole `${{ … }}` and of its inner text; a syntax error ends the
/// sequence. The validator walks this without building a [`Template`].
pub fn template_exprs(s: &str) -> TemplateExprs<'_> {
    TemplateExprs {
        s,
        rest: 0,
        done: false,
    }
}

pub struct TemplateExprs<'s> {
    s: &'s str,
    rest: usize,
    done: bool,
}

/// One expression of a template (see [`template_exprs`]).
pub struct Found {
    pub expr: Expr,
    pub span: Range<usize>,
    pub inner: Range<usize>,
}

impl Iterator for TemplateExprs<'_> {
    type Item = Result<Found, ExprError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let s = self.s;
        let Some(off) = find_open(&s[self.rest..]) else {
            self.done = true;
            return None;
        };
        let open = self.rest + off;
        let inner_start = open + 3;
        let Some(close) = find_close(s, inner_start) else {
            self.done = true;
            return Some(Err(ExprError::new(
                open..open + 3,
                "`${{` is never closed with `}}`",
            )));
        };
        self.rest = close + 2;
        Some(match parse_expr(&s[inner_start..close]) {
            Ok(expr) => Ok(Found {
                expr,
                span: open..close + 2,
                inner: inner_start..close,
            }),
            Err(e) => {
                self.done = true;
                Err(e.shifted(inner_start))
            }
        })
    }
}

/// Parses every `${{ }}` in `s`; errors are positioned relative to `s`.
pub fn parse_template(s: &str) -> Result<Template, ExprError> {
    // Most values hold one expression, with or without text around it.
    let mut segments = Vec::with_capacity(3);
    let mut rest = 0;
    for found in template_exprs(s) {
        let Found { expr, span, inner } = found?;
        if span.start > rest {
            segments.push(Segment::Text(s[rest..span.start].to_string()));
        }
        rest = span.end;
        segments.push(Segment::Expr { expr, span, inner });
    }
    if rest < s.len() {
        segments.push(Segment::Text(s[rest..].to_string()));
    }
    Ok(Template { segments })
}

impl Template {
    /// Whether the string holds no expression at all.
    pub fn is_literal(&self) -> bool {
        self.segments.iter().all(|s| matches!(s, Segment::Text(_)))
    }

    /// The single expression when the whole string is one `${{ }}` (surrounding blanks
    /// allowed), which keeps the expression's type (`${{ fromJSON(x) }}` can be an object).
    pub fn single(&self) -> Option<&Expr> {
        let mut found = None;
        for seg in &self.segments {
            match seg {
                Segment::Expr { expr, .. } if found.is_none() => found = Some(expr),
                Segment::Text(t) if t.trim().is_empty() => {}
                _ => return None,
            }
        }
        found
    }

    /// The single expression (see [`Template::single`]) and where its text starts, taken
    /// out of the template; the template itself when it is not one expression.
    pub fn into_single(mut self) -> Result<(Expr, usize), Template> {
        if self.single().is_none() {
            return Err(self);
        }
        let i = self
            .segments
            .iter()
            .position(|s| matches!(s, Segment::Expr { .. }));
        match i.map(|i| self.segments.swap_remove(i)) {
            Some(Segment::Expr { expr, inner, .. }) => Ok((expr, inner.start)),
            _ => Err(self),
        }
    }

    pub fn exprs(&self) -> impl Iterator<Item = (&Expr, &Range<usize>)> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Expr { expr, inner, .. } => Some((expr, inner)),
            Segment::Text(_) => None,
        })
    }

    pub fn evaluate(&self, host: &dyn Host) -> Result<Value, EvalError> {
        if let Some(e) = self.single() {
            return evaluate(e, host);
        }
        Ok(Value::str(&self.evaluate_text(host)?))
    }

    pub fn evaluate_text(&self, host: &dyn Host) -> Result<String, EvalError> {
        let mut out = String::new();
        for seg in &self.segments {
            match seg {
                Segment::Text(t) => out.push_str(t),
                Segment::Expr { expr, inner, .. } => {
                    let v = evaluate(expr, host).map_err(|mut e| {
                        e.span = e.span.start + inner.start..e.span.end + inner.start;
                        e
                    })?;
                    out.push_str(&v.to_text());
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::find_close;

    /// The closing `}}` found one byte at a time, as the language defines it.
    fn slow(s: &str, from: usize) -> Option<usize> {
        let b = s.as_bytes();
        let (mut i, mut in_str) = (from, false);
        while i < b.len() {
            match b[i] {
                b'\'' if in_str && b.get(i + 1) == Some(&b'\'') => i += 1,
                b'\'' => in_str = !in_str,
                b'}' if !in_str && b.get(i + 1) == Some(&b'}') => return Some(i),
                _ => {}
            }
            i += 1;
        }
        None
    }

    #[test]
    fn the_close_skips_string_literals() {
        let cases = [
            " a }}",
            " 'x}}' }}",
            " 'it''s' }}",
            " '' }}",
            " '''' }}x}}",
            " 'open }}",
            " } }",
            " a } }} }}",
            "}}",
            "",
            " format('{0}}', a) }}",
            " 'a''}}' == b }} c",
        ];
        for s in cases {
            for from in 0..=s.len() {
                assert_eq!(find_close(s, from), slow(s, from), "{s:?} from {from}");
            }
        }
    }
}
