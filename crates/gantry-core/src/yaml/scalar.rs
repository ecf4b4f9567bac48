//! Plain and quoted (flow) scalars: where they end, and how their lines fold.
//!
//! The common case, a scalar on one line without escapes, is one slice of the source
//! copied once; a `String` is only built up piecewise when lines fold or escapes appear.
//! Folding follows libyaml: one line break becomes a space, `n` breaks become `n - 1`
//! newlines, and blanks around breaks are dropped.

use super::node::ScalarStyle;
use super::parse::{Parser, Res};
use super::scanner::{block_plain_run, is_blank, is_blankz, is_break, Mark, BLOCK_STOP, FLOW_STOP};

impl<'a> Parser<'a> {
    #[inline(never)]
    /// A plain scalar at the cursor. `indent` is the enclosing block collection's column:
    /// in the block context a continuation line must be indented past it.
    pub(super) fn plain(&mut self, indent: i32, flow: bool) -> Res<()> {
        let table = if flow { &FLOW_STOP } else { &BLOCK_STOP };
        let min_col = (indent + 1).max(0) as usize;
        let src = self.cur.src;
        let start = self.cur.mark();
        let mut first = (start.pos, start.pos);
        let mut text: Option<String> = None;
        let mut end = start;
        let mut breaks = 0usize;
        loop {
            // One line of the scalar at a time: it ends at a line break, at `: ` (or `:` at
            // the end), at ` #`, or in flow context at an indicator; blanks between words
            // are content, trailing blanks are not.
            let line_start = self.cur.pos;
            let i = self.plain_line_end(line_start, flow, table)?;
            let mut e = i;
            while e > line_start && is_blank(src[e - 1]) {
                e -= 1;
            }
            if e == line_start {
                break;
            }
            if let Some(t) = &mut text {
                match breaks {
                    1 => t.push(' '),
                    n => (1..n).for_each(|_| t.push('\n')),
                }
                t.push_str(self.cur.slice(line_start, e)?);
            } else if breaks == 0 {
                // Still on the first line: the text so far is the source as it stands.
                first.1 = e;
            } else {
                let mut t = String::with_capacity(2 * (e - start.pos));
                t.push_str(self.cur.slice(first.0, first.1)?);
                match breaks {
                    1 => t.push(' '),
                    n => (1..n).for_each(|_| t.push('\n')),
                }
                t.push_str(self.cur.slice(line_start, e)?);
                text = Some(t);
            }
            self.cur.pos = e;
            end = self.cur.mark();
            self.cur.pos = i;
            if !is_break(self.cur.peek()) {
                break;
            }
            breaks = self.plain_breaks(min_col)?;
            if (!flow && self.cur.pos - self.cur.line_start < min_col)
                || self.cur.at_doc_marker()
                || self.cur.peek() == b'#'
            {
                break;
            }
        }
        if end.pos == start.pos {
            return Err(self
                .cur
                .error_at(start, "did not find expected node content"));
        }
        let text = match text {
            Some(t) => &*self.arena.alloc_str(&t),
            None => self.cur.slice(first.0, first.1)?,
        };
        self.push_scalar(text, ScalarStyle::Plain, start, end);
        Ok(())
    }

    /// Where the plain scalar's text on this line ends (before trailing blanks are
    /// dropped): at a line break, at `: ` (or `:` at the end), at ` #`, or in flow context
    /// at an indicator.
    #[inline]
    fn plain_line_end(&mut self, line_start: usize, flow: bool, table: &[bool; 256]) -> Res<usize> {
        let src = self.cur.src;
        let mut i = line_start;
        loop {
            let rest = src.get(i..).unwrap_or(&[]);
            i += if flow {
                scan_run(rest, table)
            } else {
                block_plain_run(rest)
            };
            match src.get(i) {
                Some(b':') => {
                    let next = self.cur.at(i + 1);
                    if flow && matches!(next, b',' | b'?' | b'[' | b']' | b'{' | b'}') {
                        self.cur.pos = i;
                        return Err(self
                            .cur
                            .error("while scanning a plain scalar: found unexpected ':'"));
                    }
                    if is_blankz(next) {
                        return Ok(i);
                    }
                }
                Some(b'#') if i > line_start && is_blank(src[i - 1]) => return Ok(i),
                Some(b'#') => {}
                _ => return Ok(i),
            }
            i += 1;
        }
    }

    /// Skips the line breaks and indentation after a line of a plain scalar; returns how
    /// many breaks there were. A tab in the indentation is an error.
    #[inline]
    fn plain_breaks(&mut self, min_col: usize) -> Res<usize> {
        let mut breaks = 0;
        loop {
            match self.cur.peek() {
                b' ' => self.cur.skip_spaces(),
                b'\t' => {
                    if self.cur.pos - self.cur.line_start < min_col {
                        return Err(self.cur.error(
                            "while scanning a plain scalar: found a tab character that violates indentation",
                        ));
                    }
                    self.cur.pos += 1;
                }
                b'\n' | b'\r' => {
                    self.cur.eat_break();
                    breaks += 1;
                }
                _ => return Ok(breaks),
            }
        }
    }

    /// A single- or double-quoted scalar at the cursor (on its opening quote).
    pub(super) fn quoted(&mut self, double: bool) -> Res<()> {
        let start = self.cur.mark();
        let quote = if double { b'"' } else { b'\'' };
        let src = self.cur.src;
        self.cur.pos += 1;
        // Built up only when the value is not one piece of the source (escapes, `''`,
        // line folding); otherwise the value is that piece.
        let mut text = String::new();
        let mut whole: Option<&'a str> = None;
        let mut seg = self.cur.pos;
        loop {
            let mut i = self.cur.pos;
            while let Some(&b) = src.get(i) {
                if b == quote || is_break(b) || (double && b == b'\\') {
                    break;
                }
                i += 1;
            }
            match src.get(i) {
                None => return Err(self.cur.error_at(start, "unterminated quoted scalar")),
                Some(&b) if b == quote => {
                    if !double && src.get(i + 1) == Some(&b'\'') {
                        text.push_str(self.cur.slice(seg, i + 1)?);
                        seg = i + 2;
                        self.cur.pos = seg;
                        continue;
                    }
                    let last = self.cur.slice(seg, i)?;
                    if text.is_empty() && seg == start.pos + 1 {
                        whole = Some(last);
                    } else {
                        text.push_str(last);
                    }
                    self.cur.pos = i + 1;
                    break;
                }
                Some(b'\\') => {
                    text.push_str(self.cur.slice(seg, i)?);
                    self.cur.pos = i;
                    self.escape(&mut text, start)?;
                    seg = self.cur.pos;
                }
                Some(_) => {
                    let mut e = i;
                    while e > seg && src.get(e - 1).is_some_and(|&b| is_blank(b)) {
                        e -= 1;
                    }
                    text.push_str(self.cur.slice(seg, e)?);
                    self.cur.pos = i;
                    match self.quoted_breaks(start)? {
                        1 => text.push(' '),
                        n => (1..n).for_each(|_| text.push('\n')),
                    }
                    seg = self.cur.pos;
                }
            }
        }
        let style = if double {
            ScalarStyle::DoubleQuoted
        } else {
            ScalarStyle::SingleQuoted
        };
        let end = self.cur.mark();
        let text = match whole {
            Some(t) => t,
            None => &*self.arena.alloc_str(&text),
        };
        self.push_scalar(text, style, start, end);
        Ok(())
    }

    /// Eats line breaks and the blanks around them inside a quoted scalar; returns how
    /// many breaks there were.
    fn quoted_breaks(&mut self, start: Mark) -> Res<usize> {
        let mut n = 0;
        loop {
            match self.cur.peek() {
                b' ' | b'\t' => self.cur.pos += 1,
                b'\n' | b'\r' => {
                    self.cur.eat_break();
                    n += 1;
                }
                _ => break,
            }
        }
        if self.cur.at_doc_marker() {
            return Err(self
                .cur
                .error("while scanning a quoted scalar: found unexpected document indicator"));
        }
        if self.cur.eof() {
            return Err(self.cur.error_at(start, "unterminated quoted scalar"));
        }
        Ok(n)
    }

    /// One backslash escape of a double-quoted scalar (the cursor on the backslash).
    fn escape(&mut self, text: &mut String, start: Mark) -> Res<()> {
        let c = match self.cur.peek_at(1) {
            b'0' => '\0',
            b'a' => '\x07',
            b'b' => '\x08',
            b't' | b'\t' => '\t',
            b'n' => '\n',
            b'v' => '\x0b',
            b'f' => '\x0c',
            b'r' => '\r',
            b'e' => '\x1b',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' => return self.hex_escape(text, 2),
            b'u' => return self.hex_escape(text, 4),
            b'U' => return self.hex_escape(text, 8),
            b'\n' | b'\r' => {
                self.cur.pos += 1;
                self.cur.eat_break();
                let n = self.quoted_breaks(start)?;
                (0..n).for_each(|_| text.push('\n'));
                return Ok(());
            }
            _ => {
                return Err(self
                    .cur
                    .error("while parsing a quoted scalar: found unknown escape character"))
            }
        };
        text.push(c);
        self.cur.pos += 2;
        Ok(())
    }

    /// `\xXX`, `\uXXXX`, `\UXXXXXXXX`: a code point, written as UTF-8.
    fn hex_escape(&mut self, text: &mut String, digits: usize) -> Res<()> {
        let mut value: u32 = 0;
        for k in 0..digits {
            let d = self.cur.peek_at(2 + k);
            let Some(v) = (d as char).to_digit(16) else {
                return Err(self.cur.error(
                    "while parsing a quoted scalar: did not find expected hexadecimal number",
                ));
            };
            value = value << 4 | v;
        }
        let Some(c) = char::from_u32(value) else {
            return Err(self.cur.error(
                "while parsing a quoted scalar: found invalid Unicode character escape code",
            ));
        };
        text.push(c);
        self.cur.pos += 2 + digits;
        Ok(())
    }
}

/// Length of the run of bytes not in `stop`.
#[inline]
fn scan_run(s: &[u8], stop: &[bool; 256]) -> usize {
    s.iter().position(|&b| stop[b as usize]).unwrap_or(s.len())
}

#[cfg(test)]
#[path = "scalar_tests.rs"]
mod tests;
