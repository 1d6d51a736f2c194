//! Saved messages: completions a caller keeps, listed newest first.

use entities::{messages, saved_messages};
use kernel::ApiError;
use kernel::time::{now_naive, unix_seconds};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::Caller;
use crate::feedback;
use crate::listing::{FeedbackFields, Page, older_than};

/// Dify's saved `message_fields`.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct SavedMessageFields {
    pub id: Uuid,
    #[schema(value_type = Option<Object>)]
    pub inputs: Option<Value>,
    pub query: String,
    pub answer: String,
    pub feedback: Option<FeedbackFields>,
    pub created_at: i64,
}

fn saved_by(app_id: Uuid, caller: Caller) -> Condition {
    use saved_messages::Column as S;
    Condition::all().add(S::AppId.eq(app_id)).add(S::CreatedByRole.eq(caller.role())).add(S::CreatedBy.eq(caller.id()))
}

/// The caller's saved messages, newest message first, after `last_id` (a message id); an
/// unknown `last_id` is 404 "Last Message Not Exists.".
pub async fn list(
    db: &impl ConnectionTrait,
    app_id: Uuid,
    caller: Caller,
    last_id: Option<Uuid>,
    limit: u64,
) -> Result<Page<SavedMessageFields>, ApiError> {
    use messages::Column as M;
    let saved_ids = saved_messages::Entity::find()
        .select_only()
        .column(saved_messages::Column::MessageId)
        .filter(saved_by(app_id, caller))
        .into_query();
    let scope = Condition::all().add(M::AppId.eq(app_id)).add(M::Id.in_subquery(saved_ids));
    let mut query = messages::Entity::find().filter(scope.clone());
    if let Some(last_id) = last_id {
        let last = messages::Entity::find_by_id(last_id)
            .filter(scope)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::not_found("Last Message Not Exists."))?;
        query = query.filter(older_than(M::CreatedAt, M::Id, last.created_at, last.id));
    }
    let mut rows = query.order_by_desc(M::CreatedAt).order_by_desc(M::Id).limit(limit + 1).all(db).await?;
    let has_more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    let mut ratings = feedback::ratings(db, &ids, feedback::side(caller)).await?;
    let data = rows
        .into_iter()
        .map(|m| SavedMessageFields {
            feedback: ratings.remove(&m.id).map(|rating| FeedbackFields { rating }),
            id: m.id,
            inputs: m.inputs,
            query: m.query,
            answer: m.answer,
            created_at: unix_seconds(m.created_at),
        })
        .collect();
    Ok(Page { limit, has_more, data })
}

/// Saves the caller's own message; saving twice changes nothing. Someone else's message is
/// 404 "Message Not Exists.".
pub async fn save(db: &impl ConnectionTrait, app_id: Uuid, caller: Caller, message_id: Uuid) -> Result<(), ApiError> {
    let message = feedback::own_message(db, app_id, caller, message_id).await?;
    let already = saved_messages::Entity::find()
        .filter(saved_by(app_id, caller))
        .filter(saved_messages::Column::MessageId.eq(message.id))
        .one(db)
        .await?;
    if already.is_some() {
        return Ok(());
    }
    saved_messages::Entity::insert(saved_messages::ActiveModel {
        id: Set(Uuid::new_v4()),
        app_id: Set(app_id),
        message_id: Set(message.id),
        created_by: Set(caller.id()),
        created_at: Set(now_naive()),
        created_by_role: Set(caller.role()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Forgets a saved message, if the caller saved it.
pub async fn delete(db: &impl ConnectionTrait, app_id: Uuid, caller: Caller, message_id: Uuid) -> Result<(), ApiError> {
    saved_messages::Entity::delete_many()
        .filter(saved_by(app_id, caller))
        .filter(saved_messages::Column::MessageId.eq(message_id))
        .exec(db)
        .await?;
    Ok(())
}
