//! Likes and dislikes on messages: one per side (`user` for end users, `admin` for console
//! accounts) and message; rating nothing takes the caller's side back.

use std::collections::HashMap;

use entities::message_feedbacks::FeedbackSide;
use entities::{message_feedbacks, messages};
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::Caller;
use crate::listing::made_by;

/// A rating a caller can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    Like,
    Dislike,
}

impl Rating {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "like" => Some(Rating::Like),
            "dislike" => Some(Rating::Dislike),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Like => "like",
            Rating::Dislike => "dislike",
        }
    }
}

/// `message_feedbacks.from_source` for a caller: end users rate as `user`; console accounts
/// (installed apps, the logs) as `admin`, as Dify records them.
pub fn side(caller: Caller) -> FeedbackSide {
    match caller {
        Caller::EndUser(_) => FeedbackSide::User,
        Caller::Account(_) => FeedbackSide::Admin,
    }
}

fn message_not_found() -> ApiError {
    ApiError::not_found("Message Not Exists.")
}

/// The caller's message `id` in the app, or 404 "Message Not Exists.".
pub async fn own_message(
    db: &impl ConnectionTrait,
    app_id: Uuid,
    caller: Caller,
    id: Uuid,
) -> Result<messages::Model, ApiError> {
    use messages::Column as M;
    messages::Entity::find_by_id(id)
        .filter(M::AppId.eq(app_id))
        .filter(made_by(caller, M::FromSource, M::FromEndUserId, M::FromAccountId))
        .one(db)
        .await?
        .ok_or_else(message_not_found)
}

/// The ratings of one side on `message_ids`, by message.
pub async fn ratings(
    db: &impl ConnectionTrait,
    message_ids: &[Uuid],
    side: FeedbackSide,
) -> Result<HashMap<Uuid, String>, ApiError> {
    if message_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = message_feedbacks::Entity::find()
        .filter(message_feedbacks::Column::MessageId.is_in(message_ids.iter().copied()))
        .filter(message_feedbacks::Column::FromSource.eq(side))
        .order_by_asc(message_feedbacks::Column::CreatedAt)
        .all(db)
        .await?;
    // Should a side hold two rows for one message, the first one wins, as Dify's `.first()`.
    let mut by_message = HashMap::new();
    for row in rows {
        by_message.entry(row.message_id).or_insert(row.rating);
    }
    Ok(by_message)
}

/// A web-app visitor, service-API user or installed-app user rates their own message.
pub async fn rate_own(
    db: &impl ConnectionTrait,
    app_id: Uuid,
    caller: Caller,
    message_id: Uuid,
    rating: Option<Rating>,
) -> Result<(), ApiError> {
    let message = own_message(db, app_id, caller, message_id).await?;
    apply(db, &message, caller, rating).await
}

/// A console member rates any message of their workspace's app (the logs view): admin side.
pub async fn rate_as_admin(
    db: &impl ConnectionTrait,
    app_id: Uuid,
    account_id: Uuid,
    message_id: Uuid,
    rating: Option<Rating>,
) -> Result<(), ApiError> {
    let message = messages::Entity::find_by_id(message_id)
        .filter(messages::Column::AppId.eq(app_id))
        .one(db)
        .await?
        .ok_or_else(message_not_found)?;
    apply(db, &message, Caller::Account(account_id), rating).await
}

/// Sets, changes or (with no rating) removes the caller's side's feedback on `message`.
async fn apply(
    db: &impl ConnectionTrait,
    message: &messages::Model,
    caller: Caller,
    rating: Option<Rating>,
) -> Result<(), ApiError> {
    use message_feedbacks::Column as F;
    let side = side(caller);
    let existing = message_feedbacks::Entity::find()
        .filter(F::MessageId.eq(message.id))
        .filter(F::FromSource.eq(side))
        .order_by_asc(F::CreatedAt)
        .one(db)
        .await?;
    let now = now_naive();
    match (existing, rating) {
        (Some(found), None) => {
            message_feedbacks::Entity::delete_by_id(found.id).exec(db).await?;
        }
        (Some(found), Some(rating)) => {
            message_feedbacks::ActiveModel {
                id: Set(found.id),
                rating: Set(rating.as_str().to_owned()),
                updated_at: Set(now),
                ..Default::default()
            }
            .update(db)
            .await?;
        }
        (None, None) => return Err(ApiError::value_error("rating cannot be None when feedback not exists")),
        (None, Some(rating)) => {
            message_feedbacks::Entity::insert(message_feedbacks::ActiveModel {
                id: Set(Uuid::new_v4()),
                app_id: Set(message.app_id),
                conversation_id: Set(message.conversation_id),
                message_id: Set(message.id),
                rating: Set(rating.as_str().to_owned()),
                content: Set(None),
                from_source: Set(side),
                from_end_user_id: Set(caller.end_user_id()),
                from_account_id: Set(caller.account_id()),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_without_returning(db)
            .await?;
        }
    }
    Ok(())
}
