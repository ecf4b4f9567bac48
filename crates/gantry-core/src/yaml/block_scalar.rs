//! Block scalars: `|` (literal) and `>` (folded), with chomping (`-`, `+`) and explicit
//! indentation indicators, exactly as libyaml reads them.
//!
//! These hold the bulk of a workflow's bytes (`run: |` scripts), so content is copied a
//! line at a time as slices, never character by character.

use super::node::ScalarStyle;
use super::parse::{Parser, Res};
use super::scanner::{find_break, is_blank, is_break};
use bumpalo::collections::String as BumpString;

impl<'a> Parser<'a> {
    /// The block scalar whose indicator is at the cursor; `parent` is the column of the
    /// enclosing block collection, which content must be indented past.
    pub(super) fn block_scalar(&mut self, parent: i32) -> Res<()> {
        let start = self.cur.mark();
        let literal = self.cur.peek() == b'|';
        self.cur.pos += 1;
        let (chomp, increment) = self.block_header()?;
        let header_end = self.cur.mark();
        if !self.cur.skip_line_tail(true) {
            return Err(self.cur.error(
                "while scanning a block scalar: did not find expected comment or line break",
            ));
        }
        self.cur.eat_break();
        let floor = (parent + 1).max(0) as usize;
        let mut indent = match increment {
            0 => 0,
            n if parent >= 0 => parent as usize + n,
            n => n,
        };
        let mut trailing = 0usize;
        self.block_breaks(&mut indent, &mut trailing, floor)?;
        let src = self.cur.src;
        let mut pieces = std::mem::take(&mut self.pieces);
        pieces.clear();
        let mut len = 0;
        let mut end = header_end;
        let mut leading_break = false;
        let mut leading_blank = false;
        while !self.cur.eof() && self.cur.pos - self.cur.line_start == indent {
            let trailing_blank = is_blank(self.cur.peek());
            let mut newlines = trailing;
            if !literal && leading_break && !leading_blank && !trailing_blank {
                if trailing == 0 {
                    pieces.push(Piece::Space);
                    len += 1;
                }
            } else if leading_break {
                newlines += 1;
            }
            if newlines > 0 {
                pieces.push(Piece::Newlines(newlines));
                len += newlines;
            }
            trailing = 0;
            leading_blank = trailing_blank;
            let line_end = find_break(src, self.cur.pos);
            pieces.push(Piece::Text(self.cur.pos, line_end));
            len += line_end - self.cur.pos;
            self.cur.pos = line_end;
            end = self.cur.mark();
            leading_break = self.cur.eat_break();
            if !leading_break {
                break;
            }
            if let Err(e) = self.block_breaks(&mut indent, &mut trailing, floor) {
                self.pieces = pieces;
                return Err(e);
            }
        }
        let mut newlines = 0;
        if chomp >= 0 && leading_break {
            newlines += 1;
        }
        if chomp > 0 {
            newlines += trailing;
        }
        pieces.push(Piece::Newlines(newlines));
        // All the pieces are known: the text is allocated once, at its final size.
        let mut text = BumpString::with_capacity_in(len + newlines, self.arena);
        for piece in &pieces {
            match *piece {
                Piece::Text(from, to) => text.push_str(self.cur.slice(from, to)?),
                Piece::Space => text.push(' '),
                Piece::Newlines(n) => push_newlines(&mut text, n),
            }
        }
        self.pieces = pieces;
        let style = if literal {
            ScalarStyle::Literal
        } else {
            ScalarStyle::Folded
        };
        self.push_scalar(text.into_bump_str(), style, start, end);
        Ok(())
    }

    /// Chomping (`-` strip: -1, clip: 0, `+` keep: 1) and indentation indicator, in
    /// either order.
    fn block_header(&mut self) -> Res<(i8, usize)> {
        let mut chomp = None;
        let mut increment = None;
        loop {
            match self.cur.peek() {
                b'+' | b'-' if chomp.is_none() => {
                    chomp = Some(if self.cur.peek() == b'+' { 1 } else { -1 });
                }
                b'0' if increment.is_none() => {
                    return Err(self.cur.error(
                        "while scanning a block scalar: found an indentation indicator equal to 0",
                    ))
                }
                d @ b'1'..=b'9' if increment.is_none() => increment = Some(usize::from(d - b'0')),
                _ => return Ok((chomp.unwrap_or(0), increment.unwrap_or(0))),
            }
            self.cur.pos += 1;
        }
    }

    /// Eats indentation and empty lines up to the next content line, counting the line
    /// breaks; an undetermined indentation (0) is set from the most indented of them.
    fn block_breaks(&mut self, indent: &mut usize, trailing: &mut usize, floor: usize) -> Res<()> {
        let mut max_indent = 0;
        loop {
            while (*indent == 0 || self.cur.pos - self.cur.line_start < *indent)
                && self.cur.peek() == b' '
            {
                self.cur.pos += 1;
            }
            let col = self.cur.pos - self.cur.line_start;
            max_indent = max_indent.max(col);
            if (*indent == 0 || col < *indent) && self.cur.peek() == b'\t' {
                return Err(self.cur.error(
                    "while scanning a block scalar: found a tab character where an indentation space is expected",
                ));
            }
            if !is_break(self.cur.peek()) {
                break;
            }
            self.cur.eat_break();
            *trailing += 1;
        }
        if *indent == 0 {
            *indent = max_indent.max(floor).max(1);
        }
        Ok(())
    }
}

/// A block scalar's text before assembly: content slices and the separators between.
pub(super) enum Piece {
    Text(usize, usize),
    Space,
    Newlines(usize),
}

fn push_newlines(text: &mut BumpString<'_>, n: usize) {
    for _ in 0..n {
        text.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{check_errors, check_table, dump_spans};

    #[test]
    fn literal_and_folded_scalars() {
        let cases: &[(&str, &str)] = &[
            ("a: |\n  x\n  y\n", r#"{a: |"x\ny\n"}"#),
            ("a: |\n  x\n\n\nb: 1\n", r#"{a: |"x\n", b: 1}"#),
            ("a: |-\n  x\n\n", r#"{a: |"x"}"#),
            ("a: |+\n  x\n\n\n", r#"{a: |"x\n\n\n"}"#),
            ("a: |\n  x", r#"{a: |"x"}"#),
            ("a: |\n\n  \n  x\n", r#"{a: |"\n\nx\n"}"#),
            (
                "a: |\n    x\n  y\n",
                "ERROR did not find expected key at line 3, column 3",
            ),
            ("a: |2\n    x\n  y\n", r#"{a: |"  x\ny\n"}"#),
            ("- |1-\n  x\n", r#"[|" x"]"#),
            ("a: |-2 # c\n    x\n", r#"{a: |"  x"}"#),
            ("a: |\n  x\n   y\n  \tz\n", r#"{a: |"x\n y\n\tz\n"}"#),
            ("a: |\n  x\n      \n", r#"{a: |"x\n    \n"}"#),
            (
                "a: >\n  one\n  two\n\n  three\n",
                r#"{a: >"one two\nthree\n"}"#,
            ),
            (
                "a: >\n  one\n    more\n  two\n",
                r#"{a: >"one\n  more\ntwo\n"}"#,
            ),
            ("a: >-\n  one\n\n\n  two\n", r#"{a: >"one\n\ntwo"}"#),
            ("a: >\n\n  x\n", r#"{a: >"\nx\n"}"#),
            ("a: |\nb: 1\n", r#"{a: |"", b: 1}"#),
            ("a: >\n", r#"{a: >""}"#),
            ("--- |\n text\n", r#"|"text\n""#),
            ("a:\n  - |\n   x\n", r#"{a: [|"x\n"]}"#),
            ("a: |\r\n  x\r\n  y\r\n", r#"{a: |"x\ny\n"}"#),
        ];
        check_table(cases);
    }

    #[test]
    fn spans_run_from_the_indicator_to_the_last_content_line() {
        assert_eq!(
            dump_spans("a: |\n  x\n  yz\n\nb: 1"),
            r#"{a@1:1-1:2: |"x\nyz\n"@1:4-3:5, b@5:1-5:2: 1@5:4-5:5}@1:1-5:5"#
        );
        assert_eq!(
            dump_spans("a: >-\nb: 1"),
            r#"{a@1:1-1:2: >""@1:4-1:6, b@2:1-2:2: 1@2:4-2:5}@1:1-2:5"#
        );
    }

    #[test]
    fn header_and_indentation_errors() {
        let cases: &[(&str, &str, u32, u32)] = &[
            (
                "a: |0\n  x\n",
                "while scanning a block scalar: found an indentation indicator equal to 0",
                1,
                5,
            ),
            (
                "a: |x\n",
                "while scanning a block scalar: did not find expected comment or line break",
                1,
                5,
            ),
            (
                "a: |\n\tx\n",
                "while scanning a block scalar: found a tab character where an indentation space",
                2,
                1,
            ),
            (
                "a: |\n  x\n \ty\n",
                "while scanning a block scalar: found a tab character where an indentation space",
                3,
                2,
            ),
        ];
        check_errors(cases);
    }
}
