//! The HTTP client `gantry trigger` delivers webhooks with: reqwest over rustls, so a
//! service behind TLS is reached directly (https:// URLs, the system's trusted roots plus an
//! optional operator CA), answers in any framing HTTP/1.1 allows (chunked or not) are read
//! whole, and a service that does not answer fails the hook within a bounded time.

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use reqwest::{Certificate, Client, Url};
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// The most of an answer kept: the service answers with a short JSON document, and a hook
/// must not buffer whatever a misconfigured URL streams back.
const MAX_ANSWER: usize = 1 << 20;

/// Why a delivery could not be made. Nothing here holds the webhook secret or the signature.
#[derive(Debug, Error)]
pub enum ClientError {
    #[error("`{url}`: only http:// and https:// URLs are supported")]
    Scheme { url: String },
    #[error("`{url}`: not a URL ({reason})")]
    Url { url: String, reason: String },
    #[error("cannot read the CA certificate {}", path.display())]
    CaRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the CA certificate {}: no PEM certificate in it", path.display())]
    CaEmpty { path: PathBuf },
    #[error("the CA certificate {}", path.display())]
    CaParse {
        path: PathBuf,
        #[source]
        source: reqwest::Error,
    },
    #[error("cannot set up the HTTP client")]
    Build(#[source] reqwest::Error),
    /// `cause` is the innermost error (`Connection refused`, a certificate refused): the
    /// layers reqwest and hyper wrap around it repeat the URL and say nothing more.
    #[error("cannot connect to {addr}: {cause}")]
    Connect { addr: String, cause: String },
    #[error("no answer from {addr} within {} s", timeout.as_secs_f64())]
    Timeout { addr: String, timeout: Duration },
    #[error("the {name} header cannot hold the value gantry made for it")]
    Header { name: &'static str },
    #[error("posting to {addr}: {cause}")]
    Send { addr: String, cause: String },
}

/// How to reach the service.
#[derive(Clone, Debug)]
pub struct ClientOptions<'a> {
    /// The service's base URL; deliveries go to `<url>/hooks/github`.
    pub url: &'a str,
    /// PEM certificates trusted besides the system's roots (a self-signed operator CA).
    pub ca_cert: Option<&'a Path>,
    /// The longest a delivery may take, connecting included.
    pub timeout: Duration,
}

/// One signed GitHub delivery.
#[derive(Clone, Debug)]
pub struct Delivery<'a> {
    pub event: &'a str,
    pub id: &'a str,
    pub signature: &'a str,
    pub body: &'a [u8],
}

/// The service's answer: the status and the body as text (trimmed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// A client bound to one service's webhook endpoint.
pub struct HookClient {
    client: Client,
    endpoint: Url,
    /// `host:port`, for messages.
    addr: String,
    timeout: Duration,
}

impl HookClient {
    pub fn new(opts: &ClientOptions<'_>) -> Result<HookClient, ClientError> {
        let endpoint = endpoint(opts.url)?;
        let addr = format!(
            "{}:{}",
            endpoint.host_str().unwrap_or_default(),
            endpoint.port_or_known_default().unwrap_or_default()
        );
        // No proxy from the environment and no redirects: a post-receive hook talks to its
        // service directly and reports what it answered, as the hand-written client before
        // this one did (a redirect would also turn the POST into a GET, or resend the
        // delivery to another host).
        let builder = Client::builder()
            .timeout(opts.timeout)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gantry/", env!("CARGO_PKG_VERSION")));
        let builder = match (endpoint.scheme(), opts.ca_cert) {
            ("https", Some(path)) => builder.tls_certs_merge(ca_certificates(path)?),
            ("https", None) => builder,
            // Plain HTTP never reaches TLS: no trust store is loaded, so a host without CA
            // certificates can still deliver.
            _ => builder.tls_certs_only([]),
        };
        Ok(HookClient {
            client: builder.build().map_err(ClientError::Build)?,
            endpoint,
            addr,
            timeout: opts.timeout,
        })
    }

    /// POSTs one delivery; any answer, success or not, is an [`Answer`].
    pub async fn post(&self, d: &Delivery<'_>) -> Result<Answer, ClientError> {
        let mut resp = self
            .client
            .post(self.endpoint.clone())
            .headers(headers(d)?)
            .body(d.body.to_vec())
            .send()
            .await
            .map_err(|e| self.failure(e))?;
        let status = resp.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.failure(e))? {
            let room = MAX_ANSWER - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() == MAX_ANSWER {
                break;
            }
        }
        Ok(Answer {
            status,
            body: String::from_utf8_lossy(&body).trim().to_string(),
        })
    }

    fn failure(&self, e: reqwest::Error) -> ClientError {
        let addr = self.addr.clone();
        if e.is_timeout() {
            return ClientError::Timeout {
                addr,
                timeout: self.timeout,
            };
        }
        let cause = root_cause(&e);
        if e.is_connect() {
            ClientError::Connect { addr, cause }
        } else {
            ClientError::Send { addr, cause }
        }
    }
}

/// The innermost error of a chain, as text.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// `<url>/hooks/github`, keeping any path prefix the service is mounted under.
fn endpoint(url: &str) -> Result<Url, ClientError> {
    let mut u = Url::parse(url).map_err(|e| ClientError::Url {
        url: url.into(),
        reason: e.to_string(),
    })?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(ClientError::Scheme { url: url.into() });
    }
    let path = format!("{}/hooks/github", u.path().trim_end_matches('/'));
    u.set_path(&path);
    Ok(u)
}

fn ca_certificates(path: &Path) -> Result<Vec<Certificate>, ClientError> {
    let pem = std::fs::read(path).map_err(|source| ClientError::CaRead {
        path: path.into(),
        source,
    })?;
    let certs = Certificate::from_pem_bundle(&pem).map_err(|source| ClientError::CaParse {
        path: path.into(),
        source,
    })?;
    if certs.is_empty() {
        return Err(ClientError::CaEmpty { path: path.into() });
    }
    Ok(certs)
}

fn headers(d: &Delivery<'_>) -> Result<HeaderMap, ClientError> {
    let mut h = HeaderMap::new();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (name, value) in [
        ("x-github-event", d.event),
        ("x-github-delivery", d.id),
        ("x-hub-signature-256", d.signature),
    ] {
        let mut v = HeaderValue::from_str(value).map_err(|_| ClientError::Header { name })?;
        v.set_sensitive(name == "x-hub-signature-256");
        h.insert(name, v);
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_the_path_prefix() {
        for (url, want) in [
            (
                "http://127.0.0.1:8080",
                "http://127.0.0.1:8080/hooks/github",
            ),
            (
                "http://127.0.0.1:8080/",
                "http://127.0.0.1:8080/hooks/github",
            ),
            (
                "https://ci.example/gantry",
                "https://ci.example/gantry/hooks/github",
            ),
            (
                "https://ci.example/gantry/",
                "https://ci.example/gantry/hooks/github",
            ),
        ] {
            assert_eq!(endpoint(url).unwrap().as_str(), want, "{url}");
        }
    }

    #[test]
    fn other_schemes_and_non_urls_are_refused() {
        for (url, want) in [
            (
                "ftp://ci.example",
                "only http:// and https:// URLs are supported",
            ),
            (
                "unix:/run/gantry.sock",
                "only http:// and https:// URLs are supported",
            ),
            ("127.0.0.1:8080", "not a URL"),
            ("ci.example", "not a URL"),
        ] {
            let e = endpoint(url).unwrap_err().to_string();
            assert!(e.contains(want), "{url}: {e}");
        }
    }
}
