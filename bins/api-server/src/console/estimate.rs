//! Indexing estimates: `POST /datasets/indexing-estimate` for uploads about to become
//! documents, and the per-document and per-batch estimates of documents not yet indexed.

use actix_web::{HttpResponse, web};
use datasets::dataset;
use datasets::documents;
use datasets::estimate::{self, EstimateArgs};
use kernel::ApiError;
use serde_json::Value;
use uuid::Uuid;

use super::guard::Console;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add(
        "POST",
        "/console/api/datasets/indexing-estimate",
        "console.datasetindexingestimateapi",
        web::to(estimate_uploads),
    );
    t.add(
        "GET",
        "/console/api/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/indexing-estimate",
        "console.documentindexingestimateapi",
        web::to(estimate_document),
    );
    t.add(
        "GET",
        "/console/api/datasets/<uuid:dataset_id>/batch/<string:batch>/indexing-estimate",
        "console.documentbatchindexingestimateapi",
        web::to(estimate_batch),
    );
}

async fn estimate_uploads(state: web::Data<AppState>, user: Console, body: web::Json<Value>) -> HttpResult {
    let Value::Object(args) = body.into_inner() else {
        return Err(ApiError::bad_request("Failed to decode JSON object: expected a JSON object").into());
    };
    let args = EstimateArgs::parse(&args)?;
    Ok(HttpResponse::Ok().json(estimate::estimate_upload(&state.indexer, user.tenant_id(), args).await?))
}

async fn estimate_document(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let db = &state.infra.db;
    let (dataset_id, document_id) = path.into_inner();
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, dataset_id).await?;
    let doc = documents::find(db, &d, document_id).await?;
    Ok(HttpResponse::Ok().json(estimate::estimate_documents(&state.indexer, &d, &[doc]).await?))
}

async fn estimate_batch(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, String)>) -> HttpResult {
    let db = &state.infra.db;
    let (dataset_id, batch) = path.into_inner();
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, dataset_id).await?;
    let docs = documents::batch(db, &d, &batch).await?;
    Ok(HttpResponse::Ok().json(estimate::estimate_documents(&state.indexer, &d, &docs).await?))
}
