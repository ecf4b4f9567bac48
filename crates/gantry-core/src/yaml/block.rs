//! Block collections: mappings and sequences laid out by indentation.
//!
//! libyaml decides structure with an indentation stack and "simple keys" (a one-line
//! node followed by `:` on the same line); this file follows the same rules directly:
//! a collection lives at its first token's column, ends at the first token left of it,
//! and anything right of it that is not a value is an error. A sequence may sit at its
//! parent key's column (`key:\n- item`), as libyaml allows.
//!
//! Like every node-producing function of the parser, these push the node they parse onto
//! the parser's item stack instead of returning it: a `Node` is large, and the stack
//! lets it move once into place and once into its parent's `Vec`.

use super::node::Span;
use super::parse::{Parser, Res};
use super::props::{AnchorScope, Props};
use super::scanner::{count_chars, is_blankz, Mark};
use super::tree::{Node, NodeKind};

/// libyaml forgets a simple key whose `:` is further than this many characters away.
const MAX_SIMPLE_KEY: usize = 1024;

impl<'a> Parser<'a> {
    /// Parses the node starting at the cursor in the block context (and pushes it).
    ///
    /// `parent` is the column of the enclosing block collection (-1 at document level):
    /// continuation lines of plain scalars and block-scalar content must go past it.
    /// `key_ok` says whether a simple key may start here (a line's first token, or after
    /// `- ` / `? `), which is not the case on the line of a `key:`. `indentless_ok` marks
    /// a mapping value, where a sequence may start at the mapping's own column.
    pub(super) fn block_node(&mut self, parent: i32, key_ok: bool, indentless_ok: bool) -> Res<()> {
        let start = self.cur.mark();
        let indicator = is_blankz(self.cur.peek_at(1));
        match self.cur.peek() {
            b'-' if indicator => {
                if !key_ok {
                    return Err(self
                        .cur
                        .error("block sequence entries are not allowed here"));
                }
                return self.block_seq(false);
            }
            b'?' if indicator => {
                if !key_ok {
                    return Err(self.cur.error("mapping keys are not allowed here"));
                }
                return self.block_map(start, false);
            }
            b':' if indicator => {
                return Err(self.cur.error(if key_ok {
                    "did not find expected key"
                } else {
                    "mapping values are not allowed here"
                }));
            }
            b'|' | b'>' => return self.block_scalar(parent),
            b'&' | b'!' => return self.block_node_with_props(start, parent, key_ok, indentless_ok),
            _ => {}
        }
        self.inline_node(parent, false)?;
        if self.key_follows(start, key_ok)? {
            return self.block_map(start, true);
        }
        Ok(())
    }

    /// A node that opens with an anchor and/or a tag. When they end the line, the node
    /// itself (maybe a whole mapping) is on the following lines.
    fn block_node_with_props(
        &mut self,
        start: Mark,
        parent: i32,
        key_ok: bool,
        indentless_ok: bool,
    ) -> Res<()> {
        let props = self.props(false)?;
        let scope = self.anchor_scope();
        if !self.cur.skip_line_tail(true) {
            self.content_after_props_block(parent, &props)?;
            self.finish_props(props, scope)?;
            if self.key_follows(start, key_ok)? {
                return self.block_map(start, true);
            }
            return Ok(());
        }
        self.cur.skip_ws(false)?;
        let c = self.cur.column() as i32;
        if c > parent && !self.cur.eof() && matches!(self.cur.peek(), b'&' | b'!') {
            return self.props_on_next_line(props, scope, parent, indentless_ok);
        }
        self.node_below_props(&props, parent, indentless_ok)?;
        self.finish_props(props, scope)
    }

    /// The node (pushed) that properties alone on their line stand for, the cursor on
    /// the next token: one indented past `parent`, an indentless sequence or a block
    /// scalar at its column, or nothing.
    fn node_below_props(&mut self, props: &Props<'a>, parent: i32, indentless_ok: bool) -> Res<()> {
        let c = self.cur.column() as i32;
        if self.cur.eof() || self.cur.at_doc_marker() {
            self.push_empty_props(props);
            Ok(())
        } else if c > parent {
            self.block_node(parent, true, false)
        } else if indentless_ok && c == parent && self.at_indicator(b'-') {
            self.block_seq(true)
        } else if c == parent && self.at_block_scalar() {
            self.block_scalar(parent)
        } else {
            self.push_empty_props(props);
            Ok(())
        }
    }

    /// Properties alone on a line, and more at the start of the next: those belong to a
    /// key if a mapping starts there (the first ones then belong to the mapping), else
    /// both sets belong to the one node that follows, as in libyaml.
    fn props_on_next_line(
        &mut self,
        outer: Props<'a>,
        scope: AnchorScope,
        parent: i32,
        indentless_ok: bool,
    ) -> Res<()> {
        let start = self.cur.mark();
        let inner = self.props(false)?;
        let inner_scope = self.anchor_scope();
        if self.cur.skip_line_tail(true) {
            let both = outer.merge(inner, &self.cur)?;
            self.cur.skip_ws(false)?;
            self.node_below_props(&both, parent, indentless_ok)?;
            return self.finish_props(both, scope);
        }
        self.content_after_props_block(parent, &inner)?;
        if self.cur.line == self.top_end_line() {
            self.cur.skip_blanks(true);
            if self.at_indicator(b':') && self.cur.line == start.line && self.key_fits(start) {
                self.finish_props(inner, inner_scope)?;
                self.block_map(start, true)?;
                return self.finish_props(outer, scope);
            }
        }
        let both = outer.merge(inner, &self.cur)?;
        self.finish_props(both, scope)?;
        if self.key_follows(start, false)? {
            return Err(self.cur.error("mapping values are not allowed here"));
        }
        Ok(())
    }

    /// The content after properties on their line (pushed): a scalar, flow collection,
    /// block scalar, or nothing before a `:`.
    fn content_after_props_block(&mut self, parent: i32, props: &Props<'a>) -> Res<()> {
        let indicator = is_blankz(self.cur.peek_at(1));
        match self.cur.peek() {
            b':' if indicator => {
                self.push_empty_props(props);
                Ok(())
            }
            b'-' | b'?' if indicator => Err(self
                .cur
                .error("a block collection cannot start on the line of its anchor or tag")),
            b'|' | b'>' => self.block_scalar(parent),
            _ => self.content_after_props(parent, false),
        }
    }

    /// After a one-line node (on top of the stack): whether a `:` on the same line makes
    /// it the first key of a mapping at its column (if a key may start here; else the
    /// `:` is an error).
    fn key_follows(&mut self, start: Mark, key_ok: bool) -> Res<bool> {
        if self.cur.line != self.top_end_line() {
            return Ok(false);
        }
        self.cur.skip_blanks(true);
        if !self.at_indicator(b':') {
            return Ok(false);
        }
        if key_ok && self.cur.line == start.line && self.key_fits(start) {
            return Ok(true);
        }
        Err(self.cur.error("mapping values are not allowed here"))
    }

    pub(super) fn key_fits(&self, start: Mark) -> bool {
        let bytes = self.cur.src.get(start.pos..self.cur.pos).unwrap_or(&[]);
        bytes.len() <= MAX_SIMPLE_KEY || count_chars(bytes) <= MAX_SIMPLE_KEY
    }

    /// A block scalar may even sit at its parent's column (libyaml takes no key there).
    fn at_block_scalar(&self) -> bool {
        matches!(self.cur.peek(), b'|' | b'>')
    }

    #[inline]
    pub(super) fn at_indicator(&self, b: u8) -> bool {
        self.cur.peek() == b && is_blankz(self.cur.peek_at(1))
    }

    /// A block mapping whose first token is at `start`: either its first key (already
    /// on the stack, the cursor on its `:`) or a `?`.
    pub(super) fn block_map(&mut self, start: Mark, first_key: bool) -> Res<()> {
        self.enter()?;
        let col = count_chars(self.cur.src.get(start.line_start..start.pos).unwrap_or(&[]));
        let base = self.items.len().saturating_sub(usize::from(first_key));
        let mut first = first_key;
        loop {
            let explicit = !first && self.at_indicator(b'?');
            if explicit {
                self.explicit_key(col)?;
            } else if !first {
                self.key_node(col)?;
            }
            first = false;
            if self.at_indicator(b':') && (!explicit || self.cur.column() == col) {
                self.cur.pos += 1;
                let colon = self.cur.mark();
                self.block_value(col, colon, explicit)?;
            } else {
                self.push_null_after_top();
            }
            let end_line = self.top_end_line();
            self.cur.skip_ws(self.cur.line == end_line)?;
            if self.cur.eof() || self.cur.at_doc_marker() {
                break;
            }
            let c = self.cur.column();
            if self.cur.line == end_line || c > col {
                return Err(self.cur.error("did not find expected key"));
            }
            if c < col {
                break;
            }
        }
        self.leave();
        let span = self.span_to_top(start);
        let entries = self.take_entries(base);
        self.items.push(Node {
            span,
            kind: NodeKind::Map(entries),
        });
        Ok(())
    }

    /// A key after the first, at the mapping's column: one line, then `:`.
    fn key_node(&mut self, col: usize) -> Res<()> {
        let start = self.cur.mark();
        let indicator = is_blankz(self.cur.peek_at(1));
        match self.cur.peek() {
            b'-' | b':' if indicator => return Err(self.cur.error("did not find expected key")),
            b'|' | b'>' => return Err(self.cur.error("did not find expected key")),
            _ => {}
        }
        if matches!(self.cur.peek(), b'&' | b'!') {
            let props = self.props(false)?;
            let scope = self.anchor_scope();
            if self.cur.skip_line_tail(true) {
                return Err(self.cur.error_at(start, "could not find expected ':'"));
            }
            self.content_after_props_block(col as i32, &props)?;
            self.finish_props(props, scope)?;
        } else {
            self.inline_node(col as i32, false)?;
        }
        if self.cur.line == start.line {
            self.cur.skip_blanks(true);
            if self.at_indicator(b':') && self.key_fits(start) {
                return Ok(());
            }
        }
        Err(self.cur.error_at(start, "could not find expected ':'"))
    }

    /// `? key` (the cursor on `?`); the cursor ends on the value's `:` if there is one.
    fn explicit_key(&mut self, col: usize) -> Res<()> {
        self.cur.pos += 1;
        let after = self.cur.mark();
        self.indented_node(col, after, true)?;
        let end_line = self.top_end_line();
        self.cur.skip_ws(self.cur.line == end_line)?;
        if self.cur.line == end_line && !self.cur.eof() {
            return Err(self.cur.error("did not find expected key"));
        }
        Ok(())
    }

    /// What follows an indicator (`- `, `? `): a node on the same line, or one indented
    /// past `col` on the next lines, or nothing (null, zero-width at `after`). After `? `
    /// (`indentless`) a sequence may also start at `col`.
    fn indented_node(&mut self, col: usize, after: Mark, indentless: bool) -> Res<()> {
        if !self.cur.skip_line_tail(false) {
            return self.block_node(col as i32, true, false);
        }
        self.cur.skip_ws(false)?;
        if self.cur.eof() || self.cur.at_doc_marker() {
            return self.push_empty(after);
        }
        let c = self.cur.column();
        if c > col {
            self.block_node(col as i32, true, false)
        } else if c == col && self.at_block_scalar() {
            self.block_scalar(col as i32)
        } else if indentless && c == col && self.at_indicator(b'-') {
            self.block_seq(true)
        } else {
            self.push_empty(after)
        }
    }

    /// The value after a `:` (the cursor just past it) in a mapping at `col`.
    fn block_value(&mut self, col: usize, colon: Mark, key_ok: bool) -> Res<()> {
        if !self.cur.skip_line_tail(!key_ok) {
            return self.block_node(col as i32, key_ok, true);
        }
        self.cur.skip_ws(false)?;
        if self.cur.eof() || self.cur.at_doc_marker() {
            return self.push_empty(colon);
        }
        let c = self.cur.column();
        if c > col {
            self.block_node(col as i32, true, true)
        } else if c == col && self.at_indicator(b'-') {
            self.block_seq(true)
        } else if c == col && self.at_block_scalar() {
            self.block_scalar(col as i32)
        } else {
            self.push_empty(colon)
        }
    }

    /// A block sequence whose first `-` is at the cursor. `indentless` when it sits at
    /// its parent key's column: then a non-`-` token at that column ends it.
    pub(super) fn block_seq(&mut self, indentless: bool) -> Res<()> {
        self.enter()?;
        let start = self.cur.mark();
        let col = self.cur.column();
        let base = self.items.len();
        loop {
            self.cur.pos += 1;
            let dash = self.cur.mark();
            self.indented_node(col, dash, false)?;
            let end_line = self.top_end_line();
            self.cur.skip_ws(self.cur.line == end_line)?;
            if self.cur.eof() || self.cur.at_doc_marker() {
                break;
            }
            let c = self.cur.column();
            if self.cur.line != end_line && c == col && self.at_indicator(b'-') {
                continue;
            }
            if self.cur.line != end_line && (c < col || (c == col && indentless)) {
                break;
            }
            return Err(self.cur.error("did not find expected '-' indicator"));
        }
        self.leave();
        let span = self.span_to_top(start);
        let items = self.take_items(base);
        self.items.push(Node {
            span,
            kind: NodeKind::Seq(items),
        });
        Ok(())
    }

    /// The span from `start` to the end of the node on top of the stack.
    fn span_to_top(&self, start: Mark) -> Span {
        let start = self.cur.pos_of(start);
        Span::new(start, self.items.last().map_or(start, |n| n.span.end))
    }
}

#[cfg(test)]
#[path = "block_tests.rs"]
mod tests;
