//! Waiting for the secret store instead of failing on it: whether Vault answers (kept from
//! what runs' lookups get, read by `/readyz` and `/metrics`, a log line at each change), and
//! [`Patient`], the store a run's engine gets, which retries a lookup Vault did not answer
//! (backoff up to 15 s) until it answers or the run is cancelled — so Vault lost between two
//! jobs of a run holds the second job back instead of failing it.

use gantry_secrets::{BoxFuture, ScopedStore, SecretError, SecretStore};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The longest wait between two tries.
const MAX_WAIT: Duration = Duration::from_secs(15);

/// Whether the secret store answered the last lookup (true until one is not answered).
#[derive(Debug)]
pub struct SecretsHealth {
    up: AtomicBool,
}

impl Default for SecretsHealth {
    fn default() -> Self {
        SecretsHealth {
            up: AtomicBool::new(true),
        }
    }
}

impl SecretsHealth {
    pub fn up(&self) -> bool {
        self.up.load(Ordering::SeqCst)
    }

    /// A lookup was not answered; logged when it is the first since the store answered.
    pub fn lost(&self, cause: &SecretError) {
        if self.up.swap(false, Ordering::SeqCst) {
            tracing::error!(cause = %cause, "the secret store does not answer: runs that need secrets wait for it");
        }
    }

    /// The store answered (with values or with a refusal); logged when it had not.
    pub fn answered(&self) {
        if !self.up.swap(true, Ordering::SeqCst) {
            tracing::info!("the secret store answers again: waiting runs go on");
        }
    }

    /// Tries `lookup` until the store answers or `stop` is cancelled; the last answer.
    pub async fn wait_for<T, F, Fut>(
        &self,
        stop: &CancellationToken,
        mut lookup: F,
    ) -> Result<T, SecretError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, SecretError>>,
    {
        let mut wait = Duration::from_secs(1);
        loop {
            let e = match lookup().await {
                Err(e @ SecretError::Unreachable { .. }) => e,
                answer => {
                    self.answered();
                    return answer;
                }
            };
            self.lost(&e);
            tracing::warn!(cause = %e, wait_secs = wait.as_secs(), "a secret lookup waits for the secret store");
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.cancelled() => return Err(e),
            }
            wait = (wait * 2).min(MAX_WAIT);
        }
    }
}

/// A run's secrets that wait for the store (see the module text).
pub struct Patient {
    pub inner: ScopedStore,
    pub health: Arc<SecretsHealth>,
    /// The run's cancellation (also the end of a shutdown's grace period).
    pub stop: CancellationToken,
}

impl SecretStore for Patient {
    fn resolve<'a>(
        &'a self,
        names: &'a [String],
    ) -> BoxFuture<'a, Result<BTreeMap<String, String>, SecretError>> {
        Box::pin(
            self.health
                .wait_for(&self.stop, move || self.inner.resolve(names)),
        )
    }

    fn describe(&self, name: &str) -> String {
        self.inner.describe(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    fn unreachable() -> SecretError {
        SecretError::Unreachable {
            name: "TOKEN".into(),
            address: "http://127.0.0.1:1".into(),
            message: "connection refused".into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_lookup_waits_until_the_store_answers_and_health_follows() {
        let health = SecretsHealth::default();
        let tries = AtomicU32::new(0);
        let stop = CancellationToken::new();
        let got = health
            .wait_for(&stop, || async {
                match tries.fetch_add(1, Ordering::SeqCst) {
                    0..=2 => Err(unreachable()),
                    _ => Ok(7),
                }
            })
            .await;
        assert_eq!(got.unwrap(), 7);
        assert_eq!(tries.load(Ordering::SeqCst), 4);
        assert!(health.up());
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_is_an_answer_and_cancelling_ends_the_wait() {
        let health = SecretsHealth::default();
        let stop = CancellationToken::new();
        let refused = health
            .wait_for(&stop, || async {
                Err::<(), _>(SecretError::NotConfigured { name: "X".into() })
            })
            .await;
        assert!(matches!(refused, Err(SecretError::NotConfigured { .. })));
        assert!(health.up());
        stop.cancel();
        let given_up = health
            .wait_for(&stop, || async { Err::<(), _>(unreachable()) })
            .await;
        assert!(matches!(given_up, Err(SecretError::Unreachable { .. })));
        assert!(!health.up(), "the store counts as down until it answers");
    }
}
