//! `/datasets/<id>/documents*`, `/datasets/init`, indexing status and hit testing: documents
//! created from uploads and indexed by the `dataset` queue.

use crate::query::QueryArgs;
use actix_web::{HttpResponse, web};
use datasets::dataset::{self, IndexingTechnique};
use datasets::documents::{self, DocForm, DocLanguage, DocumentUpdate, DocumentsRequest, NewDocuments};
use datasets::init::Initialized;
use datasets::listing::{self, Page};
use kernel::ApiError;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use uuid::Uuid;

use super::guard::{Console, Manager};
use crate::body::Body;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /datasets/<id>/documents`: new documents from uploads, or (with
/// `original_document_id`) one document processed again.
#[derive(Deserialize, utoipa::ToSchema)]
struct CreateDocuments {
    /// The document to process again; an empty string is none.
    #[serde(default, deserialize_with = "original_document")]
    #[schema(value_type = Option<String>, format = Uuid)]
    original_document_id: Option<Uuid>,
    /// Checked for new documents only (reprocessing a document ignores it).
    #[schema(value_type = Option<IndexingTechnique>)]
    indexing_technique: Option<Value>,
    #[schema(value_type = Option<Object>)]
    data_source: Option<Value>,
    #[schema(value_type = Option<Object>)]
    process_rule: Option<Value>,
    doc_form: Option<DocForm>,
    doc_language: Option<DocLanguage>,
}

/// `original_document_id`: "" is none, anything but a document id is refused.
fn original_document<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Uuid>, D::Error> {
    let refused = || serde::de::Error::custom("original_document_id must be a document id.");
    match Value::deserialize(d)? {
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => s.parse().map(Some).map_err(|_| refused()),
        _ => Err(refused()),
    }
}

/// `POST /datasets/<id>/hit-testing`.
#[derive(Deserialize, utoipa::ToSchema)]
struct HitTesting {
    /// 1 to 250 characters (anything but a string counts as none).
    #[serde(default, deserialize_with = "string_or_none")]
    query: Option<String>,
}

/// A string, or None for any other value.
fn string_or_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        _ => None,
    })
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, init, dataset_status, document_status, batch_status, hit_testing))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/console/api/datasets/<uuid:dataset_id>/documents", "console.datasetdocumentlistapi", web::to(list));
    t.add(
        "POST",
        "/console/api/datasets/<uuid:dataset_id>/documents",
        "console.datasetdocumentlistapi",
        web::to(create),
    );
    t.add("POST", "/console/api/datasets/init", "console.datasetinitapi", web::to(init));
    t.add(
        "GET",
        "/console/api/datasets/<uuid:dataset_id>/indexing-status",
        "console.datasetindexingstatusapi",
        web::to(dataset_status),
    );
    t.add(
        "GET",
        "/console/api/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/indexing-status",
        "console.documentindexingstatusapi",
        web::to(document_status),
    );
    t.add(
        "GET",
        "/console/api/datasets/<uuid:dataset_id>/batch/<string:batch>/indexing-status",
        "console.documentbatchindexingstatusapi",
        web::to(batch_status),
    );
    t.add("POST", "/console/api/datasets/<uuid:dataset_id>/hit-testing", "console.hittestingapi", web::to(hit_testing));
}

#[utoipa::path(post, path = "/console/api/datasets/{dataset_id}/documents", tag = "documents", params(("dataset_id" = Uuid, Path)), request_body = CreateDocuments, responses((status = 200, description = "The documents and their batch, queued for indexing", body = datasets::documents::DocumentsCreated)))]
async fn create(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<Uuid>,
    body: Body<CreateDocuments>,
) -> HttpResult {
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    let CreateDocuments { original_document_id, indexing_technique, data_source, process_rule, doc_form, doc_language } =
        body.read()?;
    if let Some(document_id) = original_document_id {
        let args = DocumentUpdate::parse(document_id, data_source.as_ref(), process_rule.as_ref(), doc_form)?;
        return reprocess(&state, &user, &d, &args).await;
    }
    let indexing_technique = indexing_technique
        .map(IndexingTechnique::try_from)
        .transpose()
        .map_err(|message| ApiError::invalid_param("indexing_technique", message))?;
    let args = NewDocuments::parse(DocumentsRequest {
        indexing_technique,
        data_source,
        process_rule,
        doc_form,
        doc_language,
    })?;
    let (_, docs, batch) =
        documents::create(db, &state.infra.outbox, &state.engine.hosting, &d, user.account.id, &args).await?;
    Ok(HttpResponse::Ok().json(documents::DocumentsCreated::of(&docs, batch)))
}

/// `POST .../documents` with `original_document_id`: the document is processed again.
async fn reprocess(
    state: &AppState,
    user: &super::guard::Console,
    d: &entities::datasets::Model,
    args: &DocumentUpdate,
) -> HttpResult {
    let db = &state.infra.db;
    dataset::check_model_setting(db, &state.engine.hosting, d).await?;
    let doc = documents::update(db, &state.infra.outbox, d, user.account.id, args).await?;
    let batch = doc.batch.clone();
    Ok(HttpResponse::Ok().json(documents::DocumentsCreated::of(&[doc], batch)))
}

#[utoipa::path(post, path = "/console/api/datasets/init", tag = "documents", request_body = DocumentsRequest, responses((status = 200, description = "A new dataset named after the first file, with its documents and their batch", body = datasets::documents::DatasetInitialized)))]
async fn init(state: web::Data<AppState>, Manager(user): Manager, body: Body<DocumentsRequest>) -> HttpResult {
    let body = body.read()?;
    if body.indexing_technique.is_none() {
        return Err(ApiError::invalid_param("indexing_technique", "Invalid indexing technique.").into());
    }
    let args = NewDocuments::parse(body)?;
    let Initialized { dataset: d, documents: docs, batch } = datasets::init::init(
        &state.infra.db,
        &state.infra.outbox,
        &state.engine.hosting,
        user.tenant_id(),
        user.account.id,
        &args,
    )
    .await?;
    // Dify answers the short `dataset_fields` here, not the detail of `/datasets/<id>`.
    let created = documents::DocumentsCreated::of(&docs, batch);
    Ok(HttpResponse::Ok().json(documents::DatasetInitialized {
        dataset: listing::brief(&d),
        documents: created.documents,
        batch: created.batch,
    }))
}

#[utoipa::path(get, path = "/console/api/datasets/{dataset_id}/documents", tag = "documents", params(("dataset_id" = Uuid, Path), ("page" = Option<u64>, Query), ("limit" = Option<u64>, Query), ("keyword" = Option<String>, Query)), responses((status = 200, description = "A page of the dataset's documents", body = datasets::listing::NumberedPage<datasets::documents::DocumentFields>)))]
async fn list(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>, query: QueryArgs) -> HttpResult {
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    let page = Page::lenient(query.get("page"), query.get("limit"))?;
    Ok(HttpResponse::Ok().json(documents::list(db, &d, query.get("keyword"), page).await?))
}

#[utoipa::path(get, path = "/console/api/datasets/{dataset_id}/indexing-status", tag = "documents", params(("dataset_id" = Uuid, Path)), responses((status = 200, description = "The indexing status of each document", body = datasets::documents::IndexingProgressList)))]
async fn dataset_status(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(documents::dataset_indexing_status(db, &d).await?))
}

#[utoipa::path(get, path = "/console/api/datasets/{dataset_id}/documents/{document_id}/indexing-status", tag = "documents", params(("dataset_id" = Uuid, Path), ("document_id" = Uuid, Path)), responses((status = 200, description = "The document's indexing status", body = datasets::documents::IndexingProgress)))]
async fn document_status(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let db = &state.infra.db;
    let (dataset_id, document_id) = path.into_inner();
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, dataset_id).await?;
    let doc = documents::find(db, &d, document_id).await?;
    Ok(HttpResponse::Ok().json(documents::indexing_status(db, &doc).await?))
}

#[utoipa::path(get, path = "/console/api/datasets/{dataset_id}/batch/{batch}/indexing-status", tag = "documents", params(("dataset_id" = Uuid, Path), ("batch" = String, Path)), responses((status = 200, description = "The indexing status of the batch's documents", body = datasets::documents::IndexingProgressList)))]
async fn batch_status(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, String)>) -> HttpResult {
    let db = &state.infra.db;
    let (dataset_id, batch) = path.into_inner();
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, dataset_id).await?;
    let docs = documents::batch(db, &d, &batch).await?;
    Ok(HttpResponse::Ok().json(documents::IndexingProgressList { data: documents::progress(db, &docs).await? }))
}

#[utoipa::path(post, path = "/console/api/datasets/{dataset_id}/hit-testing", tag = "documents", params(("dataset_id" = Uuid, Path)), request_body = HitTesting, responses((status = 200, description = "The query and the segments it retrieves", body = datasets::hit_testing::HitTesting)))]
async fn hit_testing(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<Uuid>,
    body: Body<HitTesting>,
) -> HttpResult {
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    let query = body.read()?.query;
    let result = datasets::hit_testing::hit_test(&state.indexer, &d, user.account.id, query.as_deref()).await?;
    Ok(HttpResponse::Ok().json(result))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::body::parse;

    #[test]
    fn an_empty_original_document_id_is_none_and_a_bad_one_refused() {
        let c: CreateDocuments = parse(json!({"original_document_id": "", "indexing_technique": "fast"})).expect("ok");
        assert!(c.original_document_id.is_none() && c.indexing_technique == Some(json!("fast")));
        let id = Uuid::new_v4();
        let c: CreateDocuments = parse(json!({"original_document_id": id.to_string()})).expect("ok");
        assert_eq!(c.original_document_id, Some(id));
        for bad in [json!("nope"), json!(5)] {
            let e = parse::<CreateDocuments>(json!({"original_document_id": bad})).err().expect("refused");
            assert_eq!(
                (e.params.as_deref(), e.message.as_str()),
                (Some("original_document_id"), "original_document_id must be a document id.")
            );
        }
        let e = parse::<CreateDocuments>(json!({"doc_form": "pdf"})).err().expect("refused");
        assert_eq!(e.message, "doc_form must be text_model or qa_model.");
        let h: HitTesting = parse(json!({"query": 5})).expect("a non-string query is none");
        assert!(h.query.is_none());
    }
}
