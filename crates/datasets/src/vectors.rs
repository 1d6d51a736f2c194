//! The configured vector store, opened on first use: Weaviate, Qdrant, or the embedded store,
//! shared by everything in the process that names the same directory (api-server handlers and
//! the in-process worker), since it holds its collections in memory. And where a dataset's
//! vectors live in it, as Dify names it.

use crate::DatasetError;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Weak};

use entities::{dataset_collection_bindings as bindings, datasets};
use kernel::config::VectorStoreConfig;
use rag::vector::{
    EmbeddedVectorStore, QdrantVectorStore, SearchQuery, VectorError, VectorHit, VectorStore, WeaviateVectorStore,
    collection_name_for_dataset,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde_json::Value;
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

    /// The embedded store's collections on disk and their bytes, for the metrics scrape; None
    /// for a vector database (which reports its own). Reads one directory: call it off the
    /// executor.
    pub fn disk_usage(&self) -> Option<(usize, u64)> {
        let VectorStoreConfig::Embedded { path } = &self.config else { return None };
        let (mut collections, mut bytes) = (0, 0);
        for entry in std::fs::read_dir(path).ok()?.flatten() {
            if entry.path().extension().is_some_and(|e| e == "vec") {
                collections += 1;
                bytes += entry.metadata().map(|m| m.len()).unwrap_or(0);
            }
        }
        Some((collections, bytes))
    }

    /// The store's name in a dataset's `index_struct` (`{"type": ..., "vector_store": ...}`).
    pub fn kind(&self) -> &'static str {
        match self.config {
            VectorStoreConfig::Embedded { .. } => "embedded",
            VectorStoreConfig::Weaviate { .. } => "weaviate",
            VectorStoreConfig::Qdrant { .. } => "qdrant",
        }
    }

    /// Where a dataset's vectors live, as Dify's `get_index_name` decides: on Qdrant the
    /// collection of the dataset's embedding-model binding, shared with the other datasets of
    /// that model; else the class its `index_struct` names (a Python-written dataset may have
    /// its own); else `Vector_index_<id>_Node`.
    pub async fn collection_of(
        &self,
        db: &impl ConnectionTrait,
        dataset: &datasets::Model,
    ) -> Result<Collection, DbErr> {
        if let (VectorStoreConfig::Qdrant { .. }, Some(binding)) = (&self.config, dataset.collection_binding_id)
            && let Some(row) = bindings::Entity::find_by_id(binding).one(db).await?
        {
            return Ok(Collection { name: row.collection_name, shared: true });
        }
        let name = class_prefix(dataset).unwrap_or_else(|| collection_name_for_dataset(&dataset.id.to_string()));
        // A dataset that left its binding (switched to economy) still names the shared
        // collection in its index_struct: that one is never dropped whole (Dify's was).
        let shared = matches!(self.config, VectorStoreConfig::Qdrant { .. })
            && bindings::Entity::find().filter(bindings::Column::CollectionName.eq(&name)).one(db).await?.is_some();
        Ok(Collection { name, shared })
    }
}

/// A dataset's `index_struct` (`{"type": ..., "vector_store": {"class_prefix": ...}}`), when it
/// has a readable one.
fn index_struct(dataset: &datasets::Model) -> Option<Value> {
    serde_json::from_str(dataset.index_struct.as_deref()?).ok()
}

/// The store its `index_struct` says the dataset is indexed in (`embedded`, `qdrant`, ...).
pub fn index_type(dataset: &datasets::Model) -> Option<String> {
    index_struct(dataset)?["type"].as_str().map(str::to_owned)
}

/// The collection its `index_struct` names.
pub fn class_prefix(dataset: &datasets::Model) -> Option<String> {
    index_struct(dataset)?.pointer("/vector_store/class_prefix")?.as_str().filter(|n| !n.is_empty()).map(str::to_owned)
}

/// A dataset's place in the vector store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    pub name: String,
    /// Shared with other datasets (told apart by their id in each point): never dropped whole.
    pub shared: bool,
}

impl Collection {
    /// Removes the dataset's vectors: its own collection dropped, or its points taken out of a
    /// shared one.
    pub async fn drop_dataset(&self, store: &dyn VectorStore, dataset_id: Uuid) -> Result<(), VectorError> {
        if self.shared {
            store.delete_by_dataset_id(&self.name, &dataset_id.to_string()).await
        } else {
            store.delete_collection(&self.name).await
        }
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
             across hosts set VECTOR_STORE=qdrant or weaviate"
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
            let http = http_client(60)?;
            Ok(Arc::new(WeaviateVectorStore::new(http, endpoint, api_key.clone(), *batch_size)))
        }
        VectorStoreConfig::Qdrant { url, api_key, timeout_secs } => {
            Ok(Arc::new(QdrantVectorStore::new(http_client(*timeout_secs)?, url, api_key.clone())))
        }
    }
}

/// The client a vector database is reached with: the operator configured its address, so it
/// is not the guarded outbound client (which refuses private addresses).
fn http_client(timeout_secs: u64) -> Result<reqwest::Client, VectorError> {
    reqwest::Client::builder()
        .tcp_nodelay(true)
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(timeout_secs.max(1)))
        .build()
        .map_err(|e| VectorError::Io(e.to_string()))
}

/// The Qdrant store itself when Qdrant is configured, for the commands that scroll and count
/// (beyond the `VectorStore` trait); `None` for another store.
pub fn qdrant(config: &VectorStoreConfig) -> Result<Option<QdrantVectorStore>, VectorError> {
    let VectorStoreConfig::Qdrant { url, api_key, timeout_secs } = config else { return Ok(None) };
    Ok(Some(QdrantVectorStore::new(http_client(*timeout_secs)?, url, api_key.clone())))
}

/// Dify's `clean_dataset_task` for the vectors of a deleted dataset. Best effort once the rows
/// are gone (the binding row stays, shared): a failure leaves unreachable points, so it is
/// only logged.
pub async fn drop_deleted(indexer: &crate::indexing::Indexer, dataset: &datasets::Model) {
    let dropped = async {
        let collection = indexer.vectors.collection_of(&indexer.db, dataset).await.map_err(|e| e.to_string())?;
        let store = indexer.vectors.get().await.map_err(|e| e.to_string())?;
        collection.drop_dataset(store.as_ref(), dataset.id).await.map_err(|e| e.to_string())
    };
    if let Err(e) = dropped.await {
        tracing::warn!(error = %e, dataset_id = %dataset.id, "dropping a deleted dataset's vectors failed");
    }
}

/// The 503 a request gets when the vector store cannot be used (the cause is logged).
pub fn unavailable(e: VectorError) -> DatasetError {
    tracing::error!(error = %e, "vector store unavailable");
    DatasetError::VectorStoreUnavailable
}

impl Vectors {
    /// The `top_k` points of a dataset closest to `vector`, scoring at least `threshold`,
    /// best first.
    pub async fn search_dataset(
        &self,
        db: &impl ConnectionTrait,
        dataset: &datasets::Model,
        vector: Vec<f32>,
        top_k: usize,
        threshold: Option<f32>,
    ) -> Result<Vec<VectorHit>, DatasetError> {
        let collection = self.collection_of(db, dataset).await?;
        let store = self.get().await.map_err(unavailable)?;
        let query = SearchQuery { vector, top_k, score_threshold: threshold, dataset_id: Some(dataset.id.to_string()) };
        store.search(&collection.name, &query).await.map_err(unavailable)
    }
}
