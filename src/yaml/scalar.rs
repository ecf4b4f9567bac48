//! Scalars: plain (block and flow context, folded over lines), single- and double-quoted
//! (with escapes and folding), and literal/folded block scalars with chomping and
//! indentation indicators — the rules libyaml applies.

use super::cursor::Cursor;
use super::error::{err, YamlError};

fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

/// Bytes that may end a plain scalar on its line: break, blank (before `#`), `:`, and the
/// flow indicators (which matter only in flow context).
static STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    let stops = b"\n\r \t:,[]{}";
    while i < stops.len() {
        t[stops[i] as usize] = true;
        i += 1;
    }
    t
};

/// Where a plain scalar's text on the current line ends (exclusive, trailing blanks
/// trimmed), and whether it stopped at a `: ` mapping indicator.
pub fn plain_segment(c: &Cursor<'_>, flow: bool) -> (usize, bool) {
    let b = c.b;
    let mut i = c.pos;
    let mut end = i;
    while i < b.len() {
        // Runs of ordinary bytes are skipped in one tight loop.
        while i < b.len() && !STOP[b[i] as usize] {
            i += 1;
            end = i;
        }
        let Some(&x) = b.get(i) else { break };
        match x {
            b'\n' | b'\r' => break,
            b' ' | b'\t' => {
                if b.get(i + 1) == Some(&b'#') {
                    break;
                }
                i += 1;
                continue;
            }
            b':' => {
                let next = b.get(i + 1).copied().unwrap_or(b' ');
                if matches!(next, b' ' | b'\t' | b'\n' | b'\r') || (flow && is_flow_indicator(next))
                {
                    return (end, true);
                }
            }
            _ if flow && is_flow_indicator(x) => break,
            _ => {}
        }
        i += 1;
        end = i;
    }
    (end, false)
}

/// A plain scalar starting at the cursor. In block context it continues on following lines
/// indented more than `indent`; in flow context on any line until an indicator.
pub fn plain(c: &mut Cursor<'_>, indent: i32, flow: bool) -> Result<String, YamlError> {
    let (end, _) = plain_segment(c, flow);
    plain_from(c, end, indent, flow)
}

/// Like [`plain`], when the end of the first line's text is already known.
pub fn plain_from(
    c: &mut Cursor<'_>,
    end: usize,
    indent: i32,
    flow: bool,
) -> Result<String, YamlError> {
    let mut text = c.src[c.pos..end].to_string();
    c.pos = end;
    loop {
        // Look past the line break for a continuation line.
        let mut look = c.clone();
        look.skip_spaces();
        if !matches!(look.peek(), b'\n' | b'\r') {
            break;
        }
        let mut breaks = 0;
        while matches!(look.peek(), b'\n' | b'\r') {
            look.newline();
            breaks += 1;
            look.skip_spaces();
        }
        if look.eof() || look.peek() == b'#' || look.at_document_marker() {
            break;
        }
        if !flow && (look.col() as i32) <= indent {
            break;
        }
        if flow && (is_flow_indicator(look.peek()) || look.peek() == b':') {
            break;
        }
        if !flow && look.tab_in_indent() && look.col() as i32 <= indent + 1 {
            break;
        }
        let (seg_end, is_key) = plain_segment(&look, flow);
        if is_key && !flow {
            return Err(err(&look, "mapping values are not allowed in this context: a plain scalar continued onto a line that looks like `key: value`"));
        }
        if seg_end == look.pos {
            break;
        }
        if breaks == 1 {
            text.push(' ');
        } else {
            text.extend(std::iter::repeat_n('\n', breaks - 1));
        }
        text.push_str(&look.src[look.pos..seg_end]);
        look.pos = seg_end;
        *c = look;
    }
    Ok(text)
}

/// Folds the line break(s) inside a quoted scalar: one break is a space, more are newlines.
fn fold_quoted(c: &mut Cursor<'_>, out: &mut String) {
    let mut breaks = 0;
    while matches!(c.peek(), b'\n' | b'\r') {
        c.newline();
        breaks += 1;
        c.skip_spaces();
    }
    if breaks == 1 {
        out.push(' ');
    } else {
        out.extend(std::iter::repeat_n('\n', breaks - 1));
    }
}

fn trim_trailing_blanks(out: &mut String, keep: usize) {
    while out.len() > keep && out.ends_with([' ', '\t']) {
        out.pop();
    }
}

pub fn single_quoted(c: &mut Cursor<'_>) -> Result<String, YamlError> {
    let start = c.clone();
    c.bump(1);
    let mut out = String::new();
    loop {
        let seg = c.pos;
        while !matches!(c.peek(), b'\'' | b'\n' | b'\r') && !c.eof() {
            c.pos += 1;
        }
        out.push_str(&c.src[seg..c.pos]);
        if c.eof() {
            return Err(err(
                &start,
                "unterminated single-quoted scalar: no closing `'`",
            ));
        }
        match c.peek() {
            b'\'' if c.at(1) == b'\'' => {
                out.push('\'');
                c.bump(2);
            }
            b'\'' => {
                c.bump(1);
                return Ok(out);
            }
            _ => {
                let keep = out.trim_end_matches([' ', '\t']).len();
                trim_trailing_blanks(&mut out, keep);
                if c.at_document_marker() {
                    return Err(err(c, "unexpected document marker inside a quoted scalar"));
                }
                fold_quoted(c, &mut out);
            }
        }
    }
}

fn hex(c: &Cursor<'_>, len: usize) -> Option<u32> {
    let s = c.src.get(c.pos..c.pos + len)?;
    u32::from_str_radix(s, 16)
        .ok()
        .filter(|_| s.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub fn double_quoted(c: &mut Cursor<'_>) -> Result<String, YamlError> {
    let start = c.clone();
    c.bump(1);
    let mut out = String::new();
    loop {
        let seg = c.pos;
        while !matches!(c.peek(), b'"' | b'\\' | b'\n' | b'\r') && !c.eof() {
            c.pos += 1;
        }
        out.push_str(&c.src[seg..c.pos]);
        if c.eof() {
            return Err(err(
                &start,
                "unterminated double-quoted scalar: no closing `\"`",
            ));
        }
        match c.peek() {
            b'"' => {
                c.bump(1);
                return Ok(out);
            }
            b'\\' => {
                let e = c.at(1);
                if matches!(e, b'\n' | b'\r') {
                    // An escaped line break joins the lines without a space.
                    c.bump(1);
                    c.newline();
                    c.skip_spaces();
                    while matches!(c.peek(), b'\n' | b'\r') {
                        c.newline();
                        out.push('\n');
                        c.skip_spaces();
                    }
                    continue;
                }
                let (ch, len) = match e {
                    b'0' => ('\0', 2),
                    b'a' => ('\u{7}', 2),
                    b'b' => ('\u{8}', 2),
                    b't' | b'\t' => ('\t', 2),
                    b'n' => ('\n', 2),
                    b'v' => ('\u{b}', 2),
                    b'f' => ('\u{c}', 2),
                    b'r' => ('\r', 2),
                    b'e' => ('\u{1b}', 2),
                    b' ' => (' ', 2),
                    b'"' => ('"', 2),
                    b'/' => ('/', 2),
                    b'\\' => ('\\', 2),
                    b'N' => ('\u{85}', 2),
                    b'_' => ('\u{a0}', 2),
                    b'L' => ('\u{2028}', 2),
                    b'P' => ('\u{2029}', 2),
                    b'x' | b'u' | b'U' => {
                        let n = match e {
                            b'x' => 2,
                            b'u' => 4,
                            _ => 8,
                        };
                        let mut d = c.clone();
                        d.bump(2);
                        match hex(&d, n).and_then(char::from_u32) {
                            Some(ch) => (ch, 2 + n),
                            None => return Err(err(c, format!("invalid escape `\\{}`: expected {n} hexadecimal digits of a valid character", e as char))),
                        }
                    }
                    _ => {
                        let shown = c.src[c.pos + 1..].chars().next().unwrap_or(' ');
                        return Err(err(
                            c,
                            format!(
                                "unknown escape sequence `\\{shown}` in a double-quoted scalar"
                            ),
                        ));
                    }
                };
                out.push(ch);
                c.bump(len);
            }
            _ => {
                let keep = out.trim_end_matches([' ', '\t']).len();
                trim_trailing_blanks(&mut out, keep);
                if c.at_document_marker() {
                    return Err(err(c, "unexpected document marker inside a quoted scalar"));
                }
                fold_quoted(c, &mut out);
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

/// Eats the indentation and empty lines before a block scalar's next content line,
/// collecting the line breaks; settles the content indentation on the first call
/// (libyaml's `scan_block_scalar_breaks`).
fn block_breaks(
    c: &mut Cursor<'_>,
    content_indent: &mut usize,
    parent: i32,
    breaks: &mut String,
) -> Result<(), YamlError> {
    let mut max_indent = 0;
    loop {
        while (*content_indent == 0 || c.pos - c.line_start < *content_indent) && c.peek() == b' ' {
            c.pos += 1;
        }
        max_indent = max_indent.max(c.pos - c.line_start);
        if (*content_indent == 0 || c.pos - c.line_start < *content_indent) && c.peek() == b'\t' {
            return Err(err(
                c,
                "found a tab character where an indentation space is expected in a block scalar",
            ));
        }
        if c.eof() || !matches!(c.peek(), b'\n' | b'\r') {
            break;
        }
        c.newline();
        breaks.push('\n');
    }
    if *content_indent == 0 {
        *content_indent = max_indent.max((parent + 1).max(1) as usize);
    }
    Ok(())
}

/// A `|` or `>` block scalar; `parent` is the indentation of the enclosing block
/// collection (-1 at the top level). The cursor is at the indicator; it is left at the
/// start of the first line after the scalar.
pub fn block_scalar(c: &mut Cursor<'_>, parent: i32) -> Result<String, YamlError> {
    let literal = c.peek() == b'|';
    c.bump(1);
    let mut chomp = Chomp::Clip;
    let mut increment = 0usize;
    for _ in 0..2 {
        match c.peek() {
            b'-' if chomp == Chomp::Clip => chomp = Chomp::Strip,
            b'+' if chomp == Chomp::Clip => chomp = Chomp::Keep,
            d @ b'1'..=b'9' if increment == 0 => increment = (d - b'0') as usize,
            b'0' => {
                return Err(err(
                    c,
                    "a block scalar's indentation indicator must be 1-9, not 0",
                ))
            }
            _ => break,
        }
        c.bump(1);
    }
    c.skip_spaces_and_comment();
    if !c.is_break_or_eof(0) {
        return Err(err(
            c,
            "expected a comment or a line break after the block scalar indicator",
        ));
    }
    if !c.eof() {
        c.newline();
    }
    let mut indent = if increment > 0 {
        if parent >= 0 {
            parent as usize + increment
        } else {
            increment
        }
    } else {
        0
    };
    let mut out = String::new();
    let mut leading_break = String::new();
    let mut trailing_breaks = String::new();
    block_breaks(c, &mut indent, parent, &mut trailing_breaks)?;
    let mut leading_blank = false;
    while c.pos - c.line_start == indent && !c.eof() {
        if c.at_document_marker() {
            break;
        }
        let trailing_blank = matches!(c.peek(), b' ' | b'\t');
        if !literal && leading_break.starts_with('\n') && !leading_blank && !trailing_blank {
            if trailing_breaks.is_empty() {
                out.push(' ');
            }
            leading_break.clear();
        } else {
            out.push_str(&leading_break);
            leading_break.clear();
        }
        out.push_str(&trailing_breaks);
        trailing_breaks.clear();
        leading_blank = trailing_blank;
        let start = c.pos;
        while !c.is_break_or_eof(0) {
            c.pos += 1;
        }
        out.push_str(&c.src[start..c.pos]);
        if c.eof() {
            break;
        }
        c.newline();
        leading_break.push('\n');
        block_breaks(c, &mut indent, parent, &mut trailing_breaks)?;
    }
    if chomp != Chomp::Strip {
        out.push_str(&leading_break);
    }
    if chomp == Chomp::Keep {
        out.push_str(&trailing_breaks);
    }
    // Back to the start of the line that ended the scalar, for the block parser (at the
    // end of the input there is nothing to rewind to).
    if !c.eof() {
        c.pos = c.line_start;
    }
    Ok(out)
}
