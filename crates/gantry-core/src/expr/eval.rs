//! Evaluation against caller-supplied contexts, with GitHub's coercion rules for comparison
//! and its `&&`/`||` that return operand values.

use super::ast::{BinOp, Expr, ExprKind, ExprRef, Id};
use super::error::{EvalError, HashFilesError};
use super::fold::{cmp_ignore_case, eq_ignore_case};
use super::functions;
use super::value::{same_instance, Value};
use std::collections::HashMap;

/// What the status functions see. For a job's `if:` it folds the results of the jobs it
/// needs; `Skipped` (a needed job was skipped, none failed or was cancelled) makes
/// `success()`, `failure()` and `cancelled()` all false, as on GitHub: only `always()` or
/// `!cancelled()` run a job after a skipped one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum JobStatus {
    #[default]
    Success,
    Failure,
    Skipped,
    Cancelled,
}

/// What an expression can see. Implemented by the planner and the runner; effects (files
/// for `hashFiles`) stay with the implementation.
pub trait Host {
    /// A named context (github, env, vars, job, jobs, steps, runner, secrets, strategy,
    /// matrix, needs, inputs); `None` when it is not available here.
    fn context(&self, name: &str) -> Option<Value>;
    fn job_status(&self) -> JobStatus {
        JobStatus::Success
    }
    /// `hashFiles(patterns)`; only a host with files can answer.
    fn hash_files(&self, patterns: &[String]) -> Result<String, HashFilesError> {
        let _ = patterns;
        Err(HashFilesError::Unavailable)
    }
}

/// A host backed by a map, for tests and simple callers.
#[derive(Clone, Debug, Default)]
pub struct MapHost {
    pub contexts: HashMap<String, Value>,
    pub status: JobStatus,
}

impl MapHost {
    pub fn new() -> MapHost {
        MapHost::default()
    }

    pub fn with(mut self, name: &str, v: Value) -> MapHost {
        self.contexts.insert(name.to_string(), v);
        self
    }
}

impl Host for MapHost {
    fn context(&self, name: &str) -> Option<Value> {
        self.contexts.get(name).cloned()
    }
    fn job_status(&self) -> JobStatus {
        self.status
    }
}

/// GitHub's `==`: same types compare directly (strings ignoring case as .NET's
/// `OrdinalIgnoreCase` does, arrays and objects by identity); different types are compared
/// as numbers.
pub fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => eq_ignore_case(x, y),
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => {
            same_instance(a, b)
        }
        _ => {
            let (x, y) = (a.to_number(), b.to_number());
            x == y
        }
    }
}

/// `<` and friends: strings compare ignoring case (upper-case folding, by UTF-16 code
/// units, see [`super::fold`]), everything else as numbers (NaN is never less, greater or
/// equal).
fn compare(op: BinOp, a: &Value, b: &Value) -> bool {
    use std::cmp::Ordering;
    let ord = match (a, b) {
        // The same array or object is equal to itself, so `<=` and `>=` hold.
        _ if same_instance(a, b) => Some(Ordering::Equal),
        (Value::String(x), Value::String(y)) => Some(cmp_ignore_case(x, y)),
        _ => a.to_number().partial_cmp(&b.to_number()),
    };
    match (op, ord) {
        (_, None) => false,
        (BinOp::Lt, Some(o)) => o == Ordering::Less,
        (BinOp::Le, Some(o)) => o != Ordering::Greater,
        (BinOp::Gt, Some(o)) => o == Ordering::Greater,
        (BinOp::Ge, Some(o)) => o != Ordering::Less,
        _ => false,
    }
}

/// During evaluation, the result of a `*` filter: later accesses apply to each element.
enum Val {
    One(Value),
    Filtered(Vec<Value>),
}

impl Val {
    fn into_value(self) -> Value {
        match self {
            Val::One(v) => v,
            Val::Filtered(items) => Value::array(items),
        }
    }
}

pub fn evaluate(expr: &Expr, host: &dyn Host) -> Result<Value, EvalError> {
    evaluate_node(expr.root(), host)
}

/// Evaluates one node of an expression (a function's argument, an operand).
pub(super) fn evaluate_node(expr: ExprRef<'_>, host: &dyn Host) -> Result<Value, EvalError> {
    eval(expr, host).map(Val::into_value)
}

fn index(base: &Value, key: &Value) -> Value {
    match base {
        Value::Array(items) => {
            // GitHub rounds a fractional index down: `a[1.9]` is `a[1]`.
            let n = key.to_number().floor();
            if n >= 0.0 && (n as usize) < items.len() {
                items[n as usize].clone()
            } else {
                Value::Null
            }
        }
        // An array or object key is no property name: GitHub gives null, not `obj['Object']`.
        Value::Object(_) if key.is_primitive() => base.get(&key.to_text()),
        _ => Value::Null,
    }
}

/// A run of one logical operator (`a && b && c`, parsed as `(a && b) && c`), evaluated
/// without recursing once per operand: GitHub flattens such a run into one node, so it may
/// be thousands of operands long. `&&` returns the first falsy operand (or the last), `||`
/// the first truthy one (or the last).
fn logical(expr: ExprRef<'_>, op: BinOp, host: &dyn Host) -> Result<Value, EvalError> {
    let mut rights = Vec::new();
    let mut first = expr;
    while let ExprKind::Binary(o, a, b) = first.kind() {
        if *o != op {
            break;
        }
        rights.push(*b);
        first = first.at(*a);
    }
    let mut value = evaluate_node(first, host)?;
    for b in rights.into_iter().rev() {
        if value.truthy() == (op == BinOp::Or) {
            break;
        }
        value = evaluate_node(expr.at(b), host)?;
    }
    Ok(value)
}

/// A binary operation `a op b`: `&&`/`||` return an operand, the comparisons a boolean.
fn binary(expr: ExprRef<'_>, op: BinOp, a: Id, b: Id, host: &dyn Host) -> Result<Value, EvalError> {
    if matches!(op, BinOp::And | BinOp::Or) {
        return logical(expr, op, host);
    }
    let left = evaluate_node(expr.at(a), host)?;
    let right = evaluate_node(expr.at(b), host)?;
    Ok(Value::Bool(match op {
        BinOp::Eq => loose_eq(&left, &right),
        BinOp::Ne => !loose_eq(&left, &right),
        _ => compare(op, &left, &right),
    }))
}

fn eval(expr: ExprRef<'_>, host: &dyn Host) -> Result<Val, EvalError> {
    let one = |v: Value| Ok(Val::One(v));
    let evaluate = |id, host| evaluate_node(expr.at(id), host);
    match expr.kind() {
        ExprKind::Null => one(Value::Null),
        ExprKind::Bool(b) => one(Value::Bool(*b)),
        ExprKind::Number(n) => one(Value::Number(*n)),
        ExprKind::Str(s) => one(Value::str(s)),
        ExprKind::Context(name) => match host.context(name) {
            Some(v) => one(v),
            None => Err(EvalError::new(
                expr.span(),
                format!("context `{name}` is not available here"),
            )),
        },
        ExprKind::Property(base, name) => Ok(match eval(expr.at(*base), host)? {
            Val::One(v) => Val::One(v.get(name)),
            // Elements without the property are dropped, as GitHub's filter does.
            Val::Filtered(items) => Val::Filtered(
                items
                    .iter()
                    .map(|i| i.get(name))
                    .filter(|v| !matches!(v, Value::Null))
                    .collect(),
            ),
        }),
        ExprKind::Index(base, key) => {
            let k = evaluate(*key, host)?;
            Ok(match eval(expr.at(*base), host)? {
                Val::One(v) => Val::One(index(&v, &k)),
                Val::Filtered(items) => Val::Filtered(
                    items
                        .iter()
                        .map(|i| index(i, &k))
                        .filter(|v| !matches!(v, Value::Null))
                        .collect(),
                ),
            })
        }
        ExprKind::Filter(base) => {
            let spread = |v: &Value, out: &mut Vec<Value>| match v {
                Value::Array(items) => out.extend(items.iter().cloned()),
                Value::Object(map) => out.extend(map.values().cloned()),
                _ => {}
            };
            let mut out = Vec::new();
            match eval(expr.at(*base), host)? {
                Val::One(v) => spread(&v, &mut out),
                Val::Filtered(items) => items.iter().for_each(|i| spread(i, &mut out)),
            }
            Ok(Val::Filtered(out))
        }
        ExprKind::Not(inner) => one(Value::Bool(!evaluate(*inner, host)?.truthy())),
        ExprKind::Binary(op, a, b) => one(binary(expr, *op, *a, *b, host)?),
        // Arguments are evaluated lazily, as GitHub does: `case(true, 'x', bad)` is fine.
        ExprKind::Call { name, args, .. } => {
            one(functions::call(name, expr.args(args), expr.span(), host)?)
        }
    }
}
