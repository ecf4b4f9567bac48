//! Flow collections: `[a, b]` and `{k: v}`, nested to any depth and spanning lines. As in
//! libyaml, lines inside a flow collection are not held to the block indentation (real
//! workflows close `]` at their key's indentation).

use super::error::{err, YamlError};
use super::node::{Entry, Node, NodeKind, ScalarStyle, Span};
use super::parse::Parser;
use super::scalar::{double_quoted, plain, single_quoted};

impl Parser<'_> {
    /// Skips white space, line breaks and comments inside a flow collection.
    fn flow_ws(&mut self) {
        loop {
            self.c.skip_spaces_and_comment();
            if matches!(self.c.peek(), b'\n' | b'\r') {
                self.c.newline();
            } else {
                return;
            }
        }
    }

    pub(super) fn flow_collection(
        &mut self,
        tag: Option<super::node::Tag>,
    ) -> Result<Node, YamlError> {
        let _ = tag;
        self.enter_flow()?;
        let r = if self.c.peek() == b'[' {
            self.flow_seq()
        } else {
            self.flow_map()
        };
        self.leave_flow();
        r
    }

    fn flow_seq(&mut self) -> Result<Node, YamlError> {
        let open = self.c.clone();
        let start = self.c.mark();
        self.c.bump(1);
        let base = self.item_stack.len();
        loop {
            self.flow_ws();
            match self.c.peek() {
                b']' => {
                    self.c.bump(1);
                    break;
                }
                0 if self.c.eof() => {
                    return Err(err(&open, "this flow sequence is never closed with `]`"))
                }
                _ => {}
            }
            let item = self.flow_node()?;
            self.flow_ws();
            // `[key: value]` is a sequence holding a one-entry mapping.
            let item = if self.c.peek() == b':' {
                self.c.bump(1);
                self.flow_ws();
                let value = if matches!(self.c.peek(), b',' | b']') {
                    self.empty_here()
                } else {
                    self.flow_node()?
                };
                let span = Span::new(item.span.start, value.span.end);
                self.flow_ws();
                Node {
                    span,
                    kind: NodeKind::Map(vec![Entry { key: item, value }]),
                }
            } else {
                item
            };
            self.item_stack.push(item);
            match self.c.peek() {
                b',' => self.c.bump(1),
                b']' => {}
                _ if self.c.eof() => {
                    return Err(err(&open, "this flow sequence is never closed with `]`"))
                }
                _ => {
                    return Err(err(
                        &self.c,
                        "did not find the expected `,` or `]` in a flow sequence",
                    ))
                }
            }
        }
        let items: Vec<Node> = self.item_stack.drain(base..).collect();
        Ok(Node {
            span: Span::new(start, self.c.mark()),
            kind: NodeKind::Seq(items),
        })
    }

    fn flow_map(&mut self) -> Result<Node, YamlError> {
        let open = self.c.clone();
        let start = self.c.mark();
        self.c.bump(1);
        let base = self.entry_stack.len();
        loop {
            self.flow_ws();
            match self.c.peek() {
                b'}' => {
                    self.c.bump(1);
                    break;
                }
                0 if self.c.eof() => {
                    return Err(err(&open, "this flow mapping is never closed with `}`"))
                }
                b'?' if self.c.is_blank_or_break(1) => {
                    self.c.bump(1);
                    self.flow_ws();
                }
                _ => {}
            }
            let key = if self.c.peek() == b':' {
                self.empty_here()
            } else {
                self.flow_node()?
            };
            self.flow_ws();
            let value = if self.c.peek() == b':' {
                self.c.bump(1);
                self.flow_ws();
                if matches!(self.c.peek(), b',' | b'}') {
                    self.empty_here()
                } else {
                    self.flow_node()?
                }
            } else {
                self.empty_here()
            };
            self.entry_stack.push(Entry { key, value });
            self.flow_ws();
            match self.c.peek() {
                b',' => self.c.bump(1),
                b'}' => {}
                _ if self.c.eof() => {
                    return Err(err(&open, "this flow mapping is never closed with `}`"))
                }
                _ => {
                    return Err(err(
                        &self.c,
                        "did not find the expected `,` or `}` in a flow mapping",
                    ))
                }
            }
        }
        let entries: Vec<Entry> = self.entry_stack.drain(base..).collect();
        Ok(Node {
            span: Span::new(start, self.c.mark()),
            kind: NodeKind::Map(entries),
        })
    }

    fn empty_here(&self) -> Node {
        Node {
            span: Span::at(self.c.mark()),
            kind: NodeKind::Scalar(super::node::Scalar {
                text: String::new(),
                style: ScalarStyle::Plain,
                tag: None,
            }),
        }
    }

    fn flow_node(&mut self) -> Result<Node, YamlError> {
        let (anchor, tag) = self.flow_properties()?;
        let start = self.c.mark();
        let node = match self.c.peek() {
            b'[' | b'{' => self.flow_collection(None)?,
            b'*' => self.flow_alias()?,
            b'\'' => {
                let t = single_quoted(&mut self.c)?;
                self.scalar_node(t, ScalarStyle::SingleQuoted, tag, start)
            }
            b'"' => {
                let t = double_quoted(&mut self.c)?;
                self.scalar_node(t, ScalarStyle::DoubleQuoted, tag, start)
            }
            b',' | b']' | b'}' => self.empty_here(),
            _ => {
                let text = plain(&mut self.c, -1, true)?;
                if text.is_empty() {
                    return Err(err(
                        &self.c,
                        format!(
                            "found `{}`, which cannot start a value in a flow collection",
                            self.c.src[self.c.pos..].chars().next().unwrap_or(' ')
                        ),
                    ));
                }
                self.scalar_node(text, ScalarStyle::Plain, tag, start)
            }
        };
        self.remember_anchor(anchor, &node);
        Ok(node)
    }

    fn scalar_node(
        &self,
        text: String,
        style: ScalarStyle,
        tag: Option<super::node::Tag>,
        start: super::node::Pos,
    ) -> Node {
        Node {
            span: Span::new(start, self.c.mark()),
            kind: NodeKind::Scalar(super::node::Scalar { text, style, tag }),
        }
    }
}
