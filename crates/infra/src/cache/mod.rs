//! Key-value cache with TTLs: sessions, stop flags, rate limits, short-lived secrets.

mod memory;
mod redis;

pub use self::memory::MemoryCache;
pub use self::redis::RedisCache;

use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;

/// A shared cache. Keys are namespaced by the implementation's prefix.
#[async_trait]
pub trait Cache: Send + Sync + 'static {
    /// The value under `key`, if present and not expired.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// The values under `keys`, in their order, in one round trip where the backend can.
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            values.push(self.get(key).await?);
        }
        Ok(values)
    }
    /// Stores `value`, replacing any previous one; `ttl` None keeps it until deleted.
    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()>;
    /// Stores `value` only if `key` is absent; true when it was stored.
    async fn set_nx(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool>;
    /// Removes `key`; true when it existed.
    async fn delete(&self, key: &str) -> Result<bool>;
    /// Adds `by` to the integer under `key` (absent counts as 0) and returns the new value.
    /// `ttl` is applied only when this call created the key, so a window starts at the first hit.
    async fn incr(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64>;
    /// Time left before `key` expires: None if absent or without expiry.
    async fn ttl(&self, key: &str) -> Result<Option<Duration>>;
}
