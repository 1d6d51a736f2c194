//! An app's Logs & Annotations: conversation lists and details, a chat's message history,
//! message details and annotations. Any member of the workspace may read and annotate.

use actix_web::{HttpRequest, HttpResponse, web};
use apps::lookup::AppMode;
use conversations::logs;
use serde_json::{Value, json};
use uuid::Uuid;

use super::guard::Console;
use crate::args::JsonArgs;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    let completion = "/console/api/apps/<uuid:app_id>/completion-conversations";
    let completion_one = "/console/api/apps/<uuid:app_id>/completion-conversations/<uuid:conversation_id>";
    let chat = "/console/api/apps/<uuid:app_id>/chat-conversations";
    let chat_one = "/console/api/apps/<uuid:app_id>/chat-conversations/<uuid:conversation_id>";
    t.add("GET", completion, "console.completionconversationapi", web::to(completion_list));
    t.add("GET", completion_one, "console.completionconversationdetailapi", web::to(completion_detail));
    t.add("DELETE", completion_one, "console.completionconversationdetailapi", web::to(completion_delete));
    t.add("GET", chat, "console.chatconversationapi", web::to(chat_list));
    t.add("GET", chat_one, "console.chatconversationdetailapi", web::to(chat_detail));
    t.add("DELETE", chat_one, "console.chatconversationdetailapi", web::to(chat_delete));
    // Only the history read: POST on this path is generation.
    t.add("GET", "/console/api/apps/<uuid:app_id>/chat-messages", "console.console_chat_messages", web::to(messages));
    t.add(
        "GET",
        "/console/api/apps/<uuid:app_id>/messages/<uuid:message_id>",
        "console.console_message",
        web::to(message),
    );
    t.add("POST", "/console/api/apps/<uuid:app_id>/annotations", "console.messageannotationapi", web::to(annotate));
    t.add(
        "GET",
        "/console/api/apps/<uuid:app_id>/annotations/count",
        "console.messageannotationcountapi",
        web::to(annotation_count),
    );
}

/// The query string as Werkzeug decodes it, every value kept in order.
fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect()
}

async fn completion_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<Uuid>,
) -> HttpResult {
    let tz = user.account.timezone.as_deref();
    let page =
        logs::completion_conversations(&state.infra.db, user.tenant_id(), path.into_inner(), &query_pairs(&req), tz)
            .await?;
    Ok(HttpResponse::Ok().json(page))
}

async fn chat_list(req: HttpRequest, state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let tz = user.account.timezone.as_deref();
    let page =
        logs::chat_conversations(&state.infra.db, user.tenant_id(), path.into_inner(), &query_pairs(&req), tz).await?;
    Ok(HttpResponse::Ok().json(page))
}

async fn completion_detail(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (app_id, id) = path.into_inner();
    let detail = logs::completion_conversation(&state.infra.db, user.tenant_id(), app_id, id, user.account.id).await?;
    Ok(HttpResponse::Ok().json(detail))
}

async fn chat_detail(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (app_id, id) = path.into_inner();
    let detail = logs::chat_conversation(&state.infra.db, user.tenant_id(), app_id, id, user.account.id).await?;
    Ok(HttpResponse::Ok().json(detail))
}

async fn delete(state: &AppState, user: &Console, path: web::Path<(Uuid, Uuid)>, mode: AppMode) -> HttpResult {
    let (app_id, id) = path.into_inner();
    logs::delete_conversation(&state.infra.db, user.tenant_id(), app_id, id, mode).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn completion_delete(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    delete(&state, &user, path, AppMode::Completion).await
}

async fn chat_delete(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    delete(&state, &user, path, AppMode::Chat).await
}

async fn messages(req: HttpRequest, state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let page = logs::chat_messages(&state.infra.db, user.tenant_id(), path.into_inner(), &query_pairs(&req)).await?;
    Ok(HttpResponse::Ok().json(page))
}

async fn message(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (app_id, message_id) = path.into_inner();
    Ok(HttpResponse::Ok().json(logs::message_detail(&state.infra.db, user.tenant_id(), app_id, message_id).await?))
}

async fn annotate(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    let args = JsonArgs::new(body)?;
    let message_id = args.optional_str("message_id")?;
    let content = args.optional_str("content")?;
    logs::annotate(
        &state.infra.db,
        user.tenant_id(),
        path.into_inner(),
        user.account.id,
        message_id.as_deref(),
        content,
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({"result": "success"})))
}

async fn annotation_count(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let count = logs::annotation_count(&state.infra.db, user.tenant_id(), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({"count": count})))
}
