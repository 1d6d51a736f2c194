//! `/api/saved-messages*`: completions the visitor keeps (completion apps).

use actix_web::web;
use serde_json::Value;
use uuid::Uuid;

use super::conversations::scope;
use super::guard::WebAppUser;
use crate::args::JsonArgs;
use crate::history::{self, QueryArgs};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/api/saved-messages", "web.savedmessagelistapi", web::to(list));
    t.add("POST", "/api/saved-messages", "web.savedmessagelistapi", web::to(save));
    t.add("DELETE", "/api/saved-messages/<uuid:message_id>", "web.savedmessageapi", web::to(delete));
}

async fn list(state: web::Data<AppState>, user: WebAppUser, query: QueryArgs) -> HttpResult {
    history::list_saved(&state.infra.db, scope(&user), &query).await
}

async fn save(state: web::Data<AppState>, user: WebAppUser, body: web::Json<Value>) -> HttpResult {
    history::save_message(&state.infra.db, scope(&user), &JsonArgs::new(body)?).await
}

async fn delete(state: web::Data<AppState>, user: WebAppUser, message_id: web::Path<Uuid>) -> HttpResult {
    history::unsave_message(&state.infra.db, scope(&user), *message_id).await
}
