//! Flow collections (`[a, b]`, `{k: v}`) and the nodes that can stand inline anywhere:
//! scalars, aliases and flow collections.
//!
//! Inside brackets indentation does not matter (libyaml does not check it, and workflow
//! authors rely on that, e.g. a `]` back at the parent key's column). A `key: value`
//! pair directly inside `[...]` is a one-entry mapping, as in libyaml.

use super::node::Span;
use super::parse::{Parser, Res};
use super::scanner::{is_blankz, TAB_INDENT};
use super::tree::{Node, NodeKind};

impl<'a> Parser<'a> {
    /// A scalar, alias or flow collection at the cursor (pushed). `indent` is the column
    /// of the enclosing block collection (plain scalars' continuation lines depend on it).
    #[inline]
    pub(super) fn inline_node(&mut self, indent: i32, flow: bool) -> Res<()> {
        let next_blank = is_blankz(self.cur.peek_at(1));
        match self.cur.peek() {
            b'"' => self.quoted(true),
            b'\'' => self.quoted(false),
            b'[' => self.flow_seq(indent),
            b'{' => self.flow_map(indent),
            b'*' => self.alias(),
            b'\t' => Err(self.cur.error(TAB_INDENT)),
            b'%' | b'@' | b'`' | b'|' | b'>' => Err(self
                .cur
                .error("found character that cannot start any token")),
            b'-' if next_blank && !flow => Err(self
                .cur
                .error("block sequence entries are not allowed here")),
            b'-' if next_blank => Err(self
                .cur
                .error("block sequence entries are not allowed in a flow collection")),
            b'?' | b':' if flow || next_blank => {
                Err(self.cur.error("did not find expected node content"))
            }
            b',' | b']' | b'}' | b'&' | b'!' | b'#' | b'\n' | b'\r' | b' ' | 0 => {
                Err(self.cur.error("did not find expected node content"))
            }
            _ => self.plain(indent, flow),
        }
    }

    /// The content after an anchor or tag (an alias cannot have either).
    pub(super) fn content_after_props(&mut self, indent: i32, flow: bool) -> Res<()> {
        if self.cur.peek() == b'*' {
            return Err(self.cur.error("an alias cannot have an anchor or a tag"));
        }
        self.inline_node(indent, flow)
    }

    /// A node inside a flow collection, maybe with properties (which may stand alone).
    fn flow_node(&mut self, indent: i32) -> Res<()> {
        if !matches!(self.cur.peek(), b'&' | b'!') {
            return self.inline_node(indent, true);
        }
        let mut props = self.props(true)?;
        let scope = self.anchor_scope();
        self.cur.skip_ws_flow()?;
        if matches!(self.cur.peek(), b'&' | b'!') {
            self.more_props(&mut props, true)?;
            self.cur.skip_ws_flow()?;
        }
        match self.cur.peek() {
            b',' | b']' | b'}' | b':' => self.push_empty_props(&props),
            _ => self.content_after_props(indent, true)?,
        }
        self.finish_props(props, scope)
    }

    pub(super) fn flow_seq(&mut self, indent: i32) -> Res<()> {
        self.enter()?;
        let start = self.cur.mark();
        self.cur.pos += 1;
        let base = self.items.len();
        loop {
            self.cur.skip_ws_flow()?;
            if self.cur.peek() == b']' {
                break;
            }
            if self.items.len() > base {
                if self.cur.peek() != b',' {
                    return Err(self.cur.error("did not find expected ',' or ']'"));
                }
                self.cur.pos += 1;
                self.cur.skip_ws_flow()?;
                if self.cur.peek() == b']' {
                    break;
                }
            }
            if self.flow_pair(indent, b']')? {
                // `key: value` in a sequence: a one-entry mapping, one level down. Its key
                // was read before the mapping was known: its levels are counted now.
                let entries = self.take_entries(self.items.len().saturating_sub(2));
                let key_levels = entries.first().map_or(0, |e| levels(&e.key));
                self.deepest = self.deepest.max(self.depth + 1 + key_levels);
                let span = entries.first().map_or_else(Span::default, |e| {
                    Span::new(e.key.span.start, e.value.span.end)
                });
                self.items.push(Node {
                    span,
                    kind: NodeKind::Map(entries),
                });
            }
        }
        self.cur.pos += 1;
        self.leave();
        let items = self.take_items(base);
        let span = self.span(start, self.cur.mark());
        self.items.push(Node {
            span,
            kind: NodeKind::Seq(items),
        });
        Ok(())
    }

    pub(super) fn flow_map(&mut self, indent: i32) -> Res<()> {
        self.enter()?;
        let start = self.cur.mark();
        self.cur.pos += 1;
        let base = self.items.len();
        loop {
            self.cur.skip_ws_flow()?;
            if self.cur.peek() == b'}' {
                break;
            }
            if self.items.len() > base {
                if self.cur.peek() != b',' {
                    return Err(self.cur.error("did not find expected ',' or '}'"));
                }
                self.cur.pos += 1;
                self.cur.skip_ws_flow()?;
                if self.cur.peek() == b'}' {
                    break;
                }
            }
            if !self.flow_pair(indent, b'}')? {
                self.push_null_after_top();
            }
        }
        self.cur.pos += 1;
        self.leave();
        let entries = self.take_entries(base);
        let span = self.span(start, self.cur.mark());
        self.items.push(Node {
            span,
            kind: NodeKind::Map(entries),
        });
        Ok(())
    }

    /// Parses `? key : value`, `key: value` or a lone node inside a flow collection that
    /// closes with `close`, pushing the key and (for a pair) the value. A pair returns
    /// `true`; in a sequence its value is read one level down, in the mapping it makes.
    fn flow_pair(&mut self, indent: i32, close: u8) -> Res<bool> {
        let in_seq = close == b']';
        let start = self.cur.mark();
        let explicit = self.cur.peek() == b'?';
        if explicit {
            self.cur.pos += 1;
            self.cur.skip_ws_flow()?;
        }
        if explicit && matches!(self.cur.peek(), b':' | b',') || self.cur.peek() == close {
            self.push_empty(self.cur.mark())?;
        } else {
            self.flow_node(indent)?;
        }
        self.cur.skip_ws_flow()?;
        if self.cur.peek() != b':' {
            if explicit {
                self.push_null_after_top();
            }
            return Ok(explicit);
        }
        if !explicit && (self.cur.line != start.line || !self.key_fits(start)) {
            let msg = if close == b']' {
                "did not find expected ',' or ']'"
            } else {
                "did not find expected ',' or '}'"
            };
            return Err(self.cur.error(msg));
        }
        if in_seq {
            self.enter()?;
        }
        self.cur.pos += 1;
        let colon = self.cur.mark();
        self.cur.skip_ws_flow()?;
        if self.cur.peek() == b',' || self.cur.peek() == close {
            self.push_empty(colon)?;
        } else {
            self.flow_node(indent)?;
        }
        if in_seq {
            self.leave();
        }
        Ok(true)
    }
}

/// The collections nested in `node`, itself included (a scalar has none).
fn levels(node: &Node<'_>) -> usize {
    match &node.kind {
        NodeKind::Scalar(_) => 0,
        NodeKind::Seq(items) => 1 + items.iter().map(levels).max().unwrap_or(0),
        NodeKind::Map(entries) => {
            let kids = entries
                .iter()
                .flat_map(|e| [levels(&e.key), levels(&e.value)]);
            1 + kids.max().unwrap_or(0)
        }
    }
}

#[cfg(test)]
#[path = "flow_tests.rs"]
mod tests;
