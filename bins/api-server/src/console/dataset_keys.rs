//! `/datasets/<id>/api-keys`: service-API keys of a dataset (`ds-…`), scoped to the workspace.

use actix_web::{HttpResponse, web};
use apps::api_keys::{self, KeyResource};
use uuid::Uuid;

use super::guard::{Console, Manager};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, delete))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add(
        "GET",
        "/console/api/datasets/<uuid:resource_id>/api-keys",
        "console.datasetapikeylistresource",
        web::to(list),
    );
    t.add(
        "POST",
        "/console/api/datasets/<uuid:resource_id>/api-keys",
        "console.datasetapikeylistresource",
        web::to(create),
    );
    t.add(
        "DELETE",
        "/console/api/datasets/<uuid:resource_id>/api-keys/<uuid:api_key_id>",
        "console.datasetapikeyresource",
        web::to(delete),
    );
}

/// The workspace's dataset, or Dify's 404 "Dataset not found." (another workspace's too).
async fn dataset(state: &AppState, user: &Console, id: Uuid) -> Result<KeyResource, ::datasets::DatasetError> {
    let d = ::datasets::dataset::find(&state.infra.db, user.tenant_id(), id).await?;
    Ok(KeyResource::Dataset(d.id))
}

#[utoipa::path(get, path = "/console/api/datasets/{resource_id}/api-keys", tag = "datasets", params(("resource_id" = Uuid, Path)), responses((status = 200, description = "The dataset's API keys", body = apps::api_keys::ApiKeyList)))]
async fn list(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let resource = dataset(&state, &user, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(api_keys::list(&state.infra.db, resource, user.role().is_manager()).await?))
}

#[utoipa::path(post, path = "/console/api/datasets/{resource_id}/api-keys", tag = "datasets", params(("resource_id" = Uuid, Path)), responses((status = 201, description = "The new key", body = apps::api_keys::ApiKeyFields)))]
async fn create(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>) -> HttpResult {
    let resource = dataset(&state, &user.0, path.into_inner()).await?;
    Ok(HttpResponse::Created().json(api_keys::create(&state.infra.db, resource).await?))
}

#[utoipa::path(delete, path = "/console/api/datasets/{resource_id}/api-keys/{api_key_id}", tag = "datasets", params(("resource_id" = Uuid, Path), ("api_key_id" = Uuid, Path)), responses((status = 204, description = "Deleted")))]
async fn delete(state: web::Data<AppState>, user: Manager, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (dataset_id, key_id) = path.into_inner();
    let resource = dataset(&state, &user.0, dataset_id).await?;
    api_keys::delete(&state.infra.db, resource, key_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
