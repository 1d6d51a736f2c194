//! `/v1/messages*`: a conversation's history and user feedback, for an app backend.

use actix_web::{HttpResponse, web};
use conversations::feedback::Rating;
use conversations::listing::Page;
use kernel::ApiError;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::conversations::{caller, scope};
use super::guard::AppApiKey;
use crate::body::Body;
use crate::history::{self, Feedback, QueryArgs, Wording};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /v1/messages/<message_id>/feedbacks`.
#[derive(Deserialize, utoipa::ToSchema)]
struct UserFeedback {
    /// `like` or `dislike`; absent or null takes the feedback back.
    #[serde(default, deserialize_with = "history::rating")]
    #[schema(value_type = Option<String>)]
    rating: Option<Rating>,
    /// The app's own id for its end user (required, though Dify's reqparse does not say so).
    user: Option<String>,
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, feedback))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/v1/messages", "service_api.messagelistapi", web::to(list));
    t.add("POST", "/v1/messages/<uuid:message_id>/feedbacks", "service_api.messagefeedbackapi", web::to(feedback));
}

/// A page of a conversation's messages, oldest first.
#[utoipa::path(get, path = "/v1/messages", tag = "messages", params(("conversation_id" = Uuid, Query), ("user" = Option<String>, Query), ("first_id" = Option<Uuid>, Query), ("limit" = Option<u64>, Query)), responses((status = 200, description = "A page of messages (empty when no user is named)", body = conversations::listing::Page<conversations::listing::MessageFields>)))]
async fn list(state: web::Data<AppState>, key: AppApiKey, query: QueryArgs) -> HttpResult {
    history::require_chat(&key.app, Wording::App)?;
    match caller(&state, &key.app, query.get("user")).await? {
        Some(c) => history::list_messages(&state.infra.db, scope(&key.app, c), &query).await,
        None => {
            // Dify checks the arguments, then answers an empty page for nobody.
            if !query.contains("conversation_id") {
                return Err(ApiError::invalid_param(
                    "conversation_id",
                    "Missing required parameter in the query string",
                )
                .into());
            }
            history::uuid_arg(&query, "conversation_id")?;
            history::uuid_arg(&query, "first_id")?;
            Ok(HttpResponse::Ok().json(Page::<Value>::empty(query.limit()?)))
        }
    }
}

/// Rates an answer for the end user `user` names (or takes the rating back).
#[utoipa::path(post, path = "/v1/messages/{message_id}/feedbacks", tag = "messages", params(("message_id" = Uuid, Path)), request_body = UserFeedback, responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn feedback(
    state: web::Data<AppState>,
    key: AppApiKey,
    message_id: web::Path<Uuid>,
    body: Body<UserFeedback>,
) -> HttpResult {
    let UserFeedback { rating, user } = body.read()?;
    let c =
        caller(&state, &key.app, user.as_deref()).await?.ok_or_else(|| ApiError::value_error("user cannot be None"))?;
    history::rate_message(&state.infra.db, scope(&key.app, c), *message_id, Feedback { rating }).await
}
