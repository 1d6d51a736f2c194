//! Objects in an S3-compatible bucket (AWS S3, MinIO, R2, ...), through `object_store`.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::client::{HttpError, HttpErrorKind};
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload, RetryConfig};

use super::{ByteStream, Storage, validate_key};
use crate::error::{InfraError, Result};

/// Region used when none is configured; S3-compatible servers generally ignore it.
const DEFAULT_REGION: &str = "us-east-1";

/// Where the bucket is and how to sign requests to it.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// Base URL of an S3-compatible server (`http://minio:9000`); `None` means AWS itself.
    pub endpoint: Option<String>,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
}

impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("region", &self.region)
            .finish()
    }
}

/// Stores each object under its key in one bucket.
#[derive(Debug, Clone)]
pub struct S3Storage {
    store: Arc<AmazonS3>,
}

impl S3Storage {
    /// Builds the client; no request is made until the first operation.
    pub fn new(settings: S3Settings) -> Result<Self> {
        let region = if settings.region.trim().is_empty() { DEFAULT_REGION } else { settings.region.trim() };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(region)
            // Path-style (`endpoint/bucket/key`) works with every S3-compatible server;
            // virtual-hosted style needs wildcard DNS that MinIO and friends rarely have.
            .with_virtual_hosted_style_request(false)
            // One plain DELETE per object: bulk `POST ?delete` is missing from some
            // S3-compatible servers, and we only ever delete one key at a time.
            .with_disable_bulk_delete(true)
            // Fail within seconds rather than minutes so callers can report the outage.
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(30),
                ..RetryConfig::default()
            });
        if let Some(endpoint) = settings.endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            let endpoint = endpoint.trim_end_matches('/');
            builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        // Without explicit keys the builder falls back to the instance's own credentials.
        if !settings.access_key.is_empty() {
            builder = builder.with_access_key_id(&settings.access_key);
        }
        if !settings.secret_key.is_empty() {
            builder = builder.with_secret_access_key(&settings.secret_key);
        }
        let store = builder.build().map_err(|e| InfraError::Backend(format!("configure S3 storage: {e}")))?;
        Ok(Self { store: Arc::new(store) })
    }

    fn path_for(key: &str) -> Result<Path> {
        validate_key(key)?;
        // `validate_key` has ruled out empty, `.` and `..` segments; characters S3 advises
        // against are percent-encoded per segment, the same way on every call.
        Ok(Path::from(key))
    }
}

/// True when the error chain shows the server was never properly reached.
fn is_connection_error(e: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(http) = err.downcast_ref::<HttpError>() {
            return matches!(
                http.kind(),
                HttpErrorKind::Connect | HttpErrorKind::Request | HttpErrorKind::Timeout | HttpErrorKind::Interrupted
            );
        }
        current = err.source();
    }
    false
}

fn map_error(key: &str, e: object_store::Error) -> InfraError {
    match e {
        object_store::Error::NotFound { .. } => InfraError::NotFound(key.to_owned()),
        object_store::Error::InvalidPath { source } => InfraError::InvalidKey(format!("{key:?}: {source}")),
        other if is_connection_error(&other) => InfraError::Unavailable(format!("S3 {key:?}: {other}")),
        other => InfraError::Backend(format!("S3 {key:?}: {other}")),
    }
}

#[async_trait]
impl Storage for S3Storage {
    async fn save(&self, key: &str, data: Bytes) -> Result<()> {
        let path = Self::path_for(key)?;
        self.store.put(&path, PutPayload::from(data)).await.map_err(|e| map_error(key, e))?;
        Ok(())
    }

    async fn load(&self, key: &str) -> Result<Bytes> {
        let path = Self::path_for(key)?;
        let object = self.store.get(&path).await.map_err(|e| map_error(key, e))?;
        object.bytes().await.map_err(|e| map_error(key, e))
    }

    async fn load_stream(&self, key: &str) -> Result<ByteStream> {
        let path = Self::path_for(key)?;
        let object = self.store.get(&path).await.map_err(|e| map_error(key, e))?;
        let key = key.to_owned();
        Ok(Box::pin(object.into_stream().map_err(move |e| map_error(&key, e))))
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        let path = Self::path_for(key)?;
        match self.store.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(map_error(key, e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let path = Self::path_for(key)?;
        match self.store.delete(&path).await {
            // S3 answers 204 for absent keys, but some compatible servers say 404.
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(map_error(key, e)),
        }
    }
}
