//! `Spanned<T>`: a model value together with the source text it was read from.

use crate::yaml::node::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

/// A string from the file; it may hold `${{ }}` expressions, which are checked later.
pub type Str = Spanned<String>;

impl Str {
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// Whether the text contains an expression, i.e. is not known before run time.
    pub fn has_expr(&self) -> bool {
        self.value.contains("${{")
    }
}

/// A boolean field that GitHub also accepts as an expression (`continue-on-error: ${{ … }}`).
#[derive(Clone, Debug, PartialEq)]
pub enum BoolOrExpr {
    Bool(bool),
    Expr(String),
}

/// A number field that GitHub also accepts as an expression (`timeout-minutes: ${{ … }}`).
#[derive(Clone, Debug, PartialEq)]
pub enum NumOrExpr {
    Num(f64),
    Expr(String),
}

/// An ordered `key: value` mapping of strings (`env`, `with`, `outputs`), keeping both spans.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StrMap {
    pub entries: Vec<(Str, Str)>,
}

impl StrMap {
    pub fn get(&self, key: &str) -> Option<&Str> {
        self.entries
            .iter()
            .find(|(k, _)| k.value == key)
            .map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Str, &Str)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

/// `env:` is a mapping, or (at job and step level) one expression yielding a mapping.
#[derive(Clone, Debug, PartialEq)]
pub enum Env {
    Map(StrMap),
    Expr(Str),
}

impl Default for Env {
    fn default() -> Env {
        Env::Map(StrMap::default())
    }
}
