//! `/v1/conversations*`: an app backend reads and manages its users' chats. The user is the
//! `user` string of the request (query for GET, JSON body otherwise).

use actix_web::{HttpResponse, web};
use conversations::Caller;
use conversations::listing::Page;
use entities::apps as app_rows;
use kernel::ApiError;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::guard::AppApiKey;
use crate::body::Body;
use crate::history::{self, QueryArgs, RenameConversation, Scope, Wording};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// A body naming only the end user (`DELETE /conversations/<c_id>`, the stop routes).
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct UserBody {
    /// The app's own id for its end user.
    pub user: Option<String>,
}

/// `POST /conversations/<c_id>/name`.
#[derive(Deserialize, utoipa::ToSchema)]
struct Rename {
    name: String,
    /// The app's own id for its end user.
    user: Option<String>,
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, show, delete, rename))]
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
    let end_user = conversations::end_user::for_service_api(&state.hot_apps, &state.infra.db, app, Some(user)).await?;
    Ok(Some(Caller::EndUser(end_user.id)))
}

pub(super) fn scope(app: &app_rows::Model, caller: Caller) -> Scope<'_> {
    Scope { app, caller, wording: Wording::App }
}

/// What Dify answers when no user names a conversation.
fn not_found() -> ApiError {
    ApiError::not_found("Conversation Not Exists.")
}

/// The user's conversations, newest first.
#[utoipa::path(get, path = "/v1/conversations", tag = "conversations", params(("user" = Option<String>, Query), ("last_id" = Option<Uuid>, Query), ("limit" = Option<u64>, Query)), responses((status = 200, description = "A page of conversations (empty when no user is named)", body = conversations::listing::Page<conversations::listing::ConversationFields>)))]
async fn list(state: web::Data<AppState>, key: AppApiKey, query: QueryArgs) -> HttpResult {
    history::require_chat(&key.app, Wording::App)?;
    history::uuid_arg(&query, "last_id")?;
    let limit = query.limit()?;
    match caller(&state, &key.app, query.get("user")).await? {
        None => Ok(HttpResponse::Ok().json(Page::<Value>::empty(limit))),
        Some(c) => history::list_conversations(&state.infra.db, scope(&key.app, c), &query, false).await,
    }
}

/// One of the user's conversations.
// Dify 0.3.23 routes this to the list resource and fails with a 500; what it meant is the
// user's one conversation.
#[utoipa::path(get, path = "/v1/conversations/{c_id}", tag = "conversations", params(("c_id" = Uuid, Path), ("user" = String, Query)), responses((status = 200, description = "The conversation", body = conversations::listing::ConversationFields)))]
async fn show(state: web::Data<AppState>, key: AppApiKey, c_id: web::Path<Uuid>, query: QueryArgs) -> HttpResult {
    history::require_chat(&key.app, Wording::App)?;
    let c = caller(&state, &key.app, query.get("user")).await?.ok_or_else(not_found)?;
    history::show_conversation(&state.infra.db, scope(&key.app, c), *c_id).await
}

/// Deletes one of the user's conversations.
// The user comes in the JSON body; a request without one names nobody's conversation.
#[utoipa::path(delete, path = "/v1/conversations/{c_id}", tag = "conversations", params(("c_id" = Uuid, Path)), request_body(content = Option<UserBody>), responses((status = 204, description = "Deleted")))]
async fn delete(
    state: web::Data<AppState>,
    key: AppApiKey,
    c_id: web::Path<Uuid>,
    body: Option<Body<UserBody>>,
) -> HttpResult {
    history::require_chat(&key.app, Wording::App)?;
    let user = match body {
        Some(body) => body.read()?.user,
        None => None,
    };
    let c = caller(&state, &key.app, user.as_deref()).await?.ok_or_else(not_found)?;
    history::delete_conversation(&state.infra.db, scope(&key.app, c), *c_id).await
}

/// Renames one of the user's conversations.
#[utoipa::path(post, path = "/v1/conversations/{c_id}/name", tag = "conversations", params(("c_id" = Uuid, Path)), request_body = Rename, responses((status = 200, description = "The conversation")))]
async fn rename(state: web::Data<AppState>, key: AppApiKey, c_id: web::Path<Uuid>, body: Body<Rename>) -> HttpResult {
    // The app's mode is checked before the body is read, as Dify does.
    history::require_chat(&key.app, Wording::App)?;
    let Rename { name, user } = body.read()?;
    let c = caller(&state, &key.app, user.as_deref()).await?.ok_or_else(not_found)?;
    history::rename(&state.infra.db, scope(&key.app, c), *c_id, RenameConversation { name }).await
}
