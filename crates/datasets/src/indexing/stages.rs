//! One document through the pipeline, stage by stage.

use std::time::Instant;

use entities::documents::IndexingStatus;
use entities::{dataset_process_rules, datasets, document_segments as segments, documents, upload_files};
use futures::StreamExt;
use futures::stream::FuturesOrdered;
use kernel::time::now_naive;
use providers::runtime::ModelRef;
use providers::tokens::Encoding;
use rag::keywords::{KeywordExtractor, MAX_KEYWORDS_PER_CHUNK};
use rag::rules::ProcessRule;
use rag::split::Chunk;
use rag::vector::VectorPoint;
use sea_orm::sea_query::{Expr, InsertStatement, SubQueryStatement, UpdateStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set};
use uuid::Uuid;

use super::{BATCH, FETCH_AHEAD, Indexer, Transient, attempts, fail, keyword_index, qa};
use crate::embedding_cache;

/// How a document's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentOutcome {
    Completed {
        segments: usize,
        tokens: usize,
    },
    /// Marked `error` with this reason.
    Failed(String),
    /// Stopped between batches because the document was paused.
    Paused,
    /// Nothing to do: gone, archived, paused, or already completed or failed.
    Skipped,
    /// Marked `error` without a run: earlier runs kept dying with their process.
    Abandoned(String),
}

/// A failure that ends the document in `error` (the reason the console shows) or, for the
/// database, retries the job.
enum StageError {
    Document(String),
    Db(sea_orm::DbErr),
}

impl From<sea_orm::DbErr> for StageError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Db(e)
    }
}

/// Indexes one document of `dataset` from scratch (see the module docs of `indexing`); its
/// embedding calls take turns with the job's other documents' on `embedding_calls`.
#[tracing::instrument(name = "index_document", skip_all, fields(workspace = %dataset.tenant_id, dataset = %dataset.id, document = %document_id))]
pub async fn index_document(
    indexer: &Indexer,
    dataset: &datasets::Model,
    document_id: Uuid,
    embedding_calls: &tokio::sync::Semaphore,
) -> Result<DocumentOutcome, Transient> {
    let db = &indexer.db;
    let Some(doc) =
        documents::Entity::find_by_id(document_id).filter(documents::Column::DatasetId.eq(dataset.id)).one(db).await?
    else {
        return Ok(DocumentOutcome::Skipped);
    };
    // A job may come more than once (at-least-once, or an outbox row outliving a process that
    // gave its document up): a document that ended, either way, is not run again by it. Work
    // that re-indexes a document sets it `waiting` first.
    if doc.archived || doc.is_paused == Some(true) || doc.indexing_status.is_settled() {
        return Ok(DocumentOutcome::Skipped);
    }
    // Counted before any work, with the move to `parsing`: a run that kills its process
    // still leaves its mark.
    let started = Instant::now();
    let now = now_naive();
    let parsing = status_update(doc.id, IndexingStatus::Parsing, |m| {
        m.processing_started_at = Set(Some(now));
        m.error = Set(None);
        m.stopped_at = Set(None);
    });
    indexer.writes.write(vec![attempts::starting(doc.id).into(), parsing.into()]).await?;
    if attempts::count(db, doc.id).await? > indexer.indexing_max_attempts {
        let reason = attempts::abandon(db, doc.id, indexer.indexing_max_attempts).await?;
        return Ok(DocumentOutcome::Abandoned(reason));
    }
    let outcome = run(indexer, dataset, &doc, embedding_calls, started).await;
    // However the run ended, it ended: only a dead process leaves its start counted. A
    // completed run forgot it in its last unit.
    let cleared = match &outcome {
        Ok(DocumentOutcome::Completed { .. }) => Ok(()),
        _ => indexer.writes.write(vec![attempts::forgetting(doc.id).into()]).await,
    };
    match outcome {
        Ok(outcome) => {
            cleared?;
            Ok(outcome)
        }
        Err(StageError::Db(e)) => Err(Transient(e)),
        Err(StageError::Document(reason)) => {
            tracing::info!(document_id = %doc.id, %reason, "document indexing failed");
            fail(db, doc.id, &reason).await?;
            Ok(DocumentOutcome::Failed(reason))
        }
    }
}

async fn run(
    indexer: &Indexer,
    dataset: &datasets::Model,
    doc: &documents::Model,
    embedding_calls: &tokio::sync::Semaphore,
    started: Instant,
) -> Result<DocumentOutcome, StageError> {
    let db = &indexer.db;
    // Extract (on its own thread) and sanitise.
    let texts: Vec<String> = load_source(indexer, doc).await?.iter().map(|t| rag::clean::sanitize(t)).collect();
    let word_count: usize = texts.iter().map(|t| t.chars().count()).sum();
    let splitting = status_update(doc.id, IndexingStatus::Splitting, |m| {
        m.word_count = Set(Some(i32::try_from(word_count).unwrap_or(i32::MAX)));
        m.parsing_completed_at = Set(Some(now_naive()));
    });
    // Committed while the text is split: it only has to land before the segments do.
    let splitting = indexer.writes.write(vec![splitting.into()]);

    // Clean and split.
    let rule = process_rule(db, doc).await?;
    let qa = doc.doc_form == entities::documents::DocForm::QaModel;
    // Without a text model a Q&A document cannot be split; fail before any other vendor call.
    let text_model = match qa {
        true => Some(
            qa::default_text_model(indexer, dataset.tenant_id).await.map_err(|e| StageError::Document(e.message()))?,
        ),
        false => None,
    };
    let model = embedding_model(indexer, dataset).await?;
    let encoding = model.as_ref().map(|m| Encoding::for_provider_model(&m.provider, &m.model));
    let split = tokio::task::spawn_blocking(move || {
        let count = |s: &str| if qa { 0 } else { encoding.map_or(0, |e| e.count(s)) };
        rag::split::split_documents(&texts, &rule, &count)
    });
    let (splitting, split) = futures::join!(splitting, split);
    splitting?;
    let mut chunks = split.map_err(|_| StageError::Document("The document could not be split.".into()))?;
    let mut answers = Vec::new();
    if let Some(text_model) = &text_model {
        let language = doc.doc_language.as_deref().unwrap_or("English");
        let pairs =
            qa::generate(indexer, text_model, &chunks, language, encoding).await.map_err(StageError::Document)?;
        (chunks, answers) = pairs.into_iter().map(|p| (p.chunk, p.answer)).unzip();
    }

    // Index batch by batch; a pause stops between batches. The batches' embeddings are fetched
    // in order, up to FETCH_AHEAD at once, while the segments are replaced and the batches
    // before them stored, so the vendor's latency is not added to the writes'. Each call
    // takes its turn with the job's other documents' on `embedding_calls`.
    let batches: Vec<&[Chunk]> = chunks.chunks(BATCH).collect();
    let model_ref = model.as_ref();
    let embed = |texts: Vec<String>| async move {
        let Some(model) = model_ref else { return Ok(None) };
        match embedding_cache::embed_uncommitted(db, &indexer.http, model, &texts, Some(embedding_calls)).await {
            Ok((embedded, to_cache)) => Ok(Some((embedded.vectors, to_cache))),
            Err(embedding_cache::EmbedError::Db(e)) => Err(StageError::Db(e)),
            Err(embedding_cache::EmbedError::Provider(e)) => Err(StageError::Document(e.to_string())),
        }
    };
    // Each batch's texts (none without a model), owned: a call in flight borrows no chunk.
    let texts: Vec<Vec<String>> = batches
        .iter()
        .map(|b| model_ref.map_or_else(Vec::new, |_| b.iter().map(|c| c.content.clone()).collect()))
        .collect();

    // Store the segments, replacing any a previous run left (and their keywords).
    let replace = async {
        keyword_index::prepare(db, dataset.id).await?;
        if !replace_segments(indexer, dataset, doc, &chunks, &answers).await? {
            return Ok(None);
        }
        let collection = indexer.vectors.collection_of(db, dataset).await?.name;
        let store = match model {
            Some(_) => Some(indexer.vectors.get().await.map_err(vector_error)?),
            None => None,
        };
        if let Some(store) = &store {
            store.delete_by_document_id(&collection, &doc.id.to_string()).await.map_err(vector_error)?;
        }
        Ok::<_, StageError>(Some((collection, store)))
    };
    let mut upcoming = texts.into_iter().map(embed);
    let mut fetching: FuturesOrdered<_> = upcoming.by_ref().take(FETCH_AHEAD).collect();
    let (replaced, first) = futures::join!(replace, fetching.next());
    // Gone meanwhile: what the first batches' calls fetched is dropped with them.
    let Some((collection, store)) = replaced? else { return Ok(DocumentOutcome::Skipped) };
    let mut ahead: Option<(Vec<Vec<f32>>, Vec<InsertStatement>)> = first.transpose()?.flatten();
    if chunks.is_empty() {
        // No batch follows to bring a small dataset's JSON up to date.
        keyword_index::json_if_small(db, dataset.id).await?;
    }
    let mut tokens = 0usize;
    for batch in &batches {
        if paused(db, doc.id).await? {
            // What was fetched is paid for: cached, so resuming does not pay again. The calls
            // still in flight are waited for (a failed one cost nothing to keep).
            let mut to_cache: Vec<SubQueryStatement> = Vec::new();
            let mut keep = |fetched: Option<(Vec<Vec<f32>>, Vec<InsertStatement>)>| {
                to_cache.extend(fetched.into_iter().flat_map(|(_, rows)| rows).map(Into::into));
            };
            keep(ahead.take());
            while let Some(fetched) = fetching.next().await {
                keep(fetched.ok().flatten());
            }
            if !to_cache.is_empty() {
                indexer.writes.write(to_cache).await?;
            }
            return Ok(DocumentOutcome::Paused);
        }
        let (vectors, to_cache) = ahead.take().unzip();
        let store_this = async {
            if let (Some(vectors), Some(store)) = (vectors, &store) {
                let points = batch
                    .iter()
                    .zip(vectors)
                    .map(|(c, vector)| VectorPoint {
                        node_id: c.doc_id.clone(),
                        document_id: doc.id.to_string(),
                        dataset_id: dataset.id.to_string(),
                        doc_hash: c.doc_hash.clone(),
                        text: c.content.clone(),
                        vector,
                    })
                    .collect();
                store.add(&collection, points).await.map_err(vector_error)?;
            }
            let contents: Vec<(String, String)> = batch.iter().map(|c| (c.doc_id.clone(), c.content.clone())).collect();
            let keywords: Vec<(String, Vec<String>)> = tokio::task::spawn_blocking(move || {
                let extractor = KeywordExtractor::shared();
                contents.into_iter().map(|(id, text)| (id, extractor.extract(&text, MAX_KEYWORDS_PER_CHUNK))).collect()
            })
            .await
            .map_err(|_| StageError::Document("Keywords could not be extracted.".into()))?;
            // The batch's rows in one unit of the group writer: the embeddings to cache, the
            // keyword rows and the segments' completion commit together, with other
            // documents' batches on SQLite, as one statement on PostgreSQL.
            let mut unit: Vec<SubQueryStatement> = to_cache.into_iter().flatten().map(Into::into).collect();
            unit.extend(keyword_index::adding(dataset.id, &keywords));
            unit.extend(complete_segments(doc.id, &keywords).map(SubQueryStatement::from));
            indexer.writes.write(unit).await?;
            keyword_index::json_if_small(db, dataset.id).await?;
            Ok::<_, StageError>(())
        };
        fetching.extend(upcoming.next());
        let (stored, next) = futures::join!(store_this, fetching.next());
        stored?;
        ahead = next.transpose()?.flatten();
        tokens += batch.iter().map(|c| c.tokens).sum::<usize>();
    }

    // Completed, the run's start forgotten and the dataset's first index_struct, together.
    let latency = started.elapsed().as_secs_f64();
    let completed = status_update(doc.id, IndexingStatus::Completed, |m| {
        m.tokens = Set(Some(i32::try_from(tokens).unwrap_or(i32::MAX)));
        m.completed_at = Set(Some(now_naive()));
        m.indexing_latency = Set(Some(latency));
    });
    let mut unit: Vec<SubQueryStatement> = vec![completed.into(), attempts::forgetting(doc.id).into()];
    if model.is_some() && dataset.index_struct.is_none() {
        let index_struct =
            serde_json::json!({"type": indexer.vectors.kind(), "vector_store": {"class_prefix": collection}});
        let first = datasets::Entity::update_many()
            .col_expr(datasets::Column::IndexStruct, Expr::value(index_struct.to_string()))
            .filter(datasets::Column::Id.eq(dataset.id))
            .filter(datasets::Column::IndexStruct.is_null());
        unit.push(first.into_query().into());
    }
    indexer.writes.write(unit).await?;
    Ok(DocumentOutcome::Completed { segments: chunks.len(), tokens })
}

fn vector_error(e: rag::vector::VectorError) -> StageError {
    StageError::Document(format!("The vector index could not be written: {e}"))
}

/// Moves the document to `status` (and what `more` sets), as a write for a unit of the
/// process's writer: on SQLite the documents indexed side by side do not queue on its lock.
fn status_update(id: Uuid, status: IndexingStatus, more: impl FnOnce(&mut documents::ActiveModel)) -> UpdateStatement {
    let mut m = documents::ActiveModel { indexing_status: Set(status), ..Default::default() };
    more(&mut m);
    documents::Entity::update_many().set(m).filter(documents::Column::Id.eq(id)).into_query()
}

/// The extracted texts of the document's source (pages, sections or rows).
async fn load_source(indexer: &Indexer, doc: &documents::Model) -> Result<Vec<String>, StageError> {
    if doc.data_source_type != entities::kinds::DataSourceType::UploadFile {
        return Err(StageError::Document(format!(
            "Data source {} is not supported by dify-rs yet.",
            doc.data_source_type.as_str()
        )));
    }
    let file_id = crate::upload::source_file(doc);
    let missing = || StageError::Document("The uploaded file of this document no longer exists.".into());
    let file_id = file_id.ok_or_else(missing)?;
    let file = upload_files::Entity::find_by_id(file_id)
        .filter(upload_files::Column::TenantId.eq(doc.tenant_id))
        .one(&indexer.db)
        .await?
        .ok_or_else(missing)?;
    let bytes = indexer.storage.load(&file.key).await.map_err(|e| {
        tracing::warn!(error = %e, key = %file.key, "cannot read an uploaded file");
        missing()
    })?;
    let name = format!("{}.{}", file.id, file.extension);
    indexer.extractor.extract(&name, bytes.to_vec()).await.map_err(|e| match e {
        // Not the document's fault: the job runs again later (its backoff, then dead letters).
        rag::extract::ExtractError::Unavailable(why) => StageError::Db(sea_orm::DbErr::Custom(why)),
        other => StageError::Document(other.to_string()),
    })
}

async fn process_rule(db: &impl ConnectionTrait, doc: &documents::Model) -> Result<ProcessRule, StageError> {
    let Some(rule_id) = doc.dataset_process_rule_id else { return Ok(ProcessRule::automatic()) };
    let Some(row) = dataset_process_rules::Entity::find_by_id(rule_id).one(db).await? else {
        return Ok(ProcessRule::automatic());
    };
    ProcessRule::from_stored(row.mode.as_str(), row.rules.as_deref()).map_err(|e| StageError::Document(e.to_string()))
}

/// The dataset's embedding model with the workspace's credentials; None for economy datasets.
async fn embedding_model(indexer: &Indexer, dataset: &datasets::Model) -> Result<Option<ModelRef>, StageError> {
    crate::index_entries::dataset_model(indexer, dataset).await.map_err(|e| StageError::Document(e.message()))
}

/// Replaces the document's segments with `chunks` (status `indexing`, not yet enabled; Q&A
/// documents with the `answers` of the same index), takes the old ones' keywords out of the
/// index and moves the document to `indexing`, all in one unit of the writer. False when the
/// document is gone.
async fn replace_segments(
    indexer: &Indexer,
    dataset: &datasets::Model,
    doc: &documents::Model,
    chunks: &[Chunk],
    answers: &[String],
) -> Result<bool, sea_orm::DbErr> {
    // Deleted meanwhile: its segments would be orphans. (A delete after this check leaves
    // them to the document's clean-up, as it does for any write still in flight.)
    let exists: Option<Uuid> = documents::Entity::find_by_id(doc.id)
        .select_only()
        .column(documents::Column::Id)
        .into_tuple()
        .one(&indexer.db)
        .await?;
    if exists.is_none() {
        return Ok(false);
    }
    let old: Vec<Option<String>> = segments::Entity::find()
        .select_only()
        .column(segments::Column::IndexNodeId)
        .filter(segments::Column::DocumentId.eq(doc.id))
        .into_tuple()
        .all(&indexer.db)
        .await?;
    let old: Vec<String> = old.into_iter().flatten().collect();
    // The old segments' keyword rows by their node ids, read here: only a second run of the
    // document at once (a redelivered job) could add segments between this read and the unit.
    let unindexing = keyword_index::removing(&indexer.db, dataset.id, &old).await?;
    let now = now_naive();
    let mut unit: Vec<SubQueryStatement> = vec![
        status_update(doc.id, IndexingStatus::Indexing, |m| {
            m.cleaning_completed_at = Set(Some(now));
            m.splitting_completed_at = Set(Some(now));
        })
        .into(),
    ];
    unit.push(segments::Entity::delete_many().filter(segments::Column::DocumentId.eq(doc.id)).into_query().into());
    let rows: Vec<segments::ActiveModel> = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| segments::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(dataset.tenant_id),
            dataset_id: Set(dataset.id),
            document_id: Set(doc.id),
            position: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            content: Set(c.content.clone()),
            word_count: Set(i32::try_from(c.word_count).unwrap_or(i32::MAX)),
            tokens: Set(i32::try_from(c.tokens).unwrap_or(i32::MAX)),
            keywords: Set(None),
            index_node_id: Set(Some(c.doc_id.clone())),
            index_node_hash: Set(Some(c.doc_hash.clone())),
            hit_count: Set(0),
            enabled: Set(false),
            disabled_at: Set(None),
            disabled_by: Set(None),
            status: Set(entities::document_segments::SegmentStatus::Indexing),
            created_by: Set(doc.created_by),
            created_at: Set(now),
            indexing_at: Set(Some(now)),
            completed_at: Set(None),
            error: Set(None),
            stopped_at: Set(None),
            answer: Set(answers.get(i).cloned()),
            updated_by: Set(None),
            updated_at: Set(now),
        })
        .collect();
    for part in rows.chunks(BATCH) {
        unit.push(segments::Entity::insert_many(part.to_vec()).into_query().into());
    }
    unit.extend(unindexing);
    indexer.writes.write_unbounded(unit).await?;
    Ok(true)
}

async fn paused(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, sea_orm::DbErr> {
    let flag: Option<Option<bool>> = documents::Entity::find_by_id(id)
        .select_only()
        .column(documents::Column::IsPaused)
        .into_tuple()
        .one(db)
        .await?;
    Ok(flag.flatten().unwrap_or(false))
}

/// Marks a batch of segments indexed: enabled, completed, with their keywords; one statement.
fn complete_segments(document_id: Uuid, keywords: &[(String, Vec<String>)]) -> Option<UpdateStatement> {
    let ((first, first_words), rest) = keywords.split_first()?;
    let node = segments::Column::IndexNodeId;
    let words =
        rest.iter().fold(Expr::case(node.eq(first.as_str()), serde_json::json!(first_words)), |case, (id, w)| {
            case.case(node.eq(id.as_str()), serde_json::json!(w))
        });
    let update = segments::Entity::update_many()
        .col_expr(segments::Column::Status, Expr::value(entities::document_segments::SegmentStatus::Completed))
        .col_expr(segments::Column::Enabled, Expr::value(true))
        .col_expr(segments::Column::CompletedAt, Expr::value(now_naive()))
        // No ELSE: every row the filter picks has its arm (and on PostgreSQL an ELSE of the
        // `json` column would not mix with the arms' `jsonb` values).
        .col_expr(segments::Column::Keywords, words.into())
        .filter(segments::Column::DocumentId.eq(document_id))
        .filter(segments::Column::IndexNodeId.is_in(keywords.iter().map(|(id, _)| id.as_str())));
    Some(update.into_query())
}

/// Segments of a document in order (for tests and the console).
pub async fn document_segments(
    db: &impl ConnectionTrait,
    document_id: Uuid,
) -> Result<Vec<segments::Model>, sea_orm::DbErr> {
    segments::Entity::find()
        .filter(segments::Column::DocumentId.eq(document_id))
        .order_by_asc(segments::Column::Position)
        .all(db)
        .await
}
