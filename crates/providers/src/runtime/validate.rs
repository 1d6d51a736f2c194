//! Credential checks, as Dify's `is_provider_credentials_valid_or_raise` and
//! `is_model_credentials_valid_or_raise`: a real, minimal call, with Dify's messages.
//!
//! - openai: a chat "ping" to gpt-3.5-turbo, max_tokens 20 (whatever `model` says).
//! - anthropic: a "ping" to claude-instant-1, max_tokens 10 (see `AnthropicBackend::validate`).
//! - azure_openai, localai, xinference, openllm (credentials per model): a call to that model —
//!   a short generation for text-generation models, an embedding for embedding models. Without
//!   a model there is nothing to check and the answer is Ok, as Dify's provider-level check was.

use super::anthropic::AnthropicBackend;
use super::types::{ChatMessage, CompletionParams};
use super::{Credentials, ModelRef, cred, embed, generate, required_cred, supported_model_types, unsupported, within};
use crate::{ModelType, ProviderError};

/// Azure base models Dify accepted.
const AZURE_BASE_MODELS: [&str; 6] =
    ["gpt-4", "gpt-4-32k", "gpt-35-turbo", "gpt-35-turbo-16k", "text-davinci-003", "text-embedding-ada-002"];

/// Checks credentials with a real, minimal call, as Dify's `is_provider_credentials_valid_or_raise`
/// (OpenAI: a 1–20 token chat "ping" to gpt-3.5-turbo; per-model providers: a call to that model).
pub async fn validate_credentials(
    http: &reqwest::Client,
    provider: &str,
    model: Option<(&str, ModelType)>,
    credentials: &Credentials,
) -> Result<(), ProviderError> {
    within(super::VALIDATION_TIMEOUT, check(http, provider, model, credentials)).await
}

async fn check(
    http: &reqwest::Client,
    provider: &str,
    model: Option<(&str, ModelType)>,
    creds: &Credentials,
) -> Result<(), ProviderError> {
    match provider {
        "openai" => {
            let model = ModelRef::new(provider, "gpt-3.5-turbo", creds.clone());
            ping(http, &model, "ping", 20, None).await
        }
        "anthropic" => AnthropicBackend::new(http, "claude-instant-1", creds)?.validate().await,
        "azure_openai" | "localai" | "xinference" | "openllm" => {
            let Some((name, model_type)) = model else { return Ok(()) };
            if !supported_model_types(provider).contains(&model_type) {
                return Err(ProviderError::ModelNotSupported(format!(
                    "provider {provider} offers no {} models",
                    model_type.as_str()
                )));
            }
            check_model(http, provider, name, model_type, creds).await
        }
        other => Err(unsupported(other)),
    }
}

async fn check_model(
    http: &reqwest::Client,
    provider: &str,
    name: &str,
    model_type: ModelType,
    creds: &Credentials,
) -> Result<(), ProviderError> {
    let mut creds = creds.clone();
    let mut text = "ping";
    match provider {
        "azure_openai" => {
            required_cred(&creds, "openai_api_key", "Azure OpenAI API key is required")?;
            required_cred(&creds, "openai_api_base", "Azure OpenAI API Base Endpoint is required")?;
            let base = required_cred(&creds, "base_model_name", "Base Model Name is required")?;
            if !AZURE_BASE_MODELS.contains(&base) {
                return Err(ProviderError::BadRequest("Base Model Name is invalid".into()));
            }
            text = "hi!";
        }
        "localai" => {
            required_cred(&creds, "server_url", "LocalAI Server URL must be provided.")?;
            let kind = cred(&creds, "completion_type");
            if model_type == ModelType::TextGeneration && !matches!(kind, Some("completion" | "chat_completion")) {
                return Err(ProviderError::BadRequest("LocalAI Completion Type must be provided.".into()));
            }
        }
        "xinference" => {
            let server = required_cred(&creds, "server_url", "Xinference Server URL must be provided.")?.to_owned();
            let uid = required_cred(&creds, "model_uid", "Xinference Model UID must be provided.")?.to_owned();
            if model_type == ModelType::TextGeneration {
                // Call the model the way it will be called once saved.
                creds.extend(super::xinference_model_info(http, &server, &uid).await?);
            }
        }
        _ => {
            required_cred(&creds, "server_url", "OpenLLM Server URL must be provided.")?;
        }
    }
    let model = ModelRef::new(provider, name, creds);
    let result = match model_type {
        ModelType::Embeddings => embed(http, &model, &[text.to_owned()]).await.map(drop),
        _ => {
            let temperature = (provider == "azure_openai").then_some(0.0);
            let max_tokens = if provider == "azure_openai" { 15 } else { 10 };
            ping(http, &model, text, max_tokens, temperature).await
        }
    };
    match provider {
        "azure_openai" => result.map_err(|e| azure_cause(name, e)),
        _ => result,
    }
}

async fn ping(
    http: &reqwest::Client,
    model: &ModelRef,
    text: &str,
    max_tokens: u32,
    temperature: Option<f32>,
) -> Result<(), ProviderError> {
    let params = CompletionParams { max_tokens: Some(max_tokens), temperature, ..Default::default() };
    generate(http, model, &[ChatMessage::user(text)], &params).await.map(drop)
}

/// Dify's wording for a failed Azure check: "Azure OpenAI deployment {name} not exists, cause:
/// {OpenAI error class}:{message}", keeping our variant.
fn azure_cause(name: &str, e: ProviderError) -> ProviderError {
    let wrap = |class: &str, m: String| {
        let m = m.strip_prefix("Azure ").map(str::to_owned).unwrap_or(m);
        format!("Azure OpenAI deployment {name} not exists, cause: {class}:{m}")
    };
    match e {
        ProviderError::Authentication(m) => ProviderError::Authentication(wrap("AuthenticationError", m)),
        ProviderError::RateLimited(m) => ProviderError::RateLimited(wrap("RateLimitError", m)),
        ProviderError::BadRequest(m) => ProviderError::BadRequest(wrap("InvalidRequestError", m)),
        ProviderError::Unavailable(m) => ProviderError::Unavailable(wrap("APIError", m)),
        ProviderError::Connection(m) => ProviderError::Connection(wrap("APIConnectionError", m)),
        ProviderError::Other(m) => ProviderError::Other(wrap("OpenAIError", m)),
        // Missing credentials and the like keep their own message.
        other => other,
    }
}
