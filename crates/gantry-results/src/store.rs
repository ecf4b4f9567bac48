//! The storage layer: any `object_store::ObjectStore` (a local directory, an S3-compatible
//! bucket, or memory in tests) holding blobs and small JSON metadata objects side by side.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ResultsError;

/// A committed blob's size and digest, recorded when its last byte is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub(crate) struct BlobInfo {
    pub size: u64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
}

/// A listed object: where it is and when it was last written.
pub(crate) struct Listed {
    pub path: Path,
    pub size: u64,
    pub last_modified: DateTime<Utc>,
}

#[derive(Clone)]
pub(crate) struct Store {
    inner: Arc<dyn ObjectStore>,
}

impl Store {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self { inner }
    }

    pub fn raw(&self) -> &Arc<dyn ObjectStore> {
        &self.inner
    }

    pub async fn put_json<T: Serialize>(&self, path: &Path, value: &T) -> Result<(), ResultsError> {
        let body = serde_json::to_vec(value).map_err(|source| ResultsError::Metadata {
            path: path.to_string(),
            source,
        })?;
        self.inner.put(path, PutPayload::from(body)).await?;
        Ok(())
    }

    /// The object at `path`, or `None` when there is none.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &Path,
    ) -> Result<Option<T>, ResultsError> {
        let bytes = match self.inner.get(path).await {
            Ok(result) => result.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| ResultsError::Metadata {
                path: path.to_string(),
                source,
            })
    }

    /// Every JSON object under `prefix` (recursively).
    pub async fn list_json<T: DeserializeOwned>(
        &self,
        prefix: &Path,
    ) -> Result<Vec<T>, ResultsError> {
        let mut out = Vec::new();
        for listed in self.list(prefix).await? {
            if let Some(value) = self.get_json(&listed.path).await? {
                out.push(value);
            }
        }
        Ok(out)
    }

    pub async fn list(&self, prefix: &Path) -> Result<Vec<Listed>, ResultsError> {
        let metas: Vec<_> = self.inner.list(Some(prefix)).try_collect().await?;
        Ok(metas
            .into_iter()
            .map(|m| Listed {
                path: m.location,
                size: m.size,
                last_modified: m.last_modified,
            })
            .collect())
    }

    /// Removes `path`; a missing object is not an error.
    pub async fn delete(&self, path: &Path) -> Result<(), ResultsError> {
        match self.inner.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_prefix(&self, prefix: &Path) -> Result<(), ResultsError> {
        for listed in self.list(prefix).await? {
            self.delete(&listed.path).await?;
        }
        Ok(())
    }

    /// The blob's size and its bytes as a stream.
    pub async fn read(
        &self,
        path: &Path,
    ) -> Result<(u64, BoxStream<'static, Result<Bytes, object_store::Error>>), ResultsError> {
        match self.inner.get(path).await {
            Ok(result) => Ok((result.meta.size, result.into_stream())),
            Err(object_store::Error::NotFound { .. }) => {
                Err(ResultsError::NotFound(format!("blob {path}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Streams an object's bytes into `sink`.
    pub async fn copy_into(
        &self,
        path: &Path,
        sink: &mut crate::sink::Sink,
    ) -> Result<(), ResultsError> {
        let (_, mut stream) = self.read(path).await?;
        while let Some(chunk) = stream.next().await {
            sink.push(chunk?).await?;
        }
        Ok(())
    }
}
