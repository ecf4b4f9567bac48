//! Counters for `GET /metrics` (Prometheus text format): events received and rejected by
//! reason, runs by conclusion (from the store), queue depth, and step durations.

use gantry_engine::Conclusion;
use gantry_store::Status;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

#[derive(Default)]
pub struct Metrics {
    pub received: AtomicU64,
    pub accepted: AtomicU64,
    pub duplicates: AtomicU64,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    pub queue_depth: AtomicI64,
    /// Step durations: count, sum (ms), and a few buckets (ms).
    steps: Mutex<(u64, u64, [u64; 6])>,
}

const BUCKETS: [u64; 6] = [100, 500, 1_000, 5_000, 30_000, 300_000];

impl Metrics {
    pub fn reject(&self, reason: &'static str) {
        if let Ok(mut r) = self.rejected.lock() {
            *r.entry(reason).or_default() += 1;
        }
    }

    pub fn step(&self, ms: u64) {
        if let Ok(mut s) = self.steps.lock() {
            s.0 += 1;
            s.1 += ms;
            for (i, b) in BUCKETS.iter().enumerate() {
                if ms <= *b {
                    s.2[i] += 1;
                }
            }
        }
    }

    pub fn render(
        &self,
        runs: &[(Status, Option<Conclusion>, i64)],
        kafka: Option<&gantry_kafka::SourceStats>,
    ) -> String {
        let mut o = String::new();
        if let Some(k) = kafka {
            for (name, v) in [
                ("consumed", &k.consumed),
                ("recorded", &k.recorded),
                ("dead_lettered", &k.dead_lettered),
            ] {
                o.push_str(&format!(
                    "# TYPE gantry_kafka_messages_{name}_total counter\ngantry_kafka_messages_{name}_total {}\n",
                    v.load(Ordering::Relaxed)
                ));
            }
            o.push_str(&format!(
                "# TYPE gantry_kafka_paused gauge\ngantry_kafka_paused {}\n",
                u8::from(k.paused.load(Ordering::Relaxed))
            ));
            o.push_str(&format!(
                "# TYPE gantry_kafka_broker_up gauge\ngantry_kafka_broker_up {}\n",
                u8::from(!k.broker_down.load(Ordering::Relaxed))
            ));
        }
        o.push_str("# TYPE gantry_events_received_total counter\n");
        o.push_str(&format!(
            "gantry_events_received_total {}\n",
            self.received.load(Ordering::Relaxed)
        ));
        o.push_str("# TYPE gantry_events_accepted_total counter\n");
        o.push_str(&format!(
            "gantry_events_accepted_total {}\n",
            self.accepted.load(Ordering::Relaxed)
        ));
        o.push_str("# TYPE gantry_events_duplicate_total counter\n");
        o.push_str(&format!(
            "gantry_events_duplicate_total {}\n",
            self.duplicates.load(Ordering::Relaxed)
        ));
        o.push_str("# TYPE gantry_events_rejected_total counter\n");
        if let Ok(r) = self.rejected.lock() {
            for (reason, n) in r.iter() {
                o.push_str(&format!(
                    "gantry_events_rejected_total{{reason=\"{reason}\"}} {n}\n"
                ));
            }
        }
        o.push_str("# TYPE gantry_runs gauge\n");
        for (status, conclusion, n) in runs {
            o.push_str(&format!(
                "gantry_runs{{status=\"{status}\",conclusion=\"{}\"}} {n}\n",
                conclusion.map_or("", Conclusion::as_str)
            ));
        }
        o.push_str("# TYPE gantry_queue_depth gauge\n");
        o.push_str(&format!(
            "gantry_queue_depth {}\n",
            self.queue_depth.load(Ordering::Relaxed)
        ));
        o.push_str("# TYPE gantry_step_duration_seconds histogram\n");
        if let Ok(s) = self.steps.lock() {
            for (i, b) in BUCKETS.iter().enumerate() {
                o.push_str(&format!(
                    "gantry_step_duration_seconds_bucket{{le=\"{}\"}} {}\n",
                    *b as f64 / 1000.0,
                    s.2[i]
                ));
            }
            o.push_str(&format!(
                "gantry_step_duration_seconds_bucket{{le=\"+Inf\"}} {}\n",
                s.0
            ));
            o.push_str(&format!(
                "gantry_step_duration_seconds_sum {}\n",
                s.1 as f64 / 1000.0
            ));
            o.push_str(&format!("gantry_step_duration_seconds_count {}\n", s.0));
        }
        o
    }
}
