//! What the operators' index commands select and do (Dify's `recreate-all-dataset-indexes`
//! and `clean-unused-dataset-indexes`). Each step is idempotent, so a command cut short is
//! resumed by running it again.

use chrono::NaiveDateTime;
use entities::documents::IndexingStatus;
use entities::{dataset_queries, datasets, documents};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, TransactionTrait};

use crate::indexing::Indexer;

/// The high-quality datasets, newest first: the ones whose vectors `recreate` rebuilds.
pub async fn high_quality_datasets(db: &sea_orm::DatabaseConnection) -> Result<Vec<datasets::Model>, DbErr> {
    datasets::Entity::find()
        .filter(datasets::Column::IndexingTechnique.eq(entities::datasets::IndexingTechnique::HighQuality))
        .order_by_desc(datasets::Column::CreatedAt)
        .order_by_desc(datasets::Column::Id)
        .all(db)
        .await
}

/// Datasets idle since `cutoff`, newest first, as Dify picks them: made before it, queried
/// not since, and with no available document updated since.
pub async fn unused_datasets(
    db: &sea_orm::DatabaseConnection,
    cutoff: NaiveDateTime,
) -> Result<Vec<datasets::Model>, DbErr> {
    let old = datasets::Entity::find()
        .filter(datasets::Column::CreatedAt.lt(cutoff))
        .order_by_desc(datasets::Column::CreatedAt)
        .order_by_desc(datasets::Column::Id)
        .all(db)
        .await?;
    let mut unused = Vec::new();
    for d in old {
        let queried = dataset_queries::Entity::find()
            .filter(dataset_queries::Column::DatasetId.eq(d.id))
            .filter(dataset_queries::Column::CreatedAt.gt(cutoff))
            .count(db)
            .await?;
        if queried > 0 {
            continue;
        }
        let recent = documents::Entity::find()
            .filter(documents::Column::DatasetId.eq(d.id))
            .filter(documents::Column::IndexingStatus.eq(IndexingStatus::Completed))
            .filter(documents::Column::Enabled.eq(true))
            .filter(documents::Column::Archived.eq(false))
            .filter(documents::Column::UpdatedAt.gt(cutoff))
            .count(db)
            .await?;
        if recent == 0 {
            unused.push(d);
        }
    }
    Ok(unused)
}

/// Why a dataset could not be cleaned.
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error("vector store: {0}")]
    Vectors(String),
}

/// Removes an idle dataset's indexes and disables its documents, as Dify's command does: its
/// vectors, its keyword table, then `enabled = false` on every document.
pub async fn clean_dataset(indexer: &Indexer, dataset: &datasets::Model) -> Result<(), CleanError> {
    let store = indexer.vectors.get().await.map_err(|e| CleanError::Vectors(e.to_string()))?;
    let collection = indexer.vectors.collection_of(&indexer.db, dataset).await?;
    collection.drop_dataset(store.as_ref(), dataset.id).await.map_err(|e| CleanError::Vectors(e.to_string()))?;
    let txn = indexer.db.begin().await?;
    crate::indexing::delete_keyword_index(&txn, dataset.id).await?;
    documents::Entity::update_many()
        .col_expr(documents::Column::Enabled, Expr::value(false))
        .filter(documents::Column::DatasetId.eq(dataset.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}
