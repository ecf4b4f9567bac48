//! Kafka events in the service: the `on: kafka` workflows (re-read when their directory
//! changes, their topics subscribed to), and the [`Sink`] that turns a batch of consumed
//! messages into recorded events and runs. The event id is `kafka:<topic>:<partition>:
//! <offset>:<leader epoch>:<timestamp>`, or the CloudEvents `ce_id` (with `ce_source`) when the message has one, so a
//! message consumed again after a rebalance or a crash creates no second run. Messages on
//! the events topic are webhook events forwarded by an ingress instance.

use super::accept::{self, Submitted};
use super::sources::{check, Loaded, Workflows};
use super::App;
use gantry_core::model::TriggerConfig;
use gantry_engine::backend::ContainerBackend;
use gantry_kafka::{pattern, BoxFuture, Sink, Verdict};
use gantry_plan::event::{Event, KafkaMessage};
use gantry_store::StoreError;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

type Fingerprint = Vec<(PathBuf, Option<SystemTime>, u64)>;

/// The workflow files of `[kafka] workflows`, cached until the directory changes.
pub struct KafkaWorkflows {
    dir: Option<PathBuf>,
    state: Mutex<(Fingerprint, Workflows)>,
}

fn fingerprint(dir: &Path) -> Fingerprint {
    let mut f: Fingerprint = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| {
                    let p = e.path();
                    let name = p.to_string_lossy();
                    if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
                        return None;
                    }
                    let m = e.metadata().ok()?;
                    Some((p, m.modified().ok(), m.len()))
                })
                .collect()
        })
        .unwrap_or_default();
    f.sort();
    f
}

impl KafkaWorkflows {
    pub fn new(dir: Option<PathBuf>) -> KafkaWorkflows {
        let k = KafkaWorkflows {
            dir,
            state: Mutex::new((Vec::new(), Arc::new(Vec::new()))),
        };
        k.refresh();
        k
    }

    pub fn current(&self) -> Workflows {
        self.state.lock().map(|s| s.1.clone()).unwrap_or_default()
    }

    /// How many workflows are loaded (without copying them: asked before every batch).
    pub fn count(&self) -> usize {
        self.state.lock().map(|s| s.1.len()).unwrap_or_default()
    }

    /// Re-reads the files when the directory changed.
    pub fn refresh(&self) {
        let Some(dir) = &self.dir else { return };
        let fp = fingerprint(dir);
        if self.state.lock().map(|s| s.0 == fp).unwrap_or(false) {
            return;
        }
        let loaded: Vec<Loaded> = fp
            .iter()
            .filter_map(|(p, _, _)| {
                let bytes = std::fs::read(p).ok()?;
                Some(check(p.display().to_string(), &bytes))
            })
            .collect();
        for l in &loaded {
            for e in &l.errors {
                tracing::warn!("kafka workflow: {e}");
            }
        }
        if let Ok(mut s) = self.state.lock() {
            *s = (fp, Arc::new(loaded));
        }
    }

    /// Subscriptions for every topic an `on: kafka` trigger names.
    pub fn topics(&self) -> Vec<String> {
        let mut out = Vec::new();
        for l in self.current().iter() {
            let Some(on) = l.workflow.as_ref().and_then(|w| w.on.as_ref()) else {
                continue;
            };
            for t in &on.value.events {
                if let TriggerConfig::Kafka(k) = &t.config {
                    out.extend(k.topics.iter().map(|t| pattern::subscription(&t.value)));
                }
            }
        }
        out
    }
}

pub struct KafkaSink<B: ContainerBackend> {
    pub app: Arc<App<B>>,
}

/// The event id of a message: its CloudEvents id when it has one, else where it is and
/// which record is there. An offset alone is reused when a topic is deleted and created again
/// or a log is truncated (an unclean leader election, a broker that lost its disk); the
/// record's leader epoch and timestamp are stored with it, so a redelivery keeps the id and
/// a different record at the same offset gets a new one (docs/kafka.md, "Event ids").
pub fn event_id(m: &KafkaMessage) -> String {
    let or_dash = |v: Option<i64>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
    let header = |name: &str| {
        m.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_deref())
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    match header("ce_id") {
        Some(id) => format!("kafka:ce:{}:{id}", header("ce_source").unwrap_or_default()),
        None => format!(
            "kafka:{}:{}:{}:{}:{}",
            m.topic,
            m.partition,
            m.offset,
            or_dash(m.leader_epoch.map(i64::from)),
            or_dash(m.timestamp)
        ),
    }
}

/// A message on the events topic that is not a forwarded event; the dead letter's reason.
#[derive(Debug, thiserror::Error)]
#[error(
    "not_event: the value is not a forwarded event ({{id, source, event}}): {error} at line {} column {}",
    error.line(),
    error.column()
)]
struct NotForwarded {
    error: serde_json::Error,
}

/// A webhook event forwarded by an ingress instance: `{id, source, event}`.
fn forwarded(m: &KafkaMessage) -> Result<(String, String, Event), NotForwarded> {
    #[derive(serde::Deserialize)]
    struct Body {
        id: String,
        source: String,
        event: Event,
    }
    let v = m.value.as_deref().unwrap_or_default();
    let b: Body = serde_json::from_slice(v).map_err(|error| NotForwarded { error })?;
    Ok((b.id, b.source, b.event))
}

impl<B: ContainerBackend> KafkaSink<B> {
    /// Decides a message and hands it to the store; `Err`: its verdict is known already.
    async fn submit(&self, m: KafkaMessage, workflows: &Workflows) -> Result<Submitted, Verdict> {
        let app = &self.app;
        let events_topic = app
            .settings
            .cfg
            .kafka
            .as_ref()
            .and_then(|k| k.events_topic.as_deref());
        if events_topic == Some(m.topic.as_str()) {
            let (id, source, mut ev) = forwarded(&m).map_err(|e| Verdict::Reject(e.to_string()))?;
            let wf = accept::workflows_for(app, &source, &mut ev).await;
            if let Some(e) = wf.as_ref().err().filter(|e| e.is_transient()) {
                return Err(Verdict::Retry(e.to_string()));
            }
            let d = accept::decide(&ev, &wf);
            return accept::submit(app, id, &source, &ev, d)
                .await
                .map_err(|e| verdict(Err(e)));
        }
        let require_json = app
            .settings
            .cfg
            .kafka
            .as_ref()
            .is_some_and(|k| k.require_json);
        if require_json {
            if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(
                m.value.as_deref().unwrap_or_default(),
            ) {
                return Err(Verdict::Reject(format!(
                    "not_json: the value is not JSON (require_json): {e} at line {} column {}",
                    e.line(),
                    e.column()
                )));
            }
        }
        let id = event_id(&m);
        let mut ev = m.into_event();
        if let Some(r) = app
            .settings
            .cfg
            .kafka
            .as_ref()
            .and_then(|k| k.repository.clone())
        {
            ev.meta.repository = Some(r);
        }
        let d = accept::decide(&ev, &Ok(workflows.clone()));
        accept::submit(app, id, "kafka", &ev, d)
            .await
            .map_err(|e| verdict(Err(e)))
    }
}

/// A store that cannot write makes the source wait (the message is not its own problem);
/// any other failure is retried and, in the end, dead-lettered.
fn verdict(r: Result<gantry_store::Accepted, StoreError>) -> Verdict {
    match r {
        Ok(_) => Verdict::Recorded,
        Err(e) if e.is_unavailable() => Verdict::Unavailable(e.to_string()),
        Err(e) => Verdict::Retry(e.to_string()),
    }
}

impl<B: ContainerBackend> Sink for KafkaSink<B> {
    fn topics(&self) -> Vec<String> {
        let Some(k) = &self.app.sources.kafka else {
            return Vec::new();
        };
        k.refresh();
        let mut t = k.topics();
        if let Some(e) = self
            .app
            .settings
            .cfg
            .kafka
            .as_ref()
            .and_then(|k| k.events_topic.clone())
        {
            t.push(e);
        }
        t
    }

    fn record(&self, batch: Vec<KafkaMessage>) -> BoxFuture<'_, Vec<Verdict>> {
        Box::pin(async move {
            let workflows = self
                .app
                .sources
                .kafka
                .as_ref()
                .map(|k| k.current())
                .unwrap_or_default();
            // All handed over before any answer is awaited: the store commits them
            // together (one transaction, one fsync).
            let mut submitted = Vec::with_capacity(batch.len());
            for m in batch {
                submitted.push(self.submit(m, &workflows).await);
            }
            let mut verdicts = Vec::with_capacity(submitted.len());
            for s in submitted {
                verdicts.push(match s {
                    Ok(s) => verdict(accept::settle(&self.app, s).await),
                    Err(v) => v,
                });
            }
            verdicts
        })
    }

    /// Room for messages within `max_queued_runs`: a message makes at most one run per
    /// `on: kafka` workflow, so the room is counted in those (exact with one workflow). An
    /// empty queue takes at least one message, so a limit below the workflows' number
    /// cannot stop consumption for good.
    fn room(&self) -> usize {
        let limit = self
            .app
            .settings
            .cfg
            .kafka
            .as_ref()
            .map_or(1000, |k| k.max_queued_runs) as i64;
        let queued = self.app.runs.metrics.queue_depth.load(Ordering::Relaxed);
        let per_message = self
            .app
            .sources
            .kafka
            .as_ref()
            .map_or(1, |k| k.count().max(1)) as i64;
        match (limit - queued.max(0)).max(0) {
            0 => 0,
            _ if queued <= 0 => ((limit / per_message).max(1)) as usize,
            free => (free / per_message) as usize,
        }
    }

    fn can_record(&self) -> bool {
        self.app.runs.store.writable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_that_is_not_a_forwarded_event_says_where() {
        let m = |value: &str| KafkaMessage {
            topic: "events".into(),
            partition: 0,
            offset: 1,
            key: None,
            headers: Vec::new(),
            timestamp: None,
            leader_epoch: None,
            value: Some(value.as_bytes().to_vec()),
        };
        let e = forwarded(&m("{\"id\": 1}")).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "not_event: the value is not a forwarded event ({id, source, event}): invalid type"
            ) && e.ends_with(" at line 1 column 8"),
            "{e}"
        );
    }
}
