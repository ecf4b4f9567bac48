//! GitHub's expression functions: the table used at parse time (name and arity) and their
//! implementations. `hashFiles` and the status functions ask the host, the only effects.

use super::error::EvalError;
use super::eval::{loose_eq, Host, JobStatus};
use super::value::Value;
use std::ops::Range;

pub struct Function {
    pub name: &'static str,
    min: usize,
    max: usize,
}

const FUNCTIONS: &[Function] = &[
    Function {
        name: "contains",
        min: 2,
        max: 2,
    },
    Function {
        name: "startsWith",
        min: 2,
        max: 2,
    },
    Function {
        name: "endsWith",
        min: 2,
        max: 2,
    },
    Function {
        name: "format",
        min: 1,
        max: usize::MAX,
    },
    Function {
        name: "join",
        min: 1,
        max: 2,
    },
    Function {
        name: "toJSON",
        min: 1,
        max: 1,
    },
    Function {
        name: "fromJSON",
        min: 1,
        max: 1,
    },
    Function {
        name: "hashFiles",
        min: 1,
        max: usize::MAX,
    },
    Function {
        name: "case",
        min: 3,
        max: usize::MAX,
    },
    Function {
        name: "success",
        min: 0,
        max: 0,
    },
    Function {
        name: "always",
        min: 0,
        max: 0,
    },
    Function {
        name: "failure",
        min: 0,
        max: 0,
    },
    Function {
        name: "cancelled",
        min: 0,
        max: 0,
    },
];

/// Function names are case-insensitive.
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

impl Function {
    pub fn check_arity(&self, n: usize) -> Result<(), String> {
        if self.name == "case" && n % 2 == 0 {
            return Err(format!("`case` takes pairs of condition and value followed by a default (an odd number of arguments, at least 3), but got {n}"));
        }
        if n < self.min || n > self.max {
            let want = match (self.min, self.max) {
                (a, b) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
                (a, usize::MAX) => {
                    format!("at least {a} argument{}", if a == 1 { "" } else { "s" })
                }
                (a, b) => format!("{a} to {b} arguments"),
            };
            return Err(format!("`{}` takes {want}, but got {n}", self.name));
        }
        Ok(())
    }
}

pub fn call(
    name: &str,
    args: &[Value],
    span: Range<usize>,
    host: &dyn Host,
) -> Result<Value, EvalError> {
    let text = |i: usize| args.get(i).map(Value::to_text).unwrap_or_default();
    Ok(match name {
        "contains" => match &args[0] {
            Value::Array(items) => Value::Bool(items.iter().any(|x| loose_eq(x, &args[1]))),
            hay => Value::Bool(lower(&hay.to_text()).contains(&lower(&args[1].to_text()))),
        },
        "startsWith" => Value::Bool(lower(&text(0)).starts_with(&lower(&text(1)))),
        "endsWith" => Value::Bool(lower(&text(0)).ends_with(&lower(&text(1)))),
        "format" => Value::str(&format(&text(0), &args[1..]).map_err(|m| EvalError::new(span, m))?),
        "join" => {
            let sep = if args.len() > 1 { text(1) } else { ",".into() };
            match &args[0] {
                Value::Array(items) => Value::str(
                    &items
                        .iter()
                        .map(Value::to_text)
                        .collect::<Vec<_>>()
                        .join(&sep),
                ),
                other => Value::str(&other.to_text()),
            }
        }
        "toJSON" => Value::str(&to_json_text(&args[0])),
        "fromJSON" => {
            let t = text(0);
            let v: serde_json::Value = serde_json::from_str(&t).map_err(|e| {
                EvalError::new(
                    span,
                    format!(
                        "fromJSON: the argument is not valid JSON ({e}): {}",
                        clip(&t)
                    ),
                )
            })?;
            Value::from_json(&v)
        }
        "hashFiles" => {
            let patterns: Vec<String> = args.iter().map(Value::to_text).collect();
            Value::str(
                &host
                    .hash_files(&patterns)
                    .map_err(|m| EvalError::new(span, format!("hashFiles: {m}")))?,
            )
        }
        "case" => {
            let mut i = 0;
            while i + 1 < args.len() {
                if args[i].truthy() {
                    return Ok(args[i + 1].clone());
                }
                i += 2;
            }
            args[args.len() - 1].clone()
        }
        "success" => Value::Bool(host.job_status() == JobStatus::Success),
        "failure" => Value::Bool(host.job_status() == JobStatus::Failure),
        "cancelled" => Value::Bool(host.job_status() == JobStatus::Cancelled),
        "always" => Value::Bool(true),
        _ => return Err(EvalError::new(span, format!("unknown function `{name}`"))),
    })
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

fn clip(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

/// `format('{0} and {{literal}}', x)`.
fn format(fmt: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::with_capacity(fmt.len());
    let mut chars = fmt.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut digits = String::new();
                let mut closed = false;
                for (_, d) in chars.by_ref() {
                    if d == '}' {
                        closed = true;
                        break;
                    }
                    digits.push(d);
                }
                let n: usize = match (closed, digits.parse()) {
                    (true, Ok(n)) => n,
                    _ => return Err(format!("format: invalid placeholder at position {i} of '{fmt}': expected `{{N}}` with N a number, or `{{{{` for a literal brace")),
                };
                let v = args.get(n).ok_or_else(|| format!("format: placeholder {{{n}}} has no argument ({} given)", args.len()))?;
                out.push_str(&v.to_text());
            }
            '}' => return Err(format!("format: unmatched `}}` at position {i} of '{fmt}'; write `}}}}` for a literal brace")),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// `toJSON`: pretty-printed with two-space indentation, as GitHub prints it.
pub fn to_json_text(v: &Value) -> String {
    serde_json::to_string_pretty(&v.to_json()).unwrap_or_default()
}
