//! Planning calls of reusable workflows in other repositories, against a resolver holding
//! them as if fetched: typed inputs, missing inputs, secrets, outputs, nested `./` calls
//! inside the remote repository, what was not fetched, and GitHub's limits.

use crate::build::{plan, PlanOptions, WorkflowFile};
use crate::event::from_payload;
use crate::resolve::MemoryResolver;
use crate::{JobPlan, PassedSecrets, WorkflowOutcome};
use gantry_core::expr::Value;
use gantry_core::model::Workflow;
use gantry_core::validate::{check_text, FileKind};

fn wf(text: &str) -> Workflow {
    let checked = check_text(text, FileKind::Workflow);
    checked.workflow.expect(text)
}

/// Plans `caller` (on push) with `remote` (`owner/repo/PATH@REF` → text) and `local`
/// (workspace path → text) workflows.
fn outcome(caller: &str, remote: &[(&str, &str)], local: &[(&str, &str)]) -> WorkflowOutcome {
    let mut r = MemoryResolver::default();
    for (k, t) in remote {
        r.remote.insert(k.to_string(), wf(t));
    }
    for (k, t) in local {
        r.workflows.insert(k.to_string(), wf(t));
    }
    let caller = wf(caller);
    let file = WorkflowFile {
        path: ".github/workflows/ci.yml",
        workflow: Some(&caller),
        errors: Vec::new(),
    };
    let ev = from_payload("push", serde_json::json!({"ref": "refs/heads/main"})).unwrap();
    let mut p = plan(&ev, &[file], &PlanOptions::default(), &r);
    p.workflows.remove(0)
}

fn jobs(o: &WorkflowOutcome) -> &[JobPlan] {
    assert!(o.errors.is_empty(), "{}", o.errors_text());
    &o.run.as_ref().expect("a run").jobs
}

const BUILD: &str = "on:\n  workflow_call:\n    inputs:\n      n: {type: number, required: true}\n      flag: {type: boolean, default: false}\n    secrets:\n      TOKEN: {required: false}\n    outputs:\n      v: {value: '${{ jobs.build.outputs.v }}'}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    outputs:\n      v: ${{ steps.s.outputs.v }}\n    steps:\n      - id: s\n        run: echo v=${{ inputs.n }} >> $GITHUB_OUTPUT\n";

const AT: &str = "octo-org/shared/.github/workflows/build.yml@v1";

#[test]
fn a_remote_call_is_planned_like_a_local_one() {
    let caller = format!("on: push\njobs:\n  call:\n    uses: {AT}\n    with:\n      n: 3\n      flag: true\n    secrets: inherit\n  after:\n    needs: call\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{{{ needs.call.outputs.v }}}}\n");
    let o = outcome(&caller, &[(AT, BUILD)], &[]);
    let jobs = jobs(&o);
    let keys: Vec<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
    assert_eq!(keys, ["call/build", "after"]);
    let built = &jobs[0];
    assert_eq!(built.called_from.as_deref(), Some(AT));
    let call = built.call.as_ref().expect("the call's source");
    assert_eq!(call.caller_key, "call");
    let typed = Value::object(call.inputs.clone()).to_json();
    assert_eq!(typed, serde_json::json!({"n": 3, "flag": true}), "typed");
    assert!(matches!(call.secrets, PassedSecrets::Inherit));
    assert_eq!(
        call.outputs,
        [(
            "v".to_string(),
            Some("${{ jobs.build.outputs.v }}".to_string())
        )],
        "the call's outputs come from the remote workflow's declaration"
    );
    assert_eq!(
        jobs[1].needs,
        ["call"],
        "the caller's next job waits for the call"
    );
}

#[test]
fn a_remote_calls_contract_is_checked() {
    let table: &[(&str, &str)] = &[
        (
            "    with: {flag: true}\n",
            "job `call` calling octo-org/shared/.github/workflows/build.yml@v1: input `n` is required",
        ),
        (
            "    with: {n: three}\n",
            "input `n` is a number; `three` is not a number",
        ),
    ];
    for (with, want) in table {
        let caller = format!("on: push\njobs:\n  call:\n    uses: {AT}\n{with}");
        let o = outcome(&caller, &[(AT, BUILD)], &[]);
        let errors = o.errors_text();
        assert!(errors.contains(want), "{with}: {errors}");
    }
}

#[test]
fn nested_local_calls_inside_a_remote_workflow_stay_in_its_repository() {
    let outer = "on: workflow_call\njobs:\n  b:\n    uses: ./.github/workflows/inner.yml\n";
    let inner = |id: &str| {
        format!("on: workflow_call\njobs:\n  {id}:\n    runs-on: ubuntu-latest\n    steps: [{{run: echo}}]\n")
    };
    let caller = format!("on: push\njobs:\n  call:\n    uses: {AT}\n");
    let o = outcome(
        &caller,
        &[
            (AT, outer),
            (
                "octo-org/shared/.github/workflows/inner.yml@v1",
                &inner("remote_inner"),
            ),
        ],
        // The workspace has a file at the same path: it must not be the one used.
        &[(".github/workflows/inner.yml", &inner("workspace_inner"))],
    );
    let jobs = jobs(&o);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].key, "call/b/remote_inner");
    // A nested call's jobs say the top-level call they come from, as for local calls.
    assert_eq!(jobs[0].called_from.as_deref(), Some(AT));
    // And a workspace workflow's `./` call is still the workspace's.
    let o = outcome(
        "on: push\njobs:\n  call:\n    uses: ./.github/workflows/inner.yml\n",
        &[(
            "octo-org/shared/.github/workflows/inner.yml@v1",
            &inner("remote_inner"),
        )],
        &[(".github/workflows/inner.yml", &inner("workspace_inner"))],
    );
    assert_eq!(jobs_keys(&o), ["call/workspace_inner"]);
}

fn jobs_keys(o: &WorkflowOutcome) -> Vec<String> {
    jobs(o).iter().map(|j| j.key.clone()).collect()
}

#[test]
fn what_was_not_fetched_or_is_missing_is_named() {
    let table: &[(&str, &str)] = &[
        (
            "other/repo/.github/workflows/x.yml@v2",
            "job `call` calls other/repo/.github/workflows/x.yml@v2, which was not fetched: other/repo@v2",
        ),
        (
            "octo-org/shared/.github/workflows/none.yml@v1",
            "job `call` calls octo-org/shared/.github/workflows/none.yml@v1, which does not exist",
        ),
    ];
    for (uses, want) in table {
        let caller = format!("on: push\njobs:\n  call:\n    uses: {uses}\n");
        let o = outcome(&caller, &[(AT, BUILD)], &[]);
        let errors = o.errors_text();
        assert!(errors.contains(want), "{uses}: {errors}");
        assert!(o.run.is_none(), "no silent placeholder: {uses}");
    }
}

/// A chain of remote workflows `l1` → `l2` → ... where `l{last}` runs a step.
fn chain(last: usize) -> Vec<(String, String)> {
    (1..=last)
        .map(|i| {
            let at = format!("o/r/.github/workflows/l{i}.yml@v1");
            let text = if i == last {
                "on: workflow_call\njobs:\n  end:\n    runs-on: ubuntu-latest\n    steps: [{run: echo}]\n".to_string()
            } else {
                format!("on: workflow_call\njobs:\n  j:\n    uses: ./.github/workflows/l{}.yml\n", i + 1)
            };
            (at, text)
        })
        .collect()
}

#[test]
fn nesting_stops_at_githubs_ten_levels() {
    let caller = "on: push\njobs:\n  call:\n    uses: o/r/.github/workflows/l1.yml@v1\n";
    // The caller and nine reusable workflows: ten levels, allowed.
    let nine = chain(9);
    let refs: Vec<(&str, &str)> = nine.iter().map(|(a, t)| (a.as_str(), t.as_str())).collect();
    let o = outcome(caller, &refs, &[]);
    assert_eq!(jobs(&o).len(), 1);
    assert!(jobs(&o)[0].key.ends_with("/j/end"), "{}", jobs(&o)[0].key);
    // Ten reusable workflows: eleven levels, refused at the call that goes too deep.
    let ten = chain(10);
    let refs: Vec<(&str, &str)> = ten.iter().map(|(a, t)| (a.as_str(), t.as_str())).collect();
    let errors = outcome(caller, &refs, &[]).errors_text();
    assert!(
        errors.contains("calls o/r/.github/workflows/l10.yml@v1, connecting more than 10 levels"),
        "{errors}"
    );
    // A workflow calling itself stops there too.
    let selfcall = "on: workflow_call\njobs:\n  j:\n    uses: ./.github/workflows/l1.yml\n";
    let errors = outcome(
        caller,
        &[("o/r/.github/workflows/l1.yml@v1", selfcall)],
        &[],
    )
    .errors_text();
    assert!(errors.contains("more than 10 levels"), "{errors}");
}

#[test]
fn at_most_fifty_unique_reusable_workflows() {
    let leaf =
        "on: workflow_call\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{run: echo}]\n";
    let files: Vec<(String, &str)> = (0..51)
        .map(|i| (format!("o/r/.github/workflows/w{i}.yml@v1"), leaf))
        .collect();
    let refs: Vec<(&str, &str)> = files.iter().map(|(a, t)| (a.as_str(), *t)).collect();
    let caller = |n: usize| {
        let mut c = "on: push\njobs:\n".to_string();
        for i in 0..n {
            c.push_str(&format!(
                "  c{i}:\n    uses: o/r/.github/workflows/w{i}.yml@v1\n"
            ));
        }
        // The same workflow called twice counts once.
        c.push_str("  again:\n    uses: o/r/.github/workflows/w0.yml@v1\n");
        c
    };
    assert_eq!(jobs(&outcome(&caller(50), &refs, &[])).len(), 51);
    let errors = outcome(&caller(51), &refs, &[]).errors_text();
    assert!(
        errors.contains(
            "calls o/r/.github/workflows/w50.yml@v1, more than 50 unique reusable workflows"
        ),
        "{errors}"
    );
}

#[test]
fn a_call_whose_matrix_needs_run_time_outputs_waits_for_the_run() {
    let caller = format!("on: push\njobs:\n  setup:\n    runs-on: ubuntu-latest\n    steps: [{{run: echo}}]\n  call:\n    needs: setup\n    strategy:\n      matrix:\n        n: ${{{{ fromJSON(needs.setup.outputs.list) }}}}\n    uses: {AT}\n    with:\n      n: ${{{{ matrix.n }}}}\n");
    let o = outcome(&caller, &[(AT, BUILD)], &[]);
    let jobs = jobs(&o);
    let keys: Vec<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
    assert_eq!(keys, ["setup", "call"], "one placeholder for the call");
    let call = &jobs[1];
    assert!(call.at_run_time.is_some(), "planned again at run time");
    assert_eq!(call.called_from.as_deref(), Some(AT));
    // At run time, with the outputs known, the legs each call the remote workflow.
    let rt = call.at_run_time.as_ref().unwrap();
    let needs = serde_json::json!({"setup": {"outputs": {"list": "[1, 2]"}, "result": "success"}});
    let mut r = MemoryResolver::default();
    r.remote.insert(AT.to_string(), wf(BUILD));
    let legs = crate::replan_job(rt, Value::from_json(&needs), &r).unwrap();
    let keys: Vec<&str> = legs.iter().map(|j| j.key.as_str()).collect();
    assert_eq!(keys, ["call (1)/build", "call (2)/build"]);
}

/// Inside a remote workflow, a `./` call left to run time (its matrix needs outputs) is
/// still in that repository when the run plans it.
#[test]
fn a_run_time_call_inside_a_remote_workflow_stays_in_its_repository() {
    let outer = "on: workflow_call\njobs:\n  setup:\n    runs-on: ubuntu-latest\n    steps: [{run: echo}]\n  fan:\n    needs: setup\n    strategy:\n      matrix:\n        n: ${{ fromJSON(needs.setup.outputs.list) }}\n    uses: ./.github/workflows/inner.yml\n";
    let inner =
        "on: workflow_call\njobs:\n  leaf:\n    runs-on: ubuntu-latest\n    steps: [{run: echo}]\n";
    let inner_at = "octo-org/shared/.github/workflows/inner.yml@v1";
    let caller = format!("on: push\njobs:\n  call:\n    uses: {AT}\n");
    let o = outcome(&caller, &[(AT, outer), (inner_at, inner)], &[]);
    let fan = jobs(&o)
        .iter()
        .find(|j| j.key == "call/fan")
        .expect("call/fan");
    let rt = fan.at_run_time.as_ref().expect("left to run time");
    let needs = serde_json::json!({"setup": {"outputs": {"list": "[1]"}, "result": "success"}});
    let mut r = MemoryResolver::default();
    r.remote.insert(inner_at.to_string(), wf(inner));
    // The workspace's file of the same path is not the one planned.
    r.workflows
        .insert(".github/workflows/inner.yml".into(), wf(BUILD));
    let legs = crate::replan_job(rt, Value::from_json(&needs), &r).unwrap();
    let keys: Vec<&str> = legs.iter().map(|j| j.key.as_str()).collect();
    assert_eq!(keys, ["call/fan (1)/leaf"]);
}
