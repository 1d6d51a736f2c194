//! `GET /api/site` and `GET /api/parameters`: what the web app shows before the first message.

use actix_web::{HttpResponse, web};

use super::guard::WebAppUser;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(site, parameters))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/api/site", "web.appsiteapi", web::to(site));
    t.add("GET", "/api/parameters", "web.appparameterapi", web::to(parameters));
}

/// The web app's site: title, icon, texts and (when public) the prompt.
#[utoipa::path(get, path = "/api/site", tag = "site", responses((status = 200, description = "The site and the app's public config", body = apps::site::VisitorSite)))]
async fn site(state: web::Data<AppState>, user: WebAppUser) -> HttpResult {
    Ok(HttpResponse::Ok().json(apps::site::for_visitor(&state.infra.db, &user.app, user.end_user.id).await?))
}

/// The app's input form and features.
#[utoipa::path(get, path = "/api/parameters", tag = "site", responses((status = 200, description = "The app's input form and features", body = apps::model_config::AppParameters)))]
async fn parameters(state: web::Data<AppState>, user: WebAppUser) -> HttpResult {
    crate::history::parameters(&state.infra.db, &user.app).await
}
