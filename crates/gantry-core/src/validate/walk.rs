//! Visits every string of a workflow or action that may hold `${{ }}`, with the place it
//! sits in (which contexts it may use) and the scope it sees (which jobs, steps, inputs and
//! matrix keys exist there), so that expression checks are written once.

use super::places::{self, Place};
use crate::model::*;
use crate::yaml::node::Span;

/// What a reference may name at one place.
#[derive(Clone, Debug, Default)]
pub struct Scope<'a> {
    /// The job the place belongs to, if any.
    pub job: Option<&'a Job>,
    /// Ids of the steps that have run before this place (all steps, for job outputs).
    pub steps: Vec<&'a str>,
    /// Matrix keys, when the matrix is written out (None: unknown until run time, or no matrix).
    pub matrix: Option<Vec<&'a str>>,
    /// Whether this job has a matrix at all.
    pub has_matrix: bool,
    /// The workflow, for the jobs this job depends on through others (see
    /// [`Scope::depends_through_others`]).
    pub workflow: Option<&'a Workflow>,
}

impl Scope<'_> {
    /// Whether this job depends on job `id` only through other jobs (its needs' needs, and
    /// so on): GitHub gives their results to a job-level `if:`. Searched only when asked
    /// (a reference outside the job's `needs`), not for every job.
    pub fn depends_through_others(&self, id: &str) -> bool {
        match (self.workflow, self.job) {
            (Some(wf), Some(job)) => ancestors(wf, job)
                .iter()
                .any(|a| a.eq_ignore_ascii_case(id)),
            _ => false,
        }
    }
}

/// Receives each expression-bearing string.
pub trait Visitor<'a> {
    fn value(&mut self, text: &'a str, span: Span, place: &'static Place, scope: &Scope<'a>);
    /// `if:` conditions, which may omit `${{ }}`.
    fn condition(&mut self, text: &'a str, span: Span, place: &'static Place, scope: &Scope<'a>);
}

fn val<'a>(v: &mut impl Visitor<'a>, s: &'a Str, place: &'static Place, scope: &Scope<'a>) {
    v.value(&s.value, s.span, place, scope);
}

fn cond<'a>(v: &mut impl Visitor<'a>, s: &'a Str, place: &'static Place, scope: &Scope<'a>) {
    v.condition(&s.value, s.span, place, scope);
}

fn env<'a>(v: &mut impl Visitor<'a>, env: &'a Env, place: &'static Place, scope: &Scope<'a>) {
    match env {
        Env::Map(m) => {
            for (_, x) in m.iter() {
                val(v, x, place, scope);
            }
        }
        Env::Expr(e) => val(v, e, place, scope),
    }
}

fn opt<'a>(v: &mut impl Visitor<'a>, s: &'a Option<Str>, place: &'static Place, scope: &Scope<'a>) {
    if let Some(s) = s {
        val(v, s, place, scope);
    }
}

pub fn walk_workflow<'a>(wf: &'a Workflow, v: &mut impl Visitor<'a>) {
    let top = Scope::default();
    opt(v, &wf.run_name, &places::RUN_NAME, &top);
    if let Some(c) = &wf.concurrency {
        opt(v, &c.value.group, &places::WORKFLOW_CONCURRENCY, &top);
    }
    env(v, &wf.env, &places::WORKFLOW_ENV, &top);
    if let Some(on) = &wf.on {
        for t in &on.value.events {
            if let TriggerConfig::Call(call) = &t.config {
                for o in &call.outputs {
                    opt(v, &o.value, &places::CALL_OUTPUT_VALUE, &top);
                }
                for i in &call.inputs.inputs {
                    if let Some(d) = &i.default {
                        if let Some(text) = d.as_str() {
                            v.value(text, d.span, &places::CALL_INPUT_DEFAULT, &top);
                        }
                    }
                }
            }
        }
    }
    for job in &wf.jobs {
        walk_job(job, wf, v);
    }
}

/// The jobs `job` depends on through other jobs, not directly (ids as written).
fn ancestors<'a>(wf: &'a Workflow, job: &'a Job) -> Vec<&'a str> {
    let find = |id: &str| wf.jobs.iter().find(|j| j.id.value.eq_ignore_ascii_case(id));
    let direct: Vec<&str> = job.needs.iter().map(|n| n.value.as_str()).collect();
    let mut seen: Vec<&'a str> = Vec::new();
    let mut todo: Vec<&'a str> = direct.clone();
    while let Some(id) = todo.pop() {
        for n in find(id).map(|j| j.needs.as_slice()).unwrap_or_default() {
            let n = n.value.as_str();
            // A cycle is reported elsewhere; it must not loop here.
            if !seen.iter().any(|s| s.eq_ignore_ascii_case(n))
                && !n.eq_ignore_ascii_case(&job.id.value)
            {
                seen.push(n);
                todo.push(n);
            }
        }
    }
    seen.retain(|s| !direct.iter().any(|d| d.eq_ignore_ascii_case(s)));
    seen
}

fn matrix_keys(job: &Job) -> (bool, Option<Vec<&str>>) {
    let Some(Strategy {
        matrix: Some(m), ..
    }) = &job.strategy
    else {
        return (false, None);
    };
    let Matrix::Map(map) = &m.value else {
        return (true, None);
    };
    let mut keys: Vec<&str> = map.dims.iter().map(|(k, _)| k.value.as_str()).collect();
    if let Some(inc) = &map.include {
        let Combos::List(items) = &inc.value else {
            return (true, None);
        };
        for item in items {
            match &item.kind {
                crate::yaml::node::NodeKind::Map(entries) => {
                    keys.extend(entries.iter().filter_map(|e| e.key.as_str()));
                }
                _ => return (true, None),
            }
        }
    }
    // A key written as an expression is named only when the matrix is expanded.
    if keys.iter().any(|k| k.contains("${{")) {
        return (true, None);
    }
    let mut seen = std::collections::HashSet::new();
    keys.retain(|k| seen.insert(k.to_ascii_lowercase()));
    (true, Some(keys))
}

fn walk_job<'a>(job: &'a Job, wf: &'a Workflow, v: &mut impl Visitor<'a>) {
    let (has_matrix, matrix) = matrix_keys(job);
    let mut scope = Scope {
        job: Some(job),
        steps: Vec::new(),
        matrix,
        has_matrix,
        workflow: Some(wf),
    };
    if let Some(c) = &job.if_ {
        cond(v, c, &places::JOB_IF, &scope);
    }
    opt(v, &job.name, &places::JOB_NAME, &scope);
    if let Some(c) = &job.concurrency {
        opt(v, &c.value.group, &places::JOB_CONCURRENCY, &scope);
    }
    if let Some(m) = job.strategy.as_ref().and_then(|s| s.matrix.as_ref()) {
        walk_matrix(&m.value, v, &scope);
    }
    env(v, &job.env, &places::JOB_ENV, &scope);
    if let Some(Spanned {
        value: BoolOrExpr::Expr(e),
        span,
    }) = &job.continue_on_error
    {
        v.value(e, *span, &places::JOB_CONTINUE_ON_ERROR, &scope);
    }
    if let Some(Spanned {
        value: NumOrExpr::Expr(e),
        span,
    }) = &job.timeout_minutes
    {
        v.value(e, *span, &places::JOB_TIMEOUT, &scope);
    }
    if let Some(d) = &job.defaults {
        opt(v, &d.shell, &places::JOB_DEFAULTS_RUN, &scope);
        opt(v, &d.working_directory, &places::JOB_DEFAULTS_RUN, &scope);
    }
    if let Some(e) = &job.environment {
        opt(v, &e.name, &places::JOB_ENVIRONMENT, &scope);
    }
    match &job.kind {
        JobKind::Call(call) => {
            for (_, x) in call.with.iter() {
                val(v, x, &places::JOB_WITH, &scope);
            }
            if let CallSecrets::Map(m) = &call.secrets {
                for (_, x) in m.iter() {
                    val(v, x, &places::JOB_SECRETS, &scope);
                }
            }
        }
        JobKind::Steps(sj) => {
            if let Some(r) = &sj.runs_on {
                walk_runs_on(&r.value, v, &scope);
            }
            if let Some(c) = &sj.container {
                walk_container(c, &places::JOB_CONTAINER, v, &scope);
            }
            for (_, c) in &sj.services {
                walk_container(c, &places::JOB_SERVICES, v, &scope);
            }
            let all = super::ids::flatten(&sj.steps);
            for step in &all {
                walk_step(step, v, &scope, false);
                if let Some(id) = &step.id {
                    scope.steps.push(id.value.as_str());
                }
            }
            if let Some(e) = &job.environment {
                opt(v, &e.url, &places::ENVIRONMENT_URL, &scope);
            }
            for (_, x) in job.outputs.iter() {
                val(v, x, &places::JOB_OUTPUTS, &scope);
            }
        }
    }
}

/// A matrix given as one expression, or the dimensions given as expressions.
fn walk_matrix<'a>(m: &'a Matrix, v: &mut impl Visitor<'a>, scope: &Scope<'a>) {
    match m {
        Matrix::Expr(e) => val(v, e, &places::JOB_STRATEGY, scope),
        Matrix::Map(map) => {
            for (_, dim) in &map.dims {
                if let Dimension::Expr(e) = &dim.value {
                    v.value(e, dim.span, &places::JOB_STRATEGY, scope);
                }
            }
        }
    }
}

fn walk_runs_on<'a>(r: &'a RunsOn, v: &mut impl Visitor<'a>, scope: &Scope<'a>) {
    match r {
        RunsOn::Labels(labels) => labels
            .iter()
            .for_each(|l| val(v, l, &places::JOB_RUNS_ON, scope)),
        RunsOn::Group { group, labels } => {
            opt(v, group, &places::JOB_RUNS_ON, scope);
            labels
                .iter()
                .for_each(|l| val(v, l, &places::JOB_RUNS_ON, scope));
        }
    }
}

fn walk_container<'a>(
    c: &'a Container,
    place: &'static Place,
    v: &mut impl Visitor<'a>,
    scope: &Scope<'a>,
) {
    opt(v, &c.image, place, scope);
    if let Some((u, p)) = &c.credentials {
        opt(v, u, &places::CONTAINER_CREDENTIALS, scope);
        opt(v, p, &places::CONTAINER_CREDENTIALS, scope);
    }
    env(v, &c.env, &places::CONTAINER_ENV, scope);
    for s in c.ports.iter().chain(&c.volumes) {
        val(v, s, place, scope);
    }
    opt(v, &c.options, place, scope);
}

fn walk_step<'a>(step: &'a Step, v: &mut impl Visitor<'a>, scope: &Scope<'a>, in_action: bool) {
    let (if_place, other) = if in_action {
        (&places::ACTION_STEP_IF, &places::ACTION_STEP)
    } else {
        (&places::STEP_IF, &places::STEP_RUN)
    };
    if let Some(c) = &step.if_ {
        cond(v, c, if_place, scope);
    }
    let pick = |p: &'static Place| if in_action { other } else { p };
    opt(v, &step.name, pick(&places::STEP_NAME), scope);
    env(v, &step.env, pick(&places::STEP_ENV), scope);
    opt(
        v,
        &step.working_directory,
        pick(&places::STEP_WORKING_DIRECTORY),
        scope,
    );
    for b in [&step.continue_on_error, &step.background] {
        if let Some(Spanned {
            value: BoolOrExpr::Expr(e),
            span,
        }) = b
        {
            v.value(e, *span, pick(&places::STEP_CONTINUE_ON_ERROR), scope);
        }
    }
    if let Some(Spanned {
        value: NumOrExpr::Expr(e),
        span,
    }) = &step.timeout_minutes
    {
        v.value(e, *span, pick(&places::STEP_TIMEOUT), scope);
    }
    match &step.action {
        StepAction::Run(r) => val(v, r, pick(&places::STEP_RUN), scope),
        StepAction::Uses { with, .. } => {
            for (_, x) in with.iter() {
                val(v, x, pick(&places::STEP_WITH), scope);
            }
        }
        _ => {}
    }
}

pub fn walk_action<'a>(a: &'a Action, v: &mut impl Visitor<'a>) {
    let mut scope = Scope::default();
    for i in &a.inputs {
        opt(v, &i.default, &places::ACTION_INPUT_DEFAULT, &scope);
    }
    let Some(runs) = &a.runs else { return };
    match &runs.kind {
        RunsKind::Docker(d) => {
            for s in d.args.iter() {
                val(v, s, &places::ACTION_RUNS, &scope);
            }
            env(v, &d.env, &places::ACTION_RUNS, &scope);
            for s in [
                &d.entrypoint,
                &d.pre_entrypoint,
                &d.post_entrypoint,
                &d.image,
            ] {
                opt(v, s, &places::ACTION_RUNS, &scope);
            }
            for c in [&d.pre_if, &d.post_if].into_iter().flatten() {
                cond(v, c, &places::ACTION_PRE_POST_IF, &scope);
            }
        }
        RunsKind::Node(n) => {
            for c in [&n.pre_if, &n.post_if].into_iter().flatten() {
                cond(v, c, &places::ACTION_PRE_POST_IF, &scope);
            }
        }
        RunsKind::Composite { steps } => {
            for step in super::ids::flatten(steps) {
                walk_step(step, v, &scope, true);
                if let Some(id) = &step.id {
                    scope.steps.push(id.value.as_str());
                }
            }
        }
        RunsKind::Unknown => {}
    }
    for o in &a.outputs {
        opt(v, &o.value, &places::ACTION_OUTPUT_VALUE, &scope);
    }
}
