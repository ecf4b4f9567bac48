//! The byte cursor every part of the parser moves: where it is (offset, line, start of
//! the line), the character classes YAML's grammar is written in, and the whitespace,
//! comment and line-break skipping that sits between tokens.
//!
//! The parser works on bytes, never on `char`s: every byte that matters to YAML's
//! structure is ASCII, and UTF-8 continuation bytes can never be mistaken for one.
//! Columns are only turned into characters when a position is reported.

use std::cell::Cell;

use super::node::Pos;
use super::parse::YamlError;

/// A cheap snapshot of a position; the column is computed only when it is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Mark {
    pub pos: usize,
    pub line: u32,
    pub line_start: usize,
}

pub(super) struct Cursor<'a> {
    pub text: &'a str,
    pub src: &'a [u8],
    pub pos: usize,
    pub line: u32,
    pub line_start: usize,
    /// Length of the input's pure-ASCII prefix: up to there a column is a byte count.
    pub ascii_until: usize,
    /// Past that prefix, the last column computed (line start, offset, column), so that
    /// columns along one long line are counted incrementally, not from the line start
    /// each time (which would make a long one-line flow collection quadratic).
    col_cache: Cell<(usize, usize, usize)>,
}

/// Bytes that may end a line of plain-scalar text in the block context (`:` only ends it
/// when a blank follows, `#` only after a blank, which the scanner checks itself).
pub(super) static BLOCK_STOP: [bool; 256] = stop_table(b":#\n\r");
/// In flow collections the flow indicators end plain scalars too.
pub(super) static FLOW_STOP: [bool; 256] = stop_table(b":#\n\r,[]{}");

const fn stop_table(bytes: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        t[bytes[i] as usize] = true;
        i += 1;
    }
    t
}

#[inline]
pub(super) fn is_break(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

#[inline]
pub(super) fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Blank, line break or end of input (the cursor reads past the end as 0; the input is
/// checked to hold no NUL byte, so 0 means the end).
#[inline]
pub(super) fn is_blankz(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0)
}

/// Number of characters in a UTF-8 byte slice: every byte that is not a continuation
/// byte. Counted in byte-wide lanes, 128 bytes at a time, so it vectorizes well.
#[inline]
pub(super) fn count_chars(s: &[u8]) -> usize {
    s.chunks(128)
        .map(|c| {
            c.iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from((b as i8) >= -0x40)))
                as usize
        })
        .sum()
}

/// Per byte of a word, the high bit set where the byte equals `b`. Only the lowest set
/// bit is exact (a borrow can mark bytes above a match), which is all a search needs.
#[inline(always)]
fn bytes_equal(w: u64, b: u8) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let x = w ^ (LO * u64::from(b));
    x.wrapping_sub(LO) & !x & HI
}

/// Length of the run of `s` before the first byte that may end a line of plain scalar in
/// the block context (see [`BLOCK_STOP`]), eight bytes at a time: plain scalars are most
/// of the text a workflow's structure is made of.
pub(super) fn block_plain_run(s: &[u8]) -> usize {
    let mut chunks = s.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let hit = bytes_equal(w, b':')
            | bytes_equal(w, b'#')
            | bytes_equal(w, b'\n')
            | bytes_equal(w, b'\r');
        if hit != 0 {
            return base + (hit.trailing_zeros() / 8) as usize;
        }
        base += 8;
    }
    let rest = chunks.remainder();
    base + rest
        .iter()
        .position(|&b| BLOCK_STOP[b as usize])
        .unwrap_or(rest.len())
}

/// Offset of the first `\n` or `\r` at or after `from` (or the input's length), with
/// `memchr`'s vectorised search: comments and block-scalar lines are the long stretches
/// of a workflow.
pub(super) fn find_break(s: &[u8], from: usize) -> usize {
    let Some(rest) = s.get(from..) else {
        return s.len();
    };
    memchr::memchr2(b'\n', b'\r', rest).map_or(s.len(), |i| from + i)
}

impl<'a> Cursor<'a> {
    pub fn new(text: &'a str) -> Cursor<'a> {
        Cursor {
            text,
            src: text.as_bytes(),
            pos: 0,
            line: 1,
            line_start: 0,
            ascii_until: 0,
            col_cache: Cell::new((usize::MAX, 0, 0)),
        }
    }

    #[inline]
    pub fn at(&self, i: usize) -> u8 {
        self.src.get(i).copied().unwrap_or(0)
    }

    #[inline]
    pub fn peek(&self) -> u8 {
        self.at(self.pos)
    }

    #[inline]
    pub fn peek_at(&self, n: usize) -> u8 {
        self.at(self.pos + n)
    }

    #[inline]
    pub fn eof(&self) -> bool {
        self.pos >= self.src.len()
    }

    #[inline]
    pub fn mark(&self) -> Mark {
        Mark {
            pos: self.pos,
            line: self.line,
            line_start: self.line_start,
        }
    }

    /// The 0-based column of the cursor, in characters.
    #[inline]
    pub fn column(&self) -> usize {
        self.column_of(self.line_start, self.pos)
    }

    #[inline]
    fn column_of(&self, line_start: usize, pos: usize) -> usize {
        if pos <= self.ascii_until {
            return pos.saturating_sub(line_start);
        }
        let (cached_line, cached_pos, cached_col) = self.col_cache.get();
        let (from, base) = if cached_line == line_start && cached_pos <= pos {
            (cached_pos, cached_col)
        } else {
            (line_start, 0)
        };
        let col = base + count_chars(self.src.get(from..pos).unwrap_or(&[]));
        self.col_cache.set((line_start, pos, col));
        col
    }

    #[inline(always)]
    pub fn pos_of(&self, m: Mark) -> Pos {
        Pos {
            offset: m.pos as u32,
            line: m.line,
            col: self.column_of(m.line_start, m.pos) as u32 + 1,
        }
    }

    pub fn here(&self) -> Pos {
        self.pos_of(self.mark())
    }

    pub fn error_at(&self, m: Mark, message: impl Into<String>) -> YamlError {
        YamlError {
            pos: self.pos_of(m),
            message: message.into(),
        }
    }

    pub fn error(&self, message: impl Into<String>) -> YamlError {
        self.error_at(self.mark(), message)
    }

    /// The source text between two offsets; every offset the parser cuts at sits next to
    /// an ASCII byte, so this only fails on a bug, and then as an error, not a panic.
    #[inline]
    pub fn slice(&self, from: usize, to: usize) -> Result<&'a str, YamlError> {
        self.text
            .get(from..to)
            .ok_or_else(|| self.error("internal error: cut inside a character"))
    }

    /// Consumes one line break (`\n`, `\r\n` or a lone `\r`) if the cursor is on one.
    #[inline]
    pub fn eat_break(&mut self) -> bool {
        match self.peek() {
            b'\n' => self.pos += 1,
            b'\r' => self.pos += if self.peek_at(1) == b'\n' { 2 } else { 1 },
            _ => return false,
        }
        self.line += 1;
        self.line_start = self.pos;
        true
    }

    #[inline]
    pub fn at_break_or_end(&self) -> bool {
        let b = self.peek();
        is_break(b) || (b == 0 && self.eof())
    }

    /// Moves to the end of the line (a comment's text is skipped this way).
    #[inline]
    pub fn skip_to_break(&mut self) {
        self.pos = find_break(self.src, self.pos);
    }

    /// Skips spaces, and tabs when `tabs` allows, without leaving the line.
    #[inline]
    pub fn skip_blanks(&mut self, tabs: bool) {
        loop {
            match self.peek() {
                b' ' => self.pos += 1,
                b'\t' if tabs => self.pos += 1,
                _ => return,
            }
        }
    }

    /// Skips spaces, eight at a time: indentation is most of what lies between tokens.
    #[inline]
    pub fn skip_spaces(&mut self) {
        const SPACES: u64 = 0x2020_2020_2020_2020;
        while let Some(chunk) = self.src.get(self.pos..self.pos + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let other = u64::from_le_bytes(word) ^ SPACES;
            if other != 0 {
                self.pos += (other.trailing_zeros() / 8) as usize;
                return;
            }
            self.pos += 8;
        }
        while self.peek() == b' ' {
            self.pos += 1;
        }
    }

    /// Skips blanks and a comment on the current line; says whether the line is done.
    #[inline]
    pub fn skip_line_tail(&mut self, tabs: bool) -> bool {
        self.skip_blanks(tabs);
        if self.peek() == b'#' {
            self.skip_to_break();
        }
        self.at_break_or_end()
    }

    /// Skips whitespace, comments and line breaks in the block context up to the next
    /// token. Tabs are separation only until the first line break (`tabs`); after one,
    /// a tab would be indentation, which YAML forbids.
    pub fn skip_ws(&mut self, mut tabs: bool) -> Result<(), YamlError> {
        loop {
            if self.pos == self.line_start && self.src.get(self.pos..self.pos + 3) == Some(BOM) {
                // libyaml skips a BOM that starts a line (it still counts as a column).
                self.pos += 3;
            }
            self.skip_spaces();
            self.skip_blanks(tabs);
            match self.peek() {
                b'#' => self.skip_to_break(),
                b'\t' => return Err(self.error(TAB_INDENT)),
                _ => {}
            }
            if !self.eat_break() {
                return Ok(());
            }
            tabs = false;
        }
    }

    /// Skips everything that separates tokens inside a flow collection: spaces, tabs,
    /// comments and line breaks (indentation does not matter there).
    pub fn skip_ws_flow(&mut self) -> Result<(), YamlError> {
        loop {
            self.skip_blanks(true);
            if self.peek() == b'#' {
                self.skip_to_break();
            }
            if !self.eat_break() {
                return Ok(());
            }
            if self.at_doc_marker() {
                return Err(self.error("found a document marker inside a flow collection"));
            }
        }
    }

    /// `---` or `...` at the start of a line, followed by a blank or the end.
    #[inline]
    pub fn at_doc_marker(&self) -> bool {
        self.pos == self.line_start
            && matches!(
                self.src.get(self.pos..self.pos + 3),
                Some(b"---") | Some(b"...")
            )
            && is_blankz(self.peek_at(3))
    }
}

pub(super) const BOM: &[u8] = "\u{feff}".as_bytes();
pub(super) const TAB_INDENT: &str = "found a tab character where indentation is expected";

/// libyaml refuses control characters (other than tab and line breaks), DEL, the C1
/// controls but NEL, and U+FFFE/U+FFFF anywhere in the input; so do we, before parsing,
/// which also lets the cursor read NUL as "end of input". Returns the length of the
/// input's ASCII prefix, where columns are cheap.
pub(super) fn check_characters(text: &str) -> Result<usize, YamlError> {
    let src = text.as_bytes();
    let mut ascii_until = src.len();
    for (i, chunk) in src.chunks(64).enumerate() {
        let odd = chunk.iter().fold(false, |odd, &b| {
            odd | ((b < 0x20) & (b != b'\n')) | (b >= 0x7f)
        });
        if !odd {
            continue;
        }
        for (j, &b) in chunk.iter().enumerate() {
            let at = i * 64 + j;
            let bad = match b {
                b'\t' | b'\n' | b'\r' => false,
                0..=0x1f | 0x7f => true,
                0xc2 => matches!(src.get(at + 1), Some(0x80..=0x84 | 0x86..=0x9f)),
                0xef => {
                    src.get(at + 1) == Some(&0xbf) && matches!(src.get(at + 2), Some(0xbe | 0xbf))
                }
                _ => false,
            };
            if bad {
                return Err(YamlError {
                    pos: pos_by_scan(src, at),
                    message: "control characters are not allowed".into(),
                });
            }
            if b >= 0x80 {
                ascii_until = ascii_until.min(at);
            }
        }
    }
    Ok(ascii_until)
}

/// Line and column of an offset found without a cursor (only on the error path).
pub(super) fn pos_by_scan(src: &[u8], at: usize) -> Pos {
    let mut c = Cursor::new("");
    c.src = src;
    while c.pos < at && c.pos < src.len() {
        if !c.eat_break() {
            c.pos += 1;
        }
    }
    c.pos = at.min(src.len());
    c.pos_of(c.mark())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_plain_runs_stop_where_the_table_says() {
        let filler = "ab c-d/e.f_g h0123456789~é";
        for stop in [":", "#", "\n", "\r"] {
            for n in 0..filler.len() {
                if !filler.is_char_boundary(n) {
                    continue;
                }
                let s = format!("{}{stop}{}", &filler[..n], &filler[n..]);
                let want = s.bytes().position(|b| BLOCK_STOP[b as usize]);
                assert_eq!(
                    block_plain_run(s.as_bytes()),
                    want.unwrap_or(s.len()),
                    "{s:?}"
                );
                assert_eq!(want, Some(n), "{s:?}");
            }
        }
        for s in ["", "abc", "abcdefgh", "abcdefghijklmnop", "x::", "#"] {
            let want = s.bytes().position(|b| BLOCK_STOP[b as usize]);
            assert_eq!(
                block_plain_run(s.as_bytes()),
                want.unwrap_or(s.len()),
                "{s:?}"
            );
        }
        // Every byte value, in every lane of a word.
        for b in 0..=255u8 {
            for lane in 0..8 {
                let mut s = vec![b'a'; 16];
                s[lane] = b;
                let want = s.iter().position(|&c| BLOCK_STOP[c as usize]).unwrap_or(16);
                assert_eq!(block_plain_run(&s), want, "byte {b:#x} in lane {lane}");
            }
        }
    }

    #[test]
    fn finds_line_breaks_in_any_chunk_position() {
        let text = "abcdefghijklmnopqrstuvwxyz";
        for n in 0..text.len() {
            for brk in ["\n", "\r"] {
                let s = format!("{}{brk}{}", &text[..n], &text[n..]);
                for from in 0..=n {
                    assert_eq!(find_break(s.as_bytes(), from), n, "{s:?} from {from}");
                }
            }
        }
        assert_eq!(find_break(b"abc", 0), 3);
        assert_eq!(find_break(b"abc", 7), 3);
    }

    #[test]
    fn columns_count_characters_and_lines_count_every_break_style() {
        let mut c = Cursor::new("é\r\nx\ry\nz");
        c.pos = 2;
        assert_eq!(
            c.here(),
            Pos {
                offset: 2,
                line: 1,
                col: 2
            }
        );
        assert!(c.eat_break());
        assert_eq!(
            c.here(),
            Pos {
                offset: 4,
                line: 2,
                col: 1
            }
        );
        c.pos += 1;
        assert!(c.eat_break());
        c.pos += 1;
        assert!(c.eat_break());
        assert_eq!(
            c.here(),
            Pos {
                offset: 8,
                line: 4,
                col: 1
            }
        );
    }

    #[test]
    fn control_characters_are_refused_with_their_position() {
        assert_eq!(check_characters("a: b\n\tc: 'é'\r\n"), Ok(10));
        assert_eq!(check_characters("abc"), Ok(3));
        let err = check_characters("a: b\nc: \u{7}").unwrap_err();
        assert_eq!((err.pos.line, err.pos.col, err.pos.offset), (2, 4, 8));
        assert!(check_characters("x\u{85}y").is_ok());
        assert!(check_characters("x\u{9f}y").is_err());
        assert!(check_characters("x\u{fffe}").is_err());
        assert!(check_characters("\0").is_err());
    }

    #[test]
    fn skipping_whitespace_refuses_tabs_after_a_line_break() {
        let mut c = Cursor::new("  # c\n\t x");
        let err = c.skip_ws(false).unwrap_err();
        assert_eq!((err.pos.line, err.pos.col), (2, 1));
        let mut c = Cursor::new(" \t# c\n  x");
        c.skip_ws(true).unwrap();
        assert_eq!((c.pos, c.line, c.column()), (8, 2, 2));
    }
}
