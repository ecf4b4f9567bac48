//! Whether the source's brokers answer. librdkafka says when all of them are down (the
//! global `AllBrokersDown` error) but says nothing when one is back, so while they are down
//! the consumer loop asks for metadata every [`PROBE_EVERY`] (and a consumed message says so
//! too). A log line at each change; `SourceStats::broker_down` is read by the metrics.

use super::source::SourceStats;
use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// How often a metadata request asks whether the brokers answer again.
pub const PROBE_EVERY: Duration = Duration::from_secs(5);
/// How long one metadata request may take.
const PROBE_PATIENCE: Duration = Duration::from_secs(2);

/// A global client error: all brokers down marks them lost; anything else is logged.
pub(crate) fn on_error(stats: &SourceStats, error: &KafkaError, reason: &str) {
    if matches!(error, KafkaError::Global(RDKafkaErrorCode::AllBrokersDown)) {
        if !stats.broker_down.swap(true, Ordering::SeqCst) {
            tracing::error!(error = %error, reason, "kafka: the brokers do not answer: consumption waits for them");
        }
    } else {
        tracing::warn!(error = %error, reason, "kafka: client error");
    }
}

/// The brokers answered (a message, metadata).
pub(crate) fn answered(stats: &SourceStats) {
    if stats.broker_down.swap(false, Ordering::SeqCst) {
        tracing::info!("kafka: the brokers answer again: consumption goes on");
    }
}

/// When the brokers are down: one metadata request (off the async threads, as librdkafka
/// blocks), and `answered` if it was answered.
pub(crate) async fn probe<C: Consumer<X> + Send + Sync + 'static, X>(
    consumer: &Arc<C>,
    stats: &SourceStats,
) where
    X: rdkafka::consumer::ConsumerContext + 'static,
{
    if !stats.broker_down.load(Ordering::SeqCst) {
        return;
    }
    let c = consumer.clone();
    let ok = tokio::task::spawn_blocking(move || c.fetch_metadata(None, PROBE_PATIENCE).is_ok())
        .await
        .unwrap_or(false);
    if ok {
        answered(stats);
    }
}
