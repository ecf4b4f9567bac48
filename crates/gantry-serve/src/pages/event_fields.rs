//! What a run page's header says about the event that started the run, read from the stored
//! (normalised) event: push branch, sha, actor and message; Kafka topic, partition, offset
//! and key; a webhook's hook name. Each is a label and a value; the template escapes both.

use gantry_plan::event::Event;
use serde::Serialize;

#[derive(Serialize, Debug, PartialEq)]
pub struct Field {
    pub label: &'static str,
    pub value: String,
}

/// The header fields of a stored event payload; an unreadable payload gives none.
pub fn fields(payload: &str) -> Vec<Field> {
    let Ok(ev) = serde_json::from_str::<Event>(payload) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut put = |label: &'static str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            out.push(Field { label, value });
        }
    };
    let m = &ev.meta;
    put("repository", m.repository.clone());
    put("ref", m.git_ref.clone());
    put("sha", m.sha.clone());
    put("actor", m.actor.clone());
    let message = ev.payload["head_commit"]["message"].as_str();
    put(
        "message",
        message.map(|s| s.lines().next().unwrap_or("").to_string()),
    );
    if let Some(k) = &m.kafka {
        put("topic", Some(k.topic.clone()));
        put("partition", Some(k.partition.to_string()));
        put("offset", Some(k.offset.to_string()));
        put("key", k.key.clone());
    }
    put("hook", m.hook.clone());
    put("schedule", m.schedule.clone());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(payload: &str) -> Vec<(&'static str, String)> {
        fields(payload)
            .into_iter()
            .map(|f| (f.label, f.value))
            .collect()
    }

    #[test]
    fn fields_of_events() {
        let push = r#"{"name":"push","payload":{"head_commit":{"message":"fix it\n\nlong"}},
            "meta":{"git_ref":"refs/heads/main","sha":"abc","actor":"ann","inputs":[]}}"#;
        assert_eq!(
            labels(push),
            [
                ("ref", "refs/heads/main".to_string()),
                ("sha", "abc".into()),
                ("actor", "ann".into()),
                ("message", "fix it".into())
            ]
        );
        let kafka = r#"{"name":"kafka","payload":{},"meta":{"inputs":[],
            "kafka":{"topic":"t","partition":2,"offset":7,"key":null,"headers":[]}}}"#;
        assert_eq!(
            labels(kafka),
            [
                ("topic", "t".to_string()),
                ("partition", "2".into()),
                ("offset", "7".into())
            ]
        );
        let hook = r#"{"name":"webhook","payload":{},"meta":{"inputs":[],"hook":"deploy"}}"#;
        assert_eq!(labels(hook), [("hook", "deploy".to_string())]);
        assert!(fields("not json").is_empty());
    }
}
