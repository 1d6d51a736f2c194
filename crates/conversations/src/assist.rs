//! The console's prompt helpers (`/rule-generate`, `/introduction-generate`): the workspace's
//! default model drafts an app's prompt, variables and opening statement from its audience
//! and goal, or a greeting from a finished prompt. Vendor errors surface as Dify's codes.

use crate::ConversationError;
use kernel::ApiError;
use providers::runtime::{ChatMessage, CompletionParams};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::engine::Engine;
use crate::models::default_text_model;

const RULE_INSTRUCTIONS: &str = r#"You design the prompt of an app built on a language model, for the audience and the goal given below.
Write the prompt the model should receive, the variables it uses and an opening statement.
A variable is a name written in double curly braces inside the prompt, like {{topic}}; list every such name, and nothing else, as a variable.
Improve on the wording of the goal where that gives the model a clearer task.

Answer with one markdown code block holding a JSON object and nothing outside it:
```json
{
  "prompt": "the prompt for the model",
  "variables": ["each variable name"],
  "opening_statement": "a short welcome telling users what to ask and which variables to fill in"
}
```

Examples:
```json
{"prompt": "Write a poem about {{subject}} in the style of {{poet}}", "variables": ["subject", "poet"], "opening_statement": "Hello! Tell me a subject and a poet and I will write you a poem."}
```
```json
{"prompt": "Summarise the text the user sends in three bullet points", "variables": [], "opening_statement": "Hi! Paste any text and I will summarise it."}
```
"#;

const INVALID_RULE_INPUT: &str = "Please give a valid input for intended audience or hoping to solve problems.";

/// A prompt, its variables and an opening statement for an app serving `audiences` and
/// solving `hoping_to_solve`, as the model drafted them.
pub async fn rule_config(
    engine: &Engine,
    tenant_id: Uuid,
    audiences: &str,
    hoping_to_solve: &str,
) -> Result<Value, ConversationError> {
    let model = default_text_model(engine, tenant_id).await?;
    let prompt = format!(
        "{RULE_INSTRUCTIONS}\nINTENDED AUDIENCE:\n{audiences}\n\nHOPING TO SOLVE:\n{hoping_to_solve}\n\nOUTPUT:\n"
    );
    let params = CompletionParams { max_tokens: Some(512), temperature: Some(0.0), ..CompletionParams::default() };
    let answer =
        providers::runtime::generate(&engine.http, &model.model, &[ChatMessage::user(prompt)], &params).await?;
    Ok(parse_rule_config(&answer.text).map(Value::Object).ok_or_else(|| ApiError::value_error(INVALID_RULE_INPUT))?)
}

/// A greeting of at most about fifty words for users of an app whose prompt is `prompt_template`.
pub async fn introduction(
    engine: &Engine,
    tenant_id: Uuid,
    prompt_template: &str,
) -> Result<String, ConversationError> {
    let model = default_text_model(engine, tenant_id).await?;
    let prompt = format!(
        "Users talk with an AI through a chat product. Before the conversation, the AI is given this prompt:\n\n```\n{prompt_template}\n```\n\nWrite a short introduction, no longer than 50 words, with which the AI greets the user. Keep the prompt's purpose and inner workings to yourself; make the user feel welcome:\n"
    );
    let answer = providers::runtime::generate(
        &engine.http,
        &model.model,
        &[ChatMessage::user(prompt)],
        &CompletionParams::default(),
    )
    .await?;
    Ok(answer.text.trim().to_owned())
}

/// The JSON object of the model's answer — inside a ```json block, or the whole answer —
/// when it has a string `prompt`, a list `variables` and a string `opening_statement`.
fn parse_rule_config(text: &str) -> Option<Map<String, Value>> {
    let text = text.trim();
    let json = match text.find("```json") {
        Some(start) => {
            let body = &text[start + "```json".len()..];
            // A block cut short by the token limit often still ends in "``".
            let end = body.find("```").or_else(|| body.trim_end().strip_suffix("``").map(str::len))?;
            body[..end].trim()
        }
        None if text.starts_with('{') => text,
        None => return None,
    };
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) else { return None };
    let well_formed = map.get("prompt").is_some_and(Value::is_string)
        && map.get("variables").is_some_and(Value::is_array)
        && map.get("opening_statement").is_some_and(Value::is_string);
    well_formed.then_some(map)
}

#[cfg(test)]
mod tests {
    use super::parse_rule_config;
    use serde_json::json;

    #[test]
    fn reads_the_json_block_or_a_bare_object() {
        let block = "Here:\n```json\n{\"prompt\": \"Hi {{a}}\", \"variables\": [\"a\"], \"opening_statement\": \"Yo\"}\n```\nbye";
        let parsed = parse_rule_config(block).expect("block");
        assert_eq!(parsed["variables"], json!(["a"]));
        let bare = "{\"prompt\": \"p\", \"variables\": [], \"opening_statement\": \"o\", \"extra\": 1}";
        assert_eq!(parse_rule_config(bare).expect("bare")["extra"], json!(1));
        let cut = "```json\n{\"prompt\": \"p\", \"variables\": [], \"opening_statement\": \"o\"}\n``";
        assert!(parse_rule_config(cut).is_some());
    }

    #[test]
    fn refuses_what_is_not_a_rule_config() {
        assert!(parse_rule_config("I cannot help with that.").is_none());
        assert!(
            parse_rule_config("```json\n{\"prompt\": 1, \"variables\": [], \"opening_statement\": \"o\"}\n```")
                .is_none()
        );
        assert!(parse_rule_config("{\"prompt\": \"p\", \"opening_statement\": \"o\"}").is_none());
        assert!(parse_rule_config("```json\n{broken\n```").is_none());
    }
}
