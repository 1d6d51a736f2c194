//! `/api/saved-messages*`: completions the visitor keeps (completion apps).

use actix_web::web;
use uuid::Uuid;

use super::conversations::scope;
use super::guard::WebAppUser;
use crate::body::Body;
use crate::history::{self, QueryArgs, SaveMessage};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, save, delete))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/api/saved-messages", "web.savedmessagelistapi", web::to(list));
    t.add("POST", "/api/saved-messages", "web.savedmessagelistapi", web::to(save));
    t.add("DELETE", "/api/saved-messages/<uuid:message_id>", "web.savedmessageapi", web::to(delete));
}

/// The visitor's saved messages.
#[utoipa::path(get, path = "/api/saved-messages", tag = "saved messages", params(("last_id" = Option<Uuid>, Query), ("limit" = Option<u64>, Query)), responses((status = 200, description = "A page of saved messages", body = conversations::listing::Page<conversations::saved::SavedMessageFields>)))]
async fn list(state: web::Data<AppState>, user: WebAppUser, query: QueryArgs) -> HttpResult {
    history::list_saved(&state.infra.db, scope(&user), &query).await
}

/// Saves one of the visitor's completions.
#[utoipa::path(post, path = "/api/saved-messages", tag = "saved messages", request_body = SaveMessage, responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn save(state: web::Data<AppState>, user: WebAppUser, body: Body<SaveMessage>) -> HttpResult {
    history::save_message(&state.infra.db, scope(&user), body).await
}

/// Forgets a saved message.
#[utoipa::path(delete, path = "/api/saved-messages/{message_id}", tag = "saved messages", params(("message_id" = Uuid, Path)), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn delete(state: web::Data<AppState>, user: WebAppUser, message_id: web::Path<Uuid>) -> HttpResult {
    history::unsave_message(&state.infra.db, scope(&user), *message_id).await
}
