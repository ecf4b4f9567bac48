//! `[ingress] forward_to_kafka`: a webhook-only instance puts each authenticated event on
//! the events topic (keyed by its event id, acknowledged by all replicas) and answers 202
//! once Kafka has it; whichever instance of the group consumes it records and runs it, and
//! the event id makes a redelivered webhook or message create no second run.

use super::{client, KafkaConfig};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

pub struct Forwarder {
    producer: FutureProducer,
    pub topic: String,
}

/// Where a forwarded event landed.
#[derive(Clone, Debug, Serialize)]
pub struct Forwarded {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// The header naming the event id of a forwarded event.
pub const EVENT_ID_HEADER: &str = "gantry-event-id";

impl Forwarder {
    pub fn new(
        cfg: &KafkaConfig,
        topic: &str,
        secret: &BTreeMap<String, String>,
    ) -> Result<Self, KafkaError> {
        Ok(Forwarder {
            producer: client::producer(cfg, secret).create()?,
            topic: topic.to_string(),
        })
    }

    /// Sends `body` (the event as JSON) and waits for the acknowledgement.
    pub async fn send(&self, event_id: &str, body: &[u8]) -> Result<Forwarded, KafkaError> {
        let headers = OwnedHeaders::new().insert(Header {
            key: EVENT_ID_HEADER,
            value: Some(event_id),
        });
        let record = FutureRecord::to(&self.topic)
            .key(event_id)
            .payload(body)
            .headers(headers);
        let d = self
            .producer
            .send(record, Duration::from_secs(30))
            .await
            .map_err(|(e, _)| e)?;
        Ok(Forwarded {
            topic: self.topic.clone(),
            partition: d.partition,
            offset: d.offset,
        })
    }
}
