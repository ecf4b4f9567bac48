//! Resolving what each step is: a script, a container image, a local action (Dockerfile,
//! image, composite or JavaScript, its `action.yml` planned here, composite steps and
//! all), or a remote action planned when the run downloads it. `uses:` arrives parsed
//! (the model's [`Uses`], from [`gantry_core::action_ref`]), so a step's kind follows from
//! what it names. The engine's run-time planning of downloaded actions calls
//! [`action_plan`] too.

use super::context::PlanHost;
use super::decide;
use super::exec::{ActionPlan, ActionRuns, Control, DockerRuns, NodeRuns};
use super::resolve::{ActionLookup, Resolver};
use super::templates;
use super::types::{Decision, StepKind, StepPlan};
use gantry_core::action_ref::ActionRef;
use gantry_core::model::{Action, RunsKind, Step, StepAction, Uses};
use std::sync::Arc;

/// GitHub runs composite actions nested up to ten deep; an action that uses itself must
/// not make planning recurse forever.
const MAX_ACTION_DEPTH: usize = 10;

/// How a list of steps is planned.
pub struct StepsCx<'a> {
    /// The shell shown for `run:` steps without `shell:`.
    pub shown_shell: &'a str,
    /// The shell they run with (`defaults.run.shell`; none inside composite actions).
    pub run_shell: Option<&'a str>,
    /// What plan-time decisions of `if:` know; `None` leaves every `if:` to run time
    /// (a composite action's steps see the action's inputs, not the workflow's).
    pub host: Option<&'a PlanHost>,
    pub resolver: &'a dyn Resolver,
    /// How many composite actions deep these steps are.
    pub depth: usize,
}

/// Plans steps in order; `index` numbers them across parallel groups.
pub fn plan_steps(steps: &[Step], cx: &StepsCx<'_>, index: &mut usize) -> Vec<StepPlan> {
    steps
        .iter()
        .map(|s| {
            *index += 1;
            let text = s.if_.as_ref().map(|c| c.value.as_str());
            let cond = match cx.host {
                Some(host) => decide::condition(text, host, true),
                None => match text {
                    None => Decision::Now { value: true },
                    Some(t) => Decision::AtRunTime {
                        expression: t.trim().to_string(),
                    },
                },
            };
            let mut p = plan_step(*index, s, cx, cond);
            if let (StepAction::Parallel(inner), StepKind::Parallel { steps }) =
                (&s.action, &mut p.kind)
            {
                *steps = plan_steps(inner, cx, index);
            }
            p
        })
        .collect()
}

pub fn plan_step(index: usize, step: &Step, cx: &StepsCx<'_>, condition: Decision) -> StepPlan {
    StepPlan {
        index,
        id: step.id.as_ref().map(|i| i.value.clone()),
        name: step.label(),
        kind: step_kind(step, cx),
        condition,
        exec: templates::step(step),
    }
}

pub fn step_kind(step: &Step, cx: &StepsCx<'_>) -> StepKind {
    match &step.action {
        StepAction::Run(script) => {
            let given = step.shell.as_ref().map(|s| s.value.clone());
            StepKind::Run {
                shell: given.clone().unwrap_or_else(|| cx.shown_shell.to_string()),
                script: script.value.clone(),
                run_shell: given.or_else(|| cx.run_shell.map(str::to_string)),
            }
        }
        StepAction::Uses { uses, .. } => uses_kind(uses, cx),
        StepAction::Parallel(_) => StepKind::Parallel { steps: Vec::new() },
        StepAction::Wait(ids) => {
            let ids: Vec<String> = ids.iter().map(|i| i.value.clone()).collect();
            StepKind::Control {
                what: format!("wait for {}", ids.join(", ")),
                control: Control::Wait(ids),
            }
        }
        StepAction::WaitAll(_) => StepKind::Control {
            what: "wait for every background step".into(),
            control: Control::WaitAll,
        },
        StepAction::Cancel(id) => StepKind::Control {
            what: format!("cancel {}", id.value),
            control: Control::Cancel(id.value.clone()),
        },
        StepAction::Invalid => StepKind::Invalid {
            reason: "the step has neither `run` nor `uses`".into(),
            error: None,
        },
    }
}

/// A step's `uses:` was parsed as a step's when lowered, so an `Ok` never names a
/// reusable workflow.
fn uses_kind(uses: &Uses, cx: &StepsCx<'_>) -> StepKind {
    match &uses.parsed {
        Ok(ActionRef::Docker(d)) => StepKind::DockerImage {
            image: d.to_string(),
        },
        Ok(ActionRef::Local { path, .. }) => local_kind(path.trim_end_matches('/'), cx),
        Ok(ActionRef::Remote(r)) => StepKind::Remote {
            repository: format!("{}/{}", r.owner, r.repo),
            path: r.path.clone().unwrap_or_default(),
            git_ref: r.git_ref.clone(),
        },
        Err(_) => StepKind::Invalid {
            reason: format!(
                "`uses: {}` is not `./path`, `docker://image` or `owner/repo[/path]@ref`",
                uses.as_str()
            ),
            error: None,
        },
    }
}

/// A step that cannot run: `reason` for the plan, `error` for the run.
fn invalid(reason: String, error: String) -> StepKind {
    StepKind::Invalid {
        reason,
        error: Some(error),
    }
}

fn local_kind(path: &str, cx: &StepsCx<'_>) -> StepKind {
    if cx.depth >= MAX_ACTION_DEPTH {
        let why = format!("composite actions nest deeper than {MAX_ACTION_DEPTH} levels");
        return invalid(format!("action ./{path}: {why}"), why);
    }
    let (action, file) = match cx.resolver.action(path) {
        ActionLookup::Found { action, file } => (action, file),
        ActionLookup::Missing { error } => {
            return invalid(format!("no action.yml or action.yaml at ./{path}"), error)
        }
        ActionLookup::Invalid { summary, error } => {
            return invalid(format!("action ./{path} is invalid: {summary}"), error)
        }
    };
    match action_plan(&action, path, &file, cx.resolver, cx.depth + 1) {
        Ok(plan) => action_kind(path, Arc::new(plan)),
        Err(NotRunnable { reason, error }) => invalid(reason, error),
    }
}

/// A step kind for an action whose plan is known.
pub fn action_kind(path: &str, action: Arc<ActionPlan>) -> StepKind {
    let path = path.to_string();
    match &action.runs {
        ActionRuns::Docker(d) => match d.image.strip_prefix("docker://") {
            Some(img) => StepKind::DockerAction {
                path,
                image: img.to_string(),
                action,
            },
            None => StepKind::DockerfileAction {
                path,
                dockerfile: d.image.clone(),
                action,
            },
        },
        ActionRuns::Composite(steps) => StepKind::Composite {
            path,
            steps: steps.len(),
            action,
        },
        ActionRuns::Node(n) => StepKind::Node {
            path,
            using: n.using.clone(),
            main: n.main.clone().unwrap_or_default(),
            action,
        },
    }
}

/// Why an action cannot run: `reason` for the plan, `error` for the step.
#[derive(Debug)]
pub struct NotRunnable {
    pub reason: String,
    pub error: String,
}

/// Plans a checked action: its inputs, outputs and what it runs (a composite action's
/// steps planned like a job's, `depth` actions deep). `dir` is its directory as the plan
/// names it; `file` its metadata file.
pub fn action_plan(
    action: &Action,
    dir: &str,
    file: &str,
    resolver: &dyn Resolver,
    depth: usize,
) -> Result<ActionPlan, NotRunnable> {
    let Some(runs) = &action.runs else {
        return Err(NotRunnable {
            reason: format!("action ./{dir} has no `runs` section"),
            error: format!("{file}: `runs:` is missing"),
        });
    };
    let using = runs.using.value.clone();
    let runs = match &runs.kind {
        RunsKind::Docker(d) => ActionRuns::Docker(DockerRuns {
            image: d.image.as_ref().map(|i| i.value.clone()).unwrap_or_default(),
            entrypoint: d.entrypoint.as_ref().map(|e| e.value.clone()),
            pre_entrypoint: d.pre_entrypoint.as_ref().map(|e| e.value.clone()),
            post_entrypoint: d.post_entrypoint.as_ref().map(|e| e.value.clone()),
            post_if: d.post_if.as_ref().map(|e| e.value.clone()),
            args: d.args.iter().map(|a| a.value.clone()).collect(),
            env: templates::env(&d.env),
        }),
        RunsKind::Composite { steps } => {
            let cx = StepsCx {
                shown_shell: "bash",
                run_shell: None,
                host: None,
                resolver,
                depth,
            };
            ActionRuns::Composite(plan_steps(steps, &cx, &mut 0))
        }
        RunsKind::Node(n) => ActionRuns::Node(NodeRuns {
            using,
            main: n.main.as_ref().map(|m| m.value.clone()),
            pre: n.pre.as_ref().map(|p| p.value.clone()),
            pre_if: n.pre_if.as_ref().map(|p| p.value.clone()),
            post: n.post.as_ref().map(|p| p.value.clone()),
            post_if: n.post_if.as_ref().map(|p| p.value.clone()),
        }),
        RunsKind::Unknown => {
            return Err(NotRunnable {
                reason: format!("action ./{dir} has an unknown `runs.using: {using}`"),
                error: format!(
                    "{file}: unknown `runs.using: {using}` (expected docker, composite, node20 or node24)"
                ),
            })
        }
    };
    Ok(ActionPlan {
        dir: dir.to_string(),
        file: file.to_string(),
        inputs: action
            .inputs
            .iter()
            .map(|i| {
                (
                    i.name.value.clone(),
                    i.default.as_ref().map(|d| d.value.clone()),
                )
            })
            .collect(),
        outputs: action
            .outputs
            .iter()
            .map(|o| {
                (
                    o.name.value.clone(),
                    o.value.as_ref().map(|v| v.value.clone()),
                )
            })
            .collect(),
        runs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::MemoryResolver;
    use gantry_core::validate::{check_bytes, FileKind};

    fn action(text: &str) -> Action {
        check_bytes(text.as_bytes(), FileKind::Action)
            .action
            .unwrap()
    }

    fn kind_of(uses: &str, resolver: &MemoryResolver) -> String {
        let step =
            format!("on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - uses: {uses}\n");
        let wf = check_bytes(step.as_bytes(), FileKind::Workflow)
            .workflow
            .unwrap();
        let gantry_core::model::JobKind::Steps(sj) = &wf.jobs[0].kind else {
            panic!()
        };
        let cx = StepsCx {
            shown_shell: "bash",
            run_shell: None,
            host: None,
            resolver,
            depth: 0,
        };
        crate::render::step_kind(&step_kind(&sj.steps[0], &cx))
    }

    #[test]
    fn uses_values_become_step_kinds() {
        let mut r = MemoryResolver::default();
        r.actions.insert(
            "img".into(),
            action("name: a\nruns:\n  using: docker\n  image: docker://alpine:3\n"),
        );
        r.actions.insert(
            "df".into(),
            action("name: a\nruns:\n  using: docker\n  image: Dockerfile\n"),
        );
        r.actions.insert(
            "js".into(),
            action("name: a\nruns:\n  using: node20\n  main: index.js\n"),
        );
        r.actions.insert(
            "comp".into(),
            action("name: a\nruns:\n  using: composite\n  steps:\n    - run: echo\n      shell: sh\n    - uses: ./comp\n"),
        );
        let table = [
            ("docker://alpine:3", "docker://alpine:3"),
            ("./img", "action ./img (image alpine:3)"),
            ("./df/", "action ./df (builds Dockerfile)"),
            ("$/js", "node20 action ./js (index.js)"),
            ("./comp", "composite action ./comp (2 steps)"),
            ("./none", "INVALID: no action.yml or action.yaml at ./none"),
            ("actions/checkout@v4", "remote action actions/checkout@v4"),
            ("o/r/sub/dir@main", "remote action o/r/sub/dir@main"),
        ];
        for (uses, want) in table {
            assert_eq!(kind_of(uses, &r), want, "{uses}");
        }
    }

    #[test]
    fn a_composite_action_using_itself_stops_at_the_depth_limit() {
        let mut r = MemoryResolver::default();
        r.actions.insert(
            "me".into(),
            action("name: a\nruns:\n  using: composite\n  steps:\n    - uses: ./me\n"),
        );
        let mut depth = 0;
        let mut kind = step_kind_of_me(&r);
        while let StepKind::Composite { action, .. } = kind {
            let ActionRuns::Composite(steps) = &action.runs else {
                panic!()
            };
            kind = steps[0].kind.clone();
            depth += 1;
        }
        assert_eq!(depth, MAX_ACTION_DEPTH);
        assert!(matches!(kind, StepKind::Invalid { error: Some(e), .. } if e.contains("deeper")));
    }

    fn step_kind_of_me(r: &MemoryResolver) -> StepKind {
        let cx = StepsCx {
            shown_shell: "bash",
            run_shell: None,
            host: None,
            resolver: r,
            depth: 0,
        };
        local_kind("me", &cx)
    }
}
