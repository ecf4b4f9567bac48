//! Planning one job: its matrix legs, image, steps, conditions, env and secret names — or,
//! for a job that calls a local reusable workflow, the called workflow's jobs.

use super::build::{concurrency_plan, plan_jobs, PlanOptions};
use super::context::PlanHost;
use super::decide;
use super::inputs::type_inputs;
use super::matrix::{expand, leg_label, MatrixSpec};
use super::resolve::Resolver;
use super::steps::plan_step;
use super::types::*;
use crate::expr::{context_refs, parse_template, Object, Value};
use crate::model::*;
use crate::yaml::node::{Node, NodeKind, Resolved};

/// GitHub lets reusable workflows nest four levels deep; a loop must not recurse forever.
const MAX_CALL_DEPTH: usize = 4;

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

/// The matrix as values, or the expression text when it is only known at run time.
fn matrix_spec(m: &Matrix, host: &PlanHost) -> Result<MatrixSpec, String> {
    match m {
        Matrix::Expr(e) => {
            let v = decide::template(&e.value, host).ok_or_else(|| e.value.clone())?;
            let Value::Object(o) = v else {
                return Err(e.value.clone());
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
                    Dimension::Values(items) => items
                        .iter()
                        .map(|i| node_value(i, host))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| k.value.clone())?,
                    Dimension::Expr(e) => match decide::template(e, host) {
                        Some(Value::Array(a)) => (*a).clone(),
                        _ => return Err(e.clone()),
                    },
                };
                spec.dims.push((k.value.clone(), values));
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
                                .ok_or("include/exclude")?,
                        ),
                        Combos::Expr(e) => decide::template(e, host).ok_or_else(|| e.clone())?,
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
        for step in crate::validate::flatten_steps(&s.steps) {
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

pub fn plan_job(cx: &JobCx<'_>, job: &Job) -> Result<Vec<JobPlan>, String> {
    let mut needs: Vec<String> = job
        .needs
        .iter()
        .map(|n| format!("{}{}", cx.prefix, n.value))
        .collect();
    if needs.is_empty() {
        needs = cx.outer_needs.clone();
    }
    let after_others = !needs.is_empty();
    let key = format!("{}{}", cx.prefix, job.id.value);
    let (fail_fast, max_parallel) = match &job.strategy {
        Some(s) => (
            !matches!(
                s.fail_fast.as_ref().map(|f| &f.value),
                Some(BoolOrExpr::Bool(false))
            ),
            s.max_parallel.as_ref().and_then(|m| {
                if let NumOrExpr::Num(n) = m.value {
                    Some(n as u32)
                } else {
                    None
                }
            }),
        ),
        None => (true, None),
    };
    let legs: Vec<Option<Object>> = match job.strategy.as_ref().and_then(|s| s.matrix.as_ref()) {
        None => vec![None],
        Some(m) => match matrix_spec(&m.value, cx.host) {
            Ok(spec) => expand(&spec)
                .map_err(|e| format!("job `{}`: {e}", job.id.value))?
                .into_iter()
                .map(Some)
                .collect(),
            Err(expr) => {
                // Known only at run time: one placeholder leg that says so.
                let mut o = Object::new();
                o.insert("at_run_time".into(), Value::str(&expr));
                vec![Some(o)]
            }
        },
    };
    let total = legs.len();
    let mut out = Vec::new();
    for (index, leg) in legs.into_iter().enumerate() {
        let mut host = cx.host.clone();
        let mut strategy = Object::new();
        strategy.insert("fail-fast".into(), Value::Bool(fail_fast));
        strategy.insert("job-index".into(), Value::Number(index as f64));
        strategy.insert("job-total".into(), Value::Number(total as f64));
        strategy.insert(
            "max-parallel".into(),
            Value::Number(max_parallel.map_or(total as f64, f64::from)),
        );
        host.contexts.insert("strategy", Value::object(strategy));
        let known_leg = leg.as_ref().filter(|l| !l.contains_key("at_run_time"));
        if let Some(l) = known_leg {
            host.contexts.insert("matrix", Value::object(l.clone()));
        } else if leg.is_none() {
            host.contexts.insert("matrix", Value::object(Object::new()));
        }
        let label = known_leg.map(leg_label);
        let leg_key = match &label {
            Some(l) => format!("{key} {l}"),
            None => key.clone(),
        };
        let name = match &job.name {
            Some(n) => decide::template_text(&n.value, &host),
            None => match &label {
                Some(l) => format!("{} {l}", job.id.value),
                None => job.id.value.clone(),
            },
        };
        let condition = decide::condition(
            job.if_.as_ref().map(|s| s.value.as_str()),
            &host,
            after_others,
        );
        let mut plan = JobPlan {
            id: job.id.value.clone(),
            key: leg_key.clone(),
            name,
            needs: needs.clone(),
            skip_reason: matches!(condition, Decision::Now { value: false }).then(|| {
                format!(
                    "`if: {}` is false",
                    job.if_.as_ref().map_or("", |s| s.value.trim())
                )
            }),
            condition,
            matrix: leg.as_ref().map(|l| Value::object(l.clone()).to_json()),
            runs_on: Vec::new(),
            image: None,
            services: Vec::new(),
            steps: Vec::new(),
            concurrency: job
                .concurrency
                .as_ref()
                .and_then(|c| concurrency_plan(&c.value, &host)),
            timeout_minutes: match job.timeout_minutes.as_ref().map(|t| &t.value) {
                Some(NumOrExpr::Num(n)) => Some(*n),
                Some(NumOrExpr::Expr(e)) => decide::template(e, &host)
                    .map(|v| v.to_number())
                    .filter(|n| !n.is_nan()),
                None => Some(360.0),
            },
            continue_on_error: match job.continue_on_error.as_ref().map(|c| &c.value) {
                None => Decision::Now { value: false },
                Some(BoolOrExpr::Bool(b)) => Decision::Now { value: *b },
                Some(BoolOrExpr::Expr(e)) => decide::template(e, &host).map_or(
                    Decision::AtRunTime {
                        expression: e.clone(),
                    },
                    |v| Decision::Now { value: v.truthy() },
                ),
            },
            strategy: job.strategy.as_ref().map(|_| StrategyPlan {
                fail_fast,
                max_parallel,
                total,
            }),
            called_from: (cx.depth > 0).then(|| cx.path.to_string()),
            env: user_env(cx.workflow, job, &host),
            call: None,
            secrets: secret_refs(
                secret_names(
                    env_texts(&cx.workflow.env)
                        .into_iter()
                        .chain(job_texts(job)),
                ),
                cx.opts,
            ),
        };
        match &job.kind {
            JobKind::Steps(sj) => {
                fill_steps_job(cx, job, sj, &host, &mut plan);
                out.push(plan);
            }
            JobKind::Call(call) => out.extend(plan_call(cx, job, call, &host, plan, &leg_key)?),
        }
    }
    Ok(out)
}

fn fill_steps_job(cx: &JobCx<'_>, job: &Job, sj: &StepsJob, host: &PlanHost, plan: &mut JobPlan) {
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
    if plan.image.is_none() && plan.skip_reason.is_none() {
        let first = labels
            .first()
            .cloned()
            .unwrap_or_else(|| "ubuntu-latest".into());
        plan.skip_reason = Some(format!(
            "no image for runs-on [{}]; map a label with -P {first}=IMAGE",
            labels.join(", ")
        ));
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
    let shell = job
        .defaults
        .as_ref()
        .and_then(|d| d.shell.as_ref())
        .or_else(|| cx.workflow.defaults.as_ref().and_then(|d| d.shell.as_ref()))
        .map_or_else(|| "bash".to_string(), |s| s.value.clone());
    plan.steps = plan_steps(&sj.steps, &shell, host, cx.resolver, &mut 0);
}

fn plan_steps(
    steps: &[Step],
    shell: &str,
    host: &PlanHost,
    resolver: &dyn Resolver,
    index: &mut usize,
) -> Vec<StepPlan> {
    steps
        .iter()
        .map(|s| {
            *index += 1;
            let cond = decide::condition(s.if_.as_ref().map(|c| c.value.as_str()), host, true);
            let mut p = plan_step(*index, s, shell, cond, resolver);
            if let (StepAction::Parallel(inner), StepKind::Parallel { steps }) =
                (&s.action, &mut p.kind)
            {
                *steps = plan_steps(inner, shell, host, resolver, index);
            }
            p
        })
        .collect()
}

fn plan_call(
    cx: &JobCx<'_>,
    job: &Job,
    call: &CallJob,
    host: &PlanHost,
    mut plan: JobPlan,
    leg_key: &str,
) -> Result<Vec<JobPlan>, String> {
    let uses = call.uses.value.as_str();
    let Some(local) = uses.strip_prefix("./").or_else(|| uses.strip_prefix("$/")) else {
        plan.called_from = Some(uses.to_string());
        plan.skip_reason.get_or_insert_with(|| {
            format!("calls the remote reusable workflow {uses}, fetched at run time")
        });
        return Ok(vec![plan]);
    };
    if cx.depth >= MAX_CALL_DEPTH {
        return Err(format!(
            "job `{}` calls {uses}, nesting reusable workflows deeper than {MAX_CALL_DEPTH} levels",
            job.id.value
        ));
    }
    let called = match cx.resolver.workflow(local) {
        Ok(Some(w)) => w,
        Ok(None) => {
            return Err(format!(
                "job `{}` calls {uses}, which does not exist",
                job.id.value
            ))
        }
        Err(e) => {
            return Err(format!(
                "job `{}` calls {uses}, which is invalid: {e}",
                job.id.value
            ))
        }
    };
    let Some(TriggerConfig::Call(decl)) = called
        .on
        .as_ref()
        .and_then(|o| o.value.get("workflow_call"))
        .map(|t| t.config.clone())
    else {
        return Err(format!(
            "job `{}` calls {uses}, which has no `on: workflow_call`",
            job.id.value
        ));
    };
    let mut given: Vec<(String, String)> = Vec::new();
    let mut later: Vec<(String, String)> = Vec::new();
    for (k, v) in call.with.iter() {
        match decide::template(&v.value, host) {
            Some(val) => given.push((k.value.clone(), val.to_text())),
            None => later.push((k.value.clone(), v.value.clone())),
        }
    }
    let inputs = type_inputs(&decl.inputs, &given, &later)
        .map_err(|e| format!("job `{}` calling {uses}: {}", job.id.value, e.join("; ")))?;
    let mut inner_host = cx.host.clone();
    inner_host
        .contexts
        .insert("inputs", Value::object(inputs.clone()));
    let inner = JobCx {
        workflow: &called,
        path: local,
        opts: cx.opts,
        resolver: cx.resolver,
        host: &inner_host,
        depth: cx.depth + 1,
        prefix: format!("{leg_key}/"),
        outer_needs: plan.needs.clone(),
    };
    let mut jobs = plan_jobs(&inner)?;
    let source = std::sync::Arc::new(CallSource {
        workflow: called.clone(),
        caller_key: leg_key.to_string(),
        inputs,
        later: later.clone(),
        secrets: call.secrets.clone(),
        outputs: decl.outputs.clone(),
    });
    for j in &mut jobs {
        if j.call.is_none() {
            j.call = Some(source.clone());
        }
        if let (Decision::Now { value: false }, Some(r)) = (&plan.condition, &plan.skip_reason) {
            j.condition = Decision::Now { value: false };
            j.skip_reason = Some(format!("the calling job: {r}"));
        }
        j.called_from = Some(uses.to_string());
    }
    Ok(jobs)
}
