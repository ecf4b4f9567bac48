//! librdkafka client settings: Gantry's defaults for the consumer and the producer, then the
//! operator's `options`, then the secret ones resolved from the secret store.

use super::KafkaConfig;
use rdkafka::ClientConfig;
use std::collections::BTreeMap;

/// Settings shared by the consumer and the producers.
fn base(cfg: &KafkaConfig, secret: &BTreeMap<String, String>) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &cfg.brokers);
    for (k, v) in &cfg.options {
        c.set(k, v);
    }
    for (k, v) in secret {
        c.set(k, v);
    }
    c
}

/// The group consumer: offsets are stored by Gantry only after recording (auto store off)
/// and committed by librdkafka on an interval and on revocation.
pub fn consumer(cfg: &KafkaConfig, secret: &BTreeMap<String, String>) -> ClientConfig {
    let mut c = ClientConfig::new();
    for (k, v) in [
        ("group.id", cfg.group_id.as_str()),
        ("enable.auto.commit", "true"),
        ("enable.auto.offset.store", "false"),
        ("auto.offset.reset", "earliest"),
        // librdkafka's 45 s default makes a group take ~23 s to form and a dead instance's
        // partitions wait as long; 10 s is a common service setting.
        ("session.timeout.ms", "10000"),
        ("heartbeat.interval.ms", "2000"),
        ("topic.metadata.refresh.interval.ms", "10000"),
    ] {
        c.set(k, v);
    }
    c.set(
        "auto.commit.interval.ms",
        cfg.commit_interval_ms.to_string(),
    );
    for (k, v) in base(cfg, secret).config_map() {
        c.set(k, v);
    }
    c
}

/// A producer that neither loses nor duplicates what it was told to send (dead letters,
/// forwarded events): all replicas acknowledge, idempotence on.
pub fn producer(cfg: &KafkaConfig, secret: &BTreeMap<String, String>) -> ClientConfig {
    let mut c = ClientConfig::new();
    for (k, v) in [
        ("enable.idempotence", "true"),
        ("acks", "all"),
        ("linger.ms", "1"),
        ("message.timeout.ms", "30000"),
    ] {
        c.set(k, v);
    }
    for (k, v) in base(cfg, secret).config_map() {
        // Consumer-only properties would only produce warnings.
        if !k.starts_with("group.") && !k.starts_with("session.") && !k.contains("offset") {
            c.set(k, v);
        }
    }
    c
}
