//! OpenAI and the servers that speak its API — Azure OpenAI, LocalAI, Xinference — through
//! async-openai, with our own lenient wire types (see `wire`).
//!
//! | provider | base URL | model sent | chat or completion |
//! |---|---|---|---|
//! | openai | `openai_api_base` + `/v1` (Dify appends it), else api.openai.com/v1 | the model | completion for gpt-3.5-turbo-instruct and text-davinci-003 |
//! | azure_openai | `openai_api_base`/openai/deployments/{model}?api-version=2023-07-01-preview | the deployment | completion when the base model is text-davinci-003 |
//! | localai | `server_url` + `/v1` | the model | `completion_type` |
//! | xinference | `server_url` + `/v1` | `model_uid` | completion when `model_handle_type` is `generate` |

use async_openai::Client;
use async_openai::config::{AzureConfig, Config, OpenAIConfig};
use async_openai::types::audio::{AudioInput, CreateTranscriptionRequest};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use reqwest::header::HeaderValue;
use serde::Deserialize;
use tokio::time::Instant;

use super::errors::{from_openai, from_unexpected_body};
use super::stream::{Counter, Event, StreamPlan, assemble, complete_usage, saturate};
use super::types::{ChatMessage, CompletionParams, EmbeddingResult, LlmResult, LlmStream};
use super::wire::{
    ChatRequest, CompletionRequest, EmbeddingRequest, EmbeddingResponse, ModerationRequest, ModerationResponse,
    Sampling, StreamOptions, WireResponse, completion_prompt, wire_messages,
};
use super::{Credentials, cred, required_cred};
use crate::ProviderError;

pub(crate) const OPENAI_API_BASE: &str = "https://api.openai.com/v1";
/// The API version Dify 0.3.23 used for every Azure call.
pub(crate) const AZURE_API_VERSION: &str = "2023-07-01-preview";
/// OpenAI models served by the legacy completions endpoint.
const OPENAI_COMPLETION_MODELS: [&str; 2] = ["gpt-3.5-turbo-instruct", "text-davinci-003"];
/// LocalAI and Xinference need no key; Dify sent this one to LocalAI.
const PLACEHOLDER_KEY: &str = "1";
/// Texts per embeddings request: OpenAI takes up to 2048, Azure (at this API version) 16; the
/// self-hosted servers get small batches to stay within their memory.
const OPENAI_EMBEDDING_BATCH: usize = 512;
const SMALL_EMBEDDING_BATCH: usize = 16;
/// Embedding requests of one call in flight at once.
const EMBEDDING_CONCURRENCY: usize = 4;
/// Moderation input is sent in pieces of 2000 characters, 32 pieces a request (as Dify).
const MODERATION_CHUNK_CHARS: usize = 2000;
const MODERATION_CHUNKS_PER_REQUEST: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    OpenAi,
    Azure,
    LocalAi,
    Xinference,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Chat,
    Completion,
}

/// A configured client for one model of an OpenAI-compatible provider.
pub(crate) struct CompatBackend {
    flavor: Flavor,
    client: Client<Box<dyn Config>>,
    /// What goes into the `model` field.
    wire_model: String,
    mode: Mode,
    counter: Counter,
}

impl CompatBackend {
    pub(crate) fn openai(
        http: &reqwest::Client,
        model: &str,
        creds: &Credentials,
        counter: Counter,
    ) -> Result<Self, ProviderError> {
        let key = required_cred(creds, "openai_api_key", "OpenAI API key is required")?;
        let base = match cred(creds, "openai_api_base") {
            Some(base) => format!("{}/v1", base.trim_end_matches('/')),
            None => OPENAI_API_BASE.to_owned(),
        };
        check_url(&base)?;
        let org = cred(creds, "openai_organization").unwrap_or_default();
        header_value(&format!("Bearer {key}"), "API key")?;
        header_value(org, "organization")?;
        let config = OpenAIConfig::new().with_api_base(base).with_api_key(key).with_org_id(org).with_project_id("");
        let mode = if openai_is_completion(model) { Mode::Completion } else { Mode::Chat };
        Ok(Self::new(Flavor::OpenAi, http, Box::new(config), model, mode, counter))
    }

    pub(crate) fn azure(
        http: &reqwest::Client,
        model: &str,
        creds: &Credentials,
        counter: Counter,
    ) -> Result<Self, ProviderError> {
        let key = required_cred(creds, "openai_api_key", "Azure OpenAI API key is required")?;
        let base = required_cred(creds, "openai_api_base", "Azure OpenAI API Base Endpoint is required")?;
        let base = base.trim_end_matches('/');
        check_url(base)?;
        header_value(key, "API key")?;
        let base_model = cred(creds, "base_model_name").unwrap_or(model);
        let config = AzureConfig::new()
            .with_api_base(base)
            .with_api_key(key)
            .with_deployment_id(model)
            .with_api_version(AZURE_API_VERSION);
        let mode = if azure_is_completion(model, base_model) { Mode::Completion } else { Mode::Chat };
        Ok(Self::new(Flavor::Azure, http, Box::new(config), model, mode, counter))
    }

    pub(crate) fn localai(
        http: &reqwest::Client,
        model: &str,
        creds: &Credentials,
        counter: Counter,
    ) -> Result<Self, ProviderError> {
        let server = required_cred(creds, "server_url", "LocalAI Server URL must be provided.")?;
        let base = format!("{}/v1", server.trim_end_matches('/'));
        check_url(&base)?;
        let config = OpenAIConfig::new().with_api_base(base).with_api_key(PLACEHOLDER_KEY).with_project_id("");
        let mode = if localai_is_completion(creds) { Mode::Completion } else { Mode::Chat };
        Ok(Self::new(Flavor::LocalAi, http, Box::new(config), model, mode, counter))
    }

    pub(crate) fn xinference(
        http: &reqwest::Client,
        creds: &Credentials,
        counter: Counter,
    ) -> Result<Self, ProviderError> {
        let server = required_cred(creds, "server_url", "Xinference Server URL must be provided.")?;
        let uid = required_cred(creds, "model_uid", "Xinference Model UID must be provided.")?;
        let base = format!("{}/v1", server.trim_end_matches('/'));
        check_url(&base)?;
        let config = OpenAIConfig::new().with_api_base(base).with_api_key(PLACEHOLDER_KEY).with_project_id("");
        let mode = if xinference_is_completion(creds) { Mode::Completion } else { Mode::Chat };
        Ok(Self::new(Flavor::Xinference, http, Box::new(config), uid, mode, counter))
    }

    fn new(
        flavor: Flavor,
        http: &reqwest::Client,
        config: Box<dyn Config>,
        wire_model: &str,
        mode: Mode,
        counter: Counter,
    ) -> Self {
        Self { flavor, client: Client::build(http.clone(), config), wire_model: wire_model.to_owned(), mode, counter }
    }

    /// Prefix of this provider's error messages (Dify's wording).
    pub(crate) fn label(&self) -> &'static str {
        match self.flavor {
            Flavor::OpenAi | Flavor::LocalAi => "",
            Flavor::Azure => "Azure ",
            Flavor::Xinference => "Xinference: ",
        }
    }

    fn error(&self, e: async_openai::error::OpenAIError) -> ProviderError {
        from_openai(self.label(), e)
    }

    pub(crate) async fn generate(
        &self,
        messages: &[ChatMessage],
        params: &CompletionParams,
    ) -> Result<LlmResult, ProviderError> {
        let response: WireResponse = match self.mode {
            Mode::Chat => self.client.chat().create_byot(self.chat_request(messages, params, false)).await,
            Mode::Completion => {
                let prompt = completion_prompt(messages);
                self.client.completions().create_byot(self.completion_request(&prompt, params, false)).await
            }
        }
        .map_err(|e| self.error(e))?;
        if let Some(error) = response.error {
            return Err(from_unexpected_body(self.label(), &serde_json::json!({ "error": error }).to_string()));
        }
        let Some(mut choice) = response.choices.into_iter().next() else {
            return Err(ProviderError::Other(format!("{}the response has no choices", self.label())));
        };
        let text = choice.take_text().unwrap_or_default();
        let usage = response.usage.unwrap_or_default();
        let usage = complete_usage(&self.counter, messages, &text, usage.prompt_tokens, usage.completion_tokens).await;
        Ok(LlmResult { text, usage, finish_reason: choice.finish() })
    }

    pub(crate) async fn stream(
        &self,
        messages: &[ChatMessage],
        params: &CompletionParams,
        deadline: Instant,
    ) -> Result<LlmStream, ProviderError> {
        let raw = match self.mode {
            Mode::Chat => {
                self.client
                    .chat()
                    .create_stream_byot::<_, WireResponse>(self.chat_request(messages, params, true))
                    .await
            }
            Mode::Completion => {
                let prompt = completion_prompt(messages);
                let request = self.completion_request(&prompt, params, true);
                self.client.completions().create_stream_byot::<_, WireResponse>(request).await
            }
        }
        .map_err(|e| self.error(e))?;
        let label = self.label();
        let events = raw
            .map(move |item| match item {
                Ok(chunk) => chunk_events(label, chunk),
                Err(e) => Err(from_openai(label, e)),
            })
            .boxed();
        let plan = StreamPlan {
            label,
            counter: self.counter,
            prompt: messages.to_vec(),
            // OpenAI and Azure always end with a finish reason; self-hosted servers may not.
            require_end: matches!(self.flavor, Flavor::OpenAi | Flavor::Azure),
            deadline,
        };
        Ok(assemble(events, plan))
    }

    fn sampling<'a>(&self, params: &'a CompletionParams) -> Sampling<'a> {
        Sampling::new(params)
    }

    /// Only OpenAI itself is known to accept `stream_options`; elsewhere usage is counted.
    fn stream_options(&self, stream: bool) -> Option<StreamOptions> {
        (stream && self.flavor == Flavor::OpenAi).then_some(StreamOptions { include_usage: true })
    }

    fn chat_request<'a>(
        &'a self,
        messages: &'a [ChatMessage],
        params: &'a CompletionParams,
        stream: bool,
    ) -> ChatRequest<'a> {
        ChatRequest {
            model: &self.wire_model,
            messages: wire_messages(messages),
            sampling: self.sampling(params),
            stream,
            stream_options: self.stream_options(stream),
        }
    }

    fn completion_request<'a>(
        &'a self,
        prompt: &'a str,
        params: &'a CompletionParams,
        stream: bool,
    ) -> CompletionRequest<'a> {
        CompletionRequest {
            model: &self.wire_model,
            prompt,
            sampling: self.sampling(params),
            stream,
            stream_options: self.stream_options(stream),
        }
    }

    pub(crate) async fn embed(&self, texts: &[String]) -> Result<EmbeddingResult, ProviderError> {
        if texts.is_empty() {
            return Ok(EmbeddingResult { vectors: Vec::new(), total_tokens: 0 });
        }
        let batch = match self.flavor {
            Flavor::OpenAi => OPENAI_EMBEDDING_BATCH,
            Flavor::Azure | Flavor::LocalAi | Flavor::Xinference => SMALL_EMBEDDING_BATCH,
        };
        // The futures are built before streaming them: a closure in the stream would make the
        // whole call's future lose `Send` (a higher-ranked lifetime inference limitation).
        let calls: Vec<_> = texts.chunks(batch).map(|chunk| self.embed_batch(chunk)).collect();
        let batches: Vec<(Vec<Vec<f32>>, u32)> =
            futures::stream::iter(calls).buffered(EMBEDDING_CONCURRENCY).try_collect().await?;
        let mut result = EmbeddingResult { vectors: Vec::with_capacity(texts.len()), total_tokens: 0 };
        for (vectors, tokens) in batches {
            result.vectors.extend(vectors);
            result.total_tokens = result.total_tokens.saturating_add(tokens);
        }
        Ok(result)
    }

    async fn embed_batch(&self, texts: &[String]) -> Result<(Vec<Vec<f32>>, u32), ProviderError> {
        // Dify reached these three through openai-python, which asks for base64; Xinference
        // through its own client, which does not.
        let encoding_format = (self.flavor != Flavor::Xinference).then_some("base64");
        let request = EmbeddingRequest { model: &self.wire_model, input: texts, encoding_format };
        let response: EmbeddingResponse =
            self.client.embeddings().create_byot(request).await.map_err(|e| self.error(e))?;
        let mut data = response.data;
        if data.len() != texts.len() {
            let (sent, got) = (texts.len(), data.len());
            return Err(ProviderError::Other(format!("{}sent {sent} texts, got {got} embeddings", self.label())));
        }
        if data.iter().all(|d| d.index.is_some()) {
            data.sort_by_key(|d| d.index);
        }
        let mut vectors: Vec<Vec<f32>> = data.into_iter().map(|d| d.embedding).collect();
        if self.flavor == Flavor::Xinference {
            // Dify normalized Xinference's vectors (the others come normalized).
            vectors.iter_mut().for_each(|v| normalize(v));
        }
        let reported = response.usage.and_then(|u| u.prompt_tokens.or(u.total_tokens));
        let tokens = match reported {
            Some(n) => n,
            None => {
                let mut n = 0u32;
                for text in texts {
                    n = n.saturating_add(saturate(self.counter.encoding.count_async(text).await));
                }
                n
            }
        };
        Ok((vectors, tokens))
    }

    /// True when any part of `text` is flagged.
    pub(crate) async fn moderate(&self, text: &str) -> Result<bool, ProviderError> {
        let chars: Vec<char> = text.chars().collect();
        let pieces: Vec<String> = chars.chunks(MODERATION_CHUNK_CHARS).map(|c| c.iter().collect()).collect();
        for group in pieces.chunks(MODERATION_CHUNKS_PER_REQUEST) {
            let response: ModerationResponse = self
                .client
                .moderations()
                .create_byot(ModerationRequest { input: group })
                .await
                .map_err(|e| self.error(e))?;
            if response.results.iter().any(|r| r.flagged) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub(crate) async fn transcribe(&self, audio: Bytes, filename: &str) -> Result<String, ProviderError> {
        let request = CreateTranscriptionRequest {
            file: AudioInput::from_bytes(filename.to_owned(), audio),
            model: self.wire_model.clone(),
            ..Default::default()
        };
        let response: TranscriptionText =
            self.client.audio().transcription().create_byot(request).await.map_err(|e| self.error(e))?;
        Ok(response.text)
    }
}

/// Whether an OpenAI model is served by the legacy completions endpoint.
pub(crate) fn openai_is_completion(model: &str) -> bool {
    OPENAI_COMPLETION_MODELS.contains(&model)
}

/// Dify chose completion when the Azure deployment was named text-davinci-003; the base model
/// says it whatever the deployment is called.
pub(crate) fn azure_is_completion(deployment: &str, base_model: &str) -> bool {
    deployment == "text-davinci-003" || base_model == "text-davinci-003"
}

/// LocalAI models are chat models only when configured as `chat_completion`.
pub(crate) fn localai_is_completion(creds: &Credentials) -> bool {
    cred(creds, "completion_type") != Some("chat_completion")
}

/// Xinference "generate" models take a prompt; chat models (and chatglm) take messages.
/// `model_handle_type` is derived when the model is saved (see `xinference_model_info`).
pub(crate) fn xinference_is_completion(creds: &Credentials) -> bool {
    cred(creds, "model_handle_type") == Some("generate")
}

#[derive(Debug, Deserialize)]
struct TranscriptionText {
    text: String,
}

/// The events of one stream chunk (chat or legacy completion).
fn chunk_events(label: &str, chunk: WireResponse) -> Result<Vec<Event>, ProviderError> {
    if let Some(error) = chunk.error {
        return Err(from_unexpected_body(label, &serde_json::json!({ "error": error }).to_string()));
    }
    let mut events = Vec::with_capacity(2);
    if let Some(mut choice) = chunk.choices.into_iter().next() {
        if let Some(text) = choice.take_text() {
            events.push(Event::Delta(text));
        }
        if let Some(reason) = choice.finish() {
            events.push(Event::Finish(reason));
        }
    }
    if let Some(usage) = chunk.usage {
        events.extend(usage.prompt_tokens.map(Event::PromptTokens));
        events.extend(usage.completion_tokens.map(Event::CompletionTokens));
    }
    Ok(events)
}

fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x = (f64::from(*x) / norm) as f32);
    }
}

/// async-openai builds headers with `unwrap`: refuse values that are not valid header text.
fn header_value(value: &str, what: &str) -> Result<(), ProviderError> {
    HeaderValue::from_str(value)
        .map(drop)
        .map_err(|_| ProviderError::BadRequest(format!("The {what} contains characters that cannot be sent")))
}

pub(crate) fn check_url(base: &str) -> Result<(), ProviderError> {
    match url::Url::parse(base) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(()),
        _ => Err(ProviderError::BadRequest(format!("Invalid server URL: {base}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        let mut v = vec![3.0, 4.0];
        normalize(&mut v);
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        let mut zero = vec![0.0, 0.0];
        normalize(&mut zero);
        assert_eq!(zero, vec![0.0, 0.0]);
    }

    #[test]
    fn urls() {
        assert!(check_url("http://127.0.0.1:9997/v1").is_ok());
        assert!(check_url("not a url").is_err());
        assert!(check_url("ftp://x/v1").is_err());
    }
}
