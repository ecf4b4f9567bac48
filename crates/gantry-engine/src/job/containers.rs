//! A job's containers: the job container (it idles; steps run in it with exec) and its
//! services, specified from the plan's templates and judged by the operator's policy
//! before any of them starts; then the network, the services (healthy first) and the job
//! container, started in that order.

use super::{Created, JobNames, JobStart};
use crate::backend::{
    discard_output, parse_options, ContainerBackend, ContainerSpec, ExecSpec, Health, Mount,
    MountKind, NetworkSpec, RegistryAuth,
};
use crate::context::{slug, RunCtx};
use crate::env::{self, EnvMap};
use crate::error::EngineError;
use crate::host::RunHost;
use crate::layout::{JobLayout, WORKSPACE};
use crate::loaded_action::ensure_image;
use crate::report::{LogStream, RunEvent};
use gantry_core::expr::{Object, Value};
use gantry_plan::{ContainerTemplate, JobPlan, Placed};
use std::time::{Duration, Instant};

/// The shared network of jobs without services; it outlives runs (no run label). Its
/// bridge has a fixed name so that operators can write firewall rules for it.
pub const ISOLATED: &str = "gantry-isolated";
pub const ISOLATED_BRIDGE: &str = "gantry-iso0";
const LABEL_SHARED: &str = "dev.gantry.shared";

/// Where a container was asked for, for refusals: `file:line:col: what: ...`.
pub struct At<'a> {
    pub file: &'a str,
    pub job: &'a str,
    /// "job `build`'s container", "service `db` of job `build`".
    pub what: String,
}

struct ServiceSpec {
    id: String,
    auth: Option<RegistryAuth>,
    spec: ContainerSpec,
}

/// Every container of a job, specified and allowed by the policy, not started yet.
pub struct JobContainers {
    image: String,
    job: ContainerSpec,
    credentials: Option<RegistryAuth>,
    services: Vec<ServiceSpec>,
    /// The job has no `container:`: its services share the job container's network
    /// namespace (see `start`).
    on_localhost: bool,
}

impl JobContainers {
    pub fn specify<B: ContainerBackend>(
        cx: &RunCtx<B>,
        jp: &JobPlan,
        host: &RunHost,
        names: &JobNames,
        layout: &JobLayout,
        image: &str,
        at: &At<'_>,
    ) -> Result<JobContainers, EngineError> {
        let services = service_specs(cx, jp, host, names, at)?;
        let mut job = job_spec(cx, image, names, layout);
        let container = jp.exec.container.as_ref();
        if let Some(c) = container {
            apply_container(cx, &mut job, c, host, at)?;
        }
        Ok(JobContainers {
            image: image.to_string(),
            job,
            credentials: container.and_then(|c| registry_auth(c, host)),
            on_localhost: container.is_none(),
            services,
        })
    }

    /// Pulls the image, creates the network, starts the services (waiting until they
    /// are healthy) and the job container; sets the `job` context; returns the job
    /// container's id.
    pub async fn start<B: ContainerBackend>(
        self,
        cx: &RunCtx<B>,
        start: &JobStart,
        names: &JobNames,
        created: &mut Created,
        host: &mut RunHost,
    ) -> Result<String, EngineError> {
        let jp = &start.plan;
        ensure_image(cx, &self.image, self.credentials)
            .await
            .map_err(|e| EngineError::Unsupported(format!("job `{}`: {e}", jp.key)))?;
        let has_services = !self.services.is_empty();
        let network = job_network(cx, names, has_services, created).await?;
        let mut spec = self.job;
        spec.network = Some(network.clone());
        if has_services {
            // Services reach the job container by its job id on the job's network.
            spec.aliases = vec![jp.id.clone()];
        }
        let (services, id) = if self.on_localhost && has_services {
            // GitHub: a job without `container:` reaches its services at `localhost` (the
            // runner publishes their ports on its host). Here the services join the job
            // container's network namespace, as containers of a pod do; the job container
            // also answers to the services' names on the job network, so a `docker://` step
            // reaches them by name as before.
            spec.aliases
                .extend(self.services.iter().map(|s| s.id.clone()));
            let id = start_job_container(cx, &spec, created).await?;
            let shared = format!("container:{id}");
            let services = start_services(cx, start, self.services, &shared, created).await?;
            (services, id)
        } else {
            let services = start_services(cx, start, self.services, &network, created).await?;
            (services, start_job_container(cx, &spec, created).await?)
        };
        let mut container = Object::new();
        container.insert("id".into(), Value::str(&id));
        container.insert("network".into(), Value::str(&network));
        let mut job_ctx = Object::new();
        job_ctx.insert("services".into(), Value::object(services));
        job_ctx.insert("container".into(), Value::object(container));
        job_ctx.insert("status".into(), Value::str("success"));
        host.set("job", Value::object(job_ctx));
        Ok(id)
    }
}

async fn start_job_container<B: ContainerBackend>(
    cx: &RunCtx<B>,
    spec: &ContainerSpec,
    created: &mut Created,
) -> Result<String, EngineError> {
    let id = cx.backend.create_container(spec).await?;
    created.containers.push(id.clone());
    cx.backend.start_container(&id).await?;
    Ok(id)
}

fn registry_auth(c: &ContainerTemplate, host: &RunHost) -> Option<RegistryAuth> {
    let (u, p) = c.credentials.as_ref()?;
    let username = env::eval_text(u.as_ref()?, host).ok()?;
    let password = env::eval_text(p.as_ref()?, host).ok()?;
    Some(RegistryAuth { username, password })
}

/// The job container before its network is known: it idles, and steps run in it with exec.
fn job_spec<B: ContainerBackend>(
    cx: &RunCtx<B>,
    image: &str,
    names: &JobNames,
    layout: &JobLayout,
) -> ContainerSpec {
    ContainerSpec {
        name: names.name.clone(),
        image: image.to_string(),
        entrypoint: Some(vec!["tail".into(), "-f".into(), "/dev/null".into()]),
        working_dir: Some(WORKSPACE.into()),
        labels: names.labels.clone(),
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
pub async fn give_workspace<B: ContainerBackend>(
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
    match cx.backend.exec(id, &spec, discard_output()).await? {
        0 => Ok(()),
        code => Err(EngineError::Unsupported(format!(
            "giving the workspace to user {uid}:{gid} (`[policy] user`) failed: `chown` exited \
             with {code} in the job's image"
        ))),
    }
}

/// Where job containers reach services Gantry runs on the host (the artifact, cache and
/// git servers): the host's address on the shared network jobs without services join,
/// which containers on a job's own network reach too (the host routes between its
/// bridges). Creates that network when it does not exist yet.
pub async fn services_address<B: ContainerBackend>(
    backend: &B,
) -> Result<Option<std::net::IpAddr>, EngineError> {
    backend.ensure_network(&isolated_network()).await?;
    Ok(backend.network_gateway(ISOLATED).await?)
}

fn isolated_network() -> NetworkSpec {
    NetworkSpec {
        name: ISOLATED.to_string(),
        bridge: Some(ISOLATED_BRIDGE.to_string()),
        labels: vec![(LABEL_SHARED.to_string(), "isolated".to_string())],
        internal: false,
        icc: false,
    }
}

/// The job's network. Without services: one shared network where containers cannot reach
/// each other (creating a network per job costs ~60 ms on the way to the first step), or
/// none at all under `[policy] egress = "none"`. With services: a network of the job's
/// own, so services are reached by name, internal (nothing forwarded out of the host)
/// under `egress = "none"`.
async fn job_network<B: ContainerBackend>(
    cx: &RunCtx<B>,
    names: &JobNames,
    has_services: bool,
    created: &mut Created,
) -> Result<String, EngineError> {
    let internal = cx.cfg.policy.egress == gantry_core::policy::Egress::None;
    if !has_services && internal {
        // Nothing to reach, not even the host: no network at all.
        return Ok("none".to_string());
    }
    if !has_services {
        let spec = isolated_network();
        cx.backend.ensure_network(&spec).await?;
        return Ok(spec.name);
    }
    let spec = NetworkSpec {
        name: names.name.clone(),
        bridge: None,
        labels: names.labels.clone(),
        internal,
        icc: true,
    };
    let id = cx.backend.create_network(&spec).await?;
    created.network = Some(id.clone());
    Ok(id)
}

/// `container:` / `services:` settings on top of a spec (env, ports, volumes, options),
/// judged by the policy now that expressions are evaluated.
fn apply_container<B: ContainerBackend>(
    cx: &RunCtx<B>,
    spec: &mut ContainerSpec,
    c: &ContainerTemplate,
    host: &RunHost,
    at: &At<'_>,
) -> Result<(), EngineError> {
    let mut env = EnvMap::new();
    env::apply(&mut env, &c.env, host).map_err(EngineError::Expression)?;
    spec.env.extend(env);
    let policy = &cx.cfg.policy;
    for p in &c.ports {
        let text = env::eval_text(&p.text, host).map_err(EngineError::Expression)?;
        refuse(at, p, gantry_core::policy::check_port(&text, policy))?;
        spec.ports.push(text);
    }
    let mut volumes = Vec::new();
    for v in &c.volumes {
        let text = env::eval_text(&v.text, host).map_err(EngineError::Expression)?;
        refuse(at, v, gantry_core::policy::check_volume(&text, policy))?;
        volumes.push(text);
    }
    if let Some(o) = &c.options {
        let text = env::eval_text(&o.text, host).map_err(EngineError::Expression)?;
        spec.options = parse_options(&text).map_err(crate::backend::BackendError::from)?;
        let refusals = gantry_core::policy::check_options(&spec.options, policy);
        refuse(at, o, refusals)?;
        volumes.append(&mut spec.options.volumes);
    }
    spec.mounts.extend(volumes.iter().map(|v| volume_mount(v)));
    Ok(())
}

fn refuse(
    at: &At<'_>,
    place: &Placed,
    refusals: Vec<gantry_core::policy::Refusal>,
) -> Result<(), EngineError> {
    if refusals.is_empty() {
        return Ok(());
    }
    let (line, col) = (place.line, place.col);
    let lines: Vec<String> = refusals
        .iter()
        .map(|r| format!("{}:{line}:{col}: {}: {r}", at.file, at.what))
        .collect();
    Err(EngineError::Policy(lines.join("; ")))
}

/// A `volumes:` entry (already allowed by the policy) as a mount.
fn volume_mount(text: &str) -> Mount {
    use gantry_core::policy::VolumeSpec;
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
    jp: &JobPlan,
    host: &RunHost,
    names: &JobNames,
    job: &At<'_>,
) -> Result<Vec<ServiceSpec>, EngineError> {
    let mut out = Vec::new();
    for (sid, c) in &jp.exec.services {
        let image = c
            .image
            .as_ref()
            .map(|i| env::eval_text(i, host))
            .transpose()
            .map_err(EngineError::Expression)?
            .unwrap_or_default();
        if image.is_empty() {
            continue;
        }
        let mut spec = ContainerSpec {
            name: format!("{}-svc-{}", names.name, slug(sid)),
            image,
            labels: names.labels.clone(),
            aliases: vec![sid.clone()],
            // Services run as their image says (databases pick their own user), confined.
            confinement: cx.cfg.policy.confinement(),
            ..Default::default()
        };
        let at = At {
            file: job.file,
            job: job.job,
            what: format!("service `{sid}` of job `{}`", job.job),
        };
        apply_container(cx, &mut spec, c, host, &at)?;
        out.push(ServiceSpec {
            id: sid.clone(),
            auth: registry_auth(c, host),
            spec,
        });
    }
    Ok(out)
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
        let ports = if network.starts_with("container:") {
            // In the job's network namespace: its ports are the job's own, nothing is
            // published (Docker refuses publishing there) and it has no aliases of its own.
            s.spec.aliases.clear();
            shared_ports(std::mem::take(&mut s.spec.ports))
        } else {
            Object::new()
        };
        let id = cx.backend.create_container(&s.spec).await?;
        created.containers.push(id.clone());
        cx.backend.start_container(&id).await?;
        let mut svc = Object::new();
        svc.insert("id".into(), Value::str(&id));
        svc.insert("network".into(), Value::str(network));
        svc.insert("ports".into(), Value::object(ports));
        ctx.insert(s.id.clone(), Value::object(svc));
        started.push((s.id, id));
    }
    for (sid, id) in started {
        wait_healthy(cx, start, &sid, &id).await?;
    }
    Ok(ctx)
}

/// `job.services.<id>.ports` of a service on the job's localhost: each container port maps
/// to itself (`5432:5432`, `5432`, `5432/tcp` all give `{"5432": "5432"}`).
fn shared_ports(specs: Vec<String>) -> Object {
    let mut out = Object::new();
    for p in specs {
        let container = p.rsplit(':').next().unwrap_or(&p);
        let port = container.split('/').next().unwrap_or(container).to_string();
        out.insert(port.clone(), Value::str(&port));
    }
    out
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
