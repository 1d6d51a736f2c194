//! A chat's message history (infinite scroll, oldest first), one message's detail, and the
//! admins' annotations of answers.

use crate::ConversationError;
use apps::lookup::{AppMode, app_for_tenant};
use entities::{apps as app_rows, message_annotations, messages};
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use uuid::Uuid;

use super::conversations::live_conversation;
use super::shape::{MessageDetail, message_details};

/// `message_infinite_scroll_pagination_fields`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessagePage {
    pub limit: u64,
    pub has_more: bool,
    pub data: Vec<MessageDetail>,
}

/// Messages of the conversation that come before `m` in (created_at, id) order, so rows
/// made within the same second are neither skipped nor repeated.
fn before(m: &messages::Model) -> Condition {
    Condition::any()
        .add(messages::Column::CreatedAt.lt(m.created_at))
        .add(Condition::all().add(messages::Column::CreatedAt.eq(m.created_at)).add(messages::Column::Id.lt(m.id)))
}

/// `GET /apps/<id>/chat-messages`: up to `limit` messages before `first_id` (or the latest
/// ones), oldest first; `has_more` says whether older ones remain.
///
/// `app` is the caller's chat app, found before the arguments are read as Dify does; an empty
/// `conversation_id` (`None`) names no conversation.
pub async fn chat_messages(
    db: &DatabaseConnection,
    app: &app_rows::Model,
    conversation_id: Option<Uuid>,
    first_id: Option<Uuid>,
    limit: u64,
) -> Result<MessagePage, ConversationError> {
    let not_found = || ApiError::not_found("Conversation Not Exists.");
    let conversation = live_conversation(db, app.id, conversation_id.ok_or_else(not_found)?).await?;
    let mut query = messages::Entity::find().filter(messages::Column::ConversationId.eq(conversation.id));
    if let Some(first_id) = first_id {
        let first = messages::Entity::find_by_id(first_id)
            .filter(messages::Column::ConversationId.eq(conversation.id))
            .one(db)
            .await?
            .ok_or_else(|| ApiError::not_found("First message not found"))?;
        query = query.filter(before(&first));
    }
    // One row past the page tells whether older messages remain.
    let mut rows = query
        .order_by_desc(messages::Column::CreatedAt)
        .order_by_desc(messages::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    rows.reverse();
    Ok(MessagePage { limit, has_more, data: message_details(db, rows).await? })
}

/// `GET /apps/<id>/messages/<mid>`.
pub async fn message_detail(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    app_id: Uuid,
    message_id: Uuid,
) -> Result<MessageDetail, ConversationError> {
    let app = app_for_tenant(db, tenant_id, app_id, Some(AppMode::Chat)).await?;
    let message = app_message(db, app.id, message_id).await?;
    Ok(message_details(db, vec![message]).await?.pop().ok_or_else(|| ApiError::not_found("Message Not Exists."))?)
}

async fn app_message(db: &DatabaseConnection, app_id: Uuid, id: Uuid) -> Result<messages::Model, ApiError> {
    messages::Entity::find_by_id(id)
        .filter(messages::Column::AppId.eq(app_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Message Not Exists."))
}

/// `POST /apps/<id>/annotations`: sets the message's annotation, creating it on first use.
/// `app` is the caller's app, found before the body is read as Dify does; an empty
/// `message_id` (`None`) names no message.
pub async fn annotate(
    db: &DatabaseConnection,
    app: &app_rows::Model,
    account_id: Uuid,
    message_id: Option<Uuid>,
    content: String,
) -> Result<(), ConversationError> {
    let not_found = || ApiError::not_found("Message Not Exists.");
    let message = app_message(db, app.id, message_id.ok_or_else(not_found)?).await?;
    let now = now_naive();
    let existing = message_annotations::Entity::find()
        .filter(message_annotations::Column::MessageId.eq(message.id))
        .order_by_asc(message_annotations::Column::CreatedAt)
        .one(db)
        .await?;
    match existing {
        Some(a) => {
            let mut a = a.into_active_model();
            a.content = Set(content);
            a.updated_at = Set(now);
            a.update(db).await?;
        }
        None => {
            message_annotations::ActiveModel {
                id: Set(Uuid::new_v4()),
                app_id: Set(app.id),
                conversation_id: Set(message.conversation_id),
                message_id: Set(message.id),
                content: Set(content),
                account_id: Set(account_id),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// `GET /apps/<id>/annotations/count`: the app's annotations.
pub async fn annotation_count(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    app_id: Uuid,
) -> Result<u64, ConversationError> {
    let app = app_for_tenant(db, tenant_id, app_id, None).await?;
    Ok(message_annotations::Entity::find().filter(message_annotations::Column::AppId.eq(app.id)).count(db).await?)
}
