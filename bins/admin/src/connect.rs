//! Connections for one-shot commands: a small pool, no cache or queue namespace.

use anyhow::Context;
use infra::Infra;
use kernel::Config;
use sea_orm::DatabaseConnection;

/// Pool size for a command that runs a handful of queries and exits.
const POOL_SIZE: u32 = 2;

/// The database alone.
pub async fn db(config: &Config) -> anyhow::Result<DatabaseConnection> {
    infra::db::connect(&config.database_url, POOL_SIZE).await.context("cannot connect to the database")
}

/// Every adapter, for commands that also touch the cache or storage. The empty prefix
/// addresses the same keys api-server uses.
pub async fn infra(config: &Config) -> anyhow::Result<Infra> {
    let config = Config { database_pool_size: POOL_SIZE, ..config.clone() };
    Infra::connect(&config, &config.namespace).await.context("cannot connect to the configured services")
}
