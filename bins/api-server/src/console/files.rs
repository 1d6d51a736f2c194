//! `/files/upload` and `/files/<id>/preview`: dataset document uploads of the workspace.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use bytes::BytesMut;
use datasets::DatasetError;
use datasets::upload::{self, Upload, Uploader};
use futures::StreamExt;
use kernel::config::StorageConfig;
use uuid::Uuid;

use super::guard::Console;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(config, create, preview))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/console/api/files/upload", "console.fileapi", web::to(config));
    t.add("POST", "/console/api/files/upload", "console.fileapi", web::to(create));
    t.add("GET", "/console/api/files/<uuid:file_id>/preview", "console.filepreviewapi", web::to(preview));
}

#[utoipa::path(get, path = "/console/api/files/upload", tag = "files", responses((status = 200, description = "The upload size and batch limits", body = crate::answers::UploadLimits)))]
async fn config(state: web::Data<AppState>, _user: Console) -> HttpResult {
    Ok(HttpResponse::Ok().json(crate::answers::UploadLimits {
        file_size_limit: state.config.upload_file_size_limit_mb,
        batch_count_limit: state.config.upload_file_batch_limit,
    }))
}

/// Reads the one `file` part, at most `limit` bytes of it (one more byte is a 413 at once,
/// whatever the client claimed); a second file part is `too_many_files`.
pub(super) async fn read_file(mut form: Multipart, limit: u64) -> Result<Upload, DatasetError> {
    let mut found: Option<Upload> = None;
    let mut files = 0;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|_| DatasetError::NoFileUploaded)?;
        let filename = field.content_disposition().and_then(|d| d.get_filename()).map(str::to_owned);
        let Some(filename) = filename else { continue };
        files += 1;
        if files > 1 {
            return Err(DatasetError::TooManyFiles);
        }
        if field.name() != Some("file") {
            continue;
        }
        let mut data = BytesMut::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| DatasetError::NoFileUploaded)?;
            let size = (data.len() + chunk.len()) as u64;
            if size > limit {
                return Err(DatasetError::FileTooLarge { size, limit });
            }
            data.extend_from_slice(&chunk);
        }
        found = Some(Upload { filename, bytes: data.freeze() });
    }
    found.ok_or(DatasetError::NoFileUploaded)
}

fn storage_type(state: &AppState) -> &'static str {
    match state.config.storage {
        StorageConfig::Local { .. } => "local",
        StorageConfig::S3 { .. } => "s3",
    }
}

#[utoipa::path(post, path = "/console/api/files/upload", tag = "files", request_body(content_type = "multipart/form-data", description = "One `file` part"), responses((status = 201, description = "The stored upload", body = datasets::upload::FileFields)))]
async fn create(state: web::Data<AppState>, user: Console, form: Multipart) -> HttpResult {
    let limit = state.config.upload_file_size_limit_mb.saturating_mul(1024 * 1024);
    let file = read_file(form, limit).await?;
    let who = Uploader {
        tenant_id: user.tenant_id(),
        account_id: user.account.id,
        storage_type: storage_type(&state),
        size_limit: limit,
    };
    let row = upload::save(&state.infra.db, state.infra.storage.as_ref(), who, file).await?;
    Ok(HttpResponse::Created().json(upload::fields(&row)))
}

#[utoipa::path(get, path = "/console/api/files/{file_id}/preview", tag = "files", params(("file_id" = Uuid, Path)), responses((status = 200, description = "The start of the file's text", body = datasets::upload::FilePreview)))]
async fn preview(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let content = upload::preview(
        &state.infra.db,
        state.infra.storage.as_ref(),
        &state.indexer.extractor,
        user.tenant_id(),
        path.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(content))
}
