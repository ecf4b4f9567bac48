//! `[ingress] forward_to_kafka`: a webhook-only instance puts each authenticated event on
//! the events topic (keyed by its event id, acknowledged by all replicas) and answers 202
//! once Kafka has it; whichever instance of the group consumes it records and runs it, and
//! the event id makes a redelivered webhook or message create no second run.

use super::publish::{Publisher, Record};
use rdkafka::error::KafkaError;
use serde::Serialize;

pub struct Forwarder {
    producer: Publisher,
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
    pub fn new(producer: Publisher, topic: &str) -> Self {
        Forwarder {
            producer,
            topic: topic.to_string(),
        }
    }

    /// Sends `body` (the event as JSON) and waits for the acknowledgement.
    pub async fn send(&self, event_id: &str, body: &[u8]) -> Result<Forwarded, KafkaError> {
        let d = self
            .producer
            .send(Record {
                topic: &self.topic,
                key: Some(event_id.as_bytes()),
                value: Some(body),
                headers: vec![(EVENT_ID_HEADER, Some(event_id.as_bytes()))],
            })
            .await?;
        Ok(Forwarded {
            topic: self.topic.clone(),
            partition: d.partition,
            offset: d.offset,
        })
    }
}
