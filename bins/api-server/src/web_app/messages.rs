//! `/api/messages*`: a conversation's history and the visitor's feedback on answers.

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
    t.add("GET", "/api/messages", "web.messagelistapi", web::to(list));
    t.add("POST", "/api/messages/<uuid:message_id>/feedbacks", "web.messagefeedbackapi", web::to(feedback));
}

async fn list(state: web::Data<AppState>, user: WebAppUser, query: QueryArgs) -> HttpResult {
    history::list_messages(&state.infra.db, scope(&user), &query).await
}

async fn feedback(
    state: web::Data<AppState>,
    user: WebAppUser,
    message_id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    history::rate_message(&state.infra.db, scope(&user), *message_id, &JsonArgs::new(body)?).await
}
