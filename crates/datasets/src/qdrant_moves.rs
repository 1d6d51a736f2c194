//! What Dify 0.3.23's Qdrant commands do to one dataset: build its index in Qdrant
//! (`create-qdrant-indexes`), adopt one Python Dify already built there
//! (`update-qdrant-indexes`), and move it from its own collection into the collection its
//! embedding model shares (`normalization-collections`). Each step is idempotent and marks the
//! dataset only once its vectors are in place, so a command cut short is resumed by running it
//! again.

use entities::{datasets, document_segments as segments};
use rag::vector::{QdrantVectorStore, VectorStore};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::embedding::{self, EmbeddingModel};
use crate::indexing::{Indexer, Rebuild, rebuild_vectors};
use crate::vectors;

/// The high-quality datasets with an index that is not Qdrant's, newest first, as Dify's
/// `create-qdrant-indexes` and `update-qdrant-indexes` pick them (no index yet: skipped).
pub async fn not_on_qdrant(db: &sea_orm::DatabaseConnection) -> Result<Vec<datasets::Model>, DbErr> {
    let all = crate::maintenance::high_quality_datasets(db).await?;
    Ok(all.into_iter().filter(|d| vectors::index_type(d).is_some_and(|t| t != "qdrant")).collect())
}

/// The high-quality datasets without a collection binding, newest first
/// (`normalization-collections`).
pub async fn unbound(db: &sea_orm::DatabaseConnection) -> Result<Vec<datasets::Model>, DbErr> {
    let all = crate::maintenance::high_quality_datasets(db).await?;
    Ok(all.into_iter().filter(|d| d.collection_binding_id.is_none()).collect())
}

/// Marks the dataset's index as Qdrant's, keeping the collection it names.
async fn mark_qdrant(indexer: &Indexer, dataset: &datasets::Model, collection: &str) -> Result<(), DbErr> {
    let prefix = vectors::class_prefix(dataset).unwrap_or_else(|| collection.to_owned());
    let index_struct = json!({"type": "qdrant", "vector_store": {"class_prefix": prefix}});
    datasets::Entity::update_many()
        .col_expr(datasets::Column::IndexStruct, Expr::value(index_struct.to_string()))
        .filter(datasets::Column::Id.eq(dataset.id))
        .exec(&indexer.db)
        .await?;
    Ok(())
}

/// `create-qdrant-indexes` for one dataset: its vectors built in Qdrant from its available
/// segments (embeddings come from the cache), then its index marked Qdrant's. The segments
/// indexed.
pub async fn create_index(indexer: &Indexer, dataset: &datasets::Model) -> Result<usize, Rebuild> {
    let indexed = rebuild_vectors(indexer, dataset).await?;
    let collection = indexer.vectors.collection_of(&indexer.db, dataset).await?;
    mark_qdrant(indexer, dataset, &collection.name).await?;
    Ok(indexed)
}

/// `update-qdrant-indexes` for one dataset: when its first available segment is already in
/// Qdrant (Python Dify built the index there), its index is marked Qdrant's. Whether it was.
pub async fn adopt_index(
    indexer: &Indexer,
    store: &QdrantVectorStore,
    dataset: &datasets::Model,
) -> Result<bool, Rebuild> {
    let first = segments::Entity::find()
        .filter(segments::Column::DatasetId.eq(dataset.id))
        .filter(segments::Column::Status.eq(entities::document_segments::SegmentStatus::Completed))
        .filter(segments::Column::Enabled.eq(true))
        .order_by_asc(segments::Column::Position)
        .one(&indexer.db)
        .await?;
    let Some(node) = first.and_then(|s| s.index_node_id) else { return Ok(false) };
    let collection = indexer.vectors.collection_of(&indexer.db, dataset).await?;
    let present = store.contains(&collection.name, &node).await.map_err(|e| Rebuild::Failed(e.to_string()))?;
    if present {
        mark_qdrant(indexer, dataset, &collection.name).await?;
    }
    Ok(present)
}

/// `normalization-collections` for one dataset: its points copied, vectors and all, from its
/// own collection into the collection its embedding model shares (the binding made on first
/// use, as Dify does), then the binding recorded and its own collection dropped. The points
/// moved.
pub async fn normalize(
    indexer: &Indexer,
    store: &QdrantVectorStore,
    dataset: &datasets::Model,
) -> Result<usize, Rebuild> {
    let own = indexer.vectors.collection_of(&indexer.db, dataset).await?;
    // Dify falls back to OpenAI's ada when the dataset names no model.
    let model = EmbeddingModel {
        provider: dataset.embedding_model_provider.clone().unwrap_or_else(|| "openai".into()),
        model: dataset.embedding_model.clone().unwrap_or_else(|| "text-embedding-ada-002".into()),
    };
    let binding = embedding::collection_binding(&indexer.db, &model).await.map_err(|e| Rebuild::Failed(e.message))?;
    let shared = entities::dataset_collection_bindings::Entity::find_by_id(binding)
        .one(&indexer.db)
        .await?
        .ok_or_else(|| Rebuild::Failed("the collection binding vanished".into()))?
        .collection_name;
    let failed = |e: rag::vector::VectorError| Rebuild::Failed(e.to_string());
    let mut moved = 0;
    if own.name != shared && store.collection_exists(&own.name).await.map_err(failed)? {
        let group = dataset.id.to_string();
        let mut offset = None;
        loop {
            // Points Python Dify wrote carry the dataset as group_id; take them all.
            let (page, next) = store.scroll(&own.name, None, offset).await.map_err(failed)?;
            let points: Vec<_> =
                page.into_iter().map(|p| rag::vector::VectorPoint { dataset_id: group.clone(), ..p }).collect();
            moved += points.len();
            store.add(&shared, points).await.map_err(failed)?;
            match next {
                Some(n) => offset = Some(n),
                None => break,
            }
        }
    }
    datasets::Entity::update_many()
        .col_expr(datasets::Column::CollectionBindingId, Expr::value(binding))
        .filter(datasets::Column::Id.eq(dataset.id))
        .exec(&indexer.db)
        .await?;
    if own.name != shared {
        store.delete_collection(&own.name).await.map_err(failed)?;
    }
    Ok(moved)
}
