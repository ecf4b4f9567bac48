//! One job from start to end: decide whether it runs, pull images, create the per-job
//! network (when it has services), start services and wait for their health checks, start
//! the job container, run the steps (then post steps), evaluate the job's outputs — and
//! remove every container, network and volume it created, whatever happened.

use super::actions::ensure_image;
use super::context::RunCtx;
use super::env::{self, EnvMap};
use super::error::EngineError;
use super::host::RunHost;
use super::layout::{JobLayout, WorkspaceMount, WORKSPACE};
use super::report::{millis, Conclusion, LogStream, RunEvent};
use super::step::JobRunner;
use super::workspace::tar_workspace;
use super::JobResult;
use crate::backend::*;
use crate::expr::{parse_condition, JobStatus, Object, Value};
use crate::model::{Container, Job, JobKind, StepsJob};
use crate::plan::{Decision, JobPlan};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// What a job starts with: the `needs` context and whether the run was cancelled.
pub struct JobStart {
    pub plan: JobPlan,
    pub needs: Object,
    pub needs_status: JobStatus,
    /// Cancelled by fail-fast of its matrix, by Ctrl-C or by the run's end.
    pub token: CancellationToken,
}

/// Resources to remove at the end, in reverse order of creation.
#[derive(Default)]
struct Created {
    containers: Vec<String>,
    network: Option<String>,
    volumes: Vec<String>,
}

pub async fn run_job<B: ContainerBackend>(cx: Arc<RunCtx<B>>, start: JobStart) -> JobResult {
    let t0 = Instant::now();
    let jp = &start.plan;
    cx.reporter.report(RunEvent::JobStarted {
        job: jp.key.clone(),
        name: jp.name.clone(),
    });
    let (conclusion, outputs, reason) = match decide(&cx, &start) {
        Ok(true) => {
            let mut created = Created::default();
            let r = run_started(&cx, &start, &mut created).await;
            remove(&cx, &created).await;
            match r {
                Ok((c, o, reason)) => (c, o, reason),
                Err(e) => (
                    Conclusion::Failure,
                    BTreeMap::new(),
                    Some(cx.mask(&e.to_string())),
                ),
            }
        }
        Ok(false) => (
            if start.needs_status == JobStatus::Cancelled || start.token.is_cancelled() {
                Conclusion::Cancelled
            } else {
                Conclusion::Skipped
            },
            BTreeMap::new(),
            Some(skip_reason(&start)),
        ),
        Err(e) => (Conclusion::Failure, BTreeMap::new(), Some(cx.mask(&e))),
    };
    if let Some(r) = &reason {
        if conclusion == Conclusion::Failure {
            cx.reporter.report(RunEvent::Log {
                job: jp.key.clone(),
                step: None,
                stream: LogStream::System,
                line: format!("error: {r}"),
            });
        }
    }
    cx.reporter.report(RunEvent::JobFinished {
        job: jp.key.clone(),
        conclusion,
        reason: reason.clone(),
        duration_ms: millis(t0.elapsed()),
    });
    JobResult {
        key: jp.key.clone(),
        id: jp.id.clone(),
        conclusion,
        outputs,
        reason,
    }
}

fn skip_reason(start: &JobStart) -> String {
    if let Some(r) = &start.plan.skip_reason {
        return r.clone();
    }
    match start.needs_status {
        JobStatus::Success => "its `if:` condition is false".into(),
        JobStatus::Failure => "a job it needs failed".into(),
        JobStatus::Cancelled => "the run was cancelled".into(),
    }
}

/// The host a job's expressions start from.
pub fn base_host<B: ContainerBackend>(cx: &RunCtx<B>, start: &JobStart) -> RunHost {
    let jp = &start.plan;
    let mut github = cx.github.clone();
    github.insert("job".into(), Value::str(&jp.id));
    let mut h = RunHost {
        workspace: Some(cx.cfg.workspace.clone()),
        status: start.needs_status,
        ..RunHost::default()
    };
    h.set("github", Value::object(github));
    h.set("inputs", cx.inputs.clone());
    h.set("vars", Value::object(cx.cfg.vars.clone()));
    h.set("secrets", Value::object(Object::new()));
    h.set("needs", Value::object(start.needs.clone()));
    h.set("runner", env::runner_context());
    h.set(
        "matrix",
        jp.matrix
            .as_ref()
            .map_or_else(|| Value::object(Object::new()), Value::from_json),
    );
    let mut strategy = Object::new();
    if let Some(s) = &jp.strategy {
        strategy.insert("fail-fast".into(), Value::Bool(s.fail_fast));
        strategy.insert("job-total".into(), Value::Number(s.total as f64));
        strategy.insert(
            "max-parallel".into(),
            Value::Number(s.max_parallel.map_or(s.total as f64, f64::from)),
        );
    }
    h.set("strategy", Value::object(strategy));
    h.set("env", Value::object(Object::new()));
    if let Some(call) = &jp.call {
        // A called workflow sees its own inputs; those given as run-time expressions are
        // evaluated now, with the contexts the first jobs of the call have.
        let mut inputs = call.inputs.clone();
        for (k, expr) in &call.later {
            if let Ok(v) = env::eval_value(expr, &h) {
                inputs.insert(k.clone(), v);
            }
        }
        h.set("inputs", Value::object(inputs));
    }
    h
}

/// The workflow a job belongs to: the run's, or the called workflow for jobs of a call.
pub fn workflow_of<'a, B: ContainerBackend>(
    cx: &'a RunCtx<B>,
    jp: &'a JobPlan,
) -> &'a crate::model::Workflow {
    jp.call.as_ref().map_or(&cx.workflow, |c| &c.workflow)
}

/// Whether the job runs: its `if:` (default `success()`) with the needs' results.
fn decide<B: ContainerBackend>(cx: &RunCtx<B>, start: &JobStart) -> Result<bool, String> {
    if matches!(start.plan.condition, Decision::Now { value: false }) {
        return Ok(false);
    }
    let job = workflow_of(cx, &start.plan).job(&start.plan.id);
    let text = job.and_then(|j| j.if_.as_ref()).map(|s| s.value.as_str());
    let host = base_host(cx, start);
    match text {
        None => Ok(start.needs_status == JobStatus::Success),
        Some(t) => parse_condition(t)
            .map_err(|e| format!("job `{}`: `if: {t}`: {e}", start.plan.id))?
            .evaluate(&host)
            .map_err(|e| format!("job `{}`: `if: {t}`: {e}", start.plan.id)),
    }
}

type Finished = (Conclusion, BTreeMap<String, String>, Option<String>);

async fn run_started<B: ContainerBackend>(
    cx: &Arc<RunCtx<B>>,
    start: &JobStart,
    created: &mut Created,
) -> Result<Finished, EngineError> {
    let jp = &start.plan;
    if let Some(r) = &jp.skip_reason {
        return Err(EngineError::Unsupported(format!("job `{}`: {r}", jp.key)));
    }
    let wf = workflow_of(cx, jp);
    let job: &Job = wf.job(&jp.id).ok_or_else(|| {
        EngineError::Unsupported(format!("job `{}` is not in its workflow", jp.key))
    })?;
    let JobKind::Steps(sj) = &job.kind else {
        return Err(EngineError::Unsupported(format!(
            "job `{}` calls a reusable workflow that could not be expanded",
            jp.key
        )));
    };
    let image = jp
        .image
        .clone()
        .ok_or_else(|| EngineError::Unsupported(format!("job `{}` has no image", jp.key)))?;
    let mut host = base_host(cx, start);
    let slug = cx.slug(&jp.key);
    let labels = cx.labels(&jp.key);
    let name = format!("gantry-{}-{slug}", cx.run_id);

    // Secrets first: a job whose secrets cannot all be had never starts a container.
    let secrets = job_secrets(cx, jp, &mut host).await?;

    // Environment: workflow env, then job env (job env sees the workflow's).
    let mut user_env = EnvMap::new();
    env::apply(&mut user_env, &wf.env, &host).map_err(EngineError::Expression)?;
    host.set("env", env::to_value(&user_env));
    env::apply(&mut user_env, &job.env, &host).map_err(EngineError::Expression)?;
    host.set("env", env::to_value(&user_env));

    let (layout, secret_files) = job_files(cx, &name, &slug, &labels, &secrets, created).await?;

    // Every container of the job is specified and judged by the policy before any starts.
    let at = At {
        file: jp.called_from.as_deref().unwrap_or(&cx.file),
        job: &jp.id,
        what: format!("job `{}`'s container", jp.id),
    };
    let service_specs = service_specs(cx, sj, &host, &name, &labels, &at)?;
    let mut spec = job_spec(cx, &image, &labels, &layout, &name);
    if let Some(c) = &sj.container {
        apply_container(cx, &mut spec, c, &host, &at)?;
    }
    let credentials = sj.container.as_ref().and_then(|c| registry_auth(c, &host));
    ensure_image(cx, &image, credentials)
        .await
        .map_err(|e| EngineError::Unsupported(format!("job `{}`: {e}", jp.key)))?;
    let network = job_network(cx, &name, &labels, !service_specs.is_empty(), created).await?;
    let has_services = !service_specs.is_empty();
    let services = start_services(cx, start, service_specs, &network, created).await?;
    let mut job_ctx = Object::new();
    job_ctx.insert("services".into(), Value::object(services));

    spec.network = Some(network.clone());
    if has_services {
        // Services reach the job container by its job id on the job's network.
        spec.aliases = vec![jp.id.clone()];
    }
    let id = cx.backend.create_container(&spec).await?;
    created.containers.push(id.clone());
    cx.backend.start_container(&id).await?;
    fill_job_container(cx, &id, &layout, &secret_files).await?;
    let mut container = Object::new();
    container.insert("id".into(), Value::str(&id));
    container.insert("network".into(), Value::str(&network));
    job_ctx.insert("container".into(), Value::object(container));
    job_ctx.insert("status".into(), Value::str("success"));
    host.set("job", Value::object(job_ctx));

    let image_env = cx.backend.image_env(&image).await.unwrap_or_default();
    let base_path = image_env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .to_string();

    let token = start.token.child_token();
    let runner = JobRunner::new(
        cx.clone(),
        jp,
        job,
        id,
        layout,
        host,
        user_env,
        base_path,
        token,
    );
    run_steps(cx, jp, job, sj, runner).await
}

/// Runs the steps and post steps under the job's timeout; the job's outcome and outputs.
async fn run_steps<B: ContainerBackend>(
    cx: &Arc<RunCtx<B>>,
    jp: &JobPlan,
    job: &Job,
    sj: &StepsJob,
    mut runner: JobRunner<B>,
) -> Result<Finished, EngineError> {
    let timeout = jp
        .timeout_minutes
        .filter(|m| *m > 0.0)
        .map(|m| Duration::from_secs_f64(m * 60.0));
    let timed_out = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let timer = timeout.map(|d| {
        let t = runner.token().clone();
        let flag = timed_out.clone();
        tokio::spawn(async move {
            tokio::time::sleep(d).await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            t.cancel();
        })
    });
    runner.run_steps(&sj.steps).await;
    runner.run_posts().await;
    runner.drain().await;
    if let Some(t) = timer {
        t.abort();
    }
    let outputs = runner.job_outputs(&job.outputs);
    let (mut conclusion, mut reason) = runner.conclusion();
    if timed_out.load(std::sync::atomic::Ordering::SeqCst) {
        conclusion = Conclusion::Failure;
        reason = Some(format!(
            "the job exceeded its timeout of {} minutes",
            jp.timeout_minutes.unwrap_or_default()
        ));
    }
    if conclusion == Conclusion::Failure && continue_on_error(cx, jp, job, &runner.host) {
        reason = reason.map(|r| format!("{r} (continue-on-error)"));
        return Ok((Conclusion::Success, outputs, reason));
    }
    Ok((conclusion, outputs, reason))
}

/// The job's secrets, resolved (all or none), registered with the masker and set as the
/// `secrets` context and `github.token`.
async fn job_secrets<B: ContainerBackend>(
    cx: &RunCtx<B>,
    jp: &JobPlan,
    host: &mut RunHost,
) -> Result<BTreeMap<String, String>, EngineError> {
    let names: Vec<String> = jp.secrets.iter().map(|s| s.name.clone()).collect();
    let secrets = match &jp.call {
        None => cx.store.resolve(&names).await?,
        Some(call) => super::call_secrets::resolve(cx, call, &names, host).await?,
    };
    if let Ok(mut m) = cx.masker.write() {
        for v in secrets.values() {
            m.add(v);
        }
    }
    let mut secrets_ctx = Object::new();
    for (k, v) in &secrets {
        secrets_ctx.insert(k.clone(), Value::str(v));
    }
    let token = secrets_ctx
        .get("GITHUB_TOKEN")
        .cloned()
        .unwrap_or_else(|| Value::str(""));
    secrets_ctx.insert("GITHUB_TOKEN".into(), token.clone());
    host.set("secrets", Value::object(secrets_ctx));
    if let Some(Value::Object(g)) = crate::expr::Host::context(host, "github") {
        let mut g = (*g).clone();
        g.insert("token".into(), token);
        host.set("github", Value::object(g));
    }
    Ok(secrets)
}

/// The job's files: its directories on the scratch tmpfs (given to the policy's user), the
/// workspace volume (unless `--bind`) and the in-memory secrets volume.
async fn job_files<B: ContainerBackend>(
    cx: &RunCtx<B>,
    name: &str,
    slug: &str,
    labels: &[(String, String)],
    secrets: &BTreeMap<String, String>,
    created: &mut Created,
) -> Result<(JobLayout, Vec<(String, String)>), EngineError> {
    let workspace = if cx.cfg.copy_workspace {
        let v = format!("{name}-workspace");
        cx.backend.create_volume(&v, labels, false).await?;
        created.volumes.push(v.clone());
        WorkspaceMount::Volume(v)
    } else {
        cx.workspace.clone()
    };
    let mut layout = JobLayout::create(&cx.run_dir, slug, workspace, &cx.event.payload)
        .map_err(|e| EngineError::io("creating the job's files", e))?;
    layout
        .give_to(cx.cfg.policy.owner())
        .map_err(|e| EngineError::io("giving the job's files to the policy's user", e))?;
    let secret_files: Vec<(String, String)> = secrets
        .iter()
        .filter(|(k, v)| !v.is_empty() || k.as_str() != "GITHUB_TOKEN")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !secret_files.is_empty() {
        let v = format!("{name}-secrets");
        cx.backend.create_volume(&v, labels, true).await?;
        created.volumes.push(v.clone());
        layout.secrets = Some(v);
    }
    Ok((layout, secret_files))
}

/// Fills the started job container: the secret files, and the workspace copy.
async fn fill_job_container<B: ContainerBackend>(
    cx: &RunCtx<B>,
    id: &str,
    layout: &JobLayout,
    secret_files: &[(String, String)],
) -> Result<(), EngineError> {
    if !secret_files.is_empty() {
        let tar = super::layout::secret_tar(secret_files, layout.owner)
            .map_err(|e| EngineError::io("preparing the secret files", e))?;
        cx.backend.upload(id, super::layout::SECRETS, tar).await?;
    }
    if let WorkspaceMount::Volume(_) = &layout.workspace {
        let dir = cx.cfg.workspace.clone();
        let tar = tokio::task::spawn_blocking(move || tar_workspace(&dir))
            .await
            .map_err(|e| EngineError::io("copying the workspace", std::io::Error::other(e)))?
            .map_err(|e| EngineError::io("copying the workspace", e))?;
        cx.backend.upload(id, WORKSPACE, tar).await?;
        if let Some(owner) = layout.owner {
            give_workspace(cx, id, owner).await?;
        }
    }
    Ok(())
}

fn continue_on_error<B: ContainerBackend>(
    _cx: &RunCtx<B>,
    jp: &JobPlan,
    job: &Job,
    host: &RunHost,
) -> bool {
    match &jp.continue_on_error {
        Decision::Now { value } => *value,
        Decision::AtRunTime { .. } => match job.continue_on_error.as_ref().map(|c| &c.value) {
            Some(crate::model::BoolOrExpr::Expr(e)) => env::eval_value(e, host)
                .map(|v| v.truthy())
                .unwrap_or(false),
            Some(crate::model::BoolOrExpr::Bool(b)) => *b,
            None => false,
        },
    }
}

fn registry_auth(c: &Container, host: &RunHost) -> Option<RegistryAuth> {
    let (u, p) = c.credentials.as_ref()?;
    let username = env::eval_text(&u.as_ref()?.value, host).ok()?;
    let password = env::eval_text(&p.as_ref()?.value, host).ok()?;
    Some(RegistryAuth { username, password })
}

/// Where a container was asked for, for refusals: `file:line:col: what: ...`.
struct At<'a> {
    file: &'a str,
    job: &'a str,
    /// "job `build`'s container", "service `db` of job `build`".
    what: String,
}

/// The job container before its network is known: it idles, and steps run in it with exec.
fn job_spec<B: ContainerBackend>(
    cx: &RunCtx<B>,
    image: &str,
    labels: &[(String, String)],
    layout: &JobLayout,
    name: &str,
) -> ContainerSpec {
    ContainerSpec {
        name: name.to_string(),
        image: image.to_string(),
        entrypoint: Some(vec!["tail".into(), "-f".into(), "/dev/null".into()]),
        working_dir: Some(WORKSPACE.into()),
        labels: labels.to_vec(),
        mounts: layout.mounts(),
        // With `[policy] user`, the idle process stays root so that Gantry can give the
        // workspace copy to that user (no-new-privileges keeps a root exec in a non-root
        // container without capabilities); every step runs as the user.
        user: cx.cfg.policy.user.as_ref().map(|_| "0:0".to_string()),
        confinement: cx.cfg.policy.confinement(),
        ..Default::default()
    }
}

/// Gives the job's copy of the workspace to the policy's user (the copy arrives owned by
/// root); the working tree itself (`--bind`) is never chowned.
async fn give_workspace<B: ContainerBackend>(
    cx: &RunCtx<B>,
    id: &str,
    (uid, gid): (u32, u32),
) -> Result<(), EngineError> {
    let spec = ExecSpec {
        cmd: vec![
            "chown".into(),
            "-R".into(),
            format!("{uid}:{gid}"),
            WORKSPACE.into(),
        ],
        user: Some("0".into()),
        ..Default::default()
    };
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    match cx.backend.exec(id, &spec, tx).await? {
        0 => Ok(()),
        code => Err(EngineError::Unsupported(format!(
            "giving the workspace to user {uid}:{gid} (`[policy] user`) failed: `chown` exited \
             with {code} in the job's image"
        ))),
    }
}

/// The job's network. Without services: one shared network where containers cannot reach
/// each other (creating a network per job costs ~60 ms on the way to the first step), or
/// none at all under `[policy] egress = "none"`. With services: a network of the job's
/// own, so services are reached by name, internal (nothing forwarded out of the host)
/// under `egress = "none"`.
async fn job_network<B: ContainerBackend>(
    cx: &RunCtx<B>,
    name: &str,
    labels: &[(String, String)],
    has_services: bool,
    created: &mut Created,
) -> Result<String, EngineError> {
    let internal = cx.cfg.policy.egress == crate::policy::Egress::None;
    if !has_services && internal {
        // Nothing to reach, not even the host: no network at all.
        return Ok("none".to_string());
    }
    if !has_services {
        let spec = NetworkSpec {
            name: ISOLATED.to_string(),
            bridge: Some(ISOLATED_BRIDGE.to_string()),
            labels: vec![(LABEL_SHARED.to_string(), "isolated".to_string())],
            internal: false,
            icc: false,
        };
        cx.backend.ensure_network(&spec).await?;
        return Ok(spec.name);
    }
    let spec = NetworkSpec {
        name: name.to_string(),
        bridge: None,
        labels: labels.to_vec(),
        internal,
        icc: true,
    };
    let id = cx.backend.create_network(&spec).await?;
    created.network = Some(id.clone());
    Ok(id)
}

/// The shared network of jobs without services; it outlives runs (no run label). Its
/// bridge has a fixed name so that operators can write firewall rules for it.
pub const ISOLATED: &str = "gantry-isolated";
pub const ISOLATED_BRIDGE: &str = "gantry-iso0";
const LABEL_SHARED: &str = "dev.gantry.shared";

/// `container:` / `services:` settings on top of a spec (env, ports, volumes, options),
/// judged by the policy now that expressions are evaluated.
fn apply_container<B: ContainerBackend>(
    cx: &RunCtx<B>,
    spec: &mut ContainerSpec,
    c: &Container,
    host: &RunHost,
    at: &At<'_>,
) -> Result<(), EngineError> {
    let mut env = EnvMap::new();
    env::apply(&mut env, &c.env, host).map_err(EngineError::Expression)?;
    spec.env.extend(env);
    let policy = &cx.cfg.policy;
    for p in &c.ports {
        let text = env::eval_text(&p.value, host).map_err(EngineError::Expression)?;
        refuse(at, p.span, crate::policy::check_port(&text, policy))?;
        spec.ports.push(text);
    }
    let mut volumes = Vec::new();
    for v in &c.volumes {
        let text = env::eval_text(&v.value, host).map_err(EngineError::Expression)?;
        refuse(at, v.span, crate::policy::check_volume(&text, policy))?;
        volumes.push(text);
    }
    if let Some(o) = &c.options {
        let text = env::eval_text(&o.value, host).map_err(EngineError::Expression)?;
        spec.options = parse_options(&text).map_err(crate::backend::BackendError::from)?;
        let refusals = crate::policy::check_options(&spec.options, policy);
        refuse(at, o.span, refusals)?;
        volumes.append(&mut spec.options.volumes);
    }
    spec.mounts.extend(volumes.iter().map(|v| volume_mount(v)));
    Ok(())
}

fn refuse(
    at: &At<'_>,
    span: crate::yaml::node::Span,
    refusals: Vec<crate::policy::Refusal>,
) -> Result<(), EngineError> {
    if refusals.is_empty() {
        return Ok(());
    }
    let (line, col) = (span.start.line, span.start.col);
    let lines: Vec<String> = refusals
        .iter()
        .map(|r| format!("{}:{line}:{col}: {}: {r}", at.file, at.what))
        .collect();
    Err(EngineError::Policy(lines.join("; ")))
}

/// A `volumes:` entry (already allowed by the policy) as a mount.
fn volume_mount(text: &str) -> Mount {
    use crate::policy::VolumeSpec;
    let read_only = text
        .splitn(3, ':')
        .nth(2)
        .is_some_and(|m| m.split(',').any(|o| o == "ro"));
    let (source, target, kind) = match VolumeSpec::parse(text) {
        VolumeSpec::Anonymous { target } => (String::new(), target, MountKind::Volume),
        VolumeSpec::Named { name, target } => (name, target, MountKind::Volume),
        VolumeSpec::Host { path, target } => (path, target, MountKind::Bind),
    };
    Mount {
        source,
        target,
        read_only,
        kind,
    }
}

/// The services' containers, specified and judged before any container of the job starts.
/// GitHub skips a service whose image evaluates to an empty string.
fn service_specs<B: ContainerBackend>(
    cx: &RunCtx<B>,
    sj: &StepsJob,
    host: &RunHost,
    name: &str,
    labels: &[(String, String)],
    job: &At<'_>,
) -> Result<Vec<ServiceSpec>, EngineError> {
    let mut out = Vec::new();
    for (sid, c) in &sj.services {
        let image = c
            .image
            .as_ref()
            .map(|i| env::eval_text(&i.value, host))
            .transpose()
            .map_err(EngineError::Expression)?
            .unwrap_or_default();
        if image.is_empty() {
            continue;
        }
        let mut spec = ContainerSpec {
            name: format!("{name}-svc-{}", super::context::slug(&sid.value)),
            image,
            labels: labels.to_vec(),
            aliases: vec![sid.value.clone()],
            // Services run as their image says (databases pick their own user), confined.
            confinement: cx.cfg.policy.confinement(),
            ..Default::default()
        };
        let at = At {
            file: job.file,
            job: job.job,
            what: format!("service `{}` of job `{}`", sid.value, job.job),
        };
        apply_container(cx, &mut spec, c, host, &at)?;
        out.push(ServiceSpec {
            id: sid.value.clone(),
            auth: registry_auth(c, host),
            spec,
        });
    }
    Ok(out)
}

struct ServiceSpec {
    id: String,
    auth: Option<RegistryAuth>,
    spec: ContainerSpec,
}

async fn start_services<B: ContainerBackend>(
    cx: &RunCtx<B>,
    start: &JobStart,
    services: Vec<ServiceSpec>,
    network: &str,
    created: &mut Created,
) -> Result<Object, EngineError> {
    let mut ctx = Object::new();
    let mut started = Vec::new();
    for mut s in services {
        ensure_image(cx, &s.spec.image, s.auth.take())
            .await
            .map_err(|e| EngineError::Unsupported(format!("service `{}`: {e}", s.id)))?;
        s.spec.network = Some(network.to_string());
        let id = cx.backend.create_container(&s.spec).await?;
        created.containers.push(id.clone());
        cx.backend.start_container(&id).await?;
        let mut svc = Object::new();
        svc.insert("id".into(), Value::str(&id));
        svc.insert("network".into(), Value::str(network));
        svc.insert("ports".into(), Value::object(Object::new()));
        ctx.insert(s.id.clone(), Value::object(svc));
        started.push((s.id, id));
    }
    for (sid, id) in started {
        wait_healthy(cx, start, &sid, &id).await?;
    }
    Ok(ctx)
}

async fn wait_healthy<B: ContainerBackend>(
    cx: &RunCtx<B>,
    start: &JobStart,
    sid: &str,
    id: &str,
) -> Result<(), EngineError> {
    let deadline = Instant::now() + cx.cfg.service_timeout;
    let mut announced = false;
    loop {
        match cx.backend.health(id).await? {
            Health::None | Health::Healthy => return Ok(()),
            Health::Unhealthy => {
                return Err(EngineError::Unsupported(format!(
                    "service `{sid}` is unhealthy"
                )))
            }
            Health::Exited => {
                return Err(EngineError::Unsupported(format!(
                    "service `{sid}` exited before becoming healthy"
                )))
            }
            Health::Starting => {}
        }
        if !announced {
            cx.reporter.report(RunEvent::Log {
                job: start.plan.key.clone(),
                step: None,
                stream: LogStream::System,
                line: format!("waiting for service `{sid}` to be healthy"),
            });
            announced = true;
        }
        if Instant::now() > deadline || start.token.is_cancelled() {
            return Err(EngineError::Unsupported(format!(
                "service `{sid}` did not become healthy within {} s",
                cx.cfg.service_timeout.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn remove<B: ContainerBackend>(cx: &RunCtx<B>, created: &Created) {
    for c in created.containers.iter().rev() {
        let _ = cx.backend.remove_container(c).await;
    }
    if let Some(n) = &created.network {
        let _ = cx.backend.remove_network(n).await;
    }
    for v in &created.volumes {
        let _ = cx.backend.remove_volume(v).await;
    }
}
