//! `/v1/documents`: a dataset's backend adds documents from text and deletes them, with a
//! `ds-…` dataset key.

use crate::error_table;
use actix_web::{HttpResponse, web};
use datasets::DatasetError;
use datasets::document_admin;
use datasets::text_documents::{self, TextDocument};
use kernel::config::StorageConfig;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::guard::DatasetApiKey;
use crate::body::Body;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /v1/documents`: a document made from text.
#[derive(Deserialize, utoipa::ToSchema)]
struct NewDocument {
    /// Not blank; the stored file is `<name>.txt`.
    #[serde(deserialize_with = "text")]
    #[schema(value_type = String)]
    name: String,
    #[serde(deserialize_with = "text")]
    #[schema(value_type = String)]
    text: String,
    /// One of Dify's document types (`book`, `web_page`, `paper`, ..., `others`).
    #[schema(value_type = Option<String>)]
    doc_type: Option<Value>,
    /// The type's metadata (kept with `doc_type`).
    doc_metadata: Option<Map<String, Value>>,
}

/// reqparse's `type=str`: a string, or any other JSON value as its JSON text.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        v => v.to_string(),
    })
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create, delete))]
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

/// Adds a document to the key's dataset from text; it is indexed in the background.
#[utoipa::path(post, path = "/v1/documents", tag = "documents", request_body = NewDocument, responses((status = 200, description = "`{\"id\": ...}`", body = crate::answers::CreatedId)))]
async fn create(state: web::Data<AppState>, key: DatasetApiKey, body: Body<NewDocument>) -> HttpResult {
    body.not_null(&["name", "text"])?;
    let NewDocument { name, text, doc_type, doc_metadata } = body.read()?;
    let doc = TextDocument::new(name, text, doc_type, doc_metadata)?;
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
    Ok(HttpResponse::Ok().json(crate::answers::CreatedId { id: created.id }))
}

/// Deletes one of the dataset's documents.
#[utoipa::path(delete, path = "/v1/documents/{document_id}", tag = "documents", params(("document_id" = Uuid, Path)), responses((status = 204, description = "Deleted")))]
async fn delete(state: web::Data<AppState>, key: DatasetApiKey, path: web::Path<Uuid>) -> HttpResult {
    let d = &key.dataset;
    let deleted = async {
        let doc = datasets::documents::find(&state.infra.db, d, path.into_inner()).await?;
        if doc.archived {
            return Err(DatasetError::ArchivedImmutable);
        }
        if doc.indexing_status.is_running() {
            return Err(DatasetError::DocumentIndexing("Cannot delete document during indexing."));
        }
        document_admin::delete(&state.indexer, d, &doc).await
    };
    deleted.await.map_err(error_table::service_document)?;
    Ok(HttpResponse::NoContent().finish())
}
