//! Pinned conversations: a caller's own shortlist at the top of the web app's sidebar.

use entities::pinned_conversations;
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::sea_query::SelectStatement;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Set};
use uuid::Uuid;

use crate::Caller;
use crate::listing;

/// The caller's pins in the app.
fn pins_of(app_id: Uuid, caller: Caller) -> Condition {
    use pinned_conversations::Column as P;
    Condition::all().add(P::AppId.eq(app_id)).add(P::CreatedByRole.eq(caller.role())).add(P::CreatedBy.eq(caller.id()))
}

/// The caller's pin of one conversation.
pub(crate) fn pin_of(app_id: Uuid, caller: Caller, conversation_id: Uuid) -> Condition {
    pins_of(app_id, caller).add(pinned_conversations::Column::ConversationId.eq(conversation_id))
}

/// A sub-query of the conversation ids the caller pinned in the app.
pub(crate) fn ids_of(app_id: Uuid, caller: Caller) -> SelectStatement {
    pinned_conversations::Entity::find()
        .select_only()
        .column(pinned_conversations::Column::ConversationId)
        .filter(pins_of(app_id, caller))
        .into_query()
}

/// Pins the caller's conversation; pinning twice changes nothing. Someone else's (or a
/// deleted) conversation is 404 "Conversation Not Exists.".
pub async fn pin(
    db: &impl ConnectionTrait,
    app_id: Uuid,
    caller: Caller,
    conversation_id: Uuid,
) -> Result<(), ApiError> {
    let conversation = listing::conversation(db, app_id, caller, conversation_id).await?;
    let existing = pinned_conversations::Entity::find().filter(pin_of(app_id, caller, conversation.id)).one(db).await?;
    if existing.is_some() {
        return Ok(());
    }
    pinned_conversations::Entity::insert(pinned_conversations::ActiveModel {
        id: Set(Uuid::new_v4()),
        app_id: Set(app_id),
        conversation_id: Set(conversation.id),
        created_by: Set(caller.id()),
        created_at: Set(now_naive()),
        created_by_role: Set(caller.role()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Drops the caller's pin, if any.
pub async fn unpin(
    db: &impl ConnectionTrait,
    app_id: Uuid,
    caller: Caller,
    conversation_id: Uuid,
) -> Result<(), ApiError> {
    pinned_conversations::Entity::delete_many().filter(pin_of(app_id, caller, conversation_id)).exec(db).await?;
    Ok(())
}
