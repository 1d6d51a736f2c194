//! Builds the adapters the configuration asks for.

use std::sync::Arc;

use kernel::Config;
use kernel::config::{MailConfig, SmtpTlsMode, StorageConfig};
use sea_orm::DatabaseConnection;

use crate::cache::{Cache, MemoryCache, RedisCache};
use crate::error::Result;
use crate::mail::{LogOutbox, MailTransport, SmtpSettings, SmtpTransport};
use crate::outbox::Outbox;
use crate::queue::{JobQueue, MemoryQueue, RabbitQueue, RetryPolicy};
use crate::storage::{LocalStorage, S3Settings, S3Storage, Storage};

/// Every adapter a process needs, shared by api-server, the worker and the CLI.
#[derive(Clone)]
pub struct Infra {
    pub db: DatabaseConnection,
    pub cache: Arc<dyn Cache>,
    pub queue: Arc<dyn JobQueue>,
    /// How jobs reach `queue`: written with the rows they act on, then sent.
    pub outbox: Outbox,
    /// The hot writes, group-committed on SQLite.
    pub writes: crate::group_write::GroupWriter,
    pub storage: Arc<dyn Storage>,
    pub mail: Arc<dyn MailTransport>,
    /// True when jobs run in this process (no broker configured).
    pub in_process_queue: bool,
}

impl std::fmt::Debug for Infra {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Infra").field("in_process_queue", &self.in_process_queue).finish_non_exhaustive()
    }
}

impl Infra {
    /// Connects everything `config` names; `prefix` namespaces cache keys and queue names
    /// (empty in production, unique per test).
    pub async fn connect(config: &Config, prefix: &str) -> Result<Self> {
        let db = crate::db::connect(&config.database_url, config.database_pool_size).await?;
        let cache: Arc<dyn Cache> = match &config.redis_url {
            Some(url) => Arc::new(RedisCache::connect(url, prefix).await?),
            None => Arc::new(MemoryCache::new()),
        };
        crate::outbound::configure(config.outbound_allow_private);
        let policy = RetryPolicy::from_config(config);
        let (queue, settled): (Arc<dyn JobQueue>, _) = match &config.broker_url {
            Some(url) => (Arc::new(RabbitQueue::connect(url, prefix, policy, config.worker_prefetch).await?), None),
            None => {
                let (queue, settled) = MemoryQueue::with_receipts(policy, config.worker_prefetch as usize);
                (Arc::new(queue), Some(settled))
            }
        };
        let in_process_queue = settled.is_some();
        let writes = crate::group_write::GroupWriter::new(db.clone());
        let outbox = Outbox::new(db.clone(), writes.clone(), queue.clone(), settled);
        let storage: Arc<dyn Storage> = match &config.storage {
            StorageConfig::Local { path } => Arc::new(LocalStorage::new(path.clone())),
            StorageConfig::S3 { endpoint, bucket, access_key, secret_key, region } => {
                Arc::new(S3Storage::new(S3Settings {
                    endpoint: endpoint.clone(),
                    bucket: bucket.clone(),
                    access_key: access_key.clone(),
                    secret_key: secret_key.clone(),
                    region: region.clone(),
                })?)
            }
        };
        let mail: Arc<dyn MailTransport> = match &config.mail {
            MailConfig::Log => Arc::new(LogOutbox::default()),
            MailConfig::Smtp { host, port, username, password, tls } => Arc::new(SmtpTransport::new(SmtpSettings {
                host: host.clone(),
                port: *port,
                username: username.clone(),
                password: password.clone(),
                tls: match tls {
                    SmtpTlsMode::None => crate::mail::SmtpTls::None,
                    SmtpTlsMode::StartTls => crate::mail::SmtpTls::StartTls,
                    SmtpTlsMode::Implicit => crate::mail::SmtpTls::Implicit,
                },
            })?),
        };
        Ok(Self { db, cache, queue, outbox, storage, mail, in_process_queue, writes })
    }
}
