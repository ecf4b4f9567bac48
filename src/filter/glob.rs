//! GitHub's filter patterns (`branches`, `tags`, `paths`, and Gantry's Kafka/webhook filters):
//! `*` (any run of characters except `/`), `**` (any run), `?` (zero or one of the preceding
//! character), `+` (one or more of it), `[a-z0-9]` (one character from a set), `\` escapes.
//!
//! A pattern compiles to a short list of matchers with quantifiers and is matched by a
//! state-set simulation: linear in the input, whatever the pattern (no backtracking blow-up).

/// A compiled pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct Glob {
    tokens: Vec<Token>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GlobError {
    /// Byte offset in the pattern of the offending character.
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for GlobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GlobError {}

#[derive(Clone, Debug, PartialEq)]
enum Matcher {
    Char(char),
    /// Inclusive ranges; a single character is a range of one.
    Class(Vec<(char, char)>),
    NotSlash,
    Any,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Quant {
    One,
    ZeroOrOne,
    ZeroOrMore,
    /// Consumes nothing; may skip ahead this many tokens. `**/` compiles to
    /// `Jump(3) Any* '/'`, i.e. `(.*/)?`: zero or more whole directories.
    Jump(usize),
}

#[derive(Clone, Debug, PartialEq)]
struct Token {
    m: Matcher,
    q: Quant,
}

impl Matcher {
    fn accepts(&self, c: char) -> bool {
        match self {
            Matcher::Char(x) => *x == c,
            Matcher::Class(ranges) => ranges.iter().any(|(a, b)| *a <= c && c <= *b),
            Matcher::NotSlash => c != '/',
            Matcher::Any => true,
        }
    }
}

fn err(offset: usize, message: impl Into<String>) -> GlobError {
    GlobError {
        offset,
        message: message.into(),
    }
}

impl Glob {
    pub fn parse(pattern: &str) -> Result<Glob, GlobError> {
        let mut tokens: Vec<Token> = Vec::new();
        let mut it = pattern.char_indices().peekable();
        // Whether the last token is a single character that `?`/`+` may apply to.
        let mut quantifiable = false;
        while let Some((i, c)) = it.next() {
            match c {
                '*' => {
                    let m = if it.peek().is_some_and(|(_, n)| *n == '*') {
                        it.next();
                        Matcher::Any
                    } else {
                        Matcher::NotSlash
                    };
                    let at_dir_start = i == 0 || pattern[..i].ends_with('/');
                    if m == Matcher::Any
                        && at_dir_start
                        && it.peek().is_some_and(|(_, n)| *n == '/')
                    {
                        it.next();
                        tokens.push(Token {
                            m: Matcher::Any,
                            q: Quant::Jump(3),
                        });
                        tokens.push(Token {
                            m: Matcher::Any,
                            q: Quant::ZeroOrMore,
                        });
                        tokens.push(Token {
                            m: Matcher::Char('/'),
                            q: Quant::One,
                        });
                        quantifiable = false;
                        continue;
                    }
                    // `***` is `**` followed by `*`: the same language; fold it.
                    if let Some(Token {
                        m: Matcher::Any,
                        q: Quant::ZeroOrMore,
                    }) = tokens.last()
                    {
                        quantifiable = false;
                        continue;
                    }
                    tokens.push(Token {
                        m,
                        q: Quant::ZeroOrMore,
                    });
                    quantifiable = false;
                }
                '?' | '+' => {
                    if !quantifiable {
                        return Err(err(i, format!("`{c}` must follow a character or a `[...]` set: it means \"{} of the preceding character\"", if c == '?' { "zero or one" } else { "one or more" })));
                    }
                    let last = tokens.pop().ok_or_else(|| err(i, "nothing to repeat"))?;
                    if c == '?' {
                        tokens.push(Token {
                            m: last.m,
                            q: Quant::ZeroOrOne,
                        });
                    } else {
                        tokens.push(Token {
                            m: last.m.clone(),
                            q: Quant::One,
                        });
                        tokens.push(Token {
                            m: last.m,
                            q: Quant::ZeroOrMore,
                        });
                    }
                    quantifiable = false;
                }
                '[' => {
                    let mut ranges = Vec::new();
                    let mut closed = false;
                    while let Some((j, x)) = it.next() {
                        match x {
                            ']' => {
                                closed = true;
                                if ranges.is_empty() {
                                    return Err(err(
                                        j,
                                        "empty `[]`: a set must list at least one character",
                                    ));
                                }
                                break;
                            }
                            '\\' => match it.next() {
                                Some((_, e)) => ranges.push((e, e)),
                                None => {
                                    return Err(err(
                                        j,
                                        "`\\` at the end of the pattern escapes nothing",
                                    ))
                                }
                            },
                            _ => {
                                if it.peek().is_some_and(|(_, n)| *n == '-') {
                                    let mut look = it.clone();
                                    look.next();
                                    if let Some((k, hi)) =
                                        look.peek().copied().filter(|(_, h)| *h != ']')
                                    {
                                        it.next();
                                        it.next();
                                        if hi < x {
                                            return Err(err(k, format!("invalid range `{x}-{hi}` in `[...]`: the end comes before the start")));
                                        }
                                        ranges.push((x, hi));
                                        continue;
                                    }
                                }
                                ranges.push((x, x));
                            }
                        }
                    }
                    if !closed {
                        return Err(err(i, "`[` is never closed with `]`"));
                    }
                    tokens.push(Token {
                        m: Matcher::Class(ranges),
                        q: Quant::One,
                    });
                    quantifiable = true;
                }
                '\\' => match it.next() {
                    Some((_, e)) => {
                        tokens.push(Token {
                            m: Matcher::Char(e),
                            q: Quant::One,
                        });
                        quantifiable = true;
                    }
                    None => return Err(err(i, "`\\` at the end of the pattern escapes nothing")),
                },
                _ => {
                    tokens.push(Token {
                        m: Matcher::Char(c),
                        q: Quant::One,
                    });
                    quantifiable = true;
                }
            }
        }
        Ok(Glob { tokens })
    }

    pub fn matches(&self, s: &str) -> bool {
        let n = self.tokens.len();
        let mut cur = vec![false; n + 1];
        let mut next = vec![false; n + 1];
        cur[0] = true;
        self.close(&mut cur);
        for c in s.chars() {
            next.iter_mut().for_each(|x| *x = false);
            let mut any = false;
            for (pos, tok) in self.tokens.iter().enumerate() {
                if !cur[pos] || matches!(tok.q, Quant::Jump(_)) || !tok.m.accepts(c) {
                    continue;
                }
                any = true;
                match tok.q {
                    Quant::ZeroOrMore => next[pos] = true,
                    Quant::One | Quant::ZeroOrOne => next[pos + 1] = true,
                    Quant::Jump(_) => {}
                }
            }
            if !any {
                return false;
            }
            self.close(&mut next);
            std::mem::swap(&mut cur, &mut next);
        }
        cur[n]
    }

    /// Adds the states reachable without consuming input (skipping optional tokens).
    fn close(&self, set: &mut [bool]) {
        // Jumps only go forward, so one pass in order reaches everything.
        for pos in 0..self.tokens.len() {
            if !set[pos] {
                continue;
            }
            match self.tokens[pos].q {
                Quant::One => {}
                Quant::ZeroOrOne | Quant::ZeroOrMore => set[pos + 1] = true,
                Quant::Jump(k) => {
                    set[pos + 1] = true;
                    set[(pos + k).min(self.tokens.len())] = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Glob::parse(p)
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .matches(s)
    }

    /// GitHub's "Filter pattern cheat sheet": pattern, matches, does not match.
    #[test]
    fn cheat_sheet() {
        let table: &[(&str, &[&str], &[&str])] = &[
            (
                "feature/*",
                &["feature/my-branch", "feature/your-branch"],
                &["feature/a/b", "feature"],
            ),
            (
                "feature/**",
                &[
                    "feature/beta-a/my-branch",
                    "feature/your-branch",
                    "feature/mona/the/octocat",
                ],
                &["features/x"],
            ),
            ("main", &["main"], &["main2", "xmain"]),
            (
                "releases/mona-the-octocat",
                &["releases/mona-the-octocat"],
                &["releases/other"],
            ),
            ("*", &["main", "releases"], &["releases/a"]),
            ("**", &["all/the/branches", "every/tag"], &[]),
            (
                "*feature",
                &["mona-feature", "feature", "ver-10-feature"],
                &["feature-x"],
            ),
            ("v2*", &["v2", "v2.0", "v2.9"], &["v1.0"]),
            (
                "v[12].[0-9]+.[0-9]+",
                &["v1.10.1", "v2.0.0"],
                &["v3.0.0", "v1.x.1"],
            ),
            ("*", &["README.md", "server.rb"], &["docs/README.md"]),
            ("*.jsx?", &["page.js", "page.jsx"], &["page.json"]),
            (
                "**.js",
                &["index.js", "js/index.js", "src/js/app.js"],
                &["index.ts"],
            ),
            (
                "docs/*",
                &["docs/README.md", "docs/file.txt"],
                &["docs/a/b.md"],
            ),
            (
                "docs/**",
                &["docs/README.md", "docs/mona/octocat.txt"],
                &["README.md"],
            ),
            (
                "docs/**/*.md",
                &[
                    "docs/README.md",
                    "docs/mona/hello-world.md",
                    "docs/a/markdown/file.md",
                ],
                &["docs/a.txt"],
            ),
            (
                "**/docs/**",
                &[
                    "docs/hello.md",
                    "dir/docs/my-file.txt",
                    "space/docs/plan/space.doc",
                ],
                &["documents/x"],
            ),
            (
                "**/README.md",
                &["README.md", "js/README.md"],
                &["README.markdown"],
            ),
            (
                "**/*src/**",
                &["a/src/app.js", "my-src/code/js/app.js"],
                &["a/source/x"],
            ),
            (
                "**/*-post.md",
                &["my-post.md", "path/their-post.md"],
                &["post.md"],
            ),
            (
                "**/migrate-*.sql",
                &[
                    "migrate-10909.sql",
                    "db/migrate-v1.0.sql",
                    "db/sept/migrate-v1.sql",
                ],
                &["migrate.sql"],
            ),
            ("*.md", &["README.md"], &["docs/README.md"]),
            ("**.md", &["README.md", "docs/a/README.md"], &[]),
        ];
        for (pat, yes, no) in table {
            for s in *yes {
                assert!(m(pat, s), "`{pat}` should match `{s}`");
            }
            for s in *no {
                assert!(!m(pat, s), "`{pat}` should not match `{s}`");
            }
        }
    }

    #[test]
    fn quantifiers_and_escapes() {
        assert!(m("ab?c", "ac") && m("ab?c", "abc") && !m("ab?c", "abbc"));
        assert!(m("ab+c", "abc") && m("ab+c", "abbbc") && !m("ab+c", "ac"));
        assert!(m("a\\*b", "a*b") && !m("a\\*b", "axb"));
        assert!(m("[\\]]", "]"));
        assert!(m("v[0-9]+", "v123") && !m("v[0-9]+", "v"));
        assert!(m("", "") && !m("", "a"));
        assert!(m("ü*", "über"));
        // `**/` is whole directories: it never glues onto a name.
        assert!(m("a/**/b", "a/b") && m("a/**/b", "a/x/y/b") && !m("a/**/b", "a/xb"));
    }

    #[test]
    fn invalid_patterns_point_at_the_problem() {
        let cases: &[(&str, usize, &str)] = &[
            ("release/[z-a]", 11, "invalid range `z-a`"),
            ("a[bc", 1, "never closed"),
            ("x[]", 2, "empty `[]`"),
            ("?abc", 0, "must follow a character"),
            ("*+", 1, "must follow a character"),
            ("ab\\", 2, "escapes nothing"),
        ];
        for (p, off, frag) in cases {
            let e = Glob::parse(p).unwrap_err();
            assert_eq!(e.offset, *off, "{p}: {e}");
            assert!(e.message.contains(frag), "{p}: {e}");
        }
    }

    #[test]
    fn pathological_patterns_stay_linear() {
        let p = Glob::parse("*a*a*a*a*a*a*a*a*a*a*b").unwrap();
        let s = "a".repeat(20_000);
        assert!(!p.matches(&s));
        let p = Glob::parse("**a**a**a**a**b").unwrap();
        assert!(p.matches(&format!("{}b", "a/".repeat(5000))));
    }
}
