//! The CGI environment (RFC 3875 §4.1) one `git http-backend` process gets. Built from scratch
//! (the server's own environment is cleared): only what the backend reads, the request headers
//! git's protocol needs (gzip request encoding, `Git-Protocol` for protocol v2), and the
//! upload-pack settings GitHub has, given as command-line-scope config (`GIT_CONFIG_COUNT`) so
//! the served repository's own config files are never touched. The client's `Authorization`
//! never reaches the backend.

use std::ffi::OsString;
use std::path::PathBuf;

use axum::http::HeaderMap;

use crate::route::Service;

/// Config the backend's `git upload-pack` runs with: checkout fetches a commit by sha
/// (`fetch origin +<sha>:...`), which GitHub allows for any reachable commit; partial clone
/// filters (`filter:` / sparse checkout) as GitHub; and push refused by the backend as well.
const CONFIG: &[(&str, &str)] = &[
    ("uploadpack.allowReachableSHA1InWant", "true"),
    ("uploadpack.allowFilter", "true"),
    ("http.receivepack", "false"),
];

/// The host variables the backend may need: `PATH` to find git's helpers, `HOME` for the
/// host's global git config (e.g. `safe.directory` for repositories owned by another user).
const PASSED_THROUGH: &[&str] = &["PATH", "HOME"];

/// One request to run through the backend.
#[derive(Debug)]
pub(crate) struct CgiRequest {
    pub git_dir: PathBuf,
    pub service: Service,
    pub content_type: Option<String>,
    pub content_length: Option<u64>,
    pub content_encoding: Option<String>,
    pub git_protocol: Option<String>,
}

impl CgiRequest {
    /// The request for `service` on `git_dir`, with the headers the backend needs.
    pub(crate) fn new(git_dir: PathBuf, service: Service, headers: &HeaderMap) -> CgiRequest {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        CgiRequest {
            git_dir,
            service,
            content_type: text("content-type"),
            content_length: text("content-length").and_then(|v| v.parse().ok()),
            content_encoding: text("content-encoding"),
            git_protocol: text("git-protocol"),
        }
    }
}

/// The variables, in the order they are set.
pub(crate) fn environment(request: &CgiRequest) -> Vec<(String, OsString)> {
    let method = match request.service {
        Service::InfoRefs => "GET",
        Service::UploadPack => "POST",
    };
    let mut env: Vec<(String, OsString)> = vec![
        ("GATEWAY_INTERFACE".into(), "CGI/1.1".into()),
        ("SERVER_PROTOCOL".into(), "HTTP/1.1".into()),
        ("REQUEST_METHOD".into(), method.into()),
        ("GIT_PROJECT_ROOT".into(), request.git_dir.clone().into()),
        ("PATH_INFO".into(), request.service.path_info().into()),
        ("QUERY_STRING".into(), request.service.query().into()),
        ("GIT_HTTP_EXPORT_ALL".into(), "1".into()),
    ];
    let optional = [
        ("CONTENT_TYPE", request.content_type.clone()),
        (
            "CONTENT_LENGTH",
            request.content_length.map(|n| n.to_string()),
        ),
        ("HTTP_CONTENT_ENCODING", request.content_encoding.clone()),
        ("HTTP_GIT_PROTOCOL", request.git_protocol.clone()),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            env.push((name.into(), value.into()));
        }
    }
    env.push(("GIT_CONFIG_COUNT".into(), CONFIG.len().to_string().into()));
    for (i, (key, value)) in CONFIG.iter().enumerate() {
        env.push((format!("GIT_CONFIG_KEY_{i}"), (*key).into()));
        env.push((format!("GIT_CONFIG_VALUE_{i}"), (*value).into()));
    }
    for name in PASSED_THROUGH {
        if let Some(value) = std::env::var_os(name) {
            env.push(((*name).into(), value));
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::{environment, CgiRequest};
    use crate::route::Service;
    use axum::http::{HeaderMap, HeaderValue};
    use std::path::PathBuf;

    fn env_of(service: Service, headers: &[(&'static str, &str)]) -> Vec<(String, String)> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                axum::http::HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let request = CgiRequest::new(PathBuf::from("/srv/r.git"), service, &map);
        environment(&request)
            .into_iter()
            .map(|(k, v)| (k, v.into_string().unwrap()))
            .collect()
    }

    type Env = [(String, String)];

    fn get<'a>(env: &'a Env, name: &str) -> Option<&'a str> {
        env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn variables() {
        let post = env_of(
            Service::UploadPack,
            &[
                ("content-type", "application/x-git-upload-pack-request"),
                ("content-length", "42"),
                ("content-encoding", "gzip"),
                ("git-protocol", "version=2"),
                ("authorization", "Basic eDp5"),
            ],
        );
        let get_refs = env_of(Service::InfoRefs, &[("content-length", "x")]);
        let cases: &[(&Env, &str, Option<&str>)] = &[
            (&post, "REQUEST_METHOD", Some("POST")),
            (&post, "GIT_PROJECT_ROOT", Some("/srv/r.git")),
            (&post, "PATH_INFO", Some("/git-upload-pack")),
            (&post, "QUERY_STRING", Some("")),
            (
                &post,
                "CONTENT_TYPE",
                Some("application/x-git-upload-pack-request"),
            ),
            (&post, "CONTENT_LENGTH", Some("42")),
            (&post, "HTTP_CONTENT_ENCODING", Some("gzip")),
            (&post, "HTTP_GIT_PROTOCOL", Some("version=2")),
            (&post, "HTTP_AUTHORIZATION", None),
            (&post, "REMOTE_USER", None),
            (&post, "GIT_HTTP_EXPORT_ALL", Some("1")),
            (&post, "GIT_CONFIG_COUNT", Some("3")),
            (
                &post,
                "GIT_CONFIG_KEY_0",
                Some("uploadpack.allowReachableSHA1InWant"),
            ),
            (&post, "GIT_CONFIG_VALUE_0", Some("true")),
            (&post, "GIT_CONFIG_KEY_1", Some("uploadpack.allowFilter")),
            (&post, "GIT_CONFIG_KEY_2", Some("http.receivepack")),
            (&post, "GIT_CONFIG_VALUE_2", Some("false")),
            (&get_refs, "REQUEST_METHOD", Some("GET")),
            (&get_refs, "PATH_INFO", Some("/info/refs")),
            (&get_refs, "QUERY_STRING", Some("service=git-upload-pack")),
            (&get_refs, "CONTENT_LENGTH", None),
            (&get_refs, "HTTP_CONTENT_ENCODING", None),
        ];
        for (env, name, expected) in cases {
            assert_eq!(get(env, name), *expected, "{name}");
        }
    }
}
