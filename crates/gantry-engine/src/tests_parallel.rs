//! Concurrent steps against the fake backend: `parallel:` groups, `background:` steps,
//! `wait`, `wait-all` and `cancel`. Overlap is shown without timing: the fake's processes
//! meet at a rendezvous that only concurrent processes reach (alone, one exits 99).

use crate::backend::fake::{FakeBackend, Script, When};
use crate::report::{Conclusion, RunEvent};
use crate::tests::{job, run, step, Ran};
use gantry_plan::{Control, Setting, StepKind, StepPlan};
use std::sync::Arc;

const OK: Conclusion = Conclusion::Success;
const FAILED: Conclusion = Conclusion::Failure;
const SKIPPED: Conclusion = Conclusion::Skipped;

fn scripted(b: &FakeBackend, id: &str, script: Script) {
    b.script(When::Env("GITHUB_ACTION".into(), id.into()), script);
}

fn group(steps: Vec<StepPlan>) -> StepPlan {
    let mut g = step("group");
    g.id = None;
    g.kind = StepKind::Parallel { steps };
    g
}

fn background(mut s: StepPlan) -> StepPlan {
    s.exec.background = Some(Setting::Value(true));
    s
}

fn control(name: &str, control: Control) -> StepPlan {
    let mut s = step(name);
    s.id = None;
    s.kind = StepKind::Control {
        what: name.into(),
        control,
    };
    s
}

fn wait(ids: &[&str]) -> StepPlan {
    control(
        "wait",
        Control::Wait(ids.iter().map(|s| s.to_string()).collect()),
    )
}

fn with_if(mut s: StepPlan, cond: &str) -> StepPlan {
    s.exec.if_ = Some(cond.into());
    s
}

/// Numbers the steps in file order, as the planner does (settling goes by it).
fn numbered(mut steps: Vec<StepPlan>) -> Vec<StepPlan> {
    fn walk(steps: &mut [StepPlan], n: &mut usize) {
        for s in steps {
            *n += 1;
            s.index = *n;
            if let StepKind::Parallel { steps } = &mut s.kind {
                walk(steps, n);
            }
        }
    }
    walk(&mut steps, &mut 0);
    steps
}

/// The environment the step with this id ran with.
fn env_of(b: &FakeBackend, id: &str) -> Vec<(String, String)> {
    b.execs()
        .into_iter()
        .find(|e| e.env.iter().any(|(k, v)| k == "GITHUB_ACTION" && v == id))
        .map(|e| e.env)
        .unwrap_or_else(|| panic!("step `{id}` did not run"))
}

fn var(env: &[(String, String)], name: &str) -> Option<String> {
    env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

fn conclusion_of(ran: &Ran, name: &str) -> Conclusion {
    ran.steps("j")
        .into_iter()
        .find(|(n, _, _)| n == name)
        .map(|(_, _, c)| c)
        .unwrap_or_else(|| panic!("no step `{name}` in {:?}", ran.steps("j")))
}

#[tokio::test]
async fn a_groups_steps_run_together_and_settle_in_step_order() {
    let b = Arc::new(FakeBackend::new());
    for id in ["a", "b", "c"] {
        let s = Script::default()
            .stdout(&format!("line of {id}\n"))
            .write("GITHUB_OUTPUT", &format!("v={id}\n"))
            .write("GITHUB_ENV", &format!("SAME={id}\nONLY_{id}=1\n"))
            .write("GITHUB_PATH", &format!("/bin/{id}\n"))
            .meet("group", 3);
        scripted(&b, id, s);
    }
    let steps = numbered(vec![
        group(vec![step("a"), step("b"), step("c")]),
        step("after"),
    ]);
    let mut j = job("j", &[], steps);
    j.exec.outputs = vec![(
        "all".into(),
        "${{ steps.a.outputs.v }}${{ steps.b.outputs.v }}${{ steps.c.outputs.v }}".into(),
    )];
    let ran = run(&b, vec![j]).await;
    assert_eq!(ran.result.conclusion, OK, "{:?}", ran.steps("j"));
    let all = ran.job("j").outputs.get("all").cloned();
    assert_eq!(all.as_deref(), Some("abc"));
    let env = env_of(&b, "after");
    // Written by all three: the last in step order wins, whoever ended last.
    assert_eq!(var(&env, "SAME").as_deref(), Some("c"));
    for id in ["a", "b", "c"] {
        assert_eq!(var(&env, &format!("ONLY_{id}")).as_deref(), Some("1"));
    }
    let path = var(&env, "PATH").unwrap_or_default();
    assert!(path.starts_with("/bin/c:/bin/b:/bin/a:"), "{path}");
    // Each step's line is reported under its own label.
    for (id, label) in [("a", "1.1"), ("b", "1.2"), ("c", "1.3")] {
        let own = ran.events.iter().any(|e| matches!(e,
            RunEvent::Log { step: Some(s), line, .. } if s == label && *line == format!("line of {id}")));
        assert!(own, "`{id}`'s line under {label}");
    }
}

#[tokio::test]
async fn a_failed_step_fails_its_group_once_every_step_has_ended() {
    let b = Arc::new(FakeBackend::new());
    scripted(&b, "a", Script::default().meet("g", 3));
    scripted(&b, "b", Script::exit(1).meet("g", 3));
    scripted(&b, "c", Script::default().meet("g", 3));
    let steps = numbered(vec![
        group(vec![step("a"), step("b"), step("c")]),
        step("after"),
        with_if(step("cleanup"), "failure()"),
    ]);
    let ran = run(&b, vec![job("j", &[], steps)]).await;
    assert_eq!(ran.result.conclusion, FAILED);
    assert_eq!(conclusion_of(&ran, "a"), OK);
    assert_eq!(conclusion_of(&ran, "b"), FAILED);
    assert_eq!(conclusion_of(&ran, "c"), OK);
    assert_eq!(conclusion_of(&ran, "after"), SKIPPED);
    assert_eq!(conclusion_of(&ran, "cleanup"), OK);
    let reason = ran.job("j").reason.clone().unwrap_or_default();
    assert!(reason.contains("step 1.2 `b` failed"), "{reason}");
}

#[tokio::test]
async fn a_background_step_runs_beside_the_next_ones_and_settles_at_its_wait() {
    let b = Arc::new(FakeBackend::new());
    let server = Script::default()
        .write("GITHUB_OUTPUT", "port=8080\n")
        .write("GITHUB_ENV", "SERVER=up\n")
        .meet("bg", 2);
    scripted(&b, "server", server);
    scripted(&b, "client", Script::default().meet("bg", 2));
    let steps = numbered(vec![
        background(step("server")),
        step("client"),
        with_if(step("before_wait"), "steps.server.conclusion != 'success'"),
        wait(&["server"]),
        with_if(step("after_wait"), "steps.server.outputs.port == '8080'"),
    ]);
    let ran = run(&b, vec![job("j", &[], steps)]).await;
    assert_eq!(ran.result.conclusion, OK, "{:?}", ran.steps("j"));
    assert_eq!(conclusion_of(&ran, "server"), OK);
    assert_eq!(
        conclusion_of(&ran, "client"),
        OK,
        "the two met: they overlapped"
    );
    // What a background step leaves is seen only after its wait.
    assert_eq!(conclusion_of(&ran, "before_wait"), OK);
    assert_eq!(var(&env_of(&b, "before_wait"), "SERVER"), None);
    assert_eq!(conclusion_of(&ran, "wait"), OK);
    assert_eq!(conclusion_of(&ran, "after_wait"), OK);
    assert_eq!(
        var(&env_of(&b, "after_wait"), "SERVER").as_deref(),
        Some("up")
    );
}

#[tokio::test]
async fn a_failed_background_step_fails_the_job_at_its_wait() {
    let b = Arc::new(FakeBackend::new());
    scripted(&b, "bg", Script::exit(2));
    let steps = numbered(vec![
        background(step("bg")),
        step("meanwhile"),
        wait(&["bg"]),
        step("after"),
    ]);
    let ran = run(&b, vec![job("j", &[], steps)]).await;
    assert_eq!(ran.result.conclusion, FAILED);
    assert_eq!(conclusion_of(&ran, "meanwhile"), OK);
    assert_eq!(conclusion_of(&ran, "wait"), FAILED);
    assert_eq!(conclusion_of(&ran, "after"), SKIPPED);
}

#[tokio::test]
async fn background_steps_never_waited_for_are_waited_for_at_the_end_of_the_job() {
    let b = Arc::new(FakeBackend::new());
    scripted(&b, "one", Script::exit(1).meet("end", 2));
    scripted(&b, "two", Script::default().meet("end", 2));
    let steps = numbered(vec![
        background(step("one")),
        background(step("two")),
        step("last"),
    ]);
    let ran = run(&b, vec![job("j", &[], steps)]).await;
    assert_eq!(ran.result.conclusion, FAILED);
    assert_eq!(conclusion_of(&ran, "last"), OK);
    assert_eq!(conclusion_of(&ran, "one"), FAILED);
    assert_eq!(conclusion_of(&ran, "two"), OK);
}

#[tokio::test]
async fn cancel_stops_a_background_step_which_fails_nothing() {
    let b = Arc::new(FakeBackend::new());
    scripted(&b, "monitor", Script::default().until_signalled());
    let steps = numbered(vec![
        background(step("monitor")),
        step("work"),
        control("cancel", Control::Cancel("monitor".into())),
        with_if(step("after"), "steps.monitor.conclusion == 'cancelled'"),
        control("wait-all", Control::WaitAll),
    ]);
    let ran = run(&b, vec![job("j", &[], steps)]).await;
    assert_eq!(ran.result.conclusion, OK, "{:?}", ran.steps("j"));
    assert_eq!(conclusion_of(&ran, "monitor"), Conclusion::Cancelled);
    assert_eq!(conclusion_of(&ran, "cancel"), OK);
    assert_eq!(conclusion_of(&ran, "after"), OK);
    assert_eq!(conclusion_of(&ran, "wait-all"), OK);
}

#[tokio::test]
async fn at_most_ten_background_steps_run_at_once() {
    let b = Arc::new(FakeBackend::new());
    let mut steps = Vec::new();
    for i in 1..=10 {
        let id = format!("s{i}");
        scripted(&b, &id, Script::default().meet("ten", 10));
        steps.push(background(step(&id)));
    }
    steps.push(background(step("eleventh")));
    let ran = run(&b, vec![job("j", &[], numbered(steps))]).await;
    assert_eq!(ran.result.conclusion, OK, "{:?}", ran.steps("j"));
    // The ten meet, so they ran together; the eleventh had to wait for a slot.
    let eleventh =
        ran.at(|e| matches!(e, RunEvent::StepStarted { name, .. } if name == "eleventh"));
    let first_end =
        ran.at(|e| matches!(e, RunEvent::StepFinished { name, .. } if name.starts_with('s')));
    assert!(
        first_end < eleventh,
        "the eleventh started before a slot was free"
    );
}

#[tokio::test]
async fn continue_on_error_waits_unknown_ids_and_control_steps_in_a_group() {
    let b = Arc::new(FakeBackend::new());
    scripted(&b, "flaky", Script::exit(1));
    let mut flaky = background(step("flaky"));
    flaky.exec.continue_on_error = Some(Setting::Value(true));
    let steps = numbered(vec![
        flaky,
        wait(&["flaky", "nobody"]),
        with_if(
            step("saw"),
            "steps.flaky.outcome == 'failure' && steps.flaky.conclusion == 'success'",
        ),
        group(vec![step("inside"), wait(&["flaky"])]),
    ]);
    let ran = run(&b, vec![job("j", &[], steps)]).await;
    let seen: Vec<_> = ran.steps("j");
    assert_eq!(seen[0], ("flaky".into(), FAILED, OK), "{seen:?}");
    assert_eq!(seen[1], ("wait".into(), OK, OK), "{seen:?}");
    assert_eq!(conclusion_of(&ran, "saw"), OK);
    let said = ran.events.iter().any(|e| {
        matches!(e,
        RunEvent::Log { line, .. } if line.contains("`nobody` is no background step"))
    });
    assert!(said, "the unknown id is said");
    // A wait cannot be a step of a group: it fails, and so does the job.
    assert_eq!(conclusion_of(&ran, "inside"), OK);
    assert_eq!(ran.result.conclusion, FAILED);
}
