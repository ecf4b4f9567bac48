//! The owned, span-carrying YAML tree: what tests and the model keep (the parser builds
//! the arena-backed [`super::tree`] and this is copied from it), plus positions, spans and
//! scalar resolution shared by both.
//!
//! Every node keeps where it came from (byte offset, 1-based line and column), so that
//! every later error can point at the user's text. Scalars keep their source style:
//! only plain scalars resolve to null, booleans and numbers (YAML 1.2 core schema, the
//! same resolution `serde_yaml` applies), quoted ones are always strings.

/// A position in a source file. `line` and `col` are 1-based; `col` counts characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// Byte offset from the start of the file.
    pub offset: u32,
    pub line: u32,
    pub col: u32,
}

/// A half-open range of source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    pub fn new(start: Pos, end: Pos) -> Span {
        Span { start, end }
    }

    /// A zero-width span at `pos`.
    pub fn at(pos: Pos) -> Span {
        Span {
            start: pos,
            end: pos,
        }
    }
}

/// How a scalar was written; it decides whether it may resolve to a non-string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// The scalar's value after unescaping and folding. Most scalars (keys, ids, versions)
    /// are short: a compact string keeps up to 24 bytes inline instead of allocating.
    pub text: compact_str::CompactString,
    pub style: ScalarStyle,
    /// An explicit tag such as `!!str`, written without the leading `!!`/`!`. Tags are rare:
    /// boxed, the field costs one pointer in every scalar instead of two.
    pub tag: Option<Tag>,
}

/// A tag's name, boxed thin (see [`Scalar::tag`]).
pub type Tag = Box<String>;

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub kind: NodeKind,
}

/// What a scalar means once YAML 1.2 core-schema resolution is applied.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resolved<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

impl Scalar {
    /// Resolves a scalar the way `serde_yaml` does (YAML 1.2 core schema).
    pub fn resolve(&self) -> Resolved<'_> {
        resolve_scalar(
            &self.text,
            self.style,
            self.tag.as_deref().map(String::as_str),
        )
    }
}

/// Resolution of a scalar given its text, style and tag: only untagged plain scalars (or
/// ones tagged other than `!!str`) may be anything but a string.
pub fn resolve_scalar<'t>(text: &'t str, style: ScalarStyle, tag: Option<&str>) -> Resolved<'t> {
    if tag == Some("str") || style != ScalarStyle::Plain {
        return Resolved::Str(text);
    }
    resolve_plain(text)
}

/// Core-schema resolution of a plain scalar.
pub fn resolve_plain(s: &str) -> Resolved<'_> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Resolved::Str(s);
    }
    if let Some(i) = parse_int(s) {
        return Resolved::Int(i);
    }
    if is_float(s) {
        if let Ok(f) = s.parse::<f64>() {
            return Resolved::Float(f);
        }
    }
    Resolved::Str(s)
}

fn parse_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, body) = if let Some(h) = digits.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = digits.strip_prefix("0o") {
        (8, o)
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.bytes().all(|b| (b as char).is_digit(radix)) {
        return None;
    }
    if radix != 10 && s.starts_with(['-', '+']) {
        return None;
    }
    let v = i64::from_str_radix(body, radix).ok()?;
    Some(if neg { -v } else { v })
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - f;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return false;
        }
    }
    i == b.len()
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's text whatever it resolves to (`on: 1` reads as "1").
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|s| s.text.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_resolve_like_the_core_schema() {
        let cases: &[(&str, Resolved)] = &[
            ("", Resolved::Null),
            ("~", Resolved::Null),
            ("NULL", Resolved::Null),
            ("true", Resolved::Bool(true)),
            ("False", Resolved::Bool(false)),
            ("on", Resolved::Str("on")),
            ("yes", Resolved::Str("yes")),
            ("42", Resolved::Int(42)),
            ("-7", Resolved::Int(-7)),
            ("+7", Resolved::Int(7)),
            ("0x1F", Resolved::Int(31)),
            ("0o17", Resolved::Int(15)),
            ("3.10", Resolved::Float(3.1)),
            ("1e3", Resolved::Float(1000.0)),
            (".5", Resolved::Float(0.5)),
            ("1.", Resolved::Float(1.0)),
            ("-.inf", Resolved::Float(f64::NEG_INFINITY)),
            ("1.2.3", Resolved::Str("1.2.3")),
            ("3.x", Resolved::Str("3.x")),
            ("0xZZ", Resolved::Str("0xZZ")),
            ("-", Resolved::Str("-")),
            (".", Resolved::Str(".")),
            ("1e", Resolved::Str("1e")),
        ];
        for (text, want) in cases {
            assert_eq!(resolve_plain(text), *want, "resolving {text:?}");
        }
        assert!(matches!(resolve_plain(".nan"), Resolved::Float(f) if f.is_nan()));
    }

    #[test]
    fn quoted_and_tagged_scalars_stay_strings() {
        let quoted = Scalar {
            text: "true".into(),
            style: ScalarStyle::DoubleQuoted,
            tag: None,
        };
        assert_eq!(quoted.resolve(), Resolved::Str("true"));
        let tagged = Scalar {
            text: "12".into(),
            style: ScalarStyle::Plain,
            tag: Some(Box::new("str".into())),
        };
        assert_eq!(tagged.resolve(), Resolved::Str("12"));
    }
}
