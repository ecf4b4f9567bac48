//! Ordered pattern lists with `!` negations, as GitHub evaluates `branches`, `tags` and
//! `paths`: the last pattern that matches decides. Every decision names its pattern and
//! where it is written, so `gantry plan` can say why.

use gantry_core::filter::Glob;
use gantry_core::model::{Patterns, Str};

/// Which pattern decided, for the reason text.
pub struct Verdict<'a> {
    pub included: bool,
    /// The deciding pattern (None: nothing matched).
    pub by: Option<&'a Str>,
}

/// Whether a single glob matches; an invalid pattern never matches (validation reports it).
pub fn glob_matches(pattern: &str, value: &str) -> bool {
    Glob::parse(pattern).is_ok_and(|g| g.matches(value))
}

/// Evaluates `value` against a list where `!pattern` excludes what earlier patterns included.
pub fn decide<'a>(list: &'a Patterns, value: &str) -> Verdict<'a> {
    let mut v = Verdict {
        included: false,
        by: None,
    };
    for p in &list.value {
        let (neg, pat) = match p.value.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, p.value.as_str()),
        };
        if glob_matches(pat, value) {
            v = Verdict {
                included: !neg,
                by: Some(p),
            };
        }
    }
    v
}

/// `file:line:col` of a pattern, for reasons.
pub fn at(file: &str, s: &Str) -> String {
    format!("{file}:{}:{}", s.span.start.line, s.span.start.col)
}
