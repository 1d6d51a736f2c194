//! Segments of a document through the console: Dify's `segment_fields`, the cursor listing,
//! enabling, disabling and deleting one, with its index entries kept in step.

use crate::DatasetError;
use entities::document_segments::SegmentStatus;
use entities::documents::{DocForm, IndexingStatus};
use entities::{datasets, document_segments as segments, documents};
use kernel::ApiError;
use kernel::time::{now_naive, unix_seconds};
use sea_orm::sea_query::{Expr, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::index_entries;
use crate::indexing::Indexer;

/// Most segments one page returns.
pub const MAX_LIMIT: u64 = 100;

/// Dify's `segment_fields`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SegmentFields {
    pub id: Uuid,
    pub position: i32,
    pub document_id: Uuid,
    pub content: String,
    pub answer: Option<String>,
    pub word_count: i32,
    pub tokens: i32,
    /// The segment's keywords; null when none were stored as a list.
    pub keywords: Option<Vec<Value>>,
    pub index_node_id: Option<String>,
    pub index_node_hash: Option<String>,
    pub hit_count: i32,
    pub enabled: bool,
    /// Unix seconds, as every time here.
    pub disabled_at: Option<i64>,
    pub disabled_by: Option<Uuid>,
    pub status: SegmentStatus,
    pub created_by: Uuid,
    pub created_at: i64,
    pub indexing_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub error: Option<String>,
    pub stopped_at: Option<i64>,
}

/// Dify's `segment_fields` of a row.
pub fn fields(s: &segments::Model) -> SegmentFields {
    let ts = |t: Option<chrono::NaiveDateTime>| t.map(unix_seconds);
    SegmentFields {
        id: s.id,
        position: s.position,
        document_id: s.document_id,
        content: s.content.clone(),
        answer: s.answer.clone(),
        word_count: s.word_count,
        tokens: s.tokens,
        keywords: match &s.keywords {
            Some(Value::Array(list)) => Some(list.clone()),
            _ => None,
        },
        index_node_id: s.index_node_id.clone(),
        index_node_hash: s.index_node_hash.clone(),
        hit_count: s.hit_count,
        enabled: s.enabled,
        disabled_at: ts(s.disabled_at),
        disabled_by: s.disabled_by,
        status: s.status,
        created_by: s.created_by,
        created_at: unix_seconds(s.created_at),
        indexing_at: ts(s.indexing_at),
        completed_at: ts(s.completed_at),
        error: s.error.clone(),
        stopped_at: ts(s.stopped_at),
    }
}

/// A segment created or edited, with its document's form.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SegmentWithForm {
    pub data: SegmentFields,
    pub doc_form: DocForm,
}

/// A page of a document's segments. A `last_id` that is no segment of the document answers
/// Dify's short `{data: [], has_more: false, limit}`, without `doc_form` and `total`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SegmentPage {
    pub data: Vec<SegmentFields>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc_form: Option<DocForm>,
    pub has_more: bool,
    pub limit: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// The highest segment position of a document (0 without segments).
pub async fn last_position(db: &impl ConnectionTrait, document_id: Uuid) -> Result<i32, sea_orm::DbErr> {
    let last: Option<Option<i32>> = segments::Entity::find()
        .select_only()
        .column_as(segments::Column::Position.max(), "max")
        .filter(segments::Column::DocumentId.eq(document_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(last.flatten().unwrap_or(0))
}

/// Which segments `GET .../segments` wants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SegmentQuery {
    /// Raw `last_id`: an id that is not a segment of the document ends the listing.
    pub last_id: Option<String>,
    pub limit: u64,
    pub statuses: Vec<String>,
    pub hit_count_gte: Option<i32>,
    /// None for `all`.
    pub enabled: Option<bool>,
    pub keyword: Option<String>,
}

/// A page of the document's segments by position after `last_id`:
/// `{data, doc_form, has_more, limit, total}`.
pub async fn list(
    db: &impl ConnectionTrait,
    doc: &documents::Model,
    q: &SegmentQuery,
) -> Result<SegmentPage, ApiError> {
    let mut find = segments::Entity::find()
        .filter(segments::Column::DocumentId.eq(doc.id))
        .filter(segments::Column::TenantId.eq(doc.tenant_id));
    if let Some(last_id) = &q.last_id {
        let last = match last_id.parse::<Uuid>() {
            Ok(id) => find.clone().filter(segments::Column::Id.eq(id)).one(db).await?,
            Err(_) => None,
        };
        let Some(last) = last else {
            return Ok(SegmentPage { data: Vec::new(), doc_form: None, has_more: false, limit: q.limit, total: None });
        };
        find = find.filter(segments::Column::Position.gt(last.position));
    }
    if !q.statuses.is_empty() {
        find = find.filter(segments::Column::Status.is_in(q.statuses.clone()));
    }
    if let Some(n) = q.hit_count_gte {
        find = find.filter(segments::Column::HitCount.gte(n));
    }
    if let Some(k) = &q.keyword {
        // ILIKE on both backends.
        let pattern = LikeExpr::new(kernel::like::contains_pattern(&k.to_lowercase())).escape('\\');
        find = find
            .filter(Condition::all().add(Expr::expr(Func::lower(Expr::col(segments::Column::Content))).like(pattern)));
    }
    if let Some(enabled) = q.enabled {
        find = find.filter(segments::Column::Enabled.eq(enabled));
    }
    let total = find.clone().count(db).await?;
    let mut rows = find.order_by_asc(segments::Column::Position).limit(q.limit + 1).all(db).await?;
    let has_more = rows.len() as u64 > q.limit;
    rows.truncate(q.limit as usize);
    Ok(SegmentPage {
        data: rows.iter().map(fields).collect(),
        doc_form: Some(doc.doc_form),
        has_more,
        limit: q.limit,
        total: Some(total),
    })
}

/// A segment of the dataset, or 404 "Segment not found.".
pub async fn find(db: &impl ConnectionTrait, dataset: &datasets::Model, id: Uuid) -> Result<segments::Model, ApiError> {
    segments::Entity::find_by_id(id)
        .filter(segments::Column::DatasetId.eq(dataset.id))
        .filter(segments::Column::TenantId.eq(dataset.tenant_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Segment not found."))
}

/// The node ids of segments, for removing their index entries.
pub fn node_ids(segs: &[segments::Model]) -> Vec<String> {
    segs.iter().filter_map(|s| s.index_node_id.clone()).collect()
}

/// True when the document's segments belong in the indexes (completed, enabled, live).
pub fn document_indexed(d: &documents::Model) -> bool {
    d.indexing_status == IndexingStatus::Completed && d.enabled && !d.archived
}

/// `PATCH /datasets/<id>/segments/<segment_id>/<action>`: `enable` puts a completed
/// segment back into the indexes (re-embedded through the cache), `disable` takes it out.
pub async fn set_enabled(
    indexer: &Indexer,
    dataset: &datasets::Model,
    account_id: Uuid,
    segment: segments::Model,
    action: &str,
) -> Result<(), DatasetError> {
    let db = &indexer.db;
    let doc = documents::Entity::find_by_id(segment.document_id).one(db).await?;
    let indexed = doc.as_ref().is_some_and(document_indexed);
    match action {
        "enable" => {
            if segment.enabled {
                return Err(DatasetError::InvalidAction("Segment is already enabled."));
            }
            let row = segments::ActiveModel {
                id: Set(segment.id),
                enabled: Set(true),
                disabled_at: Set(None),
                disabled_by: Set(None),
                ..Default::default()
            }
            .update(db)
            .await?;
            if indexed
                && row.status == entities::document_segments::SegmentStatus::Completed
                && let Err(e) = index_entries::add(indexer, dataset, std::slice::from_ref(&row)).await
            {
                // Dify's task leaves a segment it could not index disabled, in error.
                segments::ActiveModel {
                    id: Set(row.id),
                    enabled: Set(false),
                    disabled_at: Set(Some(now_naive())),
                    status: Set(entities::document_segments::SegmentStatus::Error),
                    error: Set(Some(e.message())),
                    ..Default::default()
                }
                .update(db)
                .await?;
                return Err(e);
            }
            Ok(())
        }
        "disable" => {
            if !segment.enabled {
                return Err(DatasetError::InvalidAction("Segment is already disabled."));
            }
            index_entries::remove(indexer, dataset, &node_ids(std::slice::from_ref(&segment))).await?;
            segments::ActiveModel {
                id: Set(segment.id),
                enabled: Set(false),
                disabled_at: Set(Some(now_naive())),
                disabled_by: Set(Some(account_id)),
                ..Default::default()
            }
            .update(db)
            .await?;
            Ok(())
        }
        _ => Err(DatasetError::InvalidAction("Invalid action.")),
    }
}

/// Deletes a segment of `doc` with its index entries.
pub async fn delete(
    indexer: &Indexer,
    dataset: &datasets::Model,
    segment: &segments::Model,
) -> Result<(), DatasetError> {
    if segment.enabled {
        index_entries::remove(indexer, dataset, &node_ids(std::slice::from_ref(segment))).await?;
    }
    // Of parallel deletes one removes the row; the others answer 404.
    let gone = segments::Entity::delete_many()
        .filter(segments::Column::Id.eq(segment.id))
        .filter(segments::Column::DatasetId.eq(dataset.id))
        .exec(&indexer.db)
        .await?;
    if gone.rows_affected == 0 {
        return Err(ApiError::not_found("Segment not found.").into());
    }
    Ok(())
}

/// The document's segments in position order.
pub async fn of_document(db: &impl ConnectionTrait, doc: &documents::Model) -> Result<Vec<segments::Model>, ApiError> {
    Ok(segments::Entity::find()
        .filter(segments::Column::DocumentId.eq(doc.id))
        .filter(segments::Column::TenantId.eq(doc.tenant_id))
        .order_by_asc(segments::Column::Position)
        .all(db)
        .await?)
}

/// How many segments the document has and their summed hits (None without segments, as
/// Dify's `coalesce(sum(..))` answers).
pub async fn count_and_hits(db: &impl ConnectionTrait, doc_id: Uuid) -> Result<(u64, Option<i64>), ApiError> {
    let row: Option<(i64, Option<i64>)> = segments::Entity::find()
        .select_only()
        .column_as(segments::Column::Id.count(), "n")
        .column_as(segments::Column::HitCount.sum(), "hits")
        .filter(segments::Column::DocumentId.eq(doc_id))
        .into_tuple()
        .one(db)
        .await?;
    let (n, hits) = row.unwrap_or((0, None));
    Ok((u64::try_from(n).unwrap_or(0), hits))
}
