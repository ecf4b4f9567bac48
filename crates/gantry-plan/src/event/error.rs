//! Errors in building an event: they name the event, the field and what was expected.

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EventError {
    #[error("unknown event `{name}`; expected a GitHub event name (push, pull_request, workflow_dispatch, schedule, ...) or one of Gantry's: kafka, webhook")]
    UnknownEvent { name: String },
    #[error("{what} is not valid JSON at line {line}, column {column}: {message}")]
    NotJson {
        what: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("the {event} payload must be a JSON object, not {found}")]
    NotObject { event: String, found: &'static str },
    #[error("the {event} payload has no `{field}` field; {hint}")]
    MissingField {
        event: String,
        field: String,
        hint: String,
    },
    #[error("field `{field}` of the {event} payload must be {expected}, not {found}")]
    WrongType {
        event: String,
        field: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("invalid {what} `{value}`: {reason}")]
    Invalid {
        what: &'static str,
        value: String,
        reason: String,
    },
}

/// A noun for a JSON value's type, for messages.
pub fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
