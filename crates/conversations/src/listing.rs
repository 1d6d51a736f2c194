//! A caller's own conversations and their messages, as the web app, installed apps and the
//! service API list them: newest first, in infinite-scroll pages; rename and soft delete.

use std::collections::HashMap;

use entities::{conversations, dataset_retriever_resources, messages, pinned_conversations};
use kernel::ApiError;
use kernel::time::{now_naive, unix_seconds};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::Caller;
use crate::feedback;

/// One infinite-scroll page, as Dify's `InfiniteScrollPagination` marshals it.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Page<T> {
    pub limit: u64,
    pub has_more: bool,
    pub data: Vec<T>,
}

impl<T> Page<T> {
    pub fn empty(limit: u64) -> Self {
        Self { limit, has_more: false, data: Vec::new() }
    }

    /// A page from up to `limit + 1` rows: the extra row only tells that more exist.
    fn from_probe(mut rows: Vec<T>, limit: u64) -> Self {
        let has_more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Self { limit, has_more, data: rows }
    }
}

/// Dify's `conversation_fields`.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ConversationFields {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = Option<Object>)]
    pub inputs: Option<Value>,
    pub status: entities::kinds::RowStatus,
    pub introduction: Option<String>,
    pub created_at: i64,
}

impl From<&conversations::Model> for ConversationFields {
    fn from(c: &conversations::Model) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
            inputs: c.inputs.clone(),
            status: c.status,
            introduction: c.introduction.clone(),
            created_at: unix_seconds(c.created_at),
        }
    }
}

/// `{rating}`: the caller's own feedback on a message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FeedbackFields {
    pub rating: String,
}

/// Dify's `retriever_resource_fields`: a dataset segment the answer quoted.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RetrieverResourceFields {
    pub id: Uuid,
    pub message_id: Uuid,
    pub position: i32,
    pub dataset_id: Uuid,
    pub dataset_name: String,
    pub document_id: Uuid,
    pub document_name: String,
    pub data_source_type: entities::kinds::DataSourceType,
    pub segment_id: Uuid,
    pub score: Option<f64>,
    pub hit_count: Option<i32>,
    pub word_count: Option<i32>,
    pub segment_position: Option<i32>,
    pub index_node_hash: Option<String>,
    pub content: String,
    pub created_at: i64,
}

impl From<dataset_retriever_resources::Model> for RetrieverResourceFields {
    fn from(r: dataset_retriever_resources::Model) -> Self {
        Self {
            id: r.id,
            message_id: r.message_id,
            position: r.position,
            dataset_id: r.dataset_id,
            dataset_name: r.dataset_name,
            document_id: r.document_id,
            document_name: r.document_name,
            data_source_type: r.data_source_type,
            segment_id: r.segment_id,
            score: r.score,
            hit_count: r.hit_count,
            word_count: r.word_count,
            segment_position: r.segment_position,
            index_node_hash: r.index_node_hash,
            content: r.content,
            created_at: unix_seconds(r.created_at),
        }
    }
}

/// Dify's end-user `message_fields`.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct MessageFields {
    pub id: Uuid,
    pub conversation_id: Uuid,
    #[schema(value_type = Option<Object>)]
    pub inputs: Option<Value>,
    pub query: String,
    pub answer: String,
    pub feedback: Option<FeedbackFields>,
    pub retriever_resources: Vec<RetrieverResourceFields>,
    pub created_at: i64,
}

pub(crate) fn conversation_not_found() -> ApiError {
    ApiError::not_found("Conversation Not Exists.")
}

/// Rows the caller made in the app: `from_source` and exactly one owner column, as Dify's
/// services filter (`from_end_user_id == None` is `IS NULL`).
pub(crate) fn made_by<C: ColumnTrait>(caller: Caller, source: C, end_user: C, account: C) -> Condition {
    let owner = match caller {
        Caller::EndUser(id) => Condition::all().add(end_user.eq(id)).add(account.is_null()),
        Caller::Account(id) => Condition::all().add(account.eq(id)).add(end_user.is_null()),
    };
    Condition::all().add(source.eq(caller.from_source())).add(owner)
}

fn own_conversations(app_id: Uuid, caller: Caller) -> Condition {
    use conversations::Column as C;
    Condition::all().add(C::AppId.eq(app_id)).add(C::IsDeleted.eq(false)).add(made_by(
        caller,
        C::FromSource,
        C::FromEndUserId,
        C::FromAccountId,
    ))
}

/// Strictly older than `(created_at, id)` in the newest-first order. The id breaks ties, so
/// rows made in the same instant are neither skipped nor repeated across pages.
pub(crate) fn older_than<C: ColumnTrait>(created: C, id: C, at: chrono::NaiveDateTime, row: Uuid) -> Condition {
    Condition::any().add(created.lt(at)).add(Condition::all().add(created.eq(at)).add(id.lt(row)))
}

/// Which conversations a list shows, relative to the caller's pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinnedFilter {
    All,
    OnlyPinned,
    Unpinned,
}

/// The caller's conversation `id` in the app (not deleted), or 404 "Conversation Not Exists.".
pub async fn conversation(
    db: &impl ConnectionTrait,
    app_id: Uuid,
    caller: Caller,
    id: Uuid,
) -> Result<conversations::Model, ApiError> {
    conversations::Entity::find_by_id(id)
        .filter(own_conversations(app_id, caller))
        .one(db)
        .await?
        .ok_or_else(conversation_not_found)
}

/// The caller's conversations, newest first, after `last_id`; unknown `last_id` is 404
/// "Last Conversation Not Exists.".
pub async fn conversations(
    db: &impl ConnectionTrait,
    app_id: Uuid,
    caller: Caller,
    last_id: Option<Uuid>,
    limit: u64,
    pinned: PinnedFilter,
) -> Result<Page<ConversationFields>, ApiError> {
    use conversations::Column as C;
    let mut scope = own_conversations(app_id, caller);
    let pins = crate::pinned::ids_of(app_id, caller);
    scope = match pinned {
        PinnedFilter::All => scope,
        PinnedFilter::OnlyPinned => scope.add(C::Id.in_subquery(pins)),
        PinnedFilter::Unpinned => scope.add(C::Id.not_in_subquery(pins)),
    };
    let mut query = conversations::Entity::find().filter(scope.clone());
    if let Some(last_id) = last_id {
        let last = conversations::Entity::find_by_id(last_id)
            .filter(scope)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::not_found("Last Conversation Not Exists."))?;
        query = query.filter(older_than(C::CreatedAt, C::Id, last.created_at, last.id));
    }
    let rows = query.order_by_desc(C::CreatedAt).order_by_desc(C::Id).limit(limit + 1).all(db).await?;
    let page = Page::from_probe(rows, limit);
    Ok(Page { limit, has_more: page.has_more, data: page.data.iter().map(ConversationFields::from).collect() })
}

/// Renames the caller's conversation.
pub async fn rename(
    db: &impl ConnectionTrait,
    app_id: Uuid,
    caller: Caller,
    id: Uuid,
    name: &str,
) -> Result<ConversationFields, ApiError> {
    let found = conversation(db, app_id, caller, id).await?;
    let row = conversations::ActiveModel {
        id: Set(found.id),
        name: Set(name.to_owned()),
        updated_at: Set(now_naive()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(ConversationFields::from(&row))
}

/// Soft-deletes the caller's conversation (it stays in the app's logs) and drops their pin.
///
/// The update comes first and only matches a live conversation of the caller: of parallel
/// deletes one wins and the others answer 404 (and SQLite's write lock is taken up front).
pub async fn delete(db: &DatabaseConnection, app_id: Uuid, caller: Caller, id: Uuid) -> Result<(), ApiError> {
    let txn = db.begin().await?;
    let gone = conversations::Entity::update_many()
        .col_expr(conversations::Column::IsDeleted, Expr::value(true))
        .col_expr(conversations::Column::UpdatedAt, Expr::value(now_naive()))
        .filter(conversations::Column::Id.eq(id))
        .filter(own_conversations(app_id, caller))
        .exec(&txn)
        .await?;
    if gone.rows_affected == 0 {
        return Err(conversation_not_found());
    }
    pinned_conversations::Entity::delete_many().filter(crate::pinned::pin_of(app_id, caller, id)).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// The messages of the caller's conversation before `first_id`, oldest first (a chat window
/// scrolling up); unknown `first_id` is 404 "First Message Not Exists.".
pub async fn messages(
    db: &impl ConnectionTrait,
    app_id: Uuid,
    caller: Caller,
    conversation_id: Uuid,
    first_id: Option<Uuid>,
    limit: u64,
) -> Result<Page<MessageFields>, ApiError> {
    use messages::Column as M;
    let conversation = conversation(db, app_id, caller, conversation_id).await?;
    let mut query = messages::Entity::find().filter(M::ConversationId.eq(conversation.id));
    if let Some(first_id) = first_id {
        let first = messages::Entity::find_by_id(first_id)
            .filter(M::ConversationId.eq(conversation.id))
            .one(db)
            .await?
            .ok_or_else(|| ApiError::not_found("First Message Not Exists."))?;
        query = query.filter(older_than(M::CreatedAt, M::Id, first.created_at, first.id));
    }
    let rows = query.order_by_desc(M::CreatedAt).order_by_desc(M::Id).limit(limit + 1).all(db).await?;
    let mut page = Page::from_probe(rows, limit);
    page.data.reverse();
    Ok(Page { limit, has_more: page.has_more, data: message_fields(db, caller, page.data).await? })
}

/// Shapes a page of messages with the caller's feedback and the quoted segments, loaded for
/// the whole page at once.
async fn message_fields(
    db: &impl ConnectionTrait,
    caller: Caller,
    rows: Vec<messages::Model>,
) -> Result<Vec<MessageFields>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    let mut ratings = feedback::ratings(db, &ids, feedback::side(caller)).await?;
    let mut resources = retriever_resources(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|m| MessageFields {
            feedback: ratings.remove(&m.id).map(|rating| FeedbackFields { rating }),
            retriever_resources: resources.remove(&m.id).unwrap_or_default(),
            id: m.id,
            conversation_id: m.conversation_id,
            inputs: m.inputs,
            query: m.query,
            answer: m.answer,
            created_at: unix_seconds(m.created_at),
        })
        .collect())
}

/// The segments each message quoted, in position order.
async fn retriever_resources(
    db: &impl ConnectionTrait,
    message_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<RetrieverResourceFields>>, ApiError> {
    use dataset_retriever_resources::Column as R;
    let mut by_message: HashMap<Uuid, Vec<RetrieverResourceFields>> = HashMap::new();
    if message_ids.is_empty() {
        return Ok(by_message);
    }
    let rows = dataset_retriever_resources::Entity::find()
        .filter(R::MessageId.is_in(message_ids.iter().copied()))
        .order_by_asc(R::Position)
        .order_by_asc(R::Id)
        .all(db)
        .await?;
    for row in rows {
        by_message.entry(row.message_id).or_default().push(row.into());
    }
    Ok(by_message)
}
