//! An attempt that keeps jobs from an earlier one ("re-run failed jobs"), against the fake
//! backend: a kept job is not executed but reported with why, its dependents read its
//! outputs, a failed matrix leg runs again while its kept sibling does not, and a job that
//! needs one that runs again runs again even though the attempt would keep it.

use crate::backend::fake::{FakeBackend, Script, When};
use crate::report::{Conclusion, RunEvent};
use crate::tests::{job, run_keeping, step};
use crate::{KeptJob, NoRemote};
use gantry_plan::{EnvTemplate, JobPlan};
use std::sync::Arc;

const OK: Conclusion = Conclusion::Success;

fn kept(key: &str, outputs: &[(&str, &str)]) -> KeptJob {
    KeptJob {
        key: key.into(),
        conclusion: OK,
        outputs: outputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        attempt: 1,
    }
}

/// A leg of matrix job `id` with one step `step`.
fn leg(id: &str, n: u32, step_id: &str) -> JobPlan {
    let mut j = job(id, &[], vec![step(step_id)]);
    j.key = format!("{id} ({n})");
    j
}

/// `a` (kept, output x) ← `b` (reads it; ran before and failed) ← `e` (kept, but needs b);
/// `a` ← `d` (kept); matrix `t`: leg 1 kept, leg 2 failed before.
fn plan() -> Vec<JobPlan> {
    let mut a = job("a", &[], vec![step("a_step")]);
    a.exec.outputs = vec![("x".into(), "${{ steps.a_step.outputs.x }}".into())];
    let mut b_step = step("b_step");
    b_step.exec.env = EnvTemplate::Map(vec![("GOT".into(), "${{ needs.a.outputs.x }}".into())]);
    vec![
        a,
        job("b", &["a"], vec![b_step]),
        job("d", &["a"], vec![step("d_step")]),
        job("e", &["b"], vec![step("e_step")]),
        leg("t", 1, "t1"),
        leg("t", 2, "t2"),
        job("after_t", &["t"], vec![step("after_t_step")]),
    ]
}

fn executed(b: &FakeBackend, step_id: &str) -> Vec<Vec<(String, String)>> {
    b.execs()
        .into_iter()
        .filter(|e| {
            e.env
                .iter()
                .any(|(k, v)| k == "GITHUB_ACTION" && v == step_id)
        })
        .map(|e| e.env)
        .collect()
}

#[tokio::test]
async fn kept_jobs_are_not_executed_and_their_dependents_read_their_outputs() {
    let b = Arc::new(FakeBackend::new());
    // Were `a` executed, its output would be this, not the kept one.
    b.script(
        When::Env("GITHUB_ACTION".into(), "a_step".into()),
        Script::default().write("GITHUB_OUTPUT", "x=from-attempt-2\n"),
    );
    let keep = vec![
        kept("a", &[("x", "from-attempt-1")]),
        kept("d", &[]),
        kept("e", &[]),
        kept("t (1)", &[]),
    ];
    let ran = run_keeping(&b, plan(), Arc::new(NoRemote), keep).await;
    assert_eq!(ran.result.conclusion, OK);
    for not_run in ["a_step", "d_step", "t1"] {
        assert!(executed(&b, not_run).is_empty(), "{not_run} ran");
    }
    for again in ["b_step", "e_step", "t2", "after_t_step"] {
        assert_eq!(executed(&b, again).len(), 1, "{again} ran once");
    }
    let got = executed(&b, "b_step").remove(0);
    assert!(
        got.contains(&("GOT".into(), "from-attempt-1".into())),
        "b read a's kept output: {got:?}"
    );
    let a = ran.job("a");
    assert_eq!((a.conclusion, a.kept_from), (OK, Some(1)));
    assert_eq!(a.outputs["x"], "from-attempt-1");
    assert_eq!(ran.job("e").kept_from, None, "e needs b, which ran again");
    assert_eq!(ran.job("t (2)").kept_from, None);
    let kept_reason = ran.events.iter().any(|e| {
        matches!(e, RunEvent::JobFinished { job, reason: Some(r), conclusion: OK, .. }
            if job == "a" && r == "kept from attempt 1")
    });
    assert!(kept_reason, "a is reported finished, with why");
    let started = ran.at(|e| matches!(e, RunEvent::JobStarted { job, .. } if job == "a"));
    let finished = ran.at(|e| matches!(e, RunEvent::JobFinished { job, .. } if job == "a"));
    assert!(started < finished);
    assert!(b.live().is_empty(), "left behind: {:?}", b.live());
}

#[tokio::test]
async fn a_failed_leg_runs_again_and_fails_again_without_touching_its_kept_sibling() {
    let b = Arc::new(FakeBackend::new());
    crate::tests::exits(&b, "t2", 1);
    let keep = vec![kept("a", &[("x", "1")]), kept("t (1)", &[])];
    let ran = run_keeping(&b, plan(), Arc::new(NoRemote), keep).await;
    assert_eq!(ran.result.conclusion, Conclusion::Failure);
    assert!(executed(&b, "t1").is_empty());
    assert_eq!(ran.job("t (1)").conclusion, OK);
    assert_eq!(ran.job("t (2)").conclusion, Conclusion::Failure);
    assert_eq!(ran.job("after_t").conclusion, Conclusion::Skipped);
    assert!(executed(&b, "after_t_step").is_empty());
}
