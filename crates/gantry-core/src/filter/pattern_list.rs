//! Ordered lists of filter patterns as GitHub evaluates them, with the reason for every
//! decision: `branches`/`tags`/`paths` (include lists, where `!pattern` excludes again and
//! the last matching pattern decides) and `branches-ignore`/`tags-ignore`/`paths-ignore`
//! (ignore lists). Paths are decided for a *set* of changed files: a push passes `paths` if
//! at least one file is included, and fails `paths-ignore` only if every file is ignored.
//!
//! Decisions carry pattern and file indices (0-based) rather than text so callers can point
//! at the YAML node; [`Verdict::describe`] and [`PathsVerdict::describe`] render the
//! "branch `dev` is excluded by `!dev` (pattern 3)" sentences.

use super::glob::{Glob, GlobError};
use serde::Serialize;

/// Which kind of list: the same patterns mean "run" in one and "skip" in the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    /// `branches`, `tags`, `paths` (and Gantry's `topics`, `names`, ...): a value passes if
    /// the last pattern matching it is positive; `!pattern` excludes.
    Include,
    /// `branches-ignore`, `tags-ignore`, `paths-ignore`: a value is filtered out if the last
    /// pattern matching it is positive. GitHub documents `!` only for include lists, but
    /// real workflows put it in ignore lists too (pulumi's `paths-ignore: ['**',
    /// '!sdk/.version']`), so it is accepted with the same last-match-wins meaning; a
    /// validator may warn about it (see [`PatternList::negations`]).
    Ignore,
}

/// One pattern of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The pattern as written, including any leading `!`.
    pub text: String,
    /// Whether a leading `!` makes this pattern exclude what it matches.
    pub negated: bool,
    glob: Glob,
}

impl Entry {
    /// The compiled pattern without the leading `!`.
    pub fn glob(&self) -> &Glob {
        &self.glob
    }
}

/// A pattern of a list that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("pattern {} `{pattern}`: {message}", .index + 1)]
pub struct PatternError {
    /// Index of the pattern in the list (0-based).
    pub index: usize,
    /// Byte offset within the pattern as written (a leading `!` counts).
    pub offset: usize,
    pub pattern: String,
    pub message: String,
}

/// The raw outcome of a list for one value: `by` is the last pattern that matched, and
/// `matched` says whether it is positive (a `!` pattern leaves the value unmatched).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub matched: bool,
    pub by: Option<usize>,
}

/// Why a value or a set of files passed or failed a filter. Pattern and file indices are
/// 0-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// Include list: the last matching pattern is positive.
    IncludedBy { pattern: usize },
    /// Include list: the last matching pattern is a `!` pattern.
    ExcludedBy { pattern: usize },
    /// Include list: no pattern matched.
    NotListed,
    /// Ignore list: this pattern matched.
    IgnoredBy { pattern: usize },
    /// Ignore list: no pattern matched.
    NotIgnored,
    /// Ignore list: the last matching pattern is a `!` pattern.
    UnignoredBy { pattern: usize },
    /// Ignore list, paths: every one of this many changed files is ignored.
    AllIgnored { files: usize },
    /// Paths: the event changed no files, and GitHub then never runs a path-filtered
    /// workflow.
    NoFiles,
}

/// Whether one value (a branch, tag, topic, ...) passes a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub pass: bool,
    pub reason: Reason,
}

/// Whether a set of changed files passes a `paths`/`paths-ignore` list. `file` is the index
/// of the file the reason is about: the first included or not-ignored file when passing,
/// the first excluded file when an include list fails because of a `!` pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PathsVerdict {
    pub pass: bool,
    pub file: Option<usize>,
    pub reason: Reason,
}

/// An ordered, parsed list of patterns of one [`ListKind`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternList {
    kind: ListKind,
    entries: Vec<Entry>,
}

impl PatternList {
    /// Parses every pattern; the first invalid one is the error.
    pub fn parse<S: AsRef<str>>(
        kind: ListKind,
        patterns: &[S],
    ) -> Result<PatternList, PatternError> {
        let mut entries = Vec::with_capacity(patterns.len());
        for (index, p) in patterns.iter().enumerate() {
            let text = p.as_ref();
            let fail = |offset: usize, message: String| PatternError {
                index,
                offset,
                pattern: text.to_string(),
                message,
            };
            let (negated, body, skip) = match text.strip_prefix('!') {
                Some(rest) => (true, rest, 1),
                None => (false, text, 0),
            };
            if negated && body.is_empty() {
                return Err(fail(
                    0,
                    "`!` must be followed by the pattern to exclude".into(),
                ));
            }
            let glob = Glob::parse(body)
                .map_err(|GlobError { offset, message }| fail(skip + offset, message))?;
            entries.push(Entry {
                text: text.to_string(),
                negated,
                glob,
            });
        }
        Ok(PatternList { kind, entries })
    }

    /// `branches`, `tags`, `paths`.
    pub fn include<S: AsRef<str>>(patterns: &[S]) -> Result<PatternList, PatternError> {
        PatternList::parse(ListKind::Include, patterns)
    }

    /// `branches-ignore`, `tags-ignore`, `paths-ignore`.
    pub fn ignore<S: AsRef<str>>(patterns: &[S]) -> Result<PatternList, PatternError> {
        PatternList::parse(ListKind::Ignore, patterns)
    }

    pub fn kind(&self) -> ListKind {
        self.kind
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether some pattern is positive. GitHub's documentation requires one in an include
    /// list with `!` patterns, since only exclusions can never include anything; real
    /// workflows still write `tags: ['!**']` to mean "never for tags", so this is for
    /// warnings, not a parse error.
    pub fn has_positive(&self) -> bool {
        self.entries.iter().any(|e| !e.negated)
    }

    /// Indices of the `!` patterns; in an ignore list GitHub does not document them.
    pub fn negations(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.negated)
            .map(|(i, _)| i)
    }

    /// Evaluates the list for one value: the last matching pattern decides.
    pub fn decide(&self, value: &str) -> Decision {
        // Search from the end: the first hit is the last match.
        let found = self.entries.iter().rposition(|e| e.glob.matches(value));
        Decision {
            matched: found.is_some_and(|i| !self.entries[i].negated),
            by: found,
        }
    }

    /// [`PatternList::decide`] for each value in order.
    pub fn decide_each<S: AsRef<str>>(&self, values: &[S]) -> Vec<Decision> {
        values.iter().map(|v| self.decide(v.as_ref())).collect()
    }

    /// Whether one value passes the filter. Branch and tag patterns are matched against the
    /// short name (`main`, `v1.2`), not `refs/heads/main`.
    pub fn check(&self, value: &str) -> Verdict {
        let d = self.decide(value);
        let reason = match (self.kind, d.by) {
            (ListKind::Include, None) => Reason::NotListed,
            (ListKind::Include, Some(p)) if d.matched => Reason::IncludedBy { pattern: p },
            (ListKind::Include, Some(p)) => Reason::ExcludedBy { pattern: p },
            (ListKind::Ignore, None) => Reason::NotIgnored,
            (ListKind::Ignore, Some(p)) if d.matched => Reason::IgnoredBy { pattern: p },
            (ListKind::Ignore, Some(p)) => Reason::UnignoredBy { pattern: p },
        };
        Verdict {
            pass: matches!(
                reason,
                Reason::IncludedBy { .. } | Reason::NotIgnored | Reason::UnignoredBy { .. }
            ),
            reason,
        }
    }

    /// Whether a push or pull request that changed `files` passes a `paths` (at least one
    /// file included) or `paths-ignore` (at least one file not ignored) filter. No files
    /// never passes: GitHub does not run path-filtered workflows for empty diffs.
    pub fn check_paths<S: AsRef<str>>(&self, files: &[S]) -> PathsVerdict {
        let verdict = |pass, file, reason| PathsVerdict { pass, file, reason };
        if files.is_empty() {
            return verdict(false, None, Reason::NoFiles);
        }
        match self.kind {
            ListKind::Include => {
                let mut first_excluded = None;
                for (i, f) in files.iter().enumerate() {
                    match self.check(f.as_ref()).reason {
                        Reason::IncludedBy { pattern } => {
                            return verdict(true, Some(i), Reason::IncludedBy { pattern })
                        }
                        Reason::ExcludedBy { pattern } if first_excluded.is_none() => {
                            first_excluded = Some((i, pattern));
                        }
                        _ => {}
                    }
                }
                match first_excluded {
                    Some((i, pattern)) => verdict(false, Some(i), Reason::ExcludedBy { pattern }),
                    None => verdict(false, None, Reason::NotListed),
                }
            }
            ListKind::Ignore => {
                for (i, f) in files.iter().enumerate() {
                    let v = self.check(f.as_ref());
                    if v.pass {
                        return verdict(true, Some(i), v.reason);
                    }
                }
                verdict(false, None, Reason::AllIgnored { files: files.len() })
            }
        }
    }

    /// "`!dev` (pattern 3)": how sentences name a pattern, 1-based as people count.
    pub fn cite(&self, pattern: usize) -> String {
        match self.entries.get(pattern) {
            Some(e) => format!("`{}` (pattern {})", e.text, pattern + 1),
            None => format!("pattern {}", pattern + 1),
        }
    }
}

impl Verdict {
    /// A sentence such as "branch `dev` is excluded by `!dev` (pattern 3)"; `what` names the
    /// value's kind ("branch", "tag", "topic").
    pub fn describe(&self, list: &PatternList, what: &str, value: &str) -> String {
        let subject = format!("{what} `{value}`");
        match self.reason {
            Reason::IncludedBy { pattern } => {
                format!("{subject} is included by {}", list.cite(pattern))
            }
            Reason::ExcludedBy { pattern } => {
                format!("{subject} is excluded by {}", list.cite(pattern))
            }
            Reason::NotListed => format!("{subject} matches none of the {} patterns", list.len()),
            Reason::IgnoredBy { pattern } => {
                format!("{subject} is ignored by {}", list.cite(pattern))
            }
            Reason::NotIgnored => format!(
                "{subject} matches none of the {} ignore patterns",
                list.len()
            ),
            Reason::UnignoredBy { pattern } => {
                format!("{subject} is not ignored because of {}", list.cite(pattern))
            }
            Reason::AllIgnored { .. } | Reason::NoFiles => format!("{subject}: no decision"),
        }
    }
}

impl PathsVerdict {
    /// A sentence such as "`src/a.js` is included by `**.js` (pattern 1)" or "all 3 changed
    /// files are ignored".
    pub fn describe<S: AsRef<str>>(&self, list: &PatternList, files: &[S]) -> String {
        let file = |i: Option<usize>| {
            i.and_then(|i| files.get(i))
                .map_or_else(|| "?".to_string(), |f| format!("`{}`", f.as_ref()))
        };
        match self.reason {
            Reason::NoFiles => "no files changed".to_string(),
            Reason::IncludedBy { pattern } => format!(
                "changed file {} is included by {}",
                file(self.file),
                list.cite(pattern)
            ),
            Reason::ExcludedBy { pattern } => format!(
                "no changed file is included; {} is excluded by {}",
                file(self.file),
                list.cite(pattern)
            ),
            Reason::NotListed => format!(
                "none of the {} changed files matches the paths patterns",
                files.len()
            ),
            Reason::NotIgnored => format!(
                "changed file {} matches none of the ignore patterns",
                file(self.file)
            ),
            Reason::UnignoredBy { pattern } => format!(
                "changed file {} is not ignored because of {}",
                file(self.file),
                list.cite(pattern)
            ),
            Reason::AllIgnored { files: n } => {
                format!("all {n} changed files match the ignore patterns")
            }
            Reason::IgnoredBy { pattern } => format!("ignored by {}", list.cite(pattern)),
        }
    }
}
