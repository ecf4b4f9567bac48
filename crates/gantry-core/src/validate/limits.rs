//! What GitHub's workflow reader refuses in the YAML itself, before any schema: nesting
//! deeper than 50 mappings and sequences, expressions longer than 21,000 characters — a
//! string's text and every `${{ }}` in it count as the one `format()` expression GitHub makes
//! of them — and explicit tags it cannot resolve (`!!int abc`, `!!timestamp`, local tags).
//!
//! GitHub's parser is `src/Sdk/WorkflowParser` in actions/runner: `TemplateMemory`
//! (depth), `TemplateReader.ParseScalar` and `ExpressionParser` (length), `YamlObjectReader`
//! (tags). Its limits are counted in UTF-16 code units, as C# strings count.

use crate::diag::Diagnostics;
use crate::model::{JobKind, Workflow};
use crate::yaml::node::{ScalarStyle, Span};
use crate::yaml::tree::{Node, NodeKind, Scalar};
use crate::yaml::Shape;

/// `ParseOptions.MaxDepth`: mappings and sequences nested in a workflow, the root included.
pub const MAX_DEPTH: usize = 50;
/// `ExpressionConstants.MaxLength`.
pub const MAX_EXPRESSION_LENGTH: usize = 21_000;
/// The shortest string (in bytes) whose `format()` expression can be longer than the limit:
/// the text at most doubles (quotes and braces), and each `${{ }}` of at least five bytes
/// adds at most its own length and five characters.
const MIN_TEXT_FOR_LIMIT: usize = MAX_EXPRESSION_LENGTH / 4;

/// Checks every node of a workflow's tree: depth, tags, expression lengths. The walk is
/// skipped when the parser's [`Shape`] says no node can fail (nearly every file): it cost
/// about 2% of `gantry validate`.
pub fn check_tree(root: &Node<'_>, shape: Shape, text: &str, diags: &mut Diagnostics) {
    if shape.deepest <= MAX_DEPTH && !shape.tagged && shape.longest_scalar < MIN_TEXT_FOR_LIMIT {
        return;
    }
    let mut walk = Walk {
        text,
        diags,
        too_deep: false,
    };
    walk.node(root, 0);
}

/// Bare `if:` conditions (no `${{`), which GitHub parses whole as one expression.
pub fn check_conditions(wf: &Workflow, diags: &mut Diagnostics) {
    // UTF-16 units are never more than bytes: only a condition longer in bytes is looked at.
    let long = |c: &&crate::model::Str| c.value.len() > MAX_EXPRESSION_LENGTH;
    for job in &wf.jobs {
        let steps = match &job.kind {
            JobKind::Steps(s)
                if s.steps.iter().any(|st| {
                    st.if_.as_ref().is_some_and(|c| long(&c))
                        || matches!(st.action, crate::model::StepAction::Parallel(_))
                }) =>
            {
                super::ids::flatten(&s.steps)
            }
            _ => Vec::new(),
        };
        let conditions = std::iter::once(&job.if_).chain(steps.iter().map(|s| &s.if_));
        for c in conditions.flatten().filter(long) {
            let n = utf16_len(&c.value);
            if n > MAX_EXPRESSION_LENGTH && crate::expr::find_open(&c.value).is_none() {
                diags.error("limits", c.span, too_long(n, "this `if:` condition"));
            }
        }
    }
}

struct Walk<'t, 'd> {
    text: &'t str,
    diags: &'d mut Diagnostics,
    /// GitHub stops reading at the first collection too deep: one error is enough.
    too_deep: bool,
}

impl Walk<'_, '_> {
    /// `depth` counts the collections around `node`.
    fn node(&mut self, node: &Node<'_>, depth: usize) {
        match &node.kind {
            NodeKind::Scalar(s) => self.scalar(node.span, s),
            NodeKind::Seq(items) => {
                self.level(node, depth + 1);
                for item in items.iter() {
                    self.node(item, depth + 1);
                }
            }
            NodeKind::Map(entries) => {
                self.level(node, depth + 1);
                for e in entries.iter() {
                    self.node(&e.key, depth + 1);
                    self.node(&e.value, depth + 1);
                }
            }
        }
    }

    fn level(&mut self, node: &Node<'_>, level: usize) {
        if level > MAX_DEPTH && !self.too_deep {
            self.too_deep = true;
            let what = if matches!(node.kind, NodeKind::Seq(_)) {
                "sequence"
            } else {
                "mapping"
            };
            self.diags.error(
                "limits",
                Span::at(node.span.start),
                format!("this {what} nests {level} mappings and sequences deep; GitHub reads at most {MAX_DEPTH} levels (\"Maximum object depth exceeded\")"),
            );
        }
    }

    fn scalar(&mut self, span: Span, s: &Scalar<'_>) {
        if let Some(tag) = s.tag {
            self.tag(span, s, tag);
        }
        // No expression GitHub makes of a string can exceed the limit before the string is
        // a quarter of it (text doubles at most, each `${{ }}` adds a few characters): the
        // search for `${{` is skipped for nearly every value (it cost 4% of `validate`).
        if s.text.len() < MIN_TEXT_FOR_LIMIT
            || s.tag.is_some_and(|t| t != "str")
            || crate::expr::find_open(s.text).is_none()
        {
            return;
        }
        let Some((single, whole)) = expression_lengths(s.text) else {
            return;
        };
        if single > MAX_EXPRESSION_LENGTH {
            let msg = too_long(single, "an expression in this value");
            self.diags.error("limits", span, msg);
        } else if whole > MAX_EXPRESSION_LENGTH {
            let msg = too_long(
                whole,
                "this value (its text and `${{ }}` joined by `format()`)",
            );
            self.diags.error("limits", span, msg);
        }
    }

    fn tag(&mut self, span: Span, s: &Scalar<'_>, name: &str) {
        let Some(written) = written_tag(self.text, span) else {
            return;
        };
        if let Some(msg) = tag_problem(s, name, written) {
            self.diags.error("tag", span, msg);
        }
    }
}

fn too_long(n: usize, what: &str) -> String {
    format!("{what} is one expression of {n} characters for GitHub, which refuses expressions longer than {MAX_EXPRESSION_LENGTH} (\"Exceeded max expression length\"); move text into a script file or values into `env:`")
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// The lengths GitHub gives the expressions of a string (`TemplateReader.ParseScalar`):
/// the longest `${{ }}` by itself (each is parsed alone first), and the `format('…', …)`
/// that joins text and expressions (0 when the string is one lone expression). `None` when
/// an expression is empty or not closed: the expression check reports those.
fn expression_lengths(raw: &str) -> Option<(usize, usize)> {
    let (mut single, mut format, mut args, mut count) = (0, 0, 0, 0usize);
    let mut text = false;
    let mut i = 0;
    while let Some(open) = crate::expr::find_open(&raw[i..]).map(|o| i + o) {
        if open > i {
            format += escaped_len(&raw[i..open]);
            text = true;
        }
        let close = close_of(raw.as_bytes(), open + 3)?;
        let inner = raw[open + 3..close - 1].trim();
        if inner.is_empty() {
            return None;
        }
        let n = utf16_len(inner);
        single = single.max(n);
        format += 2 + count.to_string().len(); // `{0}`
        args += 2 + n; // `, expr`
        count += 1;
        i = close + 1;
    }
    if i < raw.len() {
        format += escaped_len(&raw[i..]);
        text = true;
    }
    let whole = if count == 1 && !text {
        0
    } else {
        "format('".len() + format + "'".len() + args + ")".len()
    };
    Some((single, whole))
}

/// Where GitHub's scan ends an expression opened before `from`: at the second `}` of the
/// first `}}` outside a quoted string (every `'` toggles in and out).
fn close_of(b: &[u8], from: usize) -> Option<usize> {
    let mut in_string = false;
    for i in from..b.len() {
        match b[i] {
            b'\'' => in_string = !in_string,
            b'}' if !in_string && b[i - 1] == b'}' => return Some(i),
            _ => {}
        }
    }
    None
}

/// Text in `format('…')`: quotes and braces doubled.
fn escaped_len(s: &str) -> usize {
    utf16_len(s)
        + s.bytes()
            .filter(|b| matches!(b, b'\'' | b'{' | b'}'))
            .count()
}

/// How a tag is written: YamlDotNet reads `!!x` and `!<tag:yaml.org,2002:x>` as the core
/// tag `x`, anything else as itself.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Written<'t> {
    Core,
    Other(&'t str),
}

/// The tag of the scalar at `span` as the source writes it. `None` for an alias (its
/// anchor's node is judged where it is written), a named handle (`!e!x`, whatever its
/// `%TAG` says) and the non-specific `!`.
fn written_tag(text: &str, span: Span) -> Option<Written<'_>> {
    let start = span.start.offset as usize;
    let end = (span.end.offset as usize).clamp(start, text.len());
    let src = text.get(start..end)?;
    if src.starts_with('*') {
        return None;
    }
    // Anchor names cannot hold `!`: the first one starts the tag.
    let tag = &src[src.find('!')?..];
    let b = tag.as_bytes();
    match b.get(1) {
        Some(b'!') => Some(Written::Core),
        Some(b'<') => {
            let body = &tag[2..tag.find('>')?];
            match body.strip_prefix("tag:yaml.org,2002:") {
                Some(_) => Some(Written::Core),
                None => Some(Written::Other(&tag[..body.len() + 3])),
            }
        }
        _ => {
            let n = 1 + b[1..].iter().take_while(|c| is_name_char(**c)).count();
            (n > 1 && b.get(n) != Some(&b'!')).then(|| Written::Other(&tag[..n]))
        }
    }
}

fn is_name_char(c: u8) -> bool {
    !(c.is_ascii_whitespace() || c == b',' || c == b'[' || c == b']' || c == b'{' || c == b'}')
        && c != b'!'
}

/// What GitHub says of a tagged scalar (`YamlObjectReader.AllowLiteral`), if it refuses it.
fn tag_problem(s: &Scalar<'_>, name: &str, written: Written<'_>) -> Option<String> {
    if let Written::Other(t) = written {
        return Some(unknown_tag(t));
    }
    if name == "str" {
        return None;
    }
    if s.style != ScalarStyle::Plain {
        return Some(format!(
            "the tag `!!{name}` only applies to a plain scalar; GitHub refuses it on a {} one",
            style_name(s.style)
        ));
    }
    let v = s.text;
    let (ok, expected) = match name {
        "bool" => (
            matches!(v, "true" | "True" | "TRUE" | "false" | "False" | "FALSE"),
            "`true` or `false` (or `True`, `TRUE`, `False`, `FALSE`)",
        ),
        "int" => (
            is_int(v),
            "an integer (`12`, `-3`, `0x1F`, `0o17`, within 32 bits for hex and octal)",
        ),
        "float" => (is_float(v), "a number (`1.5`, `-2`, `1e3`, `.inf`, `.nan`)"),
        "null" => (
            matches!(v, "" | "null" | "Null" | "NULL" | "~"),
            "`null`, `~` or nothing",
        ),
        _ => return Some(unknown_tag(&format!("!!{name}"))),
    };
    (!ok).then(|| {
        format!("`{v}` is not a `!!{name}`: GitHub expects {expected} and refuses the file")
    })
}

fn unknown_tag(t: &str) -> String {
    format!("GitHub does not know the tag `{t}`: on a scalar it takes only `!!str`, `!!int`, `!!float`, `!!bool` and `!!null` (\"Unexpected tag\")")
}

fn style_name(style: ScalarStyle) -> &'static str {
    match style {
        ScalarStyle::Plain => "plain",
        ScalarStyle::SingleQuoted => "single-quoted",
        ScalarStyle::DoubleQuoted => "double-quoted",
        ScalarStyle::Literal => "literal block",
        ScalarStyle::Folded => "folded block",
    }
}

/// `MatchInteger`: `[0-9]+`, `[-+][0-9]+`, `0x[0-9a-fA-F]+` and `0o[0-7]+` (the last two
/// parsed into 32 bits).
fn is_int(v: &str) -> bool {
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    let fits = |s: &str, radix: u32| {
        let s = s.trim_start_matches('0');
        s.len() <= 11
            && u64::from_str_radix(s, radix).map_or(s.is_empty(), |n| n <= u32::MAX as u64)
    };
    if let Some(h) = v.strip_prefix("0x") {
        return digits(h, 16) && fits(h, 16);
    }
    if let Some(o) = v.strip_prefix("0o") {
        return digits(o, 8) && fits(o, 8);
    }
    digits(v.strip_prefix(['-', '+']).unwrap_or(v), 10)
}

/// `MatchFloat`: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `.inf`, `.nan`.
fn is_float(v: &str) -> bool {
    let special = [".inf", ".Inf", ".INF"];
    if special
        .iter()
        .any(|s| v.strip_prefix(['-', '+']).unwrap_or(v) == *s)
        || matches!(v, ".nan" | ".NaN" | ".NAN")
    {
        return true;
    }
    let body = v.strip_prefix(['-', '+']).unwrap_or(v);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int)
        && frac.is_none_or(all_digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expression_lengths_follow_githubs_format() {
        assert_eq!(expression_lengths("${{ a }}"), Some((1, 0)));
        // format('x{0}', a)
        assert_eq!(expression_lengths("x${{ a }}"), Some((1, 17)));
        // format('''{{{0}}}', a): quotes and braces doubled
        assert_eq!(expression_lengths("'{${{ a }}}"), Some((1, 22)));
        // format('{0}{1}', a, bb)
        assert_eq!(expression_lengths("${{ a }}${{ bb }}"), Some((2, 23)));
        assert_eq!(expression_lengths("${{ '}}' }}"), Some((4, 0)));
        assert_eq!(expression_lengths("${{ a"), None);
        assert_eq!(expression_lengths("${{ }}"), None);
    }

    #[test]
    fn core_scalar_forms() {
        for ok in [
            "0",
            "-12",
            "+3",
            "0x1F",
            "0xFFFFFFFF",
            "0x000000001",
            "0o17",
            "0o37777777777",
        ] {
            assert!(is_int(ok), "{ok}");
        }
        for bad in [
            "",
            "-",
            "0x",
            "0X1F",
            "0x100000000",
            "0o8",
            "0o40000000000",
            "1.0",
            "1_000",
        ] {
            assert!(!is_int(bad), "{bad}");
        }
        for ok in [
            "1", "1.", ".5", "-1.5e3", "+2E-7", ".inf", "-.Inf", ".NaN", "1e5",
        ] {
            assert!(is_float(ok), "{ok}");
        }
        for bad in ["", ".", "-", "1.2.3", "e5", "1e", ".e5", "-.nan", "0x1"] {
            assert!(!is_float(bad), "{bad}");
        }
    }

    /// What the walk itself would find: (depth, any tag, longest scalar).
    fn walked(n: &Node<'_>) -> (usize, bool, usize) {
        let fold = |acc: (usize, bool, usize), c: (usize, bool, usize)| {
            (acc.0.max(c.0), acc.1 || c.1, acc.2.max(c.2))
        };
        match &n.kind {
            NodeKind::Scalar(s) => (0, s.tag.is_some(), s.text.len()),
            NodeKind::Seq(items) => {
                let inner = items.iter().map(walked).fold((0, false, 0), fold);
                (inner.0 + 1, inner.1, inner.2)
            }
            NodeKind::Map(entries) => {
                let kids = entries
                    .iter()
                    .flat_map(|e| [walked(&e.key), walked(&e.value)]);
                let inner = kids.fold((0, false, 0), fold);
                (inner.0 + 1, inner.1, inner.2)
            }
        }
    }

    /// The walk is skipped on the parser's word: its shape must never say less than the tree
    /// holds (depth and length exactly; a tag on a collection may say more).
    fn shape_covers(src: &str) {
        let arena = crate::yaml::Bump::new();
        let Ok((Some(root), shape)) = crate::yaml::parse_shaped(src, &arena) else {
            return;
        };
        let (depth, tagged, longest) = walked(&root);
        assert_eq!(shape.deepest, depth, "depth of {src:?}");
        assert_eq!(shape.longest_scalar, longest, "longest scalar of {src:?}");
        assert!(shape.tagged || !tagged, "tags of {src:?}");
    }

    #[test]
    fn the_parsers_shape_matches_the_tree() {
        for src in [
            "a",
            "[]",
            "{}",
            "a:\n- b\n- [c, {d: e}]\n",
            "a: &x {b: [c, [d]]}\nf: *x\ng: [*x, *x]\n",
            "a: &x [[[1]]]\nb: {c: {d: *x}}\n",
            "- - - - x\n",
            "a: !!str 1\n",
            "a: !!map {b: 1}\n",
            "? [a, {b: c}]\n: d\n",
            "[[a]: 1]",
            "[? a]",
            "[? [a]]",
            "[{a: [b]}: c, d: [[e]]]",
            "{a: {b: c}, ? [d]}",
            "x: &k [[a]: 1]\ny: [*k]\n",
            "a: |\n  long\n  text\nb: 'q'\n",
        ] {
            shape_covers(src);
        }
        let dir = crate::validate::tests_support::corpus_dir().join("workflows");
        for repo in std::fs::read_dir(&dir).expect("corpus workflows") {
            for file in std::fs::read_dir(repo.unwrap().path()).unwrap() {
                let text = std::fs::read_to_string(file.unwrap().path()).unwrap_or_default();
                shape_covers(&text);
            }
        }
    }
}
