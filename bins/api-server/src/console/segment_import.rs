//! Segments imported from a CSV file: `POST .../segments/batch_import` queues the job and
//! `GET /datasets/batch_import_status/<job_id>` reports it (Dify's
//! `DatasetDocumentSegmentBatchImportApi`, one resource on both paths).

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use datasets::segment_import;
use datasets::{dataset, documents};
use kernel::ApiError;
use kernel::jobs::Job;
use uuid::Uuid;

use super::guard::Console;
use crate::http_error::{HttpError, HttpResult, method_not_allowed};
use crate::routes::RouteTable;
use crate::state::AppState;

const IMPORT: &str = "/console/api/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/segments/batch_import";
const STATUS: &str = "/console/api/datasets/batch_import_status/<uuid:job_id>";
const ENDPOINT: &str = "console.datasetdocumentsegmentbatchimportapi";

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(import, status, import_get, status_post))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("POST", IMPORT, ENDPOINT, web::to(import));
    t.add("GET", STATUS, ENDPOINT, web::to(status));
    // Dify's resource answers these with a 500 (its handlers' signatures do not fit them).
    t.add("GET", IMPORT, ENDPOINT, web::to(import_get));
    t.add("POST", STATUS, ENDPOINT, web::to(status_post));
}

#[utoipa::path(get, path = "/console/api/datasets/{dataset_id}/documents/{document_id}/segments/batch_import", tag = "segments", params(("dataset_id" = Uuid, Path), ("document_id" = Uuid, Path)), responses((status = 405, description = "Not a method of this path")))]
async fn import_get() -> HttpError {
    method_not_allowed().await
}

#[utoipa::path(post, path = "/console/api/datasets/batch_import_status/{job_id}", tag = "segments", params(("job_id" = Uuid, Path)), responses((status = 405, description = "Not a method of this path")))]
async fn status_post() -> HttpError {
    method_not_allowed().await
}

#[utoipa::path(post, path = "/console/api/datasets/{dataset_id}/documents/{document_id}/segments/batch_import", tag = "segments", params(("dataset_id" = Uuid, Path), ("document_id" = Uuid, Path)), request_body(content_type = "multipart/form-data", description = "One `file` part: a CSV of segments"), responses((status = 200, description = "The queued job", body = crate::answers::ImportJob)))]
async fn import(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<(Uuid, Uuid)>,
    form: Multipart,
) -> HttpResult {
    let db = &state.infra.db;
    let (dataset_id, document_id) = path.into_inner();
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, dataset_id).await?;
    let doc = documents::find(db, &d, document_id).await?;
    let limit = state.config.upload_file_size_limit_mb.saturating_mul(1024 * 1024);
    let file = super::files::read_file(form, limit).await?;
    if !file.filename.ends_with(".csv") {
        return Err(ApiError::value_error("Invalid file type. Only CSV files are allowed").into());
    }
    let rows = segment_import::parse_csv(&file.bytes, &doc)?;
    let job_id = Uuid::new_v4();
    segment_import::start(state.infra.cache.as_ref(), job_id, user.tenant_id()).await?;
    let job = Job::ImportSegments {
        job_id,
        tenant_id: user.tenant_id(),
        dataset_id: d.id,
        document_id: doc.id,
        account_id: user.account.id,
        rows,
    };
    state.infra.outbox.enqueue(&job).await.map_err(|e| {
        tracing::error!(error = %e, "cannot queue a segment import");
        ApiError::unavailable("The import could not be queued, please try again later.")
    })?;
    Ok(HttpResponse::Ok().json(crate::answers::ImportJob { job_id, job_status: "waiting".into() }))
}

#[utoipa::path(get, path = "/console/api/datasets/batch_import_status/{job_id}", tag = "segments", params(("job_id" = Uuid, Path)), responses((status = 200, description = "The job's status", body = crate::answers::ImportJob)))]
async fn status(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let job_id = path.into_inner();
    let status = segment_import::status(state.infra.cache.as_ref(), job_id, user.tenant_id()).await?;
    Ok(HttpResponse::Ok().json(crate::answers::ImportJob { job_id, job_status: status }))
}
