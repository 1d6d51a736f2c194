//! An app's model configuration: validation as Dify's `AppModelConfigService` does it, and
//! the mapping between the JSON the console sends and the `app_model_configs` row.

use std::collections::HashMap;
use std::sync::LazyLock;

use entities::app_model_configs;
use kernel::ApiError;
use kernel::time::now_naive;
use regex::Regex;
use sea_orm::Set;
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// What validation needs to know about the workspace's models.
#[derive(Debug, Clone, Default)]
pub struct ModelChoices {
    /// Every provider name the catalog knows, in catalog order.
    pub provider_names: Vec<String>,
    /// Text-generation models per provider the workspace can use.
    pub text_models: HashMap<String, Vec<String>>,
}

/// A validated configuration and the datasets its agent tools reference (to check exist).
#[derive(Debug, Clone)]
pub struct ValidConfig {
    pub config: Value,
    pub dataset_ids: Vec<Uuid>,
}

const TOOLS: [&str; 5] = ["dataset", "google_search", "web_reader", "wikipedia", "current_datetime"];
const STRATEGIES: [&str; 5] = ["router", "react_router", "react", "function_call", "multi_function_call"];

static VARIABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\x{4e00}-\x{9fa5}A-Za-z0-9_\x{1F300}-\x{1F64F}\x{1F680}-\x{1F6FF}]{1,100}$")
        .unwrap_or_else(|e| panic!("variable regex: {e}"))
});
static TEMPLATE_VAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{(\w+)\}\}").unwrap_or_else(|e| panic!("template regex: {e}")));

fn err(msg: impl Into<String>) -> ApiError {
    ApiError::value_error(msg)
}

/// Python truthiness of a JSON value (Dify's `not x` checks).
fn falsy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => !b,
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
    }
}

/// A `{enabled: bool}` feature toggle, defaulting to disabled.
fn toggle(config: &mut Map<String, Value>, key: &str, label: &str) -> Result<(), ApiError> {
    if falsy(config.get(key)) {
        config.insert(key.into(), json!({"enabled": false}));
    }
    let obj =
        config.get_mut(key).and_then(Value::as_object_mut).ok_or_else(|| err(format!("{key} must be of dict type")))?;
    if falsy(obj.get("enabled")) {
        obj.insert("enabled".into(), Value::Bool(false));
    }
    if !obj.get("enabled").is_some_and(Value::is_boolean) {
        return Err(err(format!("enabled in {label} must be of boolean type")));
    }
    Ok(())
}

/// Validates and normalises a model configuration; unknown keys are dropped.
pub fn validate(config: Value, choices: &ModelChoices) -> Result<ValidConfig, ApiError> {
    let Value::Object(mut c) = config else { return Err(err("model config must be of object type")) };

    if falsy(c.get("opening_statement")) {
        c.insert("opening_statement".into(), json!(""));
    }
    if !c["opening_statement"].is_string() {
        return Err(err("opening_statement must be of string type"));
    }
    if falsy(c.get("suggested_questions")) {
        c.insert("suggested_questions".into(), json!([]));
    }
    let questions =
        c["suggested_questions"].as_array().ok_or_else(|| err("suggested_questions must be of list type"))?;
    if questions.iter().any(|q| !q.is_string()) {
        return Err(err("Elements in suggested_questions list must be of string type"));
    }
    toggle(&mut c, "suggested_questions_after_answer", "suggested_questions_after_answer")?;
    toggle(&mut c, "speech_to_text", "speech_to_text")?;
    toggle(&mut c, "retriever_resource", "retriever_resource")?;
    toggle(&mut c, "more_like_this", "more_like_this")?;
    toggle(&mut c, "sensitive_word_avoidance", "sensitive_word_avoidance")?;
    {
        let swa = c
            .get_mut("sensitive_word_avoidance")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| err("sensitive_word_avoidance must be of dict type"))?;
        for key in ["words", "canned_response"] {
            if falsy(swa.get(key)) {
                swa.insert(key.into(), json!(""));
            }
            if !swa[key].is_string() {
                return Err(err(format!("{key} in sensitive_word_avoidance must be of string type")));
            }
        }
    }

    let model = c.get("model").ok_or_else(|| err("model is required"))?;
    let model = model.as_object().ok_or_else(|| err("model must be of object type"))?;
    let provider =
        model.get("provider").and_then(Value::as_str).filter(|p| choices.provider_names.iter().any(|n| n == p));
    let Some(provider) = provider else {
        return Err(err(format!("model.provider is required and must be in {:?}", choices.provider_names)));
    };
    let name = model.get("name").and_then(Value::as_str).ok_or_else(|| err("model.name is required"))?;
    let usable = choices.text_models.get(provider).is_some_and(|models| models.iter().any(|m| m == name));
    if !usable {
        return Err(err("model.name must be in the specified model list"));
    }
    let params = model.get("completion_params").ok_or_else(|| err("model.completion_params is required"))?;
    let params = params.as_object().ok_or_else(|| err("model.completion_params must be of object type"))?;
    let param = |key: &str, default: Value| -> Result<Value, ApiError> {
        match params.get(key) {
            None => Ok(default),
            Some(v) if v.is_number() => Ok(v.clone()),
            Some(_) => Err(err(format!("model.completion_params.{key} must be a number"))),
        }
    };
    let model = json!({
        "provider": provider,
        "name": name,
        "completion_params": {
            "max_tokens": param("max_tokens", json!(512))?,
            "temperature": param("temperature", json!(1))?,
            "top_p": param("top_p", json!(1))?,
            "presence_penalty": param("presence_penalty", json!(0))?,
            "frequency_penalty": param("frequency_penalty", json!(0))?,
        }
    });

    if falsy(c.get("user_input_form")) {
        c.insert("user_input_form".into(), json!([]));
    }
    let form = c
        .get_mut("user_input_form")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| err("user_input_form must be a list of objects"))?;
    let mut variables = Vec::new();
    for item in form.iter_mut() {
        let obj = item
            .as_object_mut()
            .filter(|o| o.len() == 1)
            .ok_or_else(|| err("user_input_form must be a list of objects"))?;
        let (kind, field) = obj.iter_mut().next().ok_or_else(|| err("user_input_form must be a list of objects"))?;
        if !["text-input", "select", "paragraph"].contains(&kind.as_str()) {
            return Err(err("Keys in user_input_form list can only be 'text-input', 'paragraph'  or 'select'"));
        }
        let field = field.as_object_mut().ok_or_else(|| err("user_input_form must be a list of objects"))?;
        match field.get("label") {
            None => return Err(err("label is required in user_input_form")),
            Some(l) if !l.is_string() => return Err(err("label in user_input_form must be of string type")),
            _ => {}
        }
        let variable = match field.get("variable") {
            None => return Err(err("variable is required in user_input_form")),
            Some(Value::String(v)) => v.clone(),
            Some(_) => return Err(err("variable in user_input_form must be of string type")),
        };
        if variable.starts_with(|ch: char| ch.is_ascii_digit()) || !VARIABLE.is_match(&variable) {
            return Err(err("variable in user_input_form must be a string, and cannot start with a number"));
        }
        variables.push(variable);
        if falsy(field.get("required")) {
            field.insert("required".into(), Value::Bool(false));
        }
        if !field["required"].is_boolean() {
            return Err(err("required in user_input_form must be of boolean type"));
        }
        if kind == "select" {
            if falsy(field.get("options")) {
                field.insert("options".into(), json!([]));
            }
            let options = field["options"]
                .as_array()
                .ok_or_else(|| err("options in user_input_form must be a list of strings"))?;
            if options.iter().any(|o| !o.is_string()) {
                return Err(err("options in user_input_form must be a list of strings"));
            }
            if !falsy(field.get("default")) && !options.contains(&field["default"]) {
                return Err(err("default value in user_input_form must be in the options list"));
            }
        }
    }

    if falsy(c.get("pre_prompt")) {
        c.insert("pre_prompt".into(), json!(""));
    }
    let pre_prompt = c["pre_prompt"].as_str().ok_or_else(|| err("pre_prompt must be of string type"))?;
    for cap in TEMPLATE_VAR.captures_iter(pre_prompt) {
        if !variables.iter().any(|v| v == &cap[1]) {
            return Err(err("Template variables in pre_prompt must be defined in user_input_form"));
        }
    }

    if falsy(c.get("agent_mode")) {
        c.insert("agent_mode".into(), json!({"enabled": false, "tools": []}));
    }
    let agent = c
        .get_mut("agent_mode")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| err("agent_mode must be of object type"))?;
    if falsy(agent.get("enabled")) {
        agent.insert("enabled".into(), Value::Bool(false));
    }
    if !agent["enabled"].is_boolean() {
        return Err(err("enabled in agent_mode must be of boolean type"));
    }
    if falsy(agent.get("strategy")) {
        agent.insert("strategy".into(), json!("router"));
    }
    if !agent["strategy"].as_str().is_some_and(|s| STRATEGIES.contains(&s)) {
        return Err(err("strategy in agent_mode must be in the specified strategy list"));
    }
    if falsy(agent.get("tools")) {
        agent.insert("tools".into(), json!([]));
    }
    let tools = agent
        .get_mut("tools")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| err("tools in agent_mode must be a list of objects"))?;
    let mut dataset_ids = Vec::new();
    for tool in tools.iter_mut() {
        let obj = tool
            .as_object_mut()
            .filter(|o| o.len() == 1)
            .ok_or_else(|| err("tools in agent_mode must be a list of objects"))?;
        let (kind, item) = obj.iter_mut().next().ok_or_else(|| err("tools in agent_mode must be a list of objects"))?;
        if !TOOLS.contains(&kind.as_str()) {
            return Err(err("Keys in agent_mode.tools must be in the specified tool list"));
        }
        let item = item.as_object_mut().ok_or_else(|| err("tools in agent_mode must be a list of objects"))?;
        if falsy(item.get("enabled")) {
            item.insert("enabled".into(), Value::Bool(false));
        }
        if !item["enabled"].is_boolean() {
            return Err(err("enabled in agent_mode.tools must be of boolean type"));
        }
        if kind == "dataset" {
            let id = item.get("id").ok_or_else(|| err("id is required in dataset"))?;
            let id = id
                .as_str()
                .and_then(|s| s.parse::<Uuid>().ok())
                .ok_or_else(|| err("id in dataset must be of UUID type"))?;
            dataset_ids.push(id);
        }
    }

    let keep = [
        "opening_statement",
        "suggested_questions",
        "suggested_questions_after_answer",
        "speech_to_text",
        "retriever_resource",
        "more_like_this",
        "sensitive_word_avoidance",
        "user_input_form",
        "pre_prompt",
        "agent_mode",
    ];
    let mut out: Map<String, Value> =
        keep.iter().filter_map(|k| c.get(*k).map(|v| ((*k).to_string(), v.clone()))).collect();
    out.insert("model".into(), model);
    Ok(ValidConfig { config: Value::Object(out), dataset_ids })
}

fn dump(v: &Value) -> String {
    v.to_string()
}

fn load(s: &Option<String>) -> Option<Value> {
    s.as_deref().filter(|s| !s.is_empty()).and_then(|s| serde_json::from_str(s).ok())
}

/// A new `app_model_configs` row from a validated configuration.
pub fn new_row(id: Uuid, app_id: Uuid, config: &Value) -> app_model_configs::ActiveModel {
    let now = now_naive();
    let text = |k: &str| config.get(k).map(dump);
    let optional = |k: &str| config.get(k).filter(|v| !falsy(Some(v))).map(dump);
    app_model_configs::ActiveModel {
        id: Set(id),
        app_id: Set(app_id),
        provider: Set(String::new()),
        model_id: Set(String::new()),
        configs: Set(json!({})),
        created_at: Set(now),
        updated_at: Set(now),
        opening_statement: Set(config.get("opening_statement").and_then(Value::as_str).map(str::to_string)),
        suggested_questions: Set(text("suggested_questions")),
        suggested_questions_after_answer: Set(text("suggested_questions_after_answer")),
        speech_to_text: Set(optional("speech_to_text")),
        more_like_this: Set(text("more_like_this")),
        model: Set(text("model")),
        user_input_form: Set(text("user_input_form")),
        pre_prompt: Set(config.get("pre_prompt").and_then(Value::as_str).map(str::to_string)),
        agent_mode: Set(text("agent_mode")),
        sensitive_word_avoidance: Set(optional("sensitive_word_avoidance")),
        retriever_resource: Set(optional("retriever_resource")),
    }
}

/// Dify's `model_config_fields`: a stored row as the console and generations read it. The
/// features are the JSON the console sent, with Dify's defaults where the row has none.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ModelConfigFields {
    pub opening_statement: Option<String>,
    #[schema(value_type = Vec<String>)]
    pub suggested_questions: Value,
    #[schema(value_type = Object)]
    pub suggested_questions_after_answer: Value,
    #[schema(value_type = Object)]
    pub speech_to_text: Value,
    #[schema(value_type = Object)]
    pub retriever_resource: Value,
    #[schema(value_type = Object)]
    pub more_like_this: Value,
    #[schema(value_type = Object)]
    pub sensitive_word_avoidance: Value,
    /// `{provider, name, completion_params}`; null when the row has none.
    #[schema(value_type = Option<Object>)]
    pub model: Option<Value>,
    #[schema(value_type = Vec<Object>)]
    pub user_input_form: Value,
    pub pre_prompt: Option<String>,
    #[schema(value_type = Object)]
    pub agent_mode: Value,
}

impl From<&app_model_configs::Model> for ModelConfigFields {
    fn from(row: &app_model_configs::Model) -> Self {
        let or = |s: &Option<String>, default: fn() -> Value| load(s).unwrap_or_else(default);
        Self {
            opening_statement: row.opening_statement.clone(),
            suggested_questions: or(&row.suggested_questions, || json!([])),
            suggested_questions_after_answer: or(&row.suggested_questions_after_answer, disabled),
            speech_to_text: or(&row.speech_to_text, disabled),
            retriever_resource: or(&row.retriever_resource, disabled),
            more_like_this: or(&row.more_like_this, disabled),
            sensitive_word_avoidance: or(
                &row.sensitive_word_avoidance,
                || json!({"enabled": false, "words": [], "canned_response": []}),
            ),
            model: load(&row.model),
            user_input_form: or(&row.user_input_form, || json!([])),
            pre_prompt: row.pre_prompt.clone(),
            agent_mode: or(&row.agent_mode, || json!({"enabled": false, "strategy": null, "tools": []})),
        }
    }
}

fn disabled() -> Value {
    json!({"enabled": false})
}

/// The stored row as Dify's `model_config_fields` dict (what a generation reads).
pub fn fields(row: &app_model_configs::Model) -> Value {
    serde_json::to_value(ModelConfigFields::from(row)).unwrap_or(Value::Null)
}

/// The `{model, pre_prompt}` subset the app list shows.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PartialModelConfig {
    #[schema(value_type = Option<Object>)]
    pub model: Option<Value>,
    pub pre_prompt: Option<String>,
}

impl From<&app_model_configs::Model> for PartialModelConfig {
    fn from(row: &app_model_configs::Model) -> Self {
        Self { model: load(&row.model), pre_prompt: row.pre_prompt.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices() -> ModelChoices {
        ModelChoices {
            provider_names: vec!["openai".into(), "anthropic".into()],
            text_models: HashMap::from([("openai".into(), vec!["gpt-3.5-turbo".into()])]),
        }
    }

    fn base() -> Value {
        json!({"model": {"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": {"temperature": 0.5}}})
    }

    #[test]
    fn defaults_are_filled_and_extra_keys_dropped() {
        let mut c = base();
        c["junk"] = json!(1);
        let v = validate(c, &choices()).expect("valid").config;
        assert_eq!(v["opening_statement"], "");
        assert_eq!(v["more_like_this"], json!({"enabled": false}));
        assert_eq!(v["sensitive_word_avoidance"], json!({"enabled": false, "words": "", "canned_response": ""}));
        assert_eq!(v["agent_mode"], json!({"enabled": false, "strategy": "router", "tools": []}));
        assert_eq!(
            v["model"]["completion_params"],
            json!({"max_tokens": 512, "temperature": 0.5, "top_p": 1, "presence_penalty": 0, "frequency_penalty": 0})
        );
        assert!(v.get("junk").is_none());
    }

    #[test]
    fn bad_configs_name_the_problem() {
        let cases = [
            (
                json!({"model": {"provider": "nope", "name": "x", "completion_params": {}}}),
                "model.provider is required",
            ),
            (
                json!({"model": {"provider": "anthropic", "name": "claude-2", "completion_params": {}}}),
                "model.name must be in the specified model list",
            ),
            (json!({"model": {"provider": "openai", "name": "gpt-3.5-turbo"}}), "model.completion_params is required"),
            (json!({"pre_prompt": "Hi {{who}}", "model": base()["model"]}), "Template variables in pre_prompt"),
            (
                json!({"user_input_form": [{"text-input": {"label": "L", "variable": "1abc"}}], "model": base()["model"]}),
                "cannot start with a number",
            ),
            (
                json!({"user_input_form": [{"date": {"label": "L", "variable": "x"}}], "model": base()["model"]}),
                "Keys in user_input_form",
            ),
            (json!({"user_input_form": ["x"], "model": base()["model"]}), "list of objects"),
            (
                json!({"user_input_form": [{"select": {"label": "L", "variable": "x", "options": ["a"], "default": "b"}}], "model": base()["model"]}),
                "default value",
            ),
            (
                json!({"agent_mode": {"enabled": true, "tools": [{"dataset": {"enabled": true, "id": "nope"}}]}, "model": base()["model"]}),
                "UUID",
            ),
            (json!({"more_like_this": {"enabled": "yes"}, "model": base()["model"]}), "enabled in more_like_this"),
            (json!([1]), "object type"),
        ];
        for (config, expected) in cases {
            let e = validate(config.clone(), &choices()).expect_err(&config.to_string());
            assert!(e.message.contains(expected), "{config}: {}", e.message);
            assert_eq!((e.status, e.code.as_ref()), (400, "invalid_param"));
        }
    }

    #[test]
    fn form_variables_and_dataset_tools() {
        let id = Uuid::new_v4();
        let c = json!({
            "pre_prompt": "Translate {{text}} to {{lang}}",
            "user_input_form": [
                {"paragraph": {"label": "Text", "variable": "text", "required": true}},
                {"select": {"label": "Lang", "variable": "lang", "options": ["fr", "de"], "default": "fr"}}
            ],
            "agent_mode": {"enabled": true, "tools": [{"dataset": {"enabled": true, "id": id.to_string()}}]},
            "model": base()["model"],
        });
        let v = validate(c, &choices()).expect("valid");
        assert_eq!(v.dataset_ids, vec![id]);
        assert_eq!(v.config["user_input_form"][1]["select"]["required"], false);
    }
}

/// `GET .../parameters`: the app's form and features, verbatim from its current config.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AppParameters {
    #[schema(value_type = Option<String>)]
    pub opening_statement: Value,
    #[schema(value_type = Vec<String>)]
    pub suggested_questions: Value,
    #[schema(value_type = Object)]
    pub suggested_questions_after_answer: Value,
    #[schema(value_type = Object)]
    pub speech_to_text: Value,
    #[schema(value_type = Object)]
    pub retriever_resource: Value,
    #[schema(value_type = Object)]
    pub more_like_this: Value,
    #[schema(value_type = Vec<Object>)]
    pub user_input_form: Value,
}

/// The parameters of the app's current config. Dify fails with a 500 on an app without one;
/// this says what is wrong instead (`AppError::NoConfig`).
pub async fn parameters(
    db: &sea_orm::DatabaseConnection,
    app: &entities::apps::Model,
) -> Result<AppParameters, crate::AppError> {
    use sea_orm::EntityTrait;
    let config = match app.app_model_config_id {
        Some(id) => app_model_configs::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    Ok(parameters_of(&config.ok_or(crate::AppError::NoConfig)?))
}

/// The parameters a config row holds.
pub fn parameters_of(config: &app_model_configs::Model) -> AppParameters {
    let f = fields(config);
    let take = |k: &str| f.get(k).cloned().unwrap_or(Value::Null);
    AppParameters {
        opening_statement: take("opening_statement"),
        suggested_questions: take("suggested_questions"),
        suggested_questions_after_answer: take("suggested_questions_after_answer"),
        speech_to_text: take("speech_to_text"),
        retriever_resource: take("retriever_resource"),
        more_like_this: take("more_like_this"),
        user_input_form: take("user_input_form"),
    }
}
