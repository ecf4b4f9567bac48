//! The `options:` string of `container:` and `services:` — `docker create` flags as users
//! write them (`--health-cmd "pg_isready" --health-interval 10s --cpus 1`) — parsed into
//! data. An unknown flag is an error that names it, rather than being silently dropped.
//! Flags that reach the host (namespaces, devices, mounts, security options) are parsed too,
//! so that the policy (`crate::policy`) can refuse them by name instead of never seeing them.

use std::time::Duration;
use thiserror::Error;

/// A flag of `options:` that cannot be read: which one and why.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("invalid container option `{option}`: {message}")]
pub struct OptionError {
    pub option: String,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerOptions {
    pub health: Option<HealthCheck>,
    pub user: Option<String>,
    pub hostname: Option<String>,
    pub env: Vec<(String, String)>,
    pub aliases: Vec<String>,
    pub nano_cpus: Option<i64>,
    pub memory: Option<i64>,
    pub shm_size: Option<i64>,
    pub privileged: bool,
    pub init: bool,
    pub cap_add: Vec<String>,
    pub extra_hosts: Vec<String>,
    pub entrypoint: Option<String>,
    pub workdir: Option<String>,
    pub tmpfs: Vec<String>,
    /// `--network`/`--net`.
    pub network: Option<String>,
    /// Namespace flags (`--pid`, `--ipc`, `--uts`, `--userns`, `--cgroupns`) and their value.
    pub namespaces: Vec<(String, String)>,
    pub devices: Vec<String>,
    pub security_opt: Vec<String>,
    /// `-v`/`--volume` specs, as in `container.volumes`.
    pub volumes: Vec<String>,
    pub volumes_from: Vec<String>,
    pub cap_drop: Vec<String>,
    pub pids_limit: Option<i64>,
    pub read_only: bool,
    pub runtime: Option<String>,
    pub sysctls: Vec<String>,
    pub group_add: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HealthCheck {
    pub cmd: Option<String>,
    pub interval: Option<Duration>,
    pub timeout: Option<Duration>,
    pub retries: Option<i64>,
    pub start_period: Option<Duration>,
}

/// Splits like a POSIX shell does for words: quotes group, backslash escapes.
fn words(s: &str) -> Result<Vec<String>, OptionError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err(opt_err(s, "unterminated single quote")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x) => cur.push(x),
                            None => return Err(opt_err(s, "unterminated double quote")),
                        },
                        Some(x) => cur.push(x),
                        None => return Err(opt_err(s, "unterminated double quote")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = chars.next() {
                    cur.push(x);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

fn opt_err(option: &str, message: impl ToString) -> OptionError {
    OptionError {
        option: option.to_string(),
        message: message.to_string(),
    }
}

/// `10s`, `1m30s`, `500ms`, `2h`, or plain seconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    if let Ok(n) = s.parse::<f64>() {
        return (n >= 0.0).then(|| Duration::from_secs_f64(n));
    }
    let mut total = 0f64;
    let mut num = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        let c = rest.chars().next()?;
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            rest = &rest[1..];
            continue;
        }
        let (unit, factor) = [
            ("ms", 0.001),
            ("us", 1e-6),
            ("s", 1.0),
            ("m", 60.0),
            ("h", 3600.0),
        ]
        .into_iter()
        .find(|(u, _)| rest.starts_with(u))?;
        total += num.parse::<f64>().ok()? * factor;
        num.clear();
        rest = &rest[unit.len()..];
    }
    num.is_empty().then(|| Duration::from_secs_f64(total))
}

/// `512m`, `1g`, `1024k`, or bytes.
pub fn parse_bytes(s: &str) -> Option<i64> {
    let lower = s.to_ascii_lowercase();
    let t = lower.trim_end_matches('b');
    let (n, f) = match t.chars().last()? {
        'k' => (&t[..t.len() - 1], 1024),
        'm' => (&t[..t.len() - 1], 1024 * 1024),
        'g' => (&t[..t.len() - 1], 1024 * 1024 * 1024),
        _ => (t, 1),
    };
    n.parse::<f64>().ok().map(|v| (v * f as f64) as i64)
}

/// Flags that take no value (`--privileged`, or `--privileged=false`).
const BOOL_FLAGS: &[&str] = &["--privileged", "--init", "--rm", "--read-only"];

pub fn parse_options(text: &str) -> Result<ContainerOptions, OptionError> {
    let mut o = ContainerOptions::default();
    let ws = words(text)?;
    let mut i = 0;
    while i < ws.len() {
        let w = &ws[i];
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (w.clone(), None),
        };
        let is_bool = BOOL_FLAGS.contains(&flag.as_str());
        let value = if is_bool {
            inline.unwrap_or_else(|| "true".into())
        } else if let Some(v) = inline {
            v
        } else {
            i += 1;
            ws.get(i)
                .cloned()
                .ok_or_else(|| opt_err(&flag, "expected a value after it"))?
        };
        let dur = |v: &str| {
            parse_duration(v).ok_or_else(|| opt_err(&flag, format!("`{v}` is not a duration")))
        };
        let health = || o.health.clone().unwrap_or_default();
        match flag.as_str() {
            "--health-cmd" => {
                o.health = Some(HealthCheck {
                    cmd: Some(value),
                    ..health()
                })
            }
            "--health-interval" => {
                o.health = Some(HealthCheck {
                    interval: Some(dur(&value)?),
                    ..health()
                })
            }
            "--health-timeout" => {
                o.health = Some(HealthCheck {
                    timeout: Some(dur(&value)?),
                    ..health()
                })
            }
            "--health-start-period" => {
                o.health = Some(HealthCheck {
                    start_period: Some(dur(&value)?),
                    ..health()
                })
            }
            "--health-retries" => {
                let n = value
                    .parse()
                    .map_err(|_| opt_err(&flag, format!("`{value}` is not a number")))?;
                o.health = Some(HealthCheck {
                    retries: Some(n),
                    ..health()
                })
            }
            "--user" | "-u" => o.user = Some(value),
            "--hostname" | "-h" => o.hostname = Some(value),
            "--env" | "-e" => {
                let (k, v) = value.split_once('=').unwrap_or((&value, ""));
                o.env.push((k.to_string(), v.to_string()));
            }
            "--network-alias" => o.aliases.push(value),
            "--cpus" => {
                let n: f64 = value
                    .parse()
                    .map_err(|_| opt_err(&flag, format!("`{value}` is not a number")))?;
                o.nano_cpus = Some((n * 1e9) as i64);
            }
            "--memory" | "-m" => {
                o.memory = Some(
                    parse_bytes(&value)
                        .ok_or_else(|| opt_err(&flag, format!("`{value}` is not a size")))?,
                )
            }
            "--shm-size" => {
                o.shm_size = Some(
                    parse_bytes(&value)
                        .ok_or_else(|| opt_err(&flag, format!("`{value}` is not a size")))?,
                )
            }
            "--privileged" => o.privileged = value != "false",
            "--init" => o.init = value != "false",
            "--rm" => {}
            "--cap-add" => o.cap_add.push(value),
            "--add-host" => o.extra_hosts.push(value),
            "--entrypoint" => o.entrypoint = Some(value),
            "--workdir" | "-w" => o.workdir = Some(value),
            "--tmpfs" => o.tmpfs.push(value),
            other => host_flag(&mut o, other, value)?,
        }
        i += 1;
    }
    Ok(o)
}

/// The flags that reach beyond the container: recorded for the policy to judge.
fn host_flag(o: &mut ContainerOptions, flag: &str, value: String) -> Result<(), OptionError> {
    match flag {
        "--network" | "--net" => o.network = Some(value),
        "--pid" | "--ipc" | "--uts" | "--userns" | "--cgroupns" => {
            o.namespaces.push((flag.to_string(), value))
        }
        "--device" => o.devices.push(value),
        "--security-opt" => o.security_opt.push(value),
        "--volume" | "-v" => o.volumes.push(value),
        "--volumes-from" => o.volumes_from.push(value),
        "--cap-drop" => o.cap_drop.push(value),
        "--pids-limit" => {
            o.pids_limit = Some(
                value
                    .parse()
                    .map_err(|_| opt_err(flag, format!("`{value}` is not a number")))?,
            )
        }
        "--read-only" => o.read_only = value != "false",
        "--runtime" => o.runtime = Some(value),
        "--sysctl" => o.sysctls.push(value),
        "--group-add" => o.group_add.push(value),
        other => {
            return Err(opt_err(
                other,
                "not supported in `options:` (supported: --health-*, --user, --hostname, \
                 --env, --network-alias, --cpus, --memory, --shm-size, --privileged, \
                 --init, --cap-add, --cap-drop, --add-host, --entrypoint, --workdir, --tmpfs, \
                 --read-only, --pids-limit, --group-add, and, where the policy allows them, \
                 --network, --pid, --ipc, --uts, --userns, --cgroupns, --device, \
                 --security-opt, --volume, --volumes-from, --runtime, --sysctl)",
            ))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_flags_as_github_docs_write_them() {
        let o = parse_options(
            "--health-cmd pg_isready --health-interval 10s --health-timeout 5s --health-retries 5",
        )
        .unwrap();
        let h = o.health.unwrap();
        assert_eq!(h.cmd.as_deref(), Some("pg_isready"));
        assert_eq!(h.interval, Some(Duration::from_secs(10)));
        assert_eq!(h.timeout, Some(Duration::from_secs(5)));
        assert_eq!(h.retries, Some(5));
    }

    #[test]
    fn quoted_values_and_inline_equals() {
        let o = parse_options(r#"--health-cmd "redis-cli ping" --cpus=1.5 -e A=b --privileged"#)
            .unwrap();
        assert_eq!(o.health.unwrap().cmd.as_deref(), Some("redis-cli ping"));
        assert_eq!(o.nano_cpus, Some(1_500_000_000));
        assert_eq!(o.env, vec![("A".to_string(), "b".to_string())]);
        assert!(o.privileged);
    }

    #[test]
    fn flags_that_reach_the_host_are_recorded_for_the_policy() {
        let o = parse_options(
            "--network=host --pid host -v /var/run/docker.sock:/s --device /dev/kvm \
             --security-opt seccomp=unconfined --volumes-from other --read-only --pids-limit 50",
        )
        .unwrap();
        assert_eq!(o.network.as_deref(), Some("host"));
        assert_eq!(
            o.namespaces,
            vec![("--pid".to_string(), "host".to_string())]
        );
        assert_eq!(o.volumes, vec!["/var/run/docker.sock:/s".to_string()]);
        assert_eq!(o.devices, vec!["/dev/kvm".to_string()]);
        assert_eq!(o.security_opt, vec!["seccomp=unconfined".to_string()]);
        assert_eq!(o.volumes_from, vec!["other".to_string()]);
        assert!(o.read_only);
        assert_eq!(o.pids_limit, Some(50));
    }

    #[test]
    fn durations_and_sizes() {
        for (s, ms) in [
            ("10s", 10_000),
            ("1m30s", 90_000),
            ("500ms", 500),
            ("2", 2000),
        ] {
            assert_eq!(parse_duration(s).unwrap().as_millis(), ms, "{s}");
        }
        assert!(parse_duration("ten").is_none());
        assert_eq!(parse_bytes("512m"), Some(512 * 1024 * 1024));
        assert_eq!(parse_bytes("1g"), Some(1 << 30));
    }

    #[test]
    fn unknown_or_incomplete_flags_are_named() {
        let e = parse_options("--link x").unwrap_err().to_string();
        assert!(e.contains("--link"), "{e}");
        let e = parse_options("--health-cmd").unwrap_err().to_string();
        assert!(e.contains("expected a value"), "{e}");
        let e = parse_options("--health-cmd 'unterminated")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unterminated"), "{e}");
    }
}
