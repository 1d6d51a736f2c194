//! The model runtime: calls to model vendors — chat and completion (blocking and streamed),
//! embeddings, moderation, speech-to-text — and the credential checks run before saving.
//!
//! # Shape
//! A call names its model with a [`ModelRef`] (provider, model, decrypted credentials as Dify's
//! config JSON) and takes the process's shared `reqwest::Client` (build it with
//! [`http_client`] for the connect timeout). Each capability is one free function here;
//! [`ModelRuntime`] is the same set as an object-safe trait for code that wants to swap the
//! runtime, and [`HttpRuntime`] implements it with these functions. Inside, a `ModelRef` is
//! parsed into one backend of a closed enum (OpenAI-compatible via async-openai, Anthropic,
//! OpenLLM), so a credential problem is reported before any request is made.
//!
//! # Providers
//! | provider | text generation | embeddings | moderation | speech2text | wire |
//! |---|---|---|---|---|---|
//! | openai | chat / completion | ✓ | ✓ | ✓ | async-openai |
//! | azure_openai | chat / completion | ✓ | | | async-openai, Azure deployment paths |
//! | localai | chat / completion | ✓ | | | async-openai, `server_url`/v1 |
//! | xinference | chat / completion | ✓ | | | async-openai, `server_url`/v1, `model_uid` |
//! | openllm | completion (one-delta "stream") | | | | reqwest, `/v1/generate` |
//! | anthropic | messages | | | | reqwest, Messages API + SSE |
//!
//! Dify's other providers ([`NOT_YET_SUPPORTED_PROVIDERS`]) answer `NotInitialized("provider X is not
//! supported by dify-rs yet")`; a capability a provider lacks answers `ModelNotSupported`.
//!
//! # Timeouts and errors
//! Connect 10 s (the client of [`http_client`]); a whole generation, embedding, moderation or
//! transcription call 300 s — for a stream, from the request to its last chunk; a credential
//! check 30 s. Errors follow one rule for every vendor (see `errors`): 401/403 →
//! `Authentication`, 429 → `RateLimited`, other 4xx → `BadRequest`, 5xx → `Unavailable`,
//! connect/timeout/broken stream → `Connection`, each with the vendor's own message.
//! OpenAI-compatible calls are retried by async-openai up to 3 times on 429 (not
//! `insufficient_quota`), 5xx and refused connections, with 100 ms–8 s backoff or the vendor's
//! `Retry-After` — Dify's LangChain clients retried too; Anthropic and OpenLLM calls are not
//! retried (Dify's Anthropic client had `max_retries=0`).

mod anthropic;
mod errors;
mod openai_compat;
mod openllm;
mod resend;
mod stream;
mod types;
mod validate;
mod wire;
mod xinference;

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::tokens::Encoding;
use crate::{ModelType, ProviderError};
use anthropic::AnthropicBackend;
use openai_compat::CompatBackend;
use openllm::OpenLlmBackend;
use stream::Counter;

pub use types::{
    ChatMessage, CompletionParams, EmbeddingResult, FinishReason, LlmChunk, LlmResult, LlmStream, Role, Usage,
};
pub use validate::validate_credentials;
pub use xinference::xinference_model_info;

/// Decrypted credentials of one provider (or one model of a configurable provider), as Dify's config JSON.
pub type Credentials = serde_json::Map<String, serde_json::Value>;

/// Time allowed to open a connection (set on the client [`http_client`] builds).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for a whole call: a generation (streamed ones to their last chunk), an
/// embedding of a list of texts, a moderation, a transcription.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(300);
/// Time allowed for a credential check.
pub const VALIDATION_TIMEOUT: Duration = Duration::from_secs(30);

/// Providers dify-rs can call.
pub const SUPPORTED_PROVIDERS: &[&str] = &["openai", "azure_openai", "anthropic", "localai", "xinference", "openllm"];
/// Dify 0.3.23's other providers: listed, never faked.
pub const NOT_YET_SUPPORTED_PROVIDERS: &[&str] =
    &["minimax", "tongyi", "spark", "wenxin", "zhipuai", "chatglm", "replicate", "huggingface_hub"];

/// A model to call: provider name as Dify spells it, model name, and its credentials.
#[derive(Clone)]
pub struct ModelRef {
    pub provider: String,
    /// The model name (for Azure: the deployment name; for Xinference: Dify's model name, the
    /// server's model is `model_uid`).
    pub model: String,
    pub credentials: Credentials,
}

impl std::fmt::Debug for ModelRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials hold secrets: name the keys only.
        f.debug_struct("ModelRef")
            .field("provider", &self.provider)
            .field("model", &self.model)
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ModelRef {
    pub fn new(provider: impl Into<String>, model: impl Into<String>, credentials: Credentials) -> Self {
        Self { provider: provider.into(), model: model.into(), credentials }
    }

    /// The model prices and token counts are looked up by: Azure's `base_model_name`, else the model.
    pub fn base_model_name(&self) -> &str {
        match self.provider.as_str() {
            "azure_openai" => cred(&self.credentials, "base_model_name").unwrap_or(&self.model),
            _ => &self.model,
        }
    }
}

/// The model types a provider's runtime offers (empty for providers dify-rs cannot call).
pub fn supported_model_types(provider: &str) -> &'static [ModelType] {
    use ModelType::*;
    match provider {
        "openai" => &[TextGeneration, Embeddings, Speech2Text, Moderation],
        "azure_openai" | "localai" | "xinference" => &[TextGeneration, Embeddings],
        "anthropic" | "openllm" => &[TextGeneration],
        _ => &[],
    }
}

/// Whether dify-rs can call the provider at all.
pub fn is_supported(provider: &str) -> bool {
    SUPPORTED_PROVIDERS.contains(&provider)
}

/// A client for model calls: rustls, 10 s connect timeout, pooled keep-alive connections.
pub fn http_client() -> Result<reqwest::Client, ProviderError> {
    // Model endpoints are URLs users supply: the guarded client (see `infra::outbound`).
    infra::outbound::client_builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_idle_timeout(Duration::from_secs(90))
        .retry(resend::policy())
        .user_agent(concat!("dify-rs/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ProviderError::Other(format!("cannot build the HTTP client: {e}")))
}

/// Generates an answer and waits for all of it.
pub async fn generate(
    http: &reqwest::Client,
    model: &ModelRef,
    messages: &[ChatMessage],
    params: &CompletionParams,
) -> Result<LlmResult, ProviderError> {
    let backend = Backend::resolve(http, model, ModelType::TextGeneration)?;
    within(CALL_TIMEOUT, async {
        match &backend {
            Backend::Compat(b) => b.generate(messages, params).await,
            Backend::Anthropic(b) => b.generate(messages, params).await,
            Backend::OpenLlm(b) => b.generate(messages, params).await,
        }
    })
    .await
}

/// Starts a generation and streams it: `Delta`s as the vendor sends them, then one `Done`
/// with usage and finish reason; a failure after the start is one `Err` item, then the end.
/// Dropping the stream closes the connection, which stops the vendor generating.
pub async fn stream(
    http: &reqwest::Client,
    model: &ModelRef,
    messages: &[ChatMessage],
    params: &CompletionParams,
) -> Result<LlmStream, ProviderError> {
    let backend = Backend::resolve(http, model, ModelType::TextGeneration)?;
    let deadline = Instant::now() + CALL_TIMEOUT;
    within(CALL_TIMEOUT, async {
        match &backend {
            Backend::Compat(b) => b.stream(messages, params, deadline).await,
            Backend::Anthropic(b) => b.stream(messages, params, deadline).await,
            Backend::OpenLlm(b) => b.stream(messages, params).await,
        }
    })
    .await
}

/// Embeds texts, in provider-sized batches (a few in flight at once); vectors come back in
/// the order of `texts`. Each text must fit the model's context (Dify's splitter keeps
/// segments far below it); texts are not truncated here.
pub async fn embed(
    http: &reqwest::Client,
    model: &ModelRef,
    texts: &[String],
) -> Result<EmbeddingResult, ProviderError> {
    let backend = Backend::resolve(http, model, ModelType::Embeddings)?;
    within(CALL_TIMEOUT, backend.compat()?.embed(texts)).await
}

/// Whether the text breaks the provider's usage policies (`true` = flagged). Long texts are
/// checked in pieces; any flagged piece flags the text.
pub async fn moderate(http: &reqwest::Client, model: &ModelRef, text: &str) -> Result<bool, ProviderError> {
    let backend = Backend::resolve(http, model, ModelType::Moderation)?;
    within(CALL_TIMEOUT, backend.compat()?.moderate(text)).await
}

/// Transcribes an audio file (the file name's extension tells the vendor its format).
pub async fn transcribe(
    http: &reqwest::Client,
    model: &ModelRef,
    audio: Bytes,
    filename: &str,
) -> Result<String, ProviderError> {
    let backend = Backend::resolve(http, model, ModelType::Speech2Text)?;
    within(CALL_TIMEOUT, backend.compat()?.transcribe(audio, filename)).await
}

/// Prompt tokens of `messages` for the model, counted locally as Dify's `get_num_tokens` did
/// (see `tokens` for the encodings): for budgeting history and for usage a vendor does not report.
pub async fn count_prompt_tokens(model: &ModelRef, messages: &[ChatMessage]) -> u32 {
    counter_for(model).prompt(messages).await
}

/// Tokens of a text (an answer, a document) for the model, counted locally.
pub async fn count_text_tokens(model: &ModelRef, text: &str) -> u32 {
    counter_for(model).text(text).await
}

/// The model runtime as a trait; [`HttpRuntime`] is the real one.
#[async_trait::async_trait]
pub trait ModelRuntime: Send + Sync {
    async fn generate(
        &self,
        model: &ModelRef,
        messages: &[ChatMessage],
        params: &CompletionParams,
    ) -> Result<LlmResult, ProviderError>;

    async fn stream(
        &self,
        model: &ModelRef,
        messages: &[ChatMessage],
        params: &CompletionParams,
    ) -> Result<LlmStream, ProviderError>;

    async fn embed(&self, model: &ModelRef, texts: &[String]) -> Result<EmbeddingResult, ProviderError>;

    async fn moderate(&self, model: &ModelRef, text: &str) -> Result<bool, ProviderError>;

    async fn transcribe(&self, model: &ModelRef, audio: Bytes, filename: &str) -> Result<String, ProviderError>;

    async fn validate_credentials(
        &self,
        provider: &str,
        model: Option<(&str, ModelType)>,
        credentials: &Credentials,
    ) -> Result<(), ProviderError>;
}

/// The runtime that calls the vendors over HTTP.
#[derive(Debug, Clone)]
pub struct HttpRuntime {
    http: reqwest::Client,
}

impl HttpRuntime {
    pub fn new(http: reqwest::Client) -> Self {
        Self { http }
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

#[async_trait::async_trait]
impl ModelRuntime for HttpRuntime {
    async fn generate(
        &self,
        model: &ModelRef,
        messages: &[ChatMessage],
        params: &CompletionParams,
    ) -> Result<LlmResult, ProviderError> {
        generate(&self.http, model, messages, params).await
    }

    async fn stream(
        &self,
        model: &ModelRef,
        messages: &[ChatMessage],
        params: &CompletionParams,
    ) -> Result<LlmStream, ProviderError> {
        stream(&self.http, model, messages, params).await
    }

    async fn embed(&self, model: &ModelRef, texts: &[String]) -> Result<EmbeddingResult, ProviderError> {
        embed(&self.http, model, texts).await
    }

    async fn moderate(&self, model: &ModelRef, text: &str) -> Result<bool, ProviderError> {
        moderate(&self.http, model, text).await
    }

    async fn transcribe(&self, model: &ModelRef, audio: Bytes, filename: &str) -> Result<String, ProviderError> {
        transcribe(&self.http, model, audio, filename).await
    }

    async fn validate_credentials(
        &self,
        provider: &str,
        model: Option<(&str, ModelType)>,
        credentials: &Credentials,
    ) -> Result<(), ProviderError> {
        validate_credentials(&self.http, provider, model, credentials).await
    }
}

/// One model of one provider, ready to call.
enum Backend {
    Compat(CompatBackend),
    Anthropic(AnthropicBackend),
    OpenLlm(OpenLlmBackend),
}

impl Backend {
    /// Parses the model reference for a capability; fails before any request is made.
    fn resolve(http: &reqwest::Client, model: &ModelRef, capability: ModelType) -> Result<Self, ProviderError> {
        let provider = model.provider.as_str();
        if !is_supported(provider) {
            return Err(unsupported(provider));
        }
        if !supported_model_types(provider).contains(&capability) {
            return Err(ProviderError::ModelNotSupported(format!(
                "provider {provider} offers no {} models",
                capability.as_str()
            )));
        }
        let (name, creds, counter) = (model.model.as_str(), &model.credentials, counter_for(model));
        // An address written in the URL is checked here; names by the client's resolver.
        for key in ["openai_api_base", "server_url", "anthropic_api_url"] {
            if let Some(url) = creds.get(key).and_then(|v| v.as_str()).filter(|u| !u.trim().is_empty()) {
                infra::outbound::check_url(url.trim()).map_err(|e| ProviderError::BadRequest(format!("{key}: {e}")))?;
            }
        }
        Ok(match provider {
            "openai" => Backend::Compat(CompatBackend::openai(http, name, creds, counter)?),
            "azure_openai" => Backend::Compat(CompatBackend::azure(http, name, creds, counter)?),
            "localai" => Backend::Compat(CompatBackend::localai(http, name, creds, counter)?),
            "xinference" => Backend::Compat(CompatBackend::xinference(http, creds, counter)?),
            "anthropic" => Backend::Anthropic(AnthropicBackend::new(http, name, creds)?),
            _ => Backend::OpenLlm(OpenLlmBackend::new(http, creds)?),
        })
    }

    /// The OpenAI-compatible backend (the only one offering embeddings, moderation, speech2text;
    /// `resolve` has checked the capability already).
    fn compat(&self) -> Result<&CompatBackend, ProviderError> {
        match self {
            Backend::Compat(b) => Ok(b),
            _ => Err(ProviderError::ModelNotSupported("this provider offers no such models".into())),
        }
    }
}

/// How to count tokens for a model when its vendor does not, as Dify's clients counted.
fn counter_for(model: &ModelRef) -> Counter {
    let creds = &model.credentials;
    match model.provider.as_str() {
        "openai" => Counter {
            encoding: Encoding::for_model(&model.model),
            chat_rule: !openai_compat::openai_is_completion(&model.model),
        },
        "azure_openai" => Counter {
            encoding: Encoding::for_model(model.base_model_name()),
            chat_rule: !openai_compat::azure_is_completion(&model.model, model.base_model_name()),
        },
        "localai" => Counter {
            encoding: Encoding::for_model(&model.model),
            chat_rule: !openai_compat::localai_is_completion(creds),
        },
        _ => Counter { encoding: Encoding::R50kBase, chat_rule: false },
    }
}

fn unsupported(provider: &str) -> ProviderError {
    if NOT_YET_SUPPORTED_PROVIDERS.contains(&provider) {
        ProviderError::NotInitialized(format!("provider {provider} is not supported by dify-rs yet"))
    } else {
        ProviderError::NotInitialized(format!("provider {provider} does not exist"))
    }
}

/// Runs a call with a time limit.
async fn within<T>(limit: Duration, call: impl Future<Output = Result<T, ProviderError>>) -> Result<T, ProviderError> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => result,
        Err(_) => {
            Err(ProviderError::Connection(format!("The model provider did not answer within {} s", limit.as_secs())))
        }
    }
}

/// A credential as a non-empty string (Dify's forms send empty strings for unset fields).
pub(crate) fn cred<'a>(creds: &'a Credentials, key: &str) -> Option<&'a str> {
    creds.get(key).and_then(serde_json::Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// A credential that must be set; `message` is Dify's wording for its absence.
pub(crate) fn required_cred<'a>(creds: &'a Credentials, key: &str, message: &str) -> Result<&'a str, ProviderError> {
    cred(creds, key).ok_or_else(|| ProviderError::NotInitialized(message.to_owned()))
}
