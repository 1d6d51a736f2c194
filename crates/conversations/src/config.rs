//! The model configuration a generation runs with: an app's stored config row, or the JSON a
//! console debug session (or a conversation started by one) overrides it with.

use entities::app_model_configs;
use serde_json::{Map, Value};
use uuid::Uuid;

/// A model configuration as Dify's `model_config_fields` dict.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The `app_model_configs` row this config is (or overrides).
    pub id: Uuid,
    pub dict: Value,
}

impl AppConfig {
    pub fn from_row(row: &app_model_configs::Model) -> Self {
        Self { id: row.id, dict: apps::model_config::fields(row) }
    }

    /// A config given as JSON (an override), standing in for row `id`.
    pub fn from_json(id: Uuid, dict: Value) -> Self {
        Self { id, dict }
    }

    fn str_at(&self, key: &str) -> &str {
        self.dict.get(key).and_then(Value::as_str).unwrap_or_default()
    }

    pub fn provider(&self) -> &str {
        self.dict.pointer("/model/provider").and_then(Value::as_str).unwrap_or_default()
    }

    pub fn model_name(&self) -> &str {
        self.dict.pointer("/model/name").and_then(Value::as_str).unwrap_or_default()
    }

    /// `model.completion_params` (an empty object when absent).
    pub fn completion_params(&self) -> Value {
        self.dict.pointer("/model/completion_params").cloned().unwrap_or_else(|| Value::Object(Map::new()))
    }

    /// Replaces `model.completion_params` (a debug turn in an existing conversation).
    pub fn set_completion_params(&mut self, params: Value) {
        if let Some(model) = self.dict.get_mut("model").and_then(Value::as_object_mut) {
            model.insert("completion_params".into(), params);
        }
    }

    pub fn pre_prompt(&self) -> &str {
        self.str_at("pre_prompt")
    }

    pub fn opening_statement(&self) -> &str {
        self.str_at("opening_statement")
    }

    pub fn user_input_form(&self) -> &[Value] {
        self.dict.get("user_input_form").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
    }

    /// Whether a `{enabled}` feature (`more_like_this`, `suggested_questions_after_answer`,
    /// `speech_to_text`, `retriever_resource`, `agent_mode`) is on.
    pub fn enabled(&self, feature: &str) -> bool {
        self.dict.get(feature).and_then(|f| f.get("enabled")).and_then(Value::as_bool).unwrap_or(false)
    }

    /// The datasets the app answers from: enabled `dataset` tools of an enabled `agent_mode`.
    pub fn dataset_ids(&self) -> Vec<Uuid> {
        if !self.enabled("agent_mode") {
            return Vec::new();
        }
        let tools = self.dict.pointer("/agent_mode/tools").and_then(Value::as_array).map(Vec::as_slice);
        tools
            .unwrap_or_default()
            .iter()
            .filter_map(|t| t.get("dataset"))
            .filter(|d| d.get("enabled").and_then(Value::as_bool).unwrap_or(false))
            .filter_map(|d| d.get("id").and_then(Value::as_str).and_then(|s| s.parse().ok()))
            .collect()
    }

    /// The app's sensitive-word avoidance rule, when it is on (and, for keywords, has words).
    pub fn sensitive_rule(&self) -> Option<SensitiveRule> {
        let swa = self.dict.get("sensitive_word_avoidance")?;
        if !self.enabled("sensitive_word_avoidance") {
            return None;
        }
        let canned = swa.get("canned_response").and_then(Value::as_str).filter(|c| !c.is_empty());
        let canned =
            canned.unwrap_or("Your content violates our usage policy. Please revise and try again.").to_owned();
        if swa.get("type").and_then(Value::as_str) == Some("moderation") {
            return Some(SensitiveRule { check: SensitiveCheck::Moderation, canned });
        }
        let words = swa.get("words").and_then(Value::as_str).unwrap_or_default();
        // Dify splits on bare commas; "a, b" clearly means the words "a" and "b".
        let words: Vec<String> = words.split(',').map(str::trim).filter(|w| !w.is_empty()).map(str::to_owned).collect();
        (!words.is_empty()).then_some(SensitiveRule { check: SensitiveCheck::Keywords(words), canned })
    }
}

/// Sensitive-word avoidance: how a query is screened and what is answered when it is caught.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensitiveRule {
    pub check: SensitiveCheck,
    pub canned: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SensitiveCheck {
    /// The query contains one of these words.
    Keywords(Vec<String>),
    /// OpenAI's moderation model flags the query.
    Moderation,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_model_form_and_features() {
        let mut c = AppConfig::from_json(
            Uuid::nil(),
            json!({
                "model": {"provider": "openai", "name": "gpt-4", "completion_params": {"max_tokens": 9}},
                "pre_prompt": "p", "more_like_this": {"enabled": true},
                "user_input_form": [{"text-input": {"variable": "a"}}],
                "sensitive_word_avoidance": {"enabled": true, "words": "bad, worse", "canned_response": ""}
            }),
        );
        assert_eq!((c.provider(), c.model_name(), c.pre_prompt()), ("openai", "gpt-4", "p"));
        assert!(c.enabled("more_like_this") && !c.enabled("speech_to_text"));
        assert_eq!(c.user_input_form().len(), 1);
        c.set_completion_params(json!({"max_tokens": 3}));
        assert_eq!(c.completion_params(), json!({"max_tokens": 3}));
        let rule = c.sensitive_rule().expect("rule");
        assert_eq!(rule.check, SensitiveCheck::Keywords(vec!["bad".into(), "worse".into()]));
        assert!(rule.canned.starts_with("Your content violates"));
        let moderated = AppConfig::from_json(
            Uuid::nil(),
            json!({"sensitive_word_avoidance": {"enabled": true, "type": "moderation", "canned_response": "No."}}),
        );
        assert_eq!(
            moderated.sensitive_rule(),
            Some(SensitiveRule { check: SensitiveCheck::Moderation, canned: "No.".into() })
        );
        let off =
            AppConfig::from_json(Uuid::nil(), json!({"sensitive_word_avoidance": {"enabled": false, "words": "x"}}));
        assert_eq!(off.sensitive_rule(), None);
    }
}
