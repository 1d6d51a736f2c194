//! `POST /datasets/<id>/hit-testing`: the segments a query retrieves, best first, with their
//! scores and documents, recorded in `dataset_queries` (Dify's `HitTestingService`).

use crate::DatasetError;
use entities::{dataset_queries, datasets, document_segments as segments, documents};
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use uuid::Uuid;

use crate::indexing::Indexer;
use crate::{embedding_cache, index_entries};

/// Segments hit testing returns (Dify's `limit=10`).
pub const HIT_TESTING_K: usize = 10;

/// Longest query accepted.
const MAX_QUERY_CHARS: usize = 250;

/// What hit testing answers: the query and the segments it retrieved, best first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HitTesting {
    pub query: HitQuery,
    pub records: Vec<HitRecord>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HitQuery {
    pub content: String,
    pub tsne_position: Position,
}

/// A point of the console's 2-D chart.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Position {
    pub x: f32,
    pub y: f32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HitRecord {
    pub segment: HitSegment,
    pub score: f32,
    pub tsne_position: Position,
}

/// A retrieved segment with its document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HitSegment {
    #[serde(flatten)]
    pub segment: crate::segments::SegmentFields,
    pub document: HitDocument,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HitDocument {
    pub id: Uuid,
    pub data_source_type: entities::kinds::DataSourceType,
    pub name: String,
    pub doc_type: Option<String>,
}

/// Runs the query against a high-quality dataset's vectors and records it.
pub async fn hit_test(
    indexer: &Indexer,
    dataset: &datasets::Model,
    account_id: Uuid,
    query: Option<&str>,
) -> Result<HitTesting, DatasetError> {
    if dataset.indexing_technique != Some(entities::datasets::IndexingTechnique::HighQuality) {
        return Err(DatasetError::HighQualityOnly);
    }
    let query = query.filter(|q| !q.is_empty() && q.chars().count() <= MAX_QUERY_CHARS);
    let query = query.ok_or_else(|| ApiError::value_error("Query is required and cannot exceed 250 characters"))?;
    let db = &indexer.db;
    let Some(model) = index_entries::dataset_model(indexer, dataset).await? else {
        return Err(DatasetError::NotInitialized);
    };
    let vector = embedding_cache::embed_query(db, &indexer.http, &model, query).await?;
    let hits = indexer.vectors.search_dataset(db, dataset, vector, HIT_TESTING_K, Some(0.0)).await?;

    dataset_queries::ActiveModel {
        id: Set(Uuid::new_v4()),
        dataset_id: Set(dataset.id),
        content: Set(query.to_owned()),
        source: Set(entities::dataset_queries::QuerySource::HitTesting),
        source_app_id: Set(None),
        created_by_role: Set(entities::kinds::CreatorRole::Account),
        created_by: Set(account_id),
        created_at: Set(now_naive()),
    }
    .insert(db)
    .await?;

    let node_ids: Vec<String> = hits.iter().map(|h| h.node_id.clone()).collect();
    let segs = segments::Entity::find()
        .filter(segments::Column::DatasetId.eq(dataset.id))
        .filter(segments::Column::Enabled.eq(true))
        .filter(segments::Column::Status.eq(entities::document_segments::SegmentStatus::Completed))
        .filter(segments::Column::IndexNodeId.is_in(node_ids))
        .all(db)
        .await?;
    let doc_ids: Vec<Uuid> = segs.iter().map(|s| s.document_id).collect();
    let docs = documents::Entity::find().filter(documents::Column::Id.is_in(doc_ids)).all(db).await?;
    let mut records = Vec::new();
    for hit in &hits {
        let Some(seg) = segs.iter().find(|s| s.index_node_id.as_deref() == Some(hit.node_id.as_str())) else {
            continue;
        };
        let Some(doc) = docs.iter().find(|d| d.id == seg.document_id) else { continue };
        records.push(HitRecord {
            segment: HitSegment {
                segment: crate::segments::fields(seg),
                document: HitDocument {
                    id: doc.id,
                    data_source_type: doc.data_source_type,
                    name: doc.name.clone(),
                    doc_type: doc.doc_type.clone(),
                },
            },
            score: hit.score,
            // A 2-D placement for the console's chart: distance from the query on x.
            tsne_position: Position { x: 1.0 - hit.score, y: 0.0 },
        });
    }
    Ok(HitTesting { query: HitQuery { content: query.to_owned(), tsne_position: Position::default() }, records })
}
