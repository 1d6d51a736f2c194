//! The chat history of a conversation as it goes into the prompt: the last ten answered
//! turns, oldest dropped first until they fit the token budget.

use entities::messages;
use kernel::ApiError;
use providers::runtime::{ChatMessage, count_prompt_tokens};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::engine::Engine;
use crate::models::TextModel;
use crate::prompt::history_text;

/// Turns a prompt's history holds at most.
pub const MESSAGE_LIMIT: u64 = 10;

/// The history text of conversation `id`: its last `limit` answered turns within `budget` tokens.
pub async fn recent(engine: &Engine, model: &TextModel, id: Uuid, budget: i64, limit: u64) -> Result<String, ApiError> {
    let mut rows: Vec<(String, String)> = messages::Entity::find()
        .select_only()
        .column(messages::Column::Query)
        .column(messages::Column::Answer)
        .filter(messages::Column::ConversationId.eq(id))
        .filter(messages::Column::AnswerTokens.gt(0))
        .order_by_desc(messages::Column::CreatedAt)
        .limit(limit)
        .into_tuple()
        .all(&engine.db)
        .await?;
    rows.reverse();
    let mut lines: Vec<(bool, &str)> =
        rows.iter().flat_map(|(q, a)| [(true, q.as_str()), (false, a.as_str())]).collect();
    // Dify counts the turns as chat messages and drops one message at a time from the front.
    loop {
        let chat: Vec<ChatMessage> = lines
            .iter()
            .map(|(human, text)| if *human { ChatMessage::user(*text) } else { ChatMessage::assistant(*text) })
            .collect();
        if lines.is_empty() || i64::from(count_prompt_tokens(&model.model, &chat).await) <= budget {
            break;
        }
        lines.remove(0);
    }
    Ok(history_text(&lines))
}
