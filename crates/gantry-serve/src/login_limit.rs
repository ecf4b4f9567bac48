//! The limit on failed page logins per client address: after [`MAX_FAILURES`] failed
//! `POST /login`s from one address within [`WINDOW`], that address's logins are refused
//! (429 with `Retry-After`) without the token being checked, until its oldest failure in the
//! window is older than the window. Why: an API token is long and random, but nothing else
//! stops a client from trying tokens as fast as the service answers.
//!
//! Each address is counted on its own (a success clears only its own failures); IPv6
//! addresses count by their /64, the block one host is usually given, so that walking
//! through one's own block does not escape the limit. Memory is bounded: at most
//! [`MAX_CLIENTS`] addresses are tracked, and a new one evicts those whose failures all left
//! the window, then the one that failed longest ago. The clock is a parameter (`now`), so
//! the rules are tested with a fake one.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed logins from one address within [`WINDOW`] before its logins are refused.
pub const MAX_FAILURES: usize = 10;

/// How far back failures count.
pub const WINDOW: Duration = Duration::from_secs(10 * 60);

/// Addresses tracked at once (a flood from many addresses cannot grow memory without bound).
pub const MAX_CLIENTS: usize = 10_000;

/// The limit's numbers (the constants above in the service; small ones in tests).
#[derive(Clone, Copy, Debug)]
pub struct LimitSpec {
    pub max_failures: usize,
    pub window: Duration,
    pub max_clients: usize,
}

impl Default for LimitSpec {
    fn default() -> Self {
        LimitSpec {
            max_failures: MAX_FAILURES,
            window: WINDOW,
            max_clients: MAX_CLIENTS,
        }
    }
}

/// A client as the limit counts it: its address (an IPv6 one cut to its /64), or `None`
/// when the server does not know it (then every such request shares one count).
pub type Client = Option<IpAddr>;

/// The failure times of each tracked client, oldest first (at most `max_failures` each).
pub struct LoginLimit {
    spec: LimitSpec,
    failures: Mutex<HashMap<Client, VecDeque<Instant>>>,
}

impl Default for LoginLimit {
    fn default() -> Self {
        LoginLimit::new(LimitSpec::default())
    }
}

impl LoginLimit {
    pub fn new(spec: LimitSpec) -> LoginLimit {
        LoginLimit {
            spec,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(wait)` when `client`'s logins are refused at `now`: how long until one is
    /// accepted again (at least a second).
    pub fn refused(&self, client: Client, now: Instant) -> Option<Duration> {
        let mut map = self.lock();
        let times = map.get_mut(&key(client))?;
        prune(times, now, self.spec.window);
        if times.len() < self.spec.max_failures {
            return None;
        }
        let oldest = *times.front()?;
        let wait = (oldest + self.spec.window).saturating_duration_since(now);
        Some(wait.max(Duration::from_secs(1)))
    }

    /// Counts a failed login from `client` at `now`.
    pub fn failed(&self, client: Client, now: Instant) {
        let client = key(client);
        let mut map = self.lock();
        if !map.contains_key(&client) && map.len() >= self.spec.max_clients {
            self.evict(&mut map, now);
        }
        let times = map.entry(client).or_default();
        prune(times, now, self.spec.window);
        times.push_back(now);
        while times.len() > self.spec.max_failures {
            times.pop_front();
        }
    }

    /// A login from `client` succeeded: its failures are forgotten (no other client's).
    pub fn succeeded(&self, client: Client) {
        self.lock().remove(&key(client));
    }

    /// How many clients are tracked.
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.lock().len()
    }

    /// Room for one more client: drop those with no failure left in the window, then, if
    /// still full, the one whose last failure is the oldest.
    fn evict(&self, map: &mut HashMap<Client, VecDeque<Instant>>, now: Instant) {
        let window = self.spec.window;
        map.retain(|_, t| {
            t.back()
                .is_some_and(|last| now.duration_since(*last) < window)
        });
        if map.len() < self.spec.max_clients {
            return;
        }
        let stalest = map
            .iter()
            .min_by_key(|(_, t)| t.back().copied())
            .map(|(c, _)| *c);
        if let Some(c) = stalest {
            map.remove(&c);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Client, VecDeque<Instant>>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Drops the failures older than `window` at `now`.
fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        times.pop_front();
    }
}

/// The address as counted: IPv4 (also IPv4-mapped IPv6) as is, IPv6 cut to its /64.
fn key(client: Client) -> Client {
    client.map(|ip| match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What happens at a time: a failure, a success, or a check expecting a refusal
    /// (`Some(seconds to wait)`) or none.
    #[derive(Clone, Copy, Debug)]
    enum Step {
        Fail(&'static str),
        Succeed(&'static str),
        Check(&'static str, Option<u64>),
    }
    use Step::*;

    fn ip(s: &str) -> Client {
        Some(s.parse().unwrap())
    }

    /// Each case: its name, and steps at seconds after the start.
    const CASES: &[(&str, &[(u64, Step)])] = &[
        (
            "three failures refuse the fourth try until the first leaves the window",
            &[
                (0, Fail("10.0.0.1")),
                (10, Fail("10.0.0.1")),
                (20, Check("10.0.0.1", None)),
                (20, Fail("10.0.0.1")),
                (21, Check("10.0.0.1", Some(39))),
                (59, Check("10.0.0.1", Some(1))),
                (60, Check("10.0.0.1", None)),
            ],
        ),
        (
            "one address's failures do not refuse another",
            &[
                (0, Fail("10.0.0.1")),
                (0, Fail("10.0.0.1")),
                (0, Fail("10.0.0.1")),
                (1, Check("10.0.0.2", None)),
                (1, Check("10.0.0.1", Some(59))),
            ],
        ),
        (
            "a success clears its own address only",
            &[
                (0, Fail("10.0.0.1")),
                (0, Fail("10.0.0.1")),
                (0, Fail("10.0.0.1")),
                (0, Fail("10.0.0.2")),
                (0, Fail("10.0.0.2")),
                (0, Fail("10.0.0.2")),
                (5, Succeed("10.0.0.2")),
                (5, Check("10.0.0.2", None)),
                (5, Check("10.0.0.1", Some(55))),
            ],
        ),
        (
            "failures spread wider than the window never refuse",
            &[
                (0, Fail("10.0.0.1")),
                (30, Fail("10.0.0.1")),
                (61, Fail("10.0.0.1")),
                (62, Check("10.0.0.1", None)),
                (80, Fail("10.0.0.1")),
                (80, Check("10.0.0.1", Some(10))),
            ],
        ),
        (
            "an IPv6 /64 counts as one client; another /64 is another",
            &[
                (0, Fail("2001:db8:0:1::1")),
                (0, Fail("2001:db8:0:1::2")),
                (0, Fail("2001:db8:0:1:ffff::9")),
                (1, Check("2001:db8:0:1::77", Some(59))),
                (1, Check("2001:db8:0:2::1", None)),
            ],
        ),
        (
            "an IPv4-mapped IPv6 address is its IPv4 address",
            &[
                (0, Fail("::ffff:10.0.0.1")),
                (0, Fail("10.0.0.1")),
                (0, Fail("::ffff:10.0.0.1")),
                (1, Check("10.0.0.1", Some(59))),
            ],
        ),
        (
            "a third client evicts the one that failed longest ago",
            &[
                (0, Fail("10.0.0.1")),
                (0, Fail("10.0.0.1")),
                (0, Fail("10.0.0.1")),
                (1, Fail("10.0.0.2")),
                (1, Fail("10.0.0.2")),
                (1, Fail("10.0.0.2")),
                (2, Fail("10.0.0.3")),
                (2, Check("10.0.0.1", None)),
                (2, Check("10.0.0.2", Some(59))),
            ],
        ),
    ];

    /// A limit of 3 failures in 60 s over 2 tracked clients, driven by a fake clock
    /// (seconds after a start instant).
    #[test]
    fn the_limit_by_table() {
        for (name, steps) in CASES {
            let limit = LoginLimit::new(LimitSpec {
                max_failures: 3,
                window: Duration::from_secs(60),
                max_clients: 2,
            });
            let start = Instant::now();
            for (i, (at, step)) in steps.iter().enumerate() {
                let now = start + Duration::from_secs(*at);
                match *step {
                    Fail(a) => limit.failed(ip(a), now),
                    Succeed(a) => limit.succeeded(ip(a)),
                    Check(a, want) => {
                        let got = limit.refused(ip(a), now).map(|d| d.as_secs());
                        assert_eq!(got, want, "{name}: step {i} {step:?}");
                    }
                }
            }
        }
    }

    /// However many addresses fail, at most `max_clients` are tracked.
    #[test]
    fn memory_is_bounded() {
        let limit = LoginLimit::new(LimitSpec {
            max_failures: 3,
            window: Duration::from_secs(60),
            max_clients: 100,
        });
        let now = Instant::now();
        for i in 0..1000u32 {
            limit.failed(Some(IpAddr::V4(i.into())), now);
        }
        assert_eq!(limit.tracked(), 100);
        // An unknown address is one client too.
        for _ in 0..3 {
            limit.failed(None, now);
        }
        assert!(limit.refused(None, now).is_some());
    }
}
