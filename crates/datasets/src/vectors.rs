//! The configured vector store, opened on first use: Weaviate, or the embedded store, shared
//! by everything in the process that names the same directory (api-server handlers and the
//! in-process worker), since it holds its collections in memory and allows one instance per
//! directory.

use crate::DatasetError;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Weak};

use kernel::config::VectorStoreConfig;
use rag::vector::{
    EmbeddedVectorStore, SearchQuery, VectorError, VectorHit, VectorStore, WeaviateVectorStore,
    collection_name_for_dataset,
};
use tokio::sync::{Mutex, OnceCell};
use uuid::Uuid;

static OPEN: LazyLock<Mutex<HashMap<PathBuf, Weak<EmbeddedVectorStore>>>> = LazyLock::new(Mutex::default);

/// A handle on the configured vector store; cheap to clone.
#[derive(Clone)]
pub struct Vectors {
    config: VectorStoreConfig,
    store: Arc<OnceCell<Arc<dyn VectorStore>>>,
}

impl std::fmt::Debug for Vectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vectors").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Vectors {
    pub fn new(config: VectorStoreConfig) -> Self {
        Self { config, store: Arc::default() }
    }

    /// The store, opened on first call.
    pub async fn get(&self) -> Result<Arc<dyn VectorStore>, VectorError> {
        self.store.get_or_try_init(|| open(&self.config)).await.cloned()
    }
}

/// Says at start-up where vectors live when processes share work through a broker: the
/// embedded store is shared through the disk, so every api-server and worker must run on one
/// host with one `DATA_DIR`.
pub fn startup_notice(config: &VectorStoreConfig, with_broker: bool) {
    if let (VectorStoreConfig::Embedded { path }, true) = (config, with_broker) {
        tracing::info!(
            path = %path.display(),
            "embedded vector store: every api-server and indexer-worker must share this directory on one host; \
             across hosts set VECTOR_STORE=weaviate"
        );
    }
}

async fn open(config: &VectorStoreConfig) -> Result<Arc<dyn VectorStore>, VectorError> {
    match config {
        VectorStoreConfig::Embedded { path } => {
            let mut open = OPEN.lock().await;
            if let Some(store) = open.get(path).and_then(Weak::upgrade) {
                return Ok(store);
            }
            let store = Arc::new(EmbeddedVectorStore::open(path.clone()).await?);
            open.insert(path.clone(), Arc::downgrade(&store));
            Ok(store)
        }
        VectorStoreConfig::Weaviate { endpoint, api_key, batch_size } => {
            let http = reqwest::Client::builder()
                .tcp_nodelay(true)
                .connect_timeout(std::time::Duration::from_secs(5))
                .timeout(std::time::Duration::from_secs(60))
                .build()
                .map_err(|e| VectorError::Io(e.to_string()))?;
            Ok(Arc::new(WeaviateVectorStore::new(http, endpoint, api_key.clone(), *batch_size)))
        }
    }
}

/// The 503 a request gets when the vector store cannot be used (the cause is logged).
pub fn unavailable(e: VectorError) -> DatasetError {
    tracing::error!(error = %e, "vector store unavailable");
    DatasetError::VectorStoreUnavailable
}

impl Vectors {
    /// The `top_k` points of a dataset's collection closest to `vector`, scoring at least
    /// `threshold`, best first.
    pub async fn search_dataset(
        &self,
        dataset_id: Uuid,
        vector: Vec<f32>,
        top_k: usize,
        threshold: Option<f32>,
    ) -> Result<Vec<VectorHit>, DatasetError> {
        let store = self.get().await.map_err(unavailable)?;
        let query = SearchQuery { vector, top_k, score_threshold: threshold, dataset_id: Some(dataset_id.to_string()) };
        store.search(&collection_name_for_dataset(&dataset_id.to_string()), &query).await.map_err(unavailable)
    }
}
