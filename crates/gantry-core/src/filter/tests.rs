//! Table tests from GitHub's documentation (the filter pattern cheat sheet and the
//! `branches`/`tags`/`paths` examples), error offsets and linear-time checks.

use super::*;

fn m(p: &str, s: &str) -> bool {
    Glob::parse(p)
        .unwrap_or_else(|e| panic!("`{p}` should parse: {e} at {}", e.offset))
        .matches(s)
}

/// "Patterns to match branches and tags": every pattern and example match of the table.
/// The non-matches are not in the table; they follow from its descriptions.
#[test]
fn cheat_sheet_branches_and_tags() {
    let table: &[(&str, &[&str], &[&str])] = &[
        (
            "feature/*",
            &["feature/my-branch", "feature/your-branch"],
            &["feature/a/b", "feature", "features/x"],
        ),
        (
            "feature/**",
            &[
                "feature/beta-a/my-branch",
                "feature/your-branch",
                "feature/mona/the/octocat",
            ],
            &["feature", "feat/x"],
        ),
        ("main", &["main"], &["main2", "xmain", "Main"]),
        (
            "releases/mona-the-octocat",
            &["releases/mona-the-octocat"],
            &["releases/mona"],
        ),
        ("*", &["main", "releases"], &["releases/10"]),
        ("**", &["all/the/branches", "every/tag"], &[]),
        (
            "*feature",
            &["mona-feature", "feature", "ver-10-feature"],
            &["feature-x", "a/feature"],
        ),
        ("v2*", &["v2", "v2.0", "v2.9"], &["v1.0", "v2/x"]),
        (
            "v[12].[0-9]+.[0-9]+",
            &["v1.10.1", "v2.0.0"],
            &["v3.0.0", "v1.x.1", "v1..1", "v1.0"],
        ),
    ];
    check_table(table);
}

/// "Patterns to match file paths": every pattern and example match of the table.
#[test]
fn cheat_sheet_paths() {
    let table: &[(&str, &[&str], &[&str])] = &[
        ("*", &["README.md", "server.rb"], &["docs/README.md"]),
        (
            "*.jsx?",
            &["page.js", "page.jsx"],
            &["page.jsxx", "page.json", "src/page.js"],
        ),
        ("**", &["all/the/files.md"], &[]),
        ("*.js", &["app.js", "index.js"], &["js/index.js", "app.ts"]),
        (
            "**.js",
            &["index.js", "js/index.js", "src/js/app.js"],
            &["index.ts", "index.jsx"],
        ),
        (
            "docs/*",
            &["docs/README.md", "docs/file.txt"],
            &["docs/mona/octocat.txt", "README.md"],
        ),
        (
            "docs/**",
            &["docs/README.md", "docs/mona/octocat.txt"],
            &["README.md", "a/docs/x.md"],
        ),
        (
            "docs/**/*.md",
            &[
                "docs/README.md",
                "docs/mona/hello-world.md",
                "docs/a/markdown/file.md",
            ],
            &["docs/a.txt", "README.md"],
        ),
        (
            "**/docs/**",
            &[
                "docs/hello.md",
                "dir/docs/my-file.txt",
                "space/docs/plan/space.doc",
            ],
            &["documents/x", "docs"],
        ),
        (
            "**/README.md",
            &["README.md", "js/README.md"],
            &["README.markdown", "xREADME.md"],
        ),
        (
            "**/*src/**",
            &["a/src/app.js", "my-src/code/js/app.js"],
            &["a/source/x", "src.js"],
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
            &["migrate.sql", "db/migrate-/x.sql"],
        ),
    ];
    check_table(table);
}

fn check_table(table: &[(&str, &[&str], &[&str])]) {
    for (pat, yes, no) in table {
        for s in *yes {
            assert!(m(pat, s), "`{pat}` should match `{s}`");
        }
        for s in *no {
            assert!(!m(pat, s), "`{pat}` should not match `{s}`");
        }
    }
}

/// The last two cheat-sheet rows: `'*.md'`, `'!README.md'` (then `README*`).
#[test]
fn cheat_sheet_negation_rows() {
    let l = PatternList::include(&["*.md", "!README.md"]).unwrap();
    assert!(l.check("hello.md").pass);
    assert_eq!(
        l.check("README.md").reason,
        Reason::ExcludedBy { pattern: 1 }
    );
    assert_eq!(l.check("docs/hello.md").reason, Reason::NotListed);
    let l = PatternList::include(&["*.md", "!README.md", "README*"]).unwrap();
    for f in ["hello.md", "README.md", "README.doc"] {
        assert!(l.check(f).pass, "{f}");
    }
    assert_eq!(
        l.check("README.md").reason,
        Reason::IncludedBy { pattern: 2 }
    );
}

/// "Including and excluding branches": `releases/**` then `!releases/**-alpha`.
#[test]
fn branches_include_and_exclude_example() {
    let l = PatternList::include(&["releases/**", "!releases/**-alpha"]).unwrap();
    for b in ["releases/10", "releases/beta/mona"] {
        assert_eq!(
            l.check(b),
            Verdict {
                pass: true,
                reason: Reason::IncludedBy { pattern: 0 }
            },
            "{b}"
        );
    }
    for b in ["releases/10-alpha", "releases/beta/3-alpha"] {
        let v = l.check(b);
        assert_eq!(
            v,
            Verdict {
                pass: false,
                reason: Reason::ExcludedBy { pattern: 1 }
            },
            "{b}"
        );
        assert_eq!(
            v.describe(&l, "branch", b),
            format!("branch `{b}` is excluded by `!releases/**-alpha` (pattern 2)")
        );
    }
    assert_eq!(
        l.decide("main"),
        Decision {
            matched: false,
            by: None
        }
    );
}

/// "Including branches and tags" and "Excluding branches and tags".
#[test]
fn branches_and_tags_examples() {
    let branches = PatternList::include(&["main", "mona/octocat", "releases/**"]).unwrap();
    let tags = PatternList::include(&["v2", "v1.*"]).unwrap();
    for b in ["main", "mona/octocat", "releases/10"] {
        assert!(branches.check(b).pass, "{b}");
    }
    for t in ["v2", "v1.9.1"] {
        assert!(tags.check(t).pass, "{t}");
    }
    assert!(!branches.check("feature/x").pass && !tags.check("v3").pass);

    let branches = PatternList::ignore(&["mona/octocat", "releases/**-alpha"]).unwrap();
    let tags = PatternList::ignore(&["v2", "v1.*"]).unwrap();
    assert_eq!(
        branches.check("releases/beta/3-alpha").reason,
        Reason::IgnoredBy { pattern: 1 }
    );
    assert!(!branches.check("mona/octocat").pass && branches.check("main").pass);
    assert!(!tags.check("v2").pass && !tags.check("v1.9").pass && tags.check("v3.0").pass);
    assert_eq!(tags.check("v3.0").reason, Reason::NotIgnored);
}

/// "Including paths", "Excluding paths", "Including and excluding paths", and "If there are
/// no files changed, the workflow will not run".
#[test]
fn paths_examples() {
    let js = PatternList::include(&["**.js"]).unwrap();
    let v = js.check_paths(&["README.md", "src/app.js"]);
    assert_eq!(
        v,
        PathsVerdict {
            pass: true,
            file: Some(1),
            reason: Reason::IncludedBy { pattern: 0 }
        }
    );
    assert_eq!(
        v.describe(&js, &["README.md", "src/app.js"]),
        "changed file `src/app.js` is included by `**.js` (pattern 1)"
    );
    assert_eq!(js.check_paths(&["README.md"]).reason, Reason::NotListed);

    let docs = PatternList::ignore(&["docs/**"]).unwrap();
    let all_docs = ["docs/a.md", "docs/x/y.md"];
    assert_eq!(
        docs.check_paths(&all_docs),
        PathsVerdict {
            pass: false,
            file: None,
            reason: Reason::AllIgnored { files: 2 }
        }
    );
    let v = docs.check_paths(&["docs/a.md", "src/main.rs"]);
    assert_eq!(
        v,
        PathsVerdict {
            pass: true,
            file: Some(1),
            reason: Reason::NotIgnored
        }
    );

    let sub = PatternList::include(&["sub-project/**", "!sub-project/docs/**"]).unwrap();
    assert!(sub.check_paths(&["sub-project/index.js"]).pass);
    assert!(sub.check_paths(&["sub-project/src/index.js"]).pass);
    let only_docs = ["sub-project/docs/readme.md"];
    let v = sub.check_paths(&only_docs);
    assert_eq!(
        v,
        PathsVerdict {
            pass: false,
            file: Some(0),
            reason: Reason::ExcludedBy { pattern: 1 }
        }
    );
    assert_eq!(v.describe(&sub, &only_docs), "no changed file is included; `sub-project/docs/readme.md` is excluded by `!sub-project/docs/**` (pattern 2)");
    // One included file is enough, whatever else is excluded.
    assert!(
        sub.check_paths(&["sub-project/docs/readme.md", "sub-project/a.c"])
            .pass
    );

    // pulumi's "skip everything except these files", a `!` in an ignore list.
    let pulumi = PatternList::ignore(&["**", "!sdk/.version", "!changelog/config.yaml"]).unwrap();
    assert_eq!(pulumi.negations().collect::<Vec<_>>(), [1, 2]);
    let v = pulumi.check_paths(&["src/a.go", "sdk/.version"]);
    assert_eq!(
        v,
        PathsVerdict {
            pass: true,
            file: Some(1),
            reason: Reason::UnignoredBy { pattern: 1 }
        }
    );
    assert_eq!(
        pulumi.check_paths(&["src/a.go"]).reason,
        Reason::AllIgnored { files: 1 }
    );
    assert_eq!(
        pulumi
            .check("sdk/.version")
            .describe(&pulumi, "file", "sdk/.version"),
        "file `sdk/.version` is not ignored because of `!sdk/.version` (pattern 2)"
    );

    let none: [&str; 0] = [];
    assert_eq!(sub.check_paths(&none).reason, Reason::NoFiles);
    assert_eq!(docs.check_paths(&none).reason, Reason::NoFiles);
    assert!(!docs.check_paths(&none).pass);
}

#[test]
fn quantifiers_sets_and_escapes() {
    assert!(m("ab?c", "ac") && m("ab?c", "abc") && !m("ab?c", "abbc"));
    assert!(m("ab+c", "abc") && m("ab+c", "abbbc") && !m("ab+c", "ac"));
    assert!(m("a\\*b", "a*b") && !m("a\\*b", "axb"));
    assert!(m("\\!file", "!file") && m("escape\\\\backslash", "escape\\backslash"));
    assert!(m("v1\\.0", "v1.0"));
    assert!(m("[\\]]", "]") && m("[-a]", "-") && m("[CB]at", "Cat") && m("[1-2]00", "200"));
    assert!(m("[0-9a-f]+", "deadbeef01") && !m("[0-9a-f]+", "xyz"));
    assert!(m("ü*", "über") && m("[ü]", "ü"));
    assert!(m("a/**/b", "a/b") && m("a/**/b", "a/x/y/b") && !m("a/**/b", "a/xb"));
    assert!(m("a**/b", "ax/y/b") && !m("a**/b", "ab"));
    assert!(m("**/+x", "//x") && !m("**/+x", "x"));
    assert!(m("***", "a/b") && m(".yml", ".yml") && !m(".yml", "fyml"));
    // `!` is an ordinary character inside a pattern.
    assert!(m("a!b", "a!b") && m("!x", "!x"));
    assert!(Glob::parse("main").unwrap().is_literal() && !Glob::parse("v*").unwrap().is_literal());
}

#[test]
fn invalid_patterns_point_at_the_problem() {
    let cases: &[(&str, usize, &str)] = &[
        ("release/[z-a]", 11, "the end comes before the start"),
        ("[a-Z]", 1, "within a-z, A-Z or 0-9"),
        ("[!-~]", 1, "within a-z, A-Z or 0-9"),
        ("a[bc", 1, "never closed"),
        ("a[b-", 1, "never closed"),
        ("x[]", 1, "empty `[]`"),
        ("[0-]", 2, "has no end"),
        ("?abc", 0, "at the start"),
        ("+", 0, "at the start"),
        ("*+", 1, "cannot follow a `*`"),
        ("**?", 2, "cannot follow a `*`"),
        ("a?+", 2, "cannot follow another"),
        ("ab\\", 2, "escapes nothing"),
        ("[a\\", 2, "escapes nothing"),
        ("", 0, "empty pattern"),
        ("ü?+", 3, "cannot follow another"),
    ];
    for (p, off, frag) in cases {
        let e = Glob::parse(p).unwrap_err();
        assert_eq!(e.offset, *off, "{p}: {e}");
        assert!(e.message.contains(frag), "{p}: {e}");
    }
}

#[test]
fn list_errors_count_the_bang() {
    let e = PatternList::include(&["main", "![z-a]"]).unwrap_err();
    assert_eq!((e.index, e.offset), (1, 4));
    assert_eq!(
        e.to_string(),
        "pattern 2 `![z-a]`: invalid range `z-a` in `[...]`: the end comes before the start"
    );
    let e = PatternList::include(&["!"]).unwrap_err();
    assert!(e.message.contains("must be followed"));
    assert!(!PatternList::include(&["!a", "!b"]).unwrap().has_positive());
}

#[test]
fn pathological_patterns_stay_linear() {
    let s = "a".repeat(100_000);
    assert!(!m("*a*a*a*a*a*b", &s));
    assert!(!m("**a**a**a**a**a**a**b", &s));
    assert!(m("*a*a*a*a*a*a", &s));
    let p = "a?".repeat(1_000) + &"a".repeat(1_000);
    assert!(m(&p, &"a".repeat(1_000)) && !m(&p, &"a".repeat(2_001)));
    let deep = "**/".repeat(500) + "x";
    assert!(m(&deep, "x") && m(&deep, &("d/".repeat(1_000) + "x")) && !m(&deep, "xd"));
}
