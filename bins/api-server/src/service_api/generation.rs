//! `POST /v1/completion-messages` and `/v1/chat-messages` with an app key, for the end user
//! the body's `user` names, and their stop routes.

use actix_web::{HttpResponse, web};
use apps::lookup::AppMode;
use conversations::Caller;
use conversations::generate::{self, Request};
use kernel::ApiError;
use serde_json::{Value, json};

use super::guard::AppApiKey;
use crate::args::JsonArgs;
use crate::generation::{GenerateArgs, respond};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
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

async fn audio(state: web::Data<AppState>, key: AppApiKey, form: actix_multipart::Multipart) -> HttpResult {
    crate::audio::transcribe_for(&state, &key.app, form).await
}

/// The service API's mode errors: a chat route on a completion app is `not_chat_app`, the
/// other way round Dify answers `app_unavailable`.
fn check_mode(key: &AppApiKey, mode: AppMode) -> Result<(), ApiError> {
    if key.app.mode == mode.as_str() {
        return Ok(());
    }
    Err(match mode {
        AppMode::Chat => {
            ApiError::new(400, "not_chat_app", "Please check if your Chat app mode matches the right API route.")
        }
        AppMode::Completion => {
            ApiError::new(400, "app_unavailable", "App unavailable, please check your app configurations.")
        }
    })
}

async fn completion(state: web::Data<AppState>, key: AppApiKey, body: web::Json<Value>) -> HttpResult {
    run(state, key, body, AppMode::Completion).await
}

async fn chat(state: web::Data<AppState>, key: AppApiKey, body: web::Json<Value>) -> HttpResult {
    run(state, key, body, AppMode::Chat).await
}

async fn run(state: web::Data<AppState>, key: AppApiKey, body: web::Json<Value>, mode: AppMode) -> HttpResult {
    check_mode(&key, mode)?;
    let json = JsonArgs::new(body)?;
    let args = GenerateArgs::parse(&json, mode == AppMode::Chat, "dev")?;
    let user = json.optional_str("user")?;
    let end_user = conversations::end_user::for_service_api(&state.infra.db, &key.app, user.as_deref()).await?;
    let streaming = args.streams_if_asked();
    let generation = generate::start(
        &state.engine,
        Request {
            app: key.app,
            caller: Caller::EndUser(end_user.id),
            inputs: args.inputs,
            query: args.query,
            conversation_id: args.conversation_id,
            override_config: None,
            retriever_from: args.retriever_from,
        },
    )
    .await?;
    respond(generation, streaming).await
}

async fn stop_completion(
    state: web::Data<AppState>,
    key: AppApiKey,
    path: web::Path<String>,
    body: Option<web::Json<Value>>,
) -> HttpResult {
    stop(state, key, path.into_inner(), body, AppMode::Completion).await
}

async fn stop_chat(
    state: web::Data<AppState>,
    key: AppApiKey,
    path: web::Path<String>,
    body: Option<web::Json<Value>>,
) -> HttpResult {
    stop(state, key, path.into_inner(), body, AppMode::Chat).await
}

/// Dify 0.3.23 answers 500 here (it never reads `user`); what it meant is to stop the task of
/// the end user the body's `user` names, as later Dify versions do.
async fn stop(
    state: web::Data<AppState>,
    key: AppApiKey,
    task_id: String,
    body: Option<web::Json<Value>>,
    mode: AppMode,
) -> HttpResult {
    check_mode(&key, mode)?;
    let user = match body {
        Some(b) => JsonArgs::new(b)?.optional_str("user")?,
        None => None,
    };
    let end_user = conversations::end_user::for_service_api(&state.infra.db, &key.app, user.as_deref()).await?;
    conversations::stop::request_stop(state.infra.cache.as_ref(), Caller::EndUser(end_user.id), &task_id).await?;
    Ok(HttpResponse::Ok().json(json!({"result": "success"})))
}
