//! Planning one job: its matrix legs, image, steps, conditions, env and secret names — or,
//! for a job that calls a reusable workflow (in the workspace, or another repository's as
//! the front fetched it), the called workflow's jobs.

use super::build::{concurrency_plan, plan_jobs, PlanOptions};
use super::context::PlanHost;
use super::decide;
use super::error::PlanError;
use super::inputs::type_inputs;
use super::matrix::{expand, leg_label, MatrixSpec};
use super::remote::{
    call_target, CallTarget, RemoteError, RepoAt, MAX_CALL_LEVELS, MAX_UNIQUE_CALLED,
};
use super::resolve::Resolver;
use super::steps::{plan_steps, StepsCx};
use super::templates;
use super::types::*;
use gantry_core::expr::{context_refs, parse_template, Object, Value};
use gantry_core::model::*;
use gantry_core::yaml::node::{Node, NodeKind, Resolved};
use std::cell::RefCell;
use std::collections::BTreeSet;

pub struct JobCx<'a> {
    pub workflow: &'a Workflow,
    pub path: &'a str,
    pub opts: &'a PlanOptions,
    pub resolver: &'a dyn Resolver,
    pub host: &'a PlanHost,
    pub depth: usize,
    /// `caller/` for jobs of a called workflow.
    pub prefix: String,
    /// What the calling job needs: the called workflow's first jobs wait for it too.
    pub outer_needs: Vec<String>,
    /// The repository this workflow is in when it is another repository's (a remote
    /// reusable workflow): its `./` calls are in that repository at the same ref, as on
    /// GitHub. `None`: the workspace.
    pub repo: Option<RepoAt>,
    /// The reusable workflows the top-level workflow calls so far (GitHub limits how many).
    pub called: &'a RefCell<BTreeSet<String>>,
}

/// YAML node → expression value, evaluating `${{ }}` strings with what is known now.
fn node_value(n: &Node, host: &PlanHost) -> Option<Value> {
    Some(match &n.kind {
        NodeKind::Scalar(s) => match s.resolve() {
            Resolved::Null => Value::Null,
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::Int(i) => Value::Number(i as f64),
            Resolved::Float(f) => Value::Number(f),
            Resolved::Str(t) => decide::template(t, host)?,
        },
        NodeKind::Seq(items) => Value::array(
            items
                .iter()
                .map(|i| node_value(i, host))
                .collect::<Option<Vec<_>>>()?,
        ),
        NodeKind::Map(entries) => {
            let mut o = Object::new();
            for e in entries {
                o.insert(e.key.as_str()?.to_string(), node_value(&e.value, host)?);
            }
            Value::object(o)
        }
    })
}

/// A matrix dimension written as a list. An item that is an expression yielding an array is
/// spliced into the list (GitHub: `os: [a, "${{ fromJSON(needs.setup.outputs.more) }}"]`
/// gives `a` and each element); a literal nested list stays one value.
fn dimension_values(items: &[Node], host: &PlanHost) -> Option<Vec<Value>> {
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        match (node_value(i, host)?, &i.kind) {
            (Value::Array(a), NodeKind::Scalar(_)) => out.extend(a.iter().cloned()),
            (v, _) => out.push(v),
        }
    }
    Some(out)
}

/// A dimension's name: as written, or what its expression gives (GitHub evaluates
/// `${{ }}` in matrix keys like values); `None` when only run time can tell.
fn dimension_key(key: &str, host: &PlanHost) -> Option<String> {
    if !key.contains("${{") {
        return Some(key.to_string());
    }
    decide::template(key, host).map(|v| v.to_text())
}

fn objects(v: &Value) -> Vec<Object> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(|i| {
                if let Value::Object(o) = i {
                    Some((**o).clone())
                } else {
                    None
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A matrix that only run time can tell: the text that could not be evaluated now.
struct AtRunTime(String);

/// The matrix as values, or the expression text when it is only known at run time.
fn matrix_spec(m: &Matrix, host: &PlanHost) -> Result<MatrixSpec, AtRunTime> {
    let later = |text: &str| AtRunTime(text.to_string());
    match m {
        Matrix::Expr(e) => {
            let v = decide::template(&e.value, host).ok_or_else(|| later(&e.value))?;
            let Value::Object(o) = v else {
                return Err(later(&e.value));
            };
            let mut spec = MatrixSpec::default();
            for (k, v) in o.iter() {
                match k.as_str() {
                    "include" => spec.include = objects(v),
                    "exclude" => spec.exclude = objects(v),
                    _ => spec.dims.push((
                        k.clone(),
                        match v {
                            Value::Array(a) => (**a).clone(),
                            other => vec![other.clone()],
                        },
                    )),
                }
            }
            Ok(spec)
        }
        Matrix::Map(map) => {
            let mut spec = MatrixSpec::default();
            for (k, dim) in &map.dims {
                let values = match &dim.value {
                    Dimension::Values(items) => {
                        dimension_values(items, host).ok_or_else(|| later(&k.value))?
                    }
                    Dimension::Expr(e) => match decide::template(e, host) {
                        Some(Value::Array(a)) => (*a).clone(),
                        _ => return Err(later(e)),
                    },
                };
                spec.dims.push((
                    dimension_key(&k.value, host).ok_or_else(|| later(&k.value))?,
                    values,
                ));
            }
            for (list, slot) in [
                (&map.include, &mut spec.include),
                (&map.exclude, &mut spec.exclude),
            ] {
                if let Some(c) = list {
                    let v = match &c.value {
                        Combos::List(items) => Value::array(
                            items
                                .iter()
                                .map(|i| node_value(i, host))
                                .collect::<Option<Vec<_>>>()
                                .ok_or_else(|| later("include/exclude"))?,
                        ),
                        Combos::Expr(e) => decide::template(e, host).ok_or_else(|| later(e))?,
                    };
                    *slot = objects(&v);
                }
            }
            Ok(spec)
        }
    }
}

/// Secret names read anywhere in `texts`.
fn secret_names<'t>(texts: impl Iterator<Item = &'t str>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for t in texts.filter(|t| t.contains("secrets")) {
        let Ok(tpl) = parse_template(t) else { continue };
        for (e, _) in tpl.exprs() {
            for r in context_refs(e) {
                if r.name == "secrets" {
                    if let Some(n) = r.path.first() {
                        let n = n.to_ascii_uppercase();
                        if !names.contains(&n) {
                            names.push(n);
                        }
                    }
                }
            }
        }
    }
    names
}

fn env_texts(env: &Env) -> Vec<&str> {
    match env {
        Env::Map(m) => m.iter().map(|(_, v)| v.value.as_str()).collect(),
        Env::Expr(e) => vec![e.value.as_str()],
    }
}

fn job_texts(job: &Job) -> Vec<&str> {
    let mut t = env_texts(&job.env);
    if let JobKind::Steps(s) = &job.kind {
        for step in gantry_core::validate::flatten_steps(&s.steps) {
            t.extend(env_texts(&step.env));
            if let StepAction::Run(r) = &step.action {
                t.push(&r.value);
            }
            if let StepAction::Uses { with, .. } = &step.action {
                t.extend(with.iter().map(|(_, v)| v.value.as_str()));
            }
            t.extend(step.if_.iter().map(|s| s.value.as_str()));
        }
        if let Some(c) = &s.container {
            if let Some((u, p)) = &c.credentials {
                t.extend(u.iter().chain(p).map(|s| s.value.as_str()));
            }
            t.extend(env_texts(&c.env));
        }
    }
    if let JobKind::Call(c) = &job.kind {
        if let CallSecrets::Map(m) = &c.secrets {
            t.extend(m.iter().map(|(_, v)| v.value.as_str()));
        }
    }
    t
}

fn secret_refs(names: Vec<String>, opts: &PlanOptions) -> Vec<SecretRef> {
    names
        .into_iter()
        .map(|name| {
            let source = if name == "GITHUB_TOKEN" {
                "provided by gantry".to_string()
            } else {
                opts.secret_sources
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(&name))
                    .map_or_else(|| "not configured".to_string(), |(_, s)| s.clone())
            };
            SecretRef {
                file: format!("/run/secrets/{name}"),
                name,
                source,
            }
        })
        .collect()
}

fn user_env(wf: &Workflow, job: &Job, host: &PlanHost) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for env in [&wf.env, &job.env] {
        match env {
            Env::Map(m) => {
                for (k, v) in m.iter() {
                    let shown = if v.value.contains("secrets.") {
                        "***".to_string()
                    } else {
                        decide::template_text(&v.value, host)
                    };
                    out.retain(|(n, _)| n != &k.value);
                    out.push((k.value.clone(), shown));
                }
            }
            Env::Expr(e) => out.push(("(expression)".into(), e.value.clone())),
        }
    }
    out
}

/// A job's `strategy` settings shared by its legs.
#[derive(Clone, Copy)]
struct Strategy {
    fail_fast: bool,
    max_parallel: Option<u32>,
    total: usize,
}

/// One leg of a job: its matrix values (none without a matrix) and where it stands.
struct Leg {
    index: usize,
    values: Option<Object>,
}

/// The job ids (of this plan) a job waits for: its `needs`, or, for the first jobs of a
/// called workflow, what the calling job needs.
fn needs_of(cx: &JobCx<'_>, job: &Job) -> Vec<String> {
    let needs: Vec<String> = job
        .needs
        .iter()
        .map(|n| format!("{}{}", cx.prefix, n.value))
        .collect();
    if needs.is_empty() {
        cx.outer_needs.clone()
    } else {
        needs
    }
}

fn strategy_of(job: &Job, total: usize) -> Strategy {
    let Some(s) = &job.strategy else {
        return Strategy {
            fail_fast: true,
            max_parallel: None,
            total,
        };
    };
    Strategy {
        fail_fast: !matches!(
            s.fail_fast.as_ref().map(|f| &f.value),
            Some(BoolOrExpr::Bool(false))
        ),
        max_parallel: s.max_parallel.as_ref().and_then(|m| match m.value {
            NumOrExpr::Num(n) => Some(n as u32),
            NumOrExpr::Expr(_) => None,
        }),
        total,
    }
}

/// The matrix legs: expanded now, or one placeholder leg saying the matrix is known only
/// at run time.
fn legs_of(cx: &JobCx<'_>, job: &Job) -> Result<Vec<Option<Object>>, PlanError> {
    let Some(m) = job.strategy.as_ref().and_then(|s| s.matrix.as_ref()) else {
        return Ok(vec![None]);
    };
    Ok(match matrix_spec(&m.value, cx.host) {
        Ok(spec) => expand(&spec)
            .map_err(|error| PlanError::Matrix {
                job: job.id.value.clone(),
                error,
            })?
            .into_iter()
            .map(Some)
            .collect(),
        Err(AtRunTime(expr)) => {
            let mut o = Object::new();
            o.insert("at_run_time".into(), Value::str(&expr));
            vec![Some(o)]
        }
    })
}

/// What a leg's expressions know at plan time: `strategy`, and `matrix` when known.
fn leg_host(cx: &JobCx<'_>, leg: &Leg, st: Strategy) -> PlanHost {
    let mut host = cx.host.clone();
    let mut strategy = Object::new();
    strategy.insert("fail-fast".into(), Value::Bool(st.fail_fast));
    strategy.insert("job-index".into(), Value::Number(leg.index as f64));
    strategy.insert("job-total".into(), Value::Number(st.total as f64));
    strategy.insert(
        "max-parallel".into(),
        Value::Number(st.max_parallel.map_or(st.total as f64, f64::from)),
    );
    host.contexts.insert("strategy", Value::object(strategy));
    match leg.known() {
        Some(l) => {
            host.contexts.insert("matrix", Value::object(l.clone()));
        }
        None if leg.values.is_none() => {
            host.contexts.insert("matrix", Value::object(Object::new()));
        }
        None => {}
    }
    host
}

impl Leg {
    /// The matrix values when known at plan time.
    fn known(&self) -> Option<&Object> {
        self.values
            .as_ref()
            .filter(|l| !l.contains_key("at_run_time"))
    }
}

pub fn plan_job(cx: &JobCx<'_>, job: &Job) -> Result<Vec<JobPlan>, PlanError> {
    let legs = legs_of(cx, job)?;
    let st = strategy_of(job, legs.len());
    let mut out = Vec::new();
    for (index, values) in legs.into_iter().enumerate() {
        let leg = Leg { index, values };
        let host = leg_host(cx, &leg, st);
        let mut plan = leg_plan(cx, job, &leg, st, &host);
        if leg.values.is_some() && leg.known().is_none() {
            plan.at_run_time = Some(std::sync::Arc::new(run_time_job(cx, job)));
        }
        match &job.kind {
            JobKind::Steps(sj) => {
                fill_steps_job(cx, sj, &host, &mut plan);
                out.push(plan);
            }
            // A call whose matrix needs run-time contexts stays one placeholder: the run
            // plans its legs (and each leg's call) once the jobs it needs are done.
            JobKind::Call(call) if plan.at_run_time.is_some() => {
                plan.called_from = Some(call.uses.as_str().to_string());
                out.push(plan);
            }
            JobKind::Call(call) => {
                let leg_key = plan.key.clone();
                out.extend(plan_call(cx, job, call, &host, plan, &leg_key)?)
            }
        }
    }
    Ok(out)
}

/// What planning `job` again at run time needs.
fn run_time_job(cx: &JobCx<'_>, job: &Job) -> RunTimeJob {
    RunTimeJob {
        workflow: cx.workflow.clone(),
        job: job.id.value.clone(),
        path: cx.path.to_string(),
        options: cx.opts.clone(),
        host: cx.host.clone(),
        depth: cx.depth,
        prefix: cx.prefix.clone(),
        outer_needs: cx.outer_needs.clone(),
        repo: cx.repo.clone(),
    }
}

/// Plans a job whose matrix needed run-time contexts again, now that `needs` (the
/// `needs` context) is known: its legs, expanded. Local actions and called workflows come
/// from `resolver`.
pub fn replan_job(
    rt: &RunTimeJob,
    needs: Value,
    resolver: &dyn Resolver,
) -> Result<Vec<JobPlan>, PlanError> {
    let mut host = rt.host.clone();
    host.contexts.insert("needs", needs);
    let cx = JobCx {
        workflow: &rt.workflow,
        path: &rt.path,
        opts: &rt.options,
        resolver,
        host: &host,
        depth: rt.depth,
        prefix: rt.prefix.clone(),
        outer_needs: rt.outer_needs.clone(),
        repo: rt.repo.clone(),
        called: &RefCell::new(BTreeSet::new()),
    };
    let job = rt
        .workflow
        .job(&rt.job)
        .ok_or_else(|| PlanError::NoSuchJob {
            job: rt.job.clone(),
        })?;
    let legs = plan_job(&cx, job)?;
    match legs
        .iter()
        .find_map(|l| l.at_run_time.as_ref().and(l.matrix.as_ref()))
    {
        Some(m) => Err(PlanError::MatrixAtRunTime {
            job: rt.job.clone(),
            expression: m
                .get("at_run_time")
                .and_then(|e| e.as_str())
                .unwrap_or("")
                .to_string(),
        }),
        None => Ok(legs),
    }
}

/// A leg's plan before its steps (or the called workflow's jobs) are filled in.
fn leg_plan(cx: &JobCx<'_>, job: &Job, leg: &Leg, st: Strategy, host: &PlanHost) -> JobPlan {
    let needs = needs_of(cx, job);
    let label = leg.known().map(leg_label);
    let key = format!("{}{}", cx.prefix, job.id.value);
    let name = match (&job.name, &label) {
        (Some(n), _) => decide::template_text(&n.value, host),
        (None, Some(l)) => format!("{} {l}", job.id.value),
        (None, None) => job.id.value.clone(),
    };
    let if_text = job.if_.as_ref().map(|s| s.value.as_str());
    let condition = decide::condition(if_text, host, !needs.is_empty());
    JobPlan {
        id: job.id.value.clone(),
        key: label.map_or_else(|| key.clone(), |l| format!("{key} {l}")),
        name,
        needs,
        skip_reason: matches!(condition, Decision::Now { value: false })
            .then(|| format!("`if: {}` is false", if_text.map_or("", str::trim))),
        condition,
        matrix: leg
            .values
            .as_ref()
            .map(|l| Value::object(l.clone()).to_json()),
        runs_on: Vec::new(),
        image: None,
        no_image: false,
        services: Vec::new(),
        steps: Vec::new(),
        concurrency: job
            .concurrency
            .as_ref()
            .and_then(|c| concurrency_plan(&c.value, host)),
        timeout_minutes: timeout_of(job, host),
        continue_on_error: continue_on_error_of(job, host),
        strategy: job.strategy.as_ref().map(|_| StrategyPlan {
            fail_fast: st.fail_fast,
            max_parallel: st.max_parallel,
            total: st.total,
        }),
        called_from: (cx.depth > 0).then(|| cx.path.to_string()),
        env: user_env(cx.workflow, job, host),
        call: None,
        exec: templates::job(cx.workflow, job),
        at_run_time: None,
        secrets: secret_refs(
            secret_names(
                env_texts(&cx.workflow.env)
                    .into_iter()
                    .chain(job_texts(job)),
            ),
            cx.opts,
        ),
    }
}

/// `timeout-minutes` (360 by default), `None` when only run time can tell.
fn timeout_of(job: &Job, host: &PlanHost) -> Option<f64> {
    match job.timeout_minutes.as_ref().map(|t| &t.value) {
        Some(NumOrExpr::Num(n)) => Some(*n),
        Some(NumOrExpr::Expr(e)) => decide::template(e, host)
            .map(|v| v.to_number())
            .filter(|n| !n.is_nan()),
        None => Some(360.0),
    }
}

fn continue_on_error_of(job: &Job, host: &PlanHost) -> Decision {
    match job.continue_on_error.as_ref().map(|c| &c.value) {
        None => Decision::Now { value: false },
        Some(BoolOrExpr::Bool(b)) => Decision::Now { value: *b },
        Some(BoolOrExpr::Expr(e)) => decide::template(e, host).map_or(
            Decision::AtRunTime {
                expression: e.clone(),
            },
            |v| Decision::Now { value: v.truthy() },
        ),
    }
}

fn fill_steps_job(cx: &JobCx<'_>, sj: &StepsJob, host: &PlanHost, plan: &mut JobPlan) {
    let labels: Vec<String> = match sj.runs_on.as_ref().map(|r| &r.value) {
        Some(RunsOn::Labels(l)) => l
            .iter()
            .map(|s| decide::template_text(&s.value, host))
            .collect(),
        Some(RunsOn::Group { group, labels }) => group
            .iter()
            .chain(labels)
            .map(|s| decide::template_text(&s.value, host))
            .collect(),
        None => Vec::new(),
    };
    // A label may evaluate to a JSON list (`runs-on: ${{ fromJSON(...) }}`).
    let labels: Vec<String> = labels
        .into_iter()
        .flat_map(|l| match serde_json::from_str::<Vec<String>>(&l) {
            Ok(list) if l.trim_start().starts_with('[') => list,
            _ => vec![l],
        })
        .collect();
    plan.image = match sj.container.as_ref().and_then(|c| c.image.as_ref()) {
        Some(img) => Some(decide::template_text(&img.value, host)),
        None => cx
            .opts
            .platforms
            .image_for(&labels)
            .map(|(img, _)| img.to_string()),
    };
    if plan.image.is_none() {
        // Nothing to run it in: the run skips it whatever its `if:` says.
        plan.no_image = true;
        if plan.skip_reason.is_none() {
            plan.skip_reason = Some(cx.opts.platform_hint.no_image(&labels));
        }
    }
    plan.runs_on = labels;
    plan.services = sj
        .services
        .iter()
        .map(|(id, c)| ServicePlan {
            id: id.value.clone(),
            image: c
                .image
                .as_ref()
                .map_or_else(String::new, |i| decide::template_text(&i.value, host)),
        })
        .collect();
    let shell = plan.exec.default_shell.clone();
    let cx = StepsCx {
        shown_shell: shell.as_deref().unwrap_or("bash"),
        run_shell: shell.as_deref(),
        host: Some(host),
        resolver: cx.resolver,
        depth: 0,
    };
    plan.steps = plan_steps(&sj.steps, &cx, &mut 0);
}

/// Counts `shown` among the reusable workflows this top-level workflow calls, and refuses
/// a call past GitHub's limits: levels of nesting, unique workflows.
fn within_limits(cx: &JobCx<'_>, job: &str, shown: &str) -> Result<(), PlanError> {
    let (job, uses) = (job.to_string(), shown.to_string());
    // The calling workflow is at level `depth + 1`; the called one would be one below.
    if cx.depth + 2 > MAX_CALL_LEVELS {
        return Err(PlanError::CallTooDeep {
            job,
            uses,
            levels: MAX_CALL_LEVELS,
        });
    }
    let mut called = cx.called.borrow_mut();
    called.insert(uses.clone());
    if called.len() > MAX_UNIQUE_CALLED {
        return Err(PlanError::TooManyCalled {
            job,
            uses,
            limit: MAX_UNIQUE_CALLED,
        });
    }
    Ok(())
}

/// The called workflow at `target` (`shown` in messages) and its `on: workflow_call`
/// declaration.
fn called_workflow(
    cx: &JobCx<'_>,
    job: &Job,
    target: &CallTarget,
    shown: &str,
) -> Result<(Workflow, WorkflowCall), PlanError> {
    within_limits(cx, &job.id.value, shown)?;
    let (job, uses) = (job.id.value.clone(), shown.to_string());
    let found = match target {
        CallTarget::Local(local) => cx.resolver.workflow(local).map_err(RemoteError::Invalid),
        CallTarget::Remote(at) => cx.resolver.remote_workflow(at),
    };
    let called = match found {
        Ok(Some(w)) => w,
        Ok(None) => return Err(PlanError::CalledMissing { job, uses }),
        Err(RemoteError::Invalid(error)) => {
            return Err(PlanError::CalledInvalid { job, uses, error })
        }
        Err(RemoteError::NotFetched { reason }) => {
            return Err(PlanError::CalledNotFetched { job, uses, reason })
        }
    };
    let Some(TriggerConfig::Call(decl)) = called
        .on
        .as_ref()
        .and_then(|o| o.value.get("workflow_call"))
        .map(|t| t.config.clone())
    else {
        return Err(PlanError::NotCallable { job, uses });
    };
    Ok((called, decl))
}

/// What a call's jobs need at run time from the call.
fn call_source(
    cx: &JobCx<'_>,
    call: &CallJob,
    called: &Workflow,
    decl: &WorkflowCall,
    typed: (Object, Vec<(String, String)>),
    caller_key: &str,
) -> CallSource {
    let (inputs, later) = typed;
    CallSource {
        caller_key: caller_key.to_string(),
        inputs,
        later,
        secrets: templates::secrets(&call.secrets),
        outputs: decl
            .outputs
            .iter()
            .map(|o| {
                (
                    o.name.value.clone(),
                    o.value.as_ref().map(|v| v.value.clone()),
                )
            })
            .collect(),
        refusals: gantry_core::policy::check_workflow(called, &cx.opts.policy),
    }
}

/// The call's `with:` typed against the called workflow's inputs: values known now, and
/// expressions left to run time.
fn call_inputs(
    job: &Job,
    call: &CallJob,
    decl: &WorkflowCall,
    shown: &str,
    host: &PlanHost,
) -> Result<(Object, Vec<(String, String)>), PlanError> {
    let mut given: Vec<(String, String)> = Vec::new();
    let mut later: Vec<(String, String)> = Vec::new();
    for (k, v) in call.with.iter() {
        match decide::template(&v.value, host) {
            Some(val) => given.push((k.value.clone(), val.to_text())),
            None => later.push((k.value.clone(), v.value.clone())),
        }
    }
    let inputs =
        type_inputs(&decl.inputs, &given, &later).map_err(|errors| PlanError::CallInputs {
            job: job.id.value.clone(),
            uses: shown.to_string(),
            errors,
        })?;
    Ok((inputs, later))
}

/// Where a job's `uses:` points from the workflow `cx` is in, and how messages name it: as
/// written for a workspace file, `owner/repo/PATH@REF` for another repository's.
fn target_of(cx: &JobCx<'_>, job: &Job, call: &CallJob) -> Result<(CallTarget, String), PlanError> {
    let target = call
        .uses
        .parsed
        .as_ref()
        .ok()
        .and_then(|u| call_target(u, cx.repo.as_ref()));
    match target {
        Some(t @ CallTarget::Local(_)) => Ok((t, call.uses.as_str().to_string())),
        Some(CallTarget::Remote(at)) => {
            let shown = at.to_string();
            Ok((CallTarget::Remote(at), shown))
        }
        None => Err(PlanError::NotCallable {
            job: job.id.value.clone(),
            uses: call.uses.as_str().to_string(),
        }),
    }
}

fn plan_call(
    cx: &JobCx<'_>,
    job: &Job,
    call: &CallJob,
    host: &PlanHost,
    plan: JobPlan,
    leg_key: &str,
) -> Result<Vec<JobPlan>, PlanError> {
    let (target, shown) = target_of(cx, job, call)?;
    let (called, decl) = called_workflow(cx, job, &target, &shown)?;
    let (inputs, later) = call_inputs(job, call, &decl, &shown, host)?;
    let mut inner_host = cx.host.clone();
    inner_host
        .contexts
        .insert("inputs", Value::object(inputs.clone()));
    let path = match &target {
        CallTarget::Local(local) => local.as_str(),
        CallTarget::Remote(_) => shown.as_str(),
    };
    let inner = JobCx {
        workflow: &called,
        path,
        opts: cx.opts,
        resolver: cx.resolver,
        host: &inner_host,
        depth: cx.depth + 1,
        prefix: format!("{leg_key}/"),
        outer_needs: plan.needs.clone(),
        repo: match &target {
            CallTarget::Local(_) => cx.repo.clone(),
            CallTarget::Remote(at) => Some(at.repo.clone()),
        },
        called: cx.called,
    };
    let mut jobs = plan_jobs(&inner)?;
    let source = call_source(cx, call, &called, &decl, (inputs, later), leg_key);
    let source = std::sync::Arc::new(source);
    for j in &mut jobs {
        if j.call.is_none() {
            j.call = Some(source.clone());
        }
        if let (Decision::Now { value: false }, Some(r)) = (&plan.condition, &plan.skip_reason) {
            j.condition = Decision::Now { value: false };
            j.skip_reason = Some(format!("the calling job: {r}"));
        }
        j.called_from = Some(shown.clone());
    }
    Ok(jobs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::validate::{check_text, FileKind};

    /// The matrix of a job whose `strategy.matrix` holds `lines` (indented 8 spaces).
    fn matrix_of(lines: &str) -> Matrix {
        let text = format!("on: push\njobs:\n  a:\n    runs-on: x\n    strategy:\n      matrix:\n{lines}    steps: [{{run: a}}]\n");
        let wf = check_text(&text, FileKind::Workflow).workflow.unwrap();
        let strategy = wf.jobs[0].strategy.as_ref().unwrap();
        strategy.matrix.as_ref().unwrap().value.clone()
    }

    /// The values of the first job's matrix dimension, as JSON text.
    fn dimension(os: &str) -> String {
        let m = matrix_of(&format!("        os: {os}\n"));
        let Matrix::Map(map) = &m else {
            panic!("a map")
        };
        let Dimension::Values(items) = &map.dims[0].1.value else {
            panic!("values")
        };
        let values = dimension_values(items, &PlanHost::default()).unwrap();
        Value::array(values).to_json().to_string()
    }

    #[test]
    fn an_expression_item_yielding_an_array_is_spliced() {
        // GitHub: the array an item's expression yields is spliced into the dimension; a
        // literal nested list stays one value.
        for (os, want) in [
            (
                r#"[a, "${{ fromJSON('[\"b\",\"c\"]') }}"]"#,
                r#"["a","b","c"]"#,
            ),
            ("[a, [b, c]]", r#"["a",["b","c"]]"#),
            (r#"[a, "${{ 'b' }}"]"#, r#"["a","b"]"#),
        ] {
            assert_eq!(dimension(os), want, "{os}");
        }
    }

    /// The names of a matrix's dimensions once expanded now, or `None` when it waits for
    /// the run.
    fn dimension_names(matrix: &str, host: &PlanHost) -> Option<Vec<String>> {
        let spec = matrix_spec(&matrix_of(matrix), host).ok()?;
        Some(spec.dims.into_iter().map(|(k, _)| k).collect())
    }

    #[test]
    fn expressions_in_matrix_keys_name_their_dimension() {
        // GitHub evaluates `${{ }}` in a matrix's keys as in its values: with what is known
        // when the job is planned, else once the run knows (`needs` outputs).
        let host = PlanHost::default();
        let names = |m: &str| dimension_names(m, &host);
        let both = ["os".to_string(), "node".to_string()];
        assert_eq!(
            names("        ${{ format('o{0}', 's') }}: [a, b]\n        node: [1]\n").as_deref(),
            Some(&both[..])
        );
        assert_eq!(
            names("        os: [a]\n        \"${{ 'node' }}\": [1]\n").as_deref(),
            Some(&both[..])
        );
        assert_eq!(names("        ${{ needs.setup.outputs.key }}: [a]\n"), None);
    }
}
