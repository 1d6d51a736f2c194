//! A user's conversations, messages, feedback and saved messages over HTTP: the argument
//! parsing, mode checks and response shapes the web app (`/api`), installed apps
//! (`/console/api/installed-apps/<id>`) and the service API (`/v1`) share. Each surface
//! authenticates, names the app and the caller, and calls one of these.

use crate::error_table::{Refusal, require_mode};
use apps::lookup::AppMode;

use actix_web::HttpResponse;
use conversations::listing::{self, PinnedFilter};
use conversations::{Caller, feedback, pinned, saved};
use entities::apps as app_rows;
use kernel::ApiError;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use uuid::Uuid;

use crate::body::Body;
use crate::http_error::HttpResult;

/// `POST conversations/<c_id>/name`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RenameConversation {
    pub name: String,
}

/// `POST messages/<message_id>/feedbacks`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Feedback {
    /// `like` or `dislike`; absent or null takes the feedback back.
    #[serde(default, deserialize_with = "rating")]
    #[schema(value_type = Option<String>)]
    pub rating: Option<feedback::Rating>,
}

/// `POST saved-messages`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SaveMessage {
    #[serde(deserialize_with = "message_id")]
    #[schema(value_type = String, format = Uuid)]
    pub message_id: Uuid,
}

/// `POST /console/api/apps/<app_id>/feedbacks`: a member rates any message of the app.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AdminFeedback {
    #[serde(deserialize_with = "message_id")]
    #[schema(value_type = String, format = Uuid)]
    pub message_id: Uuid,
    /// `like` or `dislike`; absent or null takes the feedback back.
    #[serde(default, deserialize_with = "rating")]
    #[schema(value_type = Option<String>)]
    pub rating: Option<feedback::Rating>,
}

/// `rating`: 'like' or 'dislike'; any other value, string or not, is not a valid choice.
pub fn rating<'de, D: Deserializer<'de>>(d: D) -> Result<Option<feedback::Rating>, D::Error> {
    let v = Value::deserialize(d)?;
    let text = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    feedback::Rating::parse(&text)
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("{text} is not a valid choice")))
}

/// A message id as Dify's `uuid_value` takes it, anything but a UUID string worded
/// `"<v> is not a valid uuid."`. Dify passes "" on and the lookup then fails on PostgreSQL (a
/// 500); what it means is a message that does not exist: no row has the nil id.
fn message_id<'de, D: Deserializer<'de>>(d: D) -> Result<Uuid, D::Error> {
    let invalid = |v: &dyn std::fmt::Display| serde::de::Error::custom(format!("{v} is not a valid uuid."));
    match Value::deserialize(d)? {
        Value::String(v) if v.is_empty() => Ok(Uuid::nil()),
        Value::String(v) => v.parse().map_err(|_| invalid(&v)),
        v => Err(invalid(&v)),
    }
}

pub use crate::query::QueryArgs;

pub use crate::error_table::Wording;

/// The app a request acts on and the user acting.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub app: &'a app_rows::Model,
    pub caller: Caller,
    pub wording: Wording,
}

/// 400 `not_chat_app` unless the app is a chat app.
pub fn require_chat(app: &app_rows::Model, wording: Wording) -> Result<(), Refusal> {
    require_mode(app, AppMode::Chat, wording)
}

/// 400 `not_completion_app` unless the app is a completion app.
pub fn require_completion(app: &app_rows::Model, wording: Wording) -> Result<(), Refusal> {
    require_mode(app, AppMode::Completion, wording)
}

/// An optional uuid query argument; empty counts as absent, as Dify's `uuid_value`.
pub fn uuid_arg(query: &QueryArgs, name: &str) -> Result<Option<Uuid>, ApiError> {
    Ok(query.uuid(name)?.id())
}

/// `pinned`: 'true' or 'false'; absent lists everything.
fn pinned_arg(query: &QueryArgs) -> Result<PinnedFilter, ApiError> {
    Ok(match query.some_choice("pinned", &["true", "false"])? {
        None => PinnedFilter::All,
        Some("true") => PinnedFilter::OnlyPinned,
        Some(_) => PinnedFilter::Unpinned,
    })
}

/// `GET .../parameters`: the app's form and features, verbatim from its current config.
pub async fn parameters(db: &DatabaseConnection, app: &app_rows::Model) -> HttpResult {
    Ok(HttpResponse::Ok().json(apps::model_config::parameters(db, app).await?))
}

/// `GET conversations` (chat apps); `with_pins` reads the `pinned` filter.
pub async fn list_conversations(
    db: &DatabaseConnection,
    s: Scope<'_>,
    query: &QueryArgs,
    with_pins: bool,
) -> HttpResult {
    require_chat(s.app, s.wording)?;
    let last_id = uuid_arg(query, "last_id")?;
    let limit = query.limit()?;
    let pins = if with_pins { pinned_arg(query)? } else { PinnedFilter::All };
    let page = listing::conversations(db, s.app.id, s.caller, last_id, limit, pins).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `GET conversations/<c_id>`: one of the caller's conversations.
pub async fn show_conversation(db: &DatabaseConnection, s: Scope<'_>, c_id: Uuid) -> HttpResult {
    require_chat(s.app, s.wording)?;
    let found = listing::conversation(db, s.app.id, s.caller, c_id).await?;
    Ok(HttpResponse::Ok().json(listing::ConversationFields::from(&found)))
}

/// `DELETE conversations/<c_id>`: 204.
pub async fn delete_conversation(db: &DatabaseConnection, s: Scope<'_>, c_id: Uuid) -> HttpResult {
    require_chat(s.app, s.wording)?;
    listing::delete(db, s.app.id, s.caller, c_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST conversations/<c_id>/name` with `{name}`, read once the app is known to chat.
pub async fn rename_conversation(
    db: &DatabaseConnection,
    s: Scope<'_>,
    c_id: Uuid,
    body: Body<RenameConversation>,
) -> HttpResult {
    require_chat(s.app, s.wording)?;
    rename(db, s, c_id, body.read()?).await
}

/// Renames one of the caller's conversations (of a chat app).
pub async fn rename(db: &DatabaseConnection, s: Scope<'_>, c_id: Uuid, body: RenameConversation) -> HttpResult {
    require_chat(s.app, s.wording)?;
    let renamed = listing::rename(db, s.app.id, s.caller, c_id, &body.name).await?;
    Ok(HttpResponse::Ok().json(renamed))
}

/// `PATCH conversations/<c_id>/pin|unpin`.
pub async fn set_pinned(db: &DatabaseConnection, s: Scope<'_>, c_id: Uuid, pin: bool) -> HttpResult {
    require_chat(s.app, s.wording)?;
    if pin {
        pinned::pin(db, s.app.id, s.caller, c_id).await?;
    } else {
        pinned::unpin(db, s.app.id, s.caller, c_id).await?;
    }
    Ok(crate::answers::success())
}

/// `GET messages?conversation_id=` (chat apps): a page of history, oldest first.
pub async fn list_messages(db: &DatabaseConnection, s: Scope<'_>, query: &QueryArgs) -> HttpResult {
    require_chat(s.app, s.wording)?;
    if !query.contains("conversation_id") {
        return Err(ApiError::invalid_param("conversation_id", "Missing required parameter in the query string").into());
    }
    let conversation_id = uuid_arg(query, "conversation_id")?;
    let first_id = uuid_arg(query, "first_id")?;
    let limit = query.limit()?;
    let Some(conversation_id) = conversation_id else {
        // An empty id names no conversation: Dify answers an empty page.
        return Ok(HttpResponse::Ok().json(listing::Page::<Value>::empty(limit)));
    };
    let page = listing::messages(db, s.app.id, s.caller, conversation_id, first_id, limit).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `POST messages/<mid>/feedbacks` with `{rating}`: the caller's own message.
pub async fn rate_message(db: &DatabaseConnection, s: Scope<'_>, message_id: Uuid, body: Feedback) -> HttpResult {
    feedback::rate_own(db, s.app.id, s.caller, message_id, body.rating).await?;
    Ok(crate::answers::success())
}

/// `POST /console/api/apps/<id>/feedbacks` with `{message_id, rating}`: admin side.
pub async fn rate_as_admin(
    db: &DatabaseConnection,
    app: &app_rows::Model,
    account_id: Uuid,
    body: AdminFeedback,
) -> HttpResult {
    feedback::rate_as_admin(db, app.id, account_id, body.message_id, body.rating).await?;
    Ok(crate::answers::success())
}

/// `GET saved-messages` (completion apps).
pub async fn list_saved(db: &DatabaseConnection, s: Scope<'_>, query: &QueryArgs) -> HttpResult {
    require_completion(s.app, s.wording)?;
    let last_id = uuid_arg(query, "last_id")?;
    let limit = query.limit()?;
    Ok(HttpResponse::Ok().json(saved::list(db, s.app.id, s.caller, last_id, limit).await?))
}

/// `POST saved-messages` with `{message_id}`, read once the app is known to complete.
pub async fn save_message(db: &DatabaseConnection, s: Scope<'_>, body: Body<SaveMessage>) -> HttpResult {
    require_completion(s.app, s.wording)?;
    let SaveMessage { message_id } = body.read()?;
    saved::save(db, s.app.id, s.caller, message_id).await?;
    Ok(crate::answers::success())
}

/// `DELETE saved-messages/<mid>`: 200, as Dify.
pub async fn unsave_message(db: &DatabaseConnection, s: Scope<'_>, message_id: Uuid) -> HttpResult {
    require_completion(s.app, s.wording)?;
    saved::delete(db, s.app.id, s.caller, message_id).await?;
    Ok(crate::answers::success())
}
