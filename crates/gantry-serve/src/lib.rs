//! `gantry serve`: the long-running runner service. It receives webhooks (GitHub pushes and
//! named generic hooks), records each accepted event and the runs it creates durably before
//! answering 202, runs them with the Docker engine (capacity-limited), keeps every status
//! change and log line in the run store, serves the API, a live page and metrics, recovers
//! interrupted runs after a crash, and drains on SIGTERM.

mod accept;
mod api;
mod app;
mod auth;
mod body;
mod checked;
mod client_addr;
pub mod cmd;
mod concurrency;
pub mod config;
mod fair;
mod ingress;
mod job_services;
pub mod log_budget;
pub mod log_rows;
mod login_limit;
mod metrics;
mod pages;
mod planned;
mod pull_requests;
mod redact;
mod reporter;
mod runtime_watch;
mod scheduler;
mod secrets_wait;
mod sessions;
mod sources;
mod tenants;
mod topics;

pub use app::App;
pub use config::{ServeConfig, ServeConfigError};

use app::{Execution, Intake, Outbound, Runs, Settings, WorkflowSources};
use gantry_docker::DockerBackend;
use gantry_secrets::{SecretStore, TenantSecrets};
use gantry_store::Store;
use metrics::Metrics;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Recorded runs handed to the scheduler and not taken yet, at most (see
/// [`scheduler::enqueue`]).
const RUN_QUEUE: usize = 1024;

/// The Kafka edge's parts: secret librdkafka properties (SASL passwords...) from the
/// service's own secrets, one producer for dead letters, forwarded events and run
/// conclusions, and the forwarder of webhook events when this instance only ingests.
async fn kafka_parts(
    cfg: &ServeConfig,
    secrets: &TenantSecrets,
) -> anyhow::Result<(
    std::collections::BTreeMap<String, String>,
    Option<gantry_kafka::Publisher>,
    Option<gantry_kafka::Forwarder>,
)> {
    let kafka_secrets = match &cfg.kafka {
        Some(k) if !k.secret_options.is_empty() => {
            let names: Vec<String> = k.secret_options.values().cloned().collect();
            let values = secrets
                .service()
                .resolve(&names)
                .await
                .map_err(|e| anyhow::anyhow!("[kafka] secret_options: {e}"))?;
            k.secret_options
                .iter()
                .filter_map(|(prop, name)| Some((prop.clone(), values.get(name)?.clone())))
                .collect()
        }
        _ => std::collections::BTreeMap::new(),
    };
    let producer = match &cfg.kafka {
        Some(k) => Some(gantry_kafka::Publisher::new(k, &kafka_secrets)?),
        None => None,
    };
    let forwarder = match (&cfg.kafka, &producer, cfg.ingress.forward_to_kafka) {
        (Some(k), Some(p), true) => {
            let topic = k.events_topic.clone().unwrap_or_default();
            Some(gantry_kafka::Forwarder::new(p.clone(), &topic))
        }
        _ => None,
    };
    Ok((kafka_secrets, producer, forwarder))
}

/// Workflow files and source tarballs of GitHub-hosted repositories, when a client can be had.
fn github_fetcher(cfg: &ServeConfig) -> Option<gantry_github::ActionFetcher> {
    gantry_github::FetcherConfig {
        cache_dir: cfg.data_dir.join("github"),
        offline: false,
        api_base: cfg.github.api_url.clone(),
        token: cfg.github_token(),
    }
    .build()
    .map_err(|e| {
        tracing::warn!(error = %e, "GitHub client: GitHub-hosted repositories are off");
    })
    .ok()
}

/// The service's shared state on Docker, with the receiving end of its run queue and the
/// Kafka source's secret properties.
async fn assemble(
    cfg: &ServeConfig,
    secrets: TenantSecrets,
) -> anyhow::Result<(
    Arc<App<DockerBackend>>,
    mpsc::Receiver<i64>,
    std::collections::BTreeMap<String, String>,
)> {
    let instance = cfg.instance();
    let run_root = scratch(cfg, &instance)?;
    warn_unused_tenants(cfg, &secrets);
    let store = Store::connect(&cfg.store, &cfg.data_dir, &instance).await?;
    let (kafka_secrets, kafka_producer, forwarder) = kafka_parts(cfg, &secrets).await?;
    let api_tokens = auth::Tokens::resolve(&cfg.api)?;
    if api_tokens.is_empty() {
        tracing::warn!(
            "the API is closed: no [[api.tokens]] are configured, so /api/* and /metrics answer 401"
        );
    }
    let backend = Arc::new(DockerBackend::connect().await?);
    gantry_engine::remove_stale(&*backend).await;
    let services_stop = CancellationToken::new();
    let services = job_services::start(cfg, &*backend, services_stop.clone()).await?;
    let (tx, rx) = mpsc::channel(RUN_QUEUE);
    let body_budget = Arc::new(tokio::sync::Semaphore::new(
        cfg.max_buffered_bytes()
            .min(tokio::sync::Semaphore::MAX_PERMITS),
    ));
    let app = App {
        settings: Settings {
            cfg: cfg.clone(),
            policy: Arc::new(cfg.policy.clone()),
            instance,
            run_root,
            secrets,
            sweep: scheduler::SWEEP,
        },
        sources: WorkflowSources {
            files: sources::Sources::default(),
            kafka: cfg
                .kafka
                .as_ref()
                .map(|k| topics::KafkaWorkflows::new(k.workflows.clone())),
            github: github_fetcher(cfg),
        },
        runs: Runs {
            store,
            queue: tx,
            metrics: Arc::new(Metrics::default()),
            leased: Default::default(),
        },
        exec: Execution::new(backend)
            .with_services(services, services_stop)
            .with_actions(job_services::action_source(cfg, github_fetcher(cfg))?),
        intake: Intake::new(api_tokens, body_budget, redact::host_paths(cfg), forwarder),
        outbound: Outbound {
            statuses: status_reporter(cfg),
            kafka_producer,
        },
    };
    Ok((Arc::new(app), rx, kafka_secrets))
}

/// Starts the service and runs until `shutdown` is cancelled (SIGTERM/Ctrl-C in the CLI);
/// then stops intake, lets running jobs finish for the grace period, cancels the rest and
/// returns with the store flushed.
pub async fn serve(
    cfg: ServeConfig,
    secrets: TenantSecrets,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let (app, rx, kafka_secrets) = assemble(&cfg, secrets).await?;
    let recovered = scheduler::recover(&app).await?;
    let sched = tokio::spawn(scheduler::run(app.clone(), recovered, rx, shutdown.clone()));
    let runtime = tokio::spawn(runtime_watch::watch(app.clone(), shutdown.clone()));
    let source = cfg
        .kafka
        .clone()
        .filter(|k| k.consume)
        .zip(app.outbound.kafka_producer.clone())
        .map(|(k, producer)| {
            let sink = Arc::new(topics::KafkaSink { app: app.clone() });
            let (stats, stop) = (app.intake.kafka_stats.clone(), shutdown.clone());
            tokio::spawn(async move {
                if let Err(e) =
                    gantry_kafka::run_source(&k, &kafka_secrets, producer, sink, stats, stop).await
                {
                    tracing::error!(error = %e, "the Kafka source stopped");
                }
            })
        });
    let listener = tokio::net::TcpListener::bind(&cfg.listen).await?;
    tracing::info!("serving on http://{}", listener.local_addr()?);
    let router = api::router(app.clone());
    // The listener stays open while running jobs drain, answering 503 to new events.
    let server_stop = CancellationToken::new();
    let stop = server_stop.clone();
    let limits = http_limits(&cfg);
    let server = tokio::spawn(gantry_http::serve(listener, router, limits, stop));
    shutdown.cancelled().await;
    app.intake.stop_accepting();
    // Consumption stops first (committing what was recorded), then running jobs drain.
    if let Some(s) = source {
        let _ = s.await;
    }
    let _ = sched.await;
    let _ = runtime.await;
    // No job runs any more: the artifact, cache and git services can stop.
    app.exec.services_stop.cancel();
    server_stop.cancel();
    let _ = server.await;
    if let Err(e) = app.runs.store.flush().await {
        // Runs whose end is not on disk are found in progress at the next start.
        tracing::error!(error = %e, "stopping with changes the run store could not write");
    }
    // Every run has ended: this instance's scratch directory holds nothing worth keeping.
    let _ = std::fs::remove_dir_all(&app.settings.run_root);
    Ok(())
}

/// The accept loop's limits: `[ingress]`'s timeouts and cap, the shutdown grace.
fn http_limits(cfg: &ServeConfig) -> gantry_http::Limits {
    use std::time::Duration;
    gantry_http::Limits {
        header_timeout: Duration::from_secs(cfg.ingress.header_timeout_secs),
        write_timeout: Duration::from_secs(cfg.ingress.write_timeout_secs),
        max_connections: cfg.ingress.max_connections.max(1),
        drain: Duration::from_secs(cfg.shutdown_grace_secs.max(1)),
    }
}

/// The instance's directory on the scratch root (checked to be tmpfs unless the operator
/// allowed a disk), emptied of whatever a crashed process of this instance left.
fn scratch(cfg: &ServeConfig, instance: &str) -> anyhow::Result<std::path::PathBuf> {
    use gantry_engine::scratch;
    let keys = scratch::ScratchKeys {
        dir: "scratch_dir",
        allow_disk: "allow_disk_scratch = true",
    };
    let root = scratch::prepare(cfg.scratch_dir.as_deref(), cfg.allow_disk_scratch, keys)?;
    // Where earlier versions kept run directories, on disk; a crashed run's may hold values.
    let _ = std::fs::remove_dir_all(cfg.data_dir.join("runs"));
    scratch::instance_dir(&root, instance).map_err(|e| {
        anyhow::anyhow!(
            "scratch_dir {}: emptying this instance's directory: {e}",
            root.display()
        )
    })
}

/// A `[tenants.NAME]` table no source belongs to is most likely a typo: say so at start.
fn warn_unused_tenants(cfg: &ServeConfig, secrets: &TenantSecrets) {
    let mut used: Vec<String> = cfg
        .repositories
        .iter()
        .map(|r| tenants::of(cfg, "github", Some(&r.name)).name)
        .collect();
    used.extend(
        cfg.hooks
            .keys()
            .map(|h| tenants::of(cfg, &format!("hook:{h}"), None).name),
    );
    if cfg.kafka.is_some() {
        used.push(tenants::of(cfg, "kafka", None).name);
    }
    for t in secrets.configured() {
        if !used.iter().any(|u| u == t) {
            tracing::warn!("the secrets config has [tenants.{t}], but no repository, hook or [kafka] belongs to tenant `{t}`");
        }
    }
}

/// Commit statuses, when a GitHub token is configured (in the file or through `token_env`).
fn status_reporter(cfg: &ServeConfig) -> Option<gantry_github::StatusReporter> {
    let gh = &cfg.github;
    let token = gh
        .token
        .clone()
        .or_else(|| gh.token_env.as_ref().and_then(|n| std::env::var(n).ok()))?;
    let public_url = match &cfg.public_url {
        Some(url) => url.clone(),
        None => format!("http://{}", cfg.listen),
    };
    gantry_github::StatusReporter::new(token, gh.api_url.as_deref(), &public_url)
}
