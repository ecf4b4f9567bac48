//! Writing a blob as its bytes arrive: a multipart upload (a temporary file for a directory,
//! S3 multipart for a bucket, so nothing is visible until it completes) that counts and hashes
//! what passes and refuses more than the ceiling.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::path::Path;
use object_store::{ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};

use crate::store::{BlobInfo, Store};
use crate::ResultsError;

pub(crate) struct Sink {
    writer: WriteMultipart,
    hasher: Sha256,
    size: u64,
    max: u64,
}

impl Sink {
    pub async fn open(store: &Store, path: &Path, max: u64) -> Result<Self, ResultsError> {
        let upload = store.raw().put_multipart(path).await?;
        Ok(Self {
            writer: WriteMultipart::new(upload),
            hasher: Sha256::new(),
            size: 0,
            max,
        })
    }

    pub async fn push(&mut self, chunk: Bytes) -> Result<(), ResultsError> {
        self.size += chunk.len() as u64;
        if self.size > self.max {
            return Err(ResultsError::TooLarge(format!(
                "at most {} bytes",
                self.max
            )));
        }
        self.hasher.update(&chunk);
        self.writer.wait_for_capacity(4).await?;
        self.writer.put(chunk);
        Ok(())
    }

    pub async fn finish(self) -> Result<BlobInfo, ResultsError> {
        self.writer.finish().await?;
        Ok(BlobInfo {
            size: self.size,
            sha256: hex::encode(self.hasher.finalize()),
        })
    }

    pub async fn abort(self) {
        if let Err(e) = self.writer.abort().await {
            tracing::warn!(error = %e, "aborting a blob upload failed");
        }
    }

    /// Writes a whole body stream to `path`; on any error nothing is left behind.
    pub async fn write_stream<S, E>(
        store: &Store,
        path: &Path,
        mut body: S,
        max: u64,
    ) -> Result<BlobInfo, ResultsError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut sink = Self::open(store, path, max).await?;
        while let Some(chunk) = body.next().await {
            let pushed = match chunk {
                Ok(chunk) => sink.push(chunk).await,
                Err(e) => Err(ResultsError::InvalidArgument(format!(
                    "a complete request body ({e})"
                ))),
            };
            if let Err(e) = pushed {
                sink.abort().await;
                return Err(e);
            }
        }
        sink.finish().await
    }
}
