//! An in-memory [`ContainerBackend`] for tests: nothing runs, every call is recorded, and
//! what a command or container "does" is scripted — its output (stdout and stderr chunks),
//! its exit code, and what it appends to the files its environment names (`GITHUB_OUTPUT`,
//! `GITHUB_ENV`...), written through the container's bind mounts as a real process would.
//! Public so that the tests of any crate built on the engine can use it.

use super::{
    BackendError, BuildSpec, Chunk, ContainerBackend, ContainerSpec, ExecSpec, Health, Leftovers,
    MountKind, NetworkSpec, OutputTx, RegistryAuth, Resource, Stream,
};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// What a scripted process does.
#[derive(Clone, Debug, Default)]
pub struct Script {
    pub output: Vec<Chunk>,
    pub exit_code: i64,
    /// (variable, text): appends `text` to the file the process's variable names.
    pub writes: Vec<(String, String)>,
    /// (name, n): before ending, the process waits until `n` processes have met at the
    /// rendezvous `name` — which only happens when they run at the same time (after
    /// [`MEET_TIMEOUT`] alone it exits 99).
    pub meet: Option<(String, usize)>,
    /// The process runs until a step is signalled (`kill -TERM`), then exits 143.
    pub until_signalled: bool,
}

/// How long a process waits at a rendezvous before giving up (see [`Script::meet`]).
pub const MEET_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl Script {
    pub fn exit(code: i64) -> Script {
        Script {
            exit_code: code,
            ..Script::default()
        }
    }

    pub fn stdout(mut self, text: &str) -> Script {
        self.output.push(Chunk {
            stream: Stream::Stdout,
            bytes: text.as_bytes().to_vec(),
        });
        self
    }

    pub fn stderr(mut self, text: &str) -> Script {
        self.output.push(Chunk {
            stream: Stream::Stderr,
            bytes: text.as_bytes().to_vec(),
        });
        self
    }

    /// Waits for `n` processes at the rendezvous `name` (see [`Script::meet`]).
    pub fn meet(mut self, name: &str, n: usize) -> Script {
        self.meet = Some((name.to_string(), n));
        self
    }

    /// Runs until signalled (see [`Script::until_signalled`]).
    pub fn until_signalled(mut self) -> Script {
        self.until_signalled = true;
        self
    }

    /// Appends `text` to the file named by `$var` (`GITHUB_OUTPUT`, `GITHUB_ENV`...).
    pub fn write(mut self, var: &str, text: &str) -> Script {
        self.writes.push((var.to_string(), text.to_string()));
        self
    }
}

/// Which processes a script answers; the first matching script wins, and a process no
/// script matches prints nothing and exits 0.
#[derive(Clone, Debug, PartialEq)]
pub enum When {
    /// Its environment has `name=value` (a step's `GITHUB_ACTION` is its id).
    Env(String, String),
    /// One of its arguments (or a container's entrypoint or command) contains the text.
    Arg(String),
    /// A container started from this image.
    Image(String),
}

/// One call the engine made, in order.
#[derive(Clone, Debug)]
pub enum Call {
    ImagePresent(String),
    PullImage(String),
    BuildImage(String),
    ImageEnv(String),
    CreateNetwork(NetworkSpec),
    EnsureNetwork(NetworkSpec),
    RemoveNetwork(String),
    CreateContainer(Box<ContainerSpec>),
    StartContainer(String),
    RunContainer(String),
    Exec { container: String, spec: ExecSpec },
    Upload { container: String, dest: String },
    Pids(String),
    Health(String),
    Kill { container: String, signal: String },
    RemoveContainer(String),
    Labelled(String),
    CreateVolume { name: String, in_memory: bool },
    RemoveVolume(String),
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    containers: HashMap<String, ContainerSpec>,
    networks: HashMap<String, NetworkSpec>,
    volumes: HashMap<String, Vec<(String, String)>>,
    next: u64,
    scripts: Vec<(When, Script)>,
    missing: HashSet<String>,
    health: HashMap<String, Health>,
    /// The runtime does not answer (see [`FakeBackend::unreachable`]).
    down: bool,
    rendezvous: HashMap<String, std::sync::Arc<tokio::sync::Barrier>>,
}

/// The fake backend; see the module's documentation.
#[derive(Default)]
pub struct FakeBackend {
    state: Mutex<State>,
    /// Counts `kill` signals sent to steps; wakes processes that run until signalled.
    signals: tokio::sync::watch::Sender<u64>,
}

/// A process as scripts see it: its environment and its words.
struct Process<'a> {
    env: &'a [(String, String)],
    words: Vec<&'a str>,
    image: Option<&'a str>,
}

impl When {
    fn matches(&self, p: &Process<'_>) -> bool {
        match self {
            When::Env(k, v) => p.env.iter().any(|(pk, pv)| pk == k && pv == v),
            When::Arg(text) => p.words.iter().any(|w| w.contains(text.as_str())),
            When::Image(i) => p.image == Some(i.as_str()),
        }
    }
}

impl FakeBackend {
    pub fn new() -> FakeBackend {
        FakeBackend::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        match self.state.lock() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Scripts the processes `when` matches (earlier scripts take precedence).
    pub fn script(&self, when: When, script: Script) {
        self.with(|s| s.scripts.push((when, script)));
    }

    /// Makes the runtime answer no ping (`true`) or answer again (`false`).
    pub fn unreachable(&self, down: bool) {
        self.with(|s| s.down = down);
    }

    /// An image that is not present and cannot be pulled.
    pub fn missing_image(&self, image: &str) {
        self.with(|s| s.missing.insert(image.to_string()));
    }

    /// What a service started from `image` reports about its health (default: no check).
    pub fn health_of(&self, image: &str, health: Health) {
        self.with(|s| s.health.insert(image.to_string(), health));
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.with(|s| s.calls.clone())
    }

    /// The containers created, in order.
    pub fn created(&self) -> Vec<ContainerSpec> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::CreateContainer(spec) => Some(*spec),
                _ => None,
            })
            .collect()
    }

    /// The commands run in containers, in order.
    pub fn execs(&self) -> Vec<ExecSpec> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Exec { spec, .. } => Some(spec),
                _ => None,
            })
            .collect()
    }

    /// Containers, networks and volumes that exist now (created and not removed).
    pub fn live(&self) -> Leftovers {
        self.with(|s| Leftovers {
            containers: s.containers.keys().map(|id| resource(id, &[])).collect(),
            networks: s.networks.keys().map(|id| resource(id, &[])).collect(),
            volumes: s.volumes.keys().map(|id| resource(id, &[])).collect(),
        })
    }

    fn record(&self, call: Call) {
        self.with(|s| s.calls.push(call));
    }

    fn script_for(&self, p: &Process<'_>) -> Script {
        self.with(|s| {
            s.scripts
                .iter()
                .find(|(w, _)| w.matches(p))
                .map(|(_, script)| script.clone())
                .unwrap_or_default()
        })
    }

    /// Plays a script: its writes through `container`'s bind mounts, then its output.
    /// Returns the exit code when waiting changed it.
    async fn play(
        &self,
        container: &str,
        env: &[(String, String)],
        script: Script,
        out: OutputTx,
    ) -> Option<i64> {
        let mounts = self.with(|s| s.containers.get(container).map(|c| c.mounts.clone()));
        for (var, text) in &script.writes {
            let Some((_, path)) = env.iter().find(|(k, _)| k == var) else {
                continue;
            };
            let host = mounts.iter().flatten().find_map(|m| {
                let rest = path.strip_prefix(&m.target)?;
                (m.kind == MountKind::Bind).then(|| format!("{}{rest}", m.source))
            });
            if let Some(host) = host {
                use std::io::Write;
                let file = std::fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(host);
                if let Ok(mut f) = file {
                    let _ = f.write_all(text.as_bytes());
                }
            }
        }
        for chunk in script.output {
            let _ = out.send(chunk).await;
        }
        if let Some((name, n)) = &script.meet {
            let barrier = self.with(|s| {
                s.rendezvous
                    .entry(name.clone())
                    .or_insert_with(|| std::sync::Arc::new(tokio::sync::Barrier::new(*n)))
                    .clone()
            });
            if tokio::time::timeout(MEET_TIMEOUT, barrier.wait())
                .await
                .is_err()
            {
                return Some(99);
            }
        }
        if script.until_signalled {
            let mut rx = self.signals.subscribe();
            let _ = rx.changed().await;
            return Some(143);
        }
        None
    }

    /// A signal to a step's process (the engine's `kill -TERM`): wakes processes running
    /// until signalled.
    fn signalled(&self, spec: &ExecSpec) {
        if spec.cmd.iter().any(|w| w.contains("kill -")) {
            self.signals.send_modify(|n| *n += 1);
        }
    }
}

fn resource(id: &str, labels: &[(String, String)]) -> Resource {
    Resource {
        id: id.to_string(),
        labels: labels.iter().cloned().collect(),
    }
}

/// Whether `labels` carry `label` (`key` or `key=value`).
fn carries(labels: &[(String, String)], label: &str) -> bool {
    match label.split_once('=') {
        Some((k, v)) => labels.iter().any(|(lk, lv)| lk == k && lv == v),
        None => labels.iter().any(|(lk, _)| lk == label),
    }
}

impl ContainerBackend for FakeBackend {
    async fn ping(&self) -> Result<(), BackendError> {
        match self.with(|s| s.down) {
            true => Err(BackendError::Unreachable {
                endpoint: "fake".into(),
                message: "the fake runtime is down".into(),
            }),
            false => Ok(()),
        }
    }

    async fn image_present(&self, image: &str) -> Result<bool, BackendError> {
        self.record(Call::ImagePresent(image.to_string()));
        Ok(!self.with(|s| s.missing.contains(image)))
    }

    async fn pull_image(&self, image: &str, _: Option<RegistryAuth>) -> Result<(), BackendError> {
        self.record(Call::PullImage(image.to_string()));
        if self.with(|s| s.missing.contains(image)) {
            return Err(BackendError::ImageUnavailable {
                image: image.to_string(),
                message: "not in the fake registry".into(),
            });
        }
        Ok(())
    }

    async fn build_image(&self, spec: BuildSpec, _: OutputTx) -> Result<(), BackendError> {
        self.record(Call::BuildImage(spec.tag));
        Ok(())
    }

    async fn image_env(&self, image: &str) -> Result<Vec<String>, BackendError> {
        self.record(Call::ImageEnv(image.to_string()));
        Ok(Vec::new())
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<String, BackendError> {
        self.record(Call::CreateNetwork(spec.clone()));
        self.with(|s| s.networks.insert(spec.name.clone(), spec.clone()));
        Ok(spec.name.clone())
    }

    async fn ensure_network(&self, spec: &NetworkSpec) -> Result<String, BackendError> {
        self.record(Call::EnsureNetwork(spec.clone()));
        Ok(spec.name.clone())
    }

    async fn remove_network(&self, id: &str) -> Result<(), BackendError> {
        self.record(Call::RemoveNetwork(id.to_string()));
        self.with(|s| s.networks.remove(id));
        Ok(())
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String, BackendError> {
        self.record(Call::CreateContainer(Box::new(spec.clone())));
        if self.with(|s| s.missing.contains(&spec.image)) {
            return Err(BackendError::ImageUnavailable {
                image: spec.image.clone(),
                message: "not in the fake registry".into(),
            });
        }
        Ok(self.with(|s| {
            s.next += 1;
            let id = format!("fake-{}", s.next);
            s.containers.insert(id.clone(), spec.clone());
            id
        }))
    }

    async fn start_container(&self, id: &str) -> Result<(), BackendError> {
        self.record(Call::StartContainer(id.to_string()));
        Ok(())
    }

    async fn run_container(&self, id: &str, out: OutputTx) -> Result<i64, BackendError> {
        self.record(Call::RunContainer(id.to_string()));
        let Some(spec) = self.with(|s| s.containers.get(id).cloned()) else {
            return Err(BackendError::api("run container", id, "no such container"));
        };
        let words = spec
            .entrypoint
            .iter()
            .chain(spec.cmd.iter())
            .flatten()
            .map(String::as_str)
            .collect();
        let p = Process {
            env: &spec.env,
            words,
            image: Some(&spec.image),
        };
        let script = self.script_for(&p);
        let code = script.exit_code;
        Ok(self.play(id, &spec.env, script, out).await.unwrap_or(code))
    }

    async fn exec(&self, id: &str, spec: &ExecSpec, out: OutputTx) -> Result<i64, BackendError> {
        self.signalled(spec);
        self.record(Call::Exec {
            container: id.to_string(),
            spec: spec.clone(),
        });
        let p = Process {
            env: &spec.env,
            words: spec.cmd.iter().map(String::as_str).collect(),
            image: None,
        };
        let script = self.script_for(&p);
        let code = script.exit_code;
        Ok(self.play(id, &spec.env, script, out).await.unwrap_or(code))
    }

    async fn upload(&self, id: &str, dest: &str, _: Vec<u8>) -> Result<(), BackendError> {
        self.record(Call::Upload {
            container: id.to_string(),
            dest: dest.to_string(),
        });
        Ok(())
    }

    async fn pids(&self, id: &str) -> Result<(u64, Option<u64>), BackendError> {
        self.record(Call::Pids(id.to_string()));
        Ok((1, None))
    }

    async fn health(&self, id: &str) -> Result<Health, BackendError> {
        self.record(Call::Health(id.to_string()));
        Ok(self.with(|s| {
            let image = s.containers.get(id).map(|c| c.image.clone());
            image
                .and_then(|i| s.health.get(&i).copied())
                .unwrap_or(Health::None)
        }))
    }

    async fn kill_container(&self, id: &str, signal: &str) -> Result<(), BackendError> {
        self.record(Call::Kill {
            container: id.to_string(),
            signal: signal.to_string(),
        });
        Ok(())
    }

    async fn remove_container(&self, id: &str) -> Result<(), BackendError> {
        self.record(Call::RemoveContainer(id.to_string()));
        self.with(|s| s.containers.remove(id));
        Ok(())
    }

    async fn labelled(&self, label: &str) -> Result<Leftovers, BackendError> {
        self.record(Call::Labelled(label.to_string()));
        Ok(self.with(|s| Leftovers {
            containers: s
                .containers
                .iter()
                .filter(|(_, c)| carries(&c.labels, label))
                .map(|(id, c)| resource(id, &c.labels))
                .collect(),
            networks: s
                .networks
                .iter()
                .filter(|(_, n)| carries(&n.labels, label))
                .map(|(id, n)| resource(id, &n.labels))
                .collect(),
            volumes: s
                .volumes
                .iter()
                .filter(|(_, l)| carries(l, label))
                .map(|(id, l)| resource(id, l))
                .collect(),
        }))
    }

    async fn create_volume(
        &self,
        name: &str,
        labels: &[(String, String)],
        in_memory: bool,
    ) -> Result<(), BackendError> {
        self.record(Call::CreateVolume {
            name: name.to_string(),
            in_memory,
        });
        self.with(|s| s.volumes.insert(name.to_string(), labels.to_vec()));
        Ok(())
    }

    async fn remove_volume(&self, name: &str) -> Result<(), BackendError> {
        self.record(Call::RemoveVolume(name.to_string()));
        self.with(|s| s.volumes.remove(name));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::output_channel;

    async fn exec(b: &FakeBackend, env: &[(&str, &str)], cmd: &[&str]) -> (i64, String) {
        let spec = ExecSpec {
            cmd: cmd.iter().map(|s| s.to_string()).collect(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..ExecSpec::default()
        };
        let (tx, mut rx) = output_channel();
        let code = b.exec("c", &spec, tx).await.unwrap();
        let mut text = String::new();
        while let Some(c) = rx.recv().await {
            text.push_str(&String::from_utf8_lossy(&c.bytes));
        }
        (code, text)
    }

    /// Environment, command, exit code and output of one process.
    type Row<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], i64, &'a str);

    #[tokio::test]
    async fn scripts_answer_the_first_matching_process() {
        let b = FakeBackend::new();
        b.script(
            When::Env("GITHUB_ACTION".into(), "fail".into()),
            Script::exit(3).stderr("bad\n"),
        );
        b.script(When::Arg("hello".into()), Script::default().stdout("hi\n"));
        let table: &[Row<'_>] = &[
            (&[("GITHUB_ACTION", "fail")], &["sh", "hello"], 3, "bad\n"),
            (&[("GITHUB_ACTION", "ok")], &["sh", "say hello"], 0, "hi\n"),
            (&[], &["true"], 0, ""),
        ];
        for (env, cmd, code, out) in table {
            assert_eq!(
                exec(&b, env, cmd).await,
                (*code, out.to_string()),
                "{cmd:?}"
            );
        }
        assert_eq!(b.execs().len(), 3);
    }

    #[tokio::test]
    async fn writes_go_through_bind_mounts_and_leftovers_are_found_by_label() {
        let dir = tempfile::tempdir().unwrap();
        let b = FakeBackend::new();
        let spec = ContainerSpec {
            image: "img".into(),
            labels: vec![("run".into(), "1".into())],
            mounts: vec![super::super::Mount {
                source: dir.path().display().to_string(),
                target: "/files".into(),
                read_only: false,
                kind: MountKind::Bind,
            }],
            ..ContainerSpec::default()
        };
        let id = b.create_container(&spec).await.unwrap();
        b.script(
            When::Arg("x".into()),
            Script::default().write("OUT", "a=1\n"),
        );
        let spec = ExecSpec {
            cmd: vec!["x".into()],
            env: vec![("OUT".into(), "/files/out".into())],
            ..ExecSpec::default()
        };
        b.exec(&id, &spec, output_channel().0).await.unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("out")).unwrap(),
            "a=1\n"
        );
        assert_eq!(b.labelled("run=1").await.unwrap().containers.len(), 1);
        assert_eq!(b.labelled("run=2").await.unwrap().count(), 0);
        b.remove_container(&id).await.unwrap();
        assert!(b.live().is_empty());
    }
}
