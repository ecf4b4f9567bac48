//! The Kafka source's delivery guarantees, against librdkafka's own mock broker
//! (`MockCluster`, in-process): an offset is committed only after the sink recorded the
//! message, and a message the sink keeps failing to record is dead-lettered after bounded
//! attempts (with its reason) while the messages after it still arrive; a sink that cannot
//! record anything (its store's disk is full) makes the source wait, counting no attempt,
//! dead-lettering and committing nothing, until it can.

use gantry_kafka::{
    run_source, BoxFuture, KafkaConfig, Publisher, Sink, SourceError, SourceStats, Verdict,
};
use gantry_plan::event::KafkaMessage;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{DefaultProducerContext, FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;

/// A sink that holds every batch until released, and keeps failing messages keyed `retry`.
/// With `trip` set, its store goes down at the first batch (`down`): it answers
/// `Unavailable` and cannot record until `down` is cleared.
struct Gate {
    open: AtomicBool,
    room: AtomicBool,
    trip: AtomicBool,
    down: AtomicBool,
    seen: Mutex<Vec<KafkaMessage>>,
    recorded: Mutex<Vec<i64>>,
}

impl Sink for Gate {
    fn topics(&self) -> Vec<String> {
        vec!["events".into()]
    }
    fn record(&self, batch: Vec<KafkaMessage>) -> BoxFuture<'_, Vec<Verdict>> {
        Box::pin(async move {
            self.seen.lock().unwrap().extend(batch.iter().cloned());
            while !self.open.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if self.trip.swap(false, Ordering::SeqCst) {
                self.down.store(true, Ordering::SeqCst);
            }
            if self.down.load(Ordering::SeqCst) {
                let full = || Verdict::Unavailable("database or disk is full".into());
                return batch.iter().map(|_| full()).collect();
            }
            batch
                .iter()
                .map(|m| {
                    if m.key.as_deref() == Some(b"retry") {
                        Verdict::Retry("the store is read-only".into())
                    } else {
                        self.recorded.lock().unwrap().push(m.offset);
                        Verdict::Recorded
                    }
                })
                .collect()
        })
    }
    fn room(&self) -> usize {
        if self.room.load(Ordering::SeqCst) {
            usize::MAX
        } else {
            0
        }
    }
    fn can_record(&self) -> bool {
        !self.down.load(Ordering::SeqCst)
    }
}

fn config(bootstrap: &str) -> KafkaConfig {
    toml::from_str(&format!(
        "brokers = \"{bootstrap}\"\ngroup_id = \"g\"\ncommit_interval_ms = 100\nmax_attempts = 2\ndead_letter_topic = \"dead\"\n[options]\n\"session.timeout.ms\" = \"6000\"\n"
    ))
    .unwrap()
}

fn committed(bootstrap: &str) -> i64 {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "g")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition("events", 0);
    match c
        .committed_offsets(tpl, Duration::from_secs(5))
        .unwrap()
        .elements()[0]
        .offset()
    {
        Offset::Offset(o) => o,
        _ => -1,
    }
}

async fn wait_until(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Gate {
    /// `open`: batches are recorded at once; `room`: the sink has room for more.
    fn new(open: bool, room: bool) -> Arc<Gate> {
        Arc::new(Gate {
            open: AtomicBool::new(open),
            room: AtomicBool::new(room),
            trip: AtomicBool::new(false),
            down: AtomicBool::new(false),
            seen: Mutex::new(Vec::new()),
            recorded: Mutex::new(Vec::new()),
        })
    }
}

/// Runs the source against `bootstrap` with `gate` as its sink, until the token is cancelled.
fn spawn_source(
    bootstrap: &str,
    gate: &Arc<Gate>,
) -> (
    Arc<SourceStats>,
    CancellationToken,
    tokio::task::JoinHandle<Result<(), SourceError>>,
) {
    let stats = Arc::new(SourceStats::default());
    let stop = CancellationToken::new();
    let cfg = config(bootstrap);
    let dlq = Publisher::new(&cfg, &BTreeMap::new()).unwrap();
    let (gate, s, t): (Arc<dyn Sink>, _, _) = (gate.clone(), stats.clone(), stop.clone());
    let task =
        tokio::spawn(async move { run_source(&cfg, &BTreeMap::new(), dlq, gate, s, t).await });
    (stats, stop, task)
}

/// A one-broker mock cluster with the `events` and `dead` topics, its bootstrap address,
/// and a runtime for the source.
fn cluster_with_topics() -> (
    MockCluster<'static, DefaultProducerContext>,
    String,
    Runtime,
) {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("events", 1, 1).unwrap();
    cluster.create_topic("dead", 1, 1).unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    (cluster, bootstrap, rt)
}

fn producer(bootstrap: &str) -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap()
}

#[test]
fn offsets_are_committed_only_after_recording_and_failures_are_dead_lettered() {
    // The mock broker lives as long as `_cluster` does.
    let (_cluster, bootstrap, rt) = cluster_with_topics();
    rt.block_on(async {
        let producer = producer(&bootstrap);
        for (i, key) in ["a", "b", "retry", "c", "d"].iter().enumerate() {
            producer
                .send(
                    FutureRecord::to("events")
                        .key(*key)
                        .payload(&format!("{{\"i\": {i}}}")),
                    Duration::from_secs(5),
                )
                .await
                .unwrap();
        }
        let gate = Gate::new(false, true);
        let (stats, stop, task) = spawn_source(&bootstrap, &gate);
        wait_until(30, "the sink received messages", || {
            !gate.seen.lock().unwrap().is_empty()
        })
        .await;
        // The sink has them but has not answered: many commit intervals pass, nothing is
        // committed.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let b = bootstrap.clone();
        let before = tokio::task::spawn_blocking(move || committed(&b))
            .await
            .unwrap();
        assert_eq!(before, -1, "an offset was committed before recording");
        gate.open.store(true, Ordering::SeqCst);
        let b = bootstrap.clone();
        wait_until(30, "all five offsets committed", || committed(&b) == 5).await;
        assert_eq!(*gate.recorded.lock().unwrap(), vec![0, 1, 3, 4]);
        // `retry` failed twice (max_attempts = 2), then went to the dead-letter topic.
        let tries = gate
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.key.as_deref() == Some(b"retry"))
            .count();
        assert_eq!(tries, 2);
        assert_eq!(stats.dead_lettered.load(Ordering::SeqCst), 1);
        stop.cancel();
        task.await.unwrap().unwrap();
    });
    let dead: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", "reader")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("dead", 0, Offset::Beginning)
        .unwrap();
    dead.assign(&tpl).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let m = loop {
        if let Some(Ok(m)) = dead.poll(Duration::from_millis(200)) {
            break m.detach();
        }
        assert!(
            Instant::now() < deadline,
            "nothing on the dead-letter topic"
        );
    };
    assert_eq!(m.key(), Some(&b"retry"[..]));
    assert_eq!(m.payload(), Some(&b"{\"i\": 2}"[..]));
    let h: BTreeMap<String, String> = m
        .headers()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h.key.to_string(),
                String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
            )
        })
        .collect();
    assert_eq!(h["gantry-dlq-reason"], "record_failed");
    assert!(
        h["gantry-dlq-detail"].contains("not recorded after 2 attempts: the store is read-only"),
        "{h:?}"
    );
    assert_eq!(h["gantry-dlq-offset"], "2");
}

#[test]
fn a_sink_without_room_pauses_consumption_until_it_has_room() {
    // The mock broker lives as long as `_cluster` does.
    let (_cluster, bootstrap, rt) = cluster_with_topics();
    rt.block_on(async {
        let producer = producer(&bootstrap);
        let gate = Gate::new(true, false);
        let (stats, stop, task) = spawn_source(&bootstrap, &gate);
        wait_until(10, "paused", || stats.paused.load(Ordering::SeqCst)).await;
        for i in 0..3 {
            producer
                .send(
                    FutureRecord::to("events").key("k").payload(&format!("{i}")),
                    Duration::from_secs(5),
                )
                .await
                .unwrap();
        }
        // Paused: the group is joined and polled, but nothing reaches the sink.
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(
            gate.seen.lock().unwrap().is_empty(),
            "consumed while paused"
        );
        gate.room.store(true, Ordering::SeqCst);
        wait_until(30, "resumed and recorded", || {
            gate.recorded.lock().unwrap().len() == 3
        })
        .await;
        assert!(!stats.paused.load(Ordering::SeqCst));
        stop.cancel();
        task.await.unwrap().unwrap();
    });
}

#[test]
fn a_sink_that_cannot_record_holds_the_batch_without_counting_or_committing() {
    // The mock broker lives as long as `_cluster` does.
    let (_cluster, bootstrap, rt) = cluster_with_topics();
    rt.block_on(async {
        let producer = producer(&bootstrap);
        for i in 0..3 {
            producer
                .send(
                    FutureRecord::to("events").key("k").payload(&format!("{i}")),
                    Duration::from_secs(5),
                )
                .await
                .unwrap();
        }
        let gate = Gate::new(true, true);
        gate.trip.store(true, Ordering::SeqCst);
        let (stats, stop, task) = spawn_source(&bootstrap, &gate);
        wait_until(30, "the sink's store went down", || {
            gate.down.load(Ordering::SeqCst) && stats.paused.load(Ordering::SeqCst)
        })
        .await;
        // Down for many commit intervals and more than max_attempts (2) backoffs: the batch
        // is not tried again, not dead-lettered, and nothing is committed.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let b = bootstrap.clone();
        let during = tokio::task::spawn_blocking(move || committed(&b))
            .await
            .unwrap();
        assert_eq!(
            during, -1,
            "an offset was committed while nothing was recorded"
        );
        // Only the first batch reached the sink, once: the rest waits, paused, in Kafka.
        let seen: Vec<i64> = gate.seen.lock().unwrap().iter().map(|m| m.offset).collect();
        let mut distinct = seen.clone();
        distinct.sort();
        distinct.dedup();
        assert!(
            !seen.is_empty() && seen.len() == distinct.len(),
            "tried again while down: {seen:?}"
        );
        assert_eq!(stats.dead_lettered.load(Ordering::SeqCst), 0);
        gate.down.store(false, Ordering::SeqCst);
        let b = bootstrap.clone();
        wait_until(30, "recorded and committed", || committed(&b) == 3).await;
        assert_eq!(*gate.recorded.lock().unwrap(), vec![0, 1, 2]);
        assert_eq!(stats.dead_lettered.load(Ordering::SeqCst), 0);
        stop.cancel();
        task.await.unwrap().unwrap();
    });
}
