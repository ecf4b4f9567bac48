//! Run conclusions on a topic: a workflow whose `on: kafka` says `publish: <topic>` has the
//! conclusion of each of its runs put there when the run ends — a CloudEvent in binary mode
//! (`ce_*` headers, JSON value), keyed by the event id — so other services can react.

use super::{client, KafkaConfig};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::collections::BTreeMap;
use std::time::Duration;

pub struct Publisher {
    producer: FutureProducer,
}

impl Publisher {
    pub fn new(cfg: &KafkaConfig, secret: &BTreeMap<String, String>) -> Result<Self, KafkaError> {
        Ok(Publisher {
            producer: client::producer(cfg, secret).create()?,
        })
    }

    /// Sends and waits for the acknowledgement.
    pub async fn send(
        &self,
        topic: &str,
        key: &str,
        headers: &[(&str, &str)],
        value: &[u8],
    ) -> Result<(), KafkaError> {
        let mut h = OwnedHeaders::new();
        for (k, v) in headers {
            h = h.insert(Header {
                key: k,
                value: Some(*v),
            });
        }
        let record = FutureRecord::to(topic).key(key).payload(value).headers(h);
        self.producer
            .send(record, Duration::from_secs(30))
            .await
            .map(|_| ())
            .map_err(|(e, _)| e)
    }
}
