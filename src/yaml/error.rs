//! The YAML parser's error: where (line and column of the offending character) and what
//! was expected there.

use super::cursor::Cursor;
use super::node::Pos;

#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at line {}, column {}",
            self.message, self.pos.line, self.pos.col
        )
    }
}

impl std::error::Error for YamlError {}

pub fn err(c: &Cursor<'_>, message: impl Into<String>) -> YamlError {
    YamlError {
        pos: c.mark(),
        message: message.into(),
    }
}
