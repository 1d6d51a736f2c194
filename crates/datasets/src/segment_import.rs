//! Segments imported from a CSV file (Dify's `DatasetDocumentSegmentBatchImportApi` and
//! `batch_create_segment_to_index_task`): the request parses the file and queues a job; the
//! job adds the rows after the document's last segment, indexes them, and reports
//! `waiting` → `completed` | `error` in the cache for the status endpoint.
//!
//! The job may run twice (redelivery): segment ids come from the job id and the row number,
//! so a second run finds the rows already there and only indexes them again, which replaces
//! their entries.

use std::time::Duration;

use entities::documents::DocForm;
use entities::{datasets, document_segments as segments, documents};
use infra::cache::Cache;
use kernel::ApiError;
use kernel::jobs::SegmentRow;
use kernel::time::now_naive;
use rag::split::text_hash;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait};
use serde_json::json;
use sha3::{Digest, Sha3_256};
use uuid::Uuid;

use crate::index_entries;
use crate::indexing::Indexer;
use crate::segment_edit::{chars, tokens};
use crate::segments::document_indexed;

/// How long a job's status stays readable after it was last set, as in Dify.
pub const STATUS_TTL: Duration = Duration::from_secs(600);

/// The job's state as the status endpoint reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Waiting,
    Completed,
    Error,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Completed => "completed",
            Self::Error => "error",
        }
    }
}

fn status_key(job_id: Uuid) -> String {
    format!("segment_batch_import_{job_id}")
}

/// The workspace that started the job (the status key itself holds Dify's bare status).
fn owner_key(job_id: Uuid) -> String {
    format!("segment_batch_import_{job_id}_tenant")
}

/// The rows of an uploaded CSV: the first row is the header, column 0 the content and, for a
/// Q&A document, column 1 the answer. Blank lines are skipped, as pandas does.
pub fn parse_csv(bytes: &[u8], doc: &documents::Model) -> Result<Vec<SegmentRow>, ApiError> {
    parse_rows(bytes, doc.doc_form == DocForm::QaModel)
}

fn parse_rows(bytes: &[u8], qa: bool) -> Result<Vec<SegmentRow>, ApiError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| ApiError::value_error(format!("The CSV file cannot be read: {e}")))?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.iter().any(|f| f.contains('\0')) {
            return Err(ApiError::value_error(format!("Row {line} of the CSV file contains a NUL character.")));
        }
        let content = record.get(0).unwrap_or_default();
        if content.trim().is_empty() {
            return Err(ApiError::value_error(format!("Row {line} of the CSV file has no content.")));
        }
        let answer = match qa {
            true => match record.get(1).filter(|a| !a.trim().is_empty()) {
                Some(a) => Some(a.to_owned()),
                None => return Err(ApiError::value_error(format!("Row {line} of the CSV file has no answer."))),
            },
            false => None,
        };
        rows.push(SegmentRow { content: content.to_owned(), answer });
    }
    if rows.is_empty() {
        return Err(ApiError::value_error("The CSV file is empty."));
    }
    Ok(rows)
}

/// Records a new job as `waiting` for the workspace.
pub async fn start(cache: &dyn Cache, job_id: Uuid, tenant_id: Uuid) -> Result<(), ApiError> {
    let stored = async {
        cache.set(&owner_key(job_id), tenant_id.to_string().as_bytes(), Some(STATUS_TTL)).await?;
        cache.set(&status_key(job_id), JobStatus::Waiting.as_str().as_bytes(), Some(STATUS_TTL)).await
    };
    stored.await.map_err(|e| {
        tracing::error!(error = %e, "cannot record a segment import");
        ApiError::unavailable("The import could not be started, please try again later.")
    })
}

/// The job's status as its workspace sees it; another workspace's job does not exist.
pub async fn status(cache: &dyn Cache, job_id: Uuid, tenant_id: Uuid) -> Result<String, ApiError> {
    let missing = || ApiError::value_error("The job is not exist.");
    let read = async {
        let owner = cache.get(&owner_key(job_id)).await?;
        let status = cache.get(&status_key(job_id)).await?;
        Ok::<_, infra::InfraError>((owner, status))
    };
    let (owner, status) = read.await.map_err(|e| {
        tracing::error!(error = %e, "cannot read a segment import's status");
        ApiError::unavailable("The import status could not be read, please try again later.")
    })?;
    let status = status.ok_or_else(missing)?;
    if owner.is_some_and(|o| o != tenant_id.to_string().as_bytes()) {
        return Err(missing());
    }
    Ok(String::from_utf8_lossy(&status).into_owned())
}

async fn finish(cache: &dyn Cache, target: ImportTarget, status: JobStatus) {
    let stored = async {
        cache.set(&owner_key(target.job_id), target.tenant_id.to_string().as_bytes(), Some(STATUS_TTL)).await?;
        cache.set(&status_key(target.job_id), status.as_str().as_bytes(), Some(STATUS_TTL)).await
    };
    if let Err(e) = stored.await {
        tracing::warn!(error = %e, job_id = %target.job_id, "cannot record a segment import's outcome");
    }
}

/// A segment id fixed by the job and row, so a repeated run inserts nothing twice.
fn row_id(job_id: Uuid, row: usize) -> Uuid {
    let digest = Sha3_256::new().chain_update(job_id.as_bytes()).chain_update(row.to_le_bytes()).finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// What the job needs besides its rows.
#[derive(Debug, Clone, Copy)]
pub struct ImportTarget {
    pub job_id: Uuid,
    pub tenant_id: Uuid,
    pub dataset_id: Uuid,
    pub document_id: Uuid,
    pub account_id: Uuid,
}

/// Runs an import job. A database outage is returned (the job runs again); every other
/// failure ends the job in `error` with nothing left behind.
pub async fn run(indexer: &Indexer, cache: &dyn Cache, target: ImportTarget, rows: &[SegmentRow]) -> Result<(), DbErr> {
    let outcome = import(indexer, target, rows).await;
    let status = match outcome {
        Ok(()) => JobStatus::Completed,
        Err(ImportError::Db(e)) => return Err(e),
        Err(ImportError::Failed(reason)) => {
            tracing::info!(job_id = %target.job_id, %reason, "segment import failed");
            JobStatus::Error
        }
    };
    finish(cache, target, status).await;
    Ok(())
}

enum ImportError {
    Db(DbErr),
    Failed(String),
}

impl From<DbErr> for ImportError {
    fn from(e: DbErr) -> Self {
        Self::Db(e)
    }
}

async fn import(indexer: &Indexer, target: ImportTarget, rows: &[SegmentRow]) -> Result<(), ImportError> {
    let db = &indexer.db;
    let dataset = datasets::Entity::find_by_id(target.dataset_id)
        .filter(datasets::Column::TenantId.eq(target.tenant_id))
        .one(db)
        .await?
        .ok_or_else(|| ImportError::Failed("Dataset not exist.".into()))?;
    let doc = documents::Entity::find_by_id(target.document_id)
        .filter(documents::Column::DatasetId.eq(dataset.id))
        .one(db)
        .await?
        .ok_or_else(|| ImportError::Failed("Document not exist.".into()))?;
    if !document_indexed(&doc) {
        return Err(ImportError::Failed("Document is not available.".into()));
    }
    let ids: Vec<Uuid> = (0..rows.len()).map(|i| row_id(target.job_id, i)).collect();
    insert(indexer, &dataset, &doc, target, rows, &ids).await?;
    let created = segments::Entity::find()
        .filter(segments::Column::Id.is_in(ids.clone()))
        .filter(segments::Column::DocumentId.eq(doc.id))
        .order_by_asc(segments::Column::Position)
        .all(db)
        .await?;
    match index_entries::add(indexer, &dataset, &created).await {
        Ok(nodes) => {
            let txn = db.begin().await?;
            for (node, words) in &nodes {
                segments::Entity::update_many()
                    .col_expr(segments::Column::Keywords, Expr::value(json!(words)))
                    .filter(segments::Column::DocumentId.eq(doc.id))
                    .filter(segments::Column::IndexNodeId.eq(node.as_str()))
                    .exec(&txn)
                    .await?;
            }
            txn.commit().await?;
            Ok(())
        }
        Err(e) => {
            // As Dify's rolled-back session: the rows go, and whatever was indexed with them.
            let nodes: Vec<String> = created.iter().filter_map(|s| s.index_node_id.clone()).collect();
            if let Err(cleanup) = index_entries::remove(indexer, &dataset, &nodes).await {
                tracing::warn!(error = %cleanup.message(), "cannot remove a failed import's index entries");
            }
            segments::Entity::delete_many().filter(segments::Column::Id.is_in(ids)).exec(db).await?;
            Err(ImportError::Failed(e.message()))
        }
    }
}

/// Inserts the rows not inserted yet, after the document's last segment, in one transaction.
async fn insert(
    indexer: &Indexer,
    dataset: &datasets::Model,
    doc: &documents::Model,
    target: ImportTarget,
    rows: &[SegmentRow],
    ids: &[Uuid],
) -> Result<(), DbErr> {
    let txn = indexer.db.begin().await?;
    let existing: Vec<Uuid> = segments::Entity::find()
        .select_only()
        .column(segments::Column::Id)
        .filter(segments::Column::Id.is_in(ids.to_vec()))
        .into_tuple()
        .all(&txn)
        .await?;
    let mut position = crate::segments::last_position(&txn, doc.id).await?;
    let now = now_naive();
    let qa = doc.doc_form == DocForm::QaModel;
    let mut fresh = Vec::new();
    for (row, id) in rows.iter().zip(ids) {
        if existing.contains(id) {
            continue;
        }
        position += 1;
        fresh.push(segments::ActiveModel {
            id: Set(*id),
            tenant_id: Set(doc.tenant_id),
            dataset_id: Set(doc.dataset_id),
            document_id: Set(doc.id),
            position: Set(position),
            content: Set(row.content.clone()),
            word_count: Set(chars(&row.content)),
            tokens: Set(tokens(dataset, &row.content)),
            keywords: Set(None),
            index_node_id: Set(Some(Uuid::new_v4().to_string())),
            index_node_hash: Set(Some(text_hash(&row.content))),
            hit_count: Set(0),
            enabled: Set(true),
            disabled_at: Set(None),
            disabled_by: Set(None),
            status: Set(entities::document_segments::SegmentStatus::Completed),
            created_by: Set(target.account_id),
            created_at: Set(now),
            indexing_at: Set(Some(now)),
            completed_at: Set(Some(now)),
            error: Set(None),
            stopped_at: Set(None),
            answer: Set(if qa { row.answer.clone() } else { None }),
            updated_by: Set(None),
            updated_at: Set(now),
        });
    }
    for part in fresh.chunks(crate::indexing::BATCH) {
        segments::Entity::insert_many(part.to_vec())
            .on_conflict(OnConflict::column(segments::Column::Id).do_nothing().to_owned())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_the_header() {
        let rows = parse_rows(b"question,answer\nWhat is tea?,A drink\n\n\"Comma, inside\",\"Multi\nline\"\n", true)
            .expect("rows");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1], SegmentRow { content: "Comma, inside".into(), answer: Some("Multi\nline".into()) });
        let text = parse_rows(b"content\nOne\nTwo\n", false).expect("rows");
        assert_eq!(text.iter().map(|r| r.answer.clone()).collect::<Vec<_>>(), vec![None, None]);
        assert_eq!(parse_rows(b"content\n", false).expect_err("empty").message, "The CSV file is empty.");
        assert!(parse_rows(b"q,a\nonly a question\n", true).is_err());
    }

    #[test]
    fn row_ids_are_stable_per_job() {
        let job = Uuid::new_v4();
        assert_eq!(row_id(job, 3), row_id(job, 3));
        assert_ne!(row_id(job, 3), row_id(job, 4));
        assert_ne!(row_id(job, 3), row_id(Uuid::new_v4(), 3));
    }
}
