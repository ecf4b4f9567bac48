//! Turning byte offsets into line/column positions, and finding where text inside a scalar
//! sits in the file (a `run: |` block is re-indented, so offsets in the value are not
//! offsets in the file).

use crate::yaml::node::{Pos, Span};

/// Start offsets of every line, so a position is a binary search away. Built on first use:
/// most files have nothing to report, and then no position is ever asked for.
pub struct LineIndex {
    starts: std::cell::OnceCell<Vec<u32>>,
}

impl LineIndex {
    pub fn new(_text: &str) -> LineIndex {
        LineIndex {
            starts: std::cell::OnceCell::new(),
        }
    }

    fn starts(&self, text: &str) -> &[u32] {
        self.starts.get_or_init(|| {
            let mut starts = Vec::with_capacity(text.len() / 32 + 1);
            starts.push(0);
            starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i as u32 + 1));
            starts
        })
    }

    /// The position of byte `offset` of `text` (which this index was built from).
    pub fn pos(&self, text: &str, offset: usize) -> Pos {
        let offset = offset.min(text.len());
        let starts = self.starts(text);
        let line = starts.partition_point(|&s| s as usize <= offset).max(1);
        let start = starts[line - 1] as usize;
        let col = text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start)
            + 1;
        Pos {
            offset: offset as u32,
            line: line as u32,
            col: col as u32,
        }
    }

    /// Where `value[range]` (text inside the scalar spanning `span`) is written in the file.
    /// The piece is searched for verbatim inside the node's source; when the scalar was
    /// escaped or folded so that the piece is not verbatim, the node's start is used.
    pub fn locate(
        &self,
        text: &str,
        span: Span,
        value: &str,
        range: std::ops::Range<usize>,
    ) -> Span {
        let start = span.start.offset as usize;
        let end = (span.end.offset as usize).clamp(start, text.len());
        let (Some(hay), Some(needle)) = (text.get(start..end), value.get(range.clone())) else {
            return span;
        };
        if needle.is_empty() {
            return Span::at(span.start);
        }
        // Which occurrence of the piece within the value this is, so repeated pieces
        // (`${{ x }} ${{ x }}`) map to the right one.
        let nth = value
            .get(..range.start)
            .map_or(0, |before| before.matches(needle).count());
        match hay.match_indices(needle).nth(nth) {
            Some((i, _)) => {
                let a = start + i;
                Span::new(self.pos(text, a), self.pos(text, a + needle.len()))
            }
            None => span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "ab\nçd\n\nx";
        let ix = LineIndex::new(text);
        assert_eq!(
            ix.pos(text, 0),
            Pos {
                offset: 0,
                line: 1,
                col: 1
            }
        );
        assert_eq!(
            ix.pos(text, 3),
            Pos {
                offset: 3,
                line: 2,
                col: 1
            }
        );
        assert_eq!(
            ix.pos(text, 5),
            Pos {
                offset: 5,
                line: 2,
                col: 2
            }
        );
        assert_eq!(
            ix.pos(text, 8),
            Pos {
                offset: 8,
                line: 4,
                col: 1
            }
        );
        assert_eq!(ix.pos(text, 99).line, 4);
    }

    #[test]
    fn locate_finds_the_nth_occurrence_in_a_block_scalar() {
        let text = "run: |\n  echo ${{ x }}\n  echo ${{ x }}\n";
        let ix = LineIndex::new(text);
        let value = "echo ${{ x }}\necho ${{ x }}\n";
        let span = Span::new(ix.pos(text, 5), ix.pos(text, text.len()));
        let second = value.rfind("${{").unwrap();
        let got = ix.locate(text, span, value, second..second + 9);
        assert_eq!((got.start.line, got.start.col), (3, 8));
    }
}
