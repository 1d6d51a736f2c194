//! `/datasets/<id>/documents*`, `/datasets/init`, indexing status and hit testing: documents
//! created from uploads and indexed by the `dataset` queue.

use actix_web::{HttpRequest, HttpResponse, web};
use datasets::dataset::{self, DatasetName, IndexingTechnique};
use datasets::documents::{self, DocumentUpdate, NewDocuments};
use datasets::listing::{self, Page};
use kernel::ApiError;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::guard::{Console, Manager};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
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

fn object(body: web::Json<Value>) -> Result<Map<String, Value>, ApiError> {
    match body.into_inner() {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::bad_request("Failed to decode JSON object: expected a JSON object")),
    }
}

async fn create(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    let args = object(body)?;
    if args.get("original_document_id").is_some_and(|v| !v.is_null() && v != "") {
        return reprocess(&state, &user, &d, &args).await;
    }
    let args = NewDocuments::parse(&args)?;
    let (_, docs, batch) =
        documents::create(db, &state.infra.outbox, &state.engine.hosting, &d, user.account.id, &args).await?;
    let docs: Vec<Value> = docs.iter().map(|doc| documents::fields(doc, 0)).collect();
    Ok(HttpResponse::Ok().json(json!({"documents": docs, "batch": batch})))
}

/// `POST .../documents` with `original_document_id`: the document is processed again.
async fn reprocess(
    state: &AppState,
    user: &super::guard::Console,
    d: &entities::datasets::Model,
    args: &Map<String, Value>,
) -> HttpResult {
    let db = &state.infra.db;
    let args = DocumentUpdate::parse(args)?;
    dataset::check_model_setting(db, &state.engine.hosting, d).await?;
    let doc = documents::update(db, &state.infra.outbox, d, user.account.id, &args).await?;
    Ok(HttpResponse::Ok().json(json!({"documents": [documents::fields(&doc, 0)], "batch": doc.batch})))
}

async fn init(state: web::Data<AppState>, Manager(user): Manager, body: web::Json<Value>) -> HttpResult {
    let db = &state.infra.db;
    let raw = object(body)?;
    if raw.get("indexing_technique").is_none_or(Value::is_null) {
        return Err(ApiError::invalid_param("indexing_technique", "Invalid indexing technique.").into());
    }
    let args = NewDocuments::parse(&raw)?;
    let first = entities::upload_files::Entity::find_by_id(args.file_ids[0]);
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let first = first
        .filter(entities::upload_files::Column::TenantId.eq(user.tenant_id()))
        .one(db)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::new(404, "file_not_exists", "File not exists."))?;
    // Dify names the dataset after the first document.
    let short: String = first.name.chars().take(18).collect();
    let name = DatasetName::parse(&format!("{short}..."))
        .ok_or_else(|| ApiError::invalid_param("name", "Name must be between 1 to 40 characters."))?;
    let technique: Option<IndexingTechnique> = args.indexing_technique;
    let d = dataset::create(db, &state.engine.hosting, user.tenant_id(), user.account.id, name, technique).await?;
    let d = dataset::update(
        db,
        &state.infra.outbox,
        &state.engine.hosting,
        d,
        user.account.id,
        dataset::DatasetEdit {
            name: None,
            description: Some(Some(format!("useful for when you want to answer queries about the {}", first.name))),
            permission: None,
            indexing_technique: None,
        },
    )
    .await?;
    let created = documents::create(db, &state.infra.outbox, &state.engine.hosting, &d, user.account.id, &args).await;
    let (d, docs, batch) = match created {
        Ok(c) => c,
        Err(e) => {
            // Nothing half-made stays behind.
            let _ = dataset::delete(db, &d).await;
            return Err(e.into());
        }
    };
    // Dify answers the short `dataset_fields` here, not the detail of `/datasets/<id>`.
    let dataset = listing::brief(&d);
    let docs: Vec<Value> = docs.iter().map(|doc| documents::fields(doc, 0)).collect();
    Ok(HttpResponse::Ok().json(json!({"dataset": dataset, "documents": docs, "batch": batch})))
}

async fn list(req: HttpRequest, state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let page = Page::from_args(get("page"), get("limit"))?;
    Ok(HttpResponse::Ok().json(documents::list(db, &d, get("keyword"), page).await?))
}

async fn dataset_status(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    let docs = entities::documents::Entity::find()
        .filter(entities::documents::Column::DatasetId.eq(d.id))
        .order_by_asc(entities::documents::Column::Position)
        .all(db)
        .await
        .map_err(ApiError::from)?;
    let mut data = Vec::with_capacity(docs.len());
    for doc in &docs {
        data.push(documents::indexing_status(db, doc).await?);
    }
    Ok(HttpResponse::Ok().json(json!({"data": data})))
}

async fn document_status(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let db = &state.infra.db;
    let (dataset_id, document_id) = path.into_inner();
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, dataset_id).await?;
    let doc = documents::find(db, &d, document_id).await?;
    Ok(HttpResponse::Ok().json(documents::indexing_status(db, &doc).await?))
}

async fn batch_status(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, String)>) -> HttpResult {
    let db = &state.infra.db;
    let (dataset_id, batch) = path.into_inner();
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, dataset_id).await?;
    let mut data = Vec::new();
    for doc in documents::batch(db, &d, &batch).await? {
        data.push(documents::indexing_status(db, &doc).await?);
    }
    Ok(HttpResponse::Ok().json(json!({"data": data})))
}

async fn hit_testing(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    let args = object(body)?;
    let query = args.get("query").and_then(Value::as_str);
    let result = datasets::hit_testing::hit_test(&state.indexer, &d, user.account.id, query).await?;
    Ok(HttpResponse::Ok().json(result))
}
