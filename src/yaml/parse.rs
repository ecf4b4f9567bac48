//! The block-context parser: documents, block mappings and sequences (including a sequence
//! at its key's indentation and compact `- key: value` items), anchors, aliases and tags.
//! It builds the span-carrying tree directly, with no token or event stream in between.

use super::cursor::Cursor;
use super::error::{err, YamlError};
use super::node::{Entry, Node, NodeKind, Pos, Scalar, ScalarStyle, Span};
use super::scalar::{block_scalar, double_quoted, plain_from, plain_segment, single_quoted};
use std::collections::HashMap;

/// Nesting deeper than this is refused, so input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 256;
/// How many nodes aliases may copy in all, so an alias bomb cannot exhaust memory.
pub const MAX_ALIAS_NODES: usize = 1_000_000;

pub(super) struct Parser<'a> {
    pub c: Cursor<'a>,
    /// Scratch stacks for the entries and items of collections being built: each collection
    /// takes its own slice off the top when it ends, in one allocation of the exact size.
    pub(super) entry_stack: Vec<Entry>,
    pub(super) item_stack: Vec<Node>,
    anchors: HashMap<String, Node>,
    depth: usize,
    alias_budget: usize,
}

/// Parses one YAML document into a tree; `None` when it holds no node at all.
pub fn parse(src: &str) -> Result<Option<Node>, YamlError> {
    let mut p = Parser {
        c: Cursor::new(src),
        entry_stack: Vec::with_capacity(64),
        item_stack: Vec::with_capacity(64),
        anchors: HashMap::new(),
        depth: 0,
        alias_budget: MAX_ALIAS_NODES,
    };
    p.document()
}

fn scalar(text: String, style: ScalarStyle, tag: Option<super::node::Tag>, span: Span) -> Node {
    Node {
        span,
        kind: NodeKind::Scalar(Scalar { text, style, tag }),
    }
}

fn count(n: &Node) -> usize {
    1 + match &n.kind {
        NodeKind::Scalar(_) => 0,
        NodeKind::Seq(items) => items.iter().map(count).sum(),
        NodeKind::Map(entries) => entries
            .iter()
            .map(|e| count(&e.key) + count(&e.value))
            .sum(),
    }
}

impl<'a> Parser<'a> {
    fn document(&mut self) -> Result<Option<Node>, YamlError> {
        loop {
            self.c.skip_blank_lines();
            if self.c.peek() == b'%' && self.c.pos == self.c.line_start {
                while !self.c.is_break_or_eof(0) {
                    self.c.pos += 1;
                }
                continue;
            }
            break;
        }
        let mut start = self.c.mark();
        if self.c.at_document_marker() && self.c.peek() == b'-' {
            self.c.bump(3);
            start = self.c.mark();
        }
        self.c.skip_blank_lines();
        if self.c.eof() || self.c.at_document_marker() {
            return self.finish(None);
        }
        let root = self.node(-1, start, true)?;
        self.finish(Some(root))
    }

    fn finish(&mut self, root: Option<Node>) -> Result<Option<Node>, YamlError> {
        self.c.skip_blank_lines();
        if self.c.at_document_marker() && self.c.peek() == b'.' {
            self.c.bump(3);
            self.c.skip_blank_lines();
        }
        if self.c.eof() {
            return Ok(root);
        }
        if self.c.at_document_marker() {
            let mut look = self.c.clone();
            look.bump(3);
            look.skip_blank_lines();
            if look.eof() {
                return Ok(root);
            }
            return Err(err(
                &self.c,
                "found a second document; a workflow file holds one YAML document",
            ));
        }
        Err(err(&self.c, "did not find the expected end of the document: this line is indented less than the block it would belong to, or follows a complete value"))
    }

    fn enter(&mut self) -> Result<(), YamlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(
                &self.c,
                format!("the document nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    /// `&anchor` and `!tag`, in either order.
    fn properties(&mut self) -> Result<(Option<String>, Option<super::node::Tag>), YamlError> {
        let (mut anchor, mut tag) = (None, None);
        loop {
            match self.c.peek() {
                b'&' if anchor.is_none() => {
                    self.c.bump(1);
                    let s = self.c.pos;
                    while !self.c.is_blank_or_break(0)
                        && !matches!(self.c.peek(), b',' | b'[' | b']' | b'{' | b'}')
                    {
                        self.c.pos += 1;
                    }
                    if s == self.c.pos {
                        return Err(err(&self.c, "an anchor `&` needs a name"));
                    }
                    anchor = Some(self.c.src[s..self.c.pos].to_string());
                }
                b'!' if tag.is_none() => {
                    let s = self.c.pos;
                    while !self.c.is_blank_or_break(0)
                        && !matches!(self.c.peek(), b',' | b']' | b'}')
                    {
                        self.c.pos += 1;
                    }
                    let raw = &self.c.src[s..self.c.pos];
                    let name = raw
                        .trim_start_matches('!')
                        .trim_start_matches('<')
                        .trim_end_matches('>');
                    let name = name.strip_prefix("tag:yaml.org,2002:").unwrap_or(name);
                    tag = Some(Box::new(name.to_string()));
                }
                _ => return Ok((anchor, tag)),
            }
            self.c.skip_spaces();
        }
    }

    fn alias(&mut self) -> Result<Node, YamlError> {
        let at = self.c.clone();
        self.c.bump(1);
        let s = self.c.pos;
        while !self.c.is_blank_or_break(0)
            && !matches!(self.c.peek(), b',' | b'[' | b']' | b'{' | b'}')
        {
            self.c.pos += 1;
        }
        let name = &self.c.src[s..self.c.pos];
        let Some(target) = self.anchors.get(name) else {
            return Err(err(&at, format!("found undefined alias `{name}`")));
        };
        let n = count(target);
        if n > self.alias_budget {
            return Err(err(&at, "too many alias expansions: the aliases in this document would copy more than a million nodes"));
        }
        self.alias_budget -= n;
        Ok(target.clone())
    }

    pub(super) fn enter_flow(&mut self) -> Result<(), YamlError> {
        self.enter()
    }

    pub(super) fn leave_flow(&mut self) {
        self.depth -= 1;
    }

    pub(super) fn flow_properties(
        &mut self,
    ) -> Result<(Option<String>, Option<super::node::Tag>), YamlError> {
        let r = self.properties()?;
        Ok(r)
    }

    pub(super) fn flow_alias(&mut self) -> Result<Node, YamlError> {
        self.alias()
    }

    pub(super) fn remember_anchor(&mut self, anchor: Option<String>, node: &Node) {
        self.remember(anchor, node);
    }

    /// Moves to the next line with content: its column, or `None` at the end of the document.
    fn next_content_column(&mut self) -> Option<i32> {
        self.c.skip_blank_lines();
        (!self.c.eof() && !self.c.at_document_marker()).then(|| self.c.col() as i32)
    }

    fn no_tab_in_indent(&self) -> Result<(), YamlError> {
        if self.c.tab_in_indent() {
            return Err(err(&self.c, "found a tab character where indentation is expected (YAML indents with spaces only)"));
        }
        Ok(())
    }

    fn remember(&mut self, anchor: Option<String>, node: &Node) {
        if let Some(a) = anchor {
            self.anchors.insert(a, node.clone());
        }
    }

    /// A node in block context, owned by a collection at indentation `parent`. `empty_at` is
    /// where an empty (null) node is placed; `inline_map` says whether a mapping may start
    /// on the current line (after `- ` or at a document start, not after `key: `).
    pub(super) fn node(
        &mut self,
        parent: i32,
        empty_at: Pos,
        inline_map: bool,
    ) -> Result<Node, YamlError> {
        self.enter()?;
        let r = self.node_inner(parent, empty_at, inline_map);
        self.depth -= 1;
        r
    }

    fn node_inner(
        &mut self,
        parent: i32,
        empty_at: Pos,
        inline_map: bool,
    ) -> Result<Node, YamlError> {
        let empty = || scalar(String::new(), ScalarStyle::Plain, None, Span::at(empty_at));
        let mut crossed = self.c.skip_blank_lines();
        if self.c.eof() || self.c.at_document_marker() {
            return Ok(empty());
        }
        if crossed {
            self.no_tab_in_indent()?;
        }
        if crossed && (self.c.col() as i32) <= parent {
            return Ok(empty());
        }
        let (anchor, tag) = self.properties()?;
        if (anchor.is_some() || tag.is_some()) && matches!(self.c.peek(), b'\n' | b'\r' | b'#' | 0)
        {
            let at = self.c.mark();
            crossed |= self.c.skip_blank_lines();
            if self.c.eof() || (crossed && (self.c.col() as i32) <= parent) {
                let n = scalar(String::new(), ScalarStyle::Plain, tag, Span::at(at));
                self.remember(anchor, &n);
                return Ok(n);
            }
        }
        let inline_map = inline_map || crossed;
        let col = self.c.col() as i32;
        let start = self.c.mark();
        let node = match self.c.peek() {
            b'*' => {
                let n = self.alias()?;
                self.c.skip_spaces();
                if self.c.peek() == b':' && self.c.is_blank_or_break(1) {
                    return Err(err(
                        &self.c,
                        "an alias as a mapping key is not supported here",
                    ));
                }
                n
            }
            b'-' if self.c.is_blank_or_break(1) => {
                if !inline_map {
                    return Err(err(&self.c, "block sequence entries are not allowed on the same line as a key: start the sequence on the next line"));
                }
                self.block_seq(col)?
            }
            b'[' | b'{' => {
                let n = self.flow_collection(tag)?;
                self.c.skip_spaces();
                if self.c.peek() == b':' && self.c.is_blank_or_break(1) {
                    return Err(err(
                        &self.c,
                        "a flow collection as a mapping key is not supported",
                    ));
                }
                self.remember(anchor, &n);
                return Ok(n);
            }
            b'|' | b'>' => {
                let text = block_scalar(&mut self.c, parent)?;
                let style = if self.c.src.as_bytes()[start.offset as usize] == b'|' {
                    ScalarStyle::Literal
                } else {
                    ScalarStyle::Folded
                };
                let end = self.end_of_block_scalar();
                scalar(text, style, tag, Span::new(start, end))
            }
            b'\'' | b'"' => {
                let text = if self.c.peek() == b'\'' {
                    single_quoted(&mut self.c)?
                } else {
                    double_quoted(&mut self.c)?
                };
                let style = if self.c.src.as_bytes()[start.offset as usize] == b'\'' {
                    ScalarStyle::SingleQuoted
                } else {
                    ScalarStyle::DoubleQuoted
                };
                let key = scalar(text, style, tag, Span::new(start, self.c.mark()));
                self.c.skip_spaces();
                if self.c.peek() == b':' && self.c.is_blank_or_break(1) {
                    if !inline_map {
                        return Err(err(&self.c, "mapping values are not allowed here: a value cannot start another `key: value` on the same line"));
                    }
                    self.block_map(col, Some(key))?
                } else {
                    key
                }
            }
            b'?' if self.c.is_blank_or_break(1) => {
                if !inline_map {
                    return Err(err(
                        &self.c,
                        "an explicit key `?` cannot follow a key on the same line",
                    ));
                }
                self.block_map(col, None)?
            }
            b'#' | b',' | b']' | b'}' | b'@' | b'`' | b'%' => {
                return Err(err(
                    &self.c,
                    format!(
                        "found `{}`, which cannot start a value (quote the value)",
                        self.c.peek() as char
                    ),
                ));
            }
            b'\t' => {
                return Err(err(
                    &self.c,
                    "found a tab character that cannot start a value",
                ))
            }
            _ => {
                let (first_end, is_key) = plain_segment(&self.c, false);
                if is_key {
                    if !inline_map {
                        return Err(err(&self.c, "mapping values are not allowed here: a value cannot start another `key: value` on the same line"));
                    }
                    self.block_map(col, None)?
                } else {
                    let text = plain_from(&mut self.c, first_end, parent, false)?;
                    scalar(
                        text,
                        ScalarStyle::Plain,
                        tag,
                        Span::new(start, self.c.mark()),
                    )
                }
            }
        };
        self.remember(anchor, &node);
        Ok(node)
    }

    /// Block scalars leave the cursor at the start of the next line; their span ends at the
    /// end of their last content line.
    fn end_of_block_scalar(&self) -> Pos {
        let mut c = self.c.clone();
        if c.pos == c.line_start && c.pos > 0 {
            let mut i = c.pos - 1;
            while i > 0 && matches!(c.b[i - 1], b'\n' | b'\r') {
                i -= 1;
            }
            // Position of the line break ending the last line.
            let text = &c.src[..i];
            let line_start = text.rfind('\n').map_or(0, |p| p + 1);
            c.line = c
                .line
                .saturating_sub(c.src[i..c.pos].matches('\n').count() as u32);
            c.pos = i;
            c.line_start = line_start;
        }
        c.mark()
    }

    /// A key of a block mapping at the cursor (plain, quoted, alias or explicit `?`).
    fn key(&mut self, col: i32) -> Result<Node, YamlError> {
        let start = self.c.mark();
        let (anchor, tag) = self.properties()?;
        let node = match self.c.peek() {
            b'\'' => scalar(single_quoted(&mut self.c)?, ScalarStyle::SingleQuoted, tag, Span::new(start, self.c.mark())),
            b'"' => scalar(double_quoted(&mut self.c)?, ScalarStyle::DoubleQuoted, tag, Span::new(start, self.c.mark())),
            b'*' => self.alias()?,
            b'?' if self.c.is_blank_or_break(1) => {
                self.c.bump(1);
                let k = self.node(col, self.c.mark(), true)?;
                self.c.skip_blank_lines();
                if !(self.c.col() as i32 == col && self.c.peek() == b':') {
                    return Ok(k);
                }
                k
            }
            b'-' if self.c.is_blank_or_break(1) => return Err(err(&self.c, "did not find the expected key: a `- ` item cannot follow `key: value` entries at the same indentation")),
            _ => {
                let (end, is_key) = plain_segment(&self.c, false);
                if !is_key || end == self.c.pos {
                    return Err(err(&self.c, "could not find the expected `:` after a mapping key"));
                }
                let text = self.c.src[self.c.pos..end].to_string();
                self.c.pos = end;
                scalar(text, ScalarStyle::Plain, tag, Span::new(start, self.c.mark()))
            }
        };
        self.remember(anchor, &node);
        Ok(node)
    }

    /// A block mapping whose keys sit at column `col`. `first` is a key already read.
    fn block_map(&mut self, col: i32, first: Option<Node>) -> Result<Node, YamlError> {
        let base = self.entry_stack.len();
        let mut pending = first;
        loop {
            let key = match pending.take() {
                Some(k) => k,
                None => self.key(col)?,
            };
            self.c.skip_spaces();
            if self.c.peek() != b':' {
                if self.entry_stack.len() == base && self.c.is_break_or_eof(0) {
                    // `? key` without a value.
                    self.entry_stack.push(Entry {
                        value: scalar(
                            String::new(),
                            ScalarStyle::Plain,
                            None,
                            Span::at(key.span.end),
                        ),
                        key,
                    });
                    break;
                }
                return Err(err(
                    &self.c,
                    "could not find the expected `:` after a mapping key",
                ));
            }
            self.c.bump(1);
            let after_colon = self.c.mark();
            let value = self.map_value(col, after_colon)?;
            self.entry_stack.push(Entry { key, value });
            let Some(next) = self.next_content_column() else {
                break;
            };
            if next < col {
                break;
            }
            if next > col {
                return Err(err(&self.c, "mapping values are not allowed here: this line is indented more than the keys of its mapping"));
            }
            self.no_tab_in_indent()?;
            if self.c.peek() == b'-' && self.c.is_blank_or_break(1) {
                return Err(err(&self.c, "did not find the expected key: a `- ` item cannot follow `key: value` entries at the same indentation"));
            }
        }
        let entries: Vec<Entry> = self.entry_stack.drain(base..).collect();
        let start = entries.first().map_or(self.c.mark(), |e| e.key.span.start);
        let end = entries
            .last()
            .map_or(start, |e| e.value.span.end.max(e.key.span.end));
        Ok(Node {
            span: Span::new(start, end),
            kind: NodeKind::Map(entries),
        })
    }

    /// The value after `key:`; a block sequence may sit at the key's own indentation.
    fn map_value(&mut self, col: i32, after_colon: Pos) -> Result<Node, YamlError> {
        let mut look = self.c.clone();
        let crossed = look.skip_blank_lines();
        if crossed
            && look.col() as i32 == col
            && look.peek() == b'-'
            && look.is_blank_or_break(1)
            && !look.at_document_marker()
        {
            self.c = look;
            self.enter()?;
            let r = self.block_seq(col);
            self.depth -= 1;
            return r;
        }
        self.node(col, after_colon, false)
    }

    /// A block sequence whose `-` indicators sit at column `col`.
    fn block_seq(&mut self, col: i32) -> Result<Node, YamlError> {
        let start = self.c.mark();
        let base = self.item_stack.len();
        loop {
            self.c.bump(1);
            let after_dash = self.c.mark();
            let item = self.node(col, after_dash, true)?;
            self.item_stack.push(item);
            let Some(next) = self.next_content_column() else {
                break;
            };
            if next < col {
                break;
            }
            let is_dash = self.c.peek() == b'-' && self.c.is_blank_or_break(1);
            if next == col && is_dash {
                self.no_tab_in_indent()?;
                continue;
            }
            if next == col {
                break;
            }
            return Err(err(&self.c, "did not find the expected `- ` entry: this line is indented more than the sequence's items"));
        }
        let items: Vec<Node> = self.item_stack.drain(base..).collect();
        let end = items.last().map_or(start, |i| i.span.end);
        Ok(Node {
            span: Span::new(start, end),
            kind: NodeKind::Seq(items),
        })
    }
}
