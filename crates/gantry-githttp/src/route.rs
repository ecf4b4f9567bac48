//! Which git request a path is: only the two smart-protocol upload-pack endpoints are served,
//! push endpoints are recognised (to refuse them with 403), and everything else — the dumb
//! protocol's files, traversal, encoded or odd paths — is not found.

use axum::http::Method;

use crate::repo_name;

/// One of the two smart-protocol upload-pack requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// `GET <repo>/info/refs?service=git-upload-pack`: the ref advertisement.
    InfoRefs,
    /// `POST <repo>/git-upload-pack`: the negotiation and the pack.
    UploadPack,
}

impl Service {
    /// The `PATH_INFO` `git http-backend` gets (joined to the repository's git directory).
    pub(crate) fn path_info(self) -> &'static str {
        match self {
            Service::InfoRefs => "/info/refs",
            Service::UploadPack => "/git-upload-pack",
        }
    }

    /// The query string the backend gets: rebuilt, never the client's own.
    pub(crate) fn query(self) -> &'static str {
        match self {
            Service::InfoRefs => "service=git-upload-pack",
            Service::UploadPack => "",
        }
    }
}

/// What a request is, judged from its method, path and query alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// An upload-pack request for `repo` (normalised `owner/repo`).
    Fetch { repo: String, service: Service },
    /// A push (receive-pack) request: always refused.
    Push,
    /// A smart-protocol path with the wrong method.
    MethodNotAllowed,
    /// Anything else.
    NotFound,
}

/// Classifies a request. `path` is the raw request path (percent-encoding is not undone: a
/// valid repository path never needs it, so any `%` is simply not found).
pub(crate) fn route(method: &Method, path: &str, query: Option<&str>) -> Route {
    let Some(rest) = path.strip_prefix('/') else {
        return Route::NotFound;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let (owner, repo, tail) = match segments.as_slice() {
        [owner, repo, tail @ ..] => (*owner, *repo, tail),
        _ => return Route::NotFound,
    };
    let Ok(name) = repo_name::normalize(&format!("{owner}/{repo}")) else {
        return Route::NotFound;
    };
    let service = match (tail, service_param(query)) {
        (["info", "refs"], Some("git-upload-pack")) => Service::InfoRefs,
        (["info", "refs"], Some("git-receive-pack")) | (["git-receive-pack"], _) => {
            return Route::Push
        }
        (["git-upload-pack"], _) => Service::UploadPack,
        _ => return Route::NotFound,
    };
    let expected = match service {
        Service::InfoRefs => Method::GET,
        Service::UploadPack => Method::POST,
    };
    if *method != expected {
        return Route::MethodNotAllowed;
    }
    Route::Fetch {
        repo: name,
        service,
    }
}

/// The value of the `service` parameter, when the query has exactly one.
fn service_param(query: Option<&str>) -> Option<&str> {
    let mut services = query?
        .split('&')
        .filter_map(|pair| pair.strip_prefix("service="));
    let first = services.next()?;
    services.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::{route, Route, Service};
    use axum::http::Method;

    const UP: &str = "service=git-upload-pack";
    const RECEIVE: &str = "service=git-receive-pack";

    /// (method, path, query ("" for none), expected: "refs <repo>", "pack <repo>", "push",
    /// "405" or "404").
    const CASES: &[(&str, &str, &str, &str)] = &[
        ("GET", "/o/r/info/refs", UP, "refs o/r"),
        ("GET", "/O/R.git/info/refs", UP, "refs o/r"),
        ("POST", "/o/r/git-upload-pack", "", "pack o/r"),
        ("POST", "/o/r.git/git-upload-pack", "", "pack o/r"),
        ("GET", "/api/v3/info/refs", UP, "refs api/v3"),
        ("GET", "/o/r/info/refs", RECEIVE, "push"),
        ("POST", "/o/r/git-receive-pack", "", "push"),
        ("POST", "/o/r/info/refs", UP, "405"),
        ("GET", "/o/r/git-upload-pack", "", "405"),
        ("GET", "/o/r/info/refs", "", "404"),
        (
            "GET",
            "/o/r/info/refs",
            "service=git-upload-pack&service=x",
            "404",
        ),
        ("GET", "/o/r/info/refs", "service=git-upload-archive", "404"),
        ("GET", "/o/r/HEAD", "", "404"),
        ("GET", "/o/r/objects/info/packs", "", "404"),
        ("GET", "/o/r/objects/ab/cdef", "", "404"),
        ("GET", "/o/r/info/refs/", UP, "404"),
        ("GET", "/o/r/config", "", "404"),
        ("GET", "/o/r", "", "404"),
        ("GET", "/", "", "404"),
        ("GET", "", "", "404"),
        ("GET", "/../r/info/refs", UP, "404"),
        ("GET", "/o/../info/refs", UP, "404"),
        ("GET", "/o/r/../../etc/info/refs", UP, "404"),
        ("GET", "/o/%2e%2e/info/refs", UP, "404"),
        ("GET", "/o//r/info/refs", UP, "404"),
        ("GET", "//o/r/info/refs", UP, "404"),
        ("GET", "/o/r/x/info/refs", UP, "404"),
    ];

    fn expected(text: &str) -> Route {
        let fetch = |repo: &str, service| Route::Fetch {
            repo: repo.to_string(),
            service,
        };
        match text.split_once(' ') {
            Some(("refs", repo)) => fetch(repo, Service::InfoRefs),
            Some(("pack", repo)) => fetch(repo, Service::UploadPack),
            _ => match text {
                "push" => Route::Push,
                "405" => Route::MethodNotAllowed,
                _ => Route::NotFound,
            },
        }
    }

    #[test]
    fn routes() {
        for (method, path, query, want) in CASES {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let query = (!query.is_empty()).then_some(*query);
            let got = route(&method, path, query);
            assert_eq!(got, expected(want), "{method} {path} {query:?}");
        }
    }
}
