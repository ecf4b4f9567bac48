//! One GitHub filter pattern (`branches`, `tags`, `paths`, and Gantry's Kafka `topics`/`key`
//! and webhook `names`): parsing with byte-offset errors, and matching.
//!
//! The language, from GitHub's "Filter pattern cheat sheet": `*` is any run of characters
//! except `/`; `**` is any run at all, and `**/` at the start of a path segment is "zero or
//! more whole directories" (so `**/README.md` matches `README.md`); `?` and `+` make the
//! preceding character or `[...]` set optional or repeated; `[...]` is one character from a
//! set (ranges only within `a-z`, `A-Z`, `0-9`); `\` makes the next character literal. A
//! leading `!` is *not* handled here: negation belongs to a list ([`super::PatternList`]).
//!
//! Matching is linear in the input whatever the pattern (see [`super::nfa`]): `*a*a*a*a*b`
//! cannot blow up.

use super::nfa::{Nfa, Piece, Rep, Set};
use serde::Serialize;
use std::fmt;

/// A compiled filter pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    source: String,
    prog: Prog,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Prog {
    /// No special characters at all: the common case (`main`, `docs/index.md`) is a string
    /// comparison.
    Literal(String),
    Nfa(Nfa),
}

/// Why a pattern is invalid, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct GlobError {
    /// Byte offset in the pattern of the offending character.
    pub offset: usize,
    pub message: String,
}

fn err(offset: usize, message: impl Into<String>) -> GlobError {
    GlobError {
        offset,
        message: message.into(),
    }
}

impl Glob {
    /// Parses a pattern; `!` has no special meaning here (see [`super::PatternList`]).
    pub fn parse(pattern: &str) -> Result<Glob, GlobError> {
        let pieces = parse_pieces(pattern)?;
        let prog = if pieces
            .iter()
            .all(|p| matches!(p, Piece::Atom(Set::One(_), Rep::One)))
        {
            let lit = pieces
                .iter()
                .filter_map(|p| match p {
                    Piece::Atom(Set::One(c), _) => Some(*c),
                    _ => None,
                })
                .collect();
            Prog::Literal(lit)
        } else {
            Prog::Nfa(Nfa::new(pieces))
        };
        Ok(Glob {
            source: pattern.to_string(),
            prog,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern contains no wildcards, sets or quantifiers.
    pub fn is_literal(&self) -> bool {
        matches!(self.prog, Prog::Literal(_))
    }

    /// Whether the whole of `s` matches (patterns are anchored at both ends).
    pub fn matches(&self, s: &str) -> bool {
        match &self.prog {
            Prog::Literal(lit) => lit == s,
            Prog::Nfa(nfa) => nfa.matches(s),
        }
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for Glob {
    type Err = GlobError;
    fn from_str(s: &str) -> Result<Glob, GlobError> {
        Glob::parse(s)
    }
}

fn parse_pieces(pattern: &str) -> Result<Vec<Piece>, GlobError> {
    if pattern.is_empty() {
        return Err(err(0, "empty pattern: it would match only an empty name"));
    }
    let chars: Vec<(usize, char)> = pattern.char_indices().collect();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        match c {
            '*' => {
                let mut run = 1;
                while chars.get(i + run).is_some_and(|&(_, n)| n == '*') {
                    run += 1;
                }
                i += run;
                if run == 1 {
                    pieces.push(Piece::Atom(Set::NotSlash, Rep::Star));
                    continue;
                }
                // `**/` means "any directories" only where a segment starts, and only when
                // the `/` is not itself quantified (`**/+` keeps its literal `/`).
                let segment_start = matches!(
                    pieces.last(),
                    None | Some(Piece::AnyDirs | Piece::Atom(Set::One('/'), Rep::One))
                );
                let slash_next = chars.get(i).is_some_and(|&(_, n)| n == '/');
                let slash_quantified = chars.get(i + 1).is_some_and(|&(_, n)| n == '?' || n == '+');
                if segment_start && slash_next && !slash_quantified {
                    i += 1;
                    pieces.push(Piece::AnyDirs);
                } else {
                    pieces.push(Piece::Atom(Set::Any, Rep::Star));
                }
            }
            '?' | '+' => {
                let what = if c == '?' {
                    "zero or one"
                } else {
                    "one or more"
                };
                match pieces.last_mut() {
                    Some(Piece::Atom(Set::One(_) | Set::Ranges(_), rep @ Rep::One)) => {
                        *rep = if c == '?' { Rep::Opt } else { Rep::Plus };
                    }
                    Some(Piece::Atom(_, Rep::Opt | Rep::Plus)) => {
                        return Err(err(at, format!("`{c}` cannot follow another `?` or `+`: it means \"{what} of the preceding character\"; escape it as `\\{c}` for a literal `{c}`")));
                    }
                    Some(_) => {
                        return Err(err(at, format!("`{c}` cannot follow a `*` wildcard: it means \"{what} of the preceding character\"; escape it as `\\{c}` for a literal `{c}`")));
                    }
                    None => {
                        return Err(err(at, format!("`{c}` at the start has no character to repeat: it means \"{what} of the preceding character\"; escape it as `\\{c}` for a literal `{c}`")));
                    }
                }
                i += 1;
            }
            '[' => {
                let (set, next) = parse_set(&chars, i)?;
                pieces.push(Piece::Atom(set, Rep::One));
                i = next;
            }
            '\\' => {
                let Some(&(_, e)) = chars.get(i + 1) else {
                    return Err(err(at, "`\\` at the end of the pattern escapes nothing; write `\\\\` for a literal backslash"));
                };
                pieces.push(Piece::Atom(Set::One(e), Rep::One));
                i += 2;
            }
            _ => {
                pieces.push(Piece::Atom(Set::One(c), Rep::One));
                i += 1;
            }
        }
    }
    Ok(pieces)
}

/// Which of GitHub's allowed range families a character belongs to.
fn range_family(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(0),
        'a'..='z' => Some(1),
        'A'..='Z' => Some(2),
        _ => None,
    }
}

/// Parses `[...]` starting at `chars[start]` (the `[`); returns the set and the index after `]`.
fn parse_set(chars: &[(usize, char)], start: usize) -> Result<(Set, usize), GlobError> {
    let open = chars[start].0;
    let mut ranges: Vec<(char, char)> = Vec::new();
    let mut i = start + 1;
    // One set member, with `\` escapes; returns (char, its offset, index after it).
    let member = |i: usize| -> Result<Option<(char, usize, usize)>, GlobError> {
        match chars.get(i) {
            None => Ok(None),
            Some(&(at, '\\')) => match chars.get(i + 1) {
                Some(&(_, e)) => Ok(Some((e, at, i + 2))),
                None => Err(err(
                    at,
                    "`\\` at the end of the pattern escapes nothing; write `\\\\` for a literal backslash",
                )),
            },
            Some(&(at, c)) => Ok(Some((c, at, i + 1))),
        }
    };
    loop {
        match chars.get(i) {
            None => {
                return Err(err(
                    open,
                    "`[` is never closed with `]`; escape it as `\\[` for a literal `[`",
                ))
            }
            Some(&(_, ']')) if ranges.is_empty() => {
                return Err(err(
                    open,
                    "empty `[]`: a set must list at least one character",
                ))
            }
            Some(&(_, ']')) => return Ok((Set::Ranges(ranges), i + 1)),
            Some(_) => {}
        }
        let Some((lo, lo_at, next)) = member(i)? else {
            continue;
        };
        i = next;
        let dash = chars.get(i).is_some_and(|&(_, c)| c == '-');
        if !dash {
            ranges.push((lo, lo));
            continue;
        }
        match chars.get(i + 1) {
            Some(&(_, ']')) => {
                return Err(err(
                    chars[i].0,
                    format!(
                        "the range `{lo}-` in `[...]` has no end; write `\\-` for a literal `-`"
                    ),
                ));
            }
            None => {
                return Err(err(
                    open,
                    "`[` is never closed with `]`; escape it as `\\[` for a literal `[`",
                ));
            }
            Some(_) => {}
        }
        let Some((hi, hi_at, next)) = member(i + 1)? else {
            continue;
        };
        i = next;
        let family = range_family(lo);
        if family.is_none() || family != range_family(hi) {
            return Err(err(lo_at, format!("invalid range `{lo}-{hi}` in `[...]`: ranges can only run within a-z, A-Z or 0-9")));
        }
        if hi < lo {
            return Err(err(
                hi_at,
                format!("invalid range `{lo}-{hi}` in `[...]`: the end comes before the start"),
            ));
        }
        ranges.push((lo, hi));
    }
}
