//! `/v1/documents`: a dataset's backend adds documents from text and deletes them, with a
//! `ds-…` dataset key.

use actix_web::{HttpResponse, web};
use datasets::document_admin;
use datasets::text_documents::{self, TextDocument};
use kernel::ApiError;
use kernel::config::StorageConfig;
use serde_json::{Value, json};
use uuid::Uuid;

use super::guard::DatasetApiKey;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("POST", "/v1/documents", "service_api.documentlistapi", web::to(create));
    t.add("DELETE", "/v1/documents/<uuid:document_id>", "service_api.documentapi", web::to(delete));
}

fn storage_type(state: &AppState) -> &'static str {
    match state.config.storage {
        StorageConfig::Local { .. } => "local",
        StorageConfig::S3 { .. } => "s3",
    }
}

async fn create(state: web::Data<AppState>, key: DatasetApiKey, body: web::Json<Value>) -> HttpResult {
    let Value::Object(args) = body.into_inner() else {
        return Err(ApiError::bad_request("Failed to decode JSON object: expected a JSON object").into());
    };
    let doc = TextDocument::parse(&args)?;
    let storage = state.infra.storage.as_ref();
    let created = text_documents::create(
        &state.infra.db,
        &state.infra.outbox,
        storage,
        &state.engine.hosting,
        storage_type(&state),
        &key.dataset,
        doc,
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({"id": created.id})))
}

async fn delete(state: web::Data<AppState>, key: DatasetApiKey, path: web::Path<Uuid>) -> HttpResult {
    let d = &key.dataset;
    let doc = datasets::documents::find(&state.infra.db, d, path.into_inner())
        .await
        .map_err(|e| if e.status == 404 { ApiError::not_found("Document Not Exists.") } else { e })?;
    // The v1 surface answers 403 for both refusals (the console: 400 while indexing).
    if doc.archived {
        return Err(
            ApiError::new(403, "archived_document_immutable", "Cannot operate when document was archived.").into()
        );
    }
    if doc.indexing_status.is_running() {
        return Err(ApiError::new(403, "document_indexing", "Cannot delete document during indexing.").into());
    }
    document_admin::delete(&state.indexer, d, &doc)
        .await
        .map_err(|e| if e.status == 404 { ApiError::not_found("Document Not Exists.") } else { e })?;
    Ok(HttpResponse::NoContent().finish())
}
