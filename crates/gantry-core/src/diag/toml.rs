//! Gantry's own TOML files (`gantry.toml`, the secrets mapping): a parse error becomes
//! `line:col: message`, so both name the place the same way as workflow diagnostics do.

use serde::de::DeserializeOwned;

/// A TOML file that does not parse, or does not have the expected shape. Displayed as
/// `line:col: message` (1-based), or the message alone when the parser names no place.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", at.map(|(l, c)| format!("{l}:{c}: ")).unwrap_or_default())]
pub struct TomlError {
    /// 1-based line and column.
    pub at: Option<(usize, usize)>,
    pub message: String,
}

/// Parses `text`; the error says where (1-based line and column) and what was expected.
pub fn parse_toml<T: DeserializeOwned>(text: &str) -> Result<T, TomlError> {
    toml::from_str(text).map_err(|e| TomlError {
        at: e.span().map(|s| {
            let before = &text[..s.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            (line, col)
        }),
        message: e.message().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct C {
        a: u32,
    }

    #[test]
    fn errors_name_line_and_column() {
        for (text, at, what) in [
            ("a = 1\nb = 2\n", "2:1: ", "unknown field `b`"),
            ("\na = \"x\"\n", "2:5: ", "invalid type: string"),
            ("a = 1\n\na = [\n", "3:", ""),
        ] {
            let err = parse_toml::<C>(text).unwrap_err().to_string();
            assert!(err.starts_with(at), "{text:?}: {err}");
            assert!(err.contains(what), "{text:?}: {err}");
        }
        assert_eq!(parse_toml::<C>("a = 7").unwrap().a, 7);
    }

    #[test]
    fn errors_without_a_place_are_the_message_alone() {
        let e = TomlError {
            at: None,
            message: "boom".into(),
        };
        assert_eq!(e.to_string(), "boom");
    }
}
