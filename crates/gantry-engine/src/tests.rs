//! The engine against the fake backend, on plans built by hand (no YAML): what runs, in
//! which order, how steps and jobs conclude, what is reported, and what the backend was
//! asked to create and remove.

use super::*;
use crate::backend::fake::{Call, FakeBackend, Script, When};
use gantry_plan::{
    Decision, EnvTemplate, JobExec, JobPlan, Setting, StepEnvironment, StepExec, StepKind, StepPlan,
};

pub(crate) fn step(id: &str) -> StepPlan {
    StepPlan {
        index: 0,
        id: Some(id.to_string()),
        name: id.to_string(),
        kind: StepKind::Run {
            shell: "sh".into(),
            script: format!("echo {id}"),
            run_shell: Some("sh".into()),
        },
        condition: Decision::Now { value: true },
        exec: StepExec::default(),
    }
}

fn with_if(mut s: StepPlan, cond: &str) -> StepPlan {
    s.exec.if_ = Some(cond.to_string());
    s
}

pub(crate) fn job(id: &str, needs: &[&str], steps: Vec<StepPlan>) -> JobPlan {
    JobPlan {
        id: id.to_string(),
        key: id.to_string(),
        name: id.to_string(),
        needs: needs.iter().map(|n| n.to_string()).collect(),
        condition: Decision::Now { value: true },
        skip_reason: None,
        no_image: false,
        matrix: None,
        runs_on: vec!["x".into()],
        image: Some("runner:1".into()),
        services: Vec::new(),
        steps,
        concurrency: None,
        timeout_minutes: None,
        continue_on_error: Decision::Now { value: false },
        strategy: None,
        called_from: None,
        env: Vec::new(),
        secrets: Vec::new(),
        call: None,
        exec: JobExec::default(),
        at_run_time: None,
    }
}

/// Makes the step with id `id` exit with `code`.
pub(crate) fn exits(b: &FakeBackend, id: &str, code: i64) {
    b.script(
        When::Env("GITHUB_ACTION".into(), id.into()),
        Script::exit(code),
    );
}

pub(crate) struct Ran {
    pub(crate) result: RunResult,
    pub(crate) events: Vec<RunEvent>,
}

impl Ran {
    pub(crate) fn job(&self, key: &str) -> &JobResult {
        self.result.jobs.iter().find(|j| j.key == key).unwrap()
    }

    /// `(step label, outcome, conclusion)` of a job's finished steps, in order.
    pub(crate) fn steps(&self, job: &str) -> Vec<(String, Conclusion, Conclusion)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                RunEvent::StepFinished {
                    job: j,
                    name,
                    outcome,
                    conclusion,
                    ..
                } if j == job => Some((name.clone(), *outcome, *conclusion)),
                _ => None,
            })
            .collect()
    }

    fn started_steps(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                RunEvent::StepStarted { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect()
    }

    /// Where in the event stream something happened, for ordering assertions.
    pub(crate) fn at(&self, what: impl Fn(&RunEvent) -> bool) -> usize {
        self.events.iter().position(what).expect("the event")
    }
}

pub(crate) async fn run(backend: &Arc<FakeBackend>, jobs: Vec<JobPlan>) -> Ran {
    run_with(backend, jobs, Arc::new(NoRemote)).await
}

async fn run_with(
    backend: &Arc<FakeBackend>,
    jobs: Vec<JobPlan>,
    actions: Arc<dyn ActionSource>,
) -> Ran {
    run_keeping(backend, jobs, actions, Vec::new()).await
}

/// As [`run`], an attempt keeping `kept` from an earlier one.
pub(crate) async fn run_keeping(
    backend: &Arc<FakeBackend>,
    jobs: Vec<JobPlan>,
    actions: Arc<dyn ActionSource>,
    kept: Vec<KeptJob>,
) -> Ran {
    let scratch = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        workspace: workspace.path().to_path_buf(),
        run_root: scratch.path().to_path_buf(),
        max_jobs: 2,
        ..EngineConfig::default()
    };
    let engine = Engine::new(backend.clone(), config).with_actions(actions);
    let plan = WorkflowPlan {
        run_name: None,
        concurrency: None,
        jobs,
        step_environment: StepEnvironment {
            variables: Vec::new(),
            files: Vec::new(),
        },
        inputs: serde_json::Map::new(),
    };
    let req = RunRequest {
        attempt: 1,
        run_id: "7".into(),
        run_number: 7,
        file: ".github/workflows/w.yml".into(),
        workflow_name: "w".into(),
        plan,
        event: Event {
            name: "push".into(),
            payload: serde_json::json!({}),
            meta: Default::default(),
        },
        remote: Default::default(),
        kept,
    };
    let collect = Arc::new(Collect::default());
    let result = engine
        .run(req, collect.clone(), Signals::default())
        .await
        .expect("the run");
    Ran {
        result,
        events: collect.events(),
    }
}

#[tokio::test]
async fn a_run_step_succeeds_in_the_job_container_and_everything_is_removed() {
    let b = Arc::new(FakeBackend::new());
    let ran = run(&b, vec![job("build", &[], vec![step("hello")])]).await;
    assert_eq!(ran.result.conclusion, Conclusion::Success);
    let ok = Conclusion::Success;
    assert_eq!(ran.steps("build"), vec![("hello".into(), ok, ok)]);
    let created = b.created();
    assert_eq!(created.len(), 1, "one job container");
    assert_eq!(created[0].image, "runner:1");
    assert!(created[0]
        .labels
        .iter()
        .any(|(k, v)| k == crate::backend::LABEL_JOB && v == "build"));
    let exec = b
        .execs()
        .into_iter()
        .find(|e| {
            e.env
                .iter()
                .any(|(k, v)| k == "GITHUB_ACTION" && v == "hello")
        })
        .expect("the step ran with exec");
    assert!(
        exec.cmd.iter().any(|a| a.ends_with("step-1.sh")),
        "{exec:?}"
    );
    assert!(exec
        .env
        .iter()
        .any(|(k, v)| k == "GITHUB_JOB" && v == "build"));
    assert!(b.live().is_empty(), "left behind: {:?}", b.live());
    assert!(matches!(
        ran.events.first(),
        Some(RunEvent::RunStarted { .. })
    ));
    assert!(matches!(
        ran.events.last(),
        Some(RunEvent::RunFinished { .. })
    ));
}

#[tokio::test]
async fn a_failing_step_stops_the_steps_after_it() {
    let b = Arc::new(FakeBackend::new());
    exits(&b, "first", 2);
    let ran = run(&b, vec![job("j", &[], vec![step("first"), step("second")])]).await;
    let (fail, skip) = (Conclusion::Failure, Conclusion::Skipped);
    assert_eq!(
        ran.steps("j"),
        vec![("first".into(), fail, fail), ("second".into(), skip, skip)]
    );
    assert_eq!(ran.started_steps(), vec!["first".to_string()]);
    assert_eq!(ran.job("j").conclusion, Conclusion::Failure);
    assert_eq!(
        ran.job("j").reason.as_deref(),
        Some("step 1 `first` failed: exit code 2")
    );
    assert_eq!(ran.result.conclusion, Conclusion::Failure);
    let second_ran = b.execs().iter().any(|e| {
        e.env
            .iter()
            .any(|(k, v)| k == "GITHUB_ACTION" && v == "second")
    });
    assert!(!second_ran);
}

#[tokio::test]
async fn always_and_continue_on_error_decide_what_runs_after_a_failure() {
    let b = Arc::new(FakeBackend::new());
    exits(&b, "tolerated", 1);
    exits(&b, "broken", 1);
    let mut tolerated = step("tolerated");
    tolerated.exec.continue_on_error = Some(Setting::Expr("${{ 1 == 1 }}".into()));
    let steps = vec![
        tolerated,
        step("after-tolerated"),
        step("broken"),
        step("normal"),
        with_if(step("cleanup"), "always()"),
        with_if(step("on-failure"), "failure()"),
        with_if(step("on-success"), "success()"),
    ];
    let ran = run(&b, vec![job("j", &[], steps)]).await;
    let (ok, fail, skip) = (
        Conclusion::Success,
        Conclusion::Failure,
        Conclusion::Skipped,
    );
    let want: Vec<(String, Conclusion, Conclusion)> = vec![
        ("tolerated".into(), fail, ok),
        ("after-tolerated".into(), ok, ok),
        ("broken".into(), fail, fail),
        ("normal".into(), skip, skip),
        ("cleanup".into(), ok, ok),
        ("on-failure".into(), ok, ok),
        ("on-success".into(), skip, skip),
    ];
    assert_eq!(ran.steps("j"), want);
    assert_eq!(ran.job("j").conclusion, Conclusion::Failure);
    assert!(ran.job("j").reason.as_deref().unwrap().contains("`broken`"));
}

#[tokio::test]
async fn a_job_starts_after_the_jobs_it_needs_and_is_skipped_when_one_fails() {
    let b = Arc::new(FakeBackend::new());
    exits(&b, "bad", 1);
    let jobs = vec![
        job("first", &[], vec![step("one")]),
        job("second", &["first"], vec![step("two")]),
        job("broken", &[], vec![step("bad")]),
        job("never", &["broken"], vec![step("three")]),
        job("anyway", &["broken"], vec![step("four")]),
    ];
    let mut jobs = jobs;
    jobs[4].exec.if_ = Some("always()".into());
    jobs[4].condition = Decision::AtRunTime {
        expression: "always()".into(),
    };
    let ran = run(&b, jobs).await;
    let finished_first =
        ran.at(|e| matches!(e, RunEvent::JobFinished { job, .. } if job == "first"));
    let started_second =
        ran.at(|e| matches!(e, RunEvent::JobStarted { job, .. } if job == "second"));
    assert!(finished_first < started_second, "{:#?}", ran.events);
    assert_eq!(ran.job("second").conclusion, Conclusion::Success);
    assert_eq!(ran.job("never").conclusion, Conclusion::Skipped);
    assert_eq!(
        ran.job("never").reason.as_deref(),
        Some("a job it needs failed")
    );
    assert_eq!(ran.job("anyway").conclusion, Conclusion::Success);
    assert_eq!(ran.result.conclusion, Conclusion::Failure);
    // A skipped job never creates a container.
    assert!(b.created().iter().all(|c| !c.name.ends_with("-never")));
    assert!(b.live().is_empty());
}

/// A job with `if: COND` (decided at run time).
fn with_job_if(mut j: JobPlan, cond: &str) -> JobPlan {
    j.exec.if_ = Some(cond.into());
    j.condition = Decision::AtRunTime {
        expression: cond.into(),
    };
    j
}

#[tokio::test]
async fn a_job_without_an_image_is_skipped_and_so_are_the_jobs_that_need_it() {
    let b = Arc::new(FakeBackend::new());
    let mut mac = job("mac", &[], vec![step("never")]);
    mac.image = None;
    mac.no_image = true;
    mac.skip_reason = Some("no image for runs-on [macos-latest]; map a label with -P".into());
    let jobs = vec![
        mac,
        job("linux", &[], vec![step("one")]),
        job("after", &["mac"], vec![step("two")]),
        with_job_if(
            job("on-failure", &["mac"], vec![step("three")]),
            "failure()",
        ),
        with_job_if(job("anyway", &["mac"], vec![step("four")]), "!cancelled()"),
    ];
    let ran = run(&b, jobs).await;
    let (ok, skip) = (Conclusion::Success, Conclusion::Skipped);
    let got: Vec<(&str, Conclusion)> = ["mac", "linux", "after", "on-failure", "anyway"]
        .into_iter()
        .map(|k| (k, ran.job(k).conclusion))
        .collect();
    let want = vec![
        ("mac", skip),
        ("linux", ok),
        ("after", skip),
        ("on-failure", skip),
        ("anyway", ok),
    ];
    assert_eq!(got, want);
    assert!(ran.job("mac").reason.as_deref().unwrap().contains("-P"));
    assert_eq!(
        ran.job("after").reason.as_deref(),
        Some("a job it needs was skipped")
    );
    assert_eq!(ran.result.conclusion, Conclusion::Success);
    assert!(b.created().iter().all(|c| !c.name.ends_with("-mac")));
}

#[tokio::test]
async fn failure_holds_after_a_job_skipped_because_of_a_failure() {
    let b = Arc::new(FakeBackend::new());
    exits(&b, "bad", 1);
    let jobs = vec![
        job("broken", &[], vec![step("bad")]),
        job("skipped", &["broken"], vec![step("one")]),
        with_job_if(job("report", &["skipped"], vec![step("two")]), "failure()"),
    ];
    let ran = run(&b, jobs).await;
    assert_eq!(ran.job("skipped").conclusion, Conclusion::Skipped);
    assert_eq!(ran.job("report").conclusion, Conclusion::Success);
}

/// GitHub: a job whose ancestor failed is skipped by the implicit `success()`, even when
/// the job between them ran because of `if: always()`.
#[tokio::test]
async fn a_failure_two_jobs_up_skips_a_job_even_through_an_always_job() {
    let b = Arc::new(FakeBackend::new());
    exits(&b, "bad", 1);
    let mut jobs = vec![
        job("broken", &[], vec![step("bad")]),
        job("report", &["broken"], vec![step("two")]),
        job("deploy", &["report"], vec![step("three")]),
        job("notify", &["report"], vec![step("four")]),
    ];
    for k in [1, 3] {
        jobs[k].exec.if_ = Some("always()".into());
        jobs[k].condition = Decision::AtRunTime {
            expression: "always()".into(),
        };
    }
    let ran = run(&b, jobs).await;
    assert_eq!(ran.job("report").conclusion, Conclusion::Success);
    assert_eq!(ran.job("deploy").conclusion, Conclusion::Skipped);
    assert_eq!(ran.job("notify").conclusion, Conclusion::Success);
}

#[tokio::test]
async fn outputs_pass_from_a_step_to_its_job_and_to_the_jobs_that_need_it() {
    let b = Arc::new(FakeBackend::new());
    b.script(
        When::Env("GITHUB_ACTION".into(), "produce".into()),
        Script::default()
            .stdout("making a value\n")
            .write("GITHUB_OUTPUT", "value=42\n"),
    );
    let mut producer = job("producer", &[], vec![step("produce")]);
    producer.exec.outputs = vec![("answer".into(), "${{ steps.produce.outputs.value }}".into())];
    let mut consume = step("consume");
    consume.exec.env = EnvTemplate::Map(vec![(
        "GOT".into(),
        "${{ needs.producer.outputs.answer }}".into(),
    )]);
    let consumer = job("consumer", &["producer"], vec![consume]);
    let ran = run(&b, vec![producer, consumer]).await;
    assert_eq!(ran.result.conclusion, Conclusion::Success);
    assert_eq!(
        ran.job("producer")
            .outputs
            .get("answer")
            .map(String::as_str),
        Some("42")
    );
    let consumed = b
        .execs()
        .into_iter()
        .find(|e| {
            e.env
                .iter()
                .any(|(k, v)| k == "GITHUB_ACTION" && v == "consume")
        })
        .expect("the consumer ran");
    assert!(consumed
        .env
        .contains(&("GOT".to_string(), "42".to_string())));
    let logged = ran.events.iter().any(|e| {
        matches!(e, RunEvent::Log { job, line, .. } if job == "producer" && line == "making a value")
    });
    assert!(logged, "the step's output is reported");
}

#[tokio::test]
async fn a_missing_image_fails_the_job_and_a_service_gets_its_own_network() {
    let b = Arc::new(FakeBackend::new());
    b.missing_image("gone:1");
    let mut lost = job("lost", &[], vec![step("x")]);
    lost.image = Some("gone:1".into());
    let mut served = job("served", &[], vec![step("y")]);
    served.exec.services = vec![(
        "db".into(),
        gantry_plan::ContainerTemplate {
            image: Some("postgres:16".into()),
            ..Default::default()
        },
    )];
    let ran = run(&b, vec![lost, served]).await;
    let reason = ran.job("lost").reason.clone().unwrap();
    assert!(
        reason.contains("job `lost`") && reason.contains("gone:1"),
        "{reason}"
    );
    assert_eq!(ran.job("served").conclusion, Conclusion::Success);
    let networks: Vec<_> = b
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            Call::CreateNetwork(n) => Some(n),
            _ => None,
        })
        .collect();
    assert_eq!(
        networks.len(),
        1,
        "only the job with a service gets a network"
    );
    let db = b
        .created()
        .into_iter()
        .find(|c| c.image == "postgres:16")
        .unwrap();
    // A job without `container:` reaches its service at localhost: the service joins the
    // job container's network namespace, and the job container answers to its name.
    assert!(db.aliases.is_empty(), "{:?}", db.aliases);
    assert!(
        db.network
            .as_deref()
            .is_some_and(|n| n.starts_with("container:")),
        "{:?}",
        db.network
    );
    let job = b
        .created()
        .into_iter()
        .find(|c| c.aliases.contains(&"db".to_string()))
        .expect("the job container answers to the service's name");
    assert_eq!(job.network.as_deref(), Some(networks[0].name.as_str()));
    assert!(b.live().is_empty(), "left behind: {:?}", b.live());
}

/// A composite action whose one step writes an output the action maps to its own.
fn composite_action() -> Arc<gantry_plan::ActionPlan> {
    let mut inner = step("inner");
    inner.kind = StepKind::Run {
        shell: "sh".into(),
        script: "echo ${{ inputs.who }}".into(),
        run_shell: Some("sh".into()),
    };
    Arc::new(gantry_plan::ActionPlan {
        dir: "greet".into(),
        file: "greet/action.yml".into(),
        inputs: vec![("who".into(), Some("world".into()))],
        outputs: vec![(
            "said".into(),
            Some("${{ steps.inner.outputs.text }}".into()),
        )],
        runs: gantry_plan::ActionRuns::Composite(vec![inner]),
    })
}

#[tokio::test]
async fn a_composite_action_runs_its_planned_steps_with_inputs_and_outputs() {
    let b = Arc::new(FakeBackend::new());
    b.script(
        When::Env("GITHUB_ACTION".into(), "inner".into()),
        Script::default().write("GITHUB_OUTPUT", "text=hi\n"),
    );
    let mut uses = step("greet");
    uses.kind = StepKind::Composite {
        path: "greet".into(),
        steps: 1,
        action: composite_action(),
    };
    uses.exec.uses = Some("./greet".into());
    let mut after = step("after");
    after.exec.env = EnvTemplate::Map(vec![(
        "SAID".into(),
        "${{ steps.greet.outputs.said }}".into(),
    )]);
    let ran = run(&b, vec![job("j", &[], vec![uses, after])]).await;
    assert_eq!(
        ran.result.conclusion,
        Conclusion::Success,
        "{:#?}",
        ran.events
    );
    let labels: Vec<String> = ran
        .events
        .iter()
        .filter_map(|e| match e {
            RunEvent::StepFinished { step, .. } => Some(step.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        labels,
        ["1.1", "1", "2"],
        "the action's step is labelled under it"
    );
    let inner = b
        .execs()
        .into_iter()
        .find(|e| {
            e.env
                .iter()
                .any(|(k, v)| k == "GITHUB_ACTION" && v == "inner")
        })
        .unwrap();
    let path = inner.env.iter().find(|(k, _)| k == "GITHUB_ACTION_PATH");
    assert_eq!(
        path.map(|(_, v)| v.as_str()),
        Some("/github/workspace/greet")
    );
    let after = b
        .execs()
        .into_iter()
        .find(|e| {
            e.env
                .iter()
                .any(|(k, v)| k == "GITHUB_ACTION" && v == "after")
        })
        .unwrap();
    assert!(after.env.contains(&("SAID".to_string(), "hi".to_string())));
}

/// Gives one directory for every repository.
struct OneDir(std::path::PathBuf);

impl ActionSource for OneDir {
    fn repository<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
    ) -> gantry_secrets::BoxFuture<'a, Result<std::path::PathBuf, crate::ActionSourceError>> {
        let dir = self.0.clone();
        Box::pin(async move { Ok(dir) })
    }
}

#[tokio::test]
async fn a_remote_action_is_planned_when_the_run_has_it_and_an_invalid_step_fails() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join("action.yml"),
        "name: r\ninputs:\n  level:\n    default: high\nruns:\n  using: node20\n  main: main.js\n",
    )
    .unwrap();
    let b = Arc::new(FakeBackend::new());
    let mut remote = step("remote");
    remote.kind = StepKind::Remote {
        repository: "octo/tool".into(),
        path: String::new(),
        git_ref: "v1".into(),
    };
    remote.exec.uses = Some("octo/tool@v1".into());
    let mut broken = with_if(step("broken"), "always()");
    broken.kind = StepKind::Invalid {
        reason: "no action.yml or action.yaml at ./gone".into(),
        error: Some("the directory /ws/gone does not exist".into()),
    };
    broken.exec.uses = Some("./gone".into());
    let mut j = job("j", &[], vec![remote, broken]);
    j.exec.default_shell = Some("sh".into());
    let ran = run_with(&b, vec![j], Arc::new(OneDir(repo.path().to_path_buf()))).await;
    let node = b
        .execs()
        .into_iter()
        .find(|e| {
            e.env
                .iter()
                .any(|(k, v)| k == "GITHUB_ACTION" && v == "remote")
        })
        .expect("the remote action ran");
    let main = "/github/actions/octo/tool/v1/main.js".to_string();
    assert!(node.cmd.contains(&main), "{:?}", node.cmd);
    assert!(node
        .env
        .contains(&("INPUT_LEVEL".to_string(), "high".to_string())));
    let uploaded = b
        .calls()
        .iter()
        .any(|c| matches!(c, Call::Upload { dest, .. } if dest == "/github/actions/octo/tool/v1"));
    assert!(uploaded, "the repository is copied into the job container");
    let reasons: Vec<Option<String>> = ran
        .events
        .into_iter()
        .filter_map(|e| match e {
            RunEvent::StepFinished { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        [
            None,
            Some("action `./gone`: the directory /ws/gone does not exist".to_string())
        ]
    );
    assert_eq!(ran.result.conclusion, Conclusion::Failure);
}

#[tokio::test]
async fn a_matrix_from_a_needed_jobs_outputs_is_planned_when_that_job_is_done() {
    let yaml = "on: push\njobs:\n  setup:\n    runs-on: ubuntu-latest\n    outputs:\n      list: ${{ steps.s.outputs.list }}\n    steps:\n      - id: s\n        run: echo\n  test:\n    needs: setup\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        os: ${{ fromJSON(needs.setup.outputs.list) }}\n    steps:\n      - id: t\n        env:\n          OS: ${{ matrix.os }}\n        run: echo\n";
    let checked = gantry_core::validate::check_bytes(
        yaml.as_bytes(),
        gantry_core::validate::FileKind::Workflow,
    );
    let file = gantry_plan::WorkflowFile {
        path: "w.yml",
        workflow: checked.workflow.as_ref(),
        errors: Vec::new(),
    };
    let event = Event {
        name: "push".into(),
        payload: serde_json::json!({}),
        meta: Default::default(),
    };
    let options = gantry_plan::PlanOptions::default();
    let plan = gantry_plan::plan(&event, &[file], &options, &gantry_plan::resolve::NoFiles);
    let outcome = &plan.workflows[0];
    let placeholder = &outcome.run.as_ref().unwrap().jobs[1];
    assert!(placeholder.at_run_time.is_some(), "{placeholder:?}");
    let b = Arc::new(FakeBackend::new());
    b.script(
        When::Env("GITHUB_ACTION".into(), "s".into()),
        Script::default().write("GITHUB_OUTPUT", "list=[\"a\",\"b\"]\n"),
    );
    let jobs = RunRequest::from_outcome(outcome, &event, "9".into(), 9)
        .unwrap()
        .plan
        .jobs;
    let ran = run(&b, jobs).await;
    let keys: Vec<(&str, Conclusion)> = ran
        .result
        .jobs
        .iter()
        .map(|j| (j.key.as_str(), j.conclusion))
        .collect();
    let ok = Conclusion::Success;
    assert_eq!(keys, [("setup", ok), ("test (a)", ok), ("test (b)", ok)]);
    let oses: Vec<String> = b
        .execs()
        .into_iter()
        .filter(|e| e.env.iter().any(|(k, v)| k == "GITHUB_ACTION" && v == "t"))
        .filter_map(|e| {
            e.env
                .iter()
                .find(|(k, _)| k == "OS")
                .map(|(_, v)| v.clone())
        })
        .collect();
    assert_eq!(oses.len(), 2);
    assert!(oses.contains(&"a".to_string()) && oses.contains(&"b".to_string()));
}
