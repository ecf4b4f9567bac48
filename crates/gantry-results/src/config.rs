//! The service's configuration: where data lives, which cache protocol jobs are told to use,
//! and the limits and retention GitHub applies.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::ObjectStore;
use serde::Deserialize;

use crate::ResultsError;

/// Which cache client the official actions use: `@actions/cache` picks v2 (Twirp at
/// `ACTIONS_RESULTS_URL`) when `ACTIONS_CACHE_SERVICE_V2` is set, v1 (REST at
/// `ACTIONS_CACHE_URL`) otherwise. The service serves both; this only chooses what jobs get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheProtocol {
    V1,
    /// GitHub's current service.
    #[default]
    V2,
}

/// Where blobs and metadata are kept. Both go through `object_store`, so a directory and an
/// S3-compatible bucket behave the same.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageConfig {
    Directory(PathBuf),
    S3 {
        bucket: String,
        /// For S3-compatible stores (MinIO, Ceph, ...); AWS when absent.
        #[serde(default)]
        endpoint: Option<String>,
        region: String,
        access_key_id: String,
        /// The secret key itself, or (better: it stays out of the file) the name of an
        /// environment variable holding it, `secret_access_key_env`.
        #[serde(default)]
        secret_access_key: Option<String>,
        #[serde(default)]
        secret_access_key_env: Option<String>,
        #[serde(default)]
        allow_http: bool,
    },
}

/// Hand-written so that the secret key never reaches a log line.
impl fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Directory(path) => f.debug_tuple("Directory").field(path).finish(),
            Self::S3 {
                bucket,
                endpoint,
                region,
                allow_http,
                ..
            } => f
                .debug_struct("S3")
                .field("bucket", bucket)
                .field("endpoint", endpoint)
                .field("region", region)
                .field("allow_http", allow_http)
                .finish_non_exhaustive(),
        }
    }
}

impl StorageConfig {
    /// Opens the store. A directory is created if missing.
    pub fn build(&self) -> Result<Arc<dyn ObjectStore>, ResultsError> {
        match self {
            Self::Directory(path) => {
                std::fs::create_dir_all(path).map_err(|e| {
                    ResultsError::Config(format!("cannot create {}: {e}", path.display()))
                })?;
                Ok(Arc::new(LocalFileSystem::new_with_prefix(path)?))
            }
            Self::S3 {
                bucket,
                endpoint,
                region,
                access_key_id,
                secret_access_key,
                secret_access_key_env,
                allow_http,
            } => {
                let secret = secret_key(secret_access_key, secret_access_key_env)?;
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_access_key_id(access_key_id)
                    .with_secret_access_key(secret)
                    .with_allow_http(*allow_http);
                if let Some(endpoint) = endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                Ok(Arc::new(builder.build()?))
            }
        }
    }
}

/// The S3 secret key: given, or read from the named environment variable (whose name, never
/// its value, an error may say).
fn secret_key(given: &Option<String>, env: &Option<String>) -> Result<String, ResultsError> {
    if let Some(key) = given {
        return Ok(key.clone());
    }
    let Some(var) = env else {
        return Err(ResultsError::Config(
            "storage s3: expected secret_access_key or secret_access_key_env".into(),
        ));
    };
    std::env::var(var).map_err(|_| {
        ResultsError::Config(format!(
            "storage s3: secret_access_key_env names `{var}`, which is not set"
        ))
    })
}

/// GitHub's limits, each overridable.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Largest artifact zip accepted.
    pub max_artifact_bytes: u64,
    /// Largest single cache archive accepted.
    pub max_cache_entry_bytes: u64,
    /// Total cache size per repository; least recently used entries are evicted past it
    /// (GitHub: 10 GB).
    pub max_cache_bytes_per_repository: u64,
    /// Artifact retention ceiling and default (GitHub: 90 days); a client's
    /// `retention-days` is honoured up to it.
    pub artifact_retention_days: u32,
    /// Cache entries not restored for this long expire (GitHub: 7 days).
    pub cache_unused_days: u32,
}

const GIB: u64 = 1024 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_artifact_bytes: 10 * GIB,
            max_cache_entry_bytes: 10 * GIB,
            max_cache_bytes_per_repository: 10 * GIB,
            artifact_retention_days: 90,
            cache_unused_days: 7,
        }
    }
}

/// Everything `ResultsService::new` needs.
#[derive(Debug, Clone)]
pub struct ResultsConfig {
    pub storage: StorageConfig,
    pub cache_protocol: CacheProtocol,
    pub limits: Limits,
    /// How long an `ACTIONS_RUNTIME_TOKEN` is valid (a job's steps, post steps included).
    pub token_lifetime: Duration,
    /// How long a signed blob URL is valid.
    pub signed_url_lifetime: Duration,
}

impl ResultsConfig {
    /// Defaults for everything but the storage.
    pub fn new(storage: StorageConfig) -> Self {
        Self {
            storage,
            cache_protocol: CacheProtocol::default(),
            limits: Limits::default(),
            token_lifetime: Duration::from_secs(8 * 3600),
            signed_url_lifetime: Duration::from_secs(6 * 3600),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Wrapper {
        storage: StorageConfig,
        #[serde(default)]
        cache_protocol: CacheProtocol,
        #[serde(default)]
        limits: Limits,
    }

    #[test]
    fn parses_storage_protocol_and_limits() {
        let cases: &[(&str, StorageConfig, CacheProtocol, u32)] = &[
            (
                "storage = { directory = \"/var/lib/gantry/results\" }",
                StorageConfig::Directory("/var/lib/gantry/results".into()),
                CacheProtocol::V2,
                90,
            ),
            (
                "cache_protocol = \"v1\"\nlimits = { artifact_retention_days = 5 }\n\
                 [storage.s3]\nbucket = \"b\"\nregion = \"us-east-1\"\n\
                 endpoint = \"http://127.0.0.1:9000\"\naccess_key_id = \"id\"\n\
                 secret_access_key_env = \"RESULTS_S3_KEY\"\nallow_http = true",
                StorageConfig::S3 {
                    bucket: "b".into(),
                    endpoint: Some("http://127.0.0.1:9000".into()),
                    region: "us-east-1".into(),
                    access_key_id: "id".into(),
                    secret_access_key: None,
                    secret_access_key_env: Some("RESULTS_S3_KEY".into()),
                    allow_http: true,
                },
                CacheProtocol::V1,
                5,
            ),
        ];
        for (text, storage, protocol, retention) in cases {
            let parsed: Wrapper = toml::from_str(text).unwrap();
            assert_eq!(&parsed.storage, storage);
            assert_eq!(&parsed.cache_protocol, protocol);
            assert_eq!(parsed.limits.artifact_retention_days, *retention);
            assert_eq!(parsed.limits.cache_unused_days, 7);
        }
    }

    #[test]
    fn s3_config_builds_a_store_and_hides_its_secret() {
        let config = StorageConfig::S3 {
            bucket: "cache".into(),
            endpoint: Some("http://127.0.0.1:9000".into()),
            region: "us-east-1".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Some("very-secret-value".into()),
            secret_access_key_env: None,
            allow_http: true,
        };
        let store = config.build().unwrap();
        assert!(store.to_string().contains("cache"), "{store}");
        let debug = format!("{config:?}");
        assert!(!debug.contains("very-secret-value"), "{debug}");
        assert!(debug.contains("cache"), "{debug}");
    }

    #[test]
    fn an_s3_secret_from_an_unset_variable_is_an_error_naming_the_variable() {
        let config = StorageConfig::S3 {
            bucket: "cache".into(),
            endpoint: None,
            region: "us-east-1".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: None,
            secret_access_key_env: Some("GANTRY_TEST_UNSET_S3_KEY".into()),
            allow_http: false,
        };
        let e = config.build().expect_err("an error").to_string();
        assert!(
            e.contains("`GANTRY_TEST_UNSET_S3_KEY`, which is not set"),
            "{e}"
        );
    }

    #[test]
    fn directory_config_creates_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/results");
        StorageConfig::Directory(path.clone()).build().unwrap();
        assert!(path.is_dir());
    }
}
