//! `/api/messages*`: a conversation's history and the visitor's feedback on answers.

use actix_web::web;
use uuid::Uuid;

use super::conversations::scope;
use super::guard::WebAppUser;
use crate::body::Body;
use crate::history::{self, Feedback, QueryArgs};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, feedback))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/api/messages", "web.messagelistapi", web::to(list));
    t.add("POST", "/api/messages/<uuid:message_id>/feedbacks", "web.messagefeedbackapi", web::to(feedback));
}

/// A page of a conversation's messages, oldest first.
#[utoipa::path(get, path = "/api/messages", tag = "messages", params(("conversation_id" = Uuid, Query), ("first_id" = Option<Uuid>, Query), ("limit" = Option<u64>, Query)), responses((status = 200, description = "A page of messages", body = conversations::listing::Page<conversations::listing::MessageFields>)))]
async fn list(state: web::Data<AppState>, user: WebAppUser, query: QueryArgs) -> HttpResult {
    history::list_messages(&state.infra.db, scope(&user), &query).await
}

/// Rates one of the visitor's answers (or takes the rating back).
#[utoipa::path(post, path = "/api/messages/{message_id}/feedbacks", tag = "messages", params(("message_id" = Uuid, Path)), request_body = Feedback, responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn feedback(
    state: web::Data<AppState>,
    user: WebAppUser,
    message_id: web::Path<Uuid>,
    body: Body<Feedback>,
) -> HttpResult {
    history::rate_message(&state.infra.db, scope(&user), *message_id, body.read()?).await
}
