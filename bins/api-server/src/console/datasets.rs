//! `/datasets*`: the workspace's datasets (knowledge) — list, create, settings, delete, their
//! queries and related apps, the default process rule and the document limit.

use actix_web::{HttpRequest, HttpResponse, web};
use datasets::dataset::{self, DatasetEdit, DatasetName, IndexingTechnique, Permission};
use datasets::listing::{self, Page, Selection};
use datasets::process_rule;
use kernel::ApiError;
use serde_json::{Map, Value};
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
    t.add("GET", "/console/api/datasets", "console.datasetlistapi", web::to(list));
    t.add("POST", "/console/api/datasets", "console.datasetlistapi", web::to(create));
    t.add("GET", "/console/api/datasets/<uuid:dataset_id>", "console.datasetapi", web::to(detail));
    t.add("PATCH", "/console/api/datasets/<uuid:dataset_id>", "console.datasetapi", web::to(update));
    t.add("DELETE", "/console/api/datasets/<uuid:dataset_id>", "console.datasetapi", web::to(delete));
    t.add("GET", "/console/api/datasets/<uuid:dataset_id>/queries", "console.datasetqueryapi", web::to(queries));
    t.add(
        "GET",
        "/console/api/datasets/<uuid:dataset_id>/related-apps",
        "console.datasetrelatedapplistapi",
        web::to(related_apps),
    );
    t.add("GET", "/console/api/datasets/process-rule", "console.getprocessruleapi", web::to(process_rule));
    t.add("GET", "/console/api/datasets/limit", "console.documentlimitapi", web::to(limit));
}

/// The query string as (name, value) pairs; repeated names (`ids=a&ids=b`) are kept.
fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect()
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn page_of(pairs: &[(String, String)]) -> Result<Page, ApiError> {
    Page::from_args(first(pairs, "page"), first(pairs, "limit"))
}

async fn list(req: HttpRequest, state: web::Data<AppState>, user: Console) -> HttpResult {
    let pairs = query_pairs(&req);
    let ids: Vec<&str> = pairs.iter().filter(|(k, _)| k == "ids" || k == "ids[]").map(|(_, v)| v.as_str()).collect();
    let (selection, page) = if ids.is_empty() {
        let provider = first(&pairs, "provider").unwrap_or("vendor").to_string();
        (Selection::Visible { account_id: user.account.id, provider }, page_of(&pairs)?)
    } else {
        let mut ids = ids
            .iter()
            .map(|v| v.parse::<Uuid>().map_err(|_| ApiError::invalid_param("ids", format!("{v} is not a valid uuid."))))
            .collect::<Result<Vec<_>, _>>()?;
        ids.sort_unstable();
        ids.dedup();
        if ids.len() > 100 {
            return Err(ApiError::invalid_param("ids", "At most 100 ids.").into());
        }
        // As Dify: the named datasets, all on one page.
        let page = Page { page: 1, limit: ids.len() as u64 };
        (Selection::Ids(ids), page)
    };
    let body = listing::list(&state.infra.db, &state.engine.hosting, user.tenant_id(), selection, page).await?;
    Ok(HttpResponse::Ok().json(body))
}

const NAME_HELP: &str = "type is required. Name must be between 1 to 40 characters.";

/// The JSON object body.
fn object(body: web::Json<Value>) -> Result<Map<String, Value>, ApiError> {
    match body.into_inner() {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::bad_request("Failed to decode JSON object: expected a JSON object")),
    }
}

fn name_arg(v: &Value) -> Result<DatasetName, ApiError> {
    v.as_str().and_then(DatasetName::parse).ok_or_else(|| ApiError::invalid_param("name", NAME_HELP))
}

/// An optional choice argument: absent or null is None, anything else must be a choice.
fn choice<T>(
    args: &Map<String, Value>,
    name: &str,
    parse: fn(&str) -> Option<T>,
    help: &str,
) -> Result<Option<T>, ApiError> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_str().and_then(parse).map(Some).ok_or_else(|| ApiError::invalid_param(name, help)),
    }
}

async fn create(state: web::Data<AppState>, user: Manager, body: web::Json<Value>) -> HttpResult {
    let user = user.0;
    let args = object(body)?;
    let name = name_arg(args.get("name").unwrap_or(&Value::Null))?;
    let technique = choice(&args, "indexing_technique", IndexingTechnique::parse, "Invalid indexing technique.")?;
    let db = &state.infra.db;
    let d = dataset::create(db, &state.engine.hosting, user.tenant_id(), user.account.id, name, technique).await?;
    Ok(HttpResponse::Created().json(listing::detail(db, &state.engine.hosting, &d, false).await?))
}

async fn detail(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(listing::detail(db, &state.engine.hosting, &d, true).await?))
}

fn edit_args(args: &Map<String, Value>) -> Result<DatasetEdit, ApiError> {
    let name = args.get("name").map(name_arg).transpose()?;
    let description = match args.get("description") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) if s.chars().count() <= 400 => Some(Some(s.clone())),
        Some(Value::String(_)) => {
            return Err(ApiError::invalid_param("description", "Description cannot exceed 400 characters."));
        }
        Some(_) => return Err(ApiError::invalid_param("description", "description must be a string.")),
    };
    Ok(DatasetEdit {
        name,
        description,
        permission: choice(args, "permission", Permission::parse, "Invalid permission.")?,
        indexing_technique: choice(
            args,
            "indexing_technique",
            IndexingTechnique::parse,
            "Invalid indexing technique.",
        )?,
    })
}

async fn update(
    state: web::Data<AppState>,
    user: Manager,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    let user = user.0;
    let db = &state.infra.db;
    let d = dataset::find(db, user.tenant_id(), path.into_inner()).await?;
    dataset::check_model_setting(db, &state.engine.hosting, &d).await?;
    let edit = edit_args(&object(body)?)?;
    if !dataset::can_access(&d, user.account.id) {
        return Err(dataset::no_permission().into());
    }
    let d = dataset::update(db, &state.infra.outbox, &state.engine.hosting, d, user.account.id, edit).await?;
    Ok(HttpResponse::Ok().json(listing::detail(db, &state.engine.hosting, &d, false).await?))
}

async fn delete(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>) -> HttpResult {
    let user = user.0;
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    let files = dataset::source_files(db, &d).await?;
    dataset::delete(db, &d).await?;
    drop_vectors(&state, d.id).await;
    datasets::upload::remove_orphans(db, state.infra.storage.as_ref(), d.tenant_id, &files).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Dify's `clean_dataset_task` for the vectors: drops the dataset's own collection. Best
/// effort once the rows are gone; a failure leaves unreachable points, so it is only logged.
async fn drop_vectors(state: &AppState, dataset_id: Uuid) {
    let collection = rag::vector::collection_name_for_dataset(&dataset_id.to_string());
    let dropped = match state.indexer.vectors.get().await {
        Ok(store) => store.delete_collection(&collection).await,
        Err(e) => Err(e),
    };
    if let Err(e) = dropped {
        tracing::warn!(error = %e, %dataset_id, %collection, "dropping a deleted dataset's vectors failed");
    }
}

async fn queries(req: HttpRequest, state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(listing::queries(db, d.id, page_of(&query_pairs(&req))?).await?))
}

async fn related_apps(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(listing::related_apps(db, user.tenant_id(), d.id).await?))
}

async fn process_rule(req: HttpRequest, state: web::Data<AppState>, user: Console) -> HttpResult {
    let pairs = query_pairs(&req);
    let document_id = match first(&pairs, "document_id").filter(|v| !v.is_empty()) {
        None => None,
        // Not a document id at all: no such document.
        Some(v) => Some(v.parse::<Uuid>().map_err(|_| ApiError::not_found("Document not found."))?),
    };
    let body = process_rule::for_document(&state.infra.db, user.tenant_id(), user.account.id, document_id).await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn limit(state: web::Data<AppState>, user: Console) -> HttpResult {
    let body = listing::document_limit(&state.infra.db, user.tenant_id(), state.config.tenant_document_count).await?;
    Ok(HttpResponse::Ok().json(body))
}
