//! The generation view of the process's [`Ctx`]: the database, cache, outbox, storage, the
//! credential cache and the HTTP client for model calls.

use std::sync::Arc;

use datasets::Ctx;

/// Shared, cheaply cloned handles for generations (the api-server and the worker each hold one).
#[derive(Clone, Debug)]
pub struct Engine(pub Arc<Ctx>);

impl std::ops::Deref for Engine {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        &self.0
    }
}

impl Engine {
    /// The datasets side of the same context (retrieval, embeddings).
    pub fn indexer(&self) -> datasets::indexing::Indexer {
        datasets::indexing::Indexer(self.0.clone())
    }
}
