//! The consumer loop. Messages are read in batches and handed to the [`Sink`]; a message's
//! offset is stored only once the sink recorded it (or it reached the dead-letter topic),
//! and librdkafka commits stored offsets on an interval and — through the rebalance
//! callback — before partitions are revoked. The loop never waits for a container: the sink
//! only records. When the sink has no room the partitions are paused, and the loop keeps
//! polling so the group does not evict the instance.

use super::dead_letter::{DeadLetter, Why};
use super::publish::Publisher;
use super::{broker_health, client, KafkaConfig, Sink, Verdict};
use futures_util::FutureExt;
use gantry_plan::event::KafkaMessage;
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("kafka client for {brokers}: {error}")]
    Client { brokers: String, error: KafkaError },
    #[error("subscribing to {topics:?}: {error}")]
    Subscribe {
        topics: Vec<String>,
        error: KafkaError,
    },
}

/// Counters the service exposes as metrics.
#[derive(Default)]
pub struct SourceStats {
    pub consumed: AtomicU64,
    pub recorded: AtomicU64,
    pub dead_lettered: AtomicU64,
    pub paused: AtomicBool,
    /// librdkafka said all brokers are down, and none answered since (`broker_health`).
    pub broker_down: AtomicBool,
}

struct Ctx {
    stats: Arc<SourceStats>,
}

impl ClientContext for Ctx {
    fn error(&self, error: KafkaError, reason: &str) {
        broker_health::on_error(&self.stats, &error, reason);
    }
}

impl ConsumerContext for Ctx {
    /// Offsets stored so far belong to recorded messages: commit them before the partitions
    /// go to another instance, so it does not consume them again.
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(_) = rebalance {
            if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
                // Nothing stored yet is fine; otherwise the next owner consumes again what
                // was recorded here, and the event ids dedupe it.
                tracing::debug!(error = %e, "kafka: commit before a revocation");
            }
        }
    }
}

const MAX_BATCH: usize = 2000;

fn owned(m: &BorrowedMessage<'_>) -> KafkaMessage {
    let headers = m
        .headers()
        .map(|h| {
            h.iter()
                .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                .collect()
        })
        .unwrap_or_default();
    KafkaMessage {
        topic: m.topic().to_string(),
        partition: m.partition(),
        offset: m.offset(),
        key: m.key().map(<[u8]>::to_vec),
        headers,
        timestamp: m.timestamp().to_millis(),
        leader_epoch: leader_epoch(m),
        value: m.payload().map(<[u8]>::to_vec),
    }
}

/// The record's partition leader epoch; rdkafka has no accessor for it.
fn leader_epoch(m: &BorrowedMessage<'_>) -> Option<i32> {
    // SAFETY: `m.ptr()` is the live message `m` borrows; the call only reads it.
    let epoch = unsafe { rdkafka::bindings::rd_kafka_message_leader_epoch(m.ptr()) };
    (epoch >= 0).then_some(epoch)
}

/// Consumes until `shutdown`, then commits what was recorded and leaves the group. Dead
/// letters go out through `producer`, the instance's shared one.
pub async fn run_source(
    cfg: &KafkaConfig,
    secret: &BTreeMap<String, String>,
    producer: Publisher,
    sink: Arc<dyn Sink>,
    stats: Arc<SourceStats>,
    shutdown: CancellationToken,
) -> Result<(), SourceError> {
    let client_err = |error| SourceError::Client {
        brokers: cfg.brokers.clone(),
        error,
    };
    if !crate::metadata_guard_active() {
        tracing::warn!("kafka: built without the librdkafka metadata guard; deleting a subscribed topic may crash this process");
    }
    let ctx = Ctx {
        stats: stats.clone(),
    };
    let consumer: Arc<StreamConsumer<Ctx>> = Arc::new(
        client::consumer(cfg, secret)
            .create_with_context(ctx)
            .map_err(client_err)?,
    );
    let mut next_probe = Instant::now();
    let dead = DeadLetter::new(producer, &cfg.dead_letter_topic);
    let reload = Duration::from_secs(cfg.reload_secs.max(1));
    let mut subscribed: Vec<String> = Vec::new();
    let mut next_reload = Instant::now();
    let mut paused = false;
    loop {
        if shutdown.is_cancelled() {
            break;
        }
        if Instant::now() >= next_reload {
            resubscribe(&consumer, sink.as_ref(), &mut subscribed)?;
            next_reload = Instant::now() + reload;
        }
        if Instant::now() >= next_probe {
            broker_health::probe(&consumer, &stats).await;
            next_probe = Instant::now() + broker_health::PROBE_EVERY;
        }
        let room = sink.room();
        paused = pause_unless_room(&consumer, sink.as_ref(), room, paused);
        stats.paused.store(paused, Ordering::Relaxed);
        let first = tokio::select! {
            _ = shutdown.cancelled() => break,
            m = consumer.recv() => m,
            _ = tokio::time::sleep(Duration::from_millis(200)) => continue,
        };
        let first = match first {
            Ok(m) => owned(&m),
            Err(e) => {
                tracing::warn!(error = %e, "kafka: consuming");
                continue;
            }
        };
        broker_health::answered(&stats);
        let batch = read_batch(&consumer, first, room);
        stats
            .consumed
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        let done = handle(cfg, &*sink, &dead, &stats, &shutdown, &batch).await;
        if !done {
            // Shutting down with part of the batch unrecorded: store nothing of it; the
            // next owner of these partitions consumes them again (the event ids dedupe).
            break;
        }
        store_offsets(&consumer, &batch);
    }
    match consumer.commit_consumer_state(CommitMode::Sync) {
        Ok(()) | Err(KafkaError::ConsumerCommit(rdkafka::types::RDKafkaErrorCode::NoOffset)) => {}
        Err(e) => tracing::error!(error = %e, "kafka: final commit"),
    }
    consumer.unsubscribe();
    Ok(())
}

/// Subscribes to the sink's topics when they changed since `subscribed`.
fn resubscribe(
    consumer: &StreamConsumer<Ctx>,
    sink: &dyn Sink,
    subscribed: &mut Vec<String>,
) -> Result<(), SourceError> {
    let mut topics = sink.topics();
    topics.sort();
    topics.dedup();
    if topics == *subscribed {
        return Ok(());
    }
    if topics.is_empty() {
        consumer.unsubscribe();
    } else {
        let refs: Vec<&str> = topics.iter().map(String::as_str).collect();
        consumer
            .subscribe(&refs)
            .map_err(|error| SourceError::Subscribe {
                topics: topics.clone(),
                error,
            })?;
        tracing::info!("kafka: subscribed to {}", topics.join(", "));
    }
    *subscribed = topics;
    Ok(())
}

/// `first` and what else librdkafka has at hand, no more than fits (`room`): what it fetched
/// beyond is dropped by the pause and fetched again on resume.
fn read_batch(
    consumer: &StreamConsumer<Ctx>,
    first: KafkaMessage,
    room: usize,
) -> Vec<KafkaMessage> {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH.min(room) {
        match consumer.recv().now_or_never() {
            Some(Ok(m)) => batch.push(owned(&m)),
            Some(Err(e)) => tracing::warn!(error = %e, "kafka: consuming"),
            None => break,
        }
    }
    batch
}

/// Pauses the assigned partitions while the sink is full (`room` 0) or cannot record,
/// resumes them when it can again (`paused`: they were paused); whether they are paused
/// now. Re-paused each turn, as a rebalance brings unpaused partitions.
fn pause_unless_room(
    consumer: &StreamConsumer<Ctx>,
    sink: &dyn Sink,
    room: usize,
    paused: bool,
) -> bool {
    let room = room > 0 && sink.can_record();
    if let Ok(assigned) = consumer.assignment() {
        let changed = if !room {
            consumer.pause(&assigned)
        } else if paused {
            consumer.resume(&assigned)
        } else {
            Ok(())
        };
        if let Err(e) = changed {
            tracing::warn!(error = %e, pause = !room, "kafka: pausing or resuming partitions");
        }
    }
    !room
}

/// Stores, per partition, the offset after the last message of the batch.
fn store_offsets(consumer: &StreamConsumer<Ctx>, batch: &[KafkaMessage]) {
    let mut next: HashMap<(&str, i32), i64> = HashMap::new();
    for m in batch {
        let e = next.entry((&m.topic, m.partition)).or_insert(0);
        *e = (*e).max(m.offset + 1);
    }
    let mut tpl = TopicPartitionList::new();
    for ((topic, partition), offset) in next {
        if let Err(e) = tpl.add_partition_offset(topic, partition, Offset::Offset(offset)) {
            tracing::warn!(topic, partition, error = %e, "kafka: an offset to store");
        }
    }
    if let Err(e) = consumer.store_offsets(&tpl) {
        // A partition revoked meanwhile: its new owner reads these again and the event ids
        // dedupe them.
        tracing::warn!(error = %e, "kafka: storing offsets");
    }
}

/// Records the batch (retrying what may pass), dead-letters what cannot be recorded.
/// False when shutdown interrupted it before every message was recorded or dead-lettered.
async fn handle(
    cfg: &KafkaConfig,
    sink: &dyn Sink,
    dead: &DeadLetter,
    stats: &SourceStats,
    shutdown: &CancellationToken,
    batch: &[KafkaMessage],
) -> bool {
    let mut letters: Vec<(&KafkaMessage, Why)> = Vec::new();
    let mut pending: Vec<(&KafkaMessage, u32)> = Vec::new();
    for m in batch {
        let size = m.value.as_ref().map_or(0, Vec::len);
        if size > cfg.max_message_bytes {
            let detail = format!(
                "the value is {size} bytes; the limit (max_message_bytes) is {}",
                cfg.max_message_bytes
            );
            letters.push((m, why("too_large", detail)));
        } else {
            pending.push((m, 1));
        }
    }
    let Some(failed) = record(cfg, sink, stats, shutdown, pending).await else {
        return false;
    };
    letters.extend(failed);
    dead_letter(dead, stats, shutdown, letters).await
}

fn why(reason: &str, detail: String) -> Why {
    Why {
        reason: reason.into(),
        detail,
    }
}

/// Hands the messages (each with its attempt number) to the sink until each is recorded or
/// is to be dead-lettered (returned). A message the sink cannot record because it cannot
/// record anything now is neither counted nor dead-lettered: the batch waits for the sink.
/// `None`: shutdown came first.
async fn record<'a>(
    cfg: &KafkaConfig,
    sink: &dyn Sink,
    stats: &SourceStats,
    shutdown: &CancellationToken,
    mut pending: Vec<(&'a KafkaMessage, u32)>,
) -> Option<Vec<(&'a KafkaMessage, Why)>> {
    let mut letters = Vec::new();
    while !pending.is_empty() {
        let verdicts = sink
            .record(pending.iter().map(|(m, _)| (*m).clone()).collect())
            .await;
        let mut again = Vec::new();
        let mut stalled = None;
        for ((m, attempt), v) in pending.into_iter().zip(verdicts) {
            match v {
                Verdict::Recorded => {
                    stats.recorded.fetch_add(1, Ordering::Relaxed);
                }
                Verdict::Reject(detail) => {
                    let (reason, detail) = detail
                        .split_once(": ")
                        .map(|(r, d)| (r.to_string(), d.to_string()))
                        .unwrap_or(("rejected".into(), detail));
                    letters.push((m, why(&reason, detail)));
                }
                Verdict::Retry(detail) if attempt >= cfg.max_attempts => {
                    let detail = format!("not recorded after {attempt} attempts: {detail}");
                    letters.push((m, why("record_failed", detail)));
                }
                Verdict::Retry(_) => again.push((m, attempt + 1)),
                Verdict::Unavailable(cause) => {
                    stalled = Some(cause);
                    again.push((m, attempt));
                }
            }
        }
        pending = again;
        if pending.is_empty() {
            break;
        }
        let go_on = match stalled {
            Some(cause) => wait_for_sink(sink, stats, shutdown, &cause).await,
            None => {
                let attempt = pending.iter().map(|(_, a)| *a).max().unwrap_or(2) - 1;
                let backoff = Duration::from_millis(100 << attempt.min(6));
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => true,
                    _ = shutdown.cancelled() => false,
                }
            }
        };
        if !go_on {
            return None;
        }
    }
    Some(letters)
}

/// Waits, paused, until the sink can record again; false when shutdown came first.
async fn wait_for_sink(
    sink: &dyn Sink,
    stats: &SourceStats,
    shutdown: &CancellationToken,
    cause: &str,
) -> bool {
    tracing::warn!(
        cause,
        "kafka: the sink cannot record: consumption waits until it can"
    );
    stats.paused.store(true, Ordering::Relaxed);
    let mut wait = Duration::from_millis(200);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.cancelled() => return false,
        }
        if sink.can_record() {
            tracing::info!("kafka: the sink records again");
            return true;
        }
        wait = (wait * 2).min(Duration::from_secs(2));
    }
}

/// Puts the letters on the dead-letter topic, in partition order; each must land before
/// the offset moves past it, so each is retried until it does. False on shutdown.
async fn dead_letter(
    dead: &DeadLetter,
    stats: &SourceStats,
    shutdown: &CancellationToken,
    mut letters: Vec<(&KafkaMessage, Why)>,
) -> bool {
    letters.sort_by(|(a, _), (b, _)| {
        (&a.topic, a.partition, a.offset).cmp(&(&b.topic, b.partition, b.offset))
    });
    for (m, why) in letters {
        let mut wait = Duration::from_millis(200);
        loop {
            match dead.send(m, &why).await {
                Ok(()) => {
                    stats.dead_lettered.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        "kafka: {}[{}]@{} dead-lettered to {} ({}: {})",
                        m.topic,
                        m.partition,
                        m.offset,
                        dead.topic,
                        why.reason,
                        why.detail
                    );
                    break;
                }
                Err(e) => {
                    tracing::warn!(topic = %dead.topic, error = %e, "kafka: dead-lettering");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.cancelled() => return false,
                    }
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
            }
        }
    }
    true
}
