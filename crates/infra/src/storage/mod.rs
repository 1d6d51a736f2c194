//! Blob storage for uploads and keys: a local directory or an S3-compatible bucket.

mod local;
mod s3;

pub use self::local::LocalStorage;
pub use self::s3::{S3Settings, S3Storage};

use async_trait::async_trait;
pub use bytes::Bytes;
use futures::stream::BoxStream;

use crate::error::{InfraError, Result};

/// A byte stream read from storage.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// Objects addressed by relative keys such as `upload_files/<tenant>/<uuid>.pdf`.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// Writes `data` under `key`, replacing any previous object.
    async fn save(&self, key: &str, data: Bytes) -> Result<()>;
    /// Reads the whole object; `InfraError::NotFound` when absent.
    async fn load(&self, key: &str) -> Result<Bytes>;
    /// Reads the object as a stream of chunks, for responses that should not buffer it.
    async fn load_stream(&self, key: &str) -> Result<ByteStream>;
    /// True when an object exists under `key`.
    async fn exists(&self, key: &str) -> Result<bool>;
    /// Removes the object; deleting an absent key is not an error.
    async fn delete(&self, key: &str) -> Result<()>;
}

/// Refuses keys that could escape the storage root or confuse a backend:
/// empty, absolute, `..`/`.` segments, backslashes, NUL and other control characters.
pub fn validate_key(key: &str) -> Result<()> {
    let bad = |why: &str| Err(InfraError::InvalidKey(format!("{why}: {key:?}")));
    if key.is_empty() || key.len() > 1024 {
        return bad("empty or too long");
    }
    if key.starts_with('/') || key.ends_with('/') {
        return bad("must be relative");
    }
    if key.chars().any(|c| c == '\\' || c.is_control()) {
        return bad("contains a backslash or control character");
    }
    if key.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..") {
        return bad("contains an empty, '.' or '..' segment");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate_key;

    #[test]
    fn keys_that_could_escape_are_refused() {
        for k in ["", "/etc/passwd", "a/../b", "..", "a//b", "a\\b", "a\0b", "./a", "a/", "a/./b"] {
            assert!(validate_key(k).is_err(), "{k:?} accepted");
        }
        for k in ["upload_files/t/x.pdf", "privkeys/t/private.pem", "a..b/c"] {
            assert!(validate_key(k).is_ok(), "{k:?} refused");
        }
    }
}
