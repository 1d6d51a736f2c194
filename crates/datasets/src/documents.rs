//! Documents of a dataset: creating them from uploads (Dify's `save_document_with_dataset_id`),
//! their console fields, listing, and indexing status.

use crate::DatasetError;
use entities::dataset_process_rules::ProcessMode;
use entities::documents::{CreatedFrom, IndexingStatus};
use entities::kinds::DataSourceType;
use entities::{dataset_process_rules as rules, datasets, document_segments as segments, documents, upload_files};
use infra::outbox::Outbox;
use kernel::ApiError;
use kernel::jobs::Job;
use kernel::time::{now_naive, unix_seconds};
use providers::hosted::Hosting;
use rag::rules::ProcessRule;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::dataset::IndexingTechnique;
use crate::embedding;
use crate::listing::{NumberedPage, Page};
use serde::Serialize;
use std::collections::HashMap;

/// The body of `POST /datasets/init` (and of `POST /datasets/<id>/documents` for new
/// documents): Dify's reqparse arguments; `data_source` and `process_rule` are checked by
/// [`NewDocuments::parse`] with Dify's messages.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, utoipa::ToSchema)]
pub struct DocumentsRequest {
    pub indexing_technique: Option<IndexingTechnique>,
    /// `{type: "upload_file", info_list: {file_info_list: {file_ids: [...]}}}`.
    #[schema(value_type = Option<Object>)]
    pub data_source: Option<Value>,
    /// `{mode: "automatic"}` or `{mode: "custom", rules: {...}}`.
    #[schema(value_type = Option<Object>)]
    pub process_rule: Option<Value>,
    pub doc_form: Option<DocForm>,
    pub doc_language: Option<DocLanguage>,
}

pub use entities::documents::DocForm;

/// The language Q&A documents are written in (default `English`); not empty.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String")]
#[schema(value_type = String)]
pub struct DocLanguage(String);

impl TryFrom<String> for DocLanguage {
    type Error = &'static str;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.is_empty() { Err("doc_language must be a string.") } else { Ok(Self(s)) }
    }
}

/// What `POST /datasets/<id>/documents` (and `/datasets/init`) asks for, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDocuments {
    pub indexing_technique: Option<IndexingTechnique>,
    pub file_ids: Vec<Uuid>,
    /// `automatic`, or `custom` with its rules (validated by the splitter's rules).
    pub process_rule: (ProcessMode, Option<Value>),
    pub doc_form: DocForm,
    pub doc_language: String,
}

fn bad(message: &str) -> ApiError {
    ApiError::value_error(message)
}

impl NewDocuments {
    /// Dify's `document_create_args_validate` for upload sources, with its messages.
    pub fn parse(args: DocumentsRequest) -> Result<Self, DatasetError> {
        let source = args.data_source.as_ref().filter(|v| !v.is_null());
        let file_ids = parse_files(source.ok_or_else(|| bad("Data source is required"))?)?;
        let rule = args.process_rule.as_ref().filter(|v| !v.is_null());
        let rule = rule.ok_or_else(|| bad("Process rule is required"))?;
        let process_rule = parse_process_rule(rule)?;
        Ok(Self {
            indexing_technique: args.indexing_technique,
            file_ids,
            process_rule,
            doc_form: args.doc_form.unwrap_or_default(),
            doc_language: args.doc_language.map_or_else(|| "English".to_owned(), |l| l.0),
        })
    }
}

/// The upload files of a `data_source` argument (Dify's `data_source_args_validate`).
fn parse_files(source: &Value) -> Result<Vec<Uuid>, DatasetError> {
    let source = source.as_object().ok_or_else(|| bad("Data source is invalid"))?;
    let kind = source.get("type").and_then(Value::as_str).filter(|s| !s.is_empty());
    let kind = kind.ok_or_else(|| bad("Data source type is required"))?;
    match kind {
        "upload_file" => {}
        "notion_import" => {
            return Err(DatasetError::NotSupported("Notion import"));
        }
        _ => return Err(bad("Data source type is invalid").into()),
    }
    let info = source.get("info_list").filter(|v| v.as_object().is_some_and(|o| !o.is_empty()));
    let info = info.ok_or_else(|| bad("Data source info is required"))?;
    let files =
        info.get("file_info_list").filter(|v| !v.is_null()).ok_or_else(|| bad("File source info is required"))?;
    let ids = files.get("file_ids").and_then(Value::as_array).ok_or_else(|| bad("File source info is required"))?;
    let mut file_ids = Vec::with_capacity(ids.len());
    for id in ids {
        let id = id.as_str().and_then(|s| s.parse::<Uuid>().ok());
        let id = id.ok_or_else(|| ApiError::invalid_param("file_ids", "file_ids must be file ids."))?;
        if !file_ids.contains(&id) {
            file_ids.push(id);
        }
    }
    if file_ids.is_empty() {
        return Err(bad("File source info is required").into());
    }
    Ok(file_ids)
}

/// A `process_rule` argument (Dify's `process_rule_args_validate`): the mode and, for
/// `custom`, its rules.
fn parse_process_rule(rule: &Value) -> Result<(ProcessMode, Option<Value>), ApiError> {
    let rule = rule.as_object().ok_or_else(|| bad("Process rule is invalid"))?;
    let mode = rule.get("mode").and_then(Value::as_str).filter(|s| !s.is_empty());
    let mode = mode.ok_or_else(|| bad("Process rule mode is required"))?;
    match mode {
        "automatic" => Ok((ProcessMode::Automatic, None)),
        "custom" => {
            let rules =
                rule.get("rules").filter(|v| v.is_object()).ok_or_else(|| bad("Process rule rules is required"))?;
            // The document would fail at splitting; refuse it up front instead.
            ProcessRule::custom_from_json(rules).map_err(|e| bad(&e.to_string()))?;
            Ok((ProcessMode::Custom, Some(rules.clone())))
        }
        _ => Err(bad("Process rule mode is invalid")),
    }
}

/// What `POST /datasets/<id>/documents` with `original_document_id` asks for: processing a
/// document again, optionally with a new process rule or a new upload file.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentUpdate {
    pub document_id: Uuid,
    pub file_id: Option<Uuid>,
    pub process_rule: Option<(ProcessMode, Option<Value>)>,
    pub doc_form: DocForm,
}

impl DocumentUpdate {
    /// Dify's `document_create_args_validate` for an update of `document_id`: each part given
    /// (not null, not `{}`) is validated.
    pub fn parse(
        document_id: Uuid,
        data_source: Option<&Value>,
        process_rule: Option<&Value>,
        doc_form: Option<DocForm>,
    ) -> Result<Self, DatasetError> {
        fn given(v: Option<&Value>) -> Option<&Value> {
            v.filter(|v| !v.is_null() && v.as_object().is_none_or(|o| !o.is_empty()))
        }
        // Dify keeps the last of several files.
        let file_id = match given(data_source) {
            Some(source) => parse_files(source)?.pop(),
            None => None,
        };
        let process_rule = given(process_rule).map(parse_process_rule).transpose()?;
        Ok(Self { document_id, file_id, process_rule, doc_form: doc_form.unwrap_or_default() })
    }
}

/// The rules stored with a process rule: the custom ones, or Dify's `AUTOMATIC_RULES`.
fn stored_rules(custom: &Option<Value>) -> String {
    match custom {
        Some(rules) => rules.to_string(),
        None => json!({
            "pre_processing_rules": [
                {"id": "remove_extra_spaces", "enabled": true},
                {"id": "remove_urls_emails", "enabled": false}
            ],
            "segmentation": {"delimiter": "\n", "max_tokens": 1000}
        })
        .to_string(),
    }
}

/// Dify's `update_document_with_dataset_id`: an available document gets the new rule and
/// source, goes back to `waiting` with its segments marked `re_segment`, and its indexing is
/// queued (which replaces the segments and their index entries), in one transaction.
pub async fn update(
    db: &DatabaseConnection,
    outbox: &Outbox,
    dataset: &datasets::Model,
    account_id: Uuid,
    args: &DocumentUpdate,
) -> Result<documents::Model, DatasetError> {
    let doc = find(db, dataset, args.document_id).await?;
    if display_status(&doc) != Some("available") {
        return Err(bad("Document is not available").into());
    }
    let file = match args.file_id {
        Some(id) => Some(
            upload_files::Entity::find_by_id(id)
                .filter(upload_files::Column::TenantId.eq(dataset.tenant_id))
                .one(db)
                .await?
                .ok_or(DatasetError::FileNotExists)?,
        ),
        None => None,
    };
    let now = now_naive();
    let txn = db.begin().await?;
    let mut edit = documents::ActiveModel {
        id: Set(doc.id),
        indexing_status: Set(IndexingStatus::Waiting),
        completed_at: Set(None),
        processing_started_at: Set(None),
        parsing_completed_at: Set(None),
        cleaning_completed_at: Set(None),
        splitting_completed_at: Set(None),
        updated_at: Set(now),
        created_from: Set(CreatedFrom::Web),
        doc_form: Set(args.doc_form),
        ..Default::default()
    };
    if let Some((mode, custom)) = &args.process_rule {
        let rule = rules::ActiveModel {
            id: Set(Uuid::new_v4()),
            dataset_id: Set(dataset.id),
            mode: Set(*mode),
            rules: Set(Some(stored_rules(custom))),
            created_by: Set(account_id),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        edit.dataset_process_rule_id = Set(Some(rule.id));
    }
    if let Some(file) = &file {
        edit.data_source_type = Set(DataSourceType::UploadFile);
        edit.data_source_info = Set(Some(json!({"upload_file_id": file.id.to_string()}).to_string()));
        edit.name = Set(file.name.clone());
    }
    let doc = edit.update(&txn).await?;
    segments::Entity::update_many()
        .col_expr(segments::Column::Status, Expr::value(entities::document_segments::SegmentStatus::ReSegment))
        .filter(segments::Column::DocumentId.eq(doc.id))
        .exec(&txn)
        .await?;
    let job = Outbox::stage(&txn, &Job::IndexDocuments { dataset_id: dataset.id, document_ids: vec![doc.id] }).await?;
    txn.commit().await?;
    outbox.send([job]).await;
    Ok(doc)
}

/// Creates the documents (and their process rule) and queues their indexing in one
/// transaction, settling the dataset's technique and embedding model on its first documents.
pub async fn create(
    db: &DatabaseConnection,
    outbox: &Outbox,
    hosting: &Hosting,
    dataset: &datasets::Model,
    account_id: Uuid,
    args: &NewDocuments,
) -> Result<(datasets::Model, Vec<documents::Model>, String), DatasetError> {
    let technique = match (&dataset.indexing_technique, args.indexing_technique) {
        (Some(_), _) => None,
        (None, Some(t)) => Some(t),
        (None, None) => return Err(bad("indexing_technique is required.").into()),
    };
    let model = match technique {
        Some(IndexingTechnique::HighQuality) => Some(embedding::default_model(db, hosting, dataset.tenant_id).await?),
        _ => None,
    };
    let binding = match &model {
        Some(m) => Some(embedding::collection_binding(db, m).await?),
        None => None,
    };
    let files = upload_files::Entity::find()
        .filter(upload_files::Column::TenantId.eq(dataset.tenant_id))
        .filter(upload_files::Column::Id.is_in(args.file_ids.clone()))
        .all(db)
        .await?;
    if files.len() != args.file_ids.len() {
        return Err(DatasetError::FileNotExists);
    }

    let now = now_naive();
    let batch = format!("{}{}", chrono::Utc::now().format("%Y%m%d%H%M%S"), rand_digits());
    let txn = db.begin().await?;
    let mut dataset = dataset.clone();
    if dataset.data_source_type.is_none() || technique.is_some() {
        let mut edit = datasets::ActiveModel { id: Set(dataset.id), ..Default::default() };
        if dataset.data_source_type.is_none() {
            edit.data_source_type = Set(Some(DataSourceType::UploadFile));
        }
        if let Some(t) = technique {
            edit.indexing_technique = Set(Some(t));
            if let Some(m) = &model {
                edit.embedding_model = Set(Some(m.model.clone()));
                edit.embedding_model_provider = Set(Some(m.provider.clone()));
                edit.collection_binding_id = Set(binding);
            }
        }
        dataset = edit.update(&txn).await?;
    }
    let (mode, custom) = &args.process_rule;
    let rule_text = stored_rules(custom);
    let rule = rules::ActiveModel {
        id: Set(Uuid::new_v4()),
        dataset_id: Set(dataset.id),
        mode: Set(*mode),
        rules: Set(Some(rule_text)),
        created_by: Set(account_id),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let last: Option<Option<i32>> = documents::Entity::find()
        .select_only()
        .column_as(documents::Column::Position.max(), "max")
        .filter(documents::Column::DatasetId.eq(dataset.id))
        .into_tuple()
        .one(&txn)
        .await?;
    let mut position = last.flatten().unwrap_or(0);
    let mut created = Vec::with_capacity(files.len());
    for id in &args.file_ids {
        let Some(file) = files.iter().find(|f| f.id == *id) else { continue };
        position += 1;
        let row = documents::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(dataset.tenant_id),
            dataset_id: Set(dataset.id),
            position: Set(position),
            data_source_type: Set(DataSourceType::UploadFile),
            data_source_info: Set(Some(json!({"upload_file_id": file.id.to_string()}).to_string())),
            dataset_process_rule_id: Set(Some(rule.id)),
            batch: Set(batch.clone()),
            name: Set(file.name.clone()),
            created_from: Set(CreatedFrom::Web),
            created_by: Set(account_id),
            created_api_request_id: Set(None),
            created_at: Set(now),
            processing_started_at: Set(None),
            file_id: Set(None),
            word_count: Set(None),
            parsing_completed_at: Set(None),
            cleaning_completed_at: Set(None),
            splitting_completed_at: Set(None),
            tokens: Set(None),
            indexing_latency: Set(None),
            completed_at: Set(None),
            is_paused: Set(Some(false)),
            paused_by: Set(None),
            paused_at: Set(None),
            error: Set(None),
            stopped_at: Set(None),
            indexing_status: Set(IndexingStatus::Waiting),
            enabled: Set(true),
            disabled_at: Set(None),
            disabled_by: Set(None),
            archived: Set(false),
            archived_reason: Set(None),
            archived_by: Set(None),
            archived_at: Set(None),
            updated_at: Set(now),
            doc_type: Set(None),
            doc_metadata: Set(None),
            doc_form: Set(args.doc_form),
            doc_language: Set(Some(args.doc_language.clone())),
        }
        .insert(&txn)
        .await?;
        created.push(row);
    }
    upload_files::Entity::update_many()
        .col_expr(upload_files::Column::Used, Expr::value(true))
        .col_expr(upload_files::Column::UsedBy, Expr::value(account_id))
        .col_expr(upload_files::Column::UsedAt, Expr::value(now))
        .filter(upload_files::Column::Id.is_in(args.file_ids.clone()))
        .filter(upload_files::Column::TenantId.eq(dataset.tenant_id))
        .exec(&txn)
        .await?;
    let job = Job::IndexDocuments { dataset_id: dataset.id, document_ids: created.iter().map(|d| d.id).collect() };
    let job = Outbox::stage(&txn, &job).await?;
    txn.commit().await?;
    outbox.send([job]).await;
    Ok((dataset, created, batch))
}

fn rand_digits() -> String {
    // Dify appends six random digits to the timestamp.
    let n = Uuid::new_v4().as_u128() % 900_000 + 100_000;
    n.to_string()
}

/// Dify's `display_status`.
pub fn display_status(d: &documents::Model) -> Option<&'static str> {
    let paused = d.is_paused == Some(true);
    match d.indexing_status {
        IndexingStatus::Waiting => Some("queuing"),
        s if !s.is_settled() && paused => Some("paused"),
        s if s.is_running() => Some("indexing"),
        IndexingStatus::Error => Some("error"),
        IndexingStatus::Completed if !d.archived && d.enabled => Some("available"),
        IndexingStatus::Completed if !d.archived => Some("disabled"),
        IndexingStatus::Completed => Some("archived"),
        _ => None,
    }
}

/// Dify's `document_fields`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentFields {
    pub id: Uuid,
    pub position: i32,
    pub data_source_type: DataSourceType,
    /// The source as stored (`{"upload_file_id": ...}` for a file); `{}` when none.
    #[schema(value_type = Object)]
    pub data_source_info: Value,
    pub dataset_process_rule_id: Option<Uuid>,
    pub name: String,
    pub created_from: CreatedFrom,
    pub created_by: Uuid,
    /// Unix seconds.
    pub created_at: i64,
    pub tokens: i32,
    pub indexing_status: IndexingStatus,
    pub error: Option<String>,
    pub enabled: bool,
    /// Unix seconds.
    pub disabled_at: Option<i64>,
    pub disabled_by: Option<Uuid>,
    pub archived: bool,
    /// `queuing`, `paused`, `indexing`, `error`, `available`, `disabled` or `archived`.
    pub display_status: Option<&'static str>,
    pub word_count: i32,
    pub hit_count: i64,
    pub doc_form: DocForm,
}

/// Dify's `document_fields`.
pub fn fields(d: &documents::Model, hit_count: i64) -> DocumentFields {
    let info: Value = d.data_source_info.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or(json!({}));
    DocumentFields {
        id: d.id,
        position: d.position,
        data_source_type: d.data_source_type,
        data_source_info: info,
        dataset_process_rule_id: d.dataset_process_rule_id,
        name: d.name.clone(),
        created_from: d.created_from,
        created_by: d.created_by,
        created_at: unix_seconds(d.created_at),
        tokens: d.tokens.unwrap_or(0),
        indexing_status: d.indexing_status,
        error: d.error.clone(),
        enabled: d.enabled,
        disabled_at: d.disabled_at.map(unix_seconds),
        disabled_by: d.disabled_by,
        archived: d.archived,
        display_status: display_status(d),
        word_count: d.word_count.unwrap_or(0),
        hit_count,
        doc_form: d.doc_form,
    }
}

/// What creating or re-processing documents answers: the documents and their batch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentsCreated {
    pub documents: Vec<DocumentFields>,
    pub batch: String,
}

impl DocumentsCreated {
    pub fn of(docs: &[documents::Model], batch: String) -> Self {
        Self { documents: docs.iter().map(|d| fields(d, 0)).collect(), batch }
    }
}

/// `POST /datasets/init`: the new dataset (Dify's short `dataset_fields`) and its documents.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DatasetInitialized {
    pub dataset: crate::listing::DatasetBrief,
    pub documents: Vec<DocumentFields>,
    pub batch: String,
}

/// Dify's `document_status_fields`: a document's stage timestamps and segment progress.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IndexingProgress {
    pub id: Uuid,
    pub indexing_status: IndexingStatus,
    /// Unix seconds, each.
    pub processing_started_at: Option<i64>,
    pub parsing_completed_at: Option<i64>,
    pub cleaning_completed_at: Option<i64>,
    pub splitting_completed_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub paused_at: Option<i64>,
    pub error: Option<String>,
    pub stopped_at: Option<i64>,
    pub completed_segments: u64,
    pub total_segments: u64,
}

/// The progress of several documents: `{"data": [...]}`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IndexingProgressList {
    pub data: Vec<IndexingProgress>,
}

/// A document of the dataset, or 404 "Document not found.".
pub async fn find(
    db: &impl ConnectionTrait,
    dataset: &datasets::Model,
    id: Uuid,
) -> Result<documents::Model, DatasetError> {
    documents::Entity::find_by_id(id)
        .filter(documents::Column::DatasetId.eq(dataset.id))
        .filter(documents::Column::TenantId.eq(dataset.tenant_id))
        .one(db)
        .await?
        .ok_or(DatasetError::DocumentNotFound)
}

/// A page of the dataset's documents, newest first, optionally by name keyword.
pub async fn list(
    db: &impl ConnectionTrait,
    dataset: &datasets::Model,
    keyword: Option<&str>,
    page: Page,
) -> Result<NumberedPage<DocumentFields>, ApiError> {
    let mut q = documents::Entity::find()
        .filter(documents::Column::DatasetId.eq(dataset.id))
        .filter(documents::Column::TenantId.eq(dataset.tenant_id));
    if let Some(k) = keyword.map(str::trim).filter(|k| !k.is_empty()) {
        let pattern = kernel::like::contains_pattern(k);
        q = q.filter(documents::Column::Name.like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')));
    }
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_desc(documents::Column::CreatedAt)
        .order_by_desc(documents::Column::Position)
        .offset(page.offset())
        .limit(page.limit)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|d| d.id).collect();
    let hits: Vec<(Uuid, Option<i64>)> = segments::Entity::find()
        .select_only()
        .column(segments::Column::DocumentId)
        .column_as(segments::Column::HitCount.sum(), "hits")
        .filter(segments::Column::DocumentId.is_in(ids))
        .group_by(segments::Column::DocumentId)
        .into_tuple()
        .all(db)
        .await?;
    let data = rows
        .iter()
        .map(|d| fields(d, hits.iter().find(|(id, _)| *id == d.id).and_then(|(_, h)| *h).unwrap_or(0)))
        .collect();
    Ok(NumberedPage::new(page, data, total))
}

/// The indexing status of each of the dataset's documents, in position order.
pub async fn dataset_indexing_status(
    db: &impl ConnectionTrait,
    dataset: &datasets::Model,
) -> Result<IndexingProgressList, ApiError> {
    let docs = documents::Entity::find()
        .filter(documents::Column::DatasetId.eq(dataset.id))
        .filter(documents::Column::TenantId.eq(dataset.tenant_id))
        .order_by_asc(documents::Column::Position)
        .all(db)
        .await?;
    Ok(IndexingProgressList { data: progress(db, &docs).await? })
}

/// Dify's indexing status of one document.
pub async fn indexing_status(db: &impl ConnectionTrait, d: &documents::Model) -> Result<IndexingProgress, ApiError> {
    let mut one = progress(db, std::slice::from_ref(d)).await?;
    one.pop().ok_or_else(ApiError::internal)
}

/// The indexing status of `docs`, in their order, with their segments counted in two
/// grouped queries (not two per document).
pub async fn progress(db: &impl ConnectionTrait, docs: &[documents::Model]) -> Result<Vec<IndexingProgress>, ApiError> {
    let ids: Vec<Uuid> = docs.iter().map(|d| d.id).collect();
    let count = |completed_only: bool| {
        let mut q = segments::Entity::find()
            .select_only()
            .column(segments::Column::DocumentId)
            .expr(Expr::col((segments::Entity, segments::Column::Id)).count())
            .filter(segments::Column::DocumentId.is_in(ids.iter().copied()))
            .filter(segments::Column::Status.ne(entities::document_segments::SegmentStatus::ReSegment));
        if completed_only {
            q = q.filter(segments::Column::CompletedAt.is_not_null());
        }
        q.group_by(segments::Column::DocumentId).into_tuple::<(Uuid, i64)>().all(db)
    };
    let (total, completed): (HashMap<Uuid, i64>, HashMap<Uuid, i64>) = if ids.is_empty() {
        Default::default()
    } else {
        (count(false).await?.into_iter().collect(), count(true).await?.into_iter().collect())
    };
    let n = |m: &HashMap<Uuid, i64>, id: &Uuid| u64::try_from(m.get(id).copied().unwrap_or(0)).unwrap_or(0);
    let ts = |t: Option<chrono::NaiveDateTime>| t.map(unix_seconds);
    Ok(docs
        .iter()
        .map(|d| IndexingProgress {
            id: d.id,
            indexing_status: d.indexing_status,
            processing_started_at: ts(d.processing_started_at),
            parsing_completed_at: ts(d.parsing_completed_at),
            cleaning_completed_at: ts(d.cleaning_completed_at),
            splitting_completed_at: ts(d.splitting_completed_at),
            completed_at: ts(d.completed_at),
            paused_at: ts(d.paused_at),
            error: d.error.clone(),
            stopped_at: ts(d.stopped_at),
            completed_segments: n(&completed, &d.id),
            total_segments: n(&total, &d.id),
        })
        .collect())
}

/// The documents of one upload batch.
pub async fn batch(
    db: &impl ConnectionTrait,
    dataset: &datasets::Model,
    batch: &str,
) -> Result<Vec<documents::Model>, ApiError> {
    let rows = documents::Entity::find()
        .filter(documents::Column::DatasetId.eq(dataset.id))
        .filter(documents::Column::TenantId.eq(dataset.tenant_id))
        .filter(documents::Column::Batch.eq(batch))
        .order_by_asc(documents::Column::Position)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Err(ApiError::not_found("Documents not found."));
    }
    Ok(rows)
}
