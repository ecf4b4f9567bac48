//! The dead-letter topic: a message that cannot become an event (too large, not JSON where
//! JSON is required) or whose runs could not be recorded after bounded attempts goes there,
//! unchanged (key, value, headers), with headers saying why and where it came from — so it
//! is never silently skipped, and the partition behind it keeps moving.

use super::{client, KafkaConfig};
use crate::event::KafkaMessage;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::collections::BTreeMap;
use std::time::Duration;

pub struct DeadLetter {
    producer: FutureProducer,
    pub topic: String,
}

/// Why a message was dead-lettered: a short code (`too_large`, `not_json`,
/// `record_failed`) and the details.
pub struct Why {
    pub reason: String,
    pub detail: String,
}

impl DeadLetter {
    pub fn new(cfg: &KafkaConfig, secret: &BTreeMap<String, String>) -> Result<Self, KafkaError> {
        Ok(DeadLetter {
            producer: client::producer(cfg, secret).create()?,
            topic: cfg.dead_letter_topic.clone(),
        })
    }

    /// Publishes and waits for the broker's acknowledgement.
    pub async fn send(&self, msg: &KafkaMessage, why: &Why) -> Result<(), KafkaError> {
        match self.publish(msg, why, true).await {
            // The original may exceed what the dead-letter topic takes: keep the record of
            // it (headers say the value was dropped) rather than stall the partition.
            Err(KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge)) => {
                self.publish(msg, why, false).await
            }
            other => other,
        }
    }

    async fn publish(&self, msg: &KafkaMessage, why: &Why, value: bool) -> Result<(), KafkaError> {
        let mut headers = OwnedHeaders::new();
        for (k, v) in &msg.headers {
            headers = headers.insert(Header {
                key: k,
                value: v.as_deref(),
            });
        }
        let partition = msg.partition.to_string();
        let offset = msg.offset.to_string();
        let timestamp = msg.timestamp.map(|t| t.to_string()).unwrap_or_default();
        for (k, v) in [
            ("gantry-dlq-reason", why.reason.as_str()),
            ("gantry-dlq-detail", why.detail.as_str()),
            ("gantry-dlq-topic", msg.topic.as_str()),
            ("gantry-dlq-partition", partition.as_str()),
            ("gantry-dlq-offset", offset.as_str()),
            ("gantry-dlq-timestamp", timestamp.as_str()),
        ] {
            headers = headers.insert(Header {
                key: k,
                value: Some(v),
            });
        }
        if !value {
            headers = headers.insert(Header {
                key: "gantry-dlq-value-dropped",
                value: Some("too large for the dead-letter topic"),
            });
        }
        let mut record: FutureRecord<'_, [u8], [u8]> =
            FutureRecord::to(&self.topic).headers(headers);
        if let Some(k) = &msg.key {
            record = record.key(k.as_slice());
        }
        if let (true, Some(v)) = (value, &msg.value) {
            record = record.payload(v.as_slice());
        }
        self.producer
            .send(record, Duration::from_secs(30))
            .await
            .map(|_| ())
            .map_err(|(e, _)| e)
    }
}
