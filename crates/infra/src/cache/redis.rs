//! Redis cache for scaled mode, shared by every api-server replica and worker.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_redis::redis::aio::MultiplexedConnection;
use deadpool_redis::redis::{self, AsyncCommands};
use deadpool_redis::{Config as PoolConfig, Connection, Pool, Runtime};

use super::Cache;
use crate::error::{InfraError, Result};

/// A Redis client; every key is stored under `prefix`.
///
/// Commands share one multiplexed connection, which pipelines concurrent commands on one
/// socket. The pool only makes it: a pool checkout sends its own `PING` first, which would
/// double every command's round trips. A connection that fails is dropped, and the next
/// command takes a fresh one from the pool.
#[derive(Clone)]
pub struct RedisCache {
    pool: Pool,
    shared: Arc<Mutex<Option<MultiplexedConnection>>>,
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
        let cache = Self { pool, shared: Arc::default(), prefix: prefix.to_string() };
        let mut conn = cache.conn().await?;
        let _: String = redis::cmd("PING").query_async(&mut conn).await.map_err(|e| cache.failed(e))?;
        Ok(cache)
    }

    async fn conn(&self) -> Result<MultiplexedConnection> {
        if let Some(conn) = self.shared.lock().unwrap_or_else(PoisonError::into_inner).clone() {
            return Ok(conn);
        }
        // Checked by the pool's PING. Callers racing here each take one; the last kept wins,
        // and the others close once their command is done.
        let fresh =
            Connection::take(self.pool.get().await.map_err(|e| InfraError::Unavailable(format!("redis: {e}")))?);
        *self.shared.lock().unwrap_or_else(PoisonError::into_inner) = Some(fresh.clone());
        Ok(fresh)
    }

    /// The error a command failed with; a connection-level failure also drops the shared
    /// connection.
    fn failed(&self, e: redis::RedisError) -> InfraError {
        if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() || e.is_connection_refusal() {
            self.shared.lock().unwrap_or_else(PoisonError::into_inner).take();
            InfraError::Unavailable(format!("redis: {e}"))
        } else {
            InfraError::Backend(format!("redis: {e}"))
        }
    }

    /// The server's id of the connection commands share now (`CLIENT ID`).
    pub async fn client_id(&self) -> Result<i64> {
        redis::cmd("CLIENT").arg("ID").query_async(&mut self.conn().await?).await.map_err(|e| self.failed(e))
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

fn millis(ttl: Duration) -> u64 {
    // Redis refuses a zero expiry; a sub-millisecond TTL still means "expire at once".
    (ttl.as_millis() as u64).max(1)
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.conn().await?.get(self.key(key)).await.map_err(|e| self.failed(e))
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        let mut cmd = redis::cmd("MGET");
        for key in keys {
            cmd.arg(self.key(key));
        }
        cmd.query_async(&mut self.conn().await?).await.map_err(|e| self.failed(e))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key)).arg(value);
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(millis(ttl));
        }
        let _: () = cmd.query_async(&mut self.conn().await?).await.map_err(|e| self.failed(e))?;
        Ok(())
    }

    async fn set_nx(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key)).arg(value).arg("NX");
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(millis(ttl));
        }
        let reply: Option<String> = cmd.query_async(&mut self.conn().await?).await.map_err(|e| self.failed(e))?;
        Ok(reply.is_some())
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let n: i64 = self.conn().await?.del(self.key(key)).await.map_err(|e| self.failed(e))?;
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
            .map_err(|e| self.failed(e))
    }

    async fn ttl(&self, key: &str) -> Result<Option<Duration>> {
        let ms: i64 = self.conn().await?.pttl(self.key(key)).await.map_err(|e| self.failed(e))?;
        Ok((ms >= 0).then(|| Duration::from_millis(ms as u64)))
    }
}
