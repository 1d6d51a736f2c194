//! Objects as files under one root directory.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use futures::TryStreamExt;
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use super::{ByteStream, Storage, validate_key};
use crate::error::{InfraError, Result};

/// Read size for `load_stream`: large enough to keep syscalls few, small enough not to buffer much.
const STREAM_CHUNK: usize = 64 * 1024;

/// Stores each object as a file at `root/<key>`.
#[derive(Debug, Clone)]
pub struct LocalStorage {
    root: PathBuf,
}

impl LocalStorage {
    /// Uses `root` as the storage directory; it is created on the first write.
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The directory objects live under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_for(&self, key: &str) -> Result<PathBuf> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }
}

/// True for the errors that mean "there is no file at that path": the file is missing, a
/// parent is a file rather than a directory, or the key names a directory.
fn is_absent(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::NotFound | ErrorKind::NotADirectory | ErrorKind::IsADirectory)
}

fn io_error(op: &str, key: &str, e: &std::io::Error) -> InfraError {
    if is_absent(e.kind()) {
        InfraError::NotFound(key.to_owned())
    } else {
        InfraError::Backend(format!("{op} {key:?}: {e}"))
    }
}

/// Writes `data` to a fresh temporary file next to `path`, flushes it to disk, and renames
/// it over `path`, so readers see either the old object or the whole new one.
async fn write_atomically(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().ok_or_else(|| std::io::Error::other("object path has no parent"))?;
    tokio::fs::create_dir_all(dir).await?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = async {
        let mut file = tokio::fs::File::create(&tmp).await?;
        file.write_all(data).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&tmp, path).await
    }
    .await;
    if written.is_err() {
        // Best effort: a leftover temp file is harmless but untidy.
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    written
}

#[async_trait]
impl Storage for LocalStorage {
    async fn save(&self, key: &str, data: Bytes) -> Result<()> {
        let path = self.path_for(key)?;
        write_atomically(&path, &data).await.map_err(|e| InfraError::Backend(format!("save {key:?}: {e}")))
    }

    async fn load(&self, key: &str) -> Result<Bytes> {
        let path = self.path_for(key)?;
        let data = tokio::fs::read(&path).await.map_err(|e| io_error("load", key, &e))?;
        Ok(Bytes::from(data))
    }

    async fn load_stream(&self, key: &str) -> Result<ByteStream> {
        let path = self.path_for(key)?;
        let file = tokio::fs::File::open(&path).await.map_err(|e| io_error("open", key, &e))?;
        // Opening a directory succeeds on Unix; only regular files are objects.
        let meta = file.metadata().await.map_err(|e| io_error("stat", key, &e))?;
        if !meta.is_file() {
            return Err(InfraError::NotFound(key.to_owned()));
        }
        let key = key.to_owned();
        let stream = ReaderStream::with_capacity(file, STREAM_CHUNK)
            .map_err(move |e| InfraError::Backend(format!("read {key:?}: {e}")));
        Ok(Box::pin(stream))
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        let path = self.path_for(key)?;
        match tokio::fs::metadata(&path).await {
            Ok(meta) => Ok(meta.is_file()),
            Err(e) if is_absent(e.kind()) => Ok(false),
            Err(e) => Err(io_error("stat", key, &e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let path = self.path_for(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => Ok(()),
            Err(e) => Err(InfraError::Backend(format!("delete {key:?}: {e}"))),
        }
    }
}
