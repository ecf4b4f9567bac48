//! A byte cursor over the source that keeps line and column up to date, so positions cost
//! nothing until one is asked for.

use super::node::Pos;

#[derive(Clone)]
pub struct Cursor<'a> {
    pub src: &'a str,
    pub b: &'a [u8],
    pub pos: usize,
    pub line: u32,
    pub line_start: usize,
    /// The last column computed: (line start, byte position, column), so that successive
    /// positions on one line count only the characters in between.
    memo: std::cell::Cell<(usize, usize, usize)>,
}

impl<'a> Cursor<'a> {
    pub fn new(src: &'a str) -> Cursor<'a> {
        let mut c = Cursor {
            src,
            b: src.as_bytes(),
            pos: 0,
            line: 1,
            line_start: 0,
            memo: std::cell::Cell::new((usize::MAX, 0, 0)),
        };
        if src.starts_with('\u{feff}') {
            c.pos = 3;
            c.line_start = 3;
        }
        c
    }

    #[inline]
    pub fn peek(&self) -> u8 {
        self.b.get(self.pos).copied().unwrap_or(0)
    }

    #[inline]
    pub fn at(&self, k: usize) -> u8 {
        self.b.get(self.pos + k).copied().unwrap_or(0)
    }

    #[inline]
    pub fn eof(&self) -> bool {
        self.pos >= self.b.len()
    }

    /// The 0-based column, in characters.
    pub fn col(&self) -> usize {
        let (ls, at, col) = self.memo.get();
        let (from, base) = if ls == self.line_start && at <= self.pos {
            (at, col)
        } else {
            (self.line_start.min(self.pos), 0)
        };
        let part = &self.b[from..self.pos];
        let n = if part.is_ascii() {
            part.len()
        } else {
            part.iter().filter(|&&b| b & 0xC0 != 0x80).count()
        };
        self.memo.set((self.line_start, self.pos, base + n));
        base + n
    }

    pub fn mark(&self) -> Pos {
        Pos {
            offset: self.pos as u32,
            line: self.line,
            col: self.col() as u32 + 1,
        }
    }

    /// Whether the byte at `pos + k` ends a line (or the input).
    #[inline]
    pub fn is_break_or_eof(&self, k: usize) -> bool {
        // `at` reads past the end as 0; a NUL byte inside the text is not a break.
        match self.b.get(self.pos + k) {
            None => true,
            Some(b) => matches!(b, b'\n' | b'\r'),
        }
    }

    #[inline]
    pub fn is_blank_or_break(&self, k: usize) -> bool {
        matches!(self.at(k), b' ' | b'\t') || self.is_break_or_eof(k)
    }

    /// Moves past one line break (`\n`, `\r\n` or `\r`).
    pub fn newline(&mut self) {
        if self.peek() == b'\r' {
            self.pos += 1;
            if self.peek() == b'\n' {
                self.pos += 1;
            }
        } else {
            self.pos += 1;
        }
        self.line += 1;
        self.line_start = self.pos;
    }

    /// Advances within a line (no line breaks), by whole characters.
    #[inline]
    pub fn bump(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.b.len());
    }

    pub fn skip_spaces(&mut self) {
        while matches!(self.peek(), b' ' | b'\t') {
            self.pos += 1;
        }
    }

    /// Skips spaces, then a comment if one starts, stopping before the line break.
    pub fn skip_spaces_and_comment(&mut self) {
        self.skip_spaces();
        if self.peek() == b'#' {
            while !self.is_break_or_eof(0) {
                self.pos += 1;
            }
        }
    }

    /// Skips white space, comments and line breaks. Returns whether a line break was crossed.
    /// Tabs in the indentation of a line with content are reported by the caller.
    pub fn skip_blank_lines(&mut self) -> bool {
        let mut crossed = false;
        loop {
            self.skip_spaces_and_comment();
            if self.eof() || !matches!(self.peek(), b'\n' | b'\r') {
                return crossed;
            }
            self.newline();
            crossed = true;
        }
    }

    /// Whether the current line holds a document marker (`---` or `...`) at column 0.
    pub fn at_document_marker(&self) -> bool {
        self.pos == self.line_start
            && (self.b[self.pos..].starts_with(b"---") || self.b[self.pos..].starts_with(b"..."))
            && self.is_blank_or_break(3)
    }

    /// Whether the indentation of the current line (before `pos`) contains a tab.
    pub fn tab_in_indent(&self) -> bool {
        self.b[self.line_start..self.pos].contains(&b'\t')
    }
}
