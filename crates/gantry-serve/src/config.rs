//! `gantry.toml`: what the service listens on, where it keeps its data (and its per-run files:
//! the scratch tmpfs), how much it runs at once (per tenant too), which repositories and named
//! webhooks it serves and to which tenant each belongs, and their secrets. Some top-level
//! options can also come from the environment (`GANTRY_LISTEN`, `GANTRY_DATA_DIR`,
//! `GANTRY_CAPACITY`, `GANTRY_PUBLIC_URL`, `GANTRY_GITHUB_WEBHOOK_SECRET`,
//! `GANTRY_SCRATCH_DIR`), and every secret
//! from a named environment variable (`*_env` settings) rather than the file.

use gantry_core::diag::TomlError;
use gantry_core::policy::InvalidPolicy;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A `gantry.toml` the service cannot start with: unreadable, not TOML of the right shape
/// (`line:col: message`), or settings that do not fit together. Each names the setting.
#[derive(Debug, thiserror::Error)]
pub enum ServeConfigError {
    #[error("{}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// An error in the file at `path`: `path:line:col: message`.
    #[error("{}:{error}", path.display())]
    In {
        path: PathBuf,
        error: Box<ServeConfigError>,
    },
    #[error(transparent)]
    Toml(#[from] TomlError),
    #[error("[policy] {0}")]
    Policy(InvalidPolicy),
    #[error("[[api.tokens]] name `{name}`: expected a unique, non-empty name")]
    TokenName { name: String },
    #[error("[[api.tokens]] `{name}`: token_sha256 expected 64 hex digits")]
    TokenHash { name: String },
    #[error("[[api.tokens]] `{name}`: expected exactly one of token_env or token_sha256")]
    TokenSecret { name: String },
    #[error("[ingress] {key}: expected a number above 0")]
    NotPositive { key: &'static str },
    #[error("[ingress] max_buffered_bytes: expected at least body_limit ({body_limit} bytes)")]
    BufferBelowBody { body_limit: usize },
    #[error("[ingress] forward_to_kafka needs [kafka] with events_topic set")]
    ForwardWithoutTopic,
    #[error("tenant_capacity: expected at least 1 (or no setting: no cap)")]
    TenantCapacity,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    #[serde(default = "default_listen")]
    pub listen: String,
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Runs executing at once (each with up to this many jobs in parallel).
    #[serde(default = "default_capacity")]
    pub capacity: usize,
    /// Most runs one tenant holds at once (of `capacity`). Default: no cap beyond `capacity`;
    /// either way a free slot goes to the tenants in turn (round-robin), not in arrival order.
    pub tenant_capacity: Option<usize>,
    /// Where per-run files (step scripts, file-command files, event payloads) live: must be
    /// tmpfs. Default: `$XDG_RUNTIME_DIR/gantry`, else `/dev/shm/gantry-<uid>`.
    pub scratch_dir: Option<PathBuf>,
    /// Lets `scratch_dir` be on disk (unsafe: secret values rendered into step scripts and
    /// written to `GITHUB_OUTPUT`/`GITHUB_ENV` reach the disk). Default: false.
    #[serde(default)]
    pub allow_disk_scratch: bool,
    /// How the service is reached from outside (links in commit statuses).
    pub public_url: Option<String>,
    /// Largest accepted request body (GitHub sends at most 25 MiB).
    #[serde(default = "default_body_limit")]
    pub body_limit: usize,
    /// Seconds running jobs get to finish after SIGTERM before they are cancelled.
    #[serde(default = "default_grace")]
    pub shutdown_grace_secs: u64,
    /// Runs found in progress after a crash are run again up to this many attempts.
    #[serde(default = "default_attempts")]
    pub max_attempts: i64,
    /// `runs-on` label → image.
    #[serde(default)]
    pub platforms: BTreeMap<String, String>,
    pub secrets_config: Option<PathBuf>,
    #[serde(default)]
    pub github: GithubConfig,
    #[serde(default)]
    pub repositories: Vec<RepositoryConfig>,
    /// Named generic webhooks (`POST /hooks/{name}`) for `on: webhook` workflows.
    #[serde(default)]
    pub hooks: BTreeMap<String, HookConfig>,
    /// This instance's name, stable across restarts: instances sharing a run store recover
    /// only their own runs. Default: the listen address.
    pub instance_id: Option<String>,
    /// The Kafka source (`on: kafka` workflows) and consumer group.
    pub kafka: Option<gantry_kafka::KafkaConfig>,
    #[serde(default)]
    pub ingress: IngressConfig,
    /// What workflows may ask of the host and how every container is confined.
    #[serde(default)]
    pub policy: gantry_core::policy::Policy,
    /// Who may use the API (`[[api.tokens]]`); none configured means the API is closed.
    #[serde(default)]
    pub api: ApiConfig,
    /// What jobs get from the host: artifact, cache and git services, Node runtimes.
    #[serde(default)]
    pub runner: RunnerConfig,
    /// Where the run store lives: no `url`, SQLite in `data_dir`; else PostgreSQL.
    #[serde(default)]
    pub store: gantry_store::StoreConfig,
    /// How much of each step's output the store keeps.
    #[serde(default)]
    pub logs: crate::log_budget::LogLimits,
}

/// `[runner]`: see docs/serve.md.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunnerConfig {
    /// Serve artifacts, caches and git to jobs (default: true).
    #[serde(default = "default_true")]
    pub services: bool,
    /// The services' port on the host's address on Gantry's network (0: any free one).
    #[serde(default)]
    pub port: u16,
    /// Where artifacts and caches are kept: `{ directory = "..." }` (default: `results`
    /// under `data_dir`) or `{ s3 = { bucket, endpoint, region, ... } }`.
    pub storage: Option<gantry_results::StorageConfig>,
    /// The cache protocol jobs are told to use (`v2`, GitHub's current, or `v1`).
    #[serde(default)]
    pub cache_protocol: gantry_results::CacheProtocol,
    /// Sizes and retention of artifacts and caches.
    #[serde(default)]
    pub limits: gantry_results::Limits,
    /// The Node runtimes (`node20/`, `node24/`; default: GANTRY_EXTERNALS, else
    /// ~/.cache/gantry/externals).
    pub externals: Option<PathBuf>,
    /// Remote actions served from local directories instead of GitHub
    /// (`"actions/checkout@v4" = "/srv/actions/checkout"`), as `gantry run --action-dir`.
    #[serde(default)]
    pub actions: BTreeMap<String, PathBuf>,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            services: true,
            port: 0,
            storage: None,
            cache_protocol: Default::default(),
            limits: Default::default(),
            externals: None,
            actions: BTreeMap::new(),
        }
    }
}

fn default_true() -> bool {
    true
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngressConfig {
    /// Put authenticated webhook events on `[kafka] events_topic` instead of recording and
    /// running them here: any instance of the group runs them.
    #[serde(default)]
    pub forward_to_kafka: bool,
    /// Seconds a client gets to send a request's headers; also how long an idle keep-alive
    /// connection stays open waiting for its next request.
    #[serde(default = "default_header_timeout")]
    pub header_timeout_secs: u64,
    /// Seconds a webhook's body may take to arrive, from the end of its headers.
    #[serde(default = "default_body_timeout")]
    pub body_timeout_secs: u64,
    /// Seconds a response may wait for a client that reads nothing before the connection
    /// is closed (slow readers).
    #[serde(default = "default_write_timeout")]
    pub write_timeout_secs: u64,
    /// Connections served at once; more wait in the kernel's accept queue.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Bytes of webhook bodies held in memory at once, across all requests (reserved
    /// before a body is read; requests wait for room). Default: four times `body_limit`.
    pub max_buffered_bytes: Option<usize>,
}

impl Default for IngressConfig {
    fn default() -> Self {
        IngressConfig {
            forward_to_kafka: false,
            header_timeout_secs: default_header_timeout(),
            body_timeout_secs: default_body_timeout(),
            write_timeout_secs: default_write_timeout(),
            max_connections: default_max_connections(),
            max_buffered_bytes: None,
        }
    }
}

fn default_header_timeout() -> u64 {
    10
}
fn default_body_timeout() -> u64 {
    30
}
fn default_write_timeout() -> u64 {
    30
}
fn default_max_connections() -> usize {
    512
}

impl ServeConfig {
    /// `[ingress] max_buffered_bytes`, or its default.
    pub fn max_buffered_bytes(&self) -> usize {
        self.ingress
            .max_buffered_bytes
            .unwrap_or(self.body_limit.saturating_mul(4))
    }

    /// The `[ingress]` limits that must be positive, and a buffer that holds one body.
    fn check_ingress(&self) -> Result<(), ServeConfigError> {
        let i = &self.ingress;
        for (key, v) in [
            ("header_timeout_secs", i.header_timeout_secs),
            ("body_timeout_secs", i.body_timeout_secs),
            ("write_timeout_secs", i.write_timeout_secs),
            ("max_connections", i.max_connections as u64),
        ] {
            if v == 0 {
                return Err(ServeConfigError::NotPositive { key });
            }
        }
        if self.max_buffered_bytes() < self.body_limit {
            return Err(ServeConfigError::BufferBelowBody {
                body_limit: self.body_limit,
            });
        }
        Ok(())
    }
}

/// `[api]`: the bearer tokens the API accepts.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    #[serde(default)]
    pub tokens: Vec<ApiToken>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the login limit);
    /// empty: the TCP peer is the client.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// One `[[api.tokens]]` entry: a name (in logs and 403 answers), a scope, and the secret as
/// an environment variable (`token_env`) or the hex SHA-256 of the token (`token_sha256`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiToken {
    pub name: String,
    pub scope: ApiScope,
    pub token_env: Option<String>,
    pub token_sha256: Option<String>,
}

/// `read`: runs, logs (also live), metrics. `operate`: also cancel and rerun.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiScope {
    Read,
    Operate,
}

impl ApiScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::Read => "read",
            ApiScope::Operate => "operate",
        }
    }
}

impl ApiConfig {
    /// What the types cannot check: unique names, exactly one secret per token, a real hash.
    pub fn check(&self) -> Result<(), ServeConfigError> {
        let mut seen = std::collections::BTreeSet::new();
        for t in &self.tokens {
            let name = t.name.clone();
            if name.is_empty() || !seen.insert(t.name.as_str()) {
                return Err(ServeConfigError::TokenName { name });
            }
            match (&t.token_env, &t.token_sha256) {
                (Some(_), None) => {}
                (None, Some(h)) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {}
                (None, Some(_)) => return Err(ServeConfigError::TokenHash { name }),
                _ => return Err(ServeConfigError::TokenSecret { name }),
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubConfig {
    /// The secret of the GitHub webhook (`X-Hub-Signature-256`).
    pub webhook_secret: Option<String>,
    pub webhook_secret_env: Option<String>,
    /// For commit statuses; none means no reporting. `token_env` names an environment
    /// variable holding it (preferred over writing it in the file).
    pub token: Option<String>,
    pub token_env: Option<String>,
    pub api_url: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepositoryConfig {
    /// `owner/repo`, as GitHub names it in payloads.
    pub name: String,
    /// A local git repository (bare or not) holding the pushed commits. Absent: the
    /// repository is on GitHub; its workflow files and source tarball are fetched at the
    /// pushed sha through the API (`[github] token`, `api_url`).
    pub path: Option<PathBuf>,
    /// The tenant its workflows belong to (secrets, share of capacity). Default:
    /// `repo:<name>`.
    pub tenant: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookConfig {
    /// HMAC-SHA256 secret for `X-Hub-Signature-256` (or `X-Signature-256`).
    pub secret: Option<String>,
    pub secret_env: Option<String>,
    /// Or a bearer token (`Authorization: Bearer ...`).
    pub token: Option<String>,
    pub token_env: Option<String>,
    /// Where this hook's workflows live (a directory of workflow files).
    pub workflows: PathBuf,
    /// The repository name the event carries (`github.repository`).
    pub repository: Option<String>,
    /// The workspace its runs see (local actions `./x` are read from it). Default: a new
    /// empty directory per run.
    pub workspace: Option<PathBuf>,
    /// The tenant its workflows belong to (secrets, share of capacity). Default:
    /// `hook:<name>`.
    pub tenant: Option<String>,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_data_dir() -> PathBuf {
    PathBuf::from("gantry-data")
}
fn default_capacity() -> usize {
    2
}
fn default_body_limit() -> usize {
    25 * 1024 * 1024
}
fn default_grace() -> u64 {
    30
}
fn default_attempts() -> i64 {
    2
}

fn from_env(name: &Option<String>) -> Option<String> {
    name.as_ref().and_then(|n| std::env::var(n).ok())
}

impl ServeConfig {
    /// The configured repository named `name` (GitHub's `owner/repo`, any case).
    pub fn repository(&self, name: &str) -> Option<&RepositoryConfig> {
        self.repositories
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
    }

    pub fn parse(text: &str) -> Result<ServeConfig, ServeConfigError> {
        let mut c: ServeConfig = gantry_core::diag::parse_toml(text)?;
        c.apply_env();
        c.check()?;
        Ok(c)
    }

    pub fn load(path: &Path) -> Result<ServeConfig, ServeConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ServeConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        Self::parse(&text).map_err(|e| ServeConfigError::In {
            path: path.to_path_buf(),
            error: Box::new(e),
        })
    }

    fn apply_env(&mut self) {
        if let Ok(v) = std::env::var("GANTRY_LISTEN") {
            self.listen = v;
        }
        if let Ok(v) = std::env::var("GANTRY_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = std::env::var("GANTRY_CAPACITY")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            self.capacity = v;
        }
        if let Ok(v) = std::env::var("GANTRY_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Ok(v) = std::env::var("GANTRY_GITHUB_WEBHOOK_SECRET") {
            self.github.webhook_secret = Some(v);
        }
        if let Ok(v) = std::env::var("GANTRY_SCRATCH_DIR") {
            self.scratch_dir = Some(v.into());
        }
        if let Ok(v) = std::env::var("GANTRY_INSTANCE_ID") {
            self.instance_id = Some(v);
        }
        if let (Ok(v), Some(k)) = (std::env::var("GANTRY_KAFKA_BROKERS"), self.kafka.as_mut()) {
            k.brokers = v;
        }
    }

    pub fn instance(&self) -> String {
        self.instance_id
            .clone()
            .unwrap_or_else(|| self.listen.clone())
    }

    /// Checks what the types cannot: `[api]` tokens, `[ingress]` limits, and that
    /// forwarding has an events topic to forward to.
    pub fn check(&self) -> Result<(), ServeConfigError> {
        self.policy
            .clone()
            .checked()
            .map_err(ServeConfigError::Policy)?;
        self.api.check()?;
        self.check_ingress()?;
        if self.ingress.forward_to_kafka
            && self
                .kafka
                .as_ref()
                .and_then(|k| k.events_topic.as_ref())
                .is_none()
        {
            return Err(ServeConfigError::ForwardWithoutTopic);
        }
        if self.tenant_capacity == Some(0) {
            return Err(ServeConfigError::TenantCapacity);
        }
        Ok(())
    }

    /// The API token (`token`, or the variable `token_env` names).
    pub fn github_token(&self) -> Option<String> {
        self.github
            .token
            .clone()
            .or_else(|| from_env(&self.github.token_env))
    }

    pub fn github_secret(&self) -> Option<String> {
        self.github
            .webhook_secret
            .clone()
            .or_else(|| from_env(&self.github.webhook_secret_env))
    }
}

impl HookConfig {
    pub fn secret(&self) -> Option<String> {
        self.secret.clone().or_else(|| from_env(&self.secret_env))
    }
    pub fn token(&self) -> Option<String> {
        self.token.clone().or_else(|| from_env(&self.token_env))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_unknown_keys() {
        let c = ServeConfig::parse("[hooks.deploy]\nsecret = \"s\"\nworkflows = \"w\"\n").unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.body_limit, 25 * 1024 * 1024);
        assert_eq!(c.hooks["deploy"].secret().as_deref(), Some("s"));
        let e = ServeConfig::parse("listne = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("1:1:") && e.contains("listne"), "{e}");
    }

    #[test]
    fn the_store_is_sqlite_unless_a_url_names_postgres_and_its_password_is_not_shown() {
        let c = ServeConfig::parse("").unwrap();
        assert!(c.store.url.is_none(), "no [store]: SQLite in data_dir");
        let text =
            "[store]\nurl = \"postgres://gantry:inline-pw@db/gantry\"\npassword_env = \"PG_PW\"\n";
        let c = ServeConfig::parse(text).unwrap();
        assert_eq!(c.store.password_env.as_deref(), Some("PG_PW"));
        let shown = format!("{c:?}");
        assert!(shown.contains("postgres://gantry@db/gantry"), "{shown}");
        assert!(!shown.contains("inline-pw"), "{shown}");
        let e = ServeConfig::parse("[store]\nurll = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("urll"), "{e}");
    }

    #[test]
    fn settings_that_do_not_fit_say_which() {
        let table = [
            (
                "[ingress]\nmax_connections = 0\n",
                "[ingress] max_connections: expected a number above 0",
            ),
            (
                "body_limit = 10\n[ingress]\nmax_buffered_bytes = 9\n",
                "[ingress] max_buffered_bytes: expected at least body_limit (10 bytes)",
            ),
            (
                "[ingress]\nforward_to_kafka = true\n",
                "[ingress] forward_to_kafka needs [kafka] with events_topic set",
            ),
            (
                "tenant_capacity = 0\n",
                "tenant_capacity: expected at least 1 (or no setting: no cap)",
            ),
            (
                "[[api.tokens]]\nname = \"\"\nscope = \"read\"\ntoken_env = \"T\"\n",
                "[[api.tokens]] name ``: expected a unique, non-empty name",
            ),
            (
                "[[api.tokens]]\nname = \"a\"\nscope = \"read\"\ntoken_sha256 = \"ab\"\n",
                "[[api.tokens]] `a`: token_sha256 expected 64 hex digits",
            ),
            (
                "[[api.tokens]]\nname = \"a\"\nscope = \"read\"\n",
                "[[api.tokens]] `a`: expected exactly one of token_env or token_sha256",
            ),
        ];
        for (text, want) in table {
            let e = ServeConfig::parse(text).unwrap_err();
            assert_eq!(e.to_string(), want, "{text}");
        }
    }

    #[test]
    fn a_loaded_file_names_itself() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("gantry.toml");
        std::fs::write(&path, "tenant_capacity = 0\n").unwrap();
        let e = ServeConfig::load(&path).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}:tenant_capacity: expected at least 1 (or no setting: no cap)",
                path.display()
            )
        );
        std::fs::write(&path, "listne = 1\n").unwrap();
        let e = ServeConfig::load(&path).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}:1:1: ", path.display())), "{e}");
        let e = ServeConfig::load(&d.path().join("none.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!("{}: ", d.path().join("none.toml").display())),
            "{e}"
        );
    }
}
