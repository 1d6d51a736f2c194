//! App templates: the default configuration of a new app per mode, and the demo apps the
//! console's "Create new App" dialog offers (`GET /app-templates`).

use serde::Serialize;
use serde_json::{Value, json};

use crate::lookup::AppMode;

fn params() -> Value {
    json!({"max_tokens": 512, "temperature": 1, "top_p": 1, "presence_penalty": 0, "frequency_penalty": 0})
}

/// A whole model config; what Dify's templates leave out is null (and shown as its default).
fn defaults(model: Value, user_input_form: Value, pre_prompt: Option<&str>, opening: Option<&str>) -> Value {
    json!({
        "opening_statement": opening,
        "suggested_questions": [],
        "suggested_questions_after_answer": {"enabled": false},
        "speech_to_text": {"enabled": false},
        "retriever_resource": {"enabled": false},
        "more_like_this": {"enabled": false},
        "sensitive_word_avoidance": {"enabled": false, "words": [], "canned_response": []},
        "model": model,
        "user_input_form": user_input_form,
        "pre_prompt": pre_prompt,
        "agent_mode": {"enabled": false, "strategy": null, "tools": []},
    })
}

/// The configuration a new app of `mode` starts with, as Dify's `model_templates`.
pub fn default_config(mode: AppMode) -> Value {
    match mode {
        AppMode::Completion => defaults(
            json!({"provider": "openai", "name": "gpt-3.5-turbo-instruct", "completion_params": params()}),
            json!([{"paragraph": {"label": "Query", "variable": "query", "required": true, "default": ""}}]),
            Some("{{query}}"),
            None,
        ),
        AppMode::Chat => defaults(
            json!({"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": params()}),
            json!([]),
            None,
            None,
        ),
    }
}

/// The demo templates, as `GET /app-templates` answers them.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Templates {
    pub data: Vec<Template>,
}

/// One demo app: what the dialog shows and the model config the new app starts with.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Template {
    pub name: &'static str,
    pub icon: &'static str,
    pub icon_background: &'static str,
    pub description: &'static str,
    pub mode: AppMode,
    #[schema(value_type = Object)]
    pub model_config: Value,
}

fn template(
    name: &'static str,
    icon: &'static str,
    icon_background: &'static str,
    description: &'static str,
    mode: AppMode,
    model_config: Value,
) -> Template {
    Template { name, icon, icon_background, description, mode, model_config }
}

/// The demo templates for `language`, falling back to English.
pub fn demo_templates(language: &str) -> Templates {
    let translation_form = |target_label: &str, target_help: &str, text_label: &str| {
        json!([
            {"select": {"label": target_label, "variable": "target_language", "description": target_help,
                        "required": true, "default": "English",
                        "options": ["English", "中文", "日本語", "Français", "Deutsch", "Español"]}},
            {"paragraph": {"label": text_label, "variable": "query", "required": true, "default": ""}}
        ])
    };
    let completion = |form: Value, prompt: &str| {
        defaults(
            json!({"provider": "openai", "name": "gpt-3.5-turbo-instruct", "completion_params": params()}),
            form,
            Some(prompt),
            Some(""),
        )
    };
    let chat = |prompt: &str, opening: &str| {
        defaults(
            json!({"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": params()}),
            json!([]),
            Some(prompt),
            Some(opening),
        )
    };
    let data = if language == "zh-Hans" {
        vec![
            template(
                "翻译助手",
                "🤖",
                "#FFEAD5",
                "一个多语言翻译器，把输入的文字翻译成你选择的语言。",
                AppMode::Completion,
                completion(
                    translation_form("目标语言", "你想把文本翻译成的语言。", "要翻译的文本"),
                    "请把下面的文本翻译成{{target_language}}，只输出译文：\n{{query}}",
                ),
            ),
            template(
                "AI 前端面试官",
                "🤖",
                "#FFEAD5",
                "一个模拟面试官，逐一提出前端开发的技术问题并点评你的回答。",
                AppMode::Chat,
                chat(
                    "你是一名前端开发面试官。每次只问一个问题，涵盖 HTML、CSS、JavaScript 与常见框架；\
                     在候选人回答后给出简短点评，再问下一个问题。",
                    "你好，我是你的面试官。准备好后，请先简单介绍一下你自己。",
                ),
            ),
        ]
    } else {
        vec![
            template(
                "Translation Assistant",
                "🤖",
                "#FFEAD5",
                "A multilingual translator that renders the text you give it in the language you pick.",
                AppMode::Completion,
                completion(
                    translation_form("Target language", "The language you want the text in.", "Text to translate"),
                    "Translate the following text into {{target_language}}. Reply with the translation only:\n{{query}}",
                ),
            ),
            template(
                "AI Front-end Interviewer",
                "🤖",
                "#FFEAD5",
                "A mock interviewer who asks front-end development questions one at a time and reviews your answers.",
                AppMode::Chat,
                chat(
                    "You are an interviewer for a front-end developer role. Ask one question at a time covering \
                     HTML, CSS, JavaScript and common frameworks; after each answer give brief feedback, then ask the next question.",
                    "Hi, I'll be your interviewer today. When you're ready, please introduce yourself briefly.",
                ),
            ),
        ]
    };
    Templates { data }
}
