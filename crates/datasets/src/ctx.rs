//! The one context the domain services take: every handle a generation or an indexing run
//! reaches, built once per process. [`crate::indexing::Indexer`] and `conversations::Engine`
//! are views of it that add their own methods, not copies of its fields.

use std::sync::Arc;

use infra::Infra;
use infra::cache::Cache;
use infra::outbox::Outbox;
use infra::storage::Storage;
use kernel::Config;
use providers::credentials::CredentialCache;
use providers::hosted::Hosting;
use sea_orm::DatabaseConnection;

use crate::vectors::Vectors;

/// Shared handles; hold it in an `Arc` and hand out views.
pub struct Ctx {
    pub db: DatabaseConnection,
    pub cache: Arc<dyn Cache>,
    /// Jobs go out with the rows they follow.
    pub outbox: Outbox,
    /// The hot writes (a chat's rows), group-committed on SQLite.
    pub writes: infra::group_write::GroupWriter,
    pub storage: Arc<dyn Storage>,
    /// Decrypted provider keys, kept briefly so a message does not pay RSA.
    pub credentials: CredentialCache,
    /// Pooled connections to model vendors.
    pub http: reqwest::Client,
    /// The operator's hosted providers (CLOUD quotas).
    pub hosting: Hosting,
    /// The vector store datasets are indexed into and retrieved from.
    pub vectors: Vectors,
    /// Reads uploaded files in child processes under the configured limits.
    pub extractor: rag::extract::Extractor,
    /// Unfinished indexing starts after which a document is given up (`INDEXING_MAX_ATTEMPTS`).
    pub indexing_max_attempts: u32,
}

impl Ctx {
    /// The context of a process, from its adapters and configuration; `http` is the pool
    /// model calls use.
    pub fn new(infra: &Infra, config: &Config, http: reqwest::Client) -> Arc<Self> {
        Arc::new(Self {
            db: infra.db.clone(),
            cache: infra.cache.clone(),
            outbox: infra.outbox.clone(),
            writes: infra.writes.clone(),
            storage: infra.storage.clone(),
            credentials: CredentialCache::default().keeping(infra.cache.clone()),
            http,
            hosting: Hosting::from_config(config),
            vectors: Vectors::new(config.vector_store.clone()),
            extractor: crate::extract::extractor(config),
            indexing_max_attempts: config.indexing_max_attempts,
        })
    }
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").field("credentials", &self.credentials).finish_non_exhaustive()
    }
}
