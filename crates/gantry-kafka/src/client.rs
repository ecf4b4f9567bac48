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

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(extra: &str) -> KafkaConfig {
        toml::from_str(&format!("brokers = \"b:9092\"\n{extra}")).unwrap()
    }

    #[test]
    fn defaults_then_options_then_secret_options() {
        let c = cfg(
            "[options]\n\"session.timeout.ms\" = \"30000\"\n\"security.protocol\" = \"SASL_SSL\"\n",
        );
        let secret = BTreeMap::from([("sasl.password".to_string(), "s3cret".to_string())]);
        let consumer = consumer(&c, &secret);
        assert_eq!(consumer.get("bootstrap.servers"), Some("b:9092"));
        assert_eq!(consumer.get("group.id"), Some("gantry"));
        assert_eq!(consumer.get("enable.auto.offset.store"), Some("false"));
        assert_eq!(
            consumer.get("session.timeout.ms"),
            Some("30000"),
            "options win"
        );
        assert_eq!(consumer.get("security.protocol"), Some("SASL_SSL"));
        // Set, and never shown: rdkafka sanitizes it in every rendering of the config.
        assert!(consumer.get("sasl.password").is_some());
        assert!(!format!("{consumer:?}").contains("s3cret"));
        let producer = producer(&c, &secret);
        assert_eq!(producer.get("enable.idempotence"), Some("true"));
        assert_eq!(producer.get("acks"), Some("all"));
        assert!(producer.get("sasl.password").is_some());
        assert_eq!(
            producer.get("session.timeout.ms"),
            None,
            "consumer-only left out"
        );
    }
}
