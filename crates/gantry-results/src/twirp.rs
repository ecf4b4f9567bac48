//! Twirp over JSON as the official clients speak it (protobuf-ts with proto field names):
//! request parsing, answers, and Twirp's error shape `{"code": ..., "msg": ...}`.

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};

use crate::ResultsError;

/// A Twirp error answer; `code` is what the clients branch on.
pub(crate) fn error(e: &ResultsError) -> Response {
    if e.twirp_status().is_server_error() {
        tracing::error!(error = %e, "results request failed");
    } else {
        tracing::debug!(error = %e, "results request refused");
    }
    let body = serde_json::json!({ "code": e.twirp_code(), "msg": e.to_string() });
    (
        e.twirp_status(),
        [(CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

pub(crate) fn answer<T: Serialize>(value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => ([(CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => error(&ResultsError::InvalidArgument(format!(
            "a serialisable answer: {e}"
        ))),
    }
}

pub(crate) fn parse<T: DeserializeOwned>(method: &str, body: &[u8]) -> Result<T, ResultsError> {
    serde_json::from_slice(body)
        .map_err(|e| ResultsError::InvalidArgument(format!("a JSON {method} request: {e}")))
}

/// Any result as a Twirp answer.
pub(crate) fn respond<T: Serialize>(result: Result<T, ResultsError>) -> Response {
    match result {
        Ok(value) => answer(&value),
        Err(e) => error(&e),
    }
}

/// protobuf's JSON mapping writes int64 as a string; numbers are accepted too.
#[derive(Deserialize)]
#[serde(untagged)]
enum Int64 {
    Text(String),
    Number(i64),
}

fn int64_value<E: serde::de::Error>(v: Int64) -> Result<i64, E> {
    match v {
        Int64::Number(n) => Ok(n),
        Int64::Text(s) => s.trim().parse().map_err(E::custom),
    }
}

pub(crate) fn de_int64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    int64_value(Int64::deserialize(d)?)
}

pub(crate) fn de_opt_int64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<Int64>::deserialize(d)?
        .map(int64_value)
        .transpose()
}

/// int64 out, as protobuf's JSON mapping writes it.
pub(crate) fn ser_int64<S: serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Req {
        #[serde(deserialize_with = "de_int64")]
        size: i64,
        #[serde(default, deserialize_with = "de_opt_int64")]
        id: Option<i64>,
    }

    #[test]
    fn int64_as_string_or_number() {
        let cases: &[(&str, Option<Req>)] = &[
            (r#"{"size":"12"}"#, Some(Req { size: 12, id: None })),
            (
                r#"{"size":12,"id":"5"}"#,
                Some(Req {
                    size: 12,
                    id: Some(5),
                }),
            ),
            (r#"{"size":"x"}"#, None),
        ];
        for (text, want) in cases {
            let got: Option<Req> = parse("Test", text.as_bytes()).ok();
            assert_eq!(&got, want, "{text}");
        }
    }

    #[test]
    fn errors_have_twirp_shape() {
        let response = error(&ResultsError::AlreadyExists("artifact a".into()));
        assert_eq!(response.status().as_u16(), 409);
    }
}
