//! Tokens of the expression language, each with its byte range in the expression text.

use super::error::ExprError;
use std::ops::Range;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok<'a> {
    Null,
    Bool(bool),
    Number(f64),
    /// A single-quoted string with `''` unescaped.
    Str(super::ast::Name),
    Ident(&'a str),
    Star,
    Dot,
    Comma,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Not,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

#[derive(Clone, Debug)]
pub struct Token<'a> {
    pub tok: Tok<'a>,
    pub span: Range<usize>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

/// Identifier bytes by table: identifiers are most of an expression's text.
static IDENT: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        c += 1;
    }
    t
};

fn is_ident(c: u8) -> bool {
    IDENT[c as usize]
}

/// A string literal from its opening `'` at `i` (`''` is a quote); the token and its length.
fn string(src: &str, i: usize) -> Result<(Tok<'_>, usize), ExprError> {
    let b = src.as_bytes();
    let mut s = super::ast::Name::default();
    let mut j = i + 1;
    let mut seg = j;
    loop {
        match b.get(j) {
            None => {
                return Err(ExprError::new(
                    i..src.len(),
                    "unterminated string: a string literal opened here has no closing `'`",
                ))
            }
            Some(b'\'') if b.get(j + 1) == Some(&b'\'') => {
                s.push_str(&src[seg..j + 1]);
                j += 2;
                seg = j;
            }
            Some(b'\'') => {
                s.push_str(&src[seg..j]);
                break;
            }
            Some(_) => j += 1,
        }
    }
    Ok((Tok::Str(s), j + 1 - i))
}

/// A number starting at `i` (a sign only starts it or follows an exponent marker).
fn number(src: &str, i: usize) -> Result<(Tok<'_>, usize), ExprError> {
    let b = src.as_bytes();
    let mut j = i;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'.' | b'-' | b'+' | b'_'))
    {
        if (b[j] == b'-' || b[j] == b'+') && j > i && !matches!(b[j - 1], b'e' | b'E') {
            break;
        }
        j += 1;
    }
    let text = &src[i..j];
    // As GitHub's lexer: the token is whatever `ParseNumber` reads, unless that is NaN, so
    // `-1.5`, `+1`, `-Infinity` are numbers and `-0xFF`, `-NaN` are not.
    let n = super::value::parse_number(text).filter(|n| !n.is_nan());
    match n {
        Some(n) => Ok((Tok::Number(n), j - i)),
        None => Err(ExprError::new(i..j, format!("`{text}` is not a number"))),
    }
}

/// An identifier or keyword starting at `i`; after a `.` always a property name, as in
/// GitHub's lexer (`a.true`, `a.NaN`, `a.Infinity`).
fn word(src: &str, i: usize, after_dot: bool) -> (Tok<'_>, usize) {
    let b = src.as_bytes();
    let j = i
        + 1
        + b[i + 1..]
            .iter()
            .position(|&c| !is_ident(c))
            .unwrap_or(b.len() - i - 1);
    let word = &src[i..j];
    let tok = match word {
        _ if after_dot => Tok::Ident(word),
        "null" => Tok::Null,
        "true" => Tok::Bool(true),
        "false" => Tok::Bool(false),
        "NaN" => Tok::Number(f64::NAN),
        "Infinity" => Tok::Number(f64::INFINITY),
        _ => Tok::Ident(word),
    };
    (tok, j - i)
}

/// A character no token starts with, with a hint for the usual mix-ups.
fn unexpected(src: &str, i: usize) -> ExprError {
    let ch = src[i..].chars().next().unwrap_or('?');
    let hint = match ch {
        '"' => "; strings use single quotes: 'text'",
        '=' => "; compare with `==`",
        '&' => "; use `&&`",
        '|' => "; use `||`",
        _ => "",
    };
    ExprError::new(
        i..i + ch.len_utf8(),
        format!("unexpected character `{ch}`{hint}"),
    )
}

pub fn lex(src: &str) -> Result<Vec<Token<'_>>, ExprError> {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(src.len() / 3 + 1);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let one = |t: Tok<'static>| (t, 1);
        let (tok, len) = match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                i += 1;
                continue;
            }
            // GitHub's lexer skips what .NET's `char.IsWhiteSpace` calls white space, which
            // includes the non-breaking space editors and web pages put in.
            0x80.. if src[i..].starts_with(char::is_whitespace) => {
                i += src[i..].chars().next().map_or(1, char::len_utf8);
                continue;
            }
            b'(' => one(Tok::LParen),
            b')' => one(Tok::RParen),
            b'[' => one(Tok::LBracket),
            b']' => one(Tok::RBracket),
            b',' => one(Tok::Comma),
            b'*' => one(Tok::Star),
            b'!' if b.get(i + 1) == Some(&b'=') => (Tok::Ne, 2),
            b'!' => one(Tok::Not),
            b'<' if b.get(i + 1) == Some(&b'=') => (Tok::Le, 2),
            b'<' => one(Tok::Lt),
            b'>' if b.get(i + 1) == Some(&b'=') => (Tok::Ge, 2),
            b'>' => one(Tok::Gt),
            b'=' if b.get(i + 1) == Some(&b'=') => (Tok::Eq, 2),
            b'&' if b.get(i + 1) == Some(&b'&') => (Tok::And, 2),
            b'|' if b.get(i + 1) == Some(&b'|') => (Tok::Or, 2),
            b'\'' => string(src, i)?,
            b'.' if !b.get(i + 1).is_some_and(u8::is_ascii_digit)
                || out.last().is_some_and(|t: &Token| {
                    matches!(
                        t.tok,
                        Tok::Ident(_) | Tok::RParen | Tok::RBracket | Tok::Star
                    )
                }) =>
            {
                one(Tok::Dot)
            }
            b'0'..=b'9' | b'.' | b'-' | b'+' => number(src, i)?,
            c if is_ident_start(c) => word(
                src,
                i,
                out.last().is_some_and(|t: &Token| t.tok == Tok::Dot),
            ),
            _ => return Err(unexpected(src, i)),
        };
        out.push(Token {
            tok,
            span: start..start + len,
        });
        i = start + len;
    }
    Ok(out)
}
