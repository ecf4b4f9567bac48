//! `ResultsService`: the shared state behind every handler (store, keys, configuration) and the
//! API the caller uses: `new`, `router`, `grant`.

use std::sync::{Arc, Mutex};

use axum::routing::{get, patch, post};
use axum::Router;
use chrono::{DateTime, Utc};
use object_store::ObjectStore;

use crate::grant::{Claims, JobGrant};
use crate::signing::{Access, UrlSigner};
use crate::store::Store;
use crate::token::TokenKeys;
use crate::{CacheProtocol, ResultsConfig, ResultsError};

/// The artifact and cache services. Cheap to clone: everything is behind one `Arc`.
#[derive(Clone)]
pub struct ResultsService {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub store: Store,
    pub tokens: TokenKeys,
    pub signer: UrlSigner,
    pub config: ResultsConfig,
    /// Serialises metadata read-modify-write (name and key uniqueness, eviction, sweeps);
    /// blob bytes stream outside it.
    pub meta_lock: tokio::sync::Mutex<()>,
    last_id: Mutex<i64>,
}

impl ResultsService {
    /// Opens the configured store and draws fresh token and URL keys (tokens and URLs of an
    /// earlier process stop being valid; stored data stays).
    pub fn new(config: ResultsConfig) -> Result<Self, ResultsError> {
        let store = config.storage.build()?;
        Self::with_object_store(config, store)
    }

    /// The same over a store the caller built (any `object_store` backend).
    pub fn with_object_store(
        config: ResultsConfig,
        store: Arc<dyn ObjectStore>,
    ) -> Result<Self, ResultsError> {
        let mut token_key = [0u8; 32];
        let mut url_key = [0u8; 32];
        getrandom::fill(&mut token_key)
            .and_then(|()| getrandom::fill(&mut url_key))
            .map_err(|e| ResultsError::Config(format!("no randomness for keys: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                store: Store::new(store),
                tokens: TokenKeys::new(&token_key),
                signer: UrlSigner::new(&url_key),
                config,
                meta_lock: tokio::sync::Mutex::new(()),
                last_id: Mutex::new(0),
            }),
        })
    }

    /// Every route, relative to the origin of the base URL given in `grant` (the clients build
    /// `/twirp/...` from the origin alone).
    pub fn router(&self) -> Router {
        use crate::{artifacts, blob, cache};
        Router::new()
            .route(
                "/twirp/github.actions.results.api.v1.ArtifactService/{method}",
                post(artifacts::twirp::handle),
            )
            .route(
                "/twirp/github.actions.results.api.v1.CacheService/{method}",
                post(cache::v2::handle),
            )
            .route("/_apis/artifactcache/cache", get(cache::v1::lookup))
            .route(
                "/_apis/artifactcache/caches",
                get(cache::v1::list).post(cache::v1::reserve),
            )
            .route(
                "/_apis/artifactcache/caches/{id}",
                patch(cache::v1::upload_chunk).post(cache::v1::commit),
            )
            .route("/_gantry/blob/{id}", get(blob::download).put(blob::upload))
            .with_state(self.clone())
    }

    /// The environment a job's steps need to reach this service.
    pub fn grant(&self, job: &JobGrant) -> Vec<(String, String)> {
        let lifetime = self.inner.config.token_lifetime.as_secs() as i64;
        let claims = Claims::new(job, Utc::now().timestamp(), lifetime);
        let base = format!("{}/", job.base_url.trim_end_matches('/'));
        let mut env = Vec::new();
        match self.inner.tokens.issue(&claims) {
            Ok(token) => env.push(("ACTIONS_RUNTIME_TOKEN".to_string(), token)),
            Err(e) => tracing::error!(error = %e, "cannot sign a runtime token"),
        }
        for name in [
            "ACTIONS_RESULTS_URL",
            "ACTIONS_RUNTIME_URL",
            "ACTIONS_CACHE_URL",
        ] {
            env.push((name.to_string(), base.clone()));
        }
        if self.inner.config.cache_protocol == CacheProtocol::V2 {
            env.push(("ACTIONS_CACHE_SERVICE_V2".to_string(), "true".to_string()));
        }
        tracing::debug!(run_id = job.run_id, job_id = %job.job_id, "granted results access");
        env
    }
}

impl Inner {
    /// A new id: unique and increasing across restarts (microseconds since the epoch, bumped
    /// past the last one), and below 2^53 so JavaScript clients keep it exact.
    pub fn next_id(&self, now: DateTime<Utc>) -> i64 {
        let mut last = self.last_id.lock().unwrap_or_else(|p| p.into_inner());
        *last = (*last + 1).max(now.timestamp_micros());
        *last
    }

    pub fn new_blob_id() -> Result<String, ResultsError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)
            .map_err(|e| ResultsError::Config(format!("no randomness for ids: {e}")))?;
        Ok(hex::encode(bytes))
    }

    /// An absolute URL (under the job's base URL) granting `access` to a blob.
    pub fn signed_url(&self, claims: &Claims, blob_id: &str, access: Access, max: u64) -> String {
        let exp = Utc::now().timestamp() + self.config.signed_url_lifetime.as_secs() as i64;
        let query = self.signer.query(blob_id, access, max, exp);
        format!(
            "{}/_gantry/blob/{blob_id}?{query}",
            claims.base_url.trim_end_matches('/')
        )
    }
}
