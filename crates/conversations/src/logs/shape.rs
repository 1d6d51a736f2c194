//! What the log views answer, field for field as Dify marshals them, and the batch loads
//! that fill them: one query per kind of row for a whole page, never one per item.

use std::collections::{HashMap, HashSet};

use entities::{accounts, app_model_configs, conversations, message_annotations, message_feedbacks, messages};
use kernel::time::unix_seconds;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// `account_fields`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountRef {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

/// `feedback_fields`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedbackView {
    pub rating: String,
    pub content: Option<String>,
    pub from_source: entities::message_feedbacks::FeedbackSide,
    pub from_end_user_id: Option<Uuid>,
    pub from_account: Option<AccountRef>,
}

/// `annotation_fields`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnnotationView {
    pub content: String,
    pub account: Option<AccountRef>,
    pub created_at: i64,
}

/// `message_detail_fields`. The default is what Dify marshals for a missing message.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct MessageDetail {
    pub id: Option<Uuid>,
    pub conversation_id: Option<Uuid>,
    #[schema(value_type = Value)]
    pub inputs: Value,
    pub query: Option<String>,
    #[schema(value_type = Value)]
    pub message: Value,
    pub message_tokens: i32,
    pub answer: Option<String>,
    pub answer_tokens: i32,
    pub provider_response_latency: Option<f64>,
    pub from_source: Option<entities::kinds::FromSource>,
    pub from_end_user_id: Option<Uuid>,
    pub from_account_id: Option<Uuid>,
    pub feedbacks: Option<Vec<FeedbackView>>,
    pub annotation: Option<AnnotationView>,
    pub created_at: Option<i64>,
}

/// `feedback_stat_fields`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FeedbackStats {
    pub like: i64,
    pub dislike: i64,
}

/// `model_config_fields`, read from the conversation's config as Dify's
/// `Conversation.model_config` builds it.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ModelConfigView {
    pub opening_statement: Option<String>,
    #[schema(value_type = Value)]
    pub suggested_questions: Value,
    #[schema(value_type = Value)]
    pub model: Value,
    #[schema(value_type = Value)]
    pub user_input_form: Value,
    pub pre_prompt: Option<String>,
    #[schema(value_type = Value)]
    pub agent_mode: Value,
}

/// `simple_model_config_fields` of the lists.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SimpleModelConfig {
    #[schema(value_type = Value)]
    pub model: Value,
    pub pre_prompt: Option<String>,
}

impl From<ModelConfigView> for SimpleModelConfig {
    /// Dify's list fields read `model_dict`, which the conversation's config dict does not
    /// have: its lists always show `"model": null` (the detail shows the model).
    fn from(c: ModelConfigView) -> Self {
        Self { model: Value::Null, pre_prompt: c.pre_prompt }
    }
}

/// A `fields.String` of a raw JSON value: text as is, null as null, anything else as text.
fn string_field(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

/// `json.loads(text) if text else default`; text that is not JSON counts as absent.
fn json_or(text: Option<&str>, default: Value) -> Value {
    text.filter(|t| !t.is_empty()).and_then(|t| serde_json::from_str(t).ok()).unwrap_or(default)
}

/// The conversation's model config: its debug override when that names a model, else the
/// app config version it was started with. Anything missing renders as null.
pub fn model_config(conv: &conversations::Model, config: Option<&app_model_configs::Model>) -> ModelConfigView {
    if let Some(text) = conv.override_model_configs.as_deref() {
        // An override without `model` is a legacy `configs` blob: none of these fields.
        let Ok(Value::Object(o)) = serde_json::from_str::<Value>(text) else { return ModelConfigView::default() };
        if !o.contains_key("model") {
            return ModelConfigView::default();
        }
        let raw = |k: &str| o.get(k).cloned().unwrap_or(Value::Null);
        return ModelConfigView {
            opening_statement: string_field(o.get("opening_statement")),
            suggested_questions: raw("suggested_questions"),
            model: raw("model"),
            user_input_form: raw("user_input_form"),
            pre_prompt: string_field(o.get("pre_prompt")),
            agent_mode: raw("agent_mode"),
        };
    }
    let Some(c) = config else { return ModelConfigView::default() };
    ModelConfigView {
        opening_statement: c.opening_statement.clone(),
        suggested_questions: json_or(c.suggested_questions.as_deref(), json!([])),
        model: json_or(c.model.as_deref(), Value::Null),
        user_input_form: json_or(c.user_input_form.as_deref(), json!([])),
        pre_prompt: c.pre_prompt.clone(),
        agent_mode: json_or(c.agent_mode.as_deref(), json!({"enabled": false, "strategy": null, "tools": []})),
    }
}

/// The app config versions the conversations without a debug override were started with.
pub async fn configs_of(
    db: &impl ConnectionTrait,
    convs: &[conversations::Model],
) -> Result<HashMap<Uuid, app_model_configs::Model>, DbErr> {
    let ids: HashSet<Uuid> =
        convs.iter().filter(|c| c.override_model_configs.is_none()).map(|c| c.app_model_config_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = app_model_configs::Entity::find().filter(app_model_configs::Column::Id.is_in(ids)).all(db).await?;
    Ok(rows.into_iter().map(|r| (r.id, r)).collect())
}

/// The named accounts as `account_fields`.
pub async fn accounts_by_id(db: &impl ConnectionTrait, ids: HashSet<Uuid>) -> Result<HashMap<Uuid, AccountRef>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = accounts::Entity::find().filter(accounts::Column::Id.is_in(ids)).all(db).await?;
    Ok(rows.into_iter().map(|a| (a.id, AccountRef { id: a.id, name: a.name, email: a.email })).collect())
}

pub fn annotation_view(a: &message_annotations::Model, accounts: &HashMap<Uuid, AccountRef>) -> AnnotationView {
    AnnotationView {
        content: a.content.clone(),
        account: accounts.get(&a.account_id).cloned(),
        created_at: unix_seconds(a.created_at),
    }
}

/// `message_detail` for each message, in order, with its feedbacks and annotation.
pub async fn message_details(
    db: &impl ConnectionTrait,
    rows: Vec<messages::Model>,
) -> Result<Vec<MessageDetail>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    let feedbacks = message_feedbacks::Entity::find()
        .filter(message_feedbacks::Column::MessageId.is_in(ids.clone()))
        .order_by_asc(message_feedbacks::Column::CreatedAt)
        .order_by_asc(message_feedbacks::Column::Id)
        .all(db)
        .await?;
    let annotations = message_annotations::Entity::find()
        .filter(message_annotations::Column::MessageId.is_in(ids))
        .order_by_asc(message_annotations::Column::CreatedAt)
        .order_by_asc(message_annotations::Column::Id)
        .all(db)
        .await?;
    let people = feedbacks.iter().filter_map(|f| f.from_account_id).chain(annotations.iter().map(|a| a.account_id));
    let accounts = accounts_by_id(db, people.collect()).await?;

    let mut feedbacks_of: HashMap<Uuid, Vec<FeedbackView>> = HashMap::new();
    for f in feedbacks {
        feedbacks_of.entry(f.message_id).or_default().push(FeedbackView {
            from_account: f.from_account_id.and_then(|id| accounts.get(&id).cloned()),
            rating: f.rating,
            content: f.content,
            from_source: f.from_source,
            from_end_user_id: f.from_end_user_id,
        });
    }
    // One annotation per message; should a race have made two, the first one counts.
    let mut annotation_of: HashMap<Uuid, AnnotationView> = HashMap::new();
    for a in &annotations {
        annotation_of.entry(a.message_id).or_insert_with(|| annotation_view(a, &accounts));
    }
    Ok(rows
        .into_iter()
        .map(|m| MessageDetail {
            id: Some(m.id),
            conversation_id: Some(m.conversation_id),
            inputs: m.inputs.unwrap_or(Value::Null),
            query: Some(m.query),
            message: m.message,
            message_tokens: m.message_tokens,
            answer: Some(m.answer),
            answer_tokens: m.answer_tokens,
            provider_response_latency: Some(m.provider_response_latency),
            from_source: Some(m.from_source),
            from_end_user_id: m.from_end_user_id,
            from_account_id: m.from_account_id,
            feedbacks: Some(feedbacks_of.remove(&m.id).unwrap_or_default()),
            annotation: annotation_of.remove(&m.id),
            created_at: Some(unix_seconds(m.created_at)),
        })
        .collect())
}

/// Each conversation's first message (the earliest; ties go to the smallest id).
pub async fn first_messages(
    db: &impl ConnectionTrait,
    conversation_ids: &[Uuid],
) -> Result<HashMap<Uuid, messages::Model>, DbErr> {
    if conversation_ids.is_empty() {
        return Ok(HashMap::new());
    }
    // `NOT EXISTS (an earlier message of the same conversation)` keeps the work in SQL and
    // compares columns with columns, alike on both backends.
    let earlier = Query::select()
        .expr(Expr::val(1))
        .from_as(messages::Entity, "earlier")
        .and_where(
            Expr::col(("earlier", messages::Column::ConversationId))
                .equals((messages::Entity, messages::Column::ConversationId)),
        )
        .and_where(
            Expr::col(("earlier", messages::Column::CreatedAt))
                .lt(Expr::col((messages::Entity, messages::Column::CreatedAt))),
        )
        .to_owned();
    let rows = messages::Entity::find()
        .filter(messages::Column::ConversationId.is_in(conversation_ids.iter().copied()))
        .filter(Expr::not_exists(earlier))
        .order_by_asc(messages::Column::Id)
        .all(db)
        .await?;
    let mut first = HashMap::new();
    for m in rows {
        first.entry(m.conversation_id).or_insert(m);
    }
    Ok(first)
}

/// Messages per conversation.
pub async fn message_counts(db: &impl ConnectionTrait, conversation_ids: &[Uuid]) -> Result<HashMap<Uuid, i64>, DbErr> {
    if conversation_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = messages::Entity::find()
        .select_only()
        .column(messages::Column::ConversationId)
        .expr(Expr::col((messages::Entity, messages::Column::Id)).count())
        .filter(messages::Column::ConversationId.is_in(conversation_ids.iter().copied()))
        .group_by(messages::Column::ConversationId)
        .into_tuple::<(Uuid, i64)>()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Likes and dislikes per conversation: (from users, from admins).
pub async fn feedback_stats(
    db: &impl ConnectionTrait,
    conversation_ids: &[Uuid],
) -> Result<HashMap<Uuid, (FeedbackStats, FeedbackStats)>, DbErr> {
    if conversation_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = message_feedbacks::Entity::find()
        .select_only()
        .column(message_feedbacks::Column::ConversationId)
        .column(message_feedbacks::Column::FromSource)
        .column(message_feedbacks::Column::Rating)
        .expr(Expr::col((message_feedbacks::Entity, message_feedbacks::Column::Id)).count())
        .filter(message_feedbacks::Column::ConversationId.is_in(conversation_ids.iter().copied()))
        .group_by(message_feedbacks::Column::ConversationId)
        .group_by(message_feedbacks::Column::FromSource)
        .group_by(message_feedbacks::Column::Rating)
        .into_tuple::<(Uuid, entities::message_feedbacks::FeedbackSide, String, i64)>()
        .all(db)
        .await?;
    let mut stats: HashMap<Uuid, (FeedbackStats, FeedbackStats)> = HashMap::new();
    for (conversation, source, rating, n) in rows {
        let entry = stats.entry(conversation).or_default();
        let side = match source {
            entities::message_feedbacks::FeedbackSide::User => &mut entry.0,
            entities::message_feedbacks::FeedbackSide::Admin => &mut entry.1,
        };
        match rating.as_str() {
            "like" => side.like += n,
            "dislike" => side.dislike += n,
            _ => {}
        }
    }
    Ok(stats)
}
