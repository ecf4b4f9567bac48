//! `webhook` events: a call to a named generic webhook becomes the payload documented in
//! docs/triggers.md. Authentication headers never reach the payload.

use super::error::{json_kind, EventError};
use super::message::decode_body;
use super::{Event, Meta};
use serde_json::{json, Map, Value};

/// Headers that carry credentials; they are dropped before the payload is built.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-hub-signature",
    "x-hub-signature-256",
    "x-gantry-signature-256",
];

pub fn call(hook: &str, headers: &[(String, String)], body: &[u8]) -> Event {
    let mut h = Map::new();
    for (k, v) in headers {
        let k = k.to_ascii_lowercase();
        if !SECRET_HEADERS.contains(&k.as_str()) {
            h.insert(k, Value::String(v.clone()));
        }
    }
    let (body, encoding) = if body.is_empty() {
        (Value::Null, "empty")
    } else {
        decode_body(body)
    };
    Event {
        name: "webhook".into(),
        payload: json!({ "hook": hook, "headers": h, "body": body, "body_encoding": encoding }),
        meta: Meta {
            hook: Some(hook.to_string()),
            ..Meta::default()
        },
    }
}

pub fn from_payload(payload: Value) -> Result<Event, EventError> {
    let Value::Object(obj) = &payload else {
        return Err(EventError::NotObject {
            event: "webhook".into(),
            found: json_kind(&payload),
        });
    };
    let hook = match obj.get("hook") {
        Some(Value::String(h)) if !h.is_empty() => h.clone(),
        _ => {
            return Err(EventError::MissingField {
                event: "webhook".into(),
                field: "hook".into(),
                hint: "a webhook event names the hook that was called, e.g. \"hook\": \"deploy\""
                    .into(),
            })
        }
    };
    Ok(Event {
        name: "webhook".into(),
        payload,
        meta: Meta {
            hook: Some(hook),
            ..Meta::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_the_payload() {
        let headers = vec![
            ("Authorization".to_string(), "Bearer s3cret".to_string()),
            ("X-Hub-Signature-256".to_string(), "sha256=abc".to_string()),
            ("X-Request-Id".to_string(), "r1".to_string()),
        ];
        let e = call("deploy", &headers, br#"{"environment":"staging"}"#);
        let text = e.payload.to_string();
        assert!(
            !text.contains("s3cret") && !text.contains("sha256=abc"),
            "{text}"
        );
        assert_eq!(e.payload["headers"]["x-request-id"], "r1");
        assert_eq!(e.payload["body"]["environment"], "staging");
        assert_eq!(e.meta.hook.as_deref(), Some("deploy"));
    }
}
