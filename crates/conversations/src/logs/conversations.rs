//! Conversation lists (page pagination, newest first), details and soft deletion.

use crate::ConversationError;
use std::collections::{HashMap, HashSet};

use apps::lookup::{AppMode, app_for_tenant};
use entities::{conversations, end_users, message_annotations, messages};
use kernel::ApiError;
use kernel::time::{now_naive, unix_seconds};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::filter::{LogFilter, live};
use super::shape::{
    self, AnnotationView, FeedbackStats, MessageDetail, ModelConfigView, SimpleModelConfig, annotation_view,
};

/// `conversation_pagination_fields`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConversationPage<T> {
    pub page: u64,
    pub limit: u64,
    pub total: u64,
    pub has_more: bool,
    pub data: Vec<T>,
}

/// `simple_message_detail_fields`: the first message of a completion conversation.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SimpleMessage {
    #[schema(value_type = Value)]
    pub inputs: Value,
    pub query: Option<String>,
    /// The text of the first prompt entry.
    pub message: Option<String>,
    pub answer: Option<String>,
}

/// An item of the completion-conversations list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompletionConversationItem {
    pub id: Uuid,
    pub status: entities::kinds::RowStatus,
    pub from_source: entities::kinds::FromSource,
    pub from_end_user_id: Option<Uuid>,
    pub from_end_user_session_id: Option<String>,
    pub from_account_id: Option<Uuid>,
    pub read_at: Option<i64>,
    pub created_at: i64,
    pub annotation: Option<AnnotationView>,
    pub model_config: SimpleModelConfig,
    pub user_feedback_stats: FeedbackStats,
    pub admin_feedback_stats: FeedbackStats,
    pub message: SimpleMessage,
}

/// An item of the chat-conversations list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChatConversationItem {
    pub id: Uuid,
    pub status: entities::kinds::RowStatus,
    pub from_source: entities::kinds::FromSource,
    pub from_end_user_id: Option<Uuid>,
    pub from_end_user_session_id: Option<String>,
    pub from_account_id: Option<Uuid>,
    /// The summary, else the first message's query, else empty.
    pub summary: String,
    pub read_at: Option<i64>,
    pub created_at: i64,
    pub annotated: bool,
    pub model_config: SimpleModelConfig,
    pub message_count: i64,
    pub user_feedback_stats: FeedbackStats,
    pub admin_feedback_stats: FeedbackStats,
}

/// A completion conversation opened in the log drawer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompletionConversationDetail {
    pub id: Uuid,
    pub status: entities::kinds::RowStatus,
    pub from_source: entities::kinds::FromSource,
    pub from_end_user_id: Option<Uuid>,
    pub from_account_id: Option<Uuid>,
    pub created_at: i64,
    pub model_config: ModelConfigView,
    pub message: MessageDetail,
}

/// A chat conversation opened in the log drawer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChatConversationDetail {
    pub id: Uuid,
    pub status: entities::kinds::RowStatus,
    pub from_source: entities::kinds::FromSource,
    pub from_end_user_id: Option<Uuid>,
    pub from_account_id: Option<Uuid>,
    pub created_at: i64,
    pub annotated: bool,
    pub model_config: ModelConfigView,
    pub message_count: i64,
    pub user_feedback_stats: FeedbackStats,
    pub admin_feedback_stats: FeedbackStats,
}

/// One page of the filtered conversations, newest first.
async fn page_of(
    db: &DatabaseConnection,
    query: Select<conversations::Entity>,
    f: &LogFilter,
) -> Result<(u64, Vec<conversations::Model>), ApiError> {
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(conversations::Column::CreatedAt)
        .order_by_desc(conversations::Column::Id)
        .offset(f.page.offset())
        .limit(f.page.limit)
        .all(db)
        .await?;
    Ok((total, rows))
}

/// What every list item shows besides the conversation row itself.
struct Extras {
    first: HashMap<Uuid, messages::Model>,
    stats: HashMap<Uuid, (FeedbackStats, FeedbackStats)>,
    sessions: HashMap<Uuid, String>,
    configs: HashMap<Uuid, entities::app_model_configs::Model>,
}

impl Extras {
    async fn load(db: &DatabaseConnection, rows: &[conversations::Model]) -> Result<Self, ApiError> {
        let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
        let users: HashSet<Uuid> = rows.iter().filter_map(|c| c.from_end_user_id).collect();
        let sessions = if users.is_empty() {
            HashMap::new()
        } else {
            end_users::Entity::find()
                .select_only()
                .column(end_users::Column::Id)
                .column(end_users::Column::SessionId)
                .filter(end_users::Column::Id.is_in(users))
                .into_tuple::<(Uuid, String)>()
                .all(db)
                .await?
                .into_iter()
                .collect()
        };
        Ok(Self {
            first: shape::first_messages(db, &ids).await?,
            stats: shape::feedback_stats(db, &ids).await?,
            sessions,
            configs: shape::configs_of(db, rows).await?,
        })
    }

    fn config(&self, c: &conversations::Model) -> ModelConfigView {
        shape::model_config(c, self.configs.get(&c.app_model_config_id))
    }

    fn session(&self, c: &conversations::Model) -> Option<String> {
        c.from_end_user_id.and_then(|id| self.sessions.get(&id).cloned())
    }
}

fn page<T>(f: &LogFilter, total: u64, data: Vec<T>) -> ConversationPage<T> {
    ConversationPage { page: f.page.page, limit: f.page.limit, total, has_more: f.page.has_more(total), data }
}

/// The text of a prompt's first entry, as Dify's `MessageTextField` reads it.
fn prompt_text(message: &Value) -> String {
    match message.as_array().and_then(|a| a.first()).and_then(|m| m.get("text")) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// `GET /apps/<id>/completion-conversations`.
pub async fn completion_conversations(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    app_id: Uuid,
    f: &LogFilter,
) -> Result<ConversationPage<CompletionConversationItem>, ConversationError> {
    let app = app_for_tenant(db, tenant_id, app_id, Some(AppMode::Completion)).await?;
    let (total, rows) = page_of(db, f.query(app.id, AppMode::Completion), f).await?;
    let extras = Extras::load(db, &rows).await?;
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    let annotations = if ids.is_empty() {
        Vec::new()
    } else {
        message_annotations::Entity::find()
            .filter(message_annotations::Column::ConversationId.is_in(ids))
            .order_by_asc(message_annotations::Column::CreatedAt)
            .order_by_asc(message_annotations::Column::Id)
            .all(db)
            .await?
    };
    let accounts = shape::accounts_by_id(db, annotations.iter().map(|a| a.account_id).collect()).await?;
    let mut annotation_of = HashMap::new();
    for a in &annotations {
        annotation_of.entry(a.conversation_id).or_insert_with(|| annotation_view(a, &accounts));
    }
    let data = rows
        .into_iter()
        .map(|c| {
            let (user, admin) = extras.stats.get(&c.id).copied().unwrap_or_default();
            let message = extras.first.get(&c.id).map_or_else(SimpleMessage::default, |m| SimpleMessage {
                inputs: m.inputs.clone().unwrap_or(Value::Null),
                query: Some(m.query.clone()),
                message: Some(prompt_text(&m.message)),
                answer: Some(m.answer.clone()),
            });
            CompletionConversationItem {
                from_end_user_session_id: extras.session(&c),
                model_config: extras.config(&c).into(),
                annotation: annotation_of.remove(&c.id),
                read_at: c.read_at.map(unix_seconds),
                created_at: unix_seconds(c.created_at),
                user_feedback_stats: user,
                admin_feedback_stats: admin,
                message,
                id: c.id,
                status: c.status,
                from_source: c.from_source,
                from_end_user_id: c.from_end_user_id,
                from_account_id: c.from_account_id,
            }
        })
        .collect();
    Ok(page(f, total, data))
}

/// The conversations among `ids` that have an annotation.
async fn annotated_among(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashSet<Uuid>, ApiError> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let rows = message_annotations::Entity::find()
        .select_only()
        .column(message_annotations::Column::ConversationId)
        .distinct()
        .filter(message_annotations::Column::ConversationId.is_in(ids.iter().copied()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// `GET /apps/<id>/chat-conversations`.
pub async fn chat_conversations(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    app_id: Uuid,
    f: &LogFilter,
) -> Result<ConversationPage<ChatConversationItem>, ConversationError> {
    let app = app_for_tenant(db, tenant_id, app_id, Some(AppMode::Chat)).await?;
    let (total, rows) = page_of(db, f.query(app.id, AppMode::Chat), f).await?;
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    let extras = Extras::load(db, &rows).await?;
    let counts = shape::message_counts(db, &ids).await?;
    let annotated = annotated_among(db, &ids).await?;
    let data = rows
        .into_iter()
        .map(|c| {
            let (user, admin) = extras.stats.get(&c.id).copied().unwrap_or_default();
            let summary = match c.summary.as_deref().filter(|s| !s.is_empty()) {
                Some(s) => s.to_owned(),
                None => extras.first.get(&c.id).map(|m| m.query.clone()).unwrap_or_default(),
            };
            ChatConversationItem {
                from_end_user_session_id: extras.session(&c),
                model_config: extras.config(&c).into(),
                summary,
                read_at: c.read_at.map(unix_seconds),
                created_at: unix_seconds(c.created_at),
                annotated: annotated.contains(&c.id),
                message_count: counts.get(&c.id).copied().unwrap_or(0),
                user_feedback_stats: user,
                admin_feedback_stats: admin,
                id: c.id,
                status: c.status,
                from_source: c.from_source,
                from_end_user_id: c.from_end_user_id,
                from_account_id: c.from_account_id,
            }
        })
        .collect();
    Ok(page(f, total, data))
}

/// The app's live conversation `id`, or Dify's 404.
pub(crate) async fn live_conversation(
    db: &DatabaseConnection,
    app_id: Uuid,
    id: Uuid,
) -> Result<conversations::Model, ApiError> {
    live(app_id)
        .filter(conversations::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Conversation Not Exists."))
}

/// Opens a conversation: the first read records who read it and when. Guarded by
/// `read_at IS NULL`, so concurrent first reads keep the earliest reader.
async fn open(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    app_id: Uuid,
    id: Uuid,
    account_id: Uuid,
    mode: AppMode,
) -> Result<conversations::Model, ConversationError> {
    let app = app_for_tenant(db, tenant_id, app_id, Some(mode)).await?;
    let conv = live_conversation(db, app.id, id).await?;
    if conv.read_at.is_none() {
        conversations::Entity::update_many()
            .col_expr(conversations::Column::ReadAt, Expr::value(now_naive()))
            .col_expr(conversations::Column::ReadAccountId, Expr::value(account_id))
            .filter(conversations::Column::Id.eq(conv.id))
            .filter(conversations::Column::ReadAt.is_null())
            .exec(db)
            .await?;
    }
    Ok(conv)
}

/// `GET /apps/<id>/completion-conversations/<cid>`.
pub async fn completion_conversation(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    app_id: Uuid,
    id: Uuid,
    account_id: Uuid,
) -> Result<CompletionConversationDetail, ConversationError> {
    let c = open(db, tenant_id, app_id, id, account_id, AppMode::Completion).await?;
    let configs = shape::configs_of(db, std::slice::from_ref(&c)).await?;
    let first = shape::first_messages(db, &[c.id]).await?.remove(&c.id);
    let message = match first {
        Some(m) => shape::message_details(db, vec![m]).await?.pop().unwrap_or_default(),
        None => MessageDetail::default(),
    };
    Ok(CompletionConversationDetail {
        model_config: shape::model_config(&c, configs.get(&c.app_model_config_id)),
        created_at: unix_seconds(c.created_at),
        message,
        id: c.id,
        status: c.status,
        from_source: c.from_source,
        from_end_user_id: c.from_end_user_id,
        from_account_id: c.from_account_id,
    })
}

/// `GET /apps/<id>/chat-conversations/<cid>`.
pub async fn chat_conversation(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    app_id: Uuid,
    id: Uuid,
    account_id: Uuid,
) -> Result<ChatConversationDetail, ConversationError> {
    let c = open(db, tenant_id, app_id, id, account_id, AppMode::Chat).await?;
    let configs = shape::configs_of(db, std::slice::from_ref(&c)).await?;
    let (user, admin) = shape::feedback_stats(db, &[c.id]).await?.remove(&c.id).unwrap_or_default();
    let message_count = shape::message_counts(db, &[c.id]).await?.remove(&c.id).unwrap_or(0);
    let annotated = !annotated_among(db, &[c.id]).await?.is_empty();
    Ok(ChatConversationDetail {
        model_config: shape::model_config(&c, configs.get(&c.app_model_config_id)),
        created_at: unix_seconds(c.created_at),
        annotated,
        message_count,
        user_feedback_stats: user,
        admin_feedback_stats: admin,
        id: c.id,
        status: c.status,
        from_source: c.from_source,
        from_end_user_id: c.from_end_user_id,
        from_account_id: c.from_account_id,
    })
}

/// `DELETE /apps/<id>/{chat,completion}-conversations/<cid>`: marks it deleted. The app
/// must be of the route's mode (Dify asks for a chat app on both routes, which no
/// completion app is).
pub async fn delete_conversation(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    app_id: Uuid,
    id: Uuid,
    mode: AppMode,
) -> Result<(), ConversationError> {
    let app = app_for_tenant(db, tenant_id, app_id, Some(mode)).await?;
    let conv = live_conversation(db, app.id, id).await?;
    // Only a live one: of parallel deletes one wins, the others answer 404.
    let gone = conversations::Entity::update_many()
        .col_expr(conversations::Column::IsDeleted, Expr::value(true))
        .col_expr(conversations::Column::UpdatedAt, Expr::value(now_naive()))
        .filter(conversations::Column::Id.eq(conv.id))
        .filter(conversations::Column::IsDeleted.eq(false))
        .exec(db)
        .await?;
    if gone.rows_affected == 0 {
        return Err(ApiError::not_found("Conversation Not Exists.").into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_text_reads_the_first_entry() {
        assert_eq!(prompt_text(&serde_json::json!([{"role": "user", "text": "hi"}, {"text": "x"}])), "hi");
        assert_eq!(prompt_text(&serde_json::json!([])), "");
        assert_eq!(prompt_text(&serde_json::json!({"text": "not a list"})), "");
    }
}
