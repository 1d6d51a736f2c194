//! Titles for new chat conversations, asked of the workspace's default model by a
//! `generation` job after the first answer (the console and web apps show them in the list).
//! A chat conversation is created as [`FALLBACK_NAME`], so no list ever shows it blank.

use entities::{apps, conversations, messages};
use kernel::time::now_naive;
use providers::runtime::{ChatMessage, CompletionParams};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QueryTrait, sea_query::Expr};
use serde_json::Value;
use uuid::Uuid;

use crate::engine::Engine;
use crate::models::default_text_model;

/// The name Dify gives when the model cannot name a conversation.
pub const FALLBACK_NAME: &str = "New conversation";
/// Longest name kept, in characters ("..." follows a longer one).
const MAX_NAME_CHARS: usize = 75;

const TITLE_PROMPT: &str = "Give the conversation that starts with the user's input below a short title: the \
user's intention and subject, as short as possible, in the SAME language as the input (an emoji is welcome when \
the question is about you). Answer with JSON only, in the form {\"Your Output\": \"<title>\"}.\n\nUser Input: ";

/// Names conversation `id` if it still has the name it was created with. `known` is its
/// workspace and first query when the job carried them (then nothing is read before the
/// model call). Database failures are returned (the job retries); a model failure or an
/// answer that is not Dify's JSON keeps [`FALLBACK_NAME`], as Dify does.
pub async fn name_conversation(engine: &Engine, id: Uuid, known: Option<(Uuid, String)>) -> Result<(), DbErr> {
    let (tenant_id, query, read) = match known {
        Some((tenant_id, query)) => (tenant_id, query, None),
        None => {
            let Some(conversation) = conversations::Entity::find_by_id(id).one(&engine.db).await? else {
                return Ok(());
            };
            let unnamed = conversation.name.is_empty() || conversation.name == FALLBACK_NAME;
            if !unnamed || conversation.mode != entities::apps::AppMode::Chat {
                return Ok(());
            }
            let Some(app) = apps::Entity::find_by_id(conversation.app_id).one(&engine.db).await? else {
                return Ok(());
            };
            let first = messages::Entity::find()
                .filter(messages::Column::ConversationId.eq(id))
                .order_by_asc(messages::Column::CreatedAt)
                .one(&engine.db)
                .await?;
            let Some(first) = first else { return Ok(()) };
            (app.tenant_id, first.query, Some(conversation))
        }
    };
    let name = match title(engine, tenant_id, &query).await {
        Some(t) if !t.is_empty() => cap(&t),
        _ => FALLBACK_NAME.to_owned(),
    };
    let update = conversations::Entity::update_many()
        .col_expr(conversations::Column::Name, Expr::value(name.as_str()))
        .col_expr(conversations::Column::UpdatedAt, Expr::value(now_naive()))
        .filter(conversations::Column::Id.eq(id));
    // Only as it was: a rename that came first wins (it moves the name and `updated_at`).
    let update = match read {
        Some(c) if name == c.name => return Ok(()),
        Some(c) => update
            .filter(conversations::Column::Name.eq(c.name.as_str()))
            .filter(conversations::Column::UpdatedAt.eq(c.updated_at)),
        None if name == FALLBACK_NAME => return Ok(()),
        None => update.filter(conversations::Column::Name.eq(FALLBACK_NAME)),
    };
    // Through the writer: grouped with chats' writes on SQLite, off the pool on PostgreSQL.
    engine.writes.write(vec![update.into_query().into()]).await
}

async fn title(engine: &Engine, tenant_id: Uuid, query: &str) -> Option<String> {
    let model = default_text_model(engine, tenant_id).await.ok()?;
    let prompt = format!("{TITLE_PROMPT}{}\n", shorten(query).replace('\n', " "));
    let params = CompletionParams { max_tokens: Some(100), temperature: Some(1.0), ..CompletionParams::default() };
    let result = providers::runtime::generate(&engine.http, &model.model, &[ChatMessage::user(prompt)], &params)
        .await
        .map_err(|e| tracing::info!(error = %e, "conversation naming failed"))
        .ok()?;
    parse_title(&result.text)
}

/// Long queries keep their head and tail, as Dify trims them.
pub fn shorten(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 2000 {
        return text.to_owned();
    }
    let head: String = chars[..300].iter().collect();
    let tail: String = chars[chars.len() - 300..].iter().collect();
    format!("{head}...[TRUNCATED]...{tail}")
}

/// `"Your Output"` of the model's JSON answer (found inside any text around it); None when
/// the answer holds no such JSON, as Dify's `json.loads` then fails.
fn parse_title(answer: &str) -> Option<String> {
    let json = answer.find('{').zip(answer.rfind('}')).and_then(|(a, b)| (a < b).then(|| &answer[a..=b]))?;
    let parsed = serde_json::from_str::<Value>(json).ok()?;
    parsed.get("Your Output").and_then(Value::as_str).map(|t| t.trim().to_owned())
}

/// At most 75 characters and `...`, without control characters (a model's NUL would make
/// PostgreSQL refuse the name and the job retry forever).
fn cap(name: &str) -> String {
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    if name.chars().count() > MAX_NAME_CHARS {
        format!("{}...", name.chars().take(MAX_NAME_CHARS).collect::<String>())
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_parsed_and_capped() {
        assert_eq!(parse_title("sure: {\"Your Output\": \" Tea talk \"}").as_deref(), Some("Tea talk"));
        assert_eq!(parse_title("\"Just text\""), None);
        assert_eq!(parse_title("{\"title\": \"x\"}"), None);
        assert_eq!(cap(&"x".repeat(80)).chars().count(), 78);
        let long = format!("{}{}", "a".repeat(1500), "b".repeat(1500));
        let s = shorten(&long);
        assert!(s.starts_with(&"a".repeat(300)) && s.ends_with(&"b".repeat(300)) && s.contains("...[TRUNCATED]..."));
    }
}
