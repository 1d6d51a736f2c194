//! Deleting one document (Dify's `DocumentService.delete_document` plus `clean_document_task`):
//! refused while it is being indexed; then its row and segments go in one transaction, and
//! its vectors and keywords after, best effort.

use entities::{datasets, document_segments as segments, documents};
use kernel::ApiError;
use rag::vector::collection_name_for_dataset;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, TransactionTrait};

use crate::indexing::Indexer;

/// Statuses during which a document cannot be deleted.
pub const DELETE_REFUSED: [&str; 4] = ["parsing", "cleaning", "splitting", "indexing"];

/// Why a delete was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Archived,
    Indexing,
}

/// The refusal for this document, if any.
pub fn refusal(doc: &documents::Model) -> Option<Refusal> {
    if doc.archived {
        Some(Refusal::Archived)
    } else if DELETE_REFUSED.contains(&doc.indexing_status.as_str()) {
        Some(Refusal::Indexing)
    } else {
        None
    }
}

/// Deletes the document, its segments, and their vectors and keywords. The caller has
/// checked [`refusal`] and answers with its surface's error.
pub async fn delete(indexer: &Indexer, dataset: &datasets::Model, doc: &documents::Model) -> Result<(), ApiError> {
    let db = &indexer.db;
    let txn = db.begin().await?;
    let nodes: Vec<Option<String>> = segments::Entity::find()
        .select_only()
        .column(segments::Column::IndexNodeId)
        .filter(segments::Column::DocumentId.eq(doc.id))
        .into_tuple()
        .all(&txn)
        .await?;
    segments::Entity::delete_many().filter(segments::Column::DocumentId.eq(doc.id)).exec(&txn).await?;
    documents::Entity::delete_many()
        .filter(documents::Column::Id.eq(doc.id))
        .filter(documents::Column::DatasetId.eq(dataset.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;

    // The rows are gone, so nothing can retrieve these any more; a failure only leaves garbage.
    let nodes: Vec<String> = nodes.into_iter().flatten().collect();
    if let Err(e) = crate::indexing::remove_keywords(db, dataset.id, &nodes).await {
        tracing::warn!(error = %e, document_id = %doc.id, "removing a deleted document's keywords failed");
    }
    if dataset.indexing_technique.as_deref() == Some("high_quality") {
        let collection = collection_name_for_dataset(&dataset.id.to_string());
        let removed = match indexer.vectors.get().await {
            Ok(store) => store.delete_by_document_id(&collection, &doc.id.to_string()).await,
            Err(e) => Err(e),
        };
        if let Err(e) = removed {
            tracing::warn!(error = %e, document_id = %doc.id, "removing a deleted document's vectors failed");
        }
    }
    Ok(())
}
