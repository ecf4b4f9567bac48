//! GitHub's expression functions: the table used at parse time (name and arity) and their
//! implementations. `hashFiles` and the status functions ask the host, the only effects.

use super::ast::Args;
use super::error::EvalError;
use super::eval::{evaluate_node, loose_eq, Host, JobStatus};
use super::fold::fold;
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
    // A job's `if:` may name the needed jobs whose status counts: `success('build')`
    // (GitHub's JOB_IF_CONTEXT allows `success(0,MAX)` and `failure(0,MAX)`; validation
    // allows the arguments nowhere else).
    Function {
        name: "success",
        min: 0,
        max: usize::MAX,
    },
    Function {
        name: "always",
        min: 0,
        max: 0,
    },
    Function {
        name: "failure",
        min: 0,
        max: usize::MAX,
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

/// A call with the wrong number of arguments; Display says how many the function takes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArityError {
    #[error("`case` takes pairs of condition and value followed by a default (an odd number of arguments, at least 3), but got {got}")]
    CasePairs { got: usize },
    #[error("`{name}` takes {}, but got {got}", wanted(*.min, *.max))]
    Count {
        name: &'static str,
        min: usize,
        max: usize,
        got: usize,
    },
}

/// `1 argument`, `at least 2 arguments`, `1 to 3 arguments`.
fn wanted(min: usize, max: usize) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    match (min, max) {
        (a, b) if a == b => format!("{a} argument{}", plural(a)),
        (a, usize::MAX) => format!("at least {a} argument{}", plural(a)),
        (a, b) => format!("{a} to {b} arguments"),
    }
}

impl Function {
    pub fn check_arity(&self, n: usize) -> Result<(), ArityError> {
        if self.name == "case" && n % 2 == 0 {
            return Err(ArityError::CasePairs { got: n });
        }
        if n < self.min || n > self.max {
            return Err(ArityError::Count {
                name: self.name,
                min: self.min,
                max: self.max,
                got: n,
            });
        }
        Ok(())
    }
}

/// `format(fmt, args...)`: each argument is evaluated once, and only when the format uses it.
fn call_format(args: &Args<'_>, span: Range<usize>, host: &dyn Host) -> Result<Value, EvalError> {
    let arg = |i: usize| -> Result<Value, EvalError> {
        args.get(i)
            .map_or(Ok(Value::Null), |a| evaluate_node(a, host))
    };
    let fmt = arg(0)?.to_text();
    let mut cache: Vec<Option<String>> = vec![None; args.len().saturating_sub(1)];
    let mut get = |n: usize| -> Result<Option<String>, EvalError> {
        match cache.get(n) {
            None => Ok(None),
            Some(Some(t)) => Ok(Some(t.clone())),
            Some(None) => {
                let t = arg(n + 1)?.to_text();
                cache[n] = Some(t.clone());
                Ok(Some(t))
            }
        }
    };
    Ok(Value::str(&format(&fmt, args.len() - 1, &mut get, &span)?))
}

fn from_json(t: &str, span: Range<usize>) -> Result<Value, EvalError> {
    let v: serde_json::Value = serde_json::from_str(t).map_err(|e| {
        EvalError::new(
            span,
            format!(
                "fromJSON: the argument is not valid JSON ({e}): {}",
                clip(t)
            ),
        )
    })?;
    Ok(Value::from_json(&v))
}

/// Calls a function with its argument expressions, evaluating each only when needed.
pub fn call(
    name: &str,
    args: Args<'_>,
    span: Range<usize>,
    host: &dyn Host,
) -> Result<Value, EvalError> {
    let arg = |i: usize| -> Result<Value, EvalError> {
        args.get(i)
            .map_or(Ok(Value::Null), |a| evaluate_node(a, host))
    };
    Ok(match name {
        "contains" => call_contains(&arg)?,
        "startsWith" | "endsWith" => call_affix(name == "startsWith", &arg)?,
        "format" => call_format(&args, span, host)?,
        "join" => call_join(args.len(), &arg)?,
        "toJSON" => Value::str(&to_json_text(&arg(0)?)),
        "fromJSON" => from_json(&arg(0)?.to_text(), span)?,
        "hashFiles" => {
            let patterns: Vec<String> = (0..args.len())
                .map(|i| arg(i).map(|v| v.to_text()))
                .collect::<Result<_, _>>()?;
            Value::str(
                &host
                    .hash_files(&patterns)
                    .map_err(|m| EvalError::new(span, format!("hashFiles: {m}")))?,
            )
        }
        "case" => call_case(&args, &arg)?,
        "success" if !args.is_empty() => named_jobs(host, args.len(), &arg, true)?,
        "failure" if !args.is_empty() => named_jobs(host, args.len(), &arg, false)?,
        "success" => Value::Bool(host.job_status() == JobStatus::Success),
        "failure" => Value::Bool(host.job_status() == JobStatus::Failure),
        "cancelled" => Value::Bool(host.job_status() == JobStatus::Cancelled),
        "always" => Value::Bool(true),
        _ => return Err(EvalError::new(span, format!("unknown function `{name}`"))),
    })
}

/// `success('a', 'b')`: every named needed job succeeded; `failure('a', 'b')`: any of them
/// failed — their `needs.<id>.result`. A name that is not a needed job has no result.
fn named_jobs(
    host: &dyn Host,
    n: usize,
    arg: &Arg<'_>,
    all_succeed: bool,
) -> Result<Value, EvalError> {
    let needs = host.context("needs").unwrap_or(Value::Null);
    let mut results = Vec::with_capacity(n);
    for i in 0..n {
        let id = arg(i)?.to_text();
        results.push(needs.get(&id).get("result").to_text());
    }
    Ok(Value::Bool(if all_succeed {
        results.iter().all(|r| r == "success")
    } else {
        results.iter().any(|r| r == "failure")
    }))
}

/// An argument evaluated on demand (`Null` past the end).
type Arg<'f> = dyn Fn(usize) -> Result<Value, EvalError> + 'f;

/// `case(pred1, val1, ..., default)`: the value after the first true predicate. Predicates
/// are evaluated in order, and only until one is true; each must be a boolean, as GitHub
/// requires ("case predicate must evaluate to a boolean value"), not merely truthy.
fn call_case(args: &Args<'_>, arg: &Arg<'_>) -> Result<Value, EvalError> {
    for i in (0..args.len() - 1).step_by(2) {
        match arg(i)? {
            Value::Bool(true) => return arg(i + 1),
            Value::Bool(false) => {}
            other => {
                let span = args.get(i).map_or(0..0, |a| a.span());
                return Err(EvalError::new(
                    span,
                    format!(
                        "case predicate must evaluate to a boolean value, but argument {} is {}",
                        i + 1,
                        described(&other)
                    ),
                ));
            }
        }
    }
    arg(args.len() - 1)
}

/// A value's kind with its article, for messages: `a number`, `an object`, `null`.
fn described(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `contains(array, item)` by loose equality; `contains(text, part)` ignoring case (see
/// [`super::fold`]), false when `part` is an array or object.
fn call_contains(arg: &Arg<'_>) -> Result<Value, EvalError> {
    Ok(match arg(0)? {
        Value::Array(items) if items.is_empty() => Value::Bool(false),
        Value::Array(items) => {
            let needle = arg(1)?;
            Value::Bool(items.iter().any(|x| loose_eq(x, &needle)))
        }
        hay if hay.is_primitive() => match arg(1)? {
            part if part.is_primitive() => {
                Value::Bool(fold(&hay.to_text()).contains(&fold(&part.to_text())))
            }
            _ => Value::Bool(false),
        },
        _ => Value::Bool(false),
    })
}

/// `startsWith`/`endsWith`, ignoring case; false for arrays and objects (the second
/// argument is not evaluated when the first is one).
fn call_affix(starts: bool, arg: &Arg<'_>) -> Result<Value, EvalError> {
    let left = arg(0)?;
    if !left.is_primitive() {
        return Ok(Value::Bool(false));
    }
    let right = arg(1)?;
    if !right.is_primitive() {
        return Ok(Value::Bool(false));
    }
    let (l, r) = (fold(&left.to_text()), fold(&right.to_text()));
    Ok(Value::Bool(if starts {
        l.starts_with(&r)
    } else {
        l.ends_with(&r)
    }))
}

/// `join(array, sep = ",")`; the separator is evaluated only when it separates something,
/// and used only when it is a primitive (converted to text: `join(a, 1)`, `join(a, null)`);
/// an array or object separator leaves the default, as on GitHub.
fn call_join(n: usize, arg: &Arg<'_>) -> Result<Value, EvalError> {
    Ok(match arg(0)? {
        Value::Array(items) => {
            let sep = match (items.len() > 1 && n > 1).then(|| arg(1)).transpose()? {
                Some(sep) if sep.is_primitive() => sep.to_text(),
                _ => ",".into(),
            };
            Value::str(
                &items
                    .iter()
                    .map(Value::to_text)
                    .collect::<Vec<_>>()
                    .join(&sep),
            )
        }
        Value::Object(_) => Value::str(""),
        other => Value::str(&other.to_text()),
    })
}

fn clip(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

/// `format('{0} and {{literal}}', x)`; arguments are fetched (and evaluated) on first use.
fn format(
    fmt: &str,
    count: usize,
    get: &mut dyn FnMut(usize) -> Result<Option<String>, EvalError>,
    span: &Range<usize>,
) -> Result<String, EvalError> {
    let bad = |m: String| EvalError::new(span.clone(), m);
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
                    _ => return Err(bad(format!("format: invalid placeholder at position {i} of '{fmt}': expected `{{N}}` with N a number, or `{{{{` for a literal brace"))),
                };
                match get(n)? {
                    Some(t) => out.push_str(&t),
                    None => return Err(bad(format!("format: placeholder {{{n}}} has no argument ({count} given)"))),
                }
            }
            '}' => return Err(bad(format!("format: unmatched `}}` at position {i} of '{fmt}'; write `}}}}` for a literal brace"))),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// `toJSON`: pretty-printed with two-space indentation, as GitHub prints it.
pub fn to_json_text(v: &Value) -> String {
    let mut out = String::new();
    super::json::write_pretty(v, 0, &mut out);
    out
}
