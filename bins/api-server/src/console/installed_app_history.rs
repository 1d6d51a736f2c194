//! `/installed-apps/<id>/...`: a console member's own chats and saved messages in an app
//! installed in their workspace (the explore section). The caller is their account.

use actix_web::web;
use conversations::Caller;
use entities::apps as app_rows;
use kernel::ApiError;
use uuid::Uuid;

use super::guard::Console;
use crate::body::Body;
use crate::history::{self, Feedback, QueryArgs, RenameConversation, SaveMessage, Scope, Wording};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    parameters,
    list_conversations,
    delete_conversation,
    rename_conversation,
    pin,
    unpin,
    list_messages,
    feedback,
    list_saved,
    save,
    unsave
))]
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
    apps::installed::app_of(&state.infra.db, user.tenant_id(), installed_app_id).await
}

fn scope<'a>(app: &'a app_rows::Model, user: &Console) -> Scope<'a> {
    Scope { app, caller: Caller::Account(user.account.id), wording: Wording::Explore }
}

/// The app's input form and features.
#[utoipa::path(get, path = "/console/api/installed-apps/{installed_app_id}/parameters", tag = "installed apps", params(("installed_app_id" = Uuid, Path)), responses((status = 200, description = "The app's input form and features", body = apps::model_config::AppParameters)))]
async fn parameters(state: web::Data<AppState>, user: Console, id: web::Path<Uuid>) -> HttpResult {
    let app = installed_app(&state, &user, *id).await?;
    history::parameters(&state.infra.db, &app).await
}

/// The caller's conversations, newest first.
#[utoipa::path(get, path = "/console/api/installed-apps/{installed_app_id}/conversations", tag = "installed apps", params(("installed_app_id" = Uuid, Path), ("last_id" = Option<Uuid>, Query), ("limit" = Option<u64>, Query), ("pinned" = Option<bool>, Query)), responses((status = 200, description = "A page of the caller's conversations", body = conversations::listing::Page<conversations::listing::ConversationFields>)))]
async fn list_conversations(
    state: web::Data<AppState>,
    user: Console,
    id: web::Path<Uuid>,
    q: QueryArgs,
) -> HttpResult {
    let app = installed_app(&state, &user, *id).await?;
    history::list_conversations(&state.infra.db, scope(&app, &user), &q, true).await
}

/// Deletes one of the caller's conversations.
#[utoipa::path(delete, path = "/console/api/installed-apps/{installed_app_id}/conversations/{c_id}", tag = "installed apps", params(("installed_app_id" = Uuid, Path), ("c_id" = Uuid, Path)), responses((status = 204, description = "Deleted")))]
async fn delete_conversation(state: web::Data<AppState>, user: Console, ids: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (id, c_id) = *ids;
    let app = installed_app(&state, &user, id).await?;
    history::delete_conversation(&state.infra.db, scope(&app, &user), c_id).await
}

/// Renames one of the caller's conversations.
#[utoipa::path(post, path = "/console/api/installed-apps/{installed_app_id}/conversations/{c_id}/name", tag = "installed apps", params(("installed_app_id" = Uuid, Path), ("c_id" = Uuid, Path)), request_body = RenameConversation, responses((status = 200, description = "The conversation")))]
async fn rename_conversation(
    state: web::Data<AppState>,
    user: Console,
    ids: web::Path<(Uuid, Uuid)>,
    body: Body<RenameConversation>,
) -> HttpResult {
    let (id, c_id) = *ids;
    let app = installed_app(&state, &user, id).await?;
    history::rename_conversation(&state.infra.db, scope(&app, &user), c_id, body).await
}

/// Pins a conversation.
#[utoipa::path(patch, path = "/console/api/installed-apps/{installed_app_id}/conversations/{c_id}/pin", tag = "installed apps", params(("installed_app_id" = Uuid, Path), ("c_id" = Uuid, Path)), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn pin(state: web::Data<AppState>, user: Console, ids: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (id, c_id) = *ids;
    let app = installed_app(&state, &user, id).await?;
    history::set_pinned(&state.infra.db, scope(&app, &user), c_id, true).await
}

/// Unpins a conversation.
#[utoipa::path(patch, path = "/console/api/installed-apps/{installed_app_id}/conversations/{c_id}/unpin", tag = "installed apps", params(("installed_app_id" = Uuid, Path), ("c_id" = Uuid, Path)), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn unpin(state: web::Data<AppState>, user: Console, ids: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (id, c_id) = *ids;
    let app = installed_app(&state, &user, id).await?;
    history::set_pinned(&state.infra.db, scope(&app, &user), c_id, false).await
}

/// A conversation's messages.
#[utoipa::path(get, path = "/console/api/installed-apps/{installed_app_id}/messages", tag = "installed apps", params(("installed_app_id" = Uuid, Path), ("conversation_id" = Uuid, Query), ("first_id" = Option<Uuid>, Query), ("limit" = Option<u64>, Query)), responses((status = 200, description = "A page of the conversation's messages, oldest first", body = conversations::listing::Page<conversations::listing::MessageFields>)))]
async fn list_messages(state: web::Data<AppState>, user: Console, id: web::Path<Uuid>, q: QueryArgs) -> HttpResult {
    let app = installed_app(&state, &user, *id).await?;
    history::list_messages(&state.infra.db, scope(&app, &user), &q).await
}

/// Rates one of the caller's answers (or takes the rating back).
#[utoipa::path(post, path = "/console/api/installed-apps/{installed_app_id}/messages/{message_id}/feedbacks", tag = "installed apps", params(("installed_app_id" = Uuid, Path), ("message_id" = Uuid, Path)), request_body = Feedback, responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn feedback(
    state: web::Data<AppState>,
    user: Console,
    ids: web::Path<(Uuid, Uuid)>,
    body: Body<Feedback>,
) -> HttpResult {
    let (id, message_id) = *ids;
    // The installed app is found before the body is read, as Dify does.
    let app = installed_app(&state, &user, id).await?;
    history::rate_message(&state.infra.db, scope(&app, &user), message_id, body.read()?).await
}

/// The caller's saved messages.
#[utoipa::path(get, path = "/console/api/installed-apps/{installed_app_id}/saved-messages", tag = "installed apps", params(("installed_app_id" = Uuid, Path), ("last_id" = Option<Uuid>, Query), ("limit" = Option<u64>, Query)), responses((status = 200, description = "A page of the caller's saved messages", body = conversations::listing::Page<conversations::saved::SavedMessageFields>)))]
async fn list_saved(state: web::Data<AppState>, user: Console, id: web::Path<Uuid>, q: QueryArgs) -> HttpResult {
    let app = installed_app(&state, &user, *id).await?;
    history::list_saved(&state.infra.db, scope(&app, &user), &q).await
}

/// Saves one of the caller's completions.
#[utoipa::path(post, path = "/console/api/installed-apps/{installed_app_id}/saved-messages", tag = "installed apps", params(("installed_app_id" = Uuid, Path)), request_body = SaveMessage, responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn save(state: web::Data<AppState>, user: Console, id: web::Path<Uuid>, body: Body<SaveMessage>) -> HttpResult {
    let app = installed_app(&state, &user, *id).await?;
    history::save_message(&state.infra.db, scope(&app, &user), body).await
}

/// Forgets a saved message.
#[utoipa::path(delete, path = "/console/api/installed-apps/{installed_app_id}/saved-messages/{message_id}", tag = "installed apps", params(("installed_app_id" = Uuid, Path), ("message_id" = Uuid, Path)), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn unsave(state: web::Data<AppState>, user: Console, ids: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (id, message_id) = *ids;
    let app = installed_app(&state, &user, id).await?;
    history::unsave_message(&state.infra.db, scope(&app, &user), message_id).await
}
