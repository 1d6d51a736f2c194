//! Indexing estimates (Dify's `IndexingRunner.file_indexing_estimate`): how many segments a
//! set of uploads would give under a process rule, how many embedding tokens that costs, and
//! the first segments as a preview — the same extract → sanitise → clean → split path as the
//! indexing worker, without writing anything.

use crate::DatasetError;
use entities::{dataset_process_rules, datasets, documents, upload_files};
use kernel::ApiError;
use providers::tokens::Encoding;
use rag::extract::ExtractError;
use rag::rules::ProcessRule;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::dataset::IndexingTechnique;
use crate::embedding;
use crate::indexing::Indexer;

/// Segments shown in the preview.
pub const PREVIEW_SEGMENTS: usize = 5;

/// The embedding model an estimate counts tokens with and prices by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedModel {
    pub provider: String,
    /// The model prices and tokenizers are keyed by (Azure: the deployment's base model).
    pub base_model: String,
}

/// Dify's estimate object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Estimate {
    pub total_segments: usize,
    pub tokens: usize,
    /// The price as Dify's `'{:f}'` decimal string; None (the number 0) without a model.
    #[serde(serialize_with = "price_or_zero")]
    #[schema(value_type = Value)]
    pub total_price: Option<String>,
    pub currency: String,
    pub preview: Vec<String>,
}

impl Estimate {
    /// What Dify answers when there is nothing to estimate.
    pub fn empty() -> Self {
        Self { total_segments: 0, tokens: 0, total_price: None, currency: "USD".into(), preview: Vec::new() }
    }

    /// `{total_segments, tokens, total_price, currency, preview}`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Dify's price string, or the number 0 where no model prices it.
fn price_or_zero<S: serde::Serializer>(price: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match price {
        Some(p) => s.serialize_str(p),
        None => s.serialize_u8(0),
    }
}

/// The estimate of a question-and-answer document: Dify's guess of 20 pairs per segment, each
/// costing a 2,000-token generation, and the pairs made from the first segment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QaEstimate {
    pub total_segments: usize,
    pub tokens: usize,
    pub total_price: String,
    pub currency: String,
    pub qa_preview: Vec<QaPair>,
    pub preview: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QaPair {
    pub question: String,
    pub answer: String,
}

/// What an estimate answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum EstimateAnswer {
    Plain(Estimate),
    Qa(QaEstimate),
}

/// Estimates the extracted texts of some files (one list of documents per file).
///
/// CPU-bound (tokenizing): run it off the async threads.
pub fn estimate_texts(files: &[Vec<String>], rule: &ProcessRule, model: Option<&PricedModel>) -> Estimate {
    let encoding = model.map(|m| Encoding::for_provider_model(&m.provider, &m.base_model));
    let count = |s: &str| encoding.map_or(0, |e| e.count(s));
    let mut estimate = Estimate::empty();
    for docs in files {
        let docs: Vec<String> = docs.iter().map(|d| rag::clean::sanitize(d)).collect();
        for chunk in rag::split::split_documents(&docs, rule, &count) {
            estimate.total_segments += 1;
            estimate.tokens += chunk.tokens;
            if estimate.preview.len() < PREVIEW_SEGMENTS {
                estimate.preview.push(chunk.content);
            }
        }
    }
    if let Some(m) = model {
        let tokens = u32::try_from(estimate.tokens).unwrap_or(u32::MAX);
        let price = providers::pricing::embedding_price(&m.provider, &m.base_model, tokens);
        estimate.total_price = Some(price.total_price.to_string());
        estimate.currency = price.currency;
    }
    estimate
}

/// What `POST /datasets/indexing-estimate` asks for, validated (Dify's `estimate_args_validate`).
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateArgs {
    pub file_ids: Vec<Uuid>,
    pub rule: ProcessRule,
    pub indexing_technique: Option<IndexingTechnique>,
    pub qa: bool,
    pub dataset_id: Option<Uuid>,
    /// The language Q&A documents are written in.
    pub language: String,
}

fn bad(message: &str) -> ApiError {
    ApiError::value_error(message)
}

/// A non-empty JSON object, or None for null, `{}` and other falsy values Dify rejects.
fn truthy_object<'a>(v: &'a Value, invalid: &str) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match v {
        Value::Null | Value::Bool(false) => Ok(None),
        Value::Object(m) if m.is_empty() => Ok(None),
        Value::Object(m) => Ok(Some(m)),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::Array(a) if a.is_empty() => Ok(None),
        _ => Err(bad(invalid)),
    }
}

/// Parses a submitted `process_rule` object (`mode` plus, for custom, `rules`).
pub fn parse_process_rule(rule: &Value) -> Result<ProcessRule, ApiError> {
    let rule = truthy_object(rule, "Process rule is invalid")?.ok_or_else(|| bad("Process rule is required"))?;
    let mode = rule.get("mode").and_then(Value::as_str).filter(|s| !s.is_empty());
    match mode.ok_or_else(|| bad("Process rule mode is required"))? {
        "automatic" => Ok(ProcessRule::automatic()),
        "custom" => {
            let rules = truthy_object(rule.get("rules").unwrap_or(&Value::Null), "Process rule rules is invalid")?
                .ok_or_else(|| bad("Process rule rules is required"))?;
            let seg = rules.get("segmentation").filter(|v| !v.is_null());
            let seg = seg.ok_or_else(|| bad("Process rule segmentation is required"))?;
            let seg = seg.as_object().ok_or_else(|| bad("Process rule segmentation is invalid"))?;
            match seg.get("separator") {
                Some(Value::String(s)) if !s.is_empty() => {}
                None | Some(Value::Null) => return Err(bad("Process rule segmentation separator is required")),
                Some(Value::String(_)) => return Err(bad("Process rule segmentation separator is required")),
                Some(_) => return Err(bad("Process rule segmentation separator is invalid")),
            }
            match seg.get("max_tokens") {
                Some(v) if v.is_i64() && v.as_i64() != Some(0) => {}
                None | Some(Value::Null) => return Err(bad("Process rule segmentation max_tokens is required")),
                Some(v) if v.as_i64() == Some(0) => {
                    return Err(bad("Process rule segmentation max_tokens is required"));
                }
                Some(_) => return Err(bad("Process rule segmentation max_tokens is invalid")),
            }
            ProcessRule::custom_from_json(&Value::Object(rules.clone())).map_err(|e| bad(&e.to_string()))
        }
        _ => Err(bad("Process rule mode is invalid")),
    }
}

/// The body of `POST /datasets/indexing-estimate`, read with its nulls kept (Dify's reqparse
/// arguments: the required ones may be null, the optional ones may not), checked by
/// [`EstimateArgs::parse`] with Dify's messages.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, utoipa::ToSchema)]
pub struct EstimateRequest {
    /// `{data_source_type: "upload_file", file_info_list: {file_ids: [...]}}`.
    #[schema(value_type = Object)]
    pub info_list: Value,
    /// `{mode: "automatic"}` or `{mode: "custom", rules: {...}}`.
    #[schema(value_type = Object)]
    pub process_rule: Value,
    /// Required, null allowed; only `high_quality` counts tokens, any other text is economy.
    #[serde(deserialize_with = "Option::deserialize")]
    pub indexing_technique: Option<String>,
    /// `qa_model` estimates Q&A documents; default `text_model`.
    #[serde(default, deserialize_with = "not_null")]
    pub doc_form: Option<String>,
    /// The dataset the documents go to (its embedding model prices them).
    #[serde(default, deserialize_with = "not_null")]
    pub dataset_id: Option<String>,
    /// Default `English`.
    #[serde(default, deserialize_with = "not_null")]
    pub doc_language: Option<String>,
}

/// An optional string argument that, once sent, must be a string (reqparse's `nullable=False`).
fn not_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::Deserialize;
    match Value::deserialize(d)? {
        Value::String(s) => Ok(Some(s)),
        _ => Err(serde::de::Error::custom("Must not be null!")),
    }
}

impl EstimateArgs {
    /// Validates the body. Notion sources answer 501 (not built).
    pub fn parse(args: EstimateRequest) -> Result<Self, DatasetError> {
        // Dify only tests for 'high_quality'; any other text estimates as economy.
        let technique = args.indexing_technique.as_deref().and_then(IndexingTechnique::parse);
        let info = truthy_object(&args.info_list, "Data info is invalid")?
            .ok_or_else(|| bad("Data source info is required"))?;
        let rule = parse_process_rule(&args.process_rule)?;
        let qa = args.doc_form.as_deref() == Some("qa_model");
        let dataset_id = match args.dataset_id {
            None => None,
            Some(s) => Some(s.parse::<Uuid>().map_err(|_| bad("Dataset not found."))?),
        };
        let file_ids = match info.get("data_source_type").and_then(Value::as_str) {
            Some("upload_file") => file_ids(info)?,
            Some("notion_import") => return Err(DatasetError::NotSupported("Estimating Notion imports")),
            _ => return Err(bad("Data source type not support").into()),
        };
        let language = match args.doc_language {
            None => "English".to_owned(),
            Some(s) if s.is_empty() => return Err(ApiError::invalid_param("doc_language", "Must not be null!").into()),
            Some(s) => s,
        };
        Ok(Self { file_ids, rule, indexing_technique: technique, qa, dataset_id, language })
    }
}

fn file_ids(info: &Map<String, Value>) -> Result<Vec<Uuid>, ApiError> {
    let ids = info.get("file_info_list").and_then(|f| f.get("file_ids")).and_then(Value::as_array);
    let ids = ids.ok_or_else(|| bad("File source info is required"))?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let id = id.as_str().and_then(|s| s.parse::<Uuid>().ok());
        let id = id.ok_or_else(|| ApiError::invalid_param("file_ids", "file_ids must be file ids."))?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// The model to count and price with: the dataset's own for a high-quality dataset, else the
/// workspace default when `technique` asks for high quality; None for economy.
pub async fn model_for(
    indexer: &Indexer,
    tenant_id: Uuid,
    dataset: Option<&datasets::Model>,
    technique: Option<IndexingTechnique>,
) -> Result<Option<PricedModel>, DatasetError> {
    let dataset_hq = dataset.is_some_and(|d| d.indexing_technique == Some(IndexingTechnique::HighQuality));
    if !dataset_hq && technique != Some(IndexingTechnique::HighQuality) {
        return Ok(None);
    }
    let own = dataset.and_then(|d| Some((d.embedding_model_provider.clone()?, d.embedding_model.clone()?)));
    let (provider, model) = match own {
        Some(pair) => pair,
        None => {
            let m = embedding::default_model(&indexer.db, &indexer.hosting, tenant_id).await?;
            (m.provider, m.model)
        }
    };
    let model = crate::index_entries::embedding_model(indexer, tenant_id, &provider, &model).await?;
    Ok(Some(PricedModel { provider: model.provider.clone(), base_model: model.base_model_name().to_owned() }))
}

/// Loads and extracts each file, then estimates them.
pub async fn estimate_files(
    indexer: &Indexer,
    files: &[upload_files::Model],
    rule: ProcessRule,
    model: Option<PricedModel>,
) -> Result<Estimate, ApiError> {
    let mut texts = Vec::with_capacity(files.len());
    for file in files {
        let bytes = indexer.storage.load(&file.key).await.map_err(|e| {
            tracing::warn!(error = %e, key = %file.key, "cannot read an uploaded file");
            ApiError::not_found("File not found.")
        })?;
        let name = format!("{}.{}", file.id, file.extension);
        match indexer.extractor.extract(&name, bytes.to_vec()).await {
            Ok(docs) => texts.push(docs),
            // A file without text gives no segments.
            Err(ExtractError::Empty) => {}
            Err(ExtractError::Unavailable(message)) => return Err(ApiError::unavailable(message)),
            Err(e) => return Err(bad(&format!("{}: {e}", file.name))),
        }
    }
    tokio::task::spawn_blocking(move || estimate_texts(&texts, &rule, model.as_ref()))
        .await
        .map_err(|e| ApiError::internal_because("the estimate task failed", e))
}

/// The workspace's upload files by id, in the order asked; any missing one is 404.
pub async fn upload_files_of(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<upload_files::Model>, ApiError> {
    let rows = upload_files::Entity::find()
        .filter(upload_files::Column::TenantId.eq(tenant_id))
        .filter(upload_files::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?;
    ids.iter()
        .map(|id| rows.iter().find(|f| f.id == *id).cloned().ok_or_else(|| ApiError::not_found("File not found.")))
        .collect()
}

/// `POST /datasets/indexing-estimate`.
pub async fn estimate_upload(
    indexer: &Indexer,
    tenant_id: Uuid,
    args: EstimateArgs,
) -> Result<EstimateAnswer, DatasetError> {
    let dataset = match args.dataset_id {
        Some(id) => Some(
            datasets::Entity::find_by_id(id)
                .filter(datasets::Column::TenantId.eq(tenant_id))
                .one(&indexer.db)
                .await?
                .ok_or_else(|| bad("Dataset not found."))?,
        ),
        None => None,
    };
    let model = model_for(indexer, tenant_id, dataset.as_ref(), args.indexing_technique).await?;
    let files = upload_files_of(&indexer.db, tenant_id, &args.file_ids).await?;
    let estimate = estimate_files(indexer, &files, args.rule, model).await?;
    if args.qa {
        return qa_estimate(indexer, tenant_id, estimate, &args.language).await;
    }
    Ok(EstimateAnswer::Plain(estimate))
}

/// Dify's estimate for Q&A documents: the default text model writes the pairs of the first
/// segment as a preview; 20 questions and 2000 generated tokens are counted per segment, priced
/// as the text model's prompt tokens.
async fn qa_estimate(
    indexer: &Indexer,
    tenant_id: Uuid,
    estimate: Estimate,
    language: &str,
) -> Result<EstimateAnswer, DatasetError> {
    let Some(first) = estimate.preview.first() else { return Ok(EstimateAnswer::Plain(estimate)) };
    let model = crate::indexing::qa::default_text_model(indexer, tenant_id).await?;
    let messages = [
        providers::runtime::ChatMessage::system(crate::indexing::qa::prompt(language)),
        providers::runtime::ChatMessage::user(first.clone()),
    ];
    let params = providers::runtime::CompletionParams { max_tokens: Some(2000), ..Default::default() };
    let reply = providers::runtime::generate(&indexer.http, &model, &messages, &params).await?;
    let qa_preview = rag::qa::parse_qa_pairs(&reply.text)
        .into_iter()
        .map(|p| QaPair { question: p.question, answer: p.answer })
        .collect();
    let tokens = estimate.total_segments * 2000;
    let price = providers::pricing::message_price(
        &model.provider,
        model.base_model_name(),
        u32::try_from(tokens).unwrap_or(u32::MAX),
        0,
    );
    Ok(EstimateAnswer::Qa(QaEstimate {
        total_segments: estimate.total_segments * 20,
        tokens,
        total_price: price.message_price.to_string(),
        currency: price.currency.to_string(),
        qa_preview,
        preview: estimate.preview,
    }))
}

/// The stored process rule of a document (automatic when it has none).
async fn rule_of(db: &impl ConnectionTrait, doc: &documents::Model) -> Result<ProcessRule, ApiError> {
    let Some(id) = doc.dataset_process_rule_id else { return Ok(ProcessRule::automatic()) };
    match dataset_process_rules::Entity::find_by_id(id).one(db).await? {
        Some(row) => ProcessRule::from_stored(row.mode.as_str(), row.rules.as_deref()).map_err(|e| bad(&e.to_string())),
        None => Ok(ProcessRule::automatic()),
    }
}

/// `GET .../documents/<id>/indexing-estimate` and `.../batch/<batch>/indexing-estimate`:
/// estimates documents not yet indexed with the first one's process rule and the dataset's
/// model. Finished documents are refused; Notion documents count for nothing.
///
/// Unlike Dify's batch endpoint, whose file filter never matches (a Python `in` on a column),
/// the batch's files are really estimated.
pub async fn estimate_documents(
    indexer: &Indexer,
    dataset: &datasets::Model,
    docs: &[documents::Model],
) -> Result<EstimateAnswer, DatasetError> {
    if docs.iter().any(|d| d.indexing_status.is_settled()) {
        return Err(DatasetError::DocumentAlreadyFinished);
    }
    let Some(first) = docs.first() else { return Ok(EstimateAnswer::Plain(Estimate::empty())) };
    let ids: Vec<Uuid> = docs
        .iter()
        .filter(|d| d.data_source_type == entities::kinds::DataSourceType::UploadFile)
        .filter_map(crate::upload::source_file)
        .collect();
    if ids.is_empty() {
        return Ok(EstimateAnswer::Plain(Estimate::empty()));
    }
    let rule = rule_of(&indexer.db, first).await?;
    let model = model_for(indexer, dataset.tenant_id, Some(dataset), None).await?;
    let files = upload_files_of(&indexer.db, dataset.tenant_id, &ids).await?;
    Ok(EstimateAnswer::Plain(estimate_files(indexer, &files, rule, model).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model() -> PricedModel {
        PricedModel { provider: "openai".into(), base_model: "text-embedding-ada-002".into() }
    }

    #[test]
    fn segments_tokens_price_and_a_five_segment_preview() {
        let rule = ProcessRule::custom_from_json(&json!({
            "pre_processing_rules": [{"id": "remove_extra_spaces", "enabled": true}],
            "segmentation": {"separator": "\\n", "max_tokens": 50}
        }))
        .expect("rule");
        let lines: Vec<String> = (0..8).map(|i| format!("Line {i} about  tea.")).collect();
        let files = vec![vec![lines.join("\n")], vec!["Another <|file|>.".to_owned()]];
        let e = estimate_texts(&files, &rule, Some(&model()));
        assert_eq!(e.total_segments, 9);
        assert_eq!(e.preview.len(), PREVIEW_SEGMENTS);
        assert_eq!(e.preview[0], "Line 0 about tea.");
        let expected: usize =
            (0..8).map(|i| Encoding::Cl100kBase.count(&format!("Line {i} about tea."))).sum::<usize>()
                + Encoding::Cl100kBase.count("Another <file>.");
        assert_eq!(e.tokens, expected);
        // ada-002: 0.0001 per 1000 tokens, 7 decimals.
        let price = rust_price(expected);
        assert_eq!(e.total_price.as_deref(), Some(price.as_str()));
        assert_eq!(e.currency, "USD");
        assert_eq!(e.to_json()["total_price"], json!(price));
    }

    fn rust_price(tokens: usize) -> String {
        providers::pricing::embedding_price("openai", "text-embedding-ada-002", tokens as u32).total_price.to_string()
    }

    #[test]
    fn economy_counts_nothing() {
        let e = estimate_texts(&[vec!["Some text.".to_owned()]], &ProcessRule::automatic(), None);
        assert_eq!((e.total_segments, e.tokens), (1, 0));
        assert_eq!(
            e.to_json(),
            json!({"total_segments": 1, "tokens": 0, "total_price": 0, "currency": "USD", "preview": ["Some text."]})
        );
        assert_eq!(Estimate::empty().to_json()["preview"], json!([]));
    }

    #[test]
    fn arguments_are_validated_with_difys_messages() {
        let body = |v: Value| serde_json::from_value::<EstimateRequest>(v).expect("a body");
        let ok = json!({
            "info_list": {"data_source_type": "upload_file", "file_info_list": {"file_ids": [Uuid::nil()]}},
            "process_rule": {"mode": "automatic"},
            "indexing_technique": "high_quality"
        });
        let args = EstimateArgs::parse(body(ok.clone())).expect("valid");
        assert_eq!(args.file_ids, vec![Uuid::nil()]);
        assert_eq!(args.indexing_technique, Some(IndexingTechnique::HighQuality));
        assert!(!args.qa);

        let err = |v: Value| EstimateArgs::parse(body(v)).expect_err("invalid");
        let mut v = ok.clone();
        v.as_object_mut().expect("o").remove("indexing_technique");
        assert!(serde_json::from_value::<EstimateRequest>(v).is_err(), "indexing_technique is required");
        let mut v = ok.clone();
        v["indexing_technique"] = Value::Null;
        assert_eq!(EstimateArgs::parse(body(v)).expect("null technique").indexing_technique, None);
        let mut v = ok.clone();
        v["doc_form"] = Value::Null;
        let e = serde_json::from_value::<EstimateRequest>(v).expect_err("not null");
        assert_eq!(e.to_string(), "Must not be null!");
        let mut v = ok.clone();
        v["info_list"] = Value::Null;
        assert_eq!(err(v).message(), "Data source info is required");
        let mut v = ok.clone();
        v["dataset_id"] = json!("nope");
        let e = err(v);
        assert_eq!(e, DatasetError::Common(ApiError::value_error("Dataset not found.")));
        let mut v = ok.clone();
        v["info_list"]["data_source_type"] = json!("web");
        assert_eq!(err(v).message(), "Data source type not support");
        let mut v = ok.clone();
        v["info_list"]["data_source_type"] = json!("notion_import");
        assert_eq!(err(v), DatasetError::NotSupported("Estimating Notion imports"));
        let mut v = ok.clone();
        v["process_rule"] = json!({"mode": "custom", "rules": {"segmentation": {"separator": "\n", "max_tokens": 20}}});
        assert_eq!(err(v).message(), "Custom segment length should be between 50 and 1000.");
        let mut v = ok.clone();
        v["process_rule"] = json!({"mode": "custom", "rules": {"segmentation": {"max_tokens": 200}}});
        assert_eq!(err(v).message(), "Process rule segmentation separator is required");
        let mut v = ok;
        v["process_rule"] = json!({"mode": "smart"});
        assert_eq!(err(v).message(), "Process rule mode is invalid");
    }
}
