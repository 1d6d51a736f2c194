//! An app's Logs & Annotations: conversation lists and details, a chat's message history,
//! message details and annotations. Any member of the workspace may read and annotate.

use actix_web::{HttpResponse, web};
use apps::lookup::{AppMode, app_for_tenant};
use conversations::logs::{self, AnnotationStatus, LogFilter};
use kernel::ApiError;
use serde::Deserialize;
use uuid::Uuid;

use super::guard::Console;
use crate::body::{Body, uuid_value};
use crate::http_error::HttpResult;
use crate::query::QueryArgs;
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /apps/<id>/annotations`. A missing `content` is refused (Dify would fail writing a
/// null into a NOT NULL column).
#[derive(Deserialize, utoipa::ToSchema)]
struct Annotate {
    /// The message to annotate (Dify's `uuid_value`: empty names no message).
    #[serde(deserialize_with = "uuid_value")]
    #[schema(value_type = String, format = Uuid)]
    message_id: Option<Uuid>,
    /// The annotation.
    content: String,
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    completion_list,
    completion_detail,
    completion_delete,
    chat_list,
    chat_detail,
    chat_delete,
    messages,
    message,
    annotate,
    annotation_count
))]
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

/// The list filters, read in reqparse's order so the first bad argument is the one named.
fn log_filter(query: &QueryArgs, timezone: Option<&str>, mode: AppMode) -> Result<LogFilter, ApiError> {
    let keyword = query.get("keyword").filter(|k| !k.is_empty()).map(str::to_owned);
    let start = query.minute("start", timezone, 0)?;
    // The list's end keeps its whole minute, unlike the statistics' window.
    let end = query.minute("end", timezone, 59)?;
    let annotation = match query.choice("annotation_status", &["annotated", "not_annotated", "all"], "all")? {
        "annotated" => AnnotationStatus::Annotated,
        "not_annotated" => AnnotationStatus::NotAnnotated,
        _ => AnnotationStatus::All,
    };
    let message_count_gte = match mode {
        AppMode::Chat => query.int_range("message_count_gte", 1, 99_999)?,
        AppMode::Completion => None,
    };
    let page = query.page_request()?;
    Ok(LogFilter { keyword, start, end, annotation, message_count_gte, page })
}

#[utoipa::path(get, path = "/console/api/apps/{app_id}/completion-conversations", tag = "logs", params(("app_id" = Uuid, Path), ("keyword" = Option<String>, Query), ("start" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone"), ("end" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone"), ("annotation_status" = Option<String>, Query, description = "`annotated`, `not_annotated` or `all` (default)"), ("page" = Option<u64>, Query), ("limit" = Option<u64>, Query)), responses((status = 200, description = "A page of the completion app's conversations", body = conversations::logs::ConversationPage<conversations::logs::CompletionConversationItem>)))]
async fn completion_list(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<Uuid>,
    query: QueryArgs,
) -> HttpResult {
    let filter = log_filter(&query, user.account.timezone.as_deref(), AppMode::Completion)?;
    let page = logs::completion_conversations(&state.infra.db, user.tenant_id(), path.into_inner(), &filter).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(get, path = "/console/api/apps/{app_id}/chat-conversations", tag = "logs", params(("app_id" = Uuid, Path), ("keyword" = Option<String>, Query), ("start" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone"), ("end" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone"), ("annotation_status" = Option<String>, Query, description = "`annotated`, `not_annotated` or `all` (default)"), ("page" = Option<u64>, Query), ("limit" = Option<u64>, Query), ("message_count_gte" = Option<u64>, Query)), responses((status = 200, description = "A page of the chat app's conversations", body = conversations::logs::ConversationPage<conversations::logs::ChatConversationItem>)))]
async fn chat_list(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>, query: QueryArgs) -> HttpResult {
    let filter = log_filter(&query, user.account.timezone.as_deref(), AppMode::Chat)?;
    let page = logs::chat_conversations(&state.infra.db, user.tenant_id(), path.into_inner(), &filter).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(get, path = "/console/api/apps/{app_id}/completion-conversations/{conversation_id}", tag = "logs", params(("app_id" = Uuid, Path), ("conversation_id" = Uuid, Path)), responses((status = 200, description = "The conversation with its message", body = conversations::logs::CompletionConversationDetail)))]
async fn completion_detail(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (app_id, id) = path.into_inner();
    let detail = logs::completion_conversation(&state.infra.db, user.tenant_id(), app_id, id, user.account.id).await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[utoipa::path(get, path = "/console/api/apps/{app_id}/chat-conversations/{conversation_id}", tag = "logs", params(("app_id" = Uuid, Path), ("conversation_id" = Uuid, Path)), responses((status = 200, description = "The conversation", body = conversations::logs::ChatConversationDetail)))]
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

#[utoipa::path(delete, path = "/console/api/apps/{app_id}/completion-conversations/{conversation_id}", tag = "logs", params(("app_id" = Uuid, Path), ("conversation_id" = Uuid, Path)), responses((status = 204, description = "Deleted")))]
async fn completion_delete(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    delete(&state, &user, path, AppMode::Completion).await
}

#[utoipa::path(delete, path = "/console/api/apps/{app_id}/chat-conversations/{conversation_id}", tag = "logs", params(("app_id" = Uuid, Path), ("conversation_id" = Uuid, Path)), responses((status = 204, description = "Deleted")))]
async fn chat_delete(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    delete(&state, &user, path, AppMode::Chat).await
}

#[utoipa::path(get, path = "/console/api/apps/{app_id}/chat-messages", tag = "logs", params(("app_id" = Uuid, Path), ("conversation_id" = Uuid, Query), ("first_id" = Option<Uuid>, Query), ("limit" = Option<u64>, Query)), responses((status = 200, description = "A page of the conversation's messages, newest first", body = conversations::logs::MessagePage)))]
async fn messages(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>, query: QueryArgs) -> HttpResult {
    let db = &state.infra.db;
    // Dify finds the app before it reads the arguments.
    let app = app_for_tenant(db, user.tenant_id(), path.into_inner(), Some(AppMode::Chat)).await?;
    let conversation_id = query.required_uuid("conversation_id")?;
    let first_id = query.uuid("first_id")?;
    let limit = query.limit()?;
    let page = logs::chat_messages(db, &app, conversation_id.id(), first_id.id(), limit).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(get, path = "/console/api/apps/{app_id}/messages/{message_id}", tag = "logs", params(("app_id" = Uuid, Path), ("message_id" = Uuid, Path)), responses((status = 200, description = "The message", body = conversations::logs::MessageDetail)))]
async fn message(state: web::Data<AppState>, user: Console, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (app_id, message_id) = path.into_inner();
    Ok(HttpResponse::Ok().json(logs::message_detail(&state.infra.db, user.tenant_id(), app_id, message_id).await?))
}

#[utoipa::path(post, path = "/console/api/apps/{app_id}/annotations", tag = "logs", params(("app_id" = Uuid, Path)), request_body = Annotate, responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn annotate(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<Uuid>,
    body: Body<Annotate>,
) -> HttpResult {
    let db = &state.infra.db;
    let app = app_for_tenant(db, user.tenant_id(), path.into_inner(), None).await?;
    let Annotate { message_id, content } = body.read()?;
    logs::annotate(db, &app, user.account.id, message_id, content).await?;
    Ok(crate::answers::success())
}

#[utoipa::path(get, path = "/console/api/apps/{app_id}/annotations/count", tag = "logs", params(("app_id" = Uuid, Path)), responses((status = 200, description = "`{\"count\": n}`", body = crate::answers::Count)))]
async fn annotation_count(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let count = logs::annotation_count(&state.infra.db, user.tenant_id(), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(crate::answers::Count { count }))
}
