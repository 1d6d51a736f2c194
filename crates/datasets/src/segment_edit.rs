//! Adding one segment to a document and editing one by hand (Dify's `SegmentService`
//! create/update): the row is written first, then indexed at once; a segment that cannot be
//! indexed stays, disabled, with status `error`.

use crate::DatasetError;
use entities::documents::DocForm;
use entities::{datasets, document_segments as segments, documents};
use kernel::ApiError;
use kernel::time::now_naive;
use providers::tokens::Encoding;
use rag::split::text_hash;
use sea_orm::{ActiveModelTrait, Set, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::index_entries;
use crate::indexing::Indexer;
use crate::segments::document_indexed;

/// What `POST .../segment` and `PATCH .../segments/<id>` accept (Dify's reqparse arguments);
/// [`SegmentInput::validated`] adds `segment_create_args_validate`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, utoipa::ToSchema)]
pub struct SegmentInput {
    pub content: String,
    /// The answer of a Q&A document's segment (required there).
    pub answer: Option<String>,
    /// Keywords given by hand; None (or none) lets them be extracted.
    #[serde(default, deserialize_with = "string_list")]
    pub keywords: Option<Vec<String>>,
}

/// A list of strings, refused as a whole (`keywords must be a list of strings.`) otherwise.
fn string_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    use serde::Deserialize;
    let refused = || serde::de::Error::invalid_type(serde::de::Unexpected::Other("value"), &"a list of strings");
    match Value::deserialize(d)? {
        Value::Array(list) => list
            .into_iter()
            .map(|k| k.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(refused),
        _ => Err(refused()),
    }
}

impl SegmentInput {
    /// Dify's `segment_create_args_validate` for `doc`, with its messages.
    pub fn validated(self, doc: &documents::Model) -> Result<Self, ApiError> {
        if doc.doc_form == DocForm::QaModel {
            match self.answer.as_deref() {
                None | Some("") => return Err(ApiError::value_error("Answer is required")),
                Some(a) if a.trim().is_empty() => return Err(ApiError::value_error("Answer is empty")),
                _ => {}
            }
        }
        if self.content.trim().is_empty() {
            return Err(ApiError::value_error("Content is empty"));
        }
        Ok(Self { keywords: self.keywords.filter(|k| !k.is_empty()), ..self })
    }
}

/// Embedding tokens of `content` for a high-quality dataset; 0 for economy, as in Dify.
pub(crate) fn tokens(dataset: &datasets::Model, content: &str) -> i32 {
    match (&dataset.indexing_technique, &dataset.embedding_model_provider, &dataset.embedding_model) {
        (Some(t), Some(provider), Some(model)) if *t == entities::datasets::IndexingTechnique::HighQuality => {
            i32::try_from(Encoding::for_provider_model(provider, model).count(content)).unwrap_or(i32::MAX)
        }
        _ => 0,
    }
}

pub(crate) fn chars(content: &str) -> i32 {
    i32::try_from(content.chars().count()).unwrap_or(i32::MAX)
}

/// Indexes `row` when its document is in the indexes; saves the keywords it was indexed with,
/// or marks it disabled in `error` when indexing fails.
async fn index(
    indexer: &Indexer,
    dataset: &datasets::Model,
    doc: &documents::Model,
    row: segments::Model,
) -> Result<segments::Model, ApiError> {
    if !document_indexed(doc) || !row.enabled {
        return Ok(row);
    }
    let db = &indexer.db;
    let id = row.id;
    let outcome = index_entries::add(indexer, dataset, std::slice::from_ref(&row)).await;
    let edit = match outcome {
        Ok(nodes) => segments::ActiveModel {
            id: Set(id),
            keywords: Set(nodes.into_iter().next().map(|(_, k)| json!(k))),
            ..Default::default()
        },
        Err(e) => {
            tracing::warn!(error = %e, segment_id = %id, "segment indexing failed");
            segments::ActiveModel {
                id: Set(id),
                enabled: Set(false),
                disabled_at: Set(Some(now_naive())),
                status: Set(entities::document_segments::SegmentStatus::Error),
                error: Set(Some(e.message())),
                ..Default::default()
            }
        }
    };
    Ok(edit.update(db).await?)
}

/// `POST .../documents/<doc_id>/segment`: a completed segment after the last one, indexed.
pub async fn create(
    indexer: &Indexer,
    dataset: &datasets::Model,
    doc: &documents::Model,
    account_id: Uuid,
    input: SegmentInput,
) -> Result<segments::Model, ApiError> {
    let db = &indexer.db;
    let now = now_naive();
    let txn = db.begin().await?;
    let last = crate::segments::last_position(&txn, doc.id).await?;
    let row = segments::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(doc.tenant_id),
        dataset_id: Set(doc.dataset_id),
        document_id: Set(doc.id),
        position: Set(last + 1),
        word_count: Set(chars(&input.content)),
        tokens: Set(tokens(dataset, &input.content)),
        keywords: Set(input.keywords.as_ref().map(|k| json!(k))),
        index_node_id: Set(Some(Uuid::new_v4().to_string())),
        index_node_hash: Set(Some(text_hash(&input.content))),
        content: Set(input.content),
        hit_count: Set(0),
        enabled: Set(true),
        disabled_at: Set(None),
        disabled_by: Set(None),
        status: Set(entities::document_segments::SegmentStatus::Completed),
        created_by: Set(account_id),
        created_at: Set(now),
        indexing_at: Set(Some(now)),
        completed_at: Set(Some(now)),
        error: Set(None),
        stopped_at: Set(None),
        answer: Set(if doc.doc_form == DocForm::QaModel { input.answer } else { None }),
        updated_by: Set(None),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    index(indexer, dataset, doc, row).await
}

/// `PATCH .../segments/<segment_id>`: the same content only changes the answer and keywords;
/// new content is re-hashed and re-counted. Either way an indexed segment is re-indexed.
pub async fn update(
    indexer: &Indexer,
    dataset: &datasets::Model,
    doc: &documents::Model,
    account_id: Uuid,
    segment: segments::Model,
    input: SegmentInput,
) -> Result<segments::Model, DatasetError> {
    let db = &indexer.db;
    let now = now_naive();
    let same = segment.content == input.content;
    if same && input.keywords.is_none() && doc.doc_form != DocForm::QaModel {
        return Ok(segment);
    }
    let mut edit = segments::ActiveModel { id: Set(segment.id), ..Default::default() };
    if doc.doc_form == DocForm::QaModel {
        edit.answer = Set(input.answer.clone());
    }
    // Hand-given keywords stay; otherwise new content gets its keywords extracted again.
    match (&input.keywords, same) {
        (Some(k), _) => edit.keywords = Set(Some(json!(k))),
        (None, false) => edit.keywords = Set(None),
        (None, true) => {}
    }
    if !same {
        edit.index_node_hash = Set(Some(text_hash(&input.content)));
        edit.word_count = Set(chars(&input.content));
        edit.tokens = Set(tokens(dataset, &input.content));
        edit.status = Set(entities::document_segments::SegmentStatus::Completed);
        edit.indexing_at = Set(Some(now));
        edit.completed_at = Set(Some(now));
        edit.updated_by = Set(Some(account_id));
        edit.updated_at = Set(now);
        edit.content = Set(input.content.clone());
    }
    let row = edit.update(db).await?;
    let reindex = !same || input.keywords.is_some();
    if !reindex
        || !document_indexed(doc)
        || !row.enabled
        || row.status != entities::document_segments::SegmentStatus::Completed
    {
        return Ok(row);
    }
    if let Some(node) = row.index_node_id.clone() {
        index_entries::remove(indexer, dataset, &[node]).await?;
    }
    Ok(index(indexer, dataset, doc, row).await?)
}
