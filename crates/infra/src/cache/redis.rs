//! Redis cache for scaled mode, shared by every api-server replica and worker.

use std::time::Duration;

use async_trait::async_trait;
use deadpool_redis::redis::{self, AsyncCommands};
use deadpool_redis::{Config as PoolConfig, Connection, Pool, Runtime};

use super::Cache;
use crate::error::{InfraError, Result};

/// A pooled Redis client; every key is stored under `prefix`.
#[derive(Clone)]
pub struct RedisCache {
    pool: Pool,
    prefix: String,
}

impl std::fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCache").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

/// INCRBY that sets the TTL only when it created the key, atomically.
const INCR_SCRIPT: &str = r"
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if v == tonumber(ARGV[1]) and tonumber(ARGV[2]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return v";

impl RedisCache {
    /// Builds the pool and checks the server answers.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self> {
        let pool = PoolConfig::from_url(url)
            .create_pool(Some(Runtime::Tokio1))
            .map_err(|e| InfraError::Unavailable(format!("redis pool: {e}")))?;
        let cache = Self { pool, prefix: prefix.to_string() };
        let mut conn = cache.conn().await?;
        let _: String = redis::cmd("PING").query_async(&mut conn).await.map_err(unavailable)?;
        Ok(cache)
    }

    async fn conn(&self) -> Result<Connection> {
        self.pool.get().await.map_err(|e| InfraError::Unavailable(format!("redis: {e}")))
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

fn unavailable(e: redis::RedisError) -> InfraError {
    if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() || e.is_connection_refusal() {
        InfraError::Unavailable(format!("redis: {e}"))
    } else {
        InfraError::Backend(format!("redis: {e}"))
    }
}

fn millis(ttl: Duration) -> u64 {
    // Redis refuses a zero expiry; a sub-millisecond TTL still means "expire at once".
    (ttl.as_millis() as u64).max(1)
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.conn().await?.get(self.key(key)).await.map_err(unavailable)
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key)).arg(value);
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(millis(ttl));
        }
        let _: () = cmd.query_async(&mut self.conn().await?).await.map_err(unavailable)?;
        Ok(())
    }

    async fn set_nx(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key)).arg(value).arg("NX");
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(millis(ttl));
        }
        let reply: Option<String> = cmd.query_async(&mut self.conn().await?).await.map_err(unavailable)?;
        Ok(reply.is_some())
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let n: i64 = self.conn().await?.del(self.key(key)).await.map_err(unavailable)?;
        Ok(n > 0)
    }

    async fn incr(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64> {
        let ms = ttl.map(millis).unwrap_or(0);
        redis::Script::new(INCR_SCRIPT)
            .key(self.key(key))
            .arg(by)
            .arg(ms)
            .invoke_async(&mut self.conn().await?)
            .await
            .map_err(unavailable)
    }

    async fn ttl(&self, key: &str) -> Result<Option<Duration>> {
        let ms: i64 = self.conn().await?.pttl(self.key(key)).await.map_err(unavailable)?;
        Ok((ms >= 0).then(|| Duration::from_millis(ms as u64)))
    }
}
