//! Console debugging of an app: `POST /apps/<id>/completion-messages` and `/chat-messages`
//! run the config the console sends (validated as a model config), and their stop routes.

use crate::error_table::{Refusal, Wording};
use actix_web::{HttpResponse, web};
use apps::lookup::AppMode;
use conversations::Caller;
use conversations::generate;
use entities::apps as app_rows;
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::guard::Console;
use crate::body::Body;
use crate::generation::{GenerateArgs, ResponseMode, respond};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /apps/<id>/chat-messages`: a debug chat with the config the console shows.
#[derive(Deserialize, utoipa::ToSchema)]
struct DebugChat {
    /// The values of the app's input form.
    inputs: Map<String, Value>,
    query: String,
    /// The model config to run (Dify's `model_config` object), checked as it would be saved.
    model_config: Map<String, Value>,
    /// Streams unless `blocking`.
    response_mode: Option<ResponseMode>,
    /// The conversation to go on with; absent or `""` starts one.
    #[serde(default, deserialize_with = "crate::body::uuid_value")]
    conversation_id: Option<Uuid>,
    /// Where the request comes from (default `dev`).
    retriever_from: Option<String>,
}

/// `POST /apps/<id>/completion-messages`: a debug completion with the config the console shows.
#[derive(Deserialize, utoipa::ToSchema)]
struct DebugCompletion {
    /// The values of the app's input form.
    inputs: Map<String, Value>,
    #[serde(default)]
    query: String,
    /// The model config to run (Dify's `model_config` object), checked as it would be saved.
    model_config: Map<String, Value>,
    /// Streams unless `blocking`.
    response_mode: Option<ResponseMode>,
    /// Where the request comes from (default `dev`).
    retriever_from: Option<String>,
}

impl DebugChat {
    fn split(self) -> (GenerateArgs, Map<String, Value>) {
        let Self { inputs, query, model_config, response_mode, conversation_id, retriever_from } = self;
        let retriever_from = retriever_from.unwrap_or_else(|| "dev".into());
        (GenerateArgs { inputs, query, response_mode, conversation_id, retriever_from }, model_config)
    }
}

impl DebugCompletion {
    fn split(self) -> (GenerateArgs, Map<String, Value>) {
        let Self { inputs, query, model_config, response_mode, retriever_from } = self;
        let retriever_from = retriever_from.unwrap_or_else(|| "dev".into());
        (GenerateArgs { inputs, query, response_mode, conversation_id: None, retriever_from }, model_config)
    }
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(completion, chat, stop_completion, stop_chat, suggested, more_like_this, audio))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add(
        "POST",
        "/console/api/apps/<uuid:app_id>/completion-messages",
        "console.completionmessageapi",
        web::to(completion),
    );
    t.add("POST", "/console/api/apps/<uuid:app_id>/chat-messages", "console.chatmessageapi", web::to(chat));
    t.add(
        "POST",
        "/console/api/apps/<uuid:app_id>/completion-messages/<string:task_id>/stop",
        "console.completionmessagestopapi",
        web::to(stop_completion),
    );
    t.add(
        "POST",
        "/console/api/apps/<uuid:app_id>/chat-messages/<string:task_id>/stop",
        "console.chatmessagestopapi",
        web::to(stop_chat),
    );
    t.add(
        "GET",
        "/console/api/apps/<uuid:app_id>/chat-messages/<uuid:message_id>/suggested-questions",
        "console.messagesuggestedquestionapi",
        web::to(suggested),
    );
    t.add(
        "GET",
        "/console/api/apps/<uuid:app_id>/completion-messages/<uuid:message_id>/more-like-this",
        "console.messagemorelikethisapi",
        web::to(more_like_this),
    );
    t.add("POST", "/console/api/apps/<uuid:app_id>/audio-to-text", "console.chatmessageaudioapi", web::to(audio));
}

/// Suggested follow-ups for a debug answer (the console asks whatever the app's setting).
#[utoipa::path(get, path = "/console/api/apps/{app_id}/chat-messages/{message_id}/suggested-questions", tag = "generation", params(("app_id" = Uuid, Path), ("message_id" = Uuid, Path)), responses((status = 200, description = "`{\"data\": [question, ...]}`", body = crate::answers::Data<String>)))]
async fn suggested(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (app_id, message_id) = path.into_inner();
    let app = apps::lookup::app_for_tenant(&state.infra.db, user.tenant_id(), app_id, Some(AppMode::Chat)).await?;
    let data = conversations::suggestions::after_answer(
        &state.engine,
        &app,
        Caller::Account(user.account.id),
        message_id,
        false,
    )
    .await?;
    Ok(HttpResponse::Ok().json(crate::answers::Data { data }))
}

/// Another completion like a debug answer.
#[utoipa::path(get, path = "/console/api/apps/{app_id}/completion-messages/{message_id}/more-like-this", tag = "generation", params(("app_id" = Uuid, Path), ("message_id" = Uuid, Path), ("response_mode" = String, Query, description = "`blocking` or `streaming`")), responses((status = 200, description = "The answer, as one JSON body or as server-sent events")))]
async fn more_like_this(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<(Uuid, Uuid)>,
    query: crate::query::QueryArgs,
) -> HttpResult {
    let (app_id, message_id) = path.into_inner();
    let app =
        apps::lookup::app_for_tenant(&state.infra.db, user.tenant_id(), app_id, Some(AppMode::Completion)).await?;
    let streaming = crate::generation::query_response_mode(&query)?;
    let g = generate::more_like_this(&state.engine, &app, Caller::Account(user.account.id), message_id).await?;
    respond(g, streaming).await
}

/// Speech to text in the console's debug chat (Dify does not check the feature here).
#[utoipa::path(post, path = "/console/api/apps/{app_id}/audio-to-text", tag = "generation", params(("app_id" = Uuid, Path)), request_body(content_type = "multipart/form-data", description = "The recording, in the form field `file`"), responses((status = 200, description = "`{\"text\": ...}`", body = crate::answers::Text)))]
async fn audio(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<Uuid>,
    form: actix_multipart::Multipart,
) -> HttpResult {
    let app =
        apps::lookup::app_for_tenant(&state.infra.db, user.tenant_id(), path.into_inner(), Some(AppMode::Chat)).await?;
    let (audio, mime) = crate::audio::read_audio(form).await?;
    let text = conversations::audio::transcribe(&state.engine, app.tenant_id, audio, &mime).await?;
    Ok(HttpResponse::Ok().json(crate::answers::Text { text }))
}

/// Runs the debug config on a completion app.
#[utoipa::path(post, path = "/console/api/apps/{app_id}/completion-messages", tag = "generation", params(("app_id" = Uuid, Path)), request_body = DebugCompletion, responses((status = 200, description = "The answer, as server-sent events or (`blocking`) one JSON body")))]
async fn completion(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<Uuid>,
    body: Body<DebugCompletion>,
) -> HttpResult {
    let app = app(&state, &user, path.into_inner(), AppMode::Completion).await?;
    let (args, config) = body.read()?.split();
    debug(&state, &user, app, args, config).await
}

/// Runs the debug config on a chat app.
#[utoipa::path(post, path = "/console/api/apps/{app_id}/chat-messages", tag = "generation", params(("app_id" = Uuid, Path)), request_body = DebugChat, responses((status = 200, description = "The answer, as server-sent events or (`blocking`) one JSON body")))]
async fn chat(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>, body: Body<DebugChat>) -> HttpResult {
    let app = app(&state, &user, path.into_inner(), AppMode::Chat).await?;
    let (args, config) = body.read()?.split();
    debug(&state, &user, app, args, config).await
}

/// The caller's app of `mode`; found before the body is read, as Dify does.
async fn app(state: &AppState, user: &Console, app_id: Uuid, mode: AppMode) -> Result<app_rows::Model, apps::AppError> {
    apps::lookup::app_for_tenant(&state.infra.db, user.tenant_id(), app_id, Some(mode)).await
}

async fn debug(
    state: &AppState,
    user: &Console,
    app: app_rows::Model,
    args: GenerateArgs,
    model_config: Map<String, Value>,
) -> HttpResult {
    let (choices, _) = super::app_models::choices(state, user.tenant_id()).await?;
    let valid = apps::model_config::validate(Value::Object(model_config), &choices)?;
    apps::datasets::check_exist(&state.infra.db, user.tenant_id(), &valid.dataset_ids).await?;
    let streaming = args.streams_unless_blocking();
    let request = args.request(app, Caller::Account(user.account.id), Some(valid.config));
    respond(generate::start(&state.engine, request).await?, streaming).await
}

/// Stops a debug completion the caller started.
#[utoipa::path(post, path = "/console/api/apps/{app_id}/completion-messages/{task_id}/stop", tag = "generation", params(("app_id" = Uuid, Path), ("task_id" = String, Path)), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn stop_completion(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, String)>) -> HttpResult {
    stop(state, user, path.into_inner(), AppMode::Completion).await
}

/// Stops a debug chat answer the caller started.
#[utoipa::path(post, path = "/console/api/apps/{app_id}/chat-messages/{task_id}/stop", tag = "generation", params(("app_id" = Uuid, Path), ("task_id" = String, Path)), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn stop_chat(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, String)>) -> HttpResult {
    stop(state, user, path.into_inner(), AppMode::Chat).await
}

async fn stop(
    state: web::Data<AppState>,
    user: Console,
    (app_id, task_id): (Uuid, String),
    mode: AppMode,
) -> HttpResult {
    apps::lookup::app_for_tenant(&state.infra.db, user.tenant_id(), app_id, Some(mode)).await?;
    conversations::stop::request_stop(state.infra.cache.as_ref(), Caller::Account(user.account.id), &task_id).await?;
    Ok(crate::answers::success())
}

/// Dify's error for a route of the other mode (installed and web apps).
pub fn wrong_mode(expected: AppMode) -> Refusal {
    Refusal::WrongMode { expected, wording: Wording::App }
}
