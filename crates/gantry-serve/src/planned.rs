//! What of a matched workflow's plan is recorded with its run (`gantry_store::run_plan`):
//! the compact job graph the run page draws. The plan itself is not kept: it holds far
//! more (steps, environment) than the page needs, and is made again when the run starts.

use gantry_plan::{Decision, WorkflowPlan};
use gantry_store::PlannedJob;

/// The plan's jobs as the graph keeps them (none for a workflow that cannot run).
pub fn graph(run: Option<&WorkflowPlan>) -> Vec<PlannedJob> {
    let Some(run) = run else {
        return Vec::new();
    };
    run.jobs
        .iter()
        .map(|j| PlannedJob {
            id: j.id.clone(),
            key: j.key.clone(),
            name: j.name.clone(),
            needs: j.needs.clone(),
            skipped: matches!(j.condition, Decision::Now { value: false }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_plan::{plan, resolve::NoFiles, PlanOptions, WorkflowFile};

    /// A diamond with a two-leg matrix and a job skipped at plan time, planned for a push.
    #[test]
    fn a_plan_becomes_its_graph() {
        let text = r#"
on: push
jobs:
  a: { runs-on: ubuntu-latest, steps: [{ run: "true" }] }
  b:
    needs: a
    strategy: { matrix: { n: [1, 2] } }
    runs-on: ubuntu-latest
    steps: [{ run: "true" }]
  c: { needs: a, if: "false", runs-on: ubuntu-latest, steps: [{ run: "true" }] }
  d: { needs: [b, c], runs-on: ubuntu-latest, steps: [{ run: "true" }] }
"#;
        let checked = gantry_core::validate::check_bytes(
            text.as_bytes(),
            gantry_core::validate::FileKind::Workflow,
        );
        let files = [WorkflowFile {
            path: ".github/workflows/ci.yml",
            workflow: checked.workflow.as_ref(),
            errors: Vec::new(),
        }];
        let ev = gantry_plan::event::Event {
            name: "push".into(),
            payload: serde_json::json!({}),
            meta: Default::default(),
        };
        let p = plan(&ev, &files, &PlanOptions::default(), &NoFiles);
        let g = graph(p.workflows[0].run.as_ref());
        let ids: Vec<&str> = g.iter().map(|j| j.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "b", "c", "d"]);
        assert_ne!(g[1].key, g[2].key, "matrix legs have keys of their own");
        assert_eq!(g[4].needs, ["b", "c"]);
        let skipped: Vec<bool> = g.iter().map(|j| j.skipped).collect();
        assert_eq!(skipped, [false, false, false, true, false]);
        assert!(graph(None).is_empty());
    }
}
