//! Dify's `deal_dataset_vector_index_task`: after a dataset's indexing technique changed,
//! build its vector index from the segments it already has (economy → high quality), or
//! drop it (high quality → economy). The keyword table is kept either way.

use entities::documents::IndexingStatus;
use entities::{datasets, document_segments as segments, documents};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{BATCH, Indexer, Transient};
use crate::index_entries;

/// Brings the dataset's vectors in line with its current technique. Errors other than the
/// database's are logged: the dataset keeps working on keywords.
pub async fn sync_vector_index(indexer: &Indexer, dataset_id: Uuid) -> Result<(), Transient> {
    let Some(dataset) = datasets::Entity::find_by_id(dataset_id).one(&indexer.db).await? else { return Ok(()) };
    let collection = indexer.vectors.collection_of(&indexer.db, &dataset).await?;
    let store = match indexer.vectors.get().await {
        Ok(store) => store,
        Err(e) => {
            tracing::error!(error = %e, %dataset_id, "vector store unavailable; vector index not synced");
            return Ok(());
        }
    };
    if dataset.indexing_technique != Some(entities::datasets::IndexingTechnique::HighQuality) {
        if let Err(e) = collection.drop_dataset(store.as_ref(), dataset.id).await {
            tracing::error!(error = %e, %dataset_id, "cannot drop the vector index");
        }
        return Ok(());
    }
    match rebuild_vectors(indexer, &dataset).await {
        Ok(_) => {}
        Err(Rebuild::Database(e)) => return Err(e.into()),
        Err(Rebuild::Failed(e)) => tracing::error!(error = %e, %dataset_id, "cannot build the vector index"),
    }
    Ok(())
}

/// Why a vector index could not be rebuilt.
#[derive(Debug, thiserror::Error)]
pub enum Rebuild {
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    /// The vector store or the embedding model failed.
    #[error("{0}")]
    Failed(String),
}

/// Drops a high-quality dataset's vectors and builds them again from the segments of its
/// available documents (embeddings come from the cache): the segments indexed. Rebuilt from
/// scratch, so a re-run never leaves stale points behind.
pub async fn rebuild_vectors(indexer: &Indexer, dataset: &datasets::Model) -> Result<usize, Rebuild> {
    let collection = indexer.vectors.collection_of(&indexer.db, dataset).await?;
    let store = indexer.vectors.get().await.map_err(|e| Rebuild::Failed(e.to_string()))?;
    let available: Vec<Uuid> = documents::Entity::find()
        .select_only()
        .column(documents::Column::Id)
        .filter(documents::Column::DatasetId.eq(dataset.id))
        .filter(documents::Column::IndexingStatus.eq(IndexingStatus::Completed))
        .filter(documents::Column::Enabled.eq(true))
        .filter(documents::Column::Archived.eq(false))
        .into_tuple()
        .all(&indexer.db)
        .await?;
    collection.drop_dataset(store.as_ref(), dataset.id).await.map_err(|e| Rebuild::Failed(e.to_string()))?;
    let mut indexed = 0;
    let mut after = None::<(i32, Uuid)>;
    loop {
        let mut q = segments::Entity::find()
            .filter(segments::Column::DatasetId.eq(dataset.id))
            .filter(segments::Column::DocumentId.is_in(available.clone()))
            .filter(segments::Column::Status.eq(entities::document_segments::SegmentStatus::Completed))
            .filter(segments::Column::Enabled.eq(true))
            .order_by_asc(segments::Column::DocumentId)
            .order_by_asc(segments::Column::Position)
            .limit(BATCH as u64);
        if let Some((position, document_id)) = after {
            use sea_orm::Condition;
            q = q.filter(
                Condition::any().add(segments::Column::DocumentId.gt(document_id)).add(
                    Condition::all()
                        .add(segments::Column::DocumentId.eq(document_id))
                        .add(segments::Column::Position.gt(position)),
                ),
            );
        }
        let batch = q.all(&indexer.db).await?;
        let Some(last) = batch.last() else { break };
        after = Some((last.position, last.document_id));
        index_entries::add(indexer, dataset, &batch).await.map_err(|e| Rebuild::Failed(e.message()))?;
        indexed += batch.len();
    }
    Ok(indexed)
}
