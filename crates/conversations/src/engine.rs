//! What the generation code reaches: the database, cache, queue, storage, the credential
//! cache and the HTTP client for model calls. Built once per process.

use std::sync::Arc;

use datasets::vectors::Vectors;
use infra::Infra;
use infra::cache::Cache;
use infra::outbox::Outbox;
use infra::storage::Storage;
use providers::credentials::CredentialCache;
use providers::hosted::Hosting;
use sea_orm::DatabaseConnection;

/// Shared, cheaply cloned handles for generations (the api-server and the worker each hold one).
#[derive(Clone)]
pub struct Engine {
    pub db: DatabaseConnection,
    pub cache: Arc<dyn Cache>,
    /// Jobs (conversation names) go out with the rows they follow.
    pub outbox: Outbox,
    pub storage: Arc<dyn Storage>,
    /// Decrypted provider keys, kept briefly so a message does not pay RSA.
    pub credentials: CredentialCache,
    /// Pooled connections to model vendors.
    pub http: reqwest::Client,
    /// The operator's hosted providers (CLOUD quotas).
    pub hosting: Hosting,
    /// The vector store datasets are retrieved from.
    pub vectors: Vectors,
    /// Reads uploaded files in child processes (previews, estimates, indexing).
    pub extractor: rag::extract::Extractor,
    /// Unfinished indexing starts after which a document is given up.
    pub indexing_max_attempts: u32,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("credentials", &self.credentials).finish_non_exhaustive()
    }
}

impl Engine {
    pub fn new(
        infra: &Infra,
        credentials: CredentialCache,
        http: reqwest::Client,
        hosting: Hosting,
        vectors: Vectors,
        extractor: rag::extract::Extractor,
        indexing_max_attempts: u32,
    ) -> Self {
        Self {
            db: infra.db.clone(),
            cache: infra.cache.clone(),
            outbox: infra.outbox.clone(),
            storage: infra.storage.clone(),
            credentials,
            http,
            hosting,
            vectors,
            extractor,
            indexing_max_attempts,
        }
    }
}

impl Engine {
    /// The datasets side of the engine (retrieval, embeddings), sharing its handles.
    pub fn indexer(&self) -> datasets::indexing::Indexer {
        datasets::indexing::Indexer {
            db: self.db.clone(),
            storage: self.storage.clone(),
            vectors: self.vectors.clone(),
            http: self.http.clone(),
            credentials: self.credentials.clone(),
            hosting: self.hosting.clone(),
            extractor: self.extractor.clone(),
            max_attempts: self.indexing_max_attempts,
        }
    }
}
