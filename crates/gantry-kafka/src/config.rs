//! The `[kafka]` section of `gantry.toml`: brokers, consumer group, where `on: kafka`
//! workflows live, dead-lettering, and librdkafka options passed through (with secret ones
//! taken from the secret store, never written in the file).

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// `bootstrap.servers`.
    pub brokers: String,
    /// Whether this instance joins the consumer group. `false` makes a pure ingress (or
    /// publish-only) instance: it still forwards webhooks and publishes run results, but it
    /// is never assigned partitions, so it never runs an event consumed from Kafka.
    #[serde(default = "default_consume")]
    pub consume: bool,
    /// The consumer group every instance of one installation shares.
    #[serde(default = "default_group")]
    pub group_id: String,
    /// Directory of the workflow files whose `on: kafka` triggers are served; the topics
    /// they name are subscribed to (re-read every `reload_secs`).
    pub workflows: Option<PathBuf>,
    /// `github.repository` of Kafka events.
    pub repository: Option<String>,
    /// The workspace runs of Kafka events see; default: a new empty directory per run.
    pub workspace: Option<PathBuf>,
    /// The tenant `on: kafka` workflows belong to (secrets, share of capacity). Default:
    /// `kafka`.
    pub tenant: Option<String>,
    /// Where messages that cannot become events go, with headers saying why and whence.
    #[serde(default = "default_dead_letter")]
    pub dead_letter_topic: String,
    /// Larger messages are dead-lettered (reason `too_large`).
    #[serde(default = "default_max_bytes")]
    pub max_message_bytes: usize,
    /// Dead-letter messages whose value is not JSON (reason `not_json`).
    #[serde(default)]
    pub require_json: bool,
    /// How often stored offsets are committed (they are also committed on revocation).
    #[serde(default = "default_commit")]
    pub commit_interval_ms: u64,
    /// Runs waiting for capacity on this instance before consumption pauses.
    #[serde(default = "default_max_queued")]
    pub max_queued_runs: usize,
    /// Attempts at recording a message before it is dead-lettered.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Seconds between re-reading the workflows (new topics are subscribed to).
    #[serde(default = "default_reload")]
    pub reload_secs: u64,
    /// A topic carrying webhook events forwarded by ingress instances
    /// (`[ingress] forward_to_kafka`); every consuming instance with it set runs them.
    pub events_topic: Option<String>,
    /// librdkafka properties, passed through (`security.protocol`, `sasl.mechanism`,
    /// `ssl.ca.location`, `session.timeout.ms`...). They override Gantry's defaults.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// librdkafka properties whose values are secrets: property → secret name, resolved
    /// through the secret store at start (`"sasl.password" = "KAFKA_PASSWORD"`).
    #[serde(default)]
    pub secret_options: BTreeMap<String, String>,
}

fn default_consume() -> bool {
    true
}
fn default_group() -> String {
    "gantry".into()
}
fn default_dead_letter() -> String {
    "gantry.dead-letter".into()
}
fn default_max_bytes() -> usize {
    1024 * 1024
}
fn default_commit() -> u64 {
    1000
}
fn default_max_queued() -> usize {
    1000
}
fn default_attempts() -> u32 {
    3
}
fn default_reload() -> u64 {
    5
}
