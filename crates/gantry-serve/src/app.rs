//! The state every handler and the scheduler share ([`App`]), in named parts: what the
//! operator configured, where workflows come from, the run store with the scheduler's
//! queue, the runs executing now, what the HTTP and Kafka edges hold, and where results go
//! out. `App` is generic over the [`ContainerBackend`] so that the scheduler runs on
//! Docker in production and on the in-memory fake in unit tests.

use super::auth;
use super::concurrency;
use super::config::ServeConfig;
use super::metrics::Metrics;
use super::sources::Sources;
use super::topics::KafkaWorkflows;
use gantry_engine::backend::ContainerBackend;
use gantry_engine::Signals;
use gantry_secrets::TenantSecrets;
use gantry_store::Store;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// What every handler and the scheduler share; `B` runs the containers.
pub struct App<B: ContainerBackend> {
    pub(crate) settings: Settings,
    pub(crate) sources: WorkflowSources,
    pub(crate) runs: Runs,
    pub(crate) exec: Execution<B>,
    pub(crate) intake: Intake,
    pub(crate) outbound: Outbound,
}

/// What the operator configured, fixed while the service runs.
pub(crate) struct Settings {
    pub(crate) cfg: ServeConfig,
    /// The operator's `[policy]`, shared by every plan and engine of the service.
    pub(crate) policy: Arc<gantry_core::policy::Policy>,
    /// This instance's name in a shared run store.
    pub(crate) instance: String,
    /// This instance's directory on the scratch tmpfs: runs' step scripts and file commands.
    pub(crate) run_root: PathBuf,
    /// Every tenant's secrets; a run resolves only its own tenant's.
    pub(crate) secrets: TenantSecrets,
    /// How often the scheduler sweeps the store for queued runs nobody holds.
    pub(crate) sweep: std::time::Duration,
}

/// Where an event's workflow files (and a GitHub repository's tree) come from.
pub(crate) struct WorkflowSources {
    /// Configured repositories' and hooks' workflows.
    pub(crate) files: Sources,
    /// The `on: kafka` workflows, when `[kafka]` is configured.
    pub(crate) kafka: Option<KafkaWorkflows>,
    /// Workflow files and source tarballs of GitHub-hosted repositories.
    pub(crate) github: Option<gantry_github::ActionFetcher>,
}

/// The durable side: the run store, the scheduler's queue of recorded runs, the counters.
pub(crate) struct Runs {
    pub(crate) store: Store,
    /// Recorded runs for the scheduler (bounded: see [`super::scheduler::enqueue`]).
    pub(crate) queue: mpsc::Sender<i64>,
    pub(crate) metrics: Arc<Metrics>,
    /// The runs this instance has claimed and executes: the leases its heartbeat renews.
    pub(crate) leased: super::scheduler::Leased,
}

/// The runs executing now and what executes them.
pub(crate) struct Execution<B: ContainerBackend> {
    pub(crate) backend: Arc<B>,
    /// Cancel handles of the runs executing now, by run id.
    running: Mutex<HashMap<i64, Signals>>,
    /// Wakers of the `concurrency:` groups runs wait for here (the groups are the store's).
    pub(crate) groups: concurrency::Groups,
    /// Whether the container runtime answers (see `runtime_watch`).
    pub(crate) runtime: tokio::sync::watch::Sender<bool>,
    /// How many times the runtime stopped answering since the start: a run that saw this
    /// change lost its runtime on the way.
    pub(crate) outages: std::sync::atomic::AtomicU64,
    /// Whether the secret store answers (see `secrets_wait`).
    pub(crate) secrets: Arc<super::secrets_wait::SecretsHealth>,
    /// The artifact, cache and git services jobs reach (`[runner]`), when they run.
    pub(crate) services: Option<Arc<gantry_jobsvc::HostServices>>,
    /// Stops them, once no run executes any more.
    pub(crate) services_stop: CancellationToken,
    /// Where remote actions come from (`[runner] actions`, then GitHub).
    pub(crate) actions: Arc<dyn gantry_engine::ActionSource>,
}

/// What the edges (webhooks, API, Kafka source) hold.
pub(crate) struct Intake {
    /// False once shutdown began: ingress answers 503.
    accepting: AtomicBool,
    /// Cancelled when shutdown begins, for waits that must end then.
    stopping: CancellationToken,
    /// The API's bearer tokens (`[[api.tokens]]`), as digests.
    pub(crate) api_tokens: auth::Tokens,
    /// Failed page logins by client address (`login_limit`).
    pub(crate) login_limit: super::login_limit::LoginLimit,
    /// Bytes of webhook bodies in memory at once (`[ingress] max_buffered_bytes`).
    pub(crate) body_budget: Arc<tokio::sync::Semaphore>,
    /// Configured host paths and the labels ingress answers show instead.
    pub(crate) host_paths: Vec<(String, String)>,
    /// Where webhook events go when this instance only ingests (`forward_to_kafka`).
    pub(crate) forwarder: Option<gantry_kafka::Forwarder>,
    pub(crate) kafka_stats: Arc<gantry_kafka::SourceStats>,
}

/// Where results go out.
pub(crate) struct Outbound {
    /// Commit statuses on GitHub, when a token is configured.
    pub(crate) statuses: Option<gantry_github::StatusReporter>,
    /// The instance's one Kafka producer (when `[kafka]` is configured): run conclusions on
    /// `publish:` topics, forwarded webhook events, dead letters.
    pub(crate) kafka_producer: Option<gantry_kafka::Publisher>,
}

impl<B: ContainerBackend> Execution<B> {
    pub(crate) fn new(backend: Arc<B>) -> Execution<B> {
        Execution {
            backend,
            running: Mutex::new(HashMap::new()),
            groups: concurrency::Groups::default(),
            // Answering: the service pinged it before starting.
            runtime: tokio::sync::watch::Sender::new(true),
            outages: std::sync::atomic::AtomicU64::new(0),
            secrets: Arc::default(),
            services: None,
            services_stop: CancellationToken::new(),
            actions: Arc::new(gantry_engine::NoRemote),
        }
    }

    /// With where remote actions come from.
    pub(crate) fn with_actions(mut self, actions: Arc<dyn gantry_engine::ActionSource>) -> Self {
        self.actions = actions;
        self
    }

    /// With the jobs' services and what stops them.
    pub(crate) fn with_services(
        mut self,
        services: Option<Arc<gantry_jobsvc::HostServices>>,
        stop: CancellationToken,
    ) -> Execution<B> {
        self.services = services;
        self.services_stop = stop;
        self
    }

    /// Whether the container runtime answered its last ping.
    pub(crate) fn runtime_up(&self) -> bool {
        *self.runtime.borrow()
    }

    /// Keeps the cancel handle of run `id` while it executes.
    pub(crate) fn track(&self, id: i64, signals: Signals) {
        if let Ok(mut r) = self.running.lock() {
            r.insert(id, signals);
        }
    }

    /// Run `id` no longer executes.
    pub(crate) fn forget(&self, id: i64) {
        if let Ok(mut r) = self.running.lock() {
            r.remove(&id);
        }
    }

    /// Cancels run `id` when it executes now; false when it does not.
    pub(crate) fn cancel(&self, id: i64) -> bool {
        let running = self.running.lock().ok().and_then(|r| r.get(&id).cloned());
        match running {
            Some(s) => {
                s.cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// Cancels every run executing now (the end of the shutdown grace period).
    pub(crate) fn cancel_all(&self) {
        if let Ok(r) = self.running.lock() {
            for s in r.values() {
                s.cancel.cancel();
            }
        }
    }
}

impl Intake {
    /// Intake open; the Kafka source's counters start at zero.
    pub(crate) fn new(
        api_tokens: auth::Tokens,
        body_budget: Arc<tokio::sync::Semaphore>,
        host_paths: Vec<(String, String)>,
        forwarder: Option<gantry_kafka::Forwarder>,
    ) -> Intake {
        Intake {
            accepting: AtomicBool::new(true),
            stopping: CancellationToken::new(),
            api_tokens,
            login_limit: Default::default(),
            body_budget,
            host_paths,
            forwarder,
            kafka_stats: Arc::default(),
        }
    }

    /// False once shutdown began.
    pub(crate) fn is_accepting(&self) -> bool {
        self.accepting.load(Ordering::SeqCst)
    }

    /// Shutdown began: events and reruns are refused from now on.
    pub(crate) fn stop_accepting(&self) {
        self.accepting.store(false, Ordering::SeqCst);
        self.stopping.cancel();
    }

    /// Cancelled once shutdown began.
    pub(crate) fn stopping(&self) -> &CancellationToken {
        &self.stopping
    }
}

#[cfg(test)]
impl<B: ContainerBackend> App<B> {
    /// An app for unit tests on `backend`: the run store in `cfg.data_dir`, runs' files in
    /// `run_root`, no secrets, no API tokens, no Kafka and no GitHub; with the receiving end
    /// of its run queue, for [`super::scheduler::run`].
    pub(crate) fn for_tests(
        cfg: ServeConfig,
        backend: Arc<B>,
        run_root: PathBuf,
    ) -> (Arc<App<B>>, mpsc::Receiver<i64>) {
        let store = Store::open_as(&cfg.data_dir, "test").expect("the run store");
        Self::for_tests_on(cfg, backend, run_root, store)
    }

    /// As [`App::for_tests`], on a store opened already (PostgreSQL's, say).
    pub(crate) fn for_tests_on(
        cfg: ServeConfig,
        backend: Arc<B>,
        run_root: PathBuf,
        store: Store,
    ) -> (Arc<App<B>>, mpsc::Receiver<i64>) {
        Self::for_tests_as(cfg, backend, run_root, store, "test")
    }

    /// As [`App::for_tests_on`], for instance `instance` (the store's owner too: several
    /// instances sharing one store).
    pub(crate) fn for_tests_as(
        cfg: ServeConfig,
        backend: Arc<B>,
        run_root: PathBuf,
        store: Store,
        instance: &str,
    ) -> (Arc<App<B>>, mpsc::Receiver<i64>) {
        let (queue, rx) = mpsc::channel(16);
        let api_tokens = auth::Tokens::resolve(&cfg.api).expect("the API tokens");
        let app = App {
            settings: Settings {
                policy: Arc::new(cfg.policy.clone()),
                instance: instance.into(),
                run_root,
                secrets: TenantSecrets::default(),
                sweep: std::time::Duration::from_millis(200),
                cfg,
            },
            sources: WorkflowSources {
                files: Sources::default(),
                kafka: None,
                github: None,
            },
            runs: Runs {
                store,
                queue,
                metrics: Arc::default(),
                leased: Default::default(),
            },
            exec: Execution::new(backend),
            intake: Intake::new(
                api_tokens,
                Arc::new(tokio::sync::Semaphore::new(1 << 20)),
                Vec::new(),
                None,
            ),
            outbound: Outbound {
                statuses: None,
                kafka_producer: None,
            },
        };
        (Arc::new(app), rx)
    }
}
