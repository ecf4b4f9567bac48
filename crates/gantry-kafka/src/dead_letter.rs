//! The dead-letter topic: a message that cannot become an event (too large, not JSON where
//! JSON is required) or whose runs could not be recorded after bounded attempts goes there,
//! unchanged (key, value, headers), with headers saying why and where it came from — so it
//! is never silently skipped, and the partition behind it keeps moving.

use super::publish::{Publisher, Record};
use gantry_plan::event::KafkaMessage;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

pub struct DeadLetter {
    producer: Publisher,
    pub topic: String,
}

/// Why a message was dead-lettered: a short code (`too_large`, `not_json`,
/// `record_failed`) and the details.
pub struct Why {
    pub reason: String,
    pub detail: String,
}

impl DeadLetter {
    pub fn new(producer: Publisher, topic: &str) -> Self {
        DeadLetter {
            producer,
            topic: topic.to_string(),
        }
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
        let partition = msg.partition.to_string();
        let offset = msg.offset.to_string();
        let timestamp = msg.timestamp.map(|t| t.to_string()).unwrap_or_default();
        let mut headers: Vec<(&str, Option<&[u8]>)> = msg
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect();
        for (k, v) in [
            ("gantry-dlq-reason", why.reason.as_str()),
            ("gantry-dlq-detail", why.detail.as_str()),
            ("gantry-dlq-topic", msg.topic.as_str()),
            ("gantry-dlq-partition", partition.as_str()),
            ("gantry-dlq-offset", offset.as_str()),
            ("gantry-dlq-timestamp", timestamp.as_str()),
        ] {
            headers.push((k, Some(v.as_bytes())));
        }
        if !value {
            headers.push((
                "gantry-dlq-value-dropped",
                Some(b"too large for the dead-letter topic".as_slice()),
            ));
        }
        self.producer
            .send(Record {
                topic: &self.topic,
                key: msg.key.as_deref(),
                value: msg.value.as_deref().filter(|_| value),
                headers,
            })
            .await
            .map(|_| ())
    }
}
