//! `/api/conversations*`: the visitor's own chats in the web app's sidebar.

use actix_web::web;
use serde_json::Value;
use uuid::Uuid;

use super::guard::WebAppUser;
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
    t.add("GET", "/api/conversations", "web.conversationlistapi", web::to(list));
    t.add("DELETE", "/api/conversations/<uuid:c_id>", "web.conversationapi", web::to(delete));
    t.add("POST", "/api/conversations/<uuid:c_id>/name", "web.web_conversation_name", web::to(rename));
    t.add("PATCH", "/api/conversations/<uuid:c_id>/pin", "web.conversationpinapi", web::to(pin));
    t.add("PATCH", "/api/conversations/<uuid:c_id>/unpin", "web.conversationunpinapi", web::to(unpin));
}

pub(super) fn scope(user: &WebAppUser) -> Scope<'_> {
    Scope { app: &user.app, caller: user.caller(), wording: Wording::App }
}

async fn list(state: web::Data<AppState>, user: WebAppUser, query: QueryArgs) -> HttpResult {
    history::list_conversations(&state.infra.db, scope(&user), &query, true).await
}

async fn delete(state: web::Data<AppState>, user: WebAppUser, c_id: web::Path<Uuid>) -> HttpResult {
    history::delete_conversation(&state.infra.db, scope(&user), *c_id).await
}

async fn rename(
    state: web::Data<AppState>,
    user: WebAppUser,
    c_id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    history::rename_conversation(&state.infra.db, scope(&user), *c_id, &JsonArgs::new(body)?).await
}

async fn pin(state: web::Data<AppState>, user: WebAppUser, c_id: web::Path<Uuid>) -> HttpResult {
    history::set_pinned(&state.infra.db, scope(&user), *c_id, true).await
}

async fn unpin(state: web::Data<AppState>, user: WebAppUser, c_id: web::Path<Uuid>) -> HttpResult {
    history::set_pinned(&state.infra.db, scope(&user), *c_id, false).await
}
