//! Differential fuzzing of the glob matcher against an independent memoised backtracking
//! matcher, and the corpus check of every real `branches`/`tags`/`paths` list.

use super::testutil::{corpus_files, yaml_scalar, Rng};
use super::*;

/// Independent reference semantics: tokens matched by memoised backtracking.
#[derive(Clone, Debug)]
enum Tok {
    Char(Vec<(char, char)>, char), // set, quantifier (' ', '?', '+')
    Star,
    DStar,
    Dirs,
}

fn ref_tokens(p: &str) -> Vec<Tok> {
    let c: Vec<char> = p.chars().collect();
    let mut out: Vec<Tok> = Vec::new();
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '*' => {
                let mut j = i;
                while j < c.len() && c[j] == '*' {
                    j += 1;
                }
                let at_seg = match out.last() {
                    None | Some(Tok::Dirs) => true,
                    Some(Tok::Char(set, ' ')) => set[..] == [('/', '/')],
                    Some(_) => false,
                };
                if j - i == 1 {
                    out.push(Tok::Star);
                } else if at_seg
                    && c.get(j) == Some(&'/')
                    && !matches!(c.get(j + 1), Some('?' | '+'))
                {
                    out.push(Tok::Dirs);
                    j += 1;
                } else {
                    out.push(Tok::DStar);
                }
                i = j;
            }
            '?' | '+' => {
                if let Some(Tok::Char(_, q)) = out.last_mut() {
                    *q = c[i];
                }
                i += 1;
            }
            '[' => {
                let mut set = Vec::new();
                i += 1;
                while c[i] != ']' {
                    let lo = if c[i] == '\\' {
                        i += 1;
                        c[i]
                    } else {
                        c[i]
                    };
                    if c[i + 1] == '-' && c[i + 2] != ']' {
                        i += 2;
                        let hi = if c[i] == '\\' {
                            i += 1;
                            c[i]
                        } else {
                            c[i]
                        };
                        set.push((lo, hi));
                    } else {
                        set.push((lo, lo));
                    }
                    i += 1;
                }
                out.push(Tok::Char(set, ' '));
                i += 1;
            }
            '\\' => {
                out.push(Tok::Char(vec![(c[i + 1], c[i + 1])], ' '));
                i += 2;
            }
            x => {
                out.push(Tok::Char(vec![(x, x)], ' '));
                i += 1;
            }
        }
    }
    out
}

fn ref_match(t: &[Tok], s: &[char], ti: usize, si: usize, memo: &mut Vec<Option<bool>>) -> bool {
    let key = ti * (s.len() + 1) + si;
    if let Some(r) = memo[key] {
        return r;
    }
    let r = match t.get(ti) {
        None => si == s.len(),
        Some(Tok::Star) => (si..=s.len())
            .take_while(|&k| k == si || s[k - 1] != '/')
            .any(|k| ref_match(t, s, ti + 1, k, memo)),
        Some(Tok::DStar) => (si..=s.len()).any(|k| ref_match(t, s, ti + 1, k, memo)),
        Some(Tok::Dirs) => {
            ref_match(t, s, ti + 1, si, memo)
                || (si..s.len()).any(|k| s[k] == '/' && ref_match(t, s, ti + 1, k + 1, memo))
        }
        Some(Tok::Char(set, q)) => {
            let ok = |k: usize| k < s.len() && set.iter().any(|&(a, b)| a <= s[k] && s[k] <= b);
            match q {
                '?' => {
                    ref_match(t, s, ti + 1, si, memo)
                        || (ok(si) && ref_match(t, s, ti + 1, si + 1, memo))
                }
                '+' => {
                    let mut k = si;
                    let mut any = false;
                    while ok(k) && !any {
                        k += 1;
                        any = ref_match(t, s, ti + 1, k, memo);
                    }
                    any
                }
                _ => ok(si) && ref_match(t, s, ti + 1, si + 1, memo),
            }
        }
    };
    memo[key] = Some(r);
    r
}

#[test]
fn fuzz_against_reference_and_never_panic() {
    let pat_alpha = [
        "a", "b", "/", "*", "**", "?", "+", "[ab]", "[a-c]", "\\*", "[", "]", "\\", "-", "!", "ü",
        "**/",
    ];
    let str_alpha = ["a", "b", "c", "/", "*", "ü", "-"];
    let mut rng = Rng::new(7);
    let (mut valid, mut compared) = (0, 0);
    for _ in 0..20_000 {
        let p = rng.string(&pat_alpha, 8);
        match Glob::parse(&p) {
            Err(e) => {
                assert!(
                    e.offset < p.len().max(1) && p.is_char_boundary(e.offset),
                    "{p:?}: {e:?}"
                );
            }
            Ok(g) => {
                valid += 1;
                let toks = ref_tokens(&p);
                // The same pattern behind 140 instructions of `x?` (and a `/`, so a leading
                // `**/` still starts a segment) exercises the engine for long programs.
                let long = Glob::parse(&format!("{}/{p}", "x?".repeat(70))).unwrap();
                for _ in 0..8 {
                    let s = rng.string(&str_alpha, 8);
                    let chars: Vec<char> = s.chars().collect();
                    let mut memo = vec![None; (toks.len() + 1) * (chars.len() + 1)];
                    let want = ref_match(&toks, &chars, 0, 0, &mut memo);
                    assert_eq!(g.matches(&s), want, "pattern {p:?} on {s:?}");
                    assert_eq!(long.matches(&format!("/{s}")), want, "long {p:?} on {s:?}");
                    compared += 1;
                }
            }
        }
        // Lists too: any leading `!` and any mix must parse or fail cleanly.
        let bang = format!("!{p}");
        for kind in [ListKind::Include, ListKind::Ignore] {
            match PatternList::parse(kind, &["x", bang.as_str()]) {
                Ok(l) => {
                    let v = l.check_paths(&["a", "b/c", "x"]);
                    assert!(v.file.is_none_or(|f| f < 3));
                    let _ = v.describe(&l, &["a", "b/c", "x"]);
                }
                Err(e) => assert!(
                    e.index == 1 && e.offset < bang.len() && bang.is_char_boundary(e.offset),
                    "{bang:?}: {e:?}"
                ),
            }
        }
    }
    assert!(valid > 3_000 && compared > 20_000, "{valid} {compared}");
}

/// The items of a flow sequence body (`a, 'b', "c"` without brackets).
fn flow_items(s: &str) -> Vec<String> {
    let (mut items, mut cur, mut quote) = (Vec::new(), String::new(), None);
    for c in s.chars() {
        match (c, quote) {
            ('\'' | '"', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            (',', None) => items.push(std::mem::take(&mut cur)),
            _ => {}
        }
        if c != ',' || quote.is_some() {
            cur.push(c);
        }
    }
    items.push(cur);
    items
        .iter()
        .map(|i| yaml_scalar(i))
        .filter(|i| !i.is_empty())
        .collect()
}

/// Every `branches`/`tags`/`paths` list (and `-ignore` twin) under `on:` in the corpus
/// parses, and evaluates without surprises.
#[test]
fn corpus_filter_patterns_parse() {
    let keys = [
        "branches",
        "tags",
        "paths",
        "branches-ignore",
        "tags-ignore",
        "paths-ignore",
    ];
    let (mut lists, mut patterns) = (0, 0);
    for (path, text) in corpus_files() {
        let lines: Vec<&str> = text.lines().collect();
        let mut in_on = false;
        for (i, line) in lines.iter().enumerate() {
            let indent = line.len() - line.trim_start().len();
            let body = line.trim();
            if indent == 0 && !body.is_empty() && !body.starts_with('#') {
                in_on = ["on:", "\"on\":", "'on':", "true:"]
                    .iter()
                    .any(|k| body.starts_with(k));
            }
            let Some((key, rest)) = body.split_once(':') else {
                continue;
            };
            if !in_on || !keys.contains(&key) {
                continue;
            }
            let rest = rest.trim();
            let items: Vec<String> = if let Some(flow) = rest.strip_prefix('[') {
                flow_items(flow.split(']').next().unwrap_or(""))
            } else if rest.is_empty() || rest.starts_with('#') {
                lines[i + 1..]
                    .iter()
                    .filter(|l| !l.trim().is_empty() && !l.trim().starts_with('#'))
                    .take_while(|l| {
                        let ind = l.len() - l.trim_start().len();
                        ind > indent || (ind == indent && l.trim_start().starts_with("- "))
                    })
                    .filter_map(|l| l.trim().strip_prefix("- "))
                    .filter(|v| !v.starts_with('&') && !v.starts_with('*'))
                    .map(yaml_scalar)
                    .collect()
            } else {
                vec![yaml_scalar(rest)]
            };
            assert!(
                !items.is_empty(),
                "{}:{}: no patterns found for `{key}`",
                path.display(),
                i + 1
            );
            let kind = if key.ends_with("-ignore") {
                ListKind::Ignore
            } else {
                ListKind::Include
            };
            let list = PatternList::parse(kind, &items)
                .unwrap_or_else(|e| panic!("{}:{}: {key}: {e}", path.display(), i + 1));
            // Only-`!` lists exist in the wild (vuejs/core: `tags: ['!**']`, "never on
            // tags"), so has_positive() is for warnings, not errors.
            let _ = list.check_paths(&["README.md", "src/main.rs", ".github/workflows/ci.yml"]);
            lists += 1;
            patterns += items.len();
        }
    }
    assert!(
        lists > 100 && patterns > 300,
        "{lists} lists, {patterns} patterns"
    );
}
