//! Indexing estimates: `POST /datasets/indexing-estimate` for uploads about to become
//! documents, and the per-document and per-batch estimates of documents not yet indexed.

use actix_web::{HttpResponse, web};
use datasets::dataset;
use datasets::documents;
use datasets::estimate::{self, EstimateArgs, EstimateRequest};
use uuid::Uuid;

use super::guard::Console;
use crate::body::Body;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(estimate_uploads, estimate_document, estimate_batch))]
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

/// The body keeps its nulls: Dify's required arguments here may be null, its optional ones not.
#[utoipa::path(post, path = "/console/api/datasets/indexing-estimate", tag = "datasets", request_body = EstimateRequest, responses((status = 200, description = "Segments, tokens, price and a preview of the uploads under the rule", body = datasets::estimate::EstimateAnswer)))]
async fn estimate_uploads(state: web::Data<AppState>, user: Console, body: Body<EstimateRequest>) -> HttpResult {
    let args = EstimateArgs::parse(body.read_keeping_nulls()?)?;
    Ok(HttpResponse::Ok().json(estimate::estimate_upload(&state.indexer, user.tenant_id(), args).await?))
}

#[utoipa::path(get, path = "/console/api/datasets/{dataset_id}/documents/{document_id}/indexing-estimate", tag = "datasets", params(("dataset_id" = Uuid, Path), ("document_id" = Uuid, Path)), responses((status = 200, description = "The estimate of a document not indexed yet", body = datasets::estimate::EstimateAnswer)))]
async fn estimate_document(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let db = &state.infra.db;
    let (dataset_id, document_id) = path.into_inner();
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, dataset_id).await?;
    let doc = documents::find(db, &d, document_id).await?;
    Ok(HttpResponse::Ok().json(estimate::estimate_documents(&state.indexer, &d, &[doc]).await?))
}

#[utoipa::path(get, path = "/console/api/datasets/{dataset_id}/batch/{batch}/indexing-estimate", tag = "datasets", params(("dataset_id" = Uuid, Path), ("batch" = String, Path)), responses((status = 200, description = "The estimate of a batch's documents not indexed yet", body = datasets::estimate::EstimateAnswer)))]
async fn estimate_batch(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, String)>) -> HttpResult {
    let db = &state.infra.db;
    let (dataset_id, batch) = path.into_inner();
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, dataset_id).await?;
    let docs = documents::batch(db, &d, &batch).await?;
    Ok(HttpResponse::Ok().json(estimate::estimate_documents(&state.indexer, &d, &docs).await?))
}
