//! The scheduler without Docker: the fake backend, a real run store in a temporary
//! directory, hook events accepted as ingress accepts them. A run goes queued → in progress
//! → completed with its jobs, steps and log lines recorded; a failing step fails the run
//! with its reason; cancel-in-progress cancels the older run of a concurrency group; a run
//! whose workflow no longer matches, or that needs a secret its tenant lacks, ends before
//! anything starts; a run left in progress by a crash runs again; a run claimed by an
//! instance that died is taken over after its lease, and one executing here never is; with
//! two instances (`App`s) on one store, a run executing on one is cancelled through the
//! other's API, and two runs of one concurrency group never run at the same time. The
//! cases marked so run on a live PostgreSQL store as well (`gantry_store::testpg`).

use super::*;
use crate::accept;
use crate::config::ServeConfig;
use gantry_engine::backend::fake::{Call, FakeBackend, Script, When};
use gantry_engine::backend::{
    BackendError, BuildSpec, ContainerSpec, ExecSpec, Health, Leftovers, NetworkSpec, OutputTx,
    RegistryAuth,
};
use gantry_store::read::RunRow;
use gantry_store::TakeOver as TakeOverSpec;

const DEPLOY: &str = r#"
on:
  webhook:
    names: [deploy]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - id: greet
        run: echo hello
      - id: after
        run: echo after
"#;

/// One run at a time per group, a newer run cancelling the one in progress; each run's
/// `WHICH` comes from its event's body.
const CONCURRENT: &str = r#"
on:
  webhook:
    names: [deploy]
concurrency:
  group: deploy
  cancel-in-progress: true
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - id: slow
        run: sleep 600
        env:
          WHICH: ${{ github.event.body.which }}
"#;

/// A service's state on `backend` with the hook `deploy` whose one workflow is `workflow`,
/// all in `dir`.
struct Setup<B: ContainerBackend> {
    dir: tempfile::TempDir,
    app: Arc<App<B>>,
    rx: Option<mpsc::Receiver<i64>>,
    /// The PostgreSQL database of the store, when it is PostgreSQL.
    _pg: Option<gantry_store::testpg::Database>,
}

/// Which run store a case runs on.
#[derive(Clone, Copy)]
enum On {
    Sqlite,
    Postgres,
}

async fn setup_on<B: ContainerBackend>(on: On, backend: Arc<B>, workflow: &str) -> Setup<B> {
    if let On::Sqlite = on {
        return setup(backend, workflow);
    }
    let db = tokio::task::spawn_blocking(gantry_store::testpg::database)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    let mut s = setup_with(backend, workflow, Some(&db.url)).await;
    s._pg = Some(db);
    s
}

fn setup<B: ContainerBackend>(backend: Arc<B>, workflow: &str) -> Setup<B> {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, run_root) = config(&dir, workflow, None);
    let (app, rx) = App::for_tests(cfg, backend, run_root);
    Setup {
        dir,
        app,
        rx: Some(rx),
        _pg: None,
    }
}

/// A setup whose run store is the PostgreSQL database at `url` (`[store] url`).
async fn setup_with<B: ContainerBackend>(
    backend: Arc<B>,
    workflow: &str,
    url: Option<&str>,
) -> Setup<B> {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, run_root) = config(&dir, workflow, url);
    let store = gantry_store::Store::connect(&cfg.store, &cfg.data_dir, "test")
        .await
        .unwrap();
    let (app, rx) = App::for_tests_on(cfg, backend, run_root, store);
    Setup {
        dir,
        app,
        rx: Some(rx),
        _pg: None,
    }
}

/// The service's configuration for a test in `dir` (the hook `deploy` runs `workflow`),
/// with `[store] url` when given; and the runs' scratch directory.
fn config(
    dir: &tempfile::TempDir,
    workflow: &str,
    url: Option<&str>,
) -> (ServeConfig, std::path::PathBuf) {
    let hooks = dir.path().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(hooks.join("deploy.yml"), workflow).unwrap();
    let text = format!(
        "data_dir = {:?}\ncapacity = 4\nshutdown_grace_secs = 600\n\
         [platforms]\nubuntu-latest = \"runner:1\"\n\
         [hooks.deploy]\ntoken = \"hook-token\"\nworkflows = {:?}\n",
        dir.path().join("data").display().to_string(),
        hooks.display().to_string(),
    );
    let store = url
        .map(|u| format!("[store]\nurl = {u:?}\n"))
        .unwrap_or_default();
    let cfg = ServeConfig::parse(&(text + &store)).unwrap();
    (cfg, dir.path().join("scratch"))
}

impl<B: ContainerBackend> Setup<B> {
    /// Accepts a `deploy` hook call with a JSON `body` as ingress does (recorded, queued);
    /// its run ids.
    async fn accept(&self, key: &str, body: &str) -> Vec<i64> {
        let headers = [("content-type".to_string(), "application/json".to_string())];
        let mut ev = gantry_plan::event::webhook_call("deploy", &headers, body.as_bytes());
        let workflows = accept::workflows_for(&self.app, "hook:deploy", &mut ev).await;
        let id = format!("hook:deploy:{key}");
        let a = accept::accept(&self.app, id, "hook:deploy", &ev, &workflows)
            .await
            .unwrap();
        a.run_ids
    }

    /// The scheduler's loop with shutdown already asked for: it takes every queued run (the
    /// capacity is above the runs of a test) and waits for them to end within the grace
    /// period (long), then returns with the store flushed.
    async fn run_queued(&mut self, recovered: Vec<i64>) {
        let stop = CancellationToken::new();
        stop.cancel();
        let rx = self.rx.take().expect("the scheduler runs once");
        run(self.app.clone(), recovered, rx, stop).await;
        self.app.runs.store.flush().await.unwrap();
    }

    /// Empties the scheduler's queue, as a crash does (the runs stay in the store).
    fn lose_queue(&mut self) {
        let rx = self.rx.as_mut().expect("the scheduler has not run");
        while rx.try_recv().is_ok() {}
    }

    async fn run_row(&self, id: i64) -> RunRow {
        let c = self.app.runs.store.reader().await.unwrap();
        read::run(&c, id).await.unwrap().expect("the run")
    }

    /// The run's own status changes (not its jobs' or steps'), oldest first.
    async fn history(&self, id: i64) -> Vec<Status> {
        let c = self.app.runs.store.reader().await.unwrap();
        read::changes(&c, id)
            .await
            .unwrap()
            .into_iter()
            .filter(|ch| ch.job.is_none() && ch.step.is_none())
            .map(|ch| ch.status)
            .collect()
    }

    async fn logs(&self, id: i64) -> Vec<String> {
        let c = self.app.runs.store.reader().await.unwrap();
        let rows = read::logs_after(&c, id, 0, i64::MAX).await.unwrap();
        rows.into_iter().map(|l| l.line).collect()
    }
}

/// Runs the scheduler (with `recovered` runs) until run `id` has ended (or 20 s passed),
/// then stops it.
async fn run_until_ended<B: ContainerBackend>(s: &mut Setup<B>, id: i64, recovered: Vec<i64>) {
    let stop = CancellationToken::new();
    let rx = s.rx.take().expect("the scheduler runs once");
    let sched = tokio::spawn(run(s.app.clone(), recovered, rx, stop.clone()));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while s.run_row(id).await.status != Status::Completed && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    sched.await.unwrap();
    s.app.runs.store.flush().await.unwrap();
}

/// Run `id` ended `success`, having been started once.
async fn assert_succeeded_once<B: ContainerBackend>(s: &Setup<B>, id: i64) {
    assert_eq!(
        ended(&s.run_row(id).await),
        (Status::Completed, Some(Conclusion::Success))
    );
    assert_eq!(
        s.history(id).await,
        [Status::Queued, Status::InProgress, Status::Completed]
    );
}

fn ended(row: &RunRow) -> (Status, Option<Conclusion>) {
    (row.status, row.conclusion)
}

#[tokio::test]
async fn an_accepted_run_is_queued_then_in_progress_then_succeeds_with_steps_and_logs() {
    an_accepted_run_is_queued_then_in_progress_then_succeeds_with_steps_and_logs_on(On::Sqlite)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_run_is_queued_then_in_progress_then_succeeds_with_steps_and_logs_on_postgres()
{
    an_accepted_run_is_queued_then_in_progress_then_succeeds_with_steps_and_logs_on(On::Postgres)
        .await
}

async fn an_accepted_run_is_queued_then_in_progress_then_succeeds_with_steps_and_logs_on(on: On) {
    let fake = Arc::new(FakeBackend::new());
    fake.script(
        When::Env("GITHUB_ACTION".into(), "greet".into()),
        Script::default().stdout("hello from the fake\n"),
    );
    let mut s = setup_on(on, fake.clone(), DEPLOY).await;
    let ids = s.accept("1", "{}").await;
    let [id] = ids[..] else {
        panic!("one run: {ids:?}")
    };
    assert_eq!(ended(&s.run_row(id).await), (Status::Queued, None));
    s.run_queued(Vec::new()).await;
    let row = s.run_row(id).await;
    assert_eq!(ended(&row), (Status::Completed, Some(Conclusion::Success)));
    assert_eq!(row.reason, None);
    assert_eq!(
        s.history(id).await,
        [Status::Queued, Status::InProgress, Status::Completed]
    );
    let c = s.app.runs.store.reader().await.unwrap();
    let jobs = read::jobs(&c, id).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].conclusion, Some(Conclusion::Success));
    let steps: Vec<_> = jobs[0]
        .steps
        .iter()
        .map(|st| (st.name.as_str(), st.conclusion))
        .collect();
    let ok = Some(Conclusion::Success);
    assert!(
        steps.contains(&("greet", ok)) && steps.contains(&("after", ok)),
        "{steps:?}"
    );
    let logs = s.logs(id).await;
    assert!(logs.iter().any(|l| l == "hello from the fake"), "{logs:?}");
    assert!(fake.live().is_empty(), "left behind: {:?}", fake.live());
    let work = s.dir.path().join("data/work").join(id.to_string());
    assert!(!work.exists(), "the run's workspace copy is removed");
}

#[tokio::test]
async fn a_step_exiting_1_fails_the_run_with_the_reason_and_skips_the_rest() {
    let fake = Arc::new(FakeBackend::new());
    fake.script(
        When::Env("GITHUB_ACTION".into(), "greet".into()),
        Script::exit(1).stderr("no such host\n"),
    );
    let mut s = setup(fake.clone(), DEPLOY);
    let [id] = s.accept("1", "{}").await[..] else {
        panic!("one run")
    };
    s.run_queued(Vec::new()).await;
    let row = s.run_row(id).await;
    assert_eq!(ended(&row), (Status::Completed, Some(Conclusion::Failure)));
    let reason = row.reason.expect("a failed run says why");
    assert!(reason.contains("greet"), "{reason}");
    let c = s.app.runs.store.reader().await.unwrap();
    let jobs = read::jobs(&c, id).await.unwrap();
    let step = |name: &str| {
        let st = jobs[0].steps.iter().find(|st| st.name == name);
        st.and_then(|st| st.conclusion)
    };
    assert_eq!(step("greet"), Some(Conclusion::Failure));
    assert_ne!(step("after"), Some(Conclusion::Success));
    assert!(s.logs(id).await.iter().any(|l| l == "no such host"));
}

#[tokio::test]
async fn cancel_in_progress_cancels_the_older_run_and_the_newer_runs_after_it() {
    let held = Arc::new(Held::new("WHICH", "old"));
    let s = setup(held.clone(), CONCURRENT);
    let [old] = s.accept("old", r#"{"which":"old"}"#).await[..] else {
        panic!("one run")
    };
    let [new] = s.accept("new", r#"{"which":"new"}"#).await[..] else {
        panic!("one run")
    };
    let app = s.app.clone();
    let first = tokio::spawn(async move { execute(&app, old).await });
    // The older run's step is running when the newer one enters the group.
    held.started.cancelled().await;
    s.app.runs.store.flush().await.unwrap();
    assert_eq!(s.run_row(old).await.status, Status::InProgress);
    execute(&s.app, new).await;
    first.await.unwrap();
    s.app.runs.store.flush().await.unwrap();
    let (old_row, new_row) = (s.run_row(old).await, s.run_row(new).await);
    assert_eq!(
        ended(&old_row),
        (Status::Completed, Some(Conclusion::Cancelled))
    );
    assert_eq!(
        ended(&new_row),
        (Status::Completed, Some(Conclusion::Success))
    );
    let killed = held.fake.execs().iter().any(|e| {
        let cmd = e.cmd.join(" ");
        cmd.contains("kill -TERM")
    });
    assert!(killed, "the older run's step was signalled");
    let waited = s.logs(new).await;
    assert!(
        waited.contains(&"waiting for concurrency group `deploy`".to_string()),
        "{waited:?}"
    );
}

#[tokio::test]
async fn a_run_whose_workflow_no_longer_matches_ends_skipped_without_starting() {
    let fake = Arc::new(FakeBackend::new());
    let mut s = setup(fake.clone(), DEPLOY);
    let [id] = s.accept("1", "{}").await[..] else {
        panic!("one run")
    };
    // Changed while the run waited: it is for another hook now.
    let other = DEPLOY.replace("names: [deploy]", "names: [other]");
    std::fs::write(s.dir.path().join("hooks/deploy.yml"), other).unwrap();
    s.run_queued(Vec::new()).await;
    let row = s.run_row(id).await;
    assert_eq!(ended(&row), (Status::Completed, Some(Conclusion::Skipped)));
    assert_eq!(
        row.reason.as_deref(),
        Some("the workflow no longer matches the event")
    );
    assert!(fake.calls().is_empty(), "{:?}", fake.calls());
}

#[tokio::test]
async fn a_secret_the_tenant_lacks_fails_the_run_before_anything_starts() {
    let fake = Arc::new(FakeBackend::new());
    let workflow = DEPLOY.replace(
        "run: echo after",
        "run: echo after\n        env:\n          TOKEN: ${{ secrets.DEPLOY_TOKEN }}",
    );
    let mut s = setup(fake.clone(), &workflow);
    let [id] = s.accept("1", "{}").await[..] else {
        panic!("one run")
    };
    s.run_queued(Vec::new()).await;
    let row = s.run_row(id).await;
    assert_eq!(ended(&row), (Status::Completed, Some(Conclusion::Failure)));
    let reason = row.reason.unwrap_or_default();
    assert!(reason.contains("DEPLOY_TOKEN"), "{reason}");
    // Taken by this instance (claimed: in progress), then ended before any job started.
    assert_eq!(
        s.history(id).await,
        [Status::Queued, Status::InProgress, Status::Completed]
    );
    assert!(fake.calls().is_empty(), "{:?}", fake.calls());
}

#[tokio::test]
async fn a_run_left_in_progress_by_a_crash_runs_again_as_its_next_attempt() {
    a_run_left_in_progress_by_a_crash_runs_again_as_its_next_attempt_on(On::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_left_in_progress_by_a_crash_runs_again_as_its_next_attempt_on_postgres() {
    a_run_left_in_progress_by_a_crash_runs_again_as_its_next_attempt_on(On::Postgres).await
}

async fn a_run_left_in_progress_by_a_crash_runs_again_as_its_next_attempt_on(on: On) {
    let fake = Arc::new(FakeBackend::new());
    let mut s = setup_on(on, fake.clone(), DEPLOY).await;
    let [id] = s.accept("1", "{}").await[..] else {
        panic!("one run")
    };
    // The crashed process had started it, and its queue is gone.
    s.lose_queue();
    let started = Op::Run {
        run: id,
        status: Status::InProgress,
        conclusion: None,
        reason: None,
        at: now_ms(),
    };
    s.app.runs.store.send(started).unwrap();
    s.app.runs.store.flush().await.unwrap();
    let recovered = recover(&s.app).await.unwrap();
    assert_eq!(recovered, [id], "handed to the scheduler once");
    assert_eq!(s.run_row(id).await.attempt, 2);
    s.run_queued(recovered).await;
    let row = s.run_row(id).await;
    assert_eq!(ended(&row), (Status::Completed, Some(Conclusion::Success)));
    assert_eq!(row.attempt, 2);
    let runs = fake
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::CreateContainer(_)))
        .count();
    assert_eq!(runs, 1, "one job container, for the second attempt");
}

/// The fake backend, except that a command whose environment has `hold` runs until the
/// step is signalled (as `sleep` would under Docker): the test knows when it started.
struct Held {
    fake: FakeBackend,
    hold: (String, String),
    /// Cancelled once the held command runs.
    started: CancellationToken,
    /// Cancelled when the engine signals a step's process (`kill -TERM`...).
    signalled: CancellationToken,
}

impl Held {
    fn new(name: &str, value: &str) -> Held {
        Held {
            fake: FakeBackend::new(),
            hold: (name.to_string(), value.to_string()),
            started: CancellationToken::new(),
            signalled: CancellationToken::new(),
        }
    }
}

impl ContainerBackend for Held {
    async fn ping(&self) -> Result<(), BackendError> {
        self.fake.ping().await
    }

    async fn exec(&self, id: &str, spec: &ExecSpec, out: OutputTx) -> Result<i64, BackendError> {
        let (k, v) = &self.hold;
        if spec.env.iter().any(|(ek, ev)| ek == k && ev == v) {
            self.started.cancel();
            self.signalled.cancelled().await;
        }
        if spec.cmd.iter().any(|a| a.contains("kill -")) {
            self.signalled.cancel();
        }
        self.fake.exec(id, spec, out).await
    }

    async fn image_present(&self, image: &str) -> Result<bool, BackendError> {
        self.fake.image_present(image).await
    }

    async fn pull_image(&self, image: &str, a: Option<RegistryAuth>) -> Result<(), BackendError> {
        self.fake.pull_image(image, a).await
    }

    async fn build_image(&self, spec: BuildSpec, out: OutputTx) -> Result<(), BackendError> {
        self.fake.build_image(spec, out).await
    }

    async fn image_env(&self, image: &str) -> Result<Vec<String>, BackendError> {
        self.fake.image_env(image).await
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<String, BackendError> {
        self.fake.create_network(spec).await
    }

    async fn ensure_network(&self, spec: &NetworkSpec) -> Result<String, BackendError> {
        self.fake.ensure_network(spec).await
    }

    async fn remove_network(&self, id: &str) -> Result<(), BackendError> {
        self.fake.remove_network(id).await
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String, BackendError> {
        self.fake.create_container(spec).await
    }

    async fn start_container(&self, id: &str) -> Result<(), BackendError> {
        self.fake.start_container(id).await
    }

    async fn run_container(&self, id: &str, out: OutputTx) -> Result<i64, BackendError> {
        self.fake.run_container(id, out).await
    }

    async fn upload(&self, id: &str, dest: &str, tar: Vec<u8>) -> Result<(), BackendError> {
        self.fake.upload(id, dest, tar).await
    }

    async fn pids(&self, id: &str) -> Result<(u64, Option<u64>), BackendError> {
        self.fake.pids(id).await
    }

    async fn health(&self, id: &str) -> Result<Health, BackendError> {
        self.fake.health(id).await
    }

    async fn kill_container(&self, id: &str, signal: &str) -> Result<(), BackendError> {
        self.signalled.cancel();
        self.fake.kill_container(id, signal).await
    }

    async fn remove_container(&self, id: &str) -> Result<(), BackendError> {
        self.fake.remove_container(id).await
    }

    async fn labelled(&self, label: &str) -> Result<Leftovers, BackendError> {
        self.fake.labelled(label).await
    }

    async fn create_volume(
        &self,
        name: &str,
        labels: &[(String, String)],
        in_memory: bool,
    ) -> Result<(), BackendError> {
        self.fake.create_volume(name, labels, in_memory).await
    }

    async fn remove_volume(&self, name: &str) -> Result<(), BackendError> {
        self.fake.remove_volume(name).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_run_whose_hand_over_was_lost_is_swept_up_and_runs_once() {
    a_queued_run_whose_hand_over_was_lost_is_swept_up_and_runs_once_on(On::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_run_whose_hand_over_was_lost_is_swept_up_and_runs_once_on_postgres() {
    a_queued_run_whose_hand_over_was_lost_is_swept_up_and_runs_once_on(On::Postgres).await
}

async fn a_queued_run_whose_hand_over_was_lost_is_swept_up_and_runs_once_on(on: On) {
    let backend = Arc::new(FakeBackend::new());
    let mut s = setup_on(on, backend.clone(), DEPLOY).await;
    let id = s.accept("lost", "{}").await[0];
    // As when the request that recorded it was dropped before handing it over (so it was
    // never counted as waiting either).
    s.lose_queue();
    s.app.runs.metrics.queue_depth.store(0, Ordering::Relaxed);
    run_until_ended(&mut s, id, Vec::new()).await;
    assert_succeeded_once(&s, id).await;
    assert_eq!(s.app.runs.metrics.queue_depth.load(Ordering::Relaxed), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_handed_over_twice_starts_once() {
    let backend = Arc::new(FakeBackend::new());
    let mut s = setup(backend.clone(), DEPLOY);
    let id = s.accept("twice", "{}").await[0];
    // Handed over by its request (in the queue) and found again (as after a start).
    s.app
        .runs
        .metrics
        .queue_depth
        .fetch_add(1, Ordering::Relaxed);
    run_until_ended(&mut s, id, vec![id]).await;
    assert_eq!(
        s.history(id).await,
        [Status::Queued, Status::InProgress, Status::Completed]
    );
    let starts = backend
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::CreateContainer(_)))
        .count();
    assert_eq!(starts, 1, "{:?}", backend.calls());
    assert_eq!(s.app.runs.metrics.queue_depth.load(Ordering::Relaxed), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_no_longer_queued_is_not_claimed_again() {
    let backend = Arc::new(FakeBackend::new());
    let s = setup(backend, DEPLOY);
    let id = s.accept("once", "{}").await[0];
    assert!(s.app.runs.store.claim(id).await.unwrap(), "queued: claimed");
    assert!(
        !s.app.runs.store.claim(id).await.unwrap(),
        "in progress: not again"
    );
    assert_eq!(s.run_row(id).await.status, Status::InProgress);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_runs_wait_while_the_runtime_does_not_answer_and_run_when_it_does() {
    let backend = Arc::new(FakeBackend::new());
    let mut s = setup(backend.clone(), DEPLOY);
    backend.unreachable(true);
    let stop = CancellationToken::new();
    let watch = tokio::spawn(crate::runtime_watch::watch(s.app.clone(), stop.clone()));
    let rx = s.rx.take().unwrap();
    let sched = tokio::spawn(run(s.app.clone(), Vec::new(), rx, stop.clone()));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while s.app.exec.runtime_up() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!s.app.exec.runtime_up(), "the watcher saw the runtime down");
    let id = s.accept("waits", "{}").await[0];
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        s.run_row(id).await.status,
        Status::Queued,
        "no run starts meanwhile"
    );
    assert!(
        !backend
            .calls()
            .iter()
            .any(|c| matches!(c, Call::CreateContainer(_))),
        "{:?}",
        backend.calls()
    );
    backend.unreachable(false);
    while s.run_row(id).await.status != Status::Completed && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    sched.await.unwrap();
    watch.await.unwrap();
    s.app.runs.store.flush().await.unwrap();
    assert_succeeded_once(&s, id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_instance_died_is_taken_over_after_its_lease_as_the_next_attempt() {
    a_run_whose_instance_died_is_taken_over_after_its_lease_on(On::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_instance_died_is_taken_over_after_its_lease_as_the_next_attempt_on_postgres() {
    a_run_whose_instance_died_is_taken_over_after_its_lease_on(On::Postgres).await
}

/// Instance "dead" claims a run and never renews its lease (killed at once); this instance's
/// sweep takes the run over once the lease has expired and runs it as its second attempt.
async fn a_run_whose_instance_died_is_taken_over_after_its_lease_on(on: On) {
    let fake = Arc::new(FakeBackend::new());
    let mut s = setup_on(on, fake.clone(), DEPLOY).await;
    let id = s.accept("dead", "{}").await[0];
    // The run was handed to the dead instance, not to this one.
    s.lose_queue();
    s.app.runs.metrics.queue_depth.store(0, Ordering::Relaxed);
    let cfg = &s.app.settings.cfg;
    let dead = gantry_store::Store::connect(&cfg.store, &cfg.data_dir, "dead")
        .await
        .unwrap()
        .with_lease(Duration::from_millis(600));
    assert!(dead.claim(id).await.unwrap(), "the dead instance's claim");
    drop(dead);
    run_until_ended(&mut s, id, Vec::new()).await;
    let row = s.run_row(id).await;
    assert_eq!(ended(&row), (Status::Completed, Some(Conclusion::Success)));
    assert_eq!(row.attempt, 2, "taken over as the next attempt");
    assert_eq!(
        s.history(id).await,
        [
            Status::Queued,
            Status::InProgress,
            Status::Queued,
            Status::InProgress,
            Status::Completed
        ]
    );
    let c = s.app.runs.store.reader().await.unwrap();
    let lease = read::lease(&c, id).await.unwrap().unwrap();
    assert_eq!(lease.owner, "test", "run by the survivor");
    let starts = fake
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::CreateContainer(_)))
        .count();
    assert_eq!(starts, 1, "one job container, the survivor's");
}

/// A run executing here, with leases far shorter than it runs: its lease is renewed all
/// along, so another instance's takeover, tried again and again, never takes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_executing_here_keeps_its_lease_and_is_never_taken_over() {
    let held = Arc::new(Held::new("WHICH", "held"));
    let dir = tempfile::tempdir().unwrap();
    let (cfg, run_root) = config(&dir, CONCURRENT, None);
    // Long enough that a renewal slowed down by a busy machine is not taken for a store
    // out of reach (which would make this instance give the run up: see `leases::fence`).
    let lease = Duration::from_secs(2);
    let store = gantry_store::Store::open_as(&cfg.data_dir, "test")
        .unwrap()
        .with_lease(lease);
    let other = gantry_store::Store::open_as(&cfg.data_dir, "other").unwrap();
    let (app, rx) = App::for_tests_on(cfg, held.clone(), run_root, store);
    let mut s = Setup {
        dir,
        app,
        rx: Some(rx),
        _pg: None,
    };
    let id = s.accept("held", r#"{"which":"held"}"#).await[0];
    let stop = CancellationToken::new();
    let rx = s.rx.take().unwrap();
    let sched = tokio::spawn(run(s.app.clone(), Vec::new(), rx, stop.clone()));
    held.started.cancelled().await;
    for _ in 0..4 {
        tokio::time::sleep(lease).await;
        let now = TakeOverSpec {
            now: now_ms(),
            max_attempts: 3,
        };
        let taken = other.take_over(now).await.unwrap();
        assert!(taken.is_empty(), "a live run taken over: {taken:?}");
    }
    held.signalled.cancel();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while s.run_row(id).await.status != Status::Completed && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    sched.await.unwrap();
    s.app.runs.store.flush().await.unwrap();
    let row = s.run_row(id).await;
    assert_eq!(row.status, Status::Completed);
    assert_eq!(row.attempt, 1, "never taken over");
    assert_eq!(
        s.history(id).await,
        [Status::Queued, Status::InProgress, Status::Completed]
    );
}

/// A run whose one step runs until signalled under [`Held`] (`WHICH` from the event's body).
const SLOW: &str = r#"
on:
  webhook:
    names: [deploy]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - id: slow
        run: sleep 600
        env:
          WHICH: ${{ github.event.body.which }}
"#;

/// One run at a time in group `deploy`; a newer run waits (no cancel-in-progress).
const GROUPED: &str = r#"
on:
  webhook:
    names: [deploy]
concurrency:
  group: deploy
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - id: slow
        run: sleep 600
        env:
          WHICH: ${{ github.event.body.which }}
"#;

/// A second instance, "b", on the run store of `s` with the same configuration (a run's
/// workflow file is named by its path), its own `backend` and scratch directory.
async fn instance_b<A: ContainerBackend, B2: ContainerBackend>(
    s: &Setup<A>,
    backend: Arc<B2>,
) -> Arc<App<B2>> {
    let a = &s.app.settings.cfg;
    let store = gantry_store::Store::connect(&a.store, &a.data_dir, "b")
        .await
        .unwrap();
    let run_root = s.dir.path().join("scratch-b");
    let (app, _queue) = App::for_tests_as(a.clone(), backend, run_root, store, "b");
    app
}

/// Waits (up to 20 s) until `check` holds of run `id`'s row.
async fn until_row<B: ContainerBackend>(s: &Setup<B>, id: i64, check: impl Fn(&RunRow) -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !check(&s.run_row(id).await) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_executing_on_one_instance_is_cancelled_through_another_instances_api() {
    a_run_executing_on_one_instance_is_cancelled_through_another_on(On::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_executing_on_one_instance_is_cancelled_through_another_instances_api_on_postgres() {
    a_run_executing_on_one_instance_is_cancelled_through_another_on(On::Postgres).await
}

/// Instance "test" executes the run (its step held until signalled); instance "b"'s API
/// handler is asked to cancel it: it records the request, and "test" notices it within a
/// poll and cancels the run as a local cancel does.
async fn a_run_executing_on_one_instance_is_cancelled_through_another_on(on: On) {
    let held = Arc::new(Held::new("WHICH", "held"));
    let mut s = setup_on(on, held.clone(), SLOW).await;
    let b = instance_b(&s, Arc::new(FakeBackend::new())).await;
    let id = s.accept("held", r#"{"which":"held"}"#).await[0];
    let stop = CancellationToken::new();
    let rx = s.rx.take().unwrap();
    let sched = tokio::spawn(run(s.app.clone(), Vec::new(), rx, stop.clone()));
    held.started.cancelled().await;
    let answer = crate::api::cancel(axum::extract::State(b.clone()), axum::extract::Path(id)).await;
    assert_eq!(answer.status(), axum::http::StatusCode::ACCEPTED);
    let body = axum::body::to_bytes(answer.into_body(), 1 << 16)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body, serde_json::json!({ "id": id, "cancelling": true }));
    until_row(&s, id, |r| r.status == Status::Completed).await;
    stop.cancel();
    sched.await.unwrap();
    s.app.runs.store.flush().await.unwrap();
    let row = s.run_row(id).await;
    assert_eq!(
        ended(&row),
        (Status::Completed, Some(Conclusion::Cancelled))
    );
    assert!(held.signalled.is_cancelled(), "the step was signalled");
    assert!(
        held.fake.live().is_empty(),
        "left behind: {:?}",
        held.fake.live()
    );
    // Ended: asking again is harmless (409, nothing changes).
    let again = crate::api::cancel(axum::extract::State(b), axum::extract::Path(id)).await;
    assert_eq!(again.status(), axum::http::StatusCode::CONFLICT);
    assert_eq!(ended(&s.run_row(id).await), ended(&row));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_of_one_group_on_two_instances_never_run_at_the_same_time() {
    two_runs_of_one_group_on_two_instances_on(On::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_of_one_group_on_two_instances_never_run_at_the_same_time_on_postgres() {
    two_runs_of_one_group_on_two_instances_on(On::Postgres).await
}

/// Run one holds group `deploy` on instance "test" (its step held); run two, on instance
/// "b", waits: b starts no container until run one has ended, then runs.
async fn two_runs_of_one_group_on_two_instances_on(on: On) {
    let held = Arc::new(Held::new("WHICH", "one"));
    let s = setup_on(on, held.clone(), GROUPED).await;
    let other = Arc::new(FakeBackend::new());
    let b = instance_b(&s, other.clone()).await;
    let one = s.accept("one", r#"{"which":"one"}"#).await[0];
    let two = s.accept("two", r#"{"which":"two"}"#).await[0];
    let app = s.app.clone();
    let first = tokio::spawn(async move { execute(&app, one).await });
    held.started.cancelled().await;
    let b2 = b.clone();
    let second = tokio::spawn(async move { execute(&b2, two).await });
    let waiting = "waiting for concurrency group `deploy`".to_string();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !s.logs(two).await.contains(&waiting) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r2 = s.run_row(two).await;
    assert!(
        s.logs(two).await.contains(&waiting),
        "run two waits: {r2:?}"
    );
    let started = |calls: Vec<Call>| calls.iter().any(|c| matches!(c, Call::CreateContainer(_)));
    assert!(!started(other.calls()), "b started run two beside run one");
    let c = s.app.runs.store.reader().await.unwrap();
    assert_eq!(
        read::group(&c, "deploy").await.unwrap(),
        Some((Some(one), Some(two)))
    );
    assert_eq!(s.run_row(one).await.status, Status::InProgress);
    held.signalled.cancel();
    first.await.unwrap();
    second.await.unwrap();
    s.app.runs.store.flush().await.unwrap();
    b.runs.store.flush().await.unwrap();
    let (r1, r2) = (s.run_row(one).await, s.run_row(two).await);
    assert_eq!(ended(&r1), (Status::Completed, Some(Conclusion::Success)));
    assert_eq!(ended(&r2), (Status::Completed, Some(Conclusion::Success)));
    assert!(started(other.calls()), "b ran run two afterwards");
    assert_eq!(read::lease(&c, two).await.unwrap().unwrap().owner, "b");
    assert_eq!(read::group(&c, "deploy").await.unwrap(), None, "both left");
}

/// A setup on `on` whose store holds leases of `lease` and whose scheduler sweeps (takes
/// over) only after an hour; on PostgreSQL, with a cluster of its own that the test may
/// stop.
async fn setup_leased<B: ContainerBackend>(
    on: On,
    backend: Arc<B>,
    lease: Duration,
) -> (Setup<B>, Option<Arc<gantry_store::testpg::Cluster>>) {
    let dir = tempfile::tempdir().unwrap();
    let (db, cluster) = match on {
        On::Sqlite => (None, None),
        On::Postgres => {
            let own = tokio::task::spawn_blocking(gantry_store::testpg::own_database).await;
            let (db, cluster) = own.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
            (Some(db), Some(cluster))
        }
    };
    let (cfg, run_root) = config(&dir, CONCURRENT, db.as_ref().map(|d| d.url.as_str()));
    let store = gantry_store::Store::connect(&cfg.store, &cfg.data_dir, "test")
        .await
        .unwrap()
        .with_lease(lease);
    let (mut app, rx) = App::for_tests_on(cfg, backend, run_root, store);
    Arc::get_mut(&mut app)
        .expect("not shared yet")
        .settings
        .sweep = Duration::from_secs(3600);
    let s = Setup {
        dir,
        app,
        rx: Some(rx),
        _pg: db,
    };
    (s, cluster)
}

/// The store cut off from this instance: SQLite locked by another connection's write
/// transaction (the writer waits for it, then fails), PostgreSQL's server stopped.
enum Cut {
    Sqlite(Box<gantry_store::Reader>),
    Postgres(Arc<gantry_store::testpg::Cluster>),
}

impl Cut {
    async fn cut(
        store: &gantry_store::Store,
        cluster: Option<Arc<gantry_store::testpg::Cluster>>,
    ) -> Cut {
        match cluster {
            Some(c) => {
                let stopped = c.clone();
                tokio::task::spawn_blocking(move || stopped.stop())
                    .await
                    .unwrap();
                Cut::Postgres(c)
            }
            None => {
                let reader = store.reader().await.unwrap();
                let gantry_store::Reader::Sqlite(c) = &reader else {
                    panic!("a SQLite store")
                };
                c.lock().unwrap().execute_batch("BEGIN IMMEDIATE").unwrap();
                Cut::Sqlite(Box::new(reader))
            }
        }
    }

    /// The store back; waits (up to 30 s) until everything sent is written.
    async fn restore(self, store: &gantry_store::Store) {
        match self {
            Cut::Postgres(c) => tokio::task::spawn_blocking(move || c.start_server())
                .await
                .unwrap(),
            Cut::Sqlite(reader) => {
                let gantry_store::Reader::Sqlite(c) = &*reader else {
                    return;
                };
                c.lock().unwrap().execute_batch("COMMIT").unwrap();
            }
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while let Err(e) = store.flush().await {
            assert!(
                std::time::Instant::now() < deadline,
                "the store stayed down: {e}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_cut_off_from_its_store_cancels_its_run_before_the_lease_ends() {
    an_instance_cut_off_from_its_store_cancels_its_run_before_the_lease_ends_on(On::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_cut_off_from_its_store_cancels_its_run_before_the_lease_ends_on_postgres() {
    an_instance_cut_off_from_its_store_cancels_its_run_before_the_lease_ends_on(On::Postgres).await
}

/// A run executes here; the store becomes unreachable (a partition) for longer than a
/// lease. This instance cannot renew, so it gives the run up itself while it is cut off,
/// before its lease ends (by the lease the store kept), and records nothing of it: once the
/// store is back the run is still in progress at attempt 1, for another instance to take
/// over as its next attempt.
async fn an_instance_cut_off_from_its_store_cancels_its_run_before_the_lease_ends_on(on: On) {
    let held = Arc::new(Held::new("WHICH", "held"));
    let lease = Duration::from_secs(6);
    let (mut s, cluster) = setup_leased(on, held.clone(), lease).await;
    let id = s.accept("cut", r#"{"which":"held"}"#).await[0];
    let stop = CancellationToken::new();
    let rx = s.rx.take().unwrap();
    let sched = tokio::spawn(run(s.app.clone(), Vec::new(), rx, stop.clone()));
    held.started.cancelled().await;
    s.app.runs.store.flush().await.unwrap();
    let cut = Cut::cut(&s.app.runs.store, cluster).await;
    let cancelled = tokio::time::timeout(lease * 3, held.signalled.cancelled()).await;
    assert!(cancelled.is_ok(), "the run was not cancelled while cut off");
    let cancelled_at = now_ms();
    stop.cancel();
    sched.await.unwrap();
    cut.restore(&s.app.runs.store).await;
    let c = s.app.runs.store.reader().await.unwrap();
    let kept = read::lease(&c, id).await.unwrap().unwrap();
    let until = kept.until.expect("a lease");
    assert!(
        cancelled_at < until,
        "cancelled at {cancelled_at}, lease until {until}"
    );
    let row = s.run_row(id).await;
    assert_eq!((row.status, row.attempt), (Status::InProgress, 1));
    assert_eq!(s.history(id).await, [Status::Queued, Status::InProgress]);
    for job in read::jobs(&c, id).await.unwrap() {
        assert_eq!(job.conclusion, None, "nothing concluded: {job:?}");
        assert!(
            job.steps.iter().all(|st| st.conclusion.is_none()),
            "{job:?}"
        );
    }
    assert!(held.fake.live().is_empty(), "left: {:?}", held.fake.live());
    // Its lease ends: another instance takes it over as attempt 2.
    let cfg = &s.app.settings.cfg;
    let other = gantry_store::Store::connect(&cfg.store, &cfg.data_dir, "other")
        .await
        .unwrap();
    let later = TakeOverSpec {
        now: until + 1,
        max_attempts: 3,
    };
    let taken = other.take_over(later).await.unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(
        (taken[0].run, taken[0].attempt, taken[0].requeued),
        (id, 1, true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_taken_over_by_another_instance_is_cancelled_here_and_records_nothing_more() {
    a_run_taken_over_by_another_instance_is_cancelled_here_on(On::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_taken_over_by_another_instance_is_cancelled_here_and_records_nothing_more_on_postgres(
) {
    a_run_taken_over_by_another_instance_is_cancelled_here_on(On::Postgres).await
}

fn system_line(run: i64, line: &str) -> Op {
    Op::Log {
        run,
        job: String::new(),
        step: None,
        stream: "system".into(),
        line: line.into(),
        at: now_ms(),
    }
}

/// A run executes here when another instance takes it over (its clock ahead, say) and runs
/// attempt 2: this instance's next heartbeat finds its lease lost and cancels the run here,
/// and nothing of attempt 1 is recorded any more — attempt 2's statuses and log are intact.
async fn a_run_taken_over_by_another_instance_is_cancelled_here_on(on: On) {
    let held = Arc::new(Held::new("WHICH", "held"));
    let lease = Duration::from_secs(3);
    let (mut s, _cluster) = setup_leased(on, held.clone(), lease).await;
    let id = s.accept("taken", r#"{"which":"held"}"#).await[0];
    let stop = CancellationToken::new();
    let rx = s.rx.take().unwrap();
    let sched = tokio::spawn(run(s.app.clone(), Vec::new(), rx, stop.clone()));
    held.started.cancelled().await;
    s.app.runs.store.flush().await.unwrap();
    let before = s.logs(id).await;
    let cfg = &s.app.settings.cfg;
    let other = gantry_store::Store::connect(&cfg.store, &cfg.data_dir, "other")
        .await
        .unwrap();
    let ahead = TakeOverSpec {
        now: now_ms() + 10 * lease.as_millis() as i64,
        max_attempts: 3,
    };
    assert_eq!(other.take_over(ahead).await.unwrap().len(), 1);
    assert!(other.claim_attempt(id, 2).await.unwrap());
    other
        .send_fenced(system_line(id, "attempt 2 starts"), 2)
        .unwrap();
    other.flush().await.unwrap();
    let cancelled = tokio::time::timeout(lease * 3, held.signalled.cancelled()).await;
    assert!(cancelled.is_ok(), "the run was not cancelled here");
    stop.cancel();
    sched.await.unwrap();
    s.app.runs.store.flush().await.unwrap();
    other
        .send_fenced(system_line(id, "attempt 2 goes on"), 2)
        .unwrap();
    other.flush().await.unwrap();
    let row = s.run_row(id).await;
    assert_eq!((row.status, row.attempt), (Status::InProgress, 2));
    let c = s.app.runs.store.reader().await.unwrap();
    assert_eq!(read::lease(&c, id).await.unwrap().unwrap().owner, "other");
    let jobs = read::jobs(&c, id).await.unwrap();
    assert!(
        jobs.is_empty(),
        "attempt 1's jobs recorded after it was taken over: {jobs:?}"
    );
    assert_eq!(
        s.history(id).await,
        [
            Status::Queued,
            Status::InProgress,
            Status::Queued,
            Status::InProgress
        ]
    );
    let mut want = before;
    want.extend([
        "attempt 2 starts".to_string(),
        "attempt 2 goes on".to_string(),
    ]);
    assert_eq!(s.logs(id).await, want);
    assert!(held.fake.live().is_empty(), "left: {:?}", held.fake.live());
}
