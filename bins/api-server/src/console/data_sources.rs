//! Data sources (Notion) as the console's dataset pages and settings call them, and the
//! workspace's agent-tool list. With no Notion connection every list is empty, as in Dify;
//! connecting and importing Notion pages belongs to the Notion import.

use actix_web::{HttpResponse, web};
use datasets::data_sources::{self, NOTION};
use kernel::ApiError;
use serde_json::json;
use uuid::Uuid;

use super::guard::{Console, Manager};
use crate::history::QueryArgs;
use crate::http_error::{HttpResult, method_not_allowed};
use crate::routes::RouteTable;
use crate::state::AppState;

const INTEGRATES: &str = "/console/api/data-source/integrates";
const BINDING: &str = "/console/api/data-source/integrates/<uuid:binding_id>/<string:action>";

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(integrates, set_binding, integrates_patch, binding_get, pre_import, connect, callback, sync, tools))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", INTEGRATES, "console.datasourceapi", web::to(integrates));
    t.add("PATCH", BINDING, "console.datasourceapi", web::to(set_binding));
    // Dify registers both methods on both rules, and the crossed pairs fail on the handlers'
    // signatures (500): they mean nothing.
    t.add("PATCH", INTEGRATES, "console.datasourceapi", web::to(integrates_patch));
    t.add("GET", BINDING, "console.datasourceapi", web::to(binding_get));
    t.add("GET", "/console/api/notion/pre-import/pages", "console.datasourcenotionlistapi", web::to(pre_import));
    t.add("GET", "/console/api/oauth/data-source/<string:provider>", "console.oauthdatasource", web::to(connect));
    t.add(
        "GET",
        "/console/api/oauth/data-source/callback/<string:provider>",
        "console.oauthdatasourcecallback",
        web::to(callback),
    );
    t.add(
        "GET",
        "/console/api/oauth/data-source/<string:provider>/<uuid:binding_id>/sync",
        "console.oauthdatasourcesync",
        web::to(sync),
    );
    t.add("GET", "/console/api/workspaces/current/tool-providers", "console.toolproviderlistapi", web::to(tools));
}

#[utoipa::path(get, path = "/console/api/data-source/integrates", tag = "data-sources", responses((status = 200, description = "The workspace's Notion bindings", body = datasets::data_sources::Integrates)))]
async fn integrates(state: web::Data<AppState>, user: Console) -> HttpResult {
    let link = format!("{}/console/api/oauth/data-source/{NOTION}", state.config.console_api_url.trim_end_matches('/'));
    Ok(HttpResponse::Ok().json(data_sources::integrates(&state.infra.db, user.tenant_id(), &link).await?))
}

#[utoipa::path(patch, path = "/console/api/data-source/integrates/{binding_id}/{action}", tag = "data-sources", params(("binding_id" = Uuid, Path), ("action" = String, Path, description = "`enable` or `disable`")), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn set_binding(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, String)>) -> HttpResult {
    let (binding_id, action) = path.into_inner();
    data_sources::set_disabled(&state.infra.db, user.tenant_id(), binding_id, &action).await?;
    Ok(crate::answers::success())
}

/// Dify's crossed pair: `PATCH` on the list rule means nothing.
#[utoipa::path(patch, path = "/console/api/data-source/integrates", tag = "data-sources", responses((status = 405, description = "Method not allowed")))]
async fn integrates_patch() -> HttpResult {
    Err(method_not_allowed().await)
}

/// Dify's crossed pair: `GET` on a binding's rule means nothing.
#[utoipa::path(get, path = "/console/api/data-source/integrates/{binding_id}/{action}", tag = "data-sources", params(("binding_id" = Uuid, Path), ("action" = String, Path)), responses((status = 405, description = "Method not allowed")))]
async fn binding_get() -> HttpResult {
    Err(method_not_allowed().await)
}

#[utoipa::path(get, path = "/console/api/notion/pre-import/pages", tag = "data-sources", params(("dataset_id" = Option<String>, Query)), responses((status = 200, description = "The Notion pages that may be imported", body = datasets::data_sources::NotionInfo)))]
async fn pre_import(state: web::Data<AppState>, user: Console, query: QueryArgs) -> HttpResult {
    let db = &state.infra.db;
    let dataset = match query.get("dataset_id") {
        None | Some("") => None,
        Some(id) => {
            let id: Uuid = id.parse().map_err(|_| ApiError::not_found("Dataset not found."))?;
            Some(datasets::dataset::find(db, user.tenant_id(), id).await?)
        }
    };
    Ok(HttpResponse::Ok().json(data_sources::pre_import_pages(db, user.tenant_id(), dataset.as_ref()).await?))
}

/// Dify's answer for a provider it does not know (not an error JSON: a bare `error`).
fn invalid_provider() -> HttpResponse {
    HttpResponse::BadRequest().json(json!({"error": "Invalid provider"}))
}

/// `oauth/data-source/<provider>`: where the console sends an owner or admin to connect
/// Notion. No Notion integration is configured on this server, so there is nowhere to go.
#[utoipa::path(get, path = "/console/api/oauth/data-source/{provider}", tag = "data-sources", params(("provider" = String, Path)), responses((status = 400, description = "`{\"error\": …}`: no Notion integration is configured, or the provider is unknown")))]
async fn connect(_: Manager, path: web::Path<String>) -> HttpResult {
    if path.as_str() != NOTION {
        return Ok(invalid_provider());
    }
    Ok(HttpResponse::BadRequest().json(json!({"error": "Notion is not configured on this server."})))
}

/// `oauth/data-source/callback/<provider>`: Notion's redirect back. Errors go back to the
/// console as Dify sends them; a code cannot be exchanged without a Notion integration.
#[utoipa::path(get, path = "/console/api/oauth/data-source/callback/{provider}", tag = "data-sources", params(("provider" = String, Path), ("code" = Option<String>, Query), ("error" = Option<String>, Query)), responses((status = 302, description = "Back to the console with `oauth_data_source`"), (status = 400, description = "`{\"error\": …}`: a code that cannot be exchanged, or an unknown provider")))]
async fn callback(state: web::Data<AppState>, path: web::Path<String>, query: QueryArgs) -> HttpResult {
    if path.as_str() != NOTION {
        return Ok(invalid_provider());
    }
    if query.contains("code") {
        return Ok(HttpResponse::BadRequest().json(json!({"error": "OAuth data source process failed"})));
    }
    let outcome = query.get("error").unwrap_or("access_denied");
    let target =
        url::form_urlencoded::Serializer::new(String::new()).append_pair("oauth_data_source", outcome).finish();
    let location = format!("{}?{target}", state.config.console_web_url);
    Ok(HttpResponse::Found().insert_header((actix_web::http::header::LOCATION, location)).finish())
}

/// `oauth/data-source/<provider>/<binding>/sync`: refreshes a binding's pages from Notion.
#[utoipa::path(get, path = "/console/api/oauth/data-source/{provider}/{binding_id}/sync", tag = "data-sources", params(("provider" = String, Path), ("binding_id" = Uuid, Path)), responses((status = 501, description = "Reading pages from Notion is not built yet"), (status = 400, description = "`{\"error\": \"Invalid provider\"}`")))]
async fn sync(state: web::Data<AppState>, user: Console, path: web::Path<(String, Uuid)>) -> HttpResult {
    let (provider, binding_id) = path.into_inner();
    if provider != NOTION {
        return Ok(invalid_provider());
    }
    if !data_sources::has_binding(&state.infra.db, user.tenant_id(), NOTION, binding_id).await? {
        return Err(ApiError::value_error("Data source binding not found").into());
    }
    // Reading pages from Notion is the Notion import's work.
    Err(ApiError::not_implemented("console.oauthdatasourcesync").into())
}

#[utoipa::path(get, path = "/console/api/workspaces/current/tool-providers", tag = "tool-providers", responses((status = 200, description = "The workspace's agent tools", body = Vec<providers::tools::ToolProvider>)))]
async fn tools(state: web::Data<AppState>, user: Console) -> HttpResult {
    let list = providers::tools::list(
        &state.infra.db,
        state.infra.storage.as_ref(),
        &state.engine.credentials,
        user.tenant_id(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(list))
}
