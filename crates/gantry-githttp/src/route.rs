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

    fn fetch(repo: &str, service: Service) -> Route {
        Route::Fetch {
            repo: repo.to_string(),
            service,
        }
    }

    #[test]
    fn routes() {
        let get = Method::GET;
        let post = Method::POST;
        let upload = Some("service=git-upload-pack");
        let receive = Some("service=git-receive-pack");
        let cases: Vec<(&Method, &str, Option<&str>, Route)> = vec![
            (
                &get,
                "/o/r/info/refs",
                upload,
                fetch("o/r", Service::InfoRefs),
            ),
            (
                &get,
                "/O/R.git/info/refs",
                upload,
                fetch("o/r", Service::InfoRefs),
            ),
            (
                &post,
                "/o/r/git-upload-pack",
                None,
                fetch("o/r", Service::UploadPack),
            ),
            (
                &post,
                "/o/r.git/git-upload-pack",
                None,
                fetch("o/r", Service::UploadPack),
            ),
            (&get, "/o/r/info/refs", receive, Route::Push),
            (&post, "/o/r/git-receive-pack", None, Route::Push),
            (&post, "/o/r/info/refs", upload, Route::MethodNotAllowed),
            (&get, "/o/r/git-upload-pack", None, Route::MethodNotAllowed),
            (&get, "/o/r/info/refs", None, Route::NotFound),
            (
                &get,
                "/o/r/info/refs",
                Some("service=git-upload-pack&service=x"),
                Route::NotFound,
            ),
            (
                &get,
                "/o/r/info/refs",
                Some("service=git-upload-archive"),
                Route::NotFound,
            ),
            (&get, "/o/r/HEAD", None, Route::NotFound),
            (&get, "/o/r/objects/info/packs", None, Route::NotFound),
            (&get, "/o/r/objects/ab/cdef", None, Route::NotFound),
            (&get, "/o/r/info/refs/", upload, Route::NotFound),
            (&get, "/o/r/config", None, Route::NotFound),
            (&get, "/o/r", None, Route::NotFound),
            (&get, "/", None, Route::NotFound),
            (&get, "", None, Route::NotFound),
            (&get, "/../r/info/refs", upload, Route::NotFound),
            (&get, "/o/../info/refs", upload, Route::NotFound),
            (&get, "/o/r/../../etc/info/refs", upload, Route::NotFound),
            (&get, "/o/%2e%2e/info/refs", upload, Route::NotFound),
            (&get, "/o//r/info/refs", upload, Route::NotFound),
            (&get, "//o/r/info/refs", upload, Route::NotFound),
            (&get, "/o/r/x/info/refs", upload, Route::NotFound),
            (
                &get,
                "/api/v3/info/refs",
                upload,
                fetch("api/v3", Service::InfoRefs),
            ),
        ];
        for (method, path, query, expected) in cases {
            assert_eq!(
                route(method, path, query),
                expected,
                "{method} {path} {query:?}"
            );
        }
    }
}
