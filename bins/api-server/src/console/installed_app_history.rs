//! `/installed-apps/<id>/...`: a console member's own chats and saved messages in an app
//! installed in their workspace (the explore section). The caller is their account.

use actix_web::web;
use conversations::Caller;
use entities::apps as app_rows;
use kernel::ApiError;
use sea_orm::EntityTrait;
use serde_json::Value;
use uuid::Uuid;

use super::guard::Console;
use crate::args::JsonArgs;
use crate::history::{self, QueryArgs, Scope, Wording};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add(
        "GET",
        "/console/api/installed-apps/<uuid:installed_app_id>/parameters",
        "console.installed_app_parameters",
        web::to(parameters),
    );
    t.add(
        "GET",
        "/console/api/installed-apps/<uuid:installed_app_id>/conversations",
        "console.installed_app_conversations",
        web::to(list_conversations),
    );
    t.add(
        "DELETE",
        "/console/api/installed-apps/<uuid:installed_app_id>/conversations/<uuid:c_id>",
        "console.installed_app_conversation",
        web::to(delete_conversation),
    );
    t.add(
        "POST",
        "/console/api/installed-apps/<uuid:installed_app_id>/conversations/<uuid:c_id>/name",
        "console.installed_app_conversation_rename",
        web::to(rename_conversation),
    );
    t.add(
        "PATCH",
        "/console/api/installed-apps/<uuid:installed_app_id>/conversations/<uuid:c_id>/pin",
        "console.installed_app_conversation_pin",
        web::to(pin),
    );
    t.add(
        "PATCH",
        "/console/api/installed-apps/<uuid:installed_app_id>/conversations/<uuid:c_id>/unpin",
        "console.installed_app_conversation_unpin",
        web::to(unpin),
    );
    t.add(
        "GET",
        "/console/api/installed-apps/<uuid:installed_app_id>/messages",
        "console.installed_app_messages",
        web::to(list_messages),
    );
    t.add(
        "POST",
        "/console/api/installed-apps/<uuid:installed_app_id>/messages/<uuid:message_id>/feedbacks",
        "console.installed_app_message_feedback",
        web::to(feedback),
    );
    t.add(
        "GET",
        "/console/api/installed-apps/<uuid:installed_app_id>/saved-messages",
        "console.installed_app_saved_messages",
        web::to(list_saved),
    );
    t.add(
        "POST",
        "/console/api/installed-apps/<uuid:installed_app_id>/saved-messages",
        "console.installed_app_saved_messages",
        web::to(save),
    );
    t.add(
        "DELETE",
        "/console/api/installed-apps/<uuid:installed_app_id>/saved-messages/<uuid:message_id>",
        "console.installed_app_saved_message",
        web::to(unsave),
    );
}

/// The app behind the workspace's installed-app entry; another workspace's entry is 404.
async fn installed_app(state: &AppState, user: &Console, installed_app_id: Uuid) -> Result<app_rows::Model, ApiError> {
    let db = &state.infra.db;
    let entry = apps::installed::for_tenant(db, user.tenant_id(), installed_app_id).await?;
    app_rows::Entity::find_by_id(entry.app_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Installed app not found"))
}

fn scope<'a>(app: &'a app_rows::Model, user: &Console) -> Scope<'a> {
    Scope { app, caller: Caller::Account(user.account.id), wording: Wording::Explore }
}

async fn parameters(state: web::Data<AppState>, user: Console, id: web::Path<Uuid>) -> HttpResult {
    let app = installed_app(&state, &user, *id).await?;
    history::parameters(&state.infra.db, &app).await
}

async fn list_conversations(
    state: web::Data<AppState>,
    user: Console,
    id: web::Path<Uuid>,
    q: QueryArgs,
) -> HttpResult {
    let app = installed_app(&state, &user, *id).await?;
    history::list_conversations(&state.infra.db, scope(&app, &user), &q, true).await
}

async fn delete_conversation(state: web::Data<AppState>, user: Console, ids: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (id, c_id) = *ids;
    let app = installed_app(&state, &user, id).await?;
    history::delete_conversation(&state.infra.db, scope(&app, &user), c_id).await
}

async fn rename_conversation(
    state: web::Data<AppState>,
    user: Console,
    ids: web::Path<(Uuid, Uuid)>,
    body: web::Json<Value>,
) -> HttpResult {
    let (id, c_id) = *ids;
    let app = installed_app(&state, &user, id).await?;
    history::rename_conversation(&state.infra.db, scope(&app, &user), c_id, &JsonArgs::new(body)?).await
}

async fn pin(state: web::Data<AppState>, user: Console, ids: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (id, c_id) = *ids;
    let app = installed_app(&state, &user, id).await?;
    history::set_pinned(&state.infra.db, scope(&app, &user), c_id, true).await
}

async fn unpin(state: web::Data<AppState>, user: Console, ids: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (id, c_id) = *ids;
    let app = installed_app(&state, &user, id).await?;
    history::set_pinned(&state.infra.db, scope(&app, &user), c_id, false).await
}

async fn list_messages(state: web::Data<AppState>, user: Console, id: web::Path<Uuid>, q: QueryArgs) -> HttpResult {
    let app = installed_app(&state, &user, *id).await?;
    history::list_messages(&state.infra.db, scope(&app, &user), &q).await
}

async fn feedback(
    state: web::Data<AppState>,
    user: Console,
    ids: web::Path<(Uuid, Uuid)>,
    body: web::Json<Value>,
) -> HttpResult {
    let (id, message_id) = *ids;
    let app = installed_app(&state, &user, id).await?;
    history::rate_message(&state.infra.db, scope(&app, &user), message_id, &JsonArgs::new(body)?).await
}

async fn list_saved(state: web::Data<AppState>, user: Console, id: web::Path<Uuid>, q: QueryArgs) -> HttpResult {
    let app = installed_app(&state, &user, *id).await?;
    history::list_saved(&state.infra.db, scope(&app, &user), &q).await
}

async fn save(state: web::Data<AppState>, user: Console, id: web::Path<Uuid>, body: web::Json<Value>) -> HttpResult {
    let app = installed_app(&state, &user, *id).await?;
    history::save_message(&state.infra.db, scope(&app, &user), &JsonArgs::new(body)?).await
}

async fn unsave(state: web::Data<AppState>, user: Console, ids: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (id, message_id) = *ids;
    let app = installed_app(&state, &user, id).await?;
    history::unsave_message(&state.infra.db, scope(&app, &user), message_id).await
}
