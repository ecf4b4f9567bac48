//! `kafka` events: a consumed message becomes the payload documented in docs/triggers.md.

use super::error::{json_kind, EventError};
use super::{Event, KafkaMeta, Meta};
use serde_json::{json, Map, Value};

/// A message as the Kafka source hands it over (bytes, as on the wire).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KafkaMessage {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// Milliseconds since the Unix epoch.
    pub timestamp: Option<i64>,
    /// The partition leader epoch the record was written in (stored in its batch), when the
    /// broker says: with the offset and timestamp it tells a record apart from another
    /// written at the same offset after the log was truncated or the topic re-created.
    pub leader_epoch: Option<i32>,
    pub value: Option<Vec<u8>>,
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// JSON if it parses, else text, else base64 — and which of the three it was.
pub(crate) fn decode_body(bytes: &[u8]) -> (Value, &'static str) {
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        return (v, "json");
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (Value::String(s.to_string()), "text"),
        Err(_) => (Value::String(base64(bytes)), "base64"),
    }
}

impl KafkaMessage {
    pub fn into_event(self) -> Event {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let mut headers = Map::new();
        for (k, v) in &self.headers {
            headers.insert(
                k.clone(),
                v.as_deref().map_or(Value::Null, |v| Value::String(text(v))),
            );
        }
        let (value, encoding) = match &self.value {
            Some(v) => decode_body(v),
            None => (Value::Null, "null"),
        };
        let mut payload = json!({
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "key": self.key.as_deref().map(text),
            "headers": headers,
            "timestamp": self.timestamp,
            "value": value,
            "value_encoding": encoding,
        });
        if let Some(k) = &self.key {
            if std::str::from_utf8(k).is_err() {
                payload["key"] = Value::String(base64(k));
                payload["key_encoding"] = Value::String("base64".into());
            }
        }
        let meta = Meta {
            kafka: Some(KafkaMeta {
                topic: self.topic.clone(),
                partition: self.partition,
                offset: self.offset,
                key: self.key.as_deref().map(text),
                headers: self
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_deref().map(text)))
                    .collect(),
            }),
            ..Meta::default()
        };
        Event {
            name: "kafka".into(),
            payload,
            meta,
        }
    }
}

/// A payload file in the documented shape (`gantry plan --event kafka --payload msg.json`).
pub fn from_payload(payload: Value) -> Result<Event, EventError> {
    let Value::Object(obj) = &payload else {
        return Err(EventError::NotObject {
            event: "kafka".into(),
            found: json_kind(&payload),
        });
    };
    let topic = payload_topic(obj)?;
    let int = |f: &str| obj.get(f).and_then(Value::as_i64);
    let headers = payload_headers(obj)?;
    let key = obj.get("key").and_then(|k| {
        k.as_str()
            .map(str::to_string)
            .or_else(|| (!k.is_null()).then(|| k.to_string()))
    });
    let mut payload = payload.clone();
    for (field, default) in [
        ("partition", json!(0)),
        ("offset", json!(0)),
        ("headers", json!({})),
        ("key", Value::Null),
        ("timestamp", Value::Null),
        ("value", Value::Null),
    ] {
        if payload.get(field).is_none() {
            payload[field] = default;
        }
    }
    let meta = Meta {
        kafka: Some(KafkaMeta {
            topic,
            partition: int("partition").unwrap_or(0) as i32,
            offset: int("offset").unwrap_or(0),
            key,
            headers,
        }),
        ..Meta::default()
    };
    Ok(Event {
        name: "kafka".into(),
        payload,
        meta,
    })
}

/// `topic`: required, a non-empty string.
fn payload_topic(obj: &Map<String, Value>) -> Result<String, EventError> {
    match obj.get("topic") {
        Some(Value::String(t)) if !t.is_empty() => Ok(t.clone()),
        Some(other @ (Value::Number(_) | Value::Bool(_) | Value::Array(_) | Value::Object(_))) => {
            Err(EventError::WrongType {
                event: "kafka".into(),
                field: "topic".into(),
                expected: "a string",
                found: json_kind(other),
            })
        }
        _ => Err(EventError::MissingField {
            event: "kafka".into(),
            field: "topic".into(),
            hint: "a kafka event names the topic its message came from".into(),
        }),
    }
}

/// `headers`: an object of names to strings (other values as JSON text; `null` kept as
/// no value), or absent.
fn payload_headers(obj: &Map<String, Value>) -> Result<Vec<(String, Option<String>)>, EventError> {
    match obj.get("headers") {
        Some(Value::Object(h)) => Ok(h
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str()
                        .map(|s| s.to_string())
                        .or_else(|| (!v.is_null()).then(|| v.to_string())),
                )
            })
            .collect()),
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(other) => Err(EventError::WrongType {
            event: "kafka".into(),
            field: "headers".into(),
            expected: "an object of header names to strings",
            found: json_kind(other),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want);
        }
    }

    #[test]
    fn message_values_decode_as_json_text_or_base64() {
        let msg = |v: &[u8]| {
            KafkaMessage {
                topic: "t".into(),
                value: Some(v.to_vec()),
                ..Default::default()
            }
            .into_event()
        };
        let e = msg(br#"{"id": 7}"#);
        assert_eq!(e.payload["value"]["id"], 7);
        assert_eq!(e.payload["value_encoding"], "json");
        let e = msg(b"plain words");
        assert_eq!(e.payload["value"], "plain words");
        assert_eq!(e.payload["value_encoding"], "text");
        let e = msg(&[0xff, 0x00]);
        assert_eq!(e.payload["value"], "/wA=");
        assert_eq!(e.payload["value_encoding"], "base64");
    }

    #[test]
    fn payload_file_needs_a_topic() {
        let err = from_payload(json!({"value": 1})).unwrap_err();
        assert!(err.to_string().contains("no `topic` field"), "{err}");
        let err = from_payload(json!({"topic": 3})).unwrap_err();
        assert!(
            err.to_string().contains("must be a string, not a number"),
            "{err}"
        );
        let ev =
            from_payload(json!({"topic": "orders", "key": "eu-1", "headers": {"type": "created"}}))
                .unwrap();
        let k = ev.meta.kafka.unwrap();
        assert_eq!(
            (k.topic.as_str(), k.key.as_deref()),
            ("orders", Some("eu-1"))
        );
        assert_eq!(
            k.headers,
            vec![("type".to_string(), Some("created".to_string()))]
        );
    }
}
