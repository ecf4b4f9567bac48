//! The tree the parser builds: nodes in an arena, scalar text borrowed from the source.
//!
//! Validation parses every file once and throws the tree away after lowering it, so the
//! tree is built for that: collections are slices in a [`bumpalo::Bump`], a scalar that is
//! one piece of the source is that piece, and dropping the tree is resetting the arena —
//! no allocation per node and no walk to free them. Whoever keeps part of a document
//! (the model keeps matrix values and input defaults) takes an owned copy, a
//! [`super::node::Node`], with [`Node::to_owned_node`].

use super::node::{self, resolve_scalar, Resolved, ScalarStyle, Span};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scalar<'a> {
    /// The scalar's value after unescaping and folding.
    pub text: &'a str,
    pub style: ScalarStyle,
    /// An explicit tag such as `!!str`, written without the leading `!!`/`!`.
    pub tag: Option<&'a str>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry<'a> {
    pub key: Node<'a>,
    pub value: Node<'a>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NodeKind<'a> {
    Scalar(Scalar<'a>),
    Seq(&'a [Node<'a>]),
    Map(&'a [Entry<'a>]),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Node<'a> {
    pub span: Span,
    pub kind: NodeKind<'a>,
}

impl<'a> Scalar<'a> {
    /// Resolves a scalar the way `serde_yaml` does (YAML 1.2 core schema).
    pub fn resolve(&self) -> Resolved<'a> {
        resolve_scalar(self.text, self.style, self.tag)
    }
}

impl<'a> Node<'a> {
    pub fn as_scalar(&self) -> Option<&Scalar<'a>> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's text whatever it resolves to (`on: 1` reads as "1").
    pub fn as_str(&self) -> Option<&'a str> {
        self.as_scalar().map(|s| s.text)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.as_scalar().map(Scalar::resolve), Some(Resolved::Null))
    }

    /// A short noun for error messages: "a string", "a mapping", ...
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Seq(_) => "a sequence",
            NodeKind::Map(_) => "a mapping",
            NodeKind::Scalar(s) => match s.resolve() {
                Resolved::Null => "null",
                Resolved::Bool(_) => "a boolean",
                Resolved::Int(_) | Resolved::Float(_) => "a number",
                Resolved::Str(_) => "a string",
            },
        }
    }

    /// An owned copy of this node and everything below it.
    pub fn to_owned_node(&self) -> node::Node {
        let kind = match &self.kind {
            NodeKind::Scalar(s) => node::NodeKind::Scalar(node::Scalar {
                text: s.text.into(),
                style: s.style,
                tag: s.tag.map(|t| Box::new(t.to_string())),
            }),
            NodeKind::Seq(items) => {
                node::NodeKind::Seq(items.iter().map(Node::to_owned_node).collect())
            }
            NodeKind::Map(entries) => node::NodeKind::Map(
                entries
                    .iter()
                    .map(|e| node::Entry {
                        key: e.key.to_owned_node(),
                        value: e.value.to_owned_node(),
                    })
                    .collect(),
            ),
        };
        node::Node {
            span: self.span,
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse_in;
    use super::*;
    use bumpalo::Bump;

    /// Whether `text` is a piece of `src` rather than a copy.
    fn borrowed(src: &str, text: &str) -> bool {
        let range = src.as_bytes().as_ptr_range();
        text.is_empty() || range.contains(&text.as_ptr())
    }

    #[test]
    fn one_piece_scalars_are_the_source_text_itself() {
        let cases: &[(&str, &str, bool)] = &[
            ("a: plain words\n", "plain words", true),
            ("a: 'single'\n", "single", true),
            ("a: \"double\"\n", "double", true),
            ("a: 'it''s'\n", "it's", false),
            ("a: \"tab\\there\"\n", "tab\there", false),
            ("a: folded\n  over lines\n", "folded over lines", false),
            ("a: |\n  block\n", "block\n", false),
        ];
        for &(src, want, one_piece) in cases {
            let arena = Bump::new();
            let root = parse_in(src, &arena).unwrap().unwrap();
            let NodeKind::Map(entries) = root.kind else {
                panic!("{src:?}: not a mapping")
            };
            let text = entries[0].value.as_str().unwrap();
            assert_eq!(text, want, "{src:?}");
            assert_eq!(borrowed(src, text), one_piece, "{src:?}");
        }
    }

    #[test]
    fn owned_copies_keep_spans_styles_and_tags() {
        let src = "a: &x [1, !!str 2, 'q']\nb: *x\n";
        let arena = Bump::new();
        let root = parse_in(src, &arena).unwrap().unwrap();
        let owned = root.to_owned_node();
        assert_eq!(super::super::parse(src).unwrap().unwrap(), owned);
        let NodeKind::Map(entries) = root.kind else {
            panic!("not a mapping")
        };
        // The alias shares the anchored sequence rather than copying it.
        let (NodeKind::Seq(a), NodeKind::Seq(b)) = (entries[0].value.kind, entries[1].value.kind)
        else {
            panic!("not sequences")
        };
        assert!(std::ptr::eq(a, b));
        let node::NodeKind::Map(owned_entries) = &owned.kind else {
            panic!("not a mapping")
        };
        let node::NodeKind::Seq(items) = &owned_entries[0].value.kind else {
            panic!("not a sequence")
        };
        assert_eq!(
            items[1]
                .as_scalar()
                .unwrap()
                .tag
                .as_deref()
                .map(String::as_str),
            Some("str")
        );
        assert_eq!(
            items[2].as_scalar().unwrap().style,
            ScalarStyle::SingleQuoted
        );
        assert_eq!(items[2].span, a[2].span);
    }
}
