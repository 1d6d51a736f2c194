//! `/v1/conversations*`: an app backend reads and manages its users' chats. The user is the
//! `user` string of the request (query for GET, JSON body otherwise).

use actix_web::{HttpResponse, web};
use conversations::Caller;
use conversations::listing::Page;
use entities::apps as app_rows;
use kernel::ApiError;
use serde_json::Value;
use uuid::Uuid;

use super::guard::AppApiKey;
use crate::args::JsonArgs;
use crate::history::{self, QueryArgs, Scope, Wording};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/v1/conversations", "service_api.conversationapi", web::to(list));
    t.add("GET", "/v1/conversations/<uuid:c_id>", "service_api.conversation", web::to(show));
    t.add("DELETE", "/v1/conversations/<uuid:c_id>", "service_api.conversation_detail", web::to(delete));
    t.add("POST", "/v1/conversations/<uuid:c_id>/name", "service_api.conversation_name", web::to(rename));
}

/// The end user `user` names in the app's workspace (made on first use), if a user is named.
pub(super) async fn caller(
    state: &AppState,
    app: &app_rows::Model,
    user: Option<&str>,
) -> Result<Option<Caller>, ApiError> {
    let Some(user) = user else { return Ok(None) };
    let end_user = conversations::end_user::for_service_api(&state.infra.db, app, Some(user)).await?;
    Ok(Some(Caller::EndUser(end_user.id)))
}

pub(super) fn scope(app: &app_rows::Model, caller: Caller) -> Scope<'_> {
    Scope { app, caller, wording: Wording::App }
}

/// What Dify answers when no user names a conversation.
fn not_found() -> ApiError {
    ApiError::not_found("Conversation Not Exists.")
}

async fn list(state: web::Data<AppState>, key: AppApiKey, query: QueryArgs) -> HttpResult {
    history::require_chat(&key.app, Wording::App)?;
    history::uuid_arg(&query, "last_id")?;
    let limit = history::limit_arg(&query)?;
    match caller(&state, &key.app, query.get("user").map(String::as_str)).await? {
        None => Ok(HttpResponse::Ok().json(Page::<Value>::empty(limit))),
        Some(c) => history::list_conversations(&state.infra.db, scope(&key.app, c), &query, false).await,
    }
}

/// Dify 0.3.23 routes this to the list resource and fails with a 500; what it meant is the
/// user's one conversation.
async fn show(state: web::Data<AppState>, key: AppApiKey, c_id: web::Path<Uuid>, query: QueryArgs) -> HttpResult {
    history::require_chat(&key.app, Wording::App)?;
    let c = caller(&state, &key.app, query.get("user").map(String::as_str)).await?.ok_or_else(not_found)?;
    history::show_conversation(&state.infra.db, scope(&key.app, c), *c_id).await
}

/// The user comes in the JSON body; a request without one names nobody's conversation.
async fn delete(
    state: web::Data<AppState>,
    key: AppApiKey,
    c_id: web::Path<Uuid>,
    body: Option<web::Json<Value>>,
) -> HttpResult {
    history::require_chat(&key.app, Wording::App)?;
    let user = match body {
        Some(body) => JsonArgs::new(body)?.optional_str("user")?,
        None => None,
    };
    let c = caller(&state, &key.app, user.as_deref()).await?.ok_or_else(not_found)?;
    history::delete_conversation(&state.infra.db, scope(&key.app, c), *c_id).await
}

async fn rename(
    state: web::Data<AppState>,
    key: AppApiKey,
    c_id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    history::require_chat(&key.app, Wording::App)?;
    let args = JsonArgs::new(body)?;
    args.required_str("name")?;
    let c = caller(&state, &key.app, args.optional_str("user")?.as_deref()).await?.ok_or_else(not_found)?;
    history::rename_conversation(&state.infra.db, scope(&key.app, c), *c_id, &args).await
}
