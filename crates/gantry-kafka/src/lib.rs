//! The Kafka edge of `gantry serve`: a consumer-group source that turns messages into
//! `kafka` events, a dead-letter publisher for messages that cannot become events, a
//! forwarder that puts webhook events on an events topic for any instance of the group to
//! run, and run conclusions on `publish:` topics — the last three through one shared
//! producer. This is the only module that names rdkafka; what happens to a message once it is
//! consumed is behind the [`Sink`] trait, so the delivery guarantees (offsets stored only
//! after the sink answers, commit on revocation, pause when full) are testable on their own.

mod broker_health;
mod client;
pub mod config;
mod dead_letter;
mod forward;
mod guard;
pub mod pattern;
mod publish;
mod source;

pub use config::KafkaConfig;
pub use forward::{Forwarded, Forwarder};
pub use guard::metadata_guard_active;
pub use publish::{Delivered, Publisher, Record};
pub use source::{run_source, SourceError, SourceStats};

use gantry_plan::event::KafkaMessage;
use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What became of one message handed to the sink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The event and its runs are durably recorded (or were before): its offset may be stored.
    Recorded,
    /// The message can never become an event (not JSON where JSON is required...): it goes
    /// to the dead-letter topic at once.
    Reject(String),
    /// Recording failed for a reason that may pass: try again, and dead-letter it after the
    /// configured number of attempts.
    Retry(String),
    /// The sink cannot record anything now (its store cannot write: a full disk). Not the
    /// message's fault: it is not counted as an attempt and never dead-lettered for it; the
    /// source pauses until [`Sink::can_record`] and tries again, its offset not stored.
    Unavailable(String),
}

/// Where consumed messages go. The source stores a message's offset only after `record`
/// returned `Recorded` for it (or it reached the dead-letter topic).
pub trait Sink: Send + Sync + 'static {
    /// Topics to subscribe to now: names, or `^regex` patterns as librdkafka takes them.
    /// Asked again periodically, so topics of workflows added later are picked up.
    fn topics(&self) -> Vec<String>;
    /// Records a batch; one verdict per message, in the same order.
    fn record(&self, batch: Vec<KafkaMessage>) -> BoxFuture<'_, Vec<Verdict>>;
    /// How many messages the sink can take now without its queue going over its limit
    /// (0: full). The source takes no more than that into a batch, and pauses its
    /// partitions (still polling, so the group does not evict it) while it is 0; pausing
    /// drops what librdkafka fetched ahead, to be fetched again on resume, so nothing
    /// beyond the room is consumed.
    fn room(&self) -> usize;
    /// False while the sink cannot record anything (its store cannot write): the source
    /// pauses as when there is no room, and a batch it holds waits for this to turn true.
    fn can_record(&self) -> bool {
        true
    }
}
