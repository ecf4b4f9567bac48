//! The `${{ }}` expression language as GitHub defines it: literals, operators with GitHub's
//! precedence and loose, case-insensitive comparison, property and index access, the `*`
//! filter, and the built-in functions. Pure: contexts, job status and `hashFiles` come from
//! the caller's [`Host`].

mod ast;
mod condition;
mod error;
mod eval;
mod fold;
mod functions;
mod json;
mod lexer;
mod parser;
mod refs;
mod template;
mod value;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_github;

pub use ast::{Args, BinOp, Expr, ExprKind, ExprRef, Id, Node};
pub use condition::{parse_condition, Condition};
pub use error::{EvalError, ExprError, HashFilesError};
pub use eval::{evaluate, loose_eq, Host, JobStatus, MapHost};
pub use functions::to_json_text;
pub use parser::{parse_expr, MAX_DEPTH};
pub use refs::{context_refs, visit_context_refs, ContextRef, RefView};
pub use template::{
    find_open, parse_template, template_exprs, Found, Segment, Template, TemplateExprs,
};
pub use value::{format_number, parse_number, Object, Value};
