//! The compatibility corpus (`../shared/corpus`: 668 real workflows and 109 action files).
//! Every file must parse; errors per rule are printed and bounded (real projects run these
//! files, so an error is a false positive unless a test shows it is a real mistake); and every
//! workflow must plan without error for a push to its default branch and for a dispatch.

use gantry_core::diag::Severity;
use gantry_core::model::{TriggerConfig, Workflow};
use gantry_core::validate::{check_bytes, FileKind};
use gantry_plan::event::{self, PushSpec};
use gantry_plan::resolve::{ActionLookup, InvalidWorkflow, Resolver};
use gantry_plan::{plan, PlanError, PlanOptions, WorkflowFile, WorkflowProblem};
use std::collections::BTreeMap;
mod common;

use common::{corpus, yaml_files};
use std::path::PathBuf;

/// Errors found on the corpus that GitHub refuses too: one `workflow_dispatch` input whose
/// `type: int` is none of GitHub's types (etcd-io/etcd antithesis-test.yml). The four
/// undefined step ids are warnings: GitHub runs those files (the values are null).
const KNOWN_REAL_ERRORS: usize = 1;

#[test]
fn every_corpus_file_parses_and_errors_stay_near_zero() {
    let root = corpus();
    let mut by_rule: BTreeMap<(String, &str), usize> = BTreeMap::new();
    let mut yaml_errors = Vec::new();
    let mut files = 0;
    for (dir, kind) in [
        ("workflows", FileKind::Workflow),
        ("actions", FileKind::Action),
    ] {
        for p in yaml_files(&root.join(dir)) {
            files += 1;
            let kind = if kind == FileKind::Action {
                FileKind::from_path(p.to_str().unwrap())
            } else {
                kind
            };
            let checked = check_bytes(&std::fs::read(&p).unwrap(), kind);
            for d in &checked.diagnostics {
                let sev = if d.severity == Severity::Error {
                    "error"
                } else {
                    "warning"
                };
                *by_rule.entry((d.rule.to_string(), sev)).or_default() += 1;
                if d.rule == "yaml" || d.rule == "encoding" {
                    yaml_errors.push(format!(
                        "{}:{}:{}: {}",
                        p.display(),
                        d.span.start.line,
                        d.span.start.col,
                        d.message
                    ));
                }
            }
        }
    }
    println!("corpus: {files} files");
    for ((rule, sev), n) in &by_rule {
        println!("{n:6} {rule} ({sev})");
    }
    assert_eq!(
        files, 777,
        "the corpus should hold 668 workflows and 109 actions"
    );
    assert!(
        yaml_errors.is_empty(),
        "files that do not parse:\n{}",
        yaml_errors.join("\n")
    );
    let errors: usize = by_rule
        .iter()
        .filter(|((_, s), _)| *s == "error")
        .map(|(_, n)| n)
        .sum();
    assert!(errors <= KNOWN_REAL_ERRORS, "{errors} errors on the corpus (known real mistakes: {KNOWN_REAL_ERRORS}); see the counts above");
}

/// Resolves `./.github/workflows/x.yml` to the same repository's corpus folder, and local
/// actions to the corpus's action files of that repository where they exist.
struct CorpusResolver {
    workflows: PathBuf,
    actions: PathBuf,
}

impl Resolver for CorpusResolver {
    fn action(&self, path: &str) -> ActionLookup {
        for name in ["action.yml", "action.yaml"] {
            let file = self.actions.join(path).join(name);
            if let Ok(b) = std::fs::read(&file) {
                if let Some(action) = check_bytes(&b, FileKind::Action).action {
                    let file = file.display().to_string();
                    return ActionLookup::Found {
                        action: Box::new(action),
                        file,
                    };
                }
            }
        }
        ActionLookup::Missing {
            error: format!("no action at {path}"),
        }
    }
    fn workflow(&self, path: &str) -> Result<Option<Workflow>, InvalidWorkflow> {
        let name = path.trim_start_matches(".github/workflows/");
        match std::fs::read(self.workflows.join(name)) {
            Ok(b) => Ok(check_bytes(&b, FileKind::Workflow).workflow),
            Err(_) => Ok(None),
        }
    }
}

/// A value for each required dispatch input, of its declared type.
fn dispatch_inputs(wf: &Workflow) -> Vec<(String, String)> {
    let Some(TriggerConfig::Dispatch(inputs)) = wf
        .on
        .as_ref()
        .and_then(|o| o.value.get("workflow_dispatch"))
        .map(|t| &t.config)
    else {
        return Vec::new();
    };
    inputs
        .inputs
        .iter()
        .filter(|i| i.default.is_none())
        .map(|i| {
            let v = match i.kind.as_ref().map(|k| k.value.as_str()) {
                Some("boolean") => "true".to_string(),
                Some("number") => "1".to_string(),
                Some("choice") => i
                    .options
                    .first()
                    .map_or_else(String::new, |o| o.value.clone()),
                _ => "x".to_string(),
            };
            (i.name.value.clone(), v)
        })
        .collect()
}

/// A policy that allows what the corpus asks of the host, so that planning is tested on every
/// file; what the default policy refuses is counted separately.
fn open_policy() -> gantry_core::policy::Policy {
    gantry_core::policy::Policy {
        cap_add: vec!["ALL".into()],
        host_paths: vec!["/".into()],
        docker_socket: true,
        ..Default::default()
    }
}

#[test]
fn every_corpus_workflow_plans_for_a_push_and_a_dispatch() {
    let root = corpus();
    let opts = PlanOptions {
        policy: std::sync::Arc::new(open_policy()),
        ..PlanOptions::default()
    };
    let mut refused = std::collections::BTreeSet::new();
    let mut planned = 0;
    let mut problems = Vec::new();
    let mut missing_calls = 0;
    for repo in std::fs::read_dir(root.join("workflows")).unwrap() {
        let repo = repo.unwrap().path();
        let resolver = CorpusResolver {
            workflows: repo.clone(),
            actions: root.join("actions").join(repo.file_name().unwrap()),
        };
        for p in yaml_files(&repo) {
            let checked = check_bytes(&std::fs::read(&p).unwrap(), FileKind::Workflow);
            let Some(wf) = checked.workflow.as_ref() else {
                continue;
            };
            let path = p.display().to_string();
            let push = PushSpec {
                git_ref: "refs/heads/main".into(),
                after: "a".repeat(40),
                repository: Some("octo/repo".into()),
                ..Default::default()
            }
            .into_event();
            let dispatch = event::dispatch(
                "refs/heads/main",
                Some(&"b".repeat(40)),
                dispatch_inputs(wf),
            );
            for ev in [push, dispatch] {
                let files = [WorkflowFile {
                    path: &path,
                    workflow: Some(wf),
                    errors: Vec::new(),
                }];
                let p = plan(&ev, &files, &opts, &resolver);
                planned += 1;
                for w in gantry_core::policy::check_workflow(wf, &Default::default()) {
                    refused.insert(format!(
                        "{}: {}",
                        w.refusal.option,
                        w.refusal.key.unwrap_or("-")
                    ));
                }
                for w in &p.workflows {
                    for e in &w.errors {
                        // A reusable workflow outside the corpus (a local file the corpus does
                        // not hold, or another repository's, which only a run fetches) is a
                        // gap in the data, not a bug.
                        let remote =
                            matches!(e, WorkflowProblem::Plan(PlanError::CalledNotFetched { .. }));
                        if remote || e.to_string().contains("which does not exist") {
                            missing_calls += 1;
                        } else {
                            problems.push(format!("{path} ({}): {e}", ev.name));
                        }
                    }
                }
            }
        }
    }
    println!("planned {planned} (workflow, event) pairs; {missing_calls} calls of reusable workflows that are not in the corpus (local) or not fetched (remote)");
    // Under the default policy, what real workflows ask of the host: each reaches beyond
    // the job's container (a capability to change the network, a host directory).
    assert_eq!(
        refused.into_iter().collect::<Vec<_>>(),
        vec![
            "--cap-add NET_ADMIN: cap_add",
            "/usr/local/cargo/registry:/usr/local/cargo/registry: host_paths",
        ],
    );
    assert!(planned >= 1336, "{planned}");
    assert!(
        problems.is_empty(),
        "{} planning errors:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
