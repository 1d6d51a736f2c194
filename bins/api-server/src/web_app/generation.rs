//! The web app's generation routes for its visitor: `completion-messages`, `chat-messages`,
//! their stop routes, more-like-this, suggested questions and audio-to-text.

use crate::error_table::{Refusal, Wording, require_mode};
use actix_web::{HttpResponse, web};
use apps::lookup::AppMode;
use conversations::generate;
use uuid::Uuid;

use super::guard::WebAppUser;
use crate::body::Body;
use crate::console::wrong_mode;
use crate::generation::{ChatBody, CompletionBody, GenerateArgs, query_response_mode, respond};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(completion, chat, stop_completion, stop_chat, more_like_this, suggested, audio))]
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

fn check_mode(user: &WebAppUser, mode: AppMode) -> Result<(), Refusal> {
    require_mode(&user.app, mode, Wording::App)
}

/// A completion for the visitor.
#[utoipa::path(post, path = "/api/completion-messages", tag = "generation", request_body = CompletionBody, responses((status = 200, description = "The answer, as one JSON body or (`streaming`) as server-sent events")))]
async fn completion(state: web::Data<AppState>, user: WebAppUser, body: Body<CompletionBody>) -> HttpResult {
    // The app's mode is checked before the body is read, as Dify does.
    check_mode(&user, AppMode::Completion)?;
    run(&state, user, GenerateArgs::completion(body.read()?, "web_app")).await
}

/// A chat answer for the visitor.
#[utoipa::path(post, path = "/api/chat-messages", tag = "generation", request_body = ChatBody, responses((status = 200, description = "The answer, as one JSON body or (`streaming`) as server-sent events")))]
async fn chat(state: web::Data<AppState>, user: WebAppUser, body: Body<ChatBody>) -> HttpResult {
    check_mode(&user, AppMode::Chat)?;
    run(&state, user, GenerateArgs::chat(body.read()?, "web_app")).await
}

async fn run(state: &AppState, user: WebAppUser, args: GenerateArgs) -> HttpResult {
    let streaming = args.streams_if_asked();
    let caller = user.caller();
    let request = args.request(user.app, caller, None);
    respond(generate::start(&state.engine, request).await?, streaming).await
}

/// Stops a completion the visitor started.
#[utoipa::path(post, path = "/api/completion-messages/{task_id}/stop", tag = "generation", params(("task_id" = String, Path)), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn stop_completion(state: web::Data<AppState>, user: WebAppUser, path: web::Path<String>) -> HttpResult {
    stop(state, user, path.into_inner(), AppMode::Completion).await
}

/// Stops a chat answer the visitor started.
#[utoipa::path(post, path = "/api/chat-messages/{task_id}/stop", tag = "generation", params(("task_id" = String, Path)), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn stop_chat(state: web::Data<AppState>, user: WebAppUser, path: web::Path<String>) -> HttpResult {
    stop(state, user, path.into_inner(), AppMode::Chat).await
}

async fn stop(state: web::Data<AppState>, user: WebAppUser, task_id: String, mode: AppMode) -> HttpResult {
    check_mode(&user, mode)?;
    conversations::stop::request_stop(state.infra.cache.as_ref(), user.caller(), &task_id).await?;
    Ok(crate::answers::success())
}

/// Another completion like one of the visitor's answers.
#[utoipa::path(get, path = "/api/messages/{message_id}/more-like-this", tag = "generation", params(("message_id" = Uuid, Path), ("response_mode" = String, Query, description = "`blocking` or `streaming`")), responses((status = 200, description = "The answer, as one JSON body or as server-sent events")))]
async fn more_like_this(
    state: web::Data<AppState>,
    user: WebAppUser,
    path: web::Path<Uuid>,
    query: crate::query::QueryArgs,
) -> HttpResult {
    check_mode(&user, AppMode::Completion)?;
    let streaming = query_response_mode(&query)?;
    let g = generate::more_like_this(&state.engine, &user.app, user.caller(), path.into_inner()).await?;
    respond(g, streaming).await
}

/// Suggested follow-ups for one of the visitor's answers.
#[utoipa::path(get, path = "/api/messages/{message_id}/suggested-questions", tag = "generation", params(("message_id" = Uuid, Path)), responses((status = 200, description = "`{\"data\": [question, ...]}`", body = crate::answers::Data<String>)))]
async fn suggested(state: web::Data<AppState>, user: WebAppUser, path: web::Path<Uuid>) -> HttpResult {
    // Dify answers a completion app here with not_completion_app (sic).
    if user.app.mode != AppMode::Chat {
        return Err(wrong_mode(AppMode::Completion).into());
    }
    let data =
        conversations::suggestions::after_answer(&state.engine, &user.app, user.caller(), path.into_inner(), true)
            .await?;
    Ok(HttpResponse::Ok().json(crate::answers::Data { data }))
}

/// Speech to text for the web app.
#[utoipa::path(post, path = "/api/audio-to-text", tag = "generation", request_body(content_type = "multipart/form-data", description = "The recording, in the form field `file`"), responses((status = 200, description = "`{\"text\": ...}`", body = crate::answers::Text)))]
async fn audio(state: web::Data<AppState>, user: WebAppUser, form: actix_multipart::Multipart) -> HttpResult {
    crate::audio::transcribe_for(&state, &user.app, form).await
}
