//! Suggested questions after an answer: the workspace's default model guesses three short
//! follow-ups from the conversation's last turns. Any model failure is an empty list.

use crate::ConversationError;
use ::apps::lookup::AppMode;
use entities::{apps, conversations};
use kernel::ApiError;
use providers::runtime::{ChatMessage, CompletionParams};
use sea_orm::EntityTrait;
use serde_json::Value;
use uuid::Uuid;

use crate::engine::Engine;
use crate::generate::history;
use crate::models::default_text_model;
use crate::{Caller, lookup};

const INSTRUCTION: &str = "Please help me predict the three most likely questions that human would ask, and keeping each question under 20 characters.\nThe output must be an array in JSON format following the specified schema:\n[\"question1\",\"question2\",\"question3\"]\n";

/// Follow-up questions for the caller's message `message_id`; `check_enabled` is false for
/// the console, which asks whatever the app's setting.
pub async fn after_answer(
    engine: &Engine,
    app: &apps::Model,
    caller: Caller,
    message_id: Uuid,
    check_enabled: bool,
) -> Result<Vec<String>, ConversationError> {
    let message = lookup::caller_message(&engine.db, app, caller, message_id).await?;
    let conversation = conversations::Entity::find_by_id(message.conversation_id)
        .one(&engine.db)
        .await?
        .filter(|c| !c.is_deleted && c.app_id == app.id)
        .ok_or_else(|| ApiError::not_found("Conversation Not Exists."))?;
    let config = crate::generate::conversation_config(engine, app, &conversation).await?;
    if check_enabled && !config.enabled("suggested_questions_after_answer") {
        return Err(ConversationError::SuggestionsDisabled);
    }
    if app.mode != AppMode::Chat {
        return Ok(Vec::new());
    }
    let Ok(model) = default_text_model(engine, app.tenant_id).await else { return Ok(Vec::new()) };
    let histories = history::recent(engine, &model, conversation.id, 3000, 3).await?;
    let prompt = format!("{histories}\n{INSTRUCTION}\nquestions:\n");
    let params = CompletionParams { max_tokens: Some(256), temperature: Some(0.0), ..CompletionParams::default() };
    match providers::runtime::generate(&engine.http, &model.model, &[ChatMessage::user(prompt)], &params).await {
        Ok(answer) => Ok(parse(&answer.text)),
        Err(e) => {
            tracing::info!(error = %e, "suggested questions failed");
            Ok(Vec::new())
        }
    }
}

/// The JSON list of strings in the model's answer, or nothing.
fn parse(text: &str) -> Vec<String> {
    let Some((start, end)) = text.find("[\"").zip(text.rfind("\"]")) else { return Vec::new() };
    if start > end {
        return Vec::new();
    }
    match serde_json::from_str::<Value>(&text[start..end + 2]) {
        Ok(Value::Array(items)) => items.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_list_in_the_answer() {
        assert_eq!(super::parse("Sure:\n[\"How?\", \"Why?\"]\nDone"), vec!["How?", "Why?"]);
        assert!(super::parse("no list").is_empty());
        assert!(super::parse("[\"broken").is_empty());
    }
}
