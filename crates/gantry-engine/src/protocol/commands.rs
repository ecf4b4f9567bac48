//! Workflow commands on a step's output lines: `::name key=value,key=value::data` (and the
//! legacy `##[name key=value]data`), with GitHub's escapes, and `::stop-commands::TOKEN`,
//! which turns command processing off until a line `::TOKEN::`.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnotationLevel {
    Error,
    Warning,
    Notice,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    AddMask(String),
    Group(String),
    EndGroup,
    Debug(String),
    Annotation {
        level: AnnotationLevel,
        file: Option<String>,
        line: Option<u32>,
        end_line: Option<u32>,
        col: Option<u32>,
        end_column: Option<u32>,
        title: Option<String>,
        message: String,
    },
    StopCommands(String),
    Echo(bool),
    SetOutput {
        name: String,
        value: String,
    },
    SetEnv {
        name: String,
        value: String,
    },
    AddPath(String),
    SaveState {
        name: String,
        value: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line<'a> {
    Text(&'a str),
    Command(Command),
}

#[derive(Clone, Debug, Default)]
pub struct CommandParser {
    stopped: Option<String>,
}

/// `%25` `%0D` `%0A` in data; properties also `%3A` `%2C`.
fn unescape(s: &str, property: bool) -> String {
    let mut out = s.replace("%0D", "\r").replace("%0A", "\n");
    if property {
        out = out.replace("%3A", ":").replace("%2C", ",");
    }
    out.replace("%25", "%")
}

fn split_command(line: &str) -> Option<(&str, &str, &str)> {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("::") {
        let end = rest.find("::")?;
        let head = &rest[..end];
        let data = &rest[end + 2..];
        let (name, props) = head.split_once(' ').unwrap_or((head, ""));
        return Some((name, props, data));
    }
    if let Some(rest) = t.strip_prefix("##[") {
        let end = rest.find(']')?;
        let head = &rest[..end];
        let data = &rest[end + 1..];
        let (name, props) = head.split_once(' ').unwrap_or((head, ""));
        return Some((name, props, data));
    }
    None
}

fn properties(props: &str) -> Vec<(String, String)> {
    props
        .split([',', ';'])
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            let k = k.trim();
            (!k.is_empty()).then(|| (k.to_string(), unescape(v, true)))
        })
        .collect()
}

impl CommandParser {
    pub fn line<'a>(&mut self, line: &'a str) -> Line<'a> {
        if let Some(token) = &self.stopped {
            if line.trim() == format!("::{token}::") {
                self.stopped = None;
                return Line::Command(Command::Echo(false)).map_resume();
            }
            return Line::Text(line);
        }
        let Some((name, props, data)) = split_command(line) else {
            return Line::Text(line);
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Line::Text(line);
        }
        let p = properties(props);
        let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let num = |k: &str| get(k).and_then(|v| v.trim().parse::<u32>().ok());
        let data = unescape(data, false);
        let cmd = match name {
            "add-mask" => Command::AddMask(data),
            "group" => Command::Group(data),
            "endgroup" => Command::EndGroup,
            "debug" => Command::Debug(data),
            "error" | "warning" | "notice" => Command::Annotation {
                level: match name {
                    "error" => AnnotationLevel::Error,
                    "warning" => AnnotationLevel::Warning,
                    _ => AnnotationLevel::Notice,
                },
                file: get("file"),
                line: num("line"),
                end_line: num("endLine"),
                col: num("col"),
                end_column: num("endColumn"),
                title: get("title"),
                message: data,
            },
            "stop-commands" => {
                if data.is_empty() {
                    return Line::Text(line);
                }
                self.stopped = Some(data.clone());
                Command::StopCommands(data)
            }
            "echo" => Command::Echo(data.trim().eq_ignore_ascii_case("on")),
            "set-output" => Command::SetOutput {
                name: get("name").unwrap_or_default(),
                value: data,
            },
            "set-env" => Command::SetEnv {
                name: get("name").unwrap_or_default(),
                value: data,
            },
            "add-path" => Command::AddPath(data),
            "save-state" => Command::SaveState {
                name: get("name").unwrap_or_default(),
                value: data,
            },
            // The runner prints lines with unknown command names as they are.
            _ => return Line::Text(line),
        };
        Line::Command(cmd)
    }
}

impl Line<'_> {
    /// Resuming commands is itself a command line that prints nothing.
    fn map_resume(self) -> Self {
        match self {
            Line::Command(Command::Echo(false)) => {
                Line::Command(Command::StopCommands(String::new()))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(line: &str) -> Command {
        match CommandParser::default().line(line) {
            Line::Command(c) => c,
            Line::Text(t) => panic!("not a command: {t}"),
        }
    }

    #[test]
    fn documented_commands() {
        assert_eq!(
            cmd("::add-mask::hunter2"),
            Command::AddMask("hunter2".into())
        );
        assert_eq!(cmd("::group::Build"), Command::Group("Build".into()));
        assert_eq!(cmd("::endgroup::"), Command::EndGroup);
        assert_eq!(
            cmd("::error file=app.js,line=10,col=15,title=Oops::Something%0Awent wrong"),
            Command::Annotation {
                level: AnnotationLevel::Error,
                file: Some("app.js".into()),
                line: Some(10),
                end_line: None,
                col: Some(15),
                end_column: None,
                title: Some("Oops".into()),
                message: "Something\nwent wrong".into(),
            }
        );
        assert_eq!(
            cmd("::set-output name=a%3Ab::x%25y"),
            Command::SetOutput {
                name: "a:b".into(),
                value: "x%y".into()
            }
        );
        assert_eq!(cmd("##[group]Legacy"), Command::Group("Legacy".into()));
    }

    #[test]
    fn plain_text_stays_text() {
        let mut p = CommandParser::default();
        for line in ["hello", ":: not", "::", "::bad name!::x", "a ::error::x"] {
            assert_eq!(p.line(line), Line::Text(line), "{line}");
        }
    }

    #[test]
    fn stop_commands_until_the_token() {
        let mut p = CommandParser::default();
        assert!(matches!(
            p.line("::stop-commands::tok"),
            Line::Command(Command::StopCommands(_))
        ));
        assert_eq!(p.line("::add-mask::x"), Line::Text("::add-mask::x"));
        assert!(matches!(p.line("::tok::"), Line::Command(_)));
        assert_eq!(
            p.line("::add-mask::x"),
            Line::Command(Command::AddMask("x".into()))
        );
    }
}
