//! Using an installed app from the console's Explore page: generation and stop, as the
//! signed-in account.

use actix_web::{HttpResponse, web};
use apps::lookup::AppMode;
use conversations::Caller;
use conversations::generate::{self, Request};
use entities::apps as app_rows;
use kernel::ApiError;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use super::app_generation::wrong_mode;
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

async fn more_like_this(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<(Uuid, Uuid)>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> HttpResult {
    let (id, message_id) = path.into_inner();
    let app = installed_app(&state, &user, id, AppMode::Completion).await?;
    let streaming = crate::generation::query_response_mode(&query)?;
    let g = generate::more_like_this(&state.engine, &app, Caller::Account(user.account.id), message_id).await?;
    respond(g, streaming).await
}

async fn suggested(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (id, message_id) = path.into_inner();
    // Dify answers a completion app here with not_completion_app (sic).
    let app = installed_app(&state, &user, id, AppMode::Chat)
        .await
        .map_err(|e| if e.code == "not_chat_app" { wrong_mode(AppMode::Completion) } else { e })?;
    let data = conversations::suggestions::after_answer(
        &state.engine,
        &app,
        Caller::Account(user.account.id),
        message_id,
        true,
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({"data": data})))
}

async fn audio(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<Uuid>,
    form: actix_multipart::Multipart,
) -> HttpResult {
    let entry = apps::installed::for_tenant(&state.infra.db, user.tenant_id(), path.into_inner()).await?;
    let app = app_rows::Entity::find_by_id(entry.app_id)
        .one(&state.infra.db)
        .await?
        .ok_or_else(|| ApiError::not_found("Installed app not found"))?;
    crate::audio::transcribe_for(&state, &app, form).await
}

/// The app behind the caller's installed app `id`, which must be of `mode`.
pub async fn installed_app(
    state: &AppState,
    user: &Console,
    id: Uuid,
    mode: AppMode,
) -> Result<app_rows::Model, ApiError> {
    let entry = apps::installed::for_tenant(&state.infra.db, user.tenant_id(), id).await?;
    let app = app_rows::Entity::find_by_id(entry.app_id)
        .one(&state.infra.db)
        .await?
        .filter(|a| a.status == "normal")
        .ok_or_else(|| ApiError::not_found("Installed app not found"))?;
    if app.mode != mode.as_str() {
        return Err(wrong_mode(mode));
    }
    Ok(app)
}

async fn completion(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    run(state, user, path.into_inner(), body, AppMode::Completion).await
}

async fn chat(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>, body: web::Json<Value>) -> HttpResult {
    run(state, user, path.into_inner(), body, AppMode::Chat).await
}

async fn run(state: web::Data<AppState>, user: Console, id: Uuid, body: web::Json<Value>, mode: AppMode) -> HttpResult {
    let app = installed_app(&state, &user, id, mode).await?;
    let args = GenerateArgs::parse(&JsonArgs::new(body)?, mode == AppMode::Chat, "explore_app")?;
    let streaming = args.streams_if_asked();
    let generation = generate::start(
        &state.engine,
        Request {
            app,
            caller: Caller::Account(user.account.id),
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

async fn stop_completion(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, String)>) -> HttpResult {
    stop(state, user, path.into_inner(), AppMode::Completion).await
}

async fn stop_chat(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, String)>) -> HttpResult {
    stop(state, user, path.into_inner(), AppMode::Chat).await
}

async fn stop(state: web::Data<AppState>, user: Console, (id, task_id): (Uuid, String), mode: AppMode) -> HttpResult {
    installed_app(&state, &user, id, mode).await?;
    conversations::stop::request_stop(state.infra.cache.as_ref(), Caller::Account(user.account.id), &task_id).await?;
    Ok(HttpResponse::Ok().json(json!({"result": "success"})))
}
