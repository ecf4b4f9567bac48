//! The checked model's texts as the plan's execution templates ([`super::exec`]): what a
//! job or step evaluates when it runs, copied out of the model once, by the planner, so
//! that the engine never looks a job or step up in the model again.

use super::exec::{
    ContainerTemplate, EnvTemplate, JobExec, PassedSecrets, Placed, Setting, StepExec,
};
use gantry_core::model::{
    BoolOrExpr, CallSecrets, Container, Defaults, Env, Job, JobKind, NumOrExpr, Step, StepAction,
    Str, StrMap, Workflow,
};

pub fn env(env: &Env) -> EnvTemplate {
    match env {
        Env::Map(m) => EnvTemplate::Map(pairs(m)),
        Env::Expr(e) => EnvTemplate::Expr(e.value.clone()),
    }
}

pub fn pairs(m: &StrMap) -> Vec<(String, String)> {
    m.iter()
        .map(|(k, v)| (k.value.clone(), v.value.clone()))
        .collect()
}

fn text(s: &Option<Str>) -> Option<String> {
    s.as_ref().map(|s| s.value.clone())
}

pub fn flag(b: &BoolOrExpr) -> Setting<bool> {
    match b {
        BoolOrExpr::Bool(b) => Setting::Value(*b),
        BoolOrExpr::Expr(e) => Setting::Expr(e.clone()),
    }
}

pub fn number(n: &NumOrExpr) -> Setting<f64> {
    match n {
        NumOrExpr::Num(n) => Setting::Value(*n),
        NumOrExpr::Expr(e) => Setting::Expr(e.clone()),
    }
}

fn placed(s: &Str) -> Placed {
    Placed {
        text: s.value.clone(),
        line: s.span.start.line,
        col: s.span.start.col,
    }
}

/// What a step evaluates when it runs.
pub fn step(step: &Step) -> StepExec {
    let (uses, with) = match &step.action {
        StepAction::Uses { uses, with } => (Some(uses.as_str().to_string()), pairs(with)),
        _ => (None, Vec::new()),
    };
    StepExec {
        name: text(&step.name),
        if_: text(&step.if_),
        env: env(&step.env),
        continue_on_error: step.continue_on_error.as_ref().map(|c| flag(&c.value)),
        timeout_minutes: step.timeout_minutes.as_ref().map(|t| number(&t.value)),
        working_directory: text(&step.working_directory),
        uses,
        with,
        background: step.background.as_ref().map(|b| flag(&b.value)),
    }
}

/// `defaults.run.<field>` of the job, else of the workflow.
fn default_of(wf: &Workflow, job: &Job, f: fn(&Defaults) -> &Option<Str>) -> Option<String> {
    job.defaults
        .as_ref()
        .and_then(|d| f(d).as_ref())
        .or_else(|| wf.defaults.as_ref().and_then(|d| f(d).as_ref()))
        .map(|s| s.value.clone())
}

/// What a job evaluates when it starts and ends.
pub fn job(wf: &Workflow, job: &Job) -> JobExec {
    let (container, services) = match &job.kind {
        JobKind::Steps(sj) => (
            sj.container.as_ref().map(container),
            sj.services
                .iter()
                .map(|(id, c)| (id.value.clone(), container(c)))
                .collect(),
        ),
        JobKind::Call(_) => (None, Vec::new()),
    };
    JobExec {
        if_: text(&job.if_),
        workflow_env: env(&wf.env),
        env: env(&job.env),
        container,
        services,
        outputs: pairs(&job.outputs),
        default_shell: default_of(wf, job, |d| &d.shell),
        default_working_directory: default_of(wf, job, |d| &d.working_directory),
    }
}

pub fn container(c: &Container) -> ContainerTemplate {
    ContainerTemplate {
        image: text(&c.image),
        credentials: c.credentials.as_ref().map(|(u, p)| (text(u), text(p))),
        env: env(&c.env),
        ports: c.ports.iter().map(placed).collect(),
        volumes: c.volumes.iter().map(placed).collect(),
        options: c.options.as_ref().map(placed),
    }
}

pub fn secrets(s: &CallSecrets) -> PassedSecrets {
    match s {
        CallSecrets::None => PassedSecrets::None,
        CallSecrets::Inherit(_) => PassedSecrets::Inherit,
        CallSecrets::Map(m) => PassedSecrets::Map(pairs(m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::validate::{check_bytes, FileKind};

    fn workflow(text: &str) -> Workflow {
        check_bytes(text.as_bytes(), FileKind::Workflow)
            .workflow
            .expect("a workflow")
    }

    #[test]
    fn a_job_and_its_steps_keep_their_texts() {
        let wf = workflow(
            "on: push\nenv: {A: '1'}\ndefaults: {run: {shell: sh}}\njobs:\n  j:\n    runs-on: x\n    env: {B: '${{ env.A }}'}\n    outputs: {o: '${{ steps.s.outputs.v }}'}\n    container:\n      image: img\n      ports: ['80']\n    steps:\n      - id: s\n        if: always()\n        continue-on-error: ${{ true }}\n        timeout-minutes: 2\n        working-directory: sub\n        uses: ./act\n        with: {who: me}\n",
        );
        let j = job(&wf, &wf.jobs[0]);
        assert_eq!(
            j.workflow_env,
            EnvTemplate::Map(vec![("A".into(), "1".into())])
        );
        assert_eq!(
            j.env,
            EnvTemplate::Map(vec![("B".into(), "${{ env.A }}".into())])
        );
        assert_eq!(j.default_shell.as_deref(), Some("sh"));
        assert_eq!(j.outputs[0].0, "o");
        let c = j.container.unwrap();
        assert_eq!((c.ports[0].text.as_str(), c.ports[0].line), ("80", 11));
        let JobKind::Steps(sj) = &wf.jobs[0].kind else {
            panic!("a steps job")
        };
        let s = step(&sj.steps[0]);
        assert_eq!(s.if_.as_deref(), Some("always()"));
        assert_eq!(
            s.continue_on_error,
            Some(Setting::Expr("${{ true }}".into()))
        );
        assert_eq!(s.timeout_minutes, Some(Setting::Value(2.0)));
        assert_eq!(s.uses.as_deref(), Some("./act"));
        assert_eq!(s.with, vec![("who".to_string(), "me".to_string())]);
    }
}
