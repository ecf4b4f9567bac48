//! A real Kafka-protocol broker for the tests (Tansu, installed by scripts/setup-kafka.sh),
//! a producer and a reader built on rdkafka, and `gantry serve` configured with a `[kafka]`
//! section: the pieces the Kafka integration tests share.

#![allow(dead_code)]

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::Value;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn tansu_binary() -> PathBuf {
    let p = std::env::var_os("GANTRY_TANSU")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/gantry-setup/bin/tansu")
        });
    assert!(
        p.is_file(),
        "the Tansu broker is missing at {} (run scripts/setup-kafka.sh, or set GANTRY_TANSU)",
        p.display()
    );
    p
}

/// A Tansu broker on a free port, in memory, stopped on drop.
pub struct Broker {
    child: Child,
    pub url: String,
    pub bootstrap: String,
    _cwd: tempfile::TempDir,
}

impl Broker {
    pub fn start() -> Broker {
        let port = free_port();
        let cwd = tempfile::tempdir().unwrap();
        let url = format!("tcp://127.0.0.1:{port}");
        let b = Broker {
            child: Self::spawn(cwd.path(), &url),
            bootstrap: format!("127.0.0.1:{port}"),
            url,
            _cwd: cwd,
        };
        b.wait_up();
        b
    }

    fn spawn(cwd: &Path, url: &str) -> Child {
        Command::new(tansu_binary())
            .current_dir(cwd)
            .args([
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    fn wait_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ok = Command::new(tansu_binary())
                .args(["topic", "list", "--broker", &self.url])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "tansu did not come up on {}",
                self.url
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the broker (its in-memory log is lost with it).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A new broker at the same address, with an empty log: a broker that lost its disk.
    pub fn restart(&mut self) {
        self.kill();
        self.child = Self::spawn(self._cwd.path(), &self.url);
        self.wait_up();
    }

    pub fn create_topic(&self, name: &str, partitions: u32) {
        let s = Command::new(tansu_binary())
            .args([
                "topic",
                "create",
                name,
                "--partitions",
                &partitions.to_string(),
            ])
            .args(["--broker", &self.url])
            .status()
            .unwrap();
        assert!(s.success(), "creating topic {name}");
    }

    pub fn delete_topic(&self, name: &str) {
        let s = Command::new(tansu_binary())
            .args(["topic", "delete", name])
            .args(["--broker", &self.url])
            .status()
            .unwrap();
        assert!(s.success(), "deleting topic {name}");
    }

    pub fn producer(&self) -> FutureProducer {
        ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .set("linger.ms", "5")
            .create()
            .unwrap()
    }

    /// Every message of `topic` (all partitions), read from the start.
    pub fn read_all(&self, topic: &str, partitions: i32, want: usize, secs: u64) -> Vec<Msg> {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .set("group.id", "test-reader")
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions {
            tpl.add_partition_offset(topic, p, Offset::Beginning)
                .unwrap();
        }
        c.assign(&tpl).unwrap();
        let mut out = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(secs);
        while out.len() < want && Instant::now() < deadline {
            if let Some(Ok(m)) = c.poll(Duration::from_millis(200)) {
                out.push(Msg {
                    key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                    value: m.payload().map(<[u8]>::to_vec),
                    headers: m
                        .headers()
                        .map(|h| {
                            h.iter()
                                .map(|h| {
                                    (
                                        h.key.to_string(),
                                        String::from_utf8_lossy(h.value.unwrap_or_default())
                                            .into_owned(),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                });
            }
        }
        out
    }

    /// The offsets `group` committed for `topic`'s partitions.
    pub fn committed(&self, group: &str, topic: &str, partitions: i32) -> Vec<i64> {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .set("group.id", group)
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions {
            tpl.add_partition(topic, p);
        }
        let got = c.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
        got.elements()
            .iter()
            .map(|e| match e.offset() {
                Offset::Offset(o) => o,
                _ => -1,
            })
            .collect()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Msg {
    pub key: Option<String>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, String)>,
}

impl Msg {
    pub fn header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends and waits for the acknowledgement.
pub async fn send(
    p: &FutureProducer,
    topic: &str,
    partition: Option<i32>,
    key: Option<&str>,
    headers: &[(&str, &str)],
    value: &[u8],
) {
    let mut h = OwnedHeaders::new();
    for (k, v) in headers {
        h = h.insert(Header {
            key: k,
            value: Some(*v),
        });
    }
    let mut r: FutureRecord<'_, str, [u8]> = FutureRecord::to(topic).payload(value).headers(h);
    if let Some(k) = key {
        r = r.key(k);
    }
    if let Some(p) = partition {
        r = r.partition(p);
    }
    p.send(r, Duration::from_secs(10)).await.unwrap();
}

/// The API token (`read` scope) of every `gantry serve` started here.
pub const API_TOKEN: &str = "kafka-test-read-token-0123456789";

/// `gantry serve` with a `[kafka]` section; several may share one data directory (the run
/// store) as instances of one consumer group.
pub struct Gantry {
    pub child: Option<Child>,
    pub base: String,
    pub config: PathBuf,
    pub log: PathBuf,
    /// Its own scratch directory (tmpfs): instances of different tests may share a name.
    _scratch: tempfile::TempDir,
}

impl Gantry {
    /// `kafka` is the body of the `[kafka]` table (brokers and workflows are set here).
    pub fn start(
        dir: &Path,
        name: &str,
        data: &Path,
        workflows: &Path,
        broker: &Broker,
        kafka: &str,
    ) -> Gantry {
        let port = free_port();
        let config = dir.join(format!("{name}.toml"));
        let scratch = tempfile::Builder::new()
            .prefix("gantry-test-")
            .tempdir_in("/dev/shm")
            .unwrap();
        std::fs::write(
            &config,
            format!(
                "listen = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\ninstance_id = \"{name}\"\nscratch_dir = \"{}\"\ncapacity = 2\nshutdown_grace_secs = 5\n[platforms]\nubuntu-latest = \"gantry/busybox:latest\"\n[[api.tokens]]\nname = \"test\"\nscope = \"read\"\ntoken_env = \"GANTRY_TEST_TOKEN\"\n[kafka]\nbrokers = \"{}\"\nworkflows = \"{}\"\n{kafka}\n",
                data.display(),
                scratch.path().display(),
                broker.bootstrap,
                workflows.display()
            ),
        )
        .unwrap();
        let mut g = Gantry {
            child: None,
            base: format!("http://127.0.0.1:{port}"),
            log: dir.join(format!("{name}.log")),
            config,
            _scratch: scratch,
        };
        g.spawn();
        g
    }

    pub fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_gantry"))
            .args(["serve", "--config"])
            .arg(&self.config)
            .env("GANTRY_TEST_TOKEN", API_TOKEN)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.get("/healthz").is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("gantry serve did not come up: {}", self.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn get(&self, path: &str) -> Option<String> {
        let o = Command::new("curl")
            .args(["-sf", "--max-time", "10", &format!("{}{path}", self.base)])
            .args(["-H", &format!("Authorization: Bearer {API_TOKEN}")])
            .output()
            .ok()?;
        o.status
            .success()
            .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
    }

    pub fn get_json(&self, path: &str) -> Value {
        serde_json::from_str(&self.get(path).unwrap_or_default()).unwrap_or(Value::Null)
    }

    /// A counter from /metrics.
    pub fn metric(&self, name: &str) -> u64 {
        let text = self.get("/metrics").unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Whether the process still runs (a crash, a segfault, ends it).
    pub fn alive(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn terminate(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let _ = c.wait();
        }
    }
}

impl Drop for Gantry {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// `root/name` holding the given workflow files.
pub fn write_dir(root: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

/// Polls `f` until it returns Some, or fails with `what`.
pub fn wait_for<T>(secs: u64, what: &str, f: impl FnMut() -> Option<T>) -> T {
    wait_or_explain(secs, what, f, String::new)
}

/// Like [`wait_for`], and on a timeout the failure also shows `explain()` (the services'
/// logs, say), since a CI log is all there is to go on afterwards.
pub fn wait_or_explain<T>(
    secs: u64,
    what: &str,
    mut f: impl FnMut() -> Option<T>,
    explain: impl FnOnce() -> String,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() >= deadline {
            panic!("timed out: {what}\n{}", explain());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The end of a log, enough to see what a service did last.
pub fn tail(text: &str) -> &str {
    let mut start = text.len().saturating_sub(4000);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}
