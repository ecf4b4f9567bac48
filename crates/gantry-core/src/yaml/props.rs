//! Node properties and aliases: `&anchor`, `!tag`, and `*alias` expanded in place.
//!
//! An alias becomes a copy of the node its anchor named (sharing its collections in the
//! arena), which whoever walks the tree — lowering, the owned copy tests take — expands, so
//! an "alias bomb" (anchors of aliases of aliases) could blow up time and memory; copies
//! are counted against [`MAX_ALIAS_NODES`] and [`MAX_ALIAS_BYTES`], and an alias may not
//! push the nesting past [`MAX_DEPTH`] either.

use super::node::{ScalarStyle, Span};
use super::parse::{Parser, Res, MAX_ALIAS_BYTES, MAX_ALIAS_NODES, MAX_DEPTH};
use super::scanner::{is_blankz, Cursor, Mark};
use super::tree::{Node, NodeKind};

/// What an anchor names, with what copying it costs.
pub(super) struct Anchored<'a> {
    node: Node<'a>,
    height: usize,
    nodes: usize,
    bytes: usize,
}

pub(super) struct Props<'a> {
    anchor: Option<&'a str>,
    tag: Option<&'a str>,
    pub start: Mark,
    pub end: Mark,
}

impl<'a> Props<'a> {
    /// Both sets of properties on one node (libyaml allows one anchor and one tag).
    pub(super) fn merge(self, other: Props<'a>, cur: &Cursor<'a>) -> Res<Props<'a>> {
        if self.anchor.is_some() && other.anchor.is_some() {
            return Err(cur.error_at(other.start, "a node can have only one anchor"));
        }
        if self.tag.is_some() && other.tag.is_some() {
            return Err(cur.error_at(other.start, "a node can have only one tag"));
        }
        Ok(Props {
            anchor: self.anchor.or(other.anchor),
            tag: self.tag.or(other.tag),
            start: self.start,
            end: other.end,
        })
    }
}

/// Saved state while an anchored node is parsed, to measure its height.
pub(super) struct AnchorScope {
    saved_deepest: usize,
}

/// libyaml's anchor and alias names: ASCII letters, digits, `_` and `-`.
fn is_anchor_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Characters of a tag's URI (libyaml's set; `,[]` only inside `!<...>`).
fn is_tag_char(b: u8, verbatim: bool) -> bool {
    b.is_ascii_alphanumeric()
        || b"-_;/?:@&=+$.%!~*'()".contains(&b)
        || (verbatim && b",[]".contains(&b))
}

impl<'a> Parser<'a> {
    /// Parses an anchor and/or a tag at the cursor (which is on `&` or `!`).
    pub(super) fn props(&mut self, flow: bool) -> Res<Props<'a>> {
        let start = self.cur.mark();
        let mut props = Props {
            anchor: None,
            tag: None,
            start,
            end: start,
        };
        self.more_props(&mut props, flow)?;
        Ok(props)
    }

    /// Adds the anchor and/or tag at the cursor to `props`; each may appear once.
    pub(super) fn more_props(&mut self, props: &mut Props<'a>, flow: bool) -> Res<()> {
        loop {
            match self.cur.peek() {
                b'&' if props.anchor.is_none() => props.anchor = Some(self.name("an anchor")?),
                b'!' if props.tag.is_none() => props.tag = Some(self.tag(flow)?),
                b'&' => return Err(self.cur.error("a node can have only one anchor")),
                b'!' => return Err(self.cur.error("a node can have only one tag")),
                _ => return Ok(()),
            }
            props.end = self.cur.mark();
            let save = self.cur.pos;
            self.cur.skip_blanks(true);
            if !matches!(self.cur.peek(), b'&' | b'!') {
                self.cur.pos = save;
                return Ok(());
            }
        }
    }

    /// The name after `&` or `*` (the cursor on that sign).
    fn name(&mut self, what: &str) -> Res<&'a str> {
        let start = self.cur.mark();
        self.cur.pos += 1;
        let from = self.cur.pos;
        while is_anchor_char(self.cur.peek()) {
            self.cur.pos += 1;
        }
        let next = self.cur.peek();
        let ends = is_blankz(next) || b"?:,]}%@`".contains(&next);
        if self.cur.pos == from || !ends {
            return Err(self.cur.error_at(
                start,
                format!(
                    "while scanning {what}: did not find expected alphabetic or numeric character"
                ),
            ));
        }
        self.cur.slice(from, self.cur.pos)
    }

    /// A tag, kept without its `!`/`!!` (so `!!str` is `str`). A named handle (`!e!x`)
    /// must have been declared by a `%TAG` directive, as libyaml requires.
    fn tag(&mut self, flow: bool) -> Res<&'a str> {
        self.tagged = true;
        let start = self.cur.mark();
        self.cur.pos += 1;
        let verbatim = self.cur.peek() == b'<';
        let mut handle_end = start.pos + 1;
        if verbatim {
            self.cur.pos += 1;
        } else {
            while is_anchor_char(self.cur.peek()) {
                self.cur.pos += 1;
            }
            if self.cur.peek() == b'!' {
                handle_end = self.cur.pos + 1;
            }
            self.cur.pos = handle_end;
        }
        let from = self.cur.pos;
        while is_tag_char(self.cur.peek(), verbatim) {
            if self.cur.peek() == b'%'
                && !(self.cur.peek_at(1).is_ascii_hexdigit()
                    && self.cur.peek_at(2).is_ascii_hexdigit())
            {
                return Err(self
                    .cur
                    .error("while parsing a tag: did not find URI escaped octet"));
            }
            self.cur.pos += 1;
        }
        let body = self.cur.slice(from, self.cur.pos)?;
        let handle = self.cur.slice(start.pos, handle_end)?;
        let named = handle.len() > 1;
        if body.is_empty() && (verbatim || named) {
            return Err(self
                .cur
                .error("while parsing a tag: did not find expected tag URI"));
        }
        if verbatim {
            if self.cur.peek() != b'>' {
                return Err(self
                    .cur
                    .error("while scanning a tag: did not find the expected '>'"));
            }
            self.cur.pos += 1;
        }
        let next = self.cur.peek();
        if !(is_blankz(next) || (flow && next == b',')) {
            return Err(self.cur.error_at(
                start,
                "while scanning a tag: did not find expected whitespace or line break",
            ));
        }
        if named && handle != "!!" && !self.tag_handles.contains(&handle) {
            return Err(self
                .cur
                .error_at(start, format!("found undefined tag handle `{handle}`")));
        }
        let name = if verbatim {
            body.strip_prefix("tag:yaml.org,2002:").unwrap_or(body)
        } else if handle == "!!" {
            body
        } else {
            self.cur.slice(start.pos + 1, self.cur.pos)?
        };
        Ok(name)
    }

    /// Starts measuring the node that follows an anchor.
    pub(super) fn anchor_scope(&mut self) -> AnchorScope {
        let saved_deepest = self.deepest;
        self.deepest = self.depth;
        AnchorScope { saved_deepest }
    }

    /// Applies parsed properties to the node they stand before (on top of the stack)
    /// and records the anchor.
    pub(super) fn finish_props(&mut self, props: Props<'a>, scope: AnchorScope) -> Res<()> {
        let height = self.deepest - self.depth;
        self.deepest = self.deepest.max(scope.saved_deepest);
        let start = self.cur.pos_of(props.start);
        let Some(node) = self.items.last_mut() else {
            return Err(self.cur.error("internal error: properties without a node"));
        };
        if start.offset < node.span.start.offset {
            node.span.start = start;
        }
        if let (Some(tag), NodeKind::Scalar(s)) = (props.tag, &mut node.kind) {
            s.tag = Some(tag);
        }
        if let Some(name) = props.anchor {
            let (nodes, bytes) = measure(node);
            let anchored = Anchored {
                node: *node,
                height,
                nodes,
                bytes,
            };
            self.anchors.insert(name, anchored);
        }
        Ok(())
    }

    /// Pushes the null a node with properties but no content stands for (`key: &a`).
    pub(super) fn push_empty_props(&mut self, props: &Props<'a>) {
        self.push_scalar("", ScalarStyle::Plain, props.start, props.end);
    }

    /// `*name` (the cursor on `*`): a copy of the anchored node, spanning the alias.
    pub(super) fn alias(&mut self) -> Res<()> {
        let start = self.cur.mark();
        let name = self.name("an alias")?;
        let Some(a) = self.anchors.get(name) else {
            return Err(self
                .cur
                .error_at(start, format!("found undefined alias `{name}`")));
        };
        self.alias_nodes += a.nodes;
        self.alias_bytes += a.bytes;
        if self.alias_nodes > MAX_ALIAS_NODES || self.alias_bytes > MAX_ALIAS_BYTES {
            return Err(self.cur.error_at(start, "too many alias expansions"));
        }
        if self.depth + a.height > MAX_DEPTH {
            return Err(self
                .cur
                .error_at(start, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.deepest = self.deepest.max(self.depth + a.height);
        // The copy shares the anchored node's collections: the arena keeps them.
        let mut node = a.node;
        node.span = Span::new(self.cur.pos_of(start), self.cur.here());
        self.items.push(node);
        Ok(())
    }
}

/// Nodes and scalar bytes in a tree (bounded depth: trees never nest past MAX_DEPTH).
fn measure(node: &Node<'_>) -> (usize, usize) {
    match &node.kind {
        NodeKind::Scalar(s) => (1, s.text.len()),
        NodeKind::Seq(items) => items.iter().fold((1, 0), |(n, b), it| {
            let (n2, b2) = measure(it);
            (n + n2, b + b2)
        }),
        NodeKind::Map(entries) => entries.iter().fold((1, 0), |(n, b), e| {
            let (n1, b1) = measure(&e.key);
            let (n2, b2) = measure(&e.value);
            (n + n1 + n2, b + b1 + b2)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{check_errors, check_table, dump, dump_spans, err_of};

    #[test]
    fn anchors_aliases_and_tags() {
        let cases: &[(&str, &str)] = &[
            ("a: &x 1\nb: *x\n", "{a: 1, b: 1}"),
            ("a: &x\n  k: v\nb: *x\n", "{a: {k: v}, b: {k: v}}"),
            ("- &x [1, 2]\n- *x\n", "[[1, 2], [1, 2]]"),
            ("&k key: v\n*k : w\n", "{key: v, key: w}"),
            ("a: &x 1\na2: &x 2\nb: *x\n", "{a: 1, a2: 2, b: 2}"),
            ("a: !!str 12\n", "{a: !str 12}"),
            ("a: !local x\n", "{a: !local x}"),
            ("a: !x%41 1\n", "{a: !x%41 1}"),
            ("a: !<tag:yaml.org,2002:str> 1\n", "{a: !str 1}"),
            ("a: &x !!str\nb: *x\n", "{a: !str P\"\", b: !str P\"\"}"),
            ("a: !!str &x 3\nb: *x\n", "{a: !str 3, b: !str 3}"),
            ("a: &x\n- 1\nb: 2\n", "{a: [1], b: 2}"),
            (
                "a: &x\n  &y b\n",
                "ERROR a node can have only one anchor at line 2, column 3",
            ),
            ("&x\n&y b: 1\n", "{b: 1}"),
            ("!!str\n&y b: 1\nc: *y\n", "{b: 1, c: b}"),
            ("a: &x\n  !t b\n", "{a: !t b}"),
            ("a: !!map\n  k: v\n", "{a: {k: v}}"),
            ("[&a x, *a, !!str y, ! z]\n", "[x, x, !str y, ! z]"),
            (
                "<<: *x\n",
                "ERROR found undefined alias `x` at line 1, column 5",
            ),
        ];
        check_table(cases);
    }

    #[test]
    fn declared_tag_handles_are_kept_whole() {
        // (libyaml would resolve `!e!x` through the directive; the tree keeps it as written.)
        assert_eq!(
            dump("%TAG !e! tag:e.com,2000:\n---\na: !e!x 1\n"),
            "{a: !e!x 1}"
        );
    }

    #[test]
    fn aliases_span_the_alias_and_anchors_extend_their_node() {
        assert_eq!(
            dump_spans("a: &x 1\nb: *x\n"),
            "{a@1:1-1:2: 1@1:4-1:8, b@2:1-2:2: 1@2:4-2:6}@1:1-2:6"
        );
    }

    #[test]
    fn bad_names_and_tags_are_positioned_errors() {
        let cases: &[(&str, &str, u32, u32)] = &[
            ("a: &\n", "while scanning an anchor", 1, 4),
            ("a: &x.y 1\n", "while scanning an anchor", 1, 4),
            ("a: *\n", "while scanning an alias", 1, 4),
            (
                "a: !<x 1\n",
                "while scanning a tag: did not find the expected '>'",
                1,
                7,
            ),
            ("a: [!!str]\n", "while scanning a tag", 1, 5),
            (
                "a: !!\n",
                "while parsing a tag: did not find expected tag URI",
                1,
                6,
            ),
            ("a: !e!x 1\n", "found undefined tag handle `!e!`", 1, 4),
            (
                "a: !x%4g 1\n",
                "while parsing a tag: did not find URI escaped octet",
                1,
                6,
            ),
            ("a: &x &y 1\n", "a node can have only one anchor", 1, 7),
        ];
        check_errors(cases);
    }

    #[test]
    fn alias_bombs_are_stopped() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            src.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        assert_eq!(err_of(&src).message, "too many alias expansions");
        let big = "x".repeat(1 << 20);
        let mut src = format!("a: &a {big}\nb: [");
        src.push_str(&"*a, ".repeat(100));
        src.push_str("]\n");
        assert_eq!(err_of(&src).message, "too many alias expansions");
    }

    #[test]
    fn aliases_cannot_nest_past_the_depth_limit() {
        let mut src = format!("a0: &a0 {}x{}\n", "[".repeat(200), "]".repeat(200));
        src.push_str(&format!("a1: {}*a0{}\n", "[".repeat(100), "]".repeat(100)));
        assert!(err_of(&src).message.starts_with("nesting deeper than 256"));
    }
}
