//! The kinds of log rows the run store keeps besides plain output, and how their text is
//! written and read back: a `::group::` opening ("group", its title) and closing
//! ("endgroup"), an annotation ("annotation", JSON of level, message, file and line) and a
//! step summary ("summary", the Markdown). The reporter writes them and the run pages, the
//! JSON API's readers and the live stream read them, so the format lives in one place.

use serde::{Deserialize, Serialize};

/// Stream of a row opening a `::group::` (the line is its title).
pub const GROUP: &str = "group";
/// Stream of a row closing the innermost open group (the line is empty).
pub const END_GROUP: &str = "endgroup";
/// Stream of an annotation row (the line: [`Annotation::encode`]).
pub const ANNOTATION: &str = "annotation";
/// Stream of a step summary row (the line: the step's Markdown).
pub const SUMMARY: &str = "summary";

/// How serious an annotation is: GitHub's three levels (most serious first; the
/// discriminant indexes per-level tallies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error = 0,
    Warning = 1,
    Notice = 2,
}

impl Level {
    /// The engine's level name; anything else is a notice (the lowest), never an error.
    pub fn parse(s: &str) -> Level {
        match s {
            "error" => Level::Error,
            "warning" => Level::Warning,
            _ => Level::Notice,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        }
    }
}

/// An `::error file=,line=::message` (or warning, notice) as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    pub level: Level,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl Annotation {
    /// The row's text: JSON, so a message holding ": " or newlines reads back whole.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A row's text back. Rows written before annotations were JSON read "level: message";
    /// anything unreadable still shows, as a notice with the whole text.
    pub fn decode(text: &str) -> Annotation {
        if let Ok(a) = serde_json::from_str::<Annotation>(text) {
            return a;
        }
        let (level, message) = match text.split_once(": ") {
            Some((l, m)) if matches!(l, "error" | "warning" | "notice") => (Level::parse(l), m),
            _ => (Level::Notice, text),
        };
        Annotation {
            level,
            message: message.to_string(),
            file: None,
            line: None,
        }
    }

    /// `src/a.rs:3`, `src/a.rs`, or nothing.
    pub fn place(&self) -> Option<String> {
        let file = self.file.as_deref()?;
        Some(match self.line {
            Some(l) => format!("{file}:{l}"),
            None => file.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_read_back_whole() {
        let a = |level, message: &str, file: Option<&str>, line| Annotation {
            level,
            message: message.into(),
            file: file.map(Into::into),
            line,
        };
        for given in [
            a(Level::Error, "bad thing", Some("src/a.rs"), Some(3)),
            a(Level::Warning, "careful: it is \"hot\"", None, None),
            a(Level::Notice, "two\nlines: yes", Some("a b.txt"), None),
            a(Level::Error, "", None, Some(7)),
        ] {
            assert_eq!(Annotation::decode(&given.encode()), given);
        }
    }

    #[test]
    fn older_and_odd_rows_still_read() {
        for (text, level, message) in [
            ("warning: careful", Level::Warning, "careful"),
            ("error: a: b", Level::Error, "a: b"),
            ("plain words", Level::Notice, "plain words"),
            ("fatal: x", Level::Notice, "fatal: x"),
            (
                "{\"level\":\"nope\"}",
                Level::Notice,
                "{\"level\":\"nope\"}",
            ),
        ] {
            let a = Annotation::decode(text);
            assert_eq!((a.level, a.message.as_str()), (level, message), "{text}");
        }
    }

    #[test]
    fn places() {
        let mut a = Annotation::decode("error: x");
        assert_eq!(a.place(), None);
        a.file = Some("src/a.rs".into());
        assert_eq!(a.place().as_deref(), Some("src/a.rs"));
        a.line = Some(3);
        assert_eq!(a.place().as_deref(), Some("src/a.rs:3"));
    }
}
