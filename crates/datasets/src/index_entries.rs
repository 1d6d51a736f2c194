//! Adding and removing segments' index entries outside a full indexing run: the vectors of a
//! high-quality dataset and the keyword table every dataset keeps (what Dify's
//! enable/disable/delete tasks do). Embeddings come through the cache, so putting back a
//! segment that was indexed before costs no vendor call.

use crate::DatasetError;
use entities::{datasets, document_segments as segments};
use kernel::ApiError;
use providers::ModelType;
use providers::runtime::ModelRef;
use rag::keywords::{KeywordExtractor, MAX_KEYWORDS_PER_CHUNK};
use rag::vector::{VectorPoint, VectorStore};
use serde_json::Value;
use std::sync::Arc;

use crate::embedding_cache;
use crate::indexing::{self, Indexer};
use crate::vectors::unavailable as store_unavailable;

fn high_quality(dataset: &datasets::Model) -> bool {
    dataset.indexing_technique == Some(entities::datasets::IndexingTechnique::HighQuality)
}

async fn store(indexer: &Indexer) -> Result<Arc<dyn VectorStore>, DatasetError> {
    indexer.vectors.get().await.map_err(store_unavailable)
}

/// The dataset's embedding model with the workspace's credentials; None for economy datasets.
pub async fn dataset_model(indexer: &Indexer, dataset: &datasets::Model) -> Result<Option<ModelRef>, DatasetError> {
    if !high_quality(dataset) {
        return Ok(None);
    }
    let (Some(provider), Some(name)) = (&dataset.embedding_model_provider, &dataset.embedding_model) else {
        return Err(crate::DatasetError::NoEmbeddingModel);
    };
    embedding_model(indexer, dataset.tenant_id, provider, name).await.map(Some)
}

/// An embedding model of the workspace with its credentials.
pub async fn embedding_model(
    indexer: &Indexer,
    tenant_id: uuid::Uuid,
    provider: &str,
    name: &str,
) -> Result<ModelRef, DatasetError> {
    let call = providers::store::get_credentials(
        &indexer.db,
        indexer.storage.as_ref(),
        &indexer.credentials,
        &indexer.hosting,
        tenant_id,
        provider,
        name,
        ModelType::Embeddings,
    )
    .await?;
    Ok(ModelRef::new(provider, name, call.credentials))
}

/// The keywords a segment was indexed with, if they were saved.
fn stored_keywords(s: &segments::Model) -> Option<Vec<String>> {
    let list = s.keywords.as_ref()?.as_array()?;
    Some(list.iter().filter_map(Value::as_str).map(str::to_owned).collect())
}

/// Puts segments (with an index node id) into the dataset's indexes: vectors for a
/// high-quality dataset, keywords always (saved ones, else extracted again). Returns the
/// keywords each node was indexed with.
pub async fn add(
    indexer: &Indexer,
    dataset: &datasets::Model,
    segs: &[segments::Model],
) -> Result<Vec<(String, Vec<String>)>, DatasetError> {
    let segs: Vec<&segments::Model> = segs.iter().filter(|s| s.index_node_id.is_some()).collect();
    if segs.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(model) = dataset_model(indexer, dataset).await? {
        let store = store(indexer).await?;
        let collection = indexer.vectors.collection_of(&indexer.db, dataset).await?.name;
        for batch in segs.chunks(indexing::BATCH) {
            let texts: Vec<String> = batch.iter().map(|s| s.content.clone()).collect();
            let embedded = embedding_cache::embed_documents(&indexer.db, &indexer.http, &model, &texts).await?;
            let points = batch
                .iter()
                .zip(embedded.vectors)
                .map(|(s, vector)| VectorPoint {
                    node_id: s.index_node_id.clone().unwrap_or_default(),
                    document_id: s.document_id.to_string(),
                    dataset_id: dataset.id.to_string(),
                    doc_hash: s.index_node_hash.clone().unwrap_or_default(),
                    text: s.content.clone(),
                    vector,
                })
                .collect();
            store.add(&collection, points).await.map_err(store_unavailable)?;
        }
    }
    let pending: Vec<(String, Option<Vec<String>>, String)> = segs
        .iter()
        .map(|s| (s.index_node_id.clone().unwrap_or_default(), stored_keywords(s), s.content.clone()))
        .collect();
    let nodes: Vec<(String, Vec<String>)> = tokio::task::spawn_blocking(move || {
        let extractor = KeywordExtractor::shared();
        pending
            .into_iter()
            .map(|(id, saved, text)| (id, saved.unwrap_or_else(|| extractor.extract(&text, MAX_KEYWORDS_PER_CHUNK))))
            .collect()
    })
    .await
    .map_err(|e| ApiError::internal_because("the keyword task failed", e))?;
    indexing::add_keywords(&indexer.db, dataset.id, &nodes).await?;
    Ok(nodes)
}

/// Takes segments (by index node id) out of the dataset's indexes.
pub async fn remove(indexer: &Indexer, dataset: &datasets::Model, node_ids: &[String]) -> Result<(), DatasetError> {
    if node_ids.is_empty() {
        return Ok(());
    }
    if high_quality(dataset) {
        let collection = indexer.vectors.collection_of(&indexer.db, dataset).await?.name;
        store(indexer).await?.delete_by_node_ids(&collection, node_ids).await.map_err(store_unavailable)?;
    }
    indexing::remove_keywords(&indexer.db, dataset.id, node_ids).await?;
    Ok(())
}

/// Takes a whole document out of the dataset's indexes: every vector of the document and the
/// keywords of `node_ids` (its segments).
pub async fn remove_document(
    indexer: &Indexer,
    dataset: &datasets::Model,
    document_id: uuid::Uuid,
    node_ids: &[String],
) -> Result<(), DatasetError> {
    if high_quality(dataset) {
        let collection = indexer.vectors.collection_of(&indexer.db, dataset).await?.name;
        store(indexer)
            .await?
            .delete_by_document_id(&collection, &document_id.to_string())
            .await
            .map_err(store_unavailable)?;
    }
    indexing::remove_keywords(&indexer.db, dataset.id, node_ids).await?;
    Ok(())
}
