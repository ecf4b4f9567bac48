//! Turning Gantry's spec structs into the Docker API's request bodies.

use bollard::models::{
    ContainerCreateBody, DeviceMapping, EndpointSettings, HealthConfig, HostConfig, Mount,
    MountType, NetworkingConfig, PortBinding,
};
use gantry_engine::backend::{Confinement, ContainerOptions, ContainerSpec, MountKind};
use std::collections::HashMap;

/// `name[:tag]` (a registry port is not a tag; a digest stays in the name).
pub fn split_image(image: &str) -> (String, String) {
    if image.contains('@') {
        return (image.to_string(), String::new());
    }
    match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name.to_string(), tag.to_string()),
        _ => (image.to_string(), "latest".to_string()),
    }
}

fn nanos(d: std::time::Duration) -> i64 {
    d.as_nanos().min(i64::MAX as u128) as i64
}

fn ports(specs: &[String]) -> (Vec<String>, HashMap<String, Option<Vec<PortBinding>>>) {
    let mut exposed = Vec::new();
    let mut bindings = HashMap::new();
    for p in specs {
        let (host, container) = match p.rsplit_once(':') {
            Some((h, c)) => (Some(h.to_string()), c.to_string()),
            None => (None, p.clone()),
        };
        let key = if container.contains('/') {
            container
        } else {
            format!("{container}/tcp")
        };
        exposed.push(key.clone());
        let (host_ip, host_port) = match host.as_deref().and_then(|h| h.rsplit_once(':')) {
            Some((ip, port)) => (Some(ip.to_string()), Some(port.to_string())),
            None => (Some("127.0.0.1".to_string()), host.or(Some(String::new()))),
        };
        bindings.insert(key, Some(vec![PortBinding { host_ip, host_port }]));
    }
    (exposed, bindings)
}

pub fn create_body(spec: &ContainerSpec) -> ContainerCreateBody {
    let o = &spec.options;
    let mut env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    env.extend(o.env.iter().map(|(k, v)| format!("{k}={v}")));
    let mounts = mounts(spec);
    let tmpfs = tmpfs(spec);
    let (exposed, bindings) = ports(&spec.ports);
    let healthcheck = healthcheck(o);
    let networking_config = networking(spec);
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        hostname: o.hostname.clone(),
        user: o.user.clone().or_else(|| spec.user.clone()),
        env: Some(env),
        cmd: spec.cmd.clone(),
        entrypoint: o
            .entrypoint
            .as_ref()
            .map(|e| vec![e.clone()])
            .or_else(|| spec.entrypoint.clone()),
        working_dir: o.workdir.clone().or_else(|| spec.working_dir.clone()),
        labels: Some(spec.labels.iter().cloned().collect()),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        healthcheck,
        host_config: Some(confined(
            HostConfig {
                mounts: Some(mounts),
                tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
                network_mode: o.network.clone().or_else(|| spec.network.clone()),
                port_bindings: (!bindings.is_empty()).then_some(bindings),
                shm_size: o.shm_size,
                privileged: Some(o.privileged),
                init: o.init.then_some(true),
                cap_add: (!o.cap_add.is_empty()).then(|| o.cap_add.clone()),
                extra_hosts: (!o.extra_hosts.is_empty()).then(|| o.extra_hosts.clone()),
                ..host_access(o)
            },
            o,
            &spec.confinement,
        )),
        networking_config,
        ..Default::default()
    }
}

fn mounts(spec: &ContainerSpec) -> Vec<Mount> {
    spec.mounts
        .iter()
        .map(|m| Mount {
            target: Some(m.target.clone()),
            source: Some(m.source.clone()),
            typ: Some(match m.kind {
                MountKind::Bind => MountType::BIND,
                MountKind::Volume => MountType::VOLUME,
            }),
            read_only: Some(m.read_only),
            ..Default::default()
        })
        .collect()
}

/// The spec's tmpfs mounts, then `--tmpfs PATH[:OPTS]`, and `/tmp` when the root is read-only.
fn tmpfs(spec: &ContainerSpec) -> HashMap<String, String> {
    let o = &spec.options;
    let mut tmpfs: HashMap<String, String> = spec.tmpfs.iter().cloned().collect();
    for t in &o.tmpfs {
        let (path, opts) = t.split_once(':').unwrap_or((t, ""));
        tmpfs.insert(path.to_string(), opts.to_string());
    }
    if spec.confinement.read_only_rootfs || o.read_only {
        // A read-only root still needs somewhere to write scratch files.
        tmpfs
            .entry("/tmp".to_string())
            .or_insert_with(|| "mode=1777".to_string());
    }
    tmpfs
}

fn healthcheck(o: &ContainerOptions) -> Option<HealthConfig> {
    o.health.as_ref().map(|h| HealthConfig {
        test: h
            .cmd
            .as_ref()
            .map(|c| vec!["CMD-SHELL".to_string(), c.clone()]),
        interval: h.interval.map(nanos),
        timeout: h.timeout.map(nanos),
        retries: h.retries,
        start_period: h.start_period.map(nanos),
        ..Default::default()
    })
}

/// The job network's endpoint with the container's aliases; none for `container:<id>`,
/// which shares another container's network stack.
fn networking(spec: &ContainerSpec) -> Option<NetworkingConfig> {
    let mut aliases = spec.aliases.clone();
    aliases.extend(spec.options.aliases.iter().cloned());
    let own_network = spec
        .network
        .as_ref()
        .filter(|n| !n.starts_with("container:"));
    own_network.map(|n| NetworkingConfig {
        endpoints_config: Some(HashMap::from([(
            n.clone(),
            EndpointSettings {
                aliases: Some(aliases),
                ..Default::default()
            },
        )])),
    })
}

/// The smaller of what the workflow asked and what the policy gives.
fn least(asked: Option<i64>, most: Option<i64>) -> Option<i64> {
    match (asked, most) {
        (Some(a), Some(m)) => Some(a.min(m)),
        (a, m) => a.or(m),
    }
}

/// What the policy imposes on top of the workflow's options: no new privileges, dropped
/// capabilities (but not those the policy let the workflow add), limits, runtime.
fn confined(mut hc: HostConfig, o: &ContainerOptions, c: &Confinement) -> HostConfig {
    let mut security = o.security_opt.clone();
    if c.no_new_privileges {
        security.push("no-new-privileges".into());
    }
    let added = |cap: &str| {
        o.cap_add
            .iter()
            .any(|a| a.trim_start_matches("CAP_").eq_ignore_ascii_case(cap))
    };
    let mut drop: Vec<String> = c.cap_drop.iter().filter(|d| !added(d)).cloned().collect();
    drop.extend(o.cap_drop.iter().cloned());
    hc.security_opt = (!security.is_empty()).then_some(security);
    hc.cap_drop = (!drop.is_empty()).then_some(drop);
    hc.pids_limit = least(o.pids_limit, c.pids_limit);
    hc.memory = least(o.memory, c.memory);
    // Swap counts inside the limit: a container cannot page its way past it.
    hc.memory_swap = hc.memory;
    hc.nano_cpus = least(o.nano_cpus, c.nano_cpus);
    hc.readonly_rootfs = (c.read_only_rootfs || o.read_only).then_some(true);
    hc.runtime = c.runtime.clone();
    hc
}

/// Host resources the policy let the workflow ask for (devices, namespaces, sysctls).
fn host_access(o: &ContainerOptions) -> HostConfig {
    let ns = |flag: &str| {
        o.namespaces
            .iter()
            .find(|(f, _)| f == flag)
            .map(|(_, v)| v.clone())
    };
    let devices: Vec<DeviceMapping> = o
        .devices
        .iter()
        .map(|d| {
            let mut parts = d.splitn(3, ':');
            let host = parts.next().unwrap_or_default().to_string();
            let inside = parts.next().map_or_else(|| host.clone(), str::to_string);
            DeviceMapping {
                path_on_host: Some(host),
                path_in_container: Some(inside),
                cgroup_permissions: Some(parts.next().unwrap_or("rwm").to_string()),
            }
        })
        .collect();
    let sysctls: HashMap<String, String> = o
        .sysctls
        .iter()
        .map(|s| {
            let (k, v) = s.split_once('=').unwrap_or((s, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    HostConfig {
        devices: (!devices.is_empty()).then_some(devices),
        sysctls: (!sysctls.is_empty()).then_some(sysctls),
        group_add: (!o.group_add.is_empty()).then(|| o.group_add.clone()),
        pid_mode: ns("--pid"),
        ipc_mode: ns("--ipc"),
        uts_mode: ns("--uts"),
        userns_mode: ns("--userns"),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_split_into_name_and_tag() {
        for (image, name, tag) in [
            ("busybox", "busybox", "latest"),
            ("postgres:16", "postgres", "16"),
            ("localhost:5000/app", "localhost:5000/app", "latest"),
            ("localhost:5000/app:v1", "localhost:5000/app", "v1"),
            ("ghcr.io/o/r@sha256:abc", "ghcr.io/o/r@sha256:abc", ""),
        ] {
            assert_eq!(
                split_image(image),
                (name.to_string(), tag.to_string()),
                "{image}"
            );
        }
    }

    #[test]
    fn the_policy_confines_whatever_the_options_ask() {
        let spec = ContainerSpec {
            image: "x".into(),
            options: gantry_engine::backend::parse_options(
                "--memory 8g --cpus 0.5 --pids-limit 99999 --cap-add NET_RAW",
            )
            .unwrap(),
            confinement: Confinement {
                no_new_privileges: true,
                cap_drop: vec!["NET_RAW".into(), "MKNOD".into()],
                pids_limit: Some(256),
                memory: Some(512 << 20),
                nano_cpus: Some(2_000_000_000),
                read_only_rootfs: true,
                runtime: Some("runsc".into()),
            },
            ..Default::default()
        };
        let hc = create_body(&spec).host_config.unwrap();
        assert_eq!(hc.security_opt, Some(vec!["no-new-privileges".to_string()]));
        // NET_RAW was added by an (allowed) option, so it is not dropped again.
        assert_eq!(hc.cap_drop, Some(vec!["MKNOD".to_string()]));
        assert_eq!(hc.memory, Some(512 << 20));
        assert_eq!(hc.memory_swap, Some(512 << 20));
        assert_eq!(hc.nano_cpus, Some(500_000_000));
        assert_eq!(hc.pids_limit, Some(256));
        assert_eq!(hc.readonly_rootfs, Some(true));
        assert!(hc.tmpfs.unwrap().contains_key("/tmp"));
        assert_eq!(hc.runtime.as_deref(), Some("runsc"));
    }

    #[test]
    fn ports_bind_to_loopback_unless_an_address_is_given() {
        let (exposed, b) = ports(&[
            "5432".into(),
            "8080:80".into(),
            "0.0.0.0:9000:9000/udp".into(),
        ]);
        assert_eq!(exposed, vec!["5432/tcp", "80/tcp", "9000/udp"]);
        let one = |k: &str| b[k].as_ref().unwrap()[0].clone();
        assert_eq!(one("80/tcp").host_port.as_deref(), Some("8080"));
        assert_eq!(one("80/tcp").host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(one("9000/udp").host_ip.as_deref(), Some("0.0.0.0"));
    }

    #[test]
    fn tmpfs_and_networks() {
        let spec = |options: &str, network: Option<&str>, read_only: bool| ContainerSpec {
            image: "x".into(),
            options: gantry_engine::backend::parse_options(options).unwrap(),
            tmpfs: vec![("/run".into(), "size=1m".into())],
            network: network.map(String::from),
            aliases: vec!["db".into()],
            confinement: Confinement {
                read_only_rootfs: read_only,
                ..Default::default()
            },
            ..Default::default()
        };
        let t = tmpfs(&spec("--tmpfs /cache:size=2m", None, false));
        assert_eq!(t.len(), 2);
        assert_eq!(
            (t["/run"].as_str(), t["/cache"].as_str()),
            ("size=1m", "size=2m")
        );
        for (options, read_only) in [("", true), ("--read-only", false)] {
            let t = tmpfs(&spec(options, None, read_only));
            assert_eq!(t["/tmp"], "mode=1777", "{options} {read_only}");
        }
        let t = tmpfs(&spec("--tmpfs /tmp:size=9m", None, true));
        assert_eq!(t["/tmp"], "size=9m", "an explicit /tmp is kept");

        assert!(networking(&spec("", None, false)).is_none());
        assert!(networking(&spec("", Some("container:abc"), false)).is_none());
        let n = networking(&spec("--network-alias cache", Some("job-net"), false)).unwrap();
        let endpoints = n.endpoints_config.unwrap();
        assert_eq!(
            endpoints["job-net"].aliases,
            Some(vec!["db".to_string(), "cache".to_string()])
        );
    }
}
