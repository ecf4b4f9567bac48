//! Which address a request came from, for the login limit (`login_limit`). By default the
//! TCP peer's (the accept loop puts it in the request as axum's `ConnectInfo`): a header a
//! client writes itself must not choose its own count. Behind a reverse proxy every peer is
//! the proxy, so the operator lists the proxies' addresses in `[api] trusted_proxies`; only
//! when the peer is one of them is `X-Forwarded-For` read, from its right end (the entry the
//! nearest proxy wrote), skipping further trusted proxies: the first other address is the
//! client's. Entries left of it were written by the client and are never used.

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

/// The client's address; `None` when the request carries no peer (not through the accept
/// loop, as in the handlers' unit tests).
pub fn client(
    connect: Option<&ConnectInfo<SocketAddr>>,
    headers: &HeaderMap,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = connect.map(|c| c.0.ip())?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for entry in forwarded.iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return Some(ip),
            // A malformed entry: nothing left of it can be trusted; count the nearest proxy.
            Err(_) => return Some(peer),
        }
    }
    Some(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// A case: its name, the peer, the `X-Forwarded-For` headers, the trusted proxies and
    /// the client expected.
    type Case = (
        &'static str,
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
        Option<&'static str>,
    );

    #[test]
    fn client_addresses_by_table() {
        const PROXY: &str = "10.0.0.9";
        let proxy = PROXY;
        let cases: &[Case] = &[
            (
                "no proxy: the peer",
                "192.0.2.1",
                &[],
                &[],
                Some("192.0.2.1"),
            ),
            (
                "a header from an untrusted peer is ignored",
                "192.0.2.1",
                &["203.0.113.5"],
                &[PROXY],
                Some("192.0.2.1"),
            ),
            (
                "a header with no proxies configured is ignored",
                "10.0.0.9",
                &["203.0.113.5"],
                &[],
                Some("10.0.0.9"),
            ),
            (
                "behind the trusted proxy: the entry it wrote",
                proxy,
                &["198.51.100.7, 203.0.113.5"],
                &[PROXY],
                Some("203.0.113.5"),
            ),
            (
                "two trusted proxies: skipped from the right",
                proxy,
                &["203.0.113.5", "10.0.0.8"],
                &[PROXY, "10.0.0.8"],
                Some("203.0.113.5"),
            ),
            (
                "a malformed entry counts the proxy",
                proxy,
                &["203.0.113.5, junk"],
                &[PROXY],
                Some(proxy),
            ),
            (
                "the trusted proxy without the header: the proxy",
                proxy,
                &[],
                &[PROXY],
                Some(proxy),
            ),
            (
                "IPv6 entries",
                proxy,
                &["2001:db8::1"],
                &[PROXY],
                Some("2001:db8::1"),
            ),
        ];
        for (name, peer, headers, trusted, want) in cases {
            let mut h = HeaderMap::new();
            for v in *headers {
                h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
            }
            let trusted: Vec<IpAddr> = trusted.iter().map(|t| t.parse().unwrap()).collect();
            let connect = ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 4000));
            let got = client(Some(&connect), &h, &trusted);
            assert_eq!(got, want.map(|w| w.parse().unwrap()), "{name}");
        }
        assert_eq!(client(None, &HeaderMap::new(), &[]), None, "no peer");
    }
}
