//! Why loading failed: a file that cannot be read, a problem at a place in a file
//! (`file:line:col: message [rule]`), or a setting that is not what it must be.

use gantry_plan::platform::PlatformError;
use gantry_plan::resolve::FileProblem;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// An error in a file, where it is.
    #[error(transparent)]
    Problem(#[from] FileProblem),
    /// A platform mapping that is not `LABEL=IMAGE`.
    #[error(transparent)]
    Platform(#[from] PlatformError),
}

impl LoadError {
    pub fn read(path: impl std::fmt::Display, source: std::io::Error) -> LoadError {
        LoadError::Read {
            path: path.to_string(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_where() {
        let table: Vec<(LoadError, &str)> = vec![
            (
                LoadError::Problem(FileProblem {
                    file: "ci.yml".into(),
                    line: 3,
                    col: 7,
                    message: "unknown key".into(),
                    rule: "keys",
                }),
                "ci.yml:3:7: unknown key [keys]",
            ),
            (
                LoadError::read("a.yml", std::io::Error::from(std::io::ErrorKind::NotFound)),
                "cannot read a.yml: entity not found",
            ),
            (
                LoadError::Platform(PlatformError { spec: "x".into() }),
                "invalid platform `x`: expected LABEL=IMAGE, e.g. ubuntu-latest=debian:bookworm",
            ),
        ];
        for (e, want) in table {
            assert_eq!(e.to_string(), want);
        }
    }
}
