//! The files behind `GITHUB_ENV`, `GITHUB_OUTPUT` and `GITHUB_STATE` (`NAME=value` lines
//! and `NAME<<DELIMITER` heredocs) and `GITHUB_PATH` (a path per line), parsed as GitHub's
//! runner does; a malformed file is an error with its line number.

use thiserror::Error;

#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("line {line}: {message}")]
pub struct FileCommandError {
    pub line: usize,
    pub message: String,
}

pub fn parse_key_values(text: &str) -> Result<Vec<(String, String)>, FileCommandError> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let n = i + 1;
        i += 1;
        if line.is_empty() {
            continue;
        }
        let eq = line.find('=');
        let heredoc = line.find("<<");
        match (eq, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                let name = &line[..e];
                if name.is_empty() {
                    return Err(FileCommandError {
                        line: n,
                        message: "empty name before `=`".into(),
                    });
                }
                out.push((name.to_string(), line[e + 1..].to_string()));
            }
            (_, Some(h)) => {
                let name = &line[..h];
                let delim = &line[h + 2..];
                if name.is_empty() || delim.is_empty() {
                    return Err(FileCommandError {
                        line: n,
                        message: "expected NAME<<DELIMITER".into(),
                    });
                }
                let start = i;
                let Some(end) = (start..lines.len()).find(|k| lines[*k] == delim) else {
                    return Err(FileCommandError {
                        line: n,
                        message: format!(
                            "the delimiter `{delim}` never appears on a line of its own"
                        ),
                    });
                };
                out.push((name.to_string(), lines[start..end].join("\n")));
                i = end + 1;
            }
            _ => {
                return Err(FileCommandError {
                    line: n,
                    message: format!("expected NAME=VALUE or NAME<<DELIMITER, found `{line}`"),
                })
            }
        }
    }
    Ok(out)
}

pub fn parse_path_file(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim_end_matches('\r').trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_and_heredoc_values() {
        let text = "A=1\nB=x=y\r\n\nMULTI<<EOF\nline 1\nline 2\nEOF\nC=\n";
        assert_eq!(
            parse_key_values(text).unwrap(),
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "x=y".into()),
                ("MULTI".into(), "line 1\nline 2".into()),
                ("C".into(), String::new()),
            ]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_key_values("A=1\nX<<END\nno end\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse_key_values("A=1\njunk\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(parse_key_values("=v").is_err());
    }

    #[test]
    fn paths() {
        assert_eq!(parse_path_file("/a\n\n/b\r\n"), vec!["/a", "/b"]);
    }
}
