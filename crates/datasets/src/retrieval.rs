//! Retrieval for answers (Dify's `DatasetRetrieverTool`): the segments of a dataset closest to
//! a query — by vector for high-quality datasets, by keywords for economy ones — re-read
//! from the database so only completed, enabled segments count, with their hit counts bumped.

use crate::DatasetError;
use entities::documents::IndexingStatus;
use entities::{dataset_process_rules as rules, dataset_queries, datasets, document_segments as segments, documents};
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::indexing::{Indexer, search_keywords};
use crate::{embedding_cache, index_entries};

/// One retrieved segment with what the answer's sources show.
#[derive(Debug, Clone)]
pub struct Retrieved {
    pub segment: segments::Model,
    pub document: documents::Model,
    /// Cosine similarity; none for keyword retrieval.
    pub score: Option<f32>,
}

/// Who asked, for the `dataset_queries` record.
#[derive(Debug, Clone, Copy)]
pub struct Asker {
    pub app_id: Uuid,
    pub role: entities::kinds::CreatorRole,
    pub id: Uuid,
}

/// The workspace's datasets among `ids` that have something to retrieve (Dify skips a
/// dataset with no available document), in the order asked.
pub async fn usable_datasets(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<datasets::Model>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found = datasets::Entity::find()
        .filter(datasets::Column::TenantId.eq(tenant_id))
        .filter(datasets::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?;
    // One query for all of them: the datasets with at least one available document.
    let available: Vec<Uuid> = documents::Entity::find()
        .select_only()
        .column(documents::Column::DatasetId)
        .distinct()
        .filter(documents::Column::DatasetId.is_in(found.iter().map(|d| d.id)))
        .filter(documents::Column::IndexingStatus.eq(IndexingStatus::Completed))
        .filter(documents::Column::Enabled.eq(true))
        .filter(documents::Column::Archived.eq(false))
        .into_tuple()
        .all(db)
        .await?;
    let out = ids
        .iter()
        .filter(|id| available.contains(id))
        .filter_map(|id| found.iter().find(|d| d.id == *id).cloned())
        .collect();
    Ok(out)
}

/// The segment length of the dataset's latest process rule (for the dynamic top-k).
pub async fn segment_max_tokens(db: &impl ConnectionTrait, dataset_id: Uuid) -> Result<Option<usize>, ApiError> {
    let rule = rules::Entity::find()
        .filter(rules::Column::DatasetId.eq(dataset_id))
        .order_by_desc(rules::Column::CreatedAt)
        .one(db)
        .await?;
    Ok(match rule {
        Some(r) => rag::retrieval::segment_max_tokens(r.mode.as_str(), r.rules.as_deref()),
        None => Some(rag::rules::MAX_SEGMENT_TOKENS),
    })
}

/// The `k` best segments of `dataset` for `query`, best first, and records the query.
pub async fn retrieve(
    indexer: &Indexer,
    dataset: &datasets::Model,
    query: &str,
    k: usize,
    asker: Asker,
) -> Result<Vec<Retrieved>, DatasetError> {
    let db = &indexer.db;
    if k == 0 {
        return Ok(Vec::new());
    }
    // (node id, score) in retrieval order.
    let ranked: Vec<(String, Option<f32>)> = if dataset.indexing_technique
        == Some(entities::datasets::IndexingTechnique::HighQuality)
    {
        let model = match index_entries::dataset_model(indexer, dataset).await {
            Ok(Some(model)) => model,
            Ok(None) => return Ok(Vec::new()),
            // As Dify: a dataset whose embedding model is gone adds no context.
            Err(e) => {
                tracing::warn!(error = %e.message(), dataset_id = %dataset.id, "dataset embedding model unavailable");
                return Ok(Vec::new());
            }
        };
        let vector = embedding_cache::embed_query(db, &indexer.http, &model, query).await?;
        let hits = indexer.vectors.search_dataset(db, dataset, vector, k, Some(0.0)).await?;
        hits.into_iter().map(|h| (h.node_id, Some(h.score))).collect()
    } else {
        search_keywords(db, dataset.id, query, k).await?.into_iter().map(|n| (n, None)).collect()
    };

    dataset_queries::ActiveModel {
        id: Set(Uuid::new_v4()),
        dataset_id: Set(dataset.id),
        content: Set(query.to_owned()),
        source: Set(entities::dataset_queries::QuerySource::App),
        source_app_id: Set(Some(asker.app_id)),
        created_by_role: Set(asker.role),
        created_by: Set(asker.id),
        created_at: Set(now_naive()),
    }
    .insert(db)
    .await?;
    if ranked.is_empty() {
        return Ok(Vec::new());
    }

    let node_ids: Vec<String> = ranked.iter().map(|(n, _)| n.clone()).collect();
    let segs = segments::Entity::find()
        .filter(segments::Column::DatasetId.eq(dataset.id))
        .filter(segments::Column::CompletedAt.is_not_null())
        .filter(segments::Column::Status.eq(entities::document_segments::SegmentStatus::Completed))
        .filter(segments::Column::Enabled.eq(true))
        .filter(segments::Column::IndexNodeId.is_in(node_ids.clone()))
        .all(db)
        .await?;
    segments::Entity::update_many()
        .col_expr(segments::Column::HitCount, Expr::col(segments::Column::HitCount).add(1))
        .filter(segments::Column::DatasetId.eq(dataset.id))
        .filter(segments::Column::IndexNodeId.is_in(node_ids))
        .exec(db)
        .await?;
    let docs = documents::Entity::find()
        .filter(documents::Column::Id.is_in(segs.iter().map(|s| s.document_id).collect::<Vec<_>>()))
        .filter(documents::Column::Enabled.eq(true))
        .filter(documents::Column::Archived.eq(false))
        .all(db)
        .await?;
    Ok(ranked
        .into_iter()
        .filter_map(|(node, score)| {
            let segment = segs.iter().find(|s| s.index_node_id.as_deref() == Some(node.as_str()))?.clone();
            let document = docs.iter().find(|d| d.id == segment.document_id)?.clone();
            Some(Retrieved {
                segment: segments::Model { hit_count: segment.hit_count + 1, ..segment },
                document,
                score,
            })
        })
        .collect())
}

/// The prompt's context: segment texts (QA pairs as Dify renders them), one per line.
pub fn context_of(found: &[Retrieved]) -> String {
    rag::retrieval::render_context(found.iter().map(|r| (r.segment.content.as_str(), r.segment.answer.as_deref())))
}
