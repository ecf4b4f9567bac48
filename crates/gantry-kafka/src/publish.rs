//! The instance's one Kafka producer, shared by everything that writes to Kafka: run
//! conclusions on `publish:` topics, webhook events forwarded to the events topic, and dead
//! letters. One client means one set of broker connections and one idempotent sequence per
//! instance, however many of those features are on.

use super::{client, KafkaConfig};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::collections::BTreeMap;
use std::time::Duration;

/// Cheap to clone: clones share the client.
#[derive(Clone)]
pub struct Publisher {
    producer: FutureProducer,
}

/// One message to send.
#[derive(Default)]
pub struct Record<'a> {
    pub topic: &'a str,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: Vec<(&'a str, Option<&'a [u8]>)>,
}

/// Where an acknowledged message landed.
#[derive(Clone, Copy, Debug)]
pub struct Delivered {
    pub partition: i32,
    pub offset: i64,
}

impl Publisher {
    pub fn new(cfg: &KafkaConfig, secret: &BTreeMap<String, String>) -> Result<Self, KafkaError> {
        Ok(Publisher {
            producer: client::producer(cfg, secret).create()?,
        })
    }

    /// Sends and waits for the acknowledgement of every in-sync replica (`acks=all`).
    pub async fn send(&self, r: Record<'_>) -> Result<Delivered, KafkaError> {
        let mut headers = OwnedHeaders::new();
        for (key, value) in r.headers {
            headers = headers.insert(Header { key, value });
        }
        let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(r.topic).headers(headers);
        if let Some(k) = r.key {
            record = record.key(k);
        }
        if let Some(v) = r.value {
            record = record.payload(v);
        }
        self.producer
            .send(record, Duration::from_secs(30))
            .await
            .map(|d| Delivered {
                partition: d.partition,
                offset: d.offset,
            })
            .map_err(|(e, _)| e)
    }
}
