//! `/v1/messages*`: a conversation's history and user feedback, for an app backend.

use actix_web::{HttpResponse, web};
use conversations::listing::Page;
use kernel::ApiError;
use serde_json::Value;
use uuid::Uuid;

use super::conversations::{caller, scope};
use super::guard::AppApiKey;
use crate::args::JsonArgs;
use crate::history::{self, QueryArgs, Wording};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/v1/messages", "service_api.messagelistapi", web::to(list));
    t.add("POST", "/v1/messages/<uuid:message_id>/feedbacks", "service_api.messagefeedbackapi", web::to(feedback));
}

async fn list(state: web::Data<AppState>, key: AppApiKey, query: QueryArgs) -> HttpResult {
    history::require_chat(&key.app, Wording::App)?;
    match caller(&state, &key.app, query.get("user").map(String::as_str)).await? {
        Some(c) => history::list_messages(&state.infra.db, scope(&key.app, c), &query).await,
        None => {
            // Dify checks the arguments, then answers an empty page for nobody.
            if !query.contains_key("conversation_id") {
                return Err(ApiError::invalid_param(
                    "conversation_id",
                    "Missing required parameter in the query string",
                )
                .into());
            }
            history::uuid_arg(&query, "conversation_id")?;
            history::uuid_arg(&query, "first_id")?;
            Ok(HttpResponse::Ok().json(Page::<Value>::empty(history::limit_arg(&query)?)))
        }
    }
}

async fn feedback(
    state: web::Data<AppState>,
    key: AppApiKey,
    message_id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    let args = JsonArgs::new(body)?;
    let c = caller(&state, &key.app, args.optional_str("user")?.as_deref())
        .await?
        .ok_or_else(|| ApiError::value_error("user cannot be None"))?;
    history::rate_message(&state.infra.db, scope(&key.app, c), *message_id, &args).await
}
