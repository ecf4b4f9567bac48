//! Resolving what each step is: a script, a container image, a local action (Dockerfile,
//! image, composite or JavaScript), or a remote action fetched at run time.

use super::resolve::Resolver;
use super::types::{Decision, StepKind, StepPlan};
use crate::model::{RunsKind, Step, StepAction};

/// `owner/repo[/path]@ref` split into its parts.
pub fn parse_remote(uses: &str) -> Option<(String, String, String)> {
    let (target, git_ref) = uses.rsplit_once('@')?;
    let mut parts = target.splitn(3, '/');
    let owner = parts.next().filter(|s| !s.is_empty())?;
    let repo = parts.next().filter(|s| !s.is_empty())?;
    let path = parts.next().unwrap_or("").to_string();
    if git_ref.is_empty() {
        return None;
    }
    Some((format!("{owner}/{repo}"), path, git_ref.to_string()))
}

pub fn step_kind(step: &Step, default_shell: &str, resolver: &dyn Resolver) -> StepKind {
    match &step.action {
        StepAction::Run(_) => StepKind::Run {
            shell: step
                .shell
                .as_ref()
                .map_or(default_shell.to_string(), |s| s.value.clone()),
        },
        StepAction::Uses { uses, .. } => uses_kind(&uses.value, resolver),
        StepAction::Parallel(_) => StepKind::Parallel { steps: Vec::new() },
        StepAction::Wait(ids) => StepKind::Control {
            what: format!(
                "wait for {}",
                ids.iter()
                    .map(|i| i.value.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        StepAction::WaitAll(_) => StepKind::Control {
            what: "wait for every background step".into(),
        },
        StepAction::Cancel(id) => StepKind::Control {
            what: format!("cancel {}", id.value),
        },
        StepAction::Invalid => StepKind::Invalid {
            reason: "the step has neither `run` nor `uses`".into(),
        },
    }
}

fn uses_kind(uses: &str, resolver: &dyn Resolver) -> StepKind {
    if let Some(image) = uses.strip_prefix("docker://") {
        return StepKind::DockerImage {
            image: image.to_string(),
        };
    }
    if let Some(local) = uses.strip_prefix("./").or_else(|| uses.strip_prefix("$/")) {
        let path = local.trim_end_matches('/').to_string();
        return match resolver.action(&path) {
            Ok(Some(action)) => match action.runs.map(|r| (r.using.value, r.kind)) {
                Some((_, RunsKind::Docker(d))) => {
                    let image = d.image.map(|i| i.value).unwrap_or_default();
                    match image.strip_prefix("docker://") {
                        Some(img) => StepKind::DockerAction {
                            path,
                            image: img.to_string(),
                        },
                        None => StepKind::DockerfileAction {
                            path,
                            dockerfile: image,
                        },
                    }
                }
                Some((_, RunsKind::Composite { steps })) => StepKind::Composite {
                    path,
                    steps: steps.len(),
                },
                Some((using, RunsKind::Node(n))) => StepKind::Node {
                    path,
                    using,
                    main: n.main.map(|m| m.value).unwrap_or_default(),
                },
                Some((using, RunsKind::Unknown)) => StepKind::Invalid {
                    reason: format!("action ./{path} has an unknown `runs.using: {using}`"),
                },
                None => StepKind::Invalid {
                    reason: format!("action ./{path} has no `runs` section"),
                },
            },
            Ok(None) => StepKind::Invalid {
                reason: format!("no action.yml or action.yaml at ./{path}"),
            },
            Err(e) => StepKind::Invalid {
                reason: format!("action ./{path} is invalid: {e}"),
            },
        };
    }
    match parse_remote(uses) {
        Some((repository, path, git_ref)) => StepKind::Remote {
            repository,
            path,
            git_ref,
        },
        None => StepKind::Invalid {
            reason: format!(
                "`uses: {uses}` is not `./path`, `docker://image` or `owner/repo[/path]@ref`"
            ),
        },
    }
}

pub fn plan_step(
    index: usize,
    step: &Step,
    default_shell: &str,
    condition: Decision,
    resolver: &dyn Resolver,
) -> StepPlan {
    StepPlan {
        index,
        id: step.id.as_ref().map(|i| i.value.clone()),
        name: step.label(),
        kind: step_kind(step, default_shell, resolver),
        condition,
    }
}
