//! Loading a caller's own messages: scoped to the app and to who wrote them.

use entities::{apps, messages};
use kernel::ApiError;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::Caller;

/// Message `id` of `app` that `caller` asked, or Dify's 404 "Message Not Exists.".
pub async fn caller_message(
    db: &DatabaseConnection,
    app: &apps::Model,
    caller: Caller,
    id: Uuid,
) -> Result<messages::Model, ApiError> {
    let q = messages::Entity::find_by_id(id)
        .filter(messages::Column::AppId.eq(app.id))
        .filter(messages::Column::FromSource.eq(caller.from_source()));
    let q = match caller {
        Caller::Account(a) => q.filter(messages::Column::FromAccountId.eq(a)),
        Caller::EndUser(u) => q.filter(messages::Column::FromEndUserId.eq(u)),
    };
    q.one(db).await?.ok_or_else(|| ApiError::not_found("Message Not Exists."))
}
