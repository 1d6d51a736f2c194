//! `GET /v1/parameters`: the app's input form and features, for the caller's UI.

use actix_web::{HttpResponse, web};

use super::guard::AppApiKey;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(parameters))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/v1/parameters", "service_api.appparameterapi", web::to(parameters));
}

/// The app's input form and features.
#[utoipa::path(get, path = "/v1/parameters", tag = "parameters", responses((status = 200, description = "The app's input form and features", body = apps::model_config::AppParameters)))]
async fn parameters(state: web::Data<AppState>, key: AppApiKey) -> HttpResult {
    let params = state.hot_apps.parameters(&state.infra.db, &key.app, key.seen).await?;
    Ok(HttpResponse::Ok().json(&*params))
}
