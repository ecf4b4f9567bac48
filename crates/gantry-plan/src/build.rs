//! Building the `Plan`: for each workflow, match the event, type the inputs, order the jobs,
//! expand matrices and calls of local reusable workflows, and decide what is known now.

use super::context::{github_context, PlanHost};
use super::dag::topo_order;
use super::decide;
use super::error::PlanError;
use super::inputs::{type_inputs, InputError};
use super::jobs::{plan_job, JobCx};
use super::platform::{PlatformHint, PlatformMap};
use super::problem::WorkflowProblem;
use super::resolve::{FileProblem, Resolver};
use super::types::*;
use crate::event::Event;
use crate::matching::match_workflow;
use gantry_core::expr::{Object, Value};
use gantry_core::model::{TriggerConfig, Workflow};

/// How to plan: the platform map, a job to select, `vars`, and where secrets come from.
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    pub platforms: PlatformMap,
    /// How the front maps labels (`-P`, `[platforms]`), for the reason of a job without
    /// an image.
    pub platform_hint: PlatformHint,
    /// Plan only this job (and the jobs it needs, transitively).
    pub job: Option<String>,
    pub vars: Object,
    /// Secret name → where it comes from ("vault secret/data/app#password", "env", ...).
    pub secret_sources: Vec<(String, String)>,
    /// What workflows may ask of the host: refusals keep the workflow from running.
    pub policy: std::sync::Arc<gantry_core::policy::Policy>,
}

/// One workflow file as the planner receives it.
pub struct WorkflowFile<'a> {
    pub path: &'a str,
    /// `None` when the file could not be read into a workflow at all.
    pub workflow: Option<&'a Workflow>,
    /// Validation errors in the file (with `file:line:col`), which keep it from running.
    pub errors: Vec<FileProblem>,
}

pub fn plan(
    ev: &Event,
    files: &[WorkflowFile<'_>],
    opts: &PlanOptions,
    resolver: &dyn Resolver,
) -> Plan {
    let workflows = files
        .iter()
        .map(|f| plan_workflow(ev, f, opts, resolver))
        .collect();
    Plan {
        event: EventSummary {
            name: ev.name.clone(),
            git_ref: ev.meta.git_ref.clone(),
            sha: ev.meta.sha.clone(),
            action: ev.meta.action.clone(),
            synthetic: ev.meta.synthetic,
        },
        workflows,
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The problems that keep `file` from running, as the plan shows them.
fn file_problems(file: &WorkflowFile<'_>) -> Vec<WorkflowProblem> {
    file.errors
        .iter()
        .cloned()
        .map(WorkflowProblem::from)
        .collect()
}

/// The contexts a workflow's own expressions see when it is planned.
fn workflow_host(
    ev: &Event,
    name: &str,
    path: &str,
    inputs: &Object,
    opts: &PlanOptions,
) -> PlanHost {
    let mut host = PlanHost::default();
    host.contexts
        .insert("github", github_context(ev, name, path));
    host.contexts
        .insert("inputs", Value::object(inputs.clone()));
    host.contexts
        .insert("vars", Value::object(opts.vars.clone()));
    host
}

fn plan_workflow(
    ev: &Event,
    file: &WorkflowFile<'_>,
    opts: &PlanOptions,
    resolver: &dyn Resolver,
) -> WorkflowOutcome {
    let short = file_name(file.path);
    let mut out = WorkflowOutcome {
        file: file.path.to_string(),
        name: short.to_string(),
        matched: false,
        reasons: Vec::new(),
        errors: Vec::new(),
        run: None,
    };
    let Some(wf) = file.workflow else {
        out.reasons
            .push("the file is not a readable workflow".into());
        out.errors = file_problems(file);
        return out;
    };
    if let Some(n) = &wf.name {
        out.name = n.value.clone();
    }
    let m = match_workflow(wf, short, ev);
    out.matched = m.matched;
    out.reasons = m.reasons;
    if !out.matched {
        return out;
    }
    if !file.errors.is_empty() {
        out.errors = file_problems(file);
        return out;
    }
    let inputs = match workflow_inputs(wf, ev) {
        Ok(i) => i,
        Err(errs) => {
            out.errors = errs.into_iter().map(WorkflowProblem::from).collect();
            return out;
        }
    };
    let host = workflow_host(ev, &out.name, file.path, &inputs, opts);
    let run_name = wf
        .run_name
        .as_ref()
        .map(|r| decide::template_text(&r.value, &host));
    let concurrency = wf
        .concurrency
        .as_ref()
        .and_then(|c| concurrency_plan(&c.value, &host));
    let cx = JobCx {
        workflow: wf,
        path: file.path,
        opts,
        resolver,
        host: &host,
        depth: 0,
        prefix: String::new(),
        outer_needs: Vec::new(),
        repo: None,
        called: &std::cell::RefCell::new(std::collections::BTreeSet::new()),
    };
    let jobs = match plan_jobs(&cx) {
        Ok(j) => j,
        Err(e) => {
            out.errors.push(e.into());
            return out;
        }
    };
    out.errors = policy_errors(wf, file.path, &jobs, &opts.policy);
    if jobs.is_empty() {
        if let Some(j) = &opts.job {
            out.matched = false;
            out.reasons.push(format!("the workflow has no job `{j}`"));
            return out;
        }
    }
    let step_environment = step_environment(ev, &out.name, file.path);
    out.run = Some(WorkflowPlan {
        run_name,
        concurrency,
        jobs,
        step_environment,
        inputs: Value::object(inputs)
            .to_json()
            .as_object()
            .cloned()
            .unwrap_or_default(),
    });
    out
}

/// What the policy refuses in the workflow and in the local reusable workflows it calls,
/// as `file:line:col: ...` errors: the run is refused before any container starts.
fn policy_errors(
    wf: &Workflow,
    path: &str,
    jobs: &[JobPlan],
    policy: &gantry_core::policy::Policy,
) -> Vec<WorkflowProblem> {
    let refused = |file: &str, refusal: &gantry_core::policy::Located| WorkflowProblem::Refused {
        file: file.to_string(),
        refusal: refusal.clone(),
    };
    let mut errors: Vec<WorkflowProblem> = gantry_core::policy::check_workflow(wf, policy)
        .iter()
        .map(|l| refused(path, l))
        .collect();
    let mut seen: Vec<*const CallSource> = Vec::new();
    for j in jobs {
        let Some(call) = &j.call else { continue };
        if seen.contains(&std::sync::Arc::as_ptr(call)) {
            continue;
        }
        seen.push(std::sync::Arc::as_ptr(call));
        let file = j.called_from.as_deref().unwrap_or(path);
        errors.extend(call.refusals.iter().map(|l| refused(file, l)));
    }
    errors
}

pub(crate) fn concurrency_plan(
    c: &gantry_core::model::Concurrency,
    host: &PlanHost,
) -> Option<ConcurrencyPlan> {
    let group = c.group.as_ref()?;
    let cancel = match &c.cancel_in_progress {
        None => Decision::Now { value: false },
        Some(b) => match &b.value {
            gantry_core::model::BoolOrExpr::Bool(v) => Decision::Now { value: *v },
            gantry_core::model::BoolOrExpr::Expr(e) => match decide::template(e, host) {
                Some(v) => Decision::Now { value: v.truthy() },
                None => Decision::AtRunTime {
                    expression: e.clone(),
                },
            },
        },
    };
    Some(ConcurrencyPlan {
        group: decide::template_text(&group.value, host),
        cancel_in_progress: cancel,
    })
}

/// `inputs` for this run: typed dispatch inputs, else the declared defaults.
fn workflow_inputs(wf: &Workflow, ev: &Event) -> Result<Object, Vec<InputError>> {
    let Some(on) = &wf.on else {
        return Ok(Object::new());
    };
    if ev.name == "workflow_dispatch" {
        if let Some(TriggerConfig::Dispatch(declared)) =
            on.value.get("workflow_dispatch").map(|t| &t.config)
        {
            return type_inputs(declared, &ev.meta.inputs, &[]);
        }
    }
    Ok(Object::new())
}

/// Jobs in dependency order, restricted to `opts.job` and what it needs.
pub(crate) fn plan_jobs(cx: &JobCx<'_>) -> Result<Vec<JobPlan>, PlanError> {
    let wf = cx.workflow;
    let ids: Vec<&str> = wf.jobs.iter().map(|j| j.id.value.as_str()).collect();
    let needs: Vec<Vec<&str>> = wf
        .jobs
        .iter()
        .map(|j| j.needs.iter().map(|n| n.value.as_str()).collect())
        .collect();
    let order = topo_order(&ids, &needs).map_err(PlanError::Cycle)?;
    let selected = match (&cx.opts.job, cx.depth) {
        (Some(j), 0) => {
            let mut keep = vec![false; ids.len()];
            let mut stack: Vec<usize> = ids.iter().position(|i| i == j).into_iter().collect();
            while let Some(i) = stack.pop() {
                if !keep[i] {
                    keep[i] = true;
                    stack.extend(
                        needs[i]
                            .iter()
                            .filter_map(|n| ids.iter().position(|x| x == n)),
                    );
                }
            }
            keep
        }
        _ => vec![true; ids.len()],
    };
    let mut out = Vec::new();
    for i in order {
        if selected[i] {
            out.extend(plan_job(cx, &wf.jobs[i])?);
        }
    }
    Ok(out)
}

/// The `GITHUB_*`/`RUNNER_*` variables and files each step gets (values known at plan time).
fn step_environment(ev: &Event, workflow: &str, path: &str) -> StepEnvironment {
    let later = || "(at run time)".to_string();
    let or_later = |v: Option<&str>| v.map_or_else(later, str::to_string);
    let variables = vec![
        ("CI".into(), "true".into()),
        ("GITHUB_ACTIONS".into(), "true".into()),
        ("GITHUB_EVENT_NAME".into(), ev.name.clone()),
        (
            "GITHUB_EVENT_PATH".into(),
            "/github/workflow/event.json".into(),
        ),
        ("GITHUB_REF".into(), or_later(ev.meta.git_ref.as_deref())),
        ("GITHUB_REF_NAME".into(), or_later(ev.ref_name())),
        (
            "GITHUB_REF_TYPE".into(),
            if ev.is_tag() {
                "tag".into()
            } else {
                "branch".into()
            },
        ),
        ("GITHUB_SHA".into(), or_later(ev.meta.sha.as_deref())),
        (
            "GITHUB_REPOSITORY".into(),
            ev.meta
                .repository
                .clone()
                .unwrap_or_else(|| "local/repository".into()),
        ),
        (
            "GITHUB_ACTOR".into(),
            ev.meta.actor.clone().unwrap_or_else(|| "gantry".into()),
        ),
        ("GITHUB_WORKFLOW".into(), workflow.to_string()),
        ("GITHUB_WORKFLOW_REF".into(), path.to_string()),
        ("GITHUB_WORKSPACE".into(), "/github/workspace".into()),
        ("GITHUB_RUN_ID".into(), later()),
        ("GITHUB_RUN_NUMBER".into(), later()),
        ("GITHUB_JOB".into(), "(the job id)".into()),
        (
            "GITHUB_OUTPUT".into(),
            "/github/file_commands/output_<step>".into(),
        ),
        (
            "GITHUB_ENV".into(),
            "/github/file_commands/env_<step>".into(),
        ),
        (
            "GITHUB_PATH".into(),
            "/github/file_commands/path_<step>".into(),
        ),
        (
            "GITHUB_STATE".into(),
            "/github/file_commands/state_<step>".into(),
        ),
        (
            "GITHUB_STEP_SUMMARY".into(),
            "/github/file_commands/summary_<step>".into(),
        ),
        ("RUNNER_OS".into(), "Linux".into()),
        ("RUNNER_ARCH".into(), "X64".into()),
        ("RUNNER_TEMP".into(), "/github/runner_temp".into()),
        ("RUNNER_TOOL_CACHE".into(), "/github/tool_cache".into()),
    ];
    let files = vec![
        (
            "/github/workflow/event.json".into(),
            format!("the {} event payload (github.event)", ev.name),
        ),
        ("/github/workspace".into(), "the repository checkout".into()),
        (
            "/run/secrets/<NAME>".into(),
            "each secret the job uses, on tmpfs, mode 0400".into(),
        ),
    ];
    StepEnvironment { variables, files }
}
