//! Sampling-parameter ranges per provider and model, as each Dify provider class's
//! `get_model_parameter_rules` declares them (`ModelKwargsRules`). The console shows them as
//! sliders; a disabled rule means the parameter is not sent to the model.

use serde::Serialize;

use crate::runtime::Credentials;

/// A bound or default: an integer for `max_tokens`, a float for the others (Dify's pydantic
/// `KwargRule[float]` turns `1` into `1.0`, and the JSON shows it so).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum RuleValue {
    Int(i64),
    Float(f64),
}

/// One parameter's range, serialized as Dify's parameter-rules endpoint shows it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ParameterRule {
    pub enabled: bool,
    pub min: Option<RuleValue>,
    pub max: Option<RuleValue>,
    pub default: Option<RuleValue>,
    pub precision: Option<u32>,
    /// The name the vendor API uses for the parameter (e.g. Anthropic's `max_tokens_to_sample`).
    #[serde(skip)]
    pub alias: Option<&'static str>,
}

impl ParameterRule {
    /// A parameter the model does not take.
    pub const DISABLED: ParameterRule =
        ParameterRule { enabled: false, min: None, max: None, default: None, precision: None, alias: None };

    const fn float(min: f64, max: f64, default: f64, precision: u32) -> Self {
        ParameterRule {
            enabled: true,
            min: Some(RuleValue::Float(min)),
            max: Some(RuleValue::Float(max)),
            default: Some(RuleValue::Float(default)),
            precision: Some(precision),
            alias: None,
        }
    }

    /// A token limit; `max` is unknown (null) for models Dify has no figure for.
    const fn tokens(min: i64, max: Option<i64>, default: i64) -> Self {
        let max = match max {
            Some(m) => Some(RuleValue::Int(m)),
            None => None,
        };
        ParameterRule {
            enabled: true,
            min: Some(RuleValue::Int(min)),
            max,
            default: Some(RuleValue::Int(default)),
            precision: Some(0),
            alias: None,
        }
    }

    const fn alias(self, alias: &'static str) -> Self {
        ParameterRule { alias: Some(alias), ..self }
    }
}

/// The five parameters, in the order Dify's endpoint lists them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ParameterRules {
    pub max_tokens: ParameterRule,
    pub temperature: ParameterRule,
    pub top_p: ParameterRule,
    pub presence_penalty: ParameterRule,
    pub frequency_penalty: ParameterRule,
}

impl Default for ParameterRules {
    /// Everything disabled: what Dify answers for a provider the workspace cannot use.
    fn default() -> Self {
        let d = ParameterRule::DISABLED;
        ParameterRules { max_tokens: d, temperature: d, top_p: d, presence_penalty: d, frequency_penalty: d }
    }
}

impl ParameterRule {
    /// Dify's `_to_model_kwargs_input` for one value: `None` when the model does not take the
    /// parameter, else the value (or the default when unset) clamped to the range.
    fn apply(&self, value: Option<f64>) -> Option<f64> {
        if !self.enabled {
            return None;
        }
        let as_f64 = |v: Option<RuleValue>| match v {
            Some(RuleValue::Int(i)) => Some(i as f64),
            Some(RuleValue::Float(f)) => Some(f),
            None => None,
        };
        let mut v = value.or(as_f64(self.default))?;
        if let Some(min) = as_f64(self.min) {
            v = v.max(min);
        }
        if let Some(max) = as_f64(self.max) {
            v = v.min(max);
        }
        Some(v)
    }

    /// The upper bound, when the rule has one (for `max_tokens`: the model's context size).
    pub fn max_value(&self) -> Option<i64> {
        match self.max {
            Some(RuleValue::Int(i)) => Some(i),
            Some(RuleValue::Float(f)) => Some(f as i64),
            None => None,
        }
    }
}

impl ParameterRules {
    /// An app's `completion_params` (`max_tokens`, `temperature`, ...) as the runtime's
    /// parameters: disabled ones left out, unset ones at their default, all clamped to range.
    pub fn apply(&self, completion_params: &serde_json::Value) -> crate::runtime::CompletionParams {
        let get = |key: &str| completion_params.get(key).and_then(serde_json::Value::as_f64);
        crate::runtime::CompletionParams {
            max_tokens: self.max_tokens.apply(get("max_tokens")).map(|v| v.max(0.0) as u32),
            temperature: self.temperature.apply(get("temperature")).map(|v| v as f32),
            top_p: self.top_p.apply(get("top_p")).map(|v| v as f32),
            presence_penalty: self.presence_penalty.apply(get("presence_penalty")).map(|v| v as f32),
            frequency_penalty: self.frequency_penalty.apply(get("frequency_penalty")).map(|v| v as f32),
            stop: None,
        }
    }
}

const PENALTY: ParameterRule = ParameterRule::float(-2.0, 2.0, 0.0, 2);
const OFF: ParameterRule = ParameterRule::DISABLED;

/// The rules for a text-generation model. `model_credentials` are the model's stored config
/// for configurable providers whose ranges depend on it (Azure's `base_model_name`,
/// Xinference's `model_format`/`model_handle_type`); an unknown provider gets all-disabled rules.
pub fn parameter_rules(provider: &str, model: &str, model_credentials: Option<&Credentials>) -> ParameterRules {
    let field = |key: &str| model_credentials.and_then(|c| c.get(key)).and_then(|v| v.as_str()).unwrap_or_default();
    match provider {
        "openai" => openai_like(openai_max_tokens(model)),
        "azure_openai" => openai_like(azure_max_tokens(field("base_model_name"))),
        "anthropic" => ParameterRules {
            max_tokens: ParameterRule::tokens(10, Some(100_000), 256).alias("max_tokens_to_sample"),
            temperature: ParameterRule::float(0.0, 1.0, 1.0, 2),
            top_p: ParameterRule::float(0.0, 1.0, 0.7, 2),
            presence_penalty: OFF,
            frequency_penalty: OFF,
        },
        "minimax" => ParameterRules {
            max_tokens: ParameterRule::tokens(10, Some(if model == "abab5.5-chat" { 16384 } else { 6144 }), 1024),
            temperature: ParameterRule::float(0.01, 1.0, 0.9, 2),
            top_p: ParameterRule::float(0.0, 1.0, 0.95, 2),
            presence_penalty: OFF,
            frequency_penalty: OFF,
        },
        "tongyi" => {
            let max = match model {
                "qwen-v1" => Some(1500),
                "qwen-plus-v1" => Some(6500),
                _ => None,
            };
            ParameterRules {
                max_tokens: ParameterRule::tokens(10, max, 1024),
                temperature: OFF,
                top_p: ParameterRule::float(0.0, 1.0, 0.8, 2),
                presence_penalty: OFF,
                frequency_penalty: OFF,
            }
        }
        "spark" => ParameterRules {
            max_tokens: ParameterRule::tokens(10, Some(4096), 2048),
            temperature: ParameterRule::float(0.0, 1.0, 0.5, 2),
            ..ParameterRules::default()
        },
        "wenxin" if matches!(model, "ernie-bot" | "ernie-bot-turbo") => ParameterRules {
            temperature: ParameterRule::float(0.01, 1.0, 0.95, 2),
            top_p: ParameterRule::float(0.01, 1.0, 0.8, 2),
            ..ParameterRules::default()
        },
        "zhipuai" => ParameterRules {
            temperature: ParameterRule::float(0.01, 1.0, 0.95, 2),
            top_p: ParameterRule::float(0.1, 0.9, 0.8, 1),
            ..ParameterRules::default()
        },
        "chatglm" => {
            let max = match model {
                "chatglm-6b" => Some(2000),
                "chatglm2-6b" => Some(32000),
                _ => None,
            };
            ParameterRules {
                max_tokens: ParameterRule::tokens(10, max, 2048).alias("max_token"),
                temperature: ParameterRule::float(0.0, 2.0, 1.0, 2),
                top_p: ParameterRule::float(0.0, 1.0, 0.7, 2),
                presence_penalty: OFF,
                frequency_penalty: OFF,
            }
        }
        "huggingface_hub" => ParameterRules {
            max_tokens: ParameterRule::tokens(10, Some(4000), 200).alias("max_new_tokens"),
            temperature: ParameterRule::float(0.0, 2.0, 1.0, 2),
            top_p: ParameterRule::float(0.01, 0.99, 0.7, 2),
            presence_penalty: OFF,
            frequency_penalty: OFF,
        },
        "xinference" => {
            // Only ggmlv3 models other than ChatGLM take penalties.
            let penalties = field("model_format") == "ggmlv3" && field("model_handle_type") != "chatglm";
            ParameterRules {
                max_tokens: ParameterRule::tokens(10, Some(4000), 256),
                temperature: ParameterRule::float(0.01, 2.0, 1.0, 2),
                top_p: ParameterRule::float(0.0, 1.0, 0.7, 2),
                presence_penalty: if penalties { PENALTY } else { OFF },
                frequency_penalty: if penalties { PENALTY } else { OFF },
            }
        }
        "openllm" => ParameterRules {
            max_tokens: ParameterRule::tokens(10, Some(4000), 128).alias("max_new_tokens"),
            temperature: ParameterRule::float(0.01, 2.0, 1.0, 2),
            top_p: ParameterRule::float(0.0, 1.0, 0.7, 2),
            presence_penalty: PENALTY,
            frequency_penalty: PENALTY,
        },
        "localai" => ParameterRules {
            max_tokens: ParameterRule::tokens(10, Some(4097), 16),
            temperature: ParameterRule::float(0.0, 2.0, 0.7, 2),
            top_p: ParameterRule::float(0.0, 1.0, 1.0, 2),
            ..ParameterRules::default()
        },
        // Replicate reads its ranges from the model's OpenAPI schema on replicate.com, which
        // dify-rs does not call; wenxin's other models and unknown providers take none.
        _ => ParameterRules::default(),
    }
}

fn openai_like(max_tokens: i64) -> ParameterRules {
    ParameterRules {
        max_tokens: ParameterRule::tokens(10, Some(max_tokens), 16),
        temperature: ParameterRule::float(0.0, 2.0, 1.0, 2),
        top_p: ParameterRule::float(0.0, 1.0, 1.0, 2),
        presence_penalty: PENALTY,
        frequency_penalty: PENALTY,
    }
}

fn openai_max_tokens(model: &str) -> i64 {
    match model {
        "gpt-4" => 8192,
        "gpt-4-32k" => 32768,
        "gpt-3.5-turbo" => 4096,
        "gpt-3.5-turbo-instruct" => 8192,
        "gpt-3.5-turbo-16k" => 16384,
        _ => 4097,
    }
}

fn azure_max_tokens(base_model: &str) -> i64 {
    match base_model {
        "gpt-4" => 8192,
        "gpt-4-32k" => 32768,
        "gpt-35-turbo" => 4096,
        "gpt-35-turbo-16k" => 16384,
        _ => 4097,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn openai_rules_serialize_as_dify_shows_them() {
        let rules = serde_json::to_value(parameter_rules("openai", "gpt-4", None)).expect("json");
        assert_eq!(
            rules,
            json!({
                "max_tokens": {"enabled": true, "min": 10, "max": 8192, "default": 16, "precision": 0},
                "temperature": {"enabled": true, "min": 0.0, "max": 2.0, "default": 1.0, "precision": 2},
                "top_p": {"enabled": true, "min": 0.0, "max": 1.0, "default": 1.0, "precision": 2},
                "presence_penalty": {"enabled": true, "min": -2.0, "max": 2.0, "default": 0.0, "precision": 2},
                "frequency_penalty": {"enabled": true, "min": -2.0, "max": 2.0, "default": 0.0, "precision": 2},
            })
        );
        // Floats keep their decimal point, as Python's json writes pydantic floats.
        let text = serde_json::to_string(&parameter_rules("openai", "gpt-4", None).temperature).expect("json");
        assert_eq!(text, r#"{"enabled":true,"min":0.0,"max":2.0,"default":1.0,"precision":2}"#);
        assert_eq!(parameter_rules("openai", "unknown", None).max_tokens.max, Some(RuleValue::Int(4097)));
    }

    #[test]
    fn completion_params_are_defaulted_clamped_and_filtered() {
        let p = parameter_rules("openai", "gpt-4", None)
            .apply(&json!({"max_tokens": 100000, "temperature": 5, "top_p": null, "presence_penalty": -1}));
        assert_eq!(p.max_tokens, Some(8192));
        assert_eq!(p.temperature, Some(2.0));
        assert_eq!(p.top_p, Some(1.0));
        assert_eq!(p.presence_penalty, Some(-1.0));
        assert_eq!(p.frequency_penalty, Some(0.0));
        let a = parameter_rules("anthropic", "claude-2", None).apply(&json!({"max_tokens": 1, "presence_penalty": 1}));
        assert_eq!((a.max_tokens, a.presence_penalty), (Some(10), None));
        assert_eq!(parameter_rules("anthropic", "claude-2", None).max_tokens.max_value(), Some(100_000));
    }

    #[test]
    fn provider_specific_rules() {
        let anthropic = parameter_rules("anthropic", "claude-2", None);
        assert_eq!(anthropic.max_tokens.alias, Some("max_tokens_to_sample"));
        assert_eq!(anthropic.max_tokens.max, Some(RuleValue::Int(100_000)));
        assert!(!anthropic.presence_penalty.enabled);
        let disabled = serde_json::to_value(anthropic.frequency_penalty).expect("json");
        assert_eq!(disabled, json!({"enabled": false, "min": null, "max": null, "default": null, "precision": null}));

        let mut creds = Credentials::new();
        creds.insert("base_model_name".into(), json!("gpt-4-32k"));
        assert_eq!(
            parameter_rules("azure_openai", "my-deploy", Some(&creds)).max_tokens.max,
            Some(RuleValue::Int(32768))
        );

        creds.insert("model_format".into(), json!("ggmlv3"));
        assert!(parameter_rules("xinference", "m", Some(&creds)).presence_penalty.enabled);
        creds.insert("model_handle_type".into(), json!("chatglm"));
        assert!(!parameter_rules("xinference", "m", Some(&creds)).presence_penalty.enabled);

        assert_eq!(parameter_rules("tongyi", "other", None).max_tokens.max, None);
        assert!(!parameter_rules("wenxin", "bloomz-7b", None).temperature.enabled);
        assert_eq!(parameter_rules("nope", "x", None), ParameterRules::default());
    }
}
