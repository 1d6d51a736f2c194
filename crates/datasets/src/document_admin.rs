//! One document through the console: its detail, metadata, pausing and resuming its
//! indexing, enabling, disabling and archiving it (its index entries follow), and deleting it.

use crate::DatasetError;
use entities::document_segments as segments_model;
use entities::documents::{CreatedFrom, DocForm, IndexingStatus};
use entities::kinds::DataSourceType;
use entities::{datasets, documents, upload_files};
use infra::outbox::Outbox;
use kernel::ApiError;
use kernel::jobs::Job;
use kernel::time::now_naive;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::documents::display_status;
use crate::index_entries;
use crate::indexing::Indexer;
use crate::process_rule::ProcessRuleFields;
use crate::segments::{self, document_indexed, node_ids};
use crate::text_documents::filter_metadata;
use serde::Serialize;

/// Which part of a document `GET .../documents/<id>?metadata=` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataView {
    /// Everything (Dify's default, which crashes there; ours is `Without` plus the metadata).
    All,
    /// Only `doc_type` and `doc_metadata`.
    Only,
    /// Everything but the metadata.
    Without,
}

impl MetadataView {
    /// The query value (default `all`), or 400 `invalid_metadata`.
    pub fn parse(value: Option<&str>) -> Result<Self, DatasetError> {
        match value.unwrap_or("all") {
            "all" => Ok(Self::All),
            "only" => Ok(Self::Only),
            "without" => Ok(Self::Without),
            other => Err(DatasetError::InvalidMetadata(other.to_owned())),
        }
    }
}

fn float_seconds(t: chrono::NaiveDateTime) -> f64 {
    t.and_utc().timestamp_micros() as f64 / 1_000_000.0
}

/// Dify's `data_source_detail_dict`: the upload file's details, or `{}`.
async fn data_source_detail(db: &impl ConnectionTrait, d: &documents::Model) -> Result<Value, ApiError> {
    let info: Option<Value> = d.data_source_info.as_deref().and_then(|s| serde_json::from_str(s).ok());
    let Some(info) = info else { return Ok(json!({})) };
    match d.data_source_type {
        DataSourceType::UploadFile => {
            let Some(id) = crate::upload::source_file(d) else { return Ok(json!({})) };
            let file = upload_files::Entity::find_by_id(id)
                .filter(upload_files::Column::TenantId.eq(d.tenant_id))
                .one(db)
                .await?;
            Ok(match file {
                Some(f) => json!({"upload_file": {
                    "id": f.id,
                    "name": f.name,
                    "size": f.size,
                    "extension": f.extension,
                    "mime_type": f.mime_type,
                    "created_by": f.created_by,
                    "created_at": float_seconds(f.created_at),
                }}),
                None => json!({}),
            })
        }
        DataSourceType::NotionImport => Ok(info),
    }
}

/// `GET /datasets/<id>/documents/<doc_id>`: the metadata alone, or the detail.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum DocumentView {
    Metadata(DocumentMetadata),
    Detail(Box<DocumentDetail>),
}

/// A document's type and metadata.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentMetadata {
    pub id: Uuid,
    pub doc_type: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub doc_metadata: Option<Value>,
}

/// Dify's `document_detail_fields` (times in float seconds, as Dify's `TimestampField` here).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentDetail {
    pub id: Uuid,
    pub position: i32,
    pub data_source_type: DataSourceType,
    /// `{upload_file: {...}}` for a file, the stored info for Notion, else `{}`.
    #[schema(value_type = Object)]
    pub data_source_info: Value,
    pub dataset_process_rule_id: Option<Uuid>,
    pub dataset_process_rule: ProcessRuleFields,
    pub name: String,
    pub created_from: CreatedFrom,
    pub created_by: Uuid,
    pub created_at: f64,
    pub tokens: i32,
    pub indexing_status: IndexingStatus,
    pub completed_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub indexing_latency: Option<f64>,
    pub error: Option<String>,
    pub enabled: bool,
    pub disabled_at: Option<i64>,
    pub disabled_by: Option<Uuid>,
    pub archived: bool,
    pub segment_count: u64,
    pub average_segment_length: i64,
    pub hit_count: Option<i64>,
    pub display_status: Option<&'static str>,
    pub doc_form: DocForm,
    /// With the default view (`all`) only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc_type: Option<Option<String>>,
    /// With the default view (`all`) only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub doc_metadata: Option<Option<Value>>,
}

/// `GET /datasets/<id>/documents/<doc_id>` in the asked view.
pub async fn detail(
    db: &impl ConnectionTrait,
    d: &documents::Model,
    view: MetadataView,
) -> Result<DocumentView, ApiError> {
    if view == MetadataView::Only {
        return Ok(DocumentView::Metadata(DocumentMetadata {
            id: d.id,
            doc_type: d.doc_type.clone(),
            doc_metadata: d.doc_metadata.clone(),
        }));
    }
    let rule = crate::process_rule::latest_of_dataset(db, d.dataset_id).await?;
    let (segment_count, hit_count) = segments::count_and_hits(db, d.id).await?;
    let average = match (d.word_count, segment_count) {
        (Some(w), n) if w > 0 && n > 0 => i64::from(w) / i64::try_from(n).unwrap_or(i64::MAX),
        _ => 0,
    };
    let secs = |t: Option<chrono::NaiveDateTime>| t.map(kernel::time::unix_seconds);
    let all = view == MetadataView::All;
    Ok(DocumentView::Detail(Box::new(DocumentDetail {
        id: d.id,
        position: d.position,
        data_source_type: d.data_source_type,
        data_source_info: data_source_detail(db, d).await?,
        dataset_process_rule_id: d.dataset_process_rule_id,
        dataset_process_rule: rule,
        name: d.name.clone(),
        created_from: d.created_from,
        created_by: d.created_by,
        created_at: float_seconds(d.created_at),
        tokens: d.tokens.unwrap_or(0),
        indexing_status: d.indexing_status,
        completed_at: secs(d.completed_at),
        updated_at: secs(Some(d.updated_at)),
        indexing_latency: d.indexing_latency,
        error: d.error.clone(),
        enabled: d.enabled,
        disabled_at: secs(d.disabled_at),
        disabled_by: d.disabled_by,
        archived: d.archived,
        segment_count,
        average_segment_length: average,
        hit_count,
        display_status: display_status(d),
        doc_form: d.doc_form,
        doc_type: all.then(|| d.doc_type.clone()),
        doc_metadata: all.then(|| d.doc_metadata.clone()),
    })))
}

/// The body of `PUT .../metadata`; [`set_metadata`] checks it with Dify's messages.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, utoipa::ToSchema)]
pub struct MetadataEdit {
    /// One of the metadata schema's types (`book`, `web_page`, ..., `others`).
    #[schema(value_type = Option<String>)]
    pub doc_type: Option<Value>,
    /// The type's fields (strings); for `others`, any object.
    #[schema(value_type = Option<Object>)]
    pub doc_metadata: Option<Value>,
}

/// `PUT .../metadata`: validates `{doc_type, doc_metadata}` and stores the schema's string
/// fields (or, for `others`, the object as given).
pub async fn set_metadata(
    db: &impl ConnectionTrait,
    d: &documents::Model,
    edit: &MetadataEdit,
) -> Result<(), ApiError> {
    let doc_type = edit.doc_type.as_ref().filter(|v| !v.is_null());
    let metadata = edit.doc_metadata.as_ref().filter(|v| !v.is_null());
    let (Some(doc_type), Some(metadata)) = (doc_type, metadata) else {
        return Err(ApiError::value_error("Both doc_type and doc_metadata must be provided."));
    };
    let doc_type = doc_type.as_str().ok_or_else(|| ApiError::value_error("Invalid doc_type."))?;
    let metadata = metadata.as_object().ok_or_else(|| ApiError::value_error("doc_metadata must be a dictionary."))?;
    let kept = filter_metadata(doc_type, metadata).ok_or_else(|| ApiError::value_error("Invalid doc_type."))?;
    documents::ActiveModel {
        id: Set(d.id),
        doc_type: Set(Some(doc_type.to_owned())),
        doc_metadata: Set(Some(Value::Object(kept))),
        updated_at: Set(now_naive()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// `PATCH .../processing/pause`: stops an unfinished document between indexing batches.
pub async fn pause(db: &impl ConnectionTrait, d: &documents::Model, account_id: Uuid) -> Result<(), DatasetError> {
    if d.archived {
        return Err(DatasetError::ArchivedImmutable);
    }
    if !d.indexing_status.is_unfinished() {
        return Err(DatasetError::DocumentIndexing("Cannot pause completed document."));
    }
    documents::ActiveModel {
        id: Set(d.id),
        is_paused: Set(Some(true)),
        paused_by: Set(Some(account_id)),
        paused_at: Set(Some(now_naive())),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// `PATCH .../processing/resume`: clears the pause and queues the document again, together
/// (the pipeline starts it over, as Dify's recover task does by stage).
pub async fn resume(db: &DatabaseConnection, outbox: &Outbox, d: &documents::Model) -> Result<(), DatasetError> {
    if d.archived {
        return Err(DatasetError::ArchivedImmutable);
    }
    if d.is_paused != Some(true) {
        return Err(DatasetError::DocumentIndexing("Document is not in paused status."));
    }
    let txn = db.begin().await?;
    documents::ActiveModel {
        id: Set(d.id),
        is_paused: Set(Some(false)),
        paused_by: Set(None),
        paused_at: Set(None),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let job = Outbox::stage(&txn, &Job::IndexDocuments { dataset_id: d.dataset_id, document_ids: vec![d.id] }).await?;
    txn.commit().await?;
    outbox.send([job]).await;
    Ok(())
}

/// What `PATCH .../status/<action>` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    Enable,
    Disable,
    Archive,
    UnArchive,
}

impl StatusAction {
    /// The path's action, or 400 `invalid_action`.
    pub fn parse(s: &str) -> Result<Self, DatasetError> {
        match s {
            "enable" => Ok(Self::Enable),
            "disable" => Ok(Self::Disable),
            "archive" => Ok(Self::Archive),
            "un_archive" => Ok(Self::UnArchive),
            _ => Err(DatasetError::InvalidAction("Invalid action.")),
        }
    }
}

/// Applies a status action and brings the indexes in line: a document that becomes
/// available gets its enabled, completed segments back; one that stops being available loses
/// them. When the indexes cannot follow, the row change is undone.
pub async fn set_status(
    indexer: &Indexer,
    dataset: &datasets::Model,
    d: &documents::Model,
    account_id: Uuid,
    action: StatusAction,
) -> Result<(), DatasetError> {
    let db = &indexer.db;
    let now = now_naive();
    let mut edit = documents::ActiveModel { id: Set(d.id), updated_at: Set(now), ..Default::default() };
    let mut after = d.clone();
    match action {
        StatusAction::Enable => {
            if d.enabled {
                return Err(DatasetError::InvalidAction("Document already enabled."));
            }
            edit.enabled = Set(true);
            edit.disabled_at = Set(None);
            edit.disabled_by = Set(None);
            after.enabled = true;
        }
        StatusAction::Disable => {
            if d.completed_at.is_none() || d.indexing_status != IndexingStatus::Completed {
                return Err(DatasetError::InvalidAction("Document is not completed."));
            }
            if !d.enabled {
                return Err(DatasetError::InvalidAction("Document already disabled."));
            }
            edit.enabled = Set(false);
            edit.disabled_at = Set(Some(now));
            edit.disabled_by = Set(Some(account_id));
            after.enabled = false;
        }
        StatusAction::Archive => {
            if d.archived {
                return Err(DatasetError::InvalidAction("Document already archived."));
            }
            edit.archived = Set(true);
            edit.archived_at = Set(Some(now));
            edit.archived_by = Set(Some(account_id));
            after.archived = true;
        }
        StatusAction::UnArchive => {
            if !d.archived {
                return Err(DatasetError::InvalidAction("Document is not archived."));
            }
            edit.archived = Set(false);
            edit.archived_at = Set(None);
            edit.archived_by = Set(None);
            after.archived = false;
        }
    }
    let (was, will) = (document_indexed(d), document_indexed(&after));
    if was && !will {
        // Out of the indexes first: a failure leaves the document as it was.
        let segs = segments::of_document(db, d).await?;
        index_entries::remove_document(indexer, dataset, d.id, &node_ids(&segs)).await?;
        edit.update(db).await?;
    } else if !was && will {
        edit.update(db).await?;
        let segs: Vec<segments_model::Model> = segments::of_document(db, d)
            .await?
            .into_iter()
            .filter(|s| s.enabled && s.status == entities::document_segments::SegmentStatus::Completed)
            .collect();
        if let Err(e) = index_entries::add(indexer, dataset, &segs).await {
            // Leave nothing half-added and the document as it was.
            let _ = index_entries::remove_document(indexer, dataset, d.id, &node_ids(&segs)).await;
            documents::ActiveModel {
                id: Set(d.id),
                enabled: Set(d.enabled),
                disabled_at: Set(d.disabled_at),
                disabled_by: Set(d.disabled_by),
                archived: Set(d.archived),
                archived_at: Set(d.archived_at),
                archived_by: Set(d.archived_by),
                ..Default::default()
            }
            .update(db)
            .await?;
            return Err(e);
        }
    } else {
        edit.update(db).await?;
    }
    Ok(())
}

/// `DELETE .../documents/<doc_id>`: refused while the pipeline works on it; otherwise its
/// index entries go, then its segments and the row, in one transaction.
pub async fn delete(indexer: &Indexer, dataset: &datasets::Model, d: &documents::Model) -> Result<(), DatasetError> {
    if d.indexing_status.is_running() {
        return Err(DatasetError::DocumentIndexing("Cannot delete document during indexing."));
    }
    let db = &indexer.db;
    let segs = segments::of_document(db, d).await?;
    index_entries::remove_document(indexer, dataset, d.id, &node_ids(&segs)).await?;
    let txn = db.begin().await?;
    // The row first: of parallel deletes one wins, the others answer 404 (index removal
    // above is idempotent, so their repeating it is harmless).
    let gone = documents::Entity::delete_many()
        .filter(documents::Column::Id.eq(d.id))
        .filter(documents::Column::DatasetId.eq(dataset.id))
        .filter(documents::Column::TenantId.eq(dataset.tenant_id))
        .exec(&txn)
        .await?;
    if gone.rows_affected == 0 {
        return Err(DatasetError::DocumentNotFound);
    }
    segments_model::Entity::delete_many().filter(segments_model::Column::DocumentId.eq(d.id)).exec(&txn).await?;
    txn.commit().await?;
    if let Some(file) = crate::upload::source_file(d) {
        crate::upload::remove_orphans(db, indexer.storage.as_ref(), d.tenant_id, &[file]).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_and_actions_parse_or_answer_400() {
        assert_eq!(MetadataView::parse(None).ok(), Some(MetadataView::All));
        assert_eq!(MetadataView::parse(Some("only")).ok(), Some(MetadataView::Only));
        assert_eq!(MetadataView::parse(Some("some")).err(), Some(DatasetError::InvalidMetadata("some".into())));
        assert_eq!(StatusAction::parse("un_archive").ok(), Some(StatusAction::UnArchive));
        assert!(StatusAction::parse("delete").is_err());
        assert!(
            filter_metadata("others", &serde_json::Map::new()).is_some()
                && filter_metadata("novel", &serde_json::Map::new()).is_none()
        );
    }
}
