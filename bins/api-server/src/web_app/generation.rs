//! The web app's generation routes for its visitor: `completion-messages`, `chat-messages`,
//! their stop routes, more-like-this, suggested questions and audio-to-text.

use actix_web::{HttpResponse, web};
use apps::lookup::AppMode;
use conversations::generate::{self, Request};
use kernel::ApiError;
use serde_json::{Value, json};
use uuid::Uuid;

use super::guard::WebAppUser;
use crate::args::JsonArgs;
use crate::console::wrong_mode;
use crate::generation::{GenerateArgs, query_response_mode, respond};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("POST", "/api/completion-messages", "web.completionapi", web::to(completion));
    t.add("POST", "/api/chat-messages", "web.chatapi", web::to(chat));
    t.add("POST", "/api/completion-messages/<string:task_id>/stop", "web.completionstopapi", web::to(stop_completion));
    t.add("POST", "/api/chat-messages/<string:task_id>/stop", "web.chatstopapi", web::to(stop_chat));
    t.add(
        "GET",
        "/api/messages/<uuid:message_id>/more-like-this",
        "web.messagemorelikethisapi",
        web::to(more_like_this),
    );
    t.add(
        "GET",
        "/api/messages/<uuid:message_id>/suggested-questions",
        "web.messagesuggestedquestionapi",
        web::to(suggested),
    );
    t.add("POST", "/api/audio-to-text", "web.audioapi", web::to(audio));
}

fn check_mode(user: &WebAppUser, mode: AppMode) -> Result<(), ApiError> {
    if user.app.mode == mode.as_str() { Ok(()) } else { Err(wrong_mode(mode)) }
}

async fn completion(state: web::Data<AppState>, user: WebAppUser, body: web::Json<Value>) -> HttpResult {
    run(state, user, body, AppMode::Completion).await
}

async fn chat(state: web::Data<AppState>, user: WebAppUser, body: web::Json<Value>) -> HttpResult {
    run(state, user, body, AppMode::Chat).await
}

async fn run(state: web::Data<AppState>, user: WebAppUser, body: web::Json<Value>, mode: AppMode) -> HttpResult {
    check_mode(&user, mode)?;
    let args = GenerateArgs::parse(&JsonArgs::new(body)?, mode == AppMode::Chat, "web_app")?;
    let streaming = args.streams_if_asked();
    let caller = user.caller();
    let generation = generate::start(
        &state.engine,
        Request {
            app: user.app,
            caller,
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

async fn stop_completion(state: web::Data<AppState>, user: WebAppUser, path: web::Path<String>) -> HttpResult {
    stop(state, user, path.into_inner(), AppMode::Completion).await
}

async fn stop_chat(state: web::Data<AppState>, user: WebAppUser, path: web::Path<String>) -> HttpResult {
    stop(state, user, path.into_inner(), AppMode::Chat).await
}

async fn stop(state: web::Data<AppState>, user: WebAppUser, task_id: String, mode: AppMode) -> HttpResult {
    check_mode(&user, mode)?;
    conversations::stop::request_stop(state.infra.cache.as_ref(), user.caller(), &task_id).await?;
    Ok(HttpResponse::Ok().json(json!({"result": "success"})))
}

async fn more_like_this(
    state: web::Data<AppState>,
    user: WebAppUser,
    path: web::Path<Uuid>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> HttpResult {
    check_mode(&user, AppMode::Completion)?;
    let streaming = query_response_mode(&query)?;
    let g = generate::more_like_this(&state.engine, &user.app, user.caller(), path.into_inner()).await?;
    respond(g, streaming).await
}

async fn suggested(state: web::Data<AppState>, user: WebAppUser, path: web::Path<Uuid>) -> HttpResult {
    // Dify answers a completion app here with not_completion_app (sic).
    if user.app.mode != AppMode::Chat.as_str() {
        return Err(wrong_mode(AppMode::Completion).into());
    }
    let data =
        conversations::suggestions::after_answer(&state.engine, &user.app, user.caller(), path.into_inner(), true)
            .await?;
    Ok(HttpResponse::Ok().json(json!({"data": data})))
}

async fn audio(state: web::Data<AppState>, user: WebAppUser, form: actix_multipart::Multipart) -> HttpResult {
    crate::audio::transcribe_for(&state, &user.app, form).await
}
