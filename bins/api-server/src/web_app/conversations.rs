//! `/api/conversations*`: the visitor's own chats in the web app's sidebar.

use actix_web::web;
use uuid::Uuid;

use super::guard::WebAppUser;
use crate::body::Body;
use crate::history::{self, QueryArgs, RenameConversation, Scope, Wording};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, delete, rename, pin, unpin))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/api/conversations", "web.conversationlistapi", web::to(list));
    t.add("DELETE", "/api/conversations/<uuid:c_id>", "web.conversationapi", web::to(delete));
    t.add("POST", "/api/conversations/<uuid:c_id>/name", "web.web_conversation_name", web::to(rename));
    t.add("PATCH", "/api/conversations/<uuid:c_id>/pin", "web.conversationpinapi", web::to(pin));
    t.add("PATCH", "/api/conversations/<uuid:c_id>/unpin", "web.conversationunpinapi", web::to(unpin));
}

pub(super) fn scope(user: &WebAppUser) -> Scope<'_> {
    Scope { app: &user.app, caller: user.caller(), wording: Wording::App }
}

/// The visitor's conversations, newest first.
#[utoipa::path(get, path = "/api/conversations", tag = "conversations", params(("last_id" = Option<Uuid>, Query), ("limit" = Option<u64>, Query), ("pinned" = Option<bool>, Query)), responses((status = 200, description = "A page of conversations", body = conversations::listing::Page<conversations::listing::ConversationFields>)))]
async fn list(state: web::Data<AppState>, user: WebAppUser, query: QueryArgs) -> HttpResult {
    history::list_conversations(&state.infra.db, scope(&user), &query, true).await
}

/// Deletes one of the visitor's conversations.
#[utoipa::path(delete, path = "/api/conversations/{c_id}", tag = "conversations", params(("c_id" = Uuid, Path)), responses((status = 204, description = "Deleted")))]
async fn delete(state: web::Data<AppState>, user: WebAppUser, c_id: web::Path<Uuid>) -> HttpResult {
    history::delete_conversation(&state.infra.db, scope(&user), *c_id).await
}

/// Renames one of the visitor's conversations.
#[utoipa::path(post, path = "/api/conversations/{c_id}/name", tag = "conversations", params(("c_id" = Uuid, Path)), request_body = RenameConversation, responses((status = 200, description = "The conversation")))]
async fn rename(
    state: web::Data<AppState>,
    user: WebAppUser,
    c_id: web::Path<Uuid>,
    body: Body<RenameConversation>,
) -> HttpResult {
    history::rename_conversation(&state.infra.db, scope(&user), *c_id, body).await
}

/// Pins a conversation.
#[utoipa::path(patch, path = "/api/conversations/{c_id}/pin", tag = "conversations", params(("c_id" = Uuid, Path)), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn pin(state: web::Data<AppState>, user: WebAppUser, c_id: web::Path<Uuid>) -> HttpResult {
    history::set_pinned(&state.infra.db, scope(&user), *c_id, true).await
}

/// Unpins a conversation.
#[utoipa::path(patch, path = "/api/conversations/{c_id}/unpin", tag = "conversations", params(("c_id" = Uuid, Path)), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn unpin(state: web::Data<AppState>, user: WebAppUser, c_id: web::Path<Uuid>) -> HttpResult {
    history::set_pinned(&state.infra.db, scope(&user), *c_id, false).await
}
