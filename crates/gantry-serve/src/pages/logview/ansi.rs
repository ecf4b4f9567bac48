//! A log line's ANSI escapes into styled spans: SGR colours (30–37, 90–97, 40–47,
//! 100–107, 256-colour and 24-bit mapped to the nearest of the 16), bold, italic,
//! underline and resets become classes; every other escape or control sequence (cursor
//! moves, titles, hyperlinks, stray bytes) is dropped, never shown raw.
//!
//! Why `anstyle-parse`: it is the vte state machine (the DEC ANSI parser diagram), kept by
//! the anstyle maintainers and already built for clap, so sequences split oddly, over-long
//! parameter lists or OSC strings are handled as terminals do, not by a hand-written scan.

use super::palette;
use anstyle_parse::{DefaultCharAccumulator, Params, Parser, Perform};
use serde::Serialize;

/// A run of text in one style; `class` is empty for unstyled text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    pub text: String,
    pub class: String,
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Style {
    fg: Option<u8>,
    bg: Option<u8>,
    bold: bool,
    italic: bool,
    underline: bool,
}

impl Style {
    fn class(self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(c) = self.fg {
            parts.push(format!("ansi-{}", palette::name(c)));
        }
        if let Some(c) = self.bg {
            parts.push(format!("ansi-bg-{}", palette::name(c)));
        }
        for (on, name) in [
            (self.bold, "ansi-bold"),
            (self.italic, "ansi-italic"),
            (self.underline, "ansi-underline"),
        ] {
            if on {
                parts.push(name.into());
            }
        }
        parts.join(" ")
    }

    /// Applies one SGR sequence's parameters (flattened: `38;5;n` and `38:5:n` alike).
    fn apply(&mut self, params: &[u16]) {
        if params.is_empty() {
            *self = Style::default();
        }
        let mut i = 0;
        while i < params.len() {
            let p = params[i];
            i += 1;
            match p {
                0 => *self = Style::default(),
                1 => self.bold = true,
                3 => self.italic = true,
                4 => self.underline = true,
                22 => self.bold = false,
                23 => self.italic = false,
                24 => self.underline = false,
                30..=37 => self.fg = Some((p - 30) as u8),
                39 => self.fg = None,
                40..=47 => self.bg = Some((p - 40) as u8),
                49 => self.bg = None,
                90..=97 => self.fg = Some((p - 90 + 8) as u8),
                100..=107 => self.bg = Some((p - 100 + 8) as u8),
                38 | 48 => {
                    let (colour, used) = extended(&params[i..]);
                    i += used;
                    if p == 38 {
                        self.fg = colour.or(self.fg);
                    } else {
                        self.bg = colour.or(self.bg);
                    }
                }
                _ => {}
            }
        }
    }
}

/// The colour after a 38/48: `5;n` (256 colours) or `2;r;g;b` (24-bit), and how many
/// parameters it took. A malformed one takes what it had and sets nothing.
fn extended(rest: &[u16]) -> (Option<u8>, usize) {
    let byte = |v: u16| u8::try_from(v).ok();
    match rest {
        [5, n, ..] => (byte(*n).map(palette::from_256), 2),
        [2, r, g, b, ..] => match (byte(*r), byte(*g), byte(*b)) {
            (Some(r), Some(g), Some(b)) => (Some(palette::nearest(r, g, b)), 4),
            _ => (None, 4),
        },
        _ => (None, rest.len()),
    }
}

/// Collects printed text into spans as the parser walks the line.
#[derive(Default)]
struct Spans {
    style: Style,
    out: Vec<Span>,
    text: String,
    text_style: Style,
}

impl Spans {
    fn push(&mut self, c: char) {
        if self.style != self.text_style && !self.text.is_empty() {
            self.flush();
        }
        self.text_style = self.style;
        self.text.push(c);
    }

    fn flush(&mut self) {
        if !self.text.is_empty() {
            let text = std::mem::take(&mut self.text);
            self.out.push(Span {
                text,
                class: self.text_style.class(),
            });
        }
    }
}

impl Perform for Spans {
    fn print(&mut self, c: char) {
        self.push(c);
    }

    /// C0 controls: a tab is kept, the rest (bell, backspace, carriage return) dropped.
    fn execute(&mut self, byte: u8) {
        if byte == b'\t' {
            self.push('\t');
        }
    }

    fn csi_dispatch(&mut self, params: &Params, intermediates: &[u8], ignore: bool, action: u8) {
        if action != b'm' || !intermediates.is_empty() || ignore {
            return;
        }
        let flat: Vec<u16> = params.iter().flatten().copied().collect();
        self.style.apply(&flat);
    }
}

/// `line` as styled spans (no escape left in any span's text). A line without an escape
/// or control character is one unstyled span, without running the parser.
pub fn spans(line: &str) -> Vec<Span> {
    if !line.bytes().any(|b| b < 0x20 && b != b'\t' || b == 0x7f) {
        if line.is_empty() {
            return Vec::new();
        }
        return vec![Span {
            text: line.to_string(),
            class: String::new(),
        }];
    }
    let mut parser = Parser::<DefaultCharAccumulator>::default();
    let mut out = Spans::default();
    for b in line.bytes() {
        parser.advance(&mut out, b);
    }
    out.flush();
    out.out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (text, class) of each span.
    fn parse(line: &str) -> Vec<(String, String)> {
        spans(line).into_iter().map(|s| (s.text, s.class)).collect()
    }

    #[test]
    fn colours_and_styles_become_classes() {
        let table: [(&str, &[(&str, &str)]); 14] = [
            ("plain", &[("plain", "")]),
            ("", &[]),
            (
                "\x1b[31mred\x1b[0m plain",
                &[("red", "ansi-red"), (" plain", "")],
            ),
            ("\x1b[91mhi\x1b[m", &[("hi", "ansi-bright-red")]),
            ("\x1b[1;32mok", &[("ok", "ansi-green ansi-bold")]),
            ("\x1b[44;97mx", &[("x", "ansi-bright-white ansi-bg-blue")]),
            ("\x1b[103mx", &[("x", "ansi-bg-bright-yellow")]),
            (
                "\x1b[3;4mx\x1b[23my",
                &[("x", "ansi-italic ansi-underline"), ("y", "ansi-underline")],
            ),
            ("\x1b[31ma\x1b[39mb", &[("a", "ansi-red"), ("b", "")]),
            ("\x1b[1ma\x1b[22mb", &[("a", "ansi-bold"), ("b", "")]),
            ("\x1b[38;5;196mx", &[("x", "ansi-bright-red")]),
            ("\x1b[48;5;21mx", &[("x", "ansi-bg-blue")]),
            (
                "\x1b[38;2;0;205;0mx\x1b[38:5:1my",
                &[("x", "ansi-green"), ("y", "ansi-red")],
            ),
            ("\x1b[31m\x1b[0m", &[]),
        ];
        for (line, want) in table {
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(t, c)| (t.to_string(), c.to_string()))
                .collect();
            assert_eq!(parse(line), want, "{line:?}");
        }
    }

    #[test]
    fn other_escapes_are_dropped_never_shown() {
        let table = [
            ("a\x1b[2Kb", "ab"),
            ("\x1b[1;1Hx", "x"),
            ("\x1b]0;title\x07text", "text"),
            ("\x1b]8;;http://e.x\x1b\\link\x1b]8;;\x1b\\", "link"),
            ("a\x1b(Bb", "ab"),
            ("tab\there\r", "tab\there"),
            ("bell\x07", "bell"),
            ("\x1b[38;5mx", "x"),
            ("\x1b[38;2;999;0;0mx", "x"),
            ("\x1b[?25lhidden cursor", "hidden cursor"),
            ("cut \x1b[3", "cut "),
            ("\x1bPq#0;2;0;0;0\x1b\\after", "after"),
            ("é\x1b[31mü", "éü"),
        ];
        for (line, want) in table {
            let got: String = spans(line).into_iter().map(|s| s.text).collect();
            assert_eq!(got, want, "{line:?}");
            assert!(!got.contains('\x1b'), "{line:?}");
        }
    }
}
