//! Cancels asked of this instance's runs through the run store — by the API of any
//! instance sharing it, or by `cancel-in-progress` of a run elsewhere — noticed by polling
//! the store every [`POLL`] (one indexed query for "requests on runs in progress I own",
//! made only while runs execute here) and acted on as a local cancel is: the run ends
//! `cancelled`, its containers removed.

use super::App;
use gantry_engine::backend::ContainerBackend;
use gantry_store::{read, Reader};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the store is asked for cancel requests on the runs executing here.
pub(crate) const POLL: Duration = Duration::from_secs(1);

/// Polls for cancel requests until `stop`.
pub(crate) async fn poll<B: ContainerBackend>(app: Arc<App<B>>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reader: Option<Reader> = None;
    // The runs cancelled so far: each is said once in the log.
    let mut acted = HashSet::new();
    loop {
        tokio::select! {
            _ = tick.tick() => act(&app, &mut reader, &mut acted).await,
            _ = stop.cancelled() => return,
        }
    }
}

/// One poll: cancels the runs executing here that someone asked to cancel.
async fn act<B: ContainerBackend>(
    app: &App<B>,
    reader: &mut Option<Reader>,
    acted: &mut HashSet<i64>,
) {
    if app.runs.leased.is_empty() {
        acted.clear();
        return;
    }
    if reader.as_ref().is_none_or(Reader::is_broken) {
        match app.runs.store.reader().await {
            Ok(c) => *reader = Some(c),
            Err(e) => return tracing::error!(error = %e, "reading cancel requests"),
        }
    }
    let Some(c) = reader.as_ref() else { return };
    let ids = match read::cancel_requests(c, &app.settings.instance).await {
        Ok(ids) => ids,
        Err(e) => {
            *reader = None;
            return tracing::error!(error = %e, "reading cancel requests");
        }
    };
    acted.retain(|id| ids.contains(id));
    for id in ids {
        // Not tracked yet (still being prepared): cancelled by a later poll.
        if app.exec.cancel(id) && acted.insert(id) {
            tracing::info!(run = id, "cancelled as asked through the run store");
        }
    }
}
