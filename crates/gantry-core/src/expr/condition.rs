//! `if:` conditions: `${{ }}` may be omitted, and a condition that calls no status function
//! means `success() && (condition)`, as on GitHub.

use super::ast::Expr;
use super::error::{EvalError, ExprError};
use super::eval::{evaluate, Host, JobStatus};
use super::parser::parse_expr;
use super::template::{parse_template, Template};

#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// An expression (with `${{ }}` or without); `offset` is where it starts in the value.
    Expr {
        expr: Expr,
        offset: usize,
        implicit_success: bool,
    },
    /// Text mixed with `${{ }}`: GitHub evaluates it as a string, which is truthy whenever
    /// it is not empty — almost always a mistake, so validation warns about it.
    Template(Template),
}

pub fn parse_condition(s: &str) -> Result<Condition, ExprError> {
    let trimmed_start = s.len() - s.trim_start().len();
    let t = s.trim();
    // GitHub: an empty condition (`if: ""`) is `success()`.
    if t.is_empty() {
        return Ok(Condition::Expr {
            expr: parse_expr("success()")?,
            offset: 0,
            implicit_success: false,
        });
    }
    if t.contains("${{") {
        let tpl = parse_template(s)?;
        return Ok(match tpl.into_single() {
            Ok((expr, offset)) => {
                let implicit_success = !expr.uses_status_function();
                Condition::Expr {
                    expr,
                    offset,
                    implicit_success,
                }
            }
            Err(tpl) => Condition::Template(tpl),
        });
    }
    let expr = parse_expr(t).map_err(|e| e.shifted(trimmed_start))?;
    let implicit_success = !expr.uses_status_function();
    Ok(Condition::Expr {
        expr,
        offset: trimmed_start,
        implicit_success,
    })
}

impl Condition {
    pub fn evaluate(&self, host: &dyn Host) -> Result<bool, EvalError> {
        match self {
            Condition::Expr {
                expr,
                implicit_success,
                offset,
            } => {
                if *implicit_success && host.job_status() != JobStatus::Success {
                    return Ok(false);
                }
                evaluate(expr, host).map(|v| v.truthy()).map_err(|mut e| {
                    e.span = e.span.start + offset..e.span.end + offset;
                    e
                })
            }
            Condition::Template(t) => Ok(!t.evaluate_text(host)?.is_empty()),
        }
    }

    /// The expressions inside, with their offsets in the condition text.
    pub fn exprs(&self) -> Vec<(&Expr, usize)> {
        match self {
            Condition::Expr { expr, offset, .. } => vec![(expr, *offset)],
            Condition::Template(t) => t.exprs().map(|(e, r)| (e, r.start)).collect(),
        }
    }
}
