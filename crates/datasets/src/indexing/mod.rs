//! The document indexing pipeline the `dataset` queue runs (Dify's `IndexingRunner`):
//! extract → clean → split (→ questions and answers for `qa_model`) → segments → embed and
//! keyword-index in batches → completed, with the document's status, timings and error kept
//! up to date at every stage.
//!
//! # Crash safety
//! The job is acked only after it returns. Every run of a document starts over: its old
//! segments, vectors and keywords are replaced, never added to, and embeddings come from the
//! cache (so a redelivered job pays no embedding twice; a Q&A document's questions are
//! generated again, though). A document left mid-way by a dead worker is finished by the
//! redelivered job, or — where the queue lived in the dead process — by [`resume_unfinished`]
//! at start-up. A paused document stops between batches; resuming queues it again.
//! Re-processing a document (Dify's `document_indexing_update_task`) is just another run.

mod attempts;
mod keyword_index;
pub mod qa;
mod stages;
mod technique;

use std::sync::Arc;

use entities::documents::IndexingStatus;
use entities::{datasets, documents};
use futures::StreamExt;
use kernel::time::now_naive;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, ExprTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::ctx::Ctx;

pub use attempts::abandoned_reason;
pub use keyword_index::{
    JSON_EVERY as KEYWORD_JSON_EVERY, add_nodes as add_keywords, delete_dataset as delete_keyword_index,
    remove_nodes as remove_keywords, search as search_keywords, table as keyword_table,
    write_json as write_keyword_json, write_pending_json as write_pending_keyword_json,
};
pub use stages::{DocumentOutcome, document_segments, index_document};
pub use technique::{Rebuild, rebuild_vectors, sync_vector_index};

/// Segments embedded and indexed per step; the pause flag is checked between steps.
pub const BATCH: usize = 100;

/// Documents of one job indexed at once.
pub const CONCURRENT_DOCUMENTS: usize = 8;

/// Embedding calls of one job in flight at once: the vendor sees at most this many, while the
/// other documents extract, split and store.
pub const CONCURRENT_EMBEDDINGS: usize = 4;

/// Batches of one document whose embeddings are fetched at once, ahead of their writes: a
/// document asks for its next call while its first is answered, so the vendor has calls to
/// answer while the job's documents write.
pub const FETCH_AHEAD: usize = 2;

/// Loads the tables indexing reads process-wide, which its first document would otherwise
/// load: the keyword extractor's dictionaries and the token tables of the splitter and of
/// OpenAI's embedding models. Blocking (a fraction of a second in release builds).
pub fn load_tables() {
    let _ = rag::keywords::KeywordExtractor::shared();
    let _ = rag::split::splitter_tokens("warm");
    let _ = providers::tokens::Encoding::Cl100kBase.count("warm");
}

/// The indexing view of the process's [`Ctx`]: the database, file storage, model credentials
/// and vendors, and the vector store. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Indexer(pub Arc<Ctx>);

impl std::ops::Deref for Indexer {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        &self.0
    }
}

/// Why a job should run again later (the database could not be reached); everything else
/// ends on the document as `error`.
#[derive(Debug, thiserror::Error)]
#[error("indexing could not record its progress: {0}")]
pub struct Transient(#[from] pub DbErr);

/// Dify's `document_indexing_task`: indexes each document of the dataset in turn. Documents
/// of other datasets, deleted ones and paused ones are skipped.
pub async fn index_documents(
    indexer: &Indexer,
    dataset_id: Uuid,
    document_ids: &[Uuid],
) -> Result<Vec<(Uuid, DocumentOutcome)>, Transient> {
    let Some(dataset) = datasets::Entity::find_by_id(dataset_id).one(&indexer.db).await? else {
        return Ok(Vec::new());
    };
    // Documents go through side by side: most of a document's time is spent waiting on the
    // embedding vendor. Keyword-table writes are short row-locked transactions. But when a
    // run of one of them already died, they go one at a time, so that a death is counted
    // against the document that caused it and not against its neighbours.
    let side_by_side = if attempts::any_started(&indexer.db, document_ids).await? { 1 } else { CONCURRENT_DOCUMENTS };
    let embedding_calls = tokio::sync::Semaphore::new(CONCURRENT_EMBEDDINGS);
    // Unordered: a slow document does not hold the next ones back.
    let runs = futures::stream::iter(document_ids.iter().copied().enumerate())
        .map(|(i, id)| {
            let (dataset, embedding_calls) = (&dataset, &embedding_calls);
            async move { (i, index_document(indexer, dataset, id, embedding_calls).await.map(|o| (id, o))) }
        })
        .buffer_unordered(side_by_side);
    // Every run ends before a database error is returned: a run dropped mid-way would leave
    // its start counted as if its process had died.
    let mut results: Vec<_> = runs.collect().await;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Documents a previous process left unfinished (not paused), grouped by dataset: to queue
/// again at start-up when the queue itself did not survive (embedded mode). Documents whose
/// runs died `max_attempts` times are marked `error` instead, so no file can put the
/// instance in a restart loop.
pub async fn resume_unfinished(db: &DatabaseConnection, max_attempts: u32) -> Result<Vec<(Uuid, Vec<Uuid>)>, DbErr> {
    let rows: Vec<(Uuid, Uuid)> = documents::Entity::find()
        .select_only()
        .column(documents::Column::DatasetId)
        .column(documents::Column::Id)
        .filter(documents::Column::IndexingStatus.is_in(IndexingStatus::UNFINISHED))
        .filter(documents::Column::IsPaused.eq(false).or(documents::Column::IsPaused.is_null()))
        .filter(documents::Column::Archived.eq(false))
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|(_, id)| *id).collect();
    let exhausted = attempts::exhausted(db, &ids, max_attempts).await?;
    for id in &exhausted {
        attempts::abandon(db, *id, max_attempts).await?;
    }
    Ok(by_dataset(rows.into_iter().filter(|(_, id)| !exhausted.contains(id))))
}

/// `(dataset, document)` pairs as one list of documents per dataset, in first-seen order.
fn by_dataset(rows: impl IntoIterator<Item = (Uuid, Uuid)>) -> Vec<(Uuid, Vec<Uuid>)> {
    let mut grouped: Vec<(Uuid, Vec<Uuid>)> = Vec::new();
    for (dataset_id, id) in rows {
        match grouped.iter_mut().find(|(d, _)| *d == dataset_id) {
            Some((_, ids)) => ids.push(id),
            None => grouped.push((dataset_id, vec![id])),
        }
    }
    grouped
}

/// Documents still `waiting` (not paused, not archived, no run started) whose row has not
/// changed for `older_than`: their job was lost (a publish that failed after the commit, a
/// delivery no worker started). Each is claimed by moving its `updated_at` on, so of several
/// workers sweeping at once only one queues it again. Grouped by dataset.
pub async fn claim_stale_waiting(
    db: &DatabaseConnection,
    older_than: std::time::Duration,
) -> Result<Vec<(Uuid, Vec<Uuid>)>, DbErr> {
    use sea_orm::sea_query::Expr;
    let cutoff = now_naive() - chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
    let stale: Vec<(Uuid, Uuid, chrono::NaiveDateTime)> = documents::Entity::find()
        .select_only()
        .column(documents::Column::DatasetId)
        .column(documents::Column::Id)
        .column(documents::Column::UpdatedAt)
        .filter(documents::Column::IndexingStatus.eq(IndexingStatus::Waiting))
        .filter(documents::Column::UpdatedAt.lt(cutoff))
        .filter(documents::Column::IsPaused.eq(false).or(documents::Column::IsPaused.is_null()))
        .filter(documents::Column::Archived.eq(false))
        .into_tuple()
        .all(db)
        .await?;
    let started = attempts::started(db).await?;
    let mut claimed_rows = Vec::new();
    for (dataset_id, id, seen) in stale.into_iter().filter(|(_, id, _)| !started.contains(id)) {
        let claimed = documents::Entity::update_many()
            .col_expr(documents::Column::UpdatedAt, Expr::value(now_naive()))
            .filter(documents::Column::Id.eq(id))
            .filter(documents::Column::UpdatedAt.eq(seen))
            .exec(db)
            .await?;
        // None affected: another worker queued it.
        if claimed.rows_affected > 0 {
            claimed_rows.push((dataset_id, id));
        }
    }
    Ok(by_dataset(claimed_rows))
}

/// Marks a document failed with the reason the console shows.
pub(crate) async fn fail(db: &impl ConnectionTrait, id: Uuid, error: &str) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    documents::Entity::update_many()
        .col_expr(documents::Column::IndexingStatus, Expr::value(IndexingStatus::Error))
        // Vendor messages end up here: a NUL would make the failure itself fail on PostgreSQL.
        .col_expr(documents::Column::Error, Expr::value(error.replace('\0', "")))
        .col_expr(documents::Column::StoppedAt, Expr::value(now_naive()))
        .filter(documents::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
