//! GitHub's results services for the official actions, unmodified: the artifact service v4
//! (`upload-artifact`/`download-artifact` v4) and the cache service v1 REST and v2 Twirp
//! (`actions/cache` v4), over one `object_store` (a directory or an S3-compatible bucket).
//!
//! The caller builds a [`ResultsService`], serves its [`ResultsService::router`], and gives
//! each job the environment from [`ResultsService::grant`]. See `docs/results.md`.

mod artifacts;
mod blob;
mod blocks;
mod cache;
mod config;
mod error;
mod grant;
mod layout;
mod service;
mod signing;
mod sink;
mod store;
mod sweep;
mod token;
mod twirp;

pub use artifacts::record::ArtifactSummary;
pub use cache::entry::CacheSummary;
pub use config::{CacheProtocol, Limits, ResultsConfig, StorageConfig};
pub use error::ResultsError;
pub use grant::JobGrant;
pub use service::ResultsService;
pub use sweep::SweepReport;
