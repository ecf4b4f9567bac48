//! Judging what a container asks for against the policy: parsed `options:` and each
//! `volumes:` entry. Pure, so the planner (literal text), `validate` (warnings) and the
//! engine (text known only at run time, after expressions) all use the same rules.

use super::Policy;
use crate::container_options::ContainerOptions;
use std::path::{Component, Path, PathBuf};

/// Something a workflow asked for that the policy refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// What was asked, as written (`--privileged`, `/var/run/docker.sock:/sock`).
    pub option: String,
    /// The `[policy]` key that would allow it, when one can.
    pub key: Option<&'static str>,
    pub why: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is refused by the policy: {}",
            self.option, self.why
        )?;
        match self.key {
            Some(k) => write!(f, " (the operator can allow it with `[policy] {k}`)"),
            None => write!(f, " (no policy key allows it)"),
        }
    }
}

fn refuse(option: impl Into<String>, key: Option<&'static str>, why: &str) -> Refusal {
    Refusal {
        option: option.into(),
        key,
        why: why.to_string(),
    }
}

/// Paths that give control of the container engine, i.e. root on the host.
const ENGINE_PATHS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/docker",
    "/run/docker",
    "/var/run/containerd",
    "/run/containerd",
    "/var/lib/docker",
    "/var/lib/containerd",
];

/// `--security-opt` values that only confine further.
fn confining(opt: &str) -> bool {
    matches!(
        opt,
        "no-new-privileges" | "no-new-privileges:true" | "no-new-privileges=true"
    )
}

/// Everything in parsed `options:` that the policy refuses.
pub fn check_options(o: &ContainerOptions, p: &Policy) -> Vec<Refusal> {
    let mut out = Vec::new();
    if o.privileged && !p.privileged {
        out.push(refuse(
            "--privileged",
            Some("privileged"),
            "a privileged container is root on the host",
        ));
    }
    for cap in &o.cap_add {
        let allowed = p.cap_add.iter().any(|a| {
            a.eq_ignore_ascii_case("ALL") || cap_name(a).eq_ignore_ascii_case(cap_name(cap))
        });
        if !allowed {
            out.push(refuse(
                format!("--cap-add {cap}"),
                Some("cap_add"),
                "capabilities beyond the default set are not granted",
            ));
        }
    }
    namespaces(o, p, &mut out);
    for d in &o.devices {
        let host = d.split(':').next().unwrap_or(d);
        if !p.devices.iter().any(|a| a == host) {
            out.push(refuse(
                format!("--device {d}"),
                Some("devices"),
                "host devices are not passed to containers",
            ));
        }
    }
    for s in &o.security_opt {
        if !confining(s) && !p.security_opts.iter().any(|a| a == s) {
            out.push(refuse(
                format!("--security-opt {s}"),
                Some("security_opts"),
                "it may weaken the container's confinement",
            ));
        }
    }
    for v in &o.volumes {
        out.extend(check_volume(v, p));
    }
    limits(o, p, &mut out);
    out
}

fn cap_name(c: &str) -> &str {
    let c = c.trim();
    if c.len() > 4 && c[..4].eq_ignore_ascii_case("CAP_") {
        &c[4..]
    } else {
        c
    }
}

fn namespaces(o: &ContainerOptions, p: &Policy, out: &mut Vec<Refusal>) {
    match o.network.as_deref() {
        Some("host") if p.host_namespaces => {}
        Some("host") => out.push(refuse(
            "--network host",
            Some("host_namespaces"),
            "the host's network namespace reaches every service on the host",
        )),
        Some(n) => out.push(refuse(
            format!("--network {n}"),
            None,
            "Gantry places each job on its own network",
        )),
        None => {}
    }
    for (flag, value) in &o.namespaces {
        if value == "host" && !p.host_namespaces {
            out.push(refuse(
                format!("{flag} {value}"),
                Some("host_namespaces"),
                "sharing a host namespace exposes the host",
            ));
        } else if value.starts_with("container:") {
            out.push(refuse(
                format!("{flag} {value}"),
                None,
                "joining another container's namespace can reach another job",
            ));
        }
    }
    for v in &o.volumes_from {
        out.push(refuse(
            format!("--volumes-from {v}"),
            None,
            "another container's volumes may belong to another job",
        ));
    }
}

fn limits(o: &ContainerOptions, p: &Policy, out: &mut Vec<Refusal>) {
    if let (Some(m), Ok(max)) = (o.memory, p.memory_bytes()) {
        if m > max {
            out.push(refuse(
                format!("--memory {m}"),
                Some("memory"),
                &format!("more than the {} the policy gives a container", p.memory),
            ));
        }
    }
    if let Some(c) = o.nano_cpus {
        if c > p.nano_cpus() {
            out.push(refuse(
                format!("--cpus {}", c as f64 / 1e9),
                Some("cpus"),
                &format!("more than the {} CPUs the policy gives a container", p.cpus),
            ));
        }
    }
    if let Some(n) = o.pids_limit {
        if n < 1 || n > p.pids_limit {
            out.push(refuse(
                format!("--pids-limit {n}"),
                Some("pids_limit"),
                &format!("the policy allows at most {} processes", p.pids_limit),
            ));
        }
    }
    if let Some(r) = &o.runtime {
        out.push(refuse(
            format!("--runtime {r}"),
            Some("runtime"),
            "the container runtime is the operator's choice",
        ));
    }
    if !o.sysctls.is_empty() && !p.sysctls {
        out.push(refuse(
            format!("--sysctl {}", o.sysctls.join(",")),
            Some("sysctls"),
            "kernel parameters are the operator's choice",
        ));
    }
    if o.user.is_some() && p.user.is_some() && !p.user_override {
        out.push(refuse(
            format!("--user {}", o.user.as_deref().unwrap_or_default()),
            Some("user_override"),
            "the policy sets the user containers run as",
        ));
    }
}

/// A `ports:` entry: `CONTAINER`, `HOST:CONTAINER` (published on 127.0.0.1) or
/// `ADDRESS:HOST:CONTAINER`, whose address must be loopback unless `public_ports`.
pub fn check_port(text: &str, p: &Policy) -> Vec<Refusal> {
    let parts: Vec<&str> = text.rsplitn(3, ':').collect();
    let address = match parts.as_slice() {
        [_, _, address] => address.trim_matches(['[', ']']),
        _ => return Vec::new(),
    };
    let loopback = address == "localhost"
        || address
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback());
    if loopback || p.public_ports {
        Vec::new()
    } else {
        vec![refuse(
            text,
            Some("public_ports"),
            "publishing a job's port beyond the host's loopback exposes it to the network",
        )]
    }
}

/// One `volumes:` entry: `SOURCE:TARGET[:MODE]`, or `TARGET` alone (anonymous).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VolumeSpec {
    Anonymous { target: String },
    Named { name: String, target: String },
    Host { path: String, target: String },
}

impl VolumeSpec {
    pub fn parse(text: &str) -> VolumeSpec {
        let mut parts = text.splitn(3, ':');
        let (src, dst) = (parts.next().unwrap_or(""), parts.next());
        match dst {
            None => VolumeSpec::Anonymous {
                target: src.to_string(),
            },
            Some(target)
                if src.starts_with('/') || src.starts_with('.') || src.starts_with('~') =>
            {
                VolumeSpec::Host {
                    path: src.to_string(),
                    target: target.to_string(),
                }
            }
            Some(target) => VolumeSpec::Named {
                name: src.to_string(),
                target: target.to_string(),
            },
        }
    }
}

/// A `volumes:` entry judged: host paths only under `host_paths`, never the engine's
/// socket or state without `docker_socket`, named volumes only with `named_volumes`.
pub fn check_volume(text: &str, p: &Policy) -> Vec<Refusal> {
    match VolumeSpec::parse(text) {
        VolumeSpec::Anonymous { .. } => Vec::new(),
        VolumeSpec::Named { .. } if p.named_volumes => Vec::new(),
        VolumeSpec::Named { .. } => vec![refuse(
            text,
            Some("named_volumes"),
            "a named volume outlives the run and is shared with every run naming it",
        )],
        VolumeSpec::Host { path, .. } => check_host_path(text, &path, p),
    }
}

fn check_host_path(text: &str, path: &str, p: &Policy) -> Vec<Refusal> {
    let Some(norm) = normalize(path) else {
        return vec![refuse(
            text,
            None,
            "a host path must be absolute (relative paths and `~` are not mounted)",
        )];
    };
    let touches_engine = ENGINE_PATHS.iter().any(|e| {
        let e = Path::new(e);
        e.starts_with(&norm) || norm.starts_with(e)
    });
    if touches_engine && !p.docker_socket {
        return vec![refuse(
            text,
            Some("docker_socket"),
            "the container engine's socket or state gives root on the host and every other job",
        )];
    }
    let allowed = p
        .host_paths
        .iter()
        .filter_map(|a| normalize(a))
        .any(|a| norm.starts_with(&a));
    if allowed {
        Vec::new()
    } else {
        vec![refuse(
            text,
            Some("host_paths"),
            "host directories are not mounted into containers",
        )]
    }
}

/// An absolute path with `.` and `..` resolved lexically; `None` for a relative one.
fn normalize(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    if !p.is_absolute() {
        return None;
    }
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            _ => {}
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container_options::parse_options;

    fn keys(options: &str, p: &Policy) -> Vec<Option<&'static str>> {
        check_options(&parse_options(options).unwrap(), p)
            .into_iter()
            .map(|r| r.key)
            .collect()
    }

    #[test]
    fn default_policy_refuses_what_reaches_the_host() {
        let p = Policy::default();
        for (options, key) in [
            ("--privileged", Some("privileged")),
            ("--cap-add SYS_ADMIN", Some("cap_add")),
            ("--cap-add=NET_ADMIN", Some("cap_add")),
            ("--network host", Some("host_namespaces")),
            ("--network other-job", None),
            ("--pid host", Some("host_namespaces")),
            ("--ipc host", Some("host_namespaces")),
            ("--userns host", Some("host_namespaces")),
            ("--pid container:abc", None),
            ("--volumes-from abc", None),
            ("--device /dev/kvm", Some("devices")),
            ("--security-opt seccomp=unconfined", Some("security_opts")),
            ("--security-opt apparmor=unconfined", Some("security_opts")),
            (
                "--security-opt no-new-privileges=false",
                Some("security_opts"),
            ),
            (
                "-v /var/run/docker.sock:/var/run/docker.sock",
                Some("docker_socket"),
            ),
            ("-v /:/host", Some("docker_socket")),
            ("-v /home:/h", Some("host_paths")),
            ("--memory 64g", Some("memory")),
            ("--cpus 16", Some("cpus")),
            ("--pids-limit 100000", Some("pids_limit")),
            ("--runtime runc", Some("runtime")),
            ("--sysctl net.ipv4.ip_forward=1", Some("sysctls")),
        ] {
            assert_eq!(keys(options, &p), vec![key], "{options}");
        }
    }

    #[test]
    fn what_stays_inside_the_container_is_allowed() {
        let p = Policy::default();
        for options in [
            "--health-cmd pg_isready --health-interval 10s",
            "--memory 512m --cpus 1 --pids-limit 100",
            "--security-opt no-new-privileges",
            "--cap-drop ALL --read-only --tmpfs /run",
            "--user 1000 --hostname db -e A=b",
        ] {
            assert_eq!(keys(options, &p), vec![], "{options}");
        }
    }

    #[test]
    fn operator_keys_open_exactly_what_they_name() {
        let p = Policy {
            privileged: true,
            cap_add: vec!["CAP_SYS_PTRACE".into()],
            host_namespaces: true,
            devices: vec!["/dev/fuse".into()],
            security_opts: vec!["seccomp=unconfined".into()],
            ..Policy::default()
        };
        assert_eq!(keys("--privileged --cap-add SYS_PTRACE", &p), vec![]);
        assert_eq!(keys("--cap-add SYS_ADMIN", &p), vec![Some("cap_add")]);
        assert_eq!(keys("--network host --pid host", &p), vec![]);
        assert_eq!(keys("--device /dev/fuse:/dev/fuse", &p), vec![]);
        assert_eq!(keys("--device /dev/kvm", &p), vec![Some("devices")]);
        assert_eq!(keys("--security-opt seccomp=unconfined", &p), vec![]);
        let with_user = Policy {
            user: Some("1001".into()),
            ..Policy::default()
        };
        assert_eq!(keys("--user 0", &with_user), vec![Some("user_override")]);
    }

    #[test]
    fn ports_are_published_on_loopback_only() {
        let p = Policy::default();
        for (port, refused) in [
            ("5432", false),
            ("8080:80", false),
            ("127.0.0.1:8080:80", false),
            ("[::1]:8080:80/udp", false),
            ("0.0.0.0:8080:80", true),
            ("192.0.2.10:8080:80", true),
        ] {
            assert_eq!(!check_port(port, &p).is_empty(), refused, "{port}");
        }
        let open = Policy {
            public_ports: true,
            ..Policy::default()
        };
        assert!(check_port("0.0.0.0:8080:80", &open).is_empty());
    }

    #[test]
    fn volumes_host_paths_engine_paths_and_named_volumes() {
        let p = Policy {
            host_paths: vec!["/srv/cache".into(), "/var/run".into()],
            ..Policy::default()
        };
        let key = |v: &str| check_volume(v, &p).first().map(|r| r.key);
        assert_eq!(key("/data"), None, "anonymous");
        assert_eq!(key("/srv/cache:/cache"), None);
        assert_eq!(key("/srv/cache/npm:/npm:ro"), None);
        assert_eq!(key("/srv/cache/../../etc:/etc"), Some(Some("host_paths")));
        assert_eq!(key("/srv/cachex:/c"), Some(Some("host_paths")));
        // Allowed path, but it holds the engine's socket.
        assert_eq!(key("/var/run:/r"), Some(Some("docker_socket")));
        assert_eq!(key("/run/docker.sock:/s"), Some(Some("docker_socket")));
        assert_eq!(key("cache:/cache"), Some(Some("named_volumes")));
        assert_eq!(key("./rel:/r"), Some(None));
        let open = Policy {
            docker_socket: true,
            host_paths: vec!["/var/run/docker.sock".into()],
            named_volumes: true,
            ..Policy::default()
        };
        assert!(check_volume("/var/run/docker.sock:/s", &open).is_empty());
        assert!(check_volume("cache:/cache", &open).is_empty());
    }
}
