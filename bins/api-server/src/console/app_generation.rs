//! Console debugging of an app: `POST /apps/<id>/completion-messages` and `/chat-messages`
//! run the config the console sends (validated as a model config), and their stop routes.

use actix_web::{HttpResponse, web};
use apps::lookup::AppMode;
use conversations::Caller;
use conversations::generate::{self, Request};
use kernel::ApiError;
use serde_json::{Value, json};
use uuid::Uuid;

use super::guard::Console;
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
    Ok(HttpResponse::Ok().json(json!({"data": data})))
}

async fn more_like_this(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<(Uuid, Uuid)>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> HttpResult {
    let (app_id, message_id) = path.into_inner();
    let app =
        apps::lookup::app_for_tenant(&state.infra.db, user.tenant_id(), app_id, Some(AppMode::Completion)).await?;
    let streaming = crate::generation::query_response_mode(&query)?;
    let g = generate::more_like_this(&state.engine, &app, Caller::Account(user.account.id), message_id).await?;
    respond(g, streaming).await
}

/// Speech to text in the console's debug chat (Dify does not check the feature here).
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
    Ok(HttpResponse::Ok().json(json!({"text": text})))
}

async fn completion(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    debug(state, user, path.into_inner(), body, AppMode::Completion).await
}

async fn chat(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>, body: web::Json<Value>) -> HttpResult {
    debug(state, user, path.into_inner(), body, AppMode::Chat).await
}

async fn debug(
    state: web::Data<AppState>,
    user: Console,
    app_id: Uuid,
    body: web::Json<Value>,
    mode: AppMode,
) -> HttpResult {
    let app = apps::lookup::app_for_tenant(&state.infra.db, user.tenant_id(), app_id, Some(mode)).await?;
    let args = JsonArgs::new(body)?;
    let gen_args = GenerateArgs::parse(&args, mode == AppMode::Chat, "dev")?;
    let raw_config = args.required_object("model_config")?;
    let (choices, _) = super::app_models::choices(&state, user.tenant_id()).await?;
    let valid = apps::model_config::validate(Value::Object(raw_config), &choices)?;
    apps::datasets::check_exist(&state.infra.db, user.tenant_id(), &valid.dataset_ids).await?;
    let streaming = gen_args.streams_unless_blocking();
    let generation = generate::start(
        &state.engine,
        Request {
            app,
            caller: Caller::Account(user.account.id),
            inputs: gen_args.inputs,
            query: gen_args.query,
            conversation_id: gen_args.conversation_id,
            override_config: Some(valid.config),
            retriever_from: gen_args.retriever_from,
        },
    )
    .await?;
    respond(generation, streaming).await
}

async fn stop_completion(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, String)>) -> HttpResult {
    stop(state, user, path.into_inner(), AppMode::Completion).await
}

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
    Ok(HttpResponse::Ok().json(json!({"result": "success"})))
}

/// Dify's error for a route of the other mode (installed and web apps).
pub fn wrong_mode(expected: AppMode) -> ApiError {
    match expected {
        AppMode::Chat => {
            ApiError::new(400, "not_chat_app", "Please check if your Chat app mode matches the right API route.")
        }
        AppMode::Completion => ApiError::new(
            400,
            "not_completion_app",
            "Please check if your Completion app mode matches the right API route.",
        ),
    }
}
