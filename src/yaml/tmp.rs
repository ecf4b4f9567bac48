use super::node::*;
use saphyr_parser::{Event, Parser, ScalarStyle as SS};
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}
impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}
impl std::error::Error for YamlError {}
fn pos(m: &saphyr_parser::Marker) -> Pos {
    Pos {
        offset: m.index() as u32,
        line: m.line() as u32,
        col: m.col() as u32 + 1,
    }
}
pub fn parse(src: &str) -> Result<Option<Node>, YamlError> {
    let mut stack: Vec<(Node, Option<Node>)> = vec![];
    let mut anchors: std::collections::HashMap<usize, Node> = Default::default();
    let mut anchor_stack: Vec<usize> = vec![];
    let mut root = None;
    for ev in Parser::new_from_str(src) {
        let (ev, sp) = ev.map_err(|e| YamlError {
            pos: pos(e.marker()),
            message: e.info().to_string(),
        })?;
        let span = Span::new(pos(&sp.start), pos(&sp.end));
        let done: Option<(Node, usize)> = match ev {
            Event::Scalar(v, st, a, tag) => {
                let style = match st {
                    SS::Plain => ScalarStyle::Plain,
                    SS::SingleQuoted => ScalarStyle::SingleQuoted,
                    SS::DoubleQuoted => ScalarStyle::DoubleQuoted,
                    SS::Literal => ScalarStyle::Literal,
                    SS::Folded => ScalarStyle::Folded,
                };
                Some((
                    Node {
                        span,
                        kind: NodeKind::Scalar(Scalar {
                            text: v.to_string(),
                            style,
                            tag: tag.map(|t| t.suffix.clone().into()),
                        }),
                    },
                    a,
                ))
            }
            Event::Alias(a) => Some((
                anchors.get(&a).cloned().ok_or(YamlError {
                    pos: span.start,
                    message: "undefined alias".into(),
                })?,
                0,
            )),
            Event::SequenceStart(a, _) => {
                stack.push((
                    Node {
                        span,
                        kind: NodeKind::Seq(vec![]),
                    },
                    None,
                ));
                anchor_stack.push(a);
                None
            }
            Event::MappingStart(a, _) => {
                stack.push((
                    Node {
                        span,
                        kind: NodeKind::Map(vec![]),
                    },
                    None,
                ));
                anchor_stack.push(a);
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (mut n, _) = stack.pop().unwrap();
                n.span.end = span.end;
                Some((n, anchor_stack.pop().unwrap()))
            }
            _ => None,
        };
        if let Some((n, a)) = done {
            if a != 0 {
                anchors.insert(a, n.clone());
            }
            match stack.last_mut() {
                None => root = Some(n),
                Some((p, pending)) => match &mut p.kind {
                    NodeKind::Seq(v) => v.push(n),
                    NodeKind::Map(m) => {
                        if let Some(k) = pending.take() {
                            m.push(Entry { key: k, value: n })
                        } else {
                            *pending = Some(n)
                        }
                    }
                    _ => unreachable!(),
                },
            }
        }
    }
    Ok(root)
}
