//! The final prompt, as Dify's `common_chat` / `common_completion` rules build it: one user
//! message of dataset context, the rendered pre-prompt, the chat history and the query.

use apps::lookup::AppMode;
use serde_json::{Map, Value};

use crate::template::{render, render_one, strip_special_tokens};

/// Wraps retrieved dataset text (both modes).
pub const CONTEXT_PROMPT: &str = "Use the following context as your learned knowledge, inside <context></context> XML tags.\n\n<context>\n{{context}}\n</context>\n\nWhen answer to user:\n- If you don't know, just say that you don't know.\n- If you don't know when you are not sure, ask for clarification.\nAvoid mentioning that you obtained the information from the context.\nAnd answer according to the language of the user's question.\n\n";
/// Wraps the chat history.
pub const HISTORIES_PROMPT: &str = "Here is the chat histories between human and assistant, inside <histories></histories> XML tags.\n\n<histories>\n{{histories}}\n</histories>\n\n";
const CHAT_QUERY_PROMPT: &str = "\n\nHuman: {{query}}\n\nAssistant: ";
const COMPLETION_QUERY_PROMPT: &str = "{{query}}";
/// How history lines name the two sides.
pub const HUMAN_PREFIX: &str = "Human";
pub const ASSISTANT_PREFIX: &str = "Assistant";

/// What goes into a prompt besides the history.
#[derive(Debug, Clone, Copy)]
pub struct PromptParts<'a> {
    pub mode: AppMode,
    pub pre_prompt: &'a str,
    pub inputs: &'a Map<String, Value>,
    pub query: &'a str,
    pub context: Option<&'a str>,
}

impl PromptParts<'_> {
    fn context_block(&self) -> String {
        self.context.filter(|c| !c.is_empty()).map(|c| render_one(CONTEXT_PROMPT, "context", c)).unwrap_or_default()
    }

    fn pre_prompt_block(&self) -> String {
        render(self.pre_prompt, self.inputs)
    }

    fn query_block(&self) -> String {
        let template = match self.mode {
            AppMode::Chat => CHAT_QUERY_PROMPT,
            AppMode::Completion => COMPLETION_QUERY_PROMPT,
        };
        render_one(template, "query", self.query)
    }

    /// The prompt without history: context, pre-prompt, query.
    pub fn without_history(&self) -> String {
        strip_special_tokens(&format!("{}{}{}", self.context_block(), self.pre_prompt_block(), self.query_block()))
    }

    /// The prompt of a chat turn in an existing conversation (`histories` may be empty: the
    /// block is there all the same, as in Dify).
    pub fn with_history(&self, histories: &str) -> String {
        let pre = self.pre_prompt_block();
        let pre = if pre.is_empty() { pre } else { pre + "\n" };
        let histories = render_one(HISTORIES_PROMPT, "histories", histories);
        strip_special_tokens(&format!("{}{pre}{histories}{}", self.context_block(), self.query_block()))
    }
}

/// Stop words of the mode: chat stops before the model writes the human's next turn.
pub fn stop_words(mode: AppMode) -> Option<Vec<String>> {
    match mode {
        AppMode::Chat => Some(vec!["\nHuman:".to_owned(), "</histories>".to_owned()]),
        AppMode::Completion => None,
    }
}

/// Past turns as history lines, oldest first: `Human: q\nAssistant: a\n...` (LangChain's
/// `get_buffer_string`). `lines` alternate human and assistant, and may start with either
/// once pruning removed the oldest.
pub fn history_text(lines: &[(bool, &str)]) -> String {
    lines
        .iter()
        .map(|(human, text)| format!("{}: {text}", if *human { HUMAN_PREFIX } else { ASSISTANT_PREFIX }))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn inputs() -> Map<String, Value> {
        json!({"topic": "tea"}).as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn completion_prompt_is_context_pre_prompt_and_query() {
        let i = inputs();
        let p = PromptParts {
            mode: AppMode::Completion,
            pre_prompt: "About {{topic}}: ",
            inputs: &i,
            query: "go",
            context: None,
        };
        assert_eq!(p.without_history(), "About tea: go");
        let with_ctx = PromptParts { context: Some("Facts<|x|>"), ..p };
        assert!(with_ctx.without_history().starts_with("Use the following context"));
        assert!(with_ctx.without_history().contains("<context>\nFacts\n</context>"));
        assert!(with_ctx.without_history().ends_with("About tea: go"));
    }

    #[test]
    fn chat_prompt_has_histories_block_in_existing_conversations() {
        let i = inputs();
        let p = PromptParts {
            mode: AppMode::Chat,
            pre_prompt: "Talk about {{topic}}.",
            inputs: &i,
            query: "hi",
            context: None,
        };
        assert_eq!(p.without_history(), "Talk about tea.\n\nHuman: hi\n\nAssistant: ");
        let h = history_text(&[(true, "q1"), (false, "a1")]);
        assert_eq!(h, "Human: q1\nAssistant: a1");
        assert_eq!(
            p.with_history(&h),
            "Talk about tea.\nHere is the chat histories between human and assistant, inside <histories></histories> XML tags.\n\n<histories>\nHuman: q1\nAssistant: a1\n</histories>\n\n\n\nHuman: hi\n\nAssistant: "
        );
        assert_eq!(stop_words(AppMode::Chat).map(|s| s.len()), Some(2));
        assert_eq!(stop_words(AppMode::Completion), None);
    }
}
