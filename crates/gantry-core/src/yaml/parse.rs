//! The parser's entry point and shared state: one document in, one span-carrying tree
//! out, or one positioned error.
//!
//! There is no token or event stream: the parser descends the text directly and builds
//! nodes as it goes, following libyaml (what `serde_yaml` users get) on what it accepts.
//! This file holds the document level (BOM, directives, `---`/`...`, the "one document"
//! rule) and the helpers the block, flow and scalar parts share.

use std::collections::HashMap;

use bumpalo::Bump;

use super::block_scalar::Piece;
use super::node::{ScalarStyle, Span};
use super::props::Anchored;
use super::scanner::{check_characters, Cursor, Mark, BOM};
use super::tree::{Entry, Node, NodeKind, Scalar};

/// Deeper nesting than this is refused: the parser (and whoever walks the tree) recurses.
pub const MAX_DEPTH: usize = 256;
/// An alias bomb is stopped once aliases have copied this many nodes in total.
pub const MAX_ALIAS_NODES: usize = 1_000_000;
/// ... or this many bytes of scalar text.
pub const MAX_ALIAS_BYTES: usize = 64 << 20;

#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub pos: super::node::Pos,
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at line {}, column {}",
            self.message, self.pos.line, self.pos.col
        )
    }
}

impl std::error::Error for YamlError {}

pub(super) type Res<T> = Result<T, YamlError>;

/// Parses one YAML document into an owned tree. `Ok(None)` when the text holds no node
/// at all (only comments, whitespace and document markers).
pub fn parse(src: &str) -> Result<Option<super::node::Node>, YamlError> {
    let arena = Bump::new();
    Ok(parse_in(src, &arena)?.map(|n| n.to_owned_node()))
}

/// Parses one YAML document into `arena` (see [`super::tree`]).
pub fn parse_in<'a>(src: &'a str, arena: &'a Bump) -> Result<Option<Node<'a>>, YamlError> {
    parse_shaped(src, arena).map(|(root, _)| root)
}

/// What the parser learns about a tree on the way, so that checks over every node (depth,
/// tags, very long values: `validate::limits`) can skip the walk when nothing could fail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// Collections nested around the deepest node, the root's included (aliases count
    /// as the nodes they copy).
    pub deepest: usize,
    /// Whether any node carries an explicit tag.
    pub tagged: bool,
    /// The longest scalar's text, in bytes.
    pub longest_scalar: usize,
}

/// [`parse_in`], and the tree's [`Shape`].
pub fn parse_shaped<'a>(
    src: &'a str,
    arena: &'a Bump,
) -> Result<(Option<Node<'a>>, Shape), YamlError> {
    if src.len() >= u32::MAX as usize {
        return Err(YamlError {
            pos: super::node::Pos {
                offset: 0,
                line: 1,
                col: 1,
            },
            message: "the file is too large (4 GiB or more)".into(),
        });
    }
    let ascii_until = check_characters(src)?;
    let pieces = PIECES.with(|s| s.take());
    let mut p = Parser::new(src, arena, pieces);
    p.cur.ascii_until = ascii_until;
    let result = p.document();
    let shape = Shape {
        deepest: p.deepest,
        tagged: p.tagged,
        longest_scalar: p.longest_scalar,
    };
    PIECES.with(|s| s.set(p.pieces));
    result.map(|root| (root, shape))
}

thread_local! {
    /// The block-scalar scratch of the last parse on this thread, kept for the next one.
    static PIECES: std::cell::Cell<Vec<Piece>> = const { std::cell::Cell::new(Vec::new()) };
}

pub(super) struct Parser<'a> {
    pub cur: Cursor<'a>,
    /// Where collections and assembled scalar text go.
    pub arena: &'a Bump,
    /// Collections currently open around the cursor.
    pub depth: usize,
    /// The deepest level reached since the last reset; gives an anchored node its height,
    /// so that an alias cannot smuggle in nesting past [`MAX_DEPTH`].
    pub deepest: usize,
    pub anchors: HashMap<&'a str, Anchored<'a>>,
    /// Named tag handles (`!e!`) declared by `%TAG` directives.
    pub tag_handles: Vec<&'a str>,
    pub alias_nodes: usize,
    pub alias_bytes: usize,
    /// See [`Shape`].
    pub tagged: bool,
    pub longest_scalar: usize,
    /// The node stack: every node-producing function pushes the node it parsed, and a
    /// collection takes its children (keys and values alternating, for a mapping) off
    /// it, so each node moves little and each collection's slice is allocated once, at
    /// its final size.
    pub items: Vec<Node<'a>>,
    /// Scratch for assembling block scalars.
    pub pieces: Vec<Piece>,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, arena: &'a Bump, pieces: Vec<Piece>) -> Parser<'a> {
        Parser {
            cur: Cursor::new(src),
            arena,
            depth: 0,
            deepest: 0,
            anchors: HashMap::new(),
            tag_handles: Vec::new(),
            alias_nodes: 0,
            alias_bytes: 0,
            tagged: false,
            longest_scalar: 0,
            // The stack holds only the children of the collections open around the cursor.
            items: Vec::with_capacity(64),
            pieces,
        }
    }

    fn document(&mut self) -> Res<Option<Node<'a>>> {
        if self.cur.src.starts_with(BOM) {
            self.cur.pos = BOM.len();
            self.cur.line_start = self.cur.pos;
        }
        let mut directives = false;
        loop {
            self.cur.skip_ws(false)?;
            if self.cur.pos == self.cur.line_start && self.cur.peek() == b'%' {
                directives = true;
                let from = self.cur.pos;
                self.cur.skip_to_break();
                let line = self.cur.slice(from, self.cur.pos)?;
                let mut words = line.split([' ', '\t']).filter(|w| !w.is_empty());
                if words.next() == Some("%TAG") {
                    self.tag_handles.extend(words.next());
                }
                continue;
            }
            break;
        }
        if self.at_marker(b'.') {
            return Err(self.cur.error("did not find expected node content"));
        }
        let explicit = self.at_marker(b'-');
        if !explicit && directives {
            return Err(self.cur.error("did not find expected <document start>"));
        }
        if self.cur.eof() {
            return Ok(None);
        }
        if explicit {
            self.cur.pos += 3;
            if !self.cur.skip_line_tail(true) {
                self.block_node(-1, false, false)?;
            } else {
                self.cur.skip_ws(false)?;
                if !self.cur.eof() && !self.cur.at_doc_marker() {
                    self.block_node(-1, true, false)?;
                }
            }
        } else {
            self.block_node(-1, true, false)?;
        }
        let root = self.items.pop();
        self.document_end(root.as_ref())?;
        Ok(root)
    }

    /// After the root node: only comments, `...` markers and the end may follow.
    fn document_end(&mut self, root: Option<&Node<'a>>) -> Res<()> {
        let end_line = root.map_or(0, |n| n.span.end.line);
        self.cur.skip_ws(self.cur.line == end_line)?;
        let mut ended = false;
        loop {
            if self.cur.eof() {
                return Ok(());
            }
            if self.at_marker(b'.') {
                ended = true;
                self.cur.pos += 3;
                self.cur.skip_ws(true)?;
                continue;
            }
            if self.at_marker(b'-') || (ended && self.cur.peek() == b'%') {
                return Err(self
                    .cur
                    .error("found a second document; a workflow file holds one YAML document"));
            }
            return Err(self.cur.error(if ended {
                "did not find expected <document start>"
            } else if root.is_some() {
                "did not find expected <document start>; is the indentation right?"
            } else {
                "did not find expected node content"
            }));
        }
    }

    fn at_marker(&self, b: u8) -> bool {
        self.cur.at_doc_marker() && self.cur.peek() == b
    }

    /// Opens a collection level, refusing to go past [`MAX_DEPTH`].
    #[inline]
    pub fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self
                .cur
                .error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.deepest = self.deepest.max(self.depth);
        Ok(())
    }

    #[inline]
    pub fn leave(&mut self) {
        self.depth -= 1;
    }

    #[inline(always)]
    pub fn span(&self, start: Mark, end: Mark) -> Span {
        Span::new(self.cur.pos_of(start), self.cur.pos_of(end))
    }

    /// Pushes a scalar node, built straight into its slot on the stack.
    #[inline(always)]
    pub fn push_scalar(&mut self, text: &'a str, style: ScalarStyle, start: Mark, end: Mark) {
        let span = self.span(start, end);
        self.longest_scalar = self.longest_scalar.max(text.len());
        self.items.push(Node {
            span,
            kind: NodeKind::Scalar(Scalar {
                text,
                style,
                tag: None,
            }),
        });
    }

    /// Pushes the null an absent value stands for: an empty plain scalar, zero-width at
    /// `at`. (Returns `Ok` so that node-parsing branches can end with it.)
    #[inline]
    pub fn push_empty(&mut self, at: Mark) -> Res<()> {
        self.push_scalar("", ScalarStyle::Plain, at, at);
        Ok(())
    }

    /// Pushes a null right where the node on top of the stack ends (the value of a key
    /// that has none).
    pub fn push_null_after_top(&mut self) {
        let at = self
            .items
            .last()
            .map_or_else(Default::default, |n| n.span.end);
        self.items.push(Node {
            span: Span::at(at),
            kind: NodeKind::Scalar(Scalar {
                text: "",
                style: ScalarStyle::Plain,
                tag: None,
            }),
        });
    }

    /// The line the node on top of the stack ends on.
    #[inline]
    pub fn top_end_line(&self) -> u32 {
        self.items.last().map_or(0, |n| n.span.end.line)
    }

    /// Takes the keys and values a mapping pushed since `base` off the stack, as entries
    /// in the arena.
    pub fn take_entries(&mut self, base: usize) -> &'a [Entry<'a>] {
        let nodes = &self.items[base.min(self.items.len())..];
        let entries = self
            .arena
            .alloc_slice_fill_iter(nodes.chunks_exact(2).map(|kv| Entry {
                key: kv[0],
                value: kv[1],
            }));
        self.items.truncate(base);
        entries
    }

    /// Takes the items a sequence pushed since `base` off the stack, into the arena.
    pub fn take_items(&mut self, base: usize) -> &'a [Node<'a>] {
        let items = self
            .arena
            .alloc_slice_copy(&self.items[base.min(self.items.len())..]);
        self.items.truncate(base);
        items
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{check_errors, check_table};
    use super::*;

    #[test]
    fn documents_markers_and_directives() {
        let cases: &[(&str, &str)] = &[
            ("a: 1\n", "{a: 1}"),
            ("\u{feff}a: 1\n", "{a: 1}"),
            ("--- \na: 1\n...\n", "{a: 1}"),
            ("--- # c\na: 1\n... # done\n# bye\n", "{a: 1}"),
            ("%YAML 1.2\n%TAG !e! tag:e.com:\n---\na: 1\n", "{a: 1}"),
            ("--- text\n", "text"),
            ("--- |\n  block\n", "|\"block\\n\""),
            ("--- &a !!str\n", "!str P\"\""),
            ("a: 1\n...\n...\n", "{a: 1}"),
            ("a: 1\r\nb: 2\r\n", "{a: 1, b: 2}"),
        ];
        check_table(cases);
    }

    #[test]
    fn empty_documents_have_no_root() {
        for src in [
            "",
            "\n\n",
            "# only a comment\n  # another",
            "---\n",
            "---\n...\n",
            "\u{feff}",
        ] {
            assert_eq!(parse(src), Ok(None), "parsing {src:?}");
        }
    }

    #[test]
    fn document_level_errors() {
        let cases: &[(&str, &str, u32, u32)] = &[
            ("a: 1\n---\nb: 2\n", "found a second document", 2, 1),
            ("a: 1\n...\n---\n", "found a second document", 3, 1),
            (
                "a: 1\n...\nb\n",
                "did not find expected <document start>",
                3,
                1,
            ),
            (
                "%YAML 1.2\na: 1\n",
                "did not find expected <document start>",
                2,
                1,
            ),
            ("\"a\"\nb\n", "did not find expected <document start>", 2, 1),
            ("a: \u{1}\n", "control characters are not allowed", 1, 4),
        ];
        check_errors(cases);
    }

    #[test]
    fn errors_display_their_position() {
        let e = parse("a: b: c").unwrap_err();
        assert_eq!(
            e.to_string(),
            "mapping values are not allowed here at line 1, column 5"
        );
    }
}
