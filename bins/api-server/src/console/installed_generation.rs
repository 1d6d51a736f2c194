//! Using an installed app from the console's Explore page: generation and stop, as the
//! signed-in account.

use crate::http_error::HttpError;
use actix_web::{HttpResponse, web};
use apps::lookup::AppMode;
use conversations::Caller;
use conversations::generate;
use entities::apps as app_rows;
use uuid::Uuid;

use super::app_generation::wrong_mode;
use super::guard::Console;
use crate::body::Body;
use crate::generation::{ChatBody, CompletionBody, GenerateArgs, respond};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(completion, chat, stop_completion, stop_chat, more_like_this, suggested, audio))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add(
        "POST",
        "/console/api/installed-apps/<uuid:installed_app_id>/completion-messages",
        "console.installed_app_completion",
        web::to(completion),
    );
    t.add(
        "POST",
        "/console/api/installed-apps/<uuid:installed_app_id>/chat-messages",
        "console.installed_app_chat_completion",
        web::to(chat),
    );
    t.add(
        "POST",
        "/console/api/installed-apps/<uuid:installed_app_id>/completion-messages/<string:task_id>/stop",
        "console.installed_app_stop_completion",
        web::to(stop_completion),
    );
    t.add(
        "POST",
        "/console/api/installed-apps/<uuid:installed_app_id>/chat-messages/<string:task_id>/stop",
        "console.installed_app_stop_chat_completion",
        web::to(stop_chat),
    );
    t.add(
        "GET",
        "/console/api/installed-apps/<uuid:installed_app_id>/messages/<uuid:message_id>/more-like-this",
        "console.installed_app_more_like_this",
        web::to(more_like_this),
    );
    t.add(
        "GET",
        "/console/api/installed-apps/<uuid:installed_app_id>/messages/<uuid:message_id>/suggested-questions",
        "console.installed_app_suggested_question",
        web::to(suggested),
    );
    t.add(
        "POST",
        "/console/api/installed-apps/<uuid:installed_app_id>/audio-to-text",
        "console.installed_app_audio",
        web::to(audio),
    );
}

/// Another completion like one of the caller's answers.
#[utoipa::path(get, path = "/console/api/installed-apps/{installed_app_id}/messages/{message_id}/more-like-this", tag = "installed apps", params(("installed_app_id" = Uuid, Path), ("message_id" = Uuid, Path), ("response_mode" = String, Query, description = "`blocking` or `streaming`")), responses((status = 200, description = "The answer, as one JSON body or as server-sent events")))]
async fn more_like_this(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<(Uuid, Uuid)>,
    query: crate::query::QueryArgs,
) -> HttpResult {
    let (id, message_id) = path.into_inner();
    let app = installed_app(&state, &user, id, AppMode::Completion).await?;
    let streaming = crate::generation::query_response_mode(&query)?;
    let g = generate::more_like_this(&state.engine, &app, Caller::Account(user.account.id), message_id).await?;
    respond(g, streaming).await
}

/// Suggested follow-ups for one of the caller's answers.
#[utoipa::path(get, path = "/console/api/installed-apps/{installed_app_id}/messages/{message_id}/suggested-questions", tag = "installed apps", params(("installed_app_id" = Uuid, Path), ("message_id" = Uuid, Path)), responses((status = 200, description = "`{\"data\": [question, ...]}`", body = crate::answers::Data<String>)))]
async fn suggested(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (id, message_id) = path.into_inner();
    // Dify answers a completion app here with not_completion_app (sic).
    let app = apps::installed::app_of(&state.infra.db, user.tenant_id(), id).await?;
    if app.mode != AppMode::Chat {
        return Err(wrong_mode(AppMode::Completion).into());
    }
    let data = conversations::suggestions::after_answer(
        &state.engine,
        &app,
        Caller::Account(user.account.id),
        message_id,
        true,
    )
    .await?;
    Ok(HttpResponse::Ok().json(crate::answers::Data { data }))
}

/// Speech to text for the installed app.
#[utoipa::path(post, path = "/console/api/installed-apps/{installed_app_id}/audio-to-text", tag = "installed apps", params(("installed_app_id" = Uuid, Path)), request_body(content_type = "multipart/form-data", description = "The recording, in the form field `file`"), responses((status = 200, description = "`{\"text\": ...}`", body = crate::answers::Text)))]
async fn audio(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<Uuid>,
    form: actix_multipart::Multipart,
) -> HttpResult {
    let app = apps::installed::app_of(&state.infra.db, user.tenant_id(), path.into_inner()).await?;
    crate::audio::transcribe_for(&state, &app, form).await
}

/// The app behind the caller's installed app `id`, which must be of `mode`.
pub async fn installed_app(
    state: &AppState,
    user: &Console,
    id: Uuid,
    mode: AppMode,
) -> Result<app_rows::Model, HttpError> {
    let app = apps::installed::app_of(&state.infra.db, user.tenant_id(), id).await?;
    if app.mode != mode {
        return Err(wrong_mode(mode).into());
    }
    Ok(app)
}

/// A completion from the installed app, as the signed-in account.
#[utoipa::path(post, path = "/console/api/installed-apps/{installed_app_id}/completion-messages", tag = "installed apps", params(("installed_app_id" = Uuid, Path)), request_body = CompletionBody, responses((status = 200, description = "The answer, as one JSON body or (`streaming`) as server-sent events")))]
async fn completion(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<Uuid>,
    body: Body<CompletionBody>,
) -> HttpResult {
    // The app and its mode are checked before the body is read, as Dify does.
    let app = installed_app(&state, &user, path.into_inner(), AppMode::Completion).await?;
    run(&state, &user, app, GenerateArgs::completion(body.read()?, "explore_app")).await
}

/// A chat answer from the installed app, as the signed-in account.
#[utoipa::path(post, path = "/console/api/installed-apps/{installed_app_id}/chat-messages", tag = "installed apps", params(("installed_app_id" = Uuid, Path)), request_body = ChatBody, responses((status = 200, description = "The answer, as one JSON body or (`streaming`) as server-sent events")))]
async fn chat(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>, body: Body<ChatBody>) -> HttpResult {
    let app = installed_app(&state, &user, path.into_inner(), AppMode::Chat).await?;
    run(&state, &user, app, GenerateArgs::chat(body.read()?, "explore_app")).await
}

async fn run(state: &AppState, user: &Console, app: app_rows::Model, args: GenerateArgs) -> HttpResult {
    let streaming = args.streams_if_asked();
    let request = args.request(app, Caller::Account(user.account.id), None);
    respond(generate::start(&state.engine, request).await?, streaming).await
}

/// Stops a completion the caller started.
#[utoipa::path(post, path = "/console/api/installed-apps/{installed_app_id}/completion-messages/{task_id}/stop", tag = "installed apps", params(("installed_app_id" = Uuid, Path), ("task_id" = String, Path)), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn stop_completion(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, String)>) -> HttpResult {
    stop(state, user, path.into_inner(), AppMode::Completion).await
}

/// Stops a chat answer the caller started.
#[utoipa::path(post, path = "/console/api/installed-apps/{installed_app_id}/chat-messages/{task_id}/stop", tag = "installed apps", params(("installed_app_id" = Uuid, Path), ("task_id" = String, Path)), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn stop_chat(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, String)>) -> HttpResult {
    stop(state, user, path.into_inner(), AppMode::Chat).await
}

async fn stop(state: web::Data<AppState>, user: Console, (id, task_id): (Uuid, String), mode: AppMode) -> HttpResult {
    installed_app(&state, &user, id, mode).await?;
    conversations::stop::request_stop(state.infra.cache.as_ref(), Caller::Account(user.account.id), &task_id).await?;
    Ok(crate::answers::success())
}
