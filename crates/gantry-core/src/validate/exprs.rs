//! Checks of every `${{ }}` and `if:`: syntax (positioned inside the expression), functions
//! allowed at the place, contexts available at the place, and references that must exist —
//! steps that ran before, jobs in `needs`, matrix keys, declared inputs.

use super::places::{Place, ALL_CONTEXTS};
use super::walk::{Scope, Visitor};
use super::Source;
use crate::diag::{Diagnostics, Severity};
use crate::expr::{
    parse_condition, template_exprs, visit_context_refs, Condition, Expr, ExprError, ExprKind,
};
use crate::yaml::node::Span;

pub struct ExprChecker<'s, 'd> {
    pub src: &'s Source<'s>,
    pub diags: &'d mut Diagnostics,
    /// Input names declared by `workflow_dispatch`/`workflow_call` (or the action); None
    /// when nothing declares inputs, so references cannot be checked.
    pub inputs: Option<Vec<String>>,
    /// Job ids, for `jobs.<id>` in reusable-workflow outputs.
    pub jobs: Vec<String>,
}

const GITHUB_PROPS: &[&str] = &[
    "action",
    "action_path",
    "artifact_cache_size_limit",
    "action_ref",
    "action_repository",
    "action_status",
    "actor",
    "actor_id",
    "api_url",
    "base_ref",
    "env",
    "event",
    "event_name",
    "event_path",
    "graphql_url",
    "head_ref",
    "job",
    "job_workflow_sha",
    "output",
    "path",
    "ref",
    "ref_name",
    "ref_protected",
    "ref_type",
    "repository",
    "repository_id",
    "repository_owner",
    "repository_owner_id",
    "repository_visibility",
    "repositoryurl",
    "retention_days",
    "run_attempt",
    "run_id",
    "run_number",
    "secret_source",
    "server_url",
    "sha",
    "state",
    "step_summary",
    "token",
    "triggering_actor",
    "workflow",
    "workflow_ref",
    "workflow_sha",
    "workspace",
];
const RUNNER_PROPS: &[&str] = &[
    "name",
    "os",
    "arch",
    "temp",
    "tool_cache",
    "debug",
    "environment",
    "workspace",
];
const STRATEGY_PROPS: &[&str] = &["fail-fast", "job-index", "job-total", "max-parallel"];

impl ExprChecker<'_, '_> {
    fn span_in(&self, text: &str, at: Span, range: std::ops::Range<usize>) -> Span {
        self.src.index.locate(self.src.text, at, text, range)
    }

    fn syntax(&mut self, text: &str, at: Span, e: ExprError) {
        let end = e.span.end.max(e.span.start + 1).min(text.len());
        let start = e.span.start.min(text.len());
        let span = if start < end {
            self.span_in(text, at, start..end)
        } else {
            at
        };
        self.diags.error(
            "expression",
            span,
            format!("invalid expression: {}", e.message),
        );
    }

    fn check_expr(
        &mut self,
        text: &str,
        at: Span,
        expr: &Expr,
        offset: usize,
        place: &Place,
        scope: &Scope<'_>,
    ) {
        // Only calls not allowed here are reported: most expressions have none.
        for node in expr.nodes() {
            if let ExprKind::Call {
                name,
                name_span,
                args,
            } = &node.kind
            {
                let status = matches!(*name, "success" | "failure" | "cancelled" | "always");
                let r = name_span;
                let span = || r.start + offset..r.end + offset;
                if (status && !place.status_functions)
                    || (*name == "hashFiles" && !place.hash_files)
                {
                    let span = self.span_in(text, at, span());
                    self.diags.error(
                        "function",
                        span,
                        format!("`{name}()` cannot be used in {}", place.name),
                    );
                } else if status && !args.is_empty() && !std::ptr::eq(place, &super::places::JOB_IF)
                {
                    // GitHub allows `success(job...)` and `failure(job...)` in a job's `if:` only.
                    let span = self.span_in(text, at, span());
                    self.diags.error(
                        "function",
                        span,
                        format!("`{name}` takes job names only in a job's `if:`; here it takes no arguments"),
                    );
                }
            }
        }
        visit_context_refs(expr, &mut |r| {
            // Positions are computed only for what is reported: finding one costs a search.
            let src = self.src;
            let rel = r.span();
            let range = rel.start + offset..rel.end + offset;
            let span = || src.index.locate(src.text, at, text, range.clone());
            if !ALL_CONTEXTS.contains(&r.name) {
                self.diags.error(
                    "context",
                    span(),
                    format!(
                        "unknown context `{}`; contexts are {}",
                        r.name,
                        ALL_CONTEXTS.join(", ")
                    ),
                );
                return;
            }
            if !place.contexts.contains(&r.name) {
                self.diags.error(
                    "context",
                    span(),
                    format!(
                        "context `{}` is not available in {}; available there: {}",
                        r.name,
                        place.name,
                        place.contexts.join(", ")
                    ),
                );
                return;
            }
            match self.reference(r.name, r.part(0), r.part(1), place, scope) {
                Some((Severity::Error, msg)) => self.diags.error("reference", span(), msg),
                Some((Severity::Warning, msg)) => self.diags.warning("reference", span(), msg),
                None => {}
            }
        });
    }

    /// Checks that what a reference names exists; returns the problem, if any. GitHub runs a
    /// workflow whatever its references name (one that names nothing is null), so most are
    /// warnings; a job that is not among the job's dependencies at all stays an error.
    fn reference(
        &self,
        name: &str,
        first: Option<&str>,
        second: Option<&str>,
        place: &Place,
        scope: &Scope<'_>,
    ) -> Option<(Severity, String)> {
        let error = |m: String| (Severity::Error, m);
        let warning = |m: String| (Severity::Warning, m);
        let first = first?;
        // Property names compare ignoring case ([`is_one_of`]); a name that is none of them
        // is lowered for the message only.
        match name {
            "steps" => steps_reference(first, second, scope),
            "needs" => needs_reference(first, second, place, scope),
            "matrix" => {
                if !scope.has_matrix && scope.job.is_some() {
                    return Some(warning(format!(
                        "`matrix.{first}` is always null: job `{}` has no matrix",
                        scope.job.map_or("", |j| j.id.value.as_str())
                    )));
                }
                let keys = scope.matrix.as_ref()?;
                (!keys.iter().any(|k| k.eq_ignore_ascii_case(first))).then(|| warning(format!("`matrix.{first}` is always null: no combination of the matrix defines `{first}` (keys: {})", keys.join(", "))))
            }
            "inputs" => {
                let inputs = self.inputs.as_ref()?;
                (!inputs.iter().any(|i| i.eq_ignore_ascii_case(first))).then(|| {
                    warning(if inputs.is_empty() {
                        format!("`inputs.{first}` is always empty: no inputs are declared")
                    } else if inputs.len() > 12 {
                        format!("`inputs.{first}` is always empty: no input `{first}` is declared")
                    } else {
                        format!("`inputs.{first}` is always empty: no input `{first}` is declared (inputs: {})", inputs.join(", "))
                    })
                })
            }
            "jobs" => (!self.jobs.iter().any(|j| j.eq_ignore_ascii_case(first)))
                .then(|| error(format!("job `{first}` does not exist in this workflow"))),
            "github" => (!GITHUB_PROPS.iter().any(|p| p.eq_ignore_ascii_case(first))).then(|| {
                warning(format!(
                    "`github.{first}` is not a documented property of the github context"
                ))
            }),
            "runner" => (!RUNNER_PROPS.iter().any(|p| p.eq_ignore_ascii_case(first))).then(|| {
                warning(format!(
                    "`runner.{first}` is not a property of the runner context ({})",
                    RUNNER_PROPS.join(", ")
                ))
            }),
            "strategy" => {
                (!STRATEGY_PROPS.iter().any(|p| p.eq_ignore_ascii_case(first))).then(|| {
                    warning(format!(
                        "`strategy.{first}` is not a property of the strategy context ({})",
                        STRATEGY_PROPS.join(", ")
                    ))
                })
            }
            _ => None,
        }
    }
}

/// Whether a property name is one of `names`, ignoring case as GitHub does.
fn is_one_of(p: &str, names: &[&str]) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(p))
}

/// `steps.<id>.<property>`: the step should run before this point and have an id. GitHub
/// runs the workflow either way (the value is null): warnings.
fn steps_reference(
    first: &str,
    second: Option<&str>,
    scope: &Scope<'_>,
) -> Option<(Severity, String)> {
    if !scope.steps.iter().any(|s| s.eq_ignore_ascii_case(first)) {
        let known = if scope.steps.is_empty() {
            "no step with an id runs before it".to_string()
        } else {
            format!("steps with ids before it: {}", scope.steps.join(", "))
        };
        return Some((
            Severity::Warning,
            format!("step `{first}` is not defined before this point ({known}): its value is null"),
        ));
    }
    match second {
        None => None,
        Some(p) if is_one_of(p, &["outputs", "outcome", "conclusion"]) => None,
        Some(p) => Some((Severity::Warning, format!("`steps.{first}.{}` is always null; a step has `outputs`, `outcome` and `conclusion`", p.to_ascii_lowercase()))),
    }
}

/// `needs.<job>.<property>`: the job should be listed in this job's `needs`. A job-level
/// `if:` also sees the jobs it depends on through others (GitHub runs Electron's and Poetry's
/// CI that way); the job's own id is null (a warning); any other job is an error.
fn needs_reference(
    first: &str,
    second: Option<&str>,
    place: &Place,
    scope: &Scope<'_>,
) -> Option<(Severity, String)> {
    let job = scope.job?;
    let is = |s: &str| s.eq_ignore_ascii_case(first);
    let direct = job.needs.iter().any(|n| is(&n.value));
    if !direct && std::ptr::eq(place, &super::places::JOB_IF) && scope.depends_through_others(first)
    {
        return needs_property(first, second);
    }
    if is(&job.id.value) {
        let m = format!("`needs.{first}` is always null: a job does not need itself");
        return Some((Severity::Warning, m));
    }
    if !direct {
        let listed: Vec<&str> = job.needs.iter().map(|n| n.value.as_str()).collect();
        return Some((Severity::Error, format!("job `{}` does not need `{first}` (needs: [{}]); add it to `needs` to read its results", job.id.value, listed.join(", "))));
    }
    needs_property(first, second)
}

/// `needs.<job>.<property>`: a needed job has `outputs` and `result`.
fn needs_property(first: &str, second: Option<&str>) -> Option<(Severity, String)> {
    match second {
        None => None,
        Some(p) if is_one_of(p, &["outputs", "result"]) => None,
        Some(p) => Some((
            Severity::Warning,
            format!(
                "`needs.{first}.{}` is always null; a needed job has `outputs` and `result`",
                p.to_ascii_lowercase()
            ),
        )),
    }
}

impl<'a> Visitor<'a> for ExprChecker<'_, '_> {
    fn value(&mut self, text: &'a str, span: Span, place: &'static Place, scope: &Scope<'a>) {
        // Each expression is checked as it is parsed; a syntax error ends the value.
        for found in template_exprs(text) {
            match found {
                Err(e) => self.syntax(text, span, e),
                Ok(f) => self.check_expr(text, span, &f.expr, f.inner.start, place, scope),
            }
        }
    }

    fn condition(&mut self, text: &'a str, span: Span, place: &'static Place, scope: &Scope<'a>) {
        match parse_condition(text) {
            Err(e) => self.syntax(text, span, e),
            Ok(c) => {
                if let Condition::Template(_) = &c {
                    self.diags.warning(
                        "if-condition",
                        span,
                        "this `if:` mixes text with `${{ }}`, so it evaluates to a non-empty string and is always true; write the whole condition inside one `${{ }}` (or without it)",
                    );
                }
                for (expr, offset) in c.exprs() {
                    self.check_expr(text, span, expr, offset, place, scope);
                }
            }
        }
    }
}
