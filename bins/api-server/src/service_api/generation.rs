//! `POST /v1/completion-messages` and `/v1/chat-messages` with an app key, for the end user
//! the body's `user` names, and their stop routes.

use crate::error_table::{Refusal, Wording, require_mode};
use actix_web::web;
use apps::lookup::AppMode;
use conversations::Caller;
use conversations::generate::{self, Request};
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::conversations::UserBody;
use super::guard::AppApiKey;
use crate::body::Body;
use crate::generation::{GenerateArgs, ResponseMode, respond};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /v1/chat-messages`.
#[derive(Deserialize, utoipa::ToSchema)]
struct Chat {
    /// The values of the app's input form.
    inputs: Map<String, Value>,
    query: String,
    /// Streams only when `streaming`.
    response_mode: Option<ResponseMode>,
    /// The conversation to go on with; absent or `""` starts one.
    #[serde(default, deserialize_with = "crate::body::uuid_value")]
    conversation_id: Option<Uuid>,
    /// Where the request comes from (default `dev`).
    retriever_from: Option<String>,
    /// The app's own id for its end user.
    user: Option<String>,
}

/// `POST /v1/completion-messages`.
#[derive(Deserialize, utoipa::ToSchema)]
struct Completion {
    /// The values of the app's input form.
    inputs: Map<String, Value>,
    #[serde(default)]
    query: String,
    /// Streams only when `streaming`.
    response_mode: Option<ResponseMode>,
    /// Where the request comes from (default `dev`).
    retriever_from: Option<String>,
    /// The app's own id for its end user.
    user: Option<String>,
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(completion, chat, stop_completion, stop_chat, audio))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("POST", "/v1/completion-messages", "service_api.completionapi", web::to(completion));
    t.add("POST", "/v1/chat-messages", "service_api.chatapi", web::to(chat));
    t.add(
        "POST",
        "/v1/completion-messages/<string:task_id>/stop",
        "service_api.completionstopapi",
        web::to(stop_completion),
    );
    t.add("POST", "/v1/chat-messages/<string:task_id>/stop", "service_api.chatstopapi", web::to(stop_chat));
    t.add("POST", "/v1/audio-to-text", "service_api.audioapi", web::to(audio));
}

/// Speech to text for the app.
#[utoipa::path(post, path = "/v1/audio-to-text", tag = "generation", request_body(content_type = "multipart/form-data", description = "The recording, in the form field `file`"), responses((status = 200, description = "`{\"text\": ...}`", body = crate::answers::Text)))]
async fn audio(state: web::Data<AppState>, key: AppApiKey, form: actix_multipart::Multipart) -> HttpResult {
    crate::audio::transcribe_for(&state, &key.app, form).await
}

/// The service API's mode errors: a chat route on a completion app is `not_chat_app`, the
/// other way round Dify answers `app_unavailable`.
fn check_mode(key: &AppApiKey, mode: AppMode) -> Result<(), Refusal> {
    require_mode(&key.app, mode, Wording::Service)
}

/// A completion for the end user `user` names.
#[utoipa::path(post, path = "/v1/completion-messages", tag = "generation", request_body = Completion, responses((status = 200, description = "The answer, as one JSON body or (`streaming`) as server-sent events")))]
async fn completion(state: web::Data<AppState>, key: AppApiKey, body: Body<Completion>) -> HttpResult {
    // The app's mode is checked before the body is read, as Dify does.
    check_mode(&key, AppMode::Completion)?;
    let Completion { inputs, query, response_mode, retriever_from, user } = body.read()?;
    let retriever_from = retriever_from.unwrap_or_else(|| "dev".into());
    let args = GenerateArgs { inputs, query, response_mode, conversation_id: None, retriever_from };
    run(&state, key, args, user).await
}

/// A chat answer for the end user `user` names.
#[utoipa::path(post, path = "/v1/chat-messages", tag = "generation", request_body = Chat, responses((status = 200, description = "The answer, as one JSON body or (`streaming`) as server-sent events")))]
async fn chat(state: web::Data<AppState>, key: AppApiKey, body: Body<Chat>) -> HttpResult {
    check_mode(&key, AppMode::Chat)?;
    let Chat { inputs, query, response_mode, conversation_id, retriever_from, user } = body.read()?;
    let retriever_from = retriever_from.unwrap_or_else(|| "dev".into());
    let args = GenerateArgs { inputs, query, response_mode, conversation_id, retriever_from };
    run(&state, key, args, user).await
}

async fn run(state: &AppState, key: AppApiKey, args: GenerateArgs, user: Option<String>) -> HttpResult {
    let end_user =
        conversations::end_user::for_service_api(&state.hot_apps, &state.infra.db, &key.app, user.as_deref()).await?;
    let streaming = args.streams_if_asked();
    // Kept while current; a missing config is reported by the generation itself.
    let config = state.hot_apps.config(&state.infra.db, &key.app, key.seen).await.ok();
    let request = Request { current_config: config, ..args.request(key.app, Caller::EndUser(end_user.id), None) };
    respond(generate::start(&state.engine, request).await?, streaming).await
}

/// Stops a completion of the end user `user` names.
#[utoipa::path(post, path = "/v1/completion-messages/{task_id}/stop", tag = "generation", params(("task_id" = String, Path)), request_body(content = Option<UserBody>), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn stop_completion(
    state: web::Data<AppState>,
    key: AppApiKey,
    path: web::Path<String>,
    body: Option<Body<UserBody>>,
) -> HttpResult {
    stop(state, key, path.into_inner(), body, AppMode::Completion).await
}

/// Stops a chat answer of the end user `user` names.
#[utoipa::path(post, path = "/v1/chat-messages/{task_id}/stop", tag = "generation", params(("task_id" = String, Path)), request_body(content = Option<UserBody>), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn stop_chat(
    state: web::Data<AppState>,
    key: AppApiKey,
    path: web::Path<String>,
    body: Option<Body<UserBody>>,
) -> HttpResult {
    stop(state, key, path.into_inner(), body, AppMode::Chat).await
}

/// Dify 0.3.23 answers 500 here (it never reads `user`); what it meant is to stop the task of
/// the end user the body's `user` names, as later Dify versions do.
async fn stop(
    state: web::Data<AppState>,
    key: AppApiKey,
    task_id: String,
    body: Option<Body<UserBody>>,
    mode: AppMode,
) -> HttpResult {
    check_mode(&key, mode)?;
    let user = match body {
        Some(b) => b.read()?.user,
        None => None,
    };
    let end_user =
        conversations::end_user::for_service_api(&state.hot_apps, &state.infra.db, &key.app, user.as_deref()).await?;
    conversations::stop::request_stop(state.infra.cache.as_ref(), Caller::EndUser(end_user.id), &task_id).await?;
    Ok(crate::answers::success())
}
