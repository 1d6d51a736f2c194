//! OpenLLM through its `/v1/generate` JSON API, as Dify 0.3.23 called it (OpenLLM had no
//! OpenAI-compatible API then): `{"prompt", "llm_config": {...}}` → `{"responses": [text]}`.
//!
//! The API does not stream and knows no stop words: `stream` yields the whole answer as one
//! delta, and stop words are applied here (the text is cut at the first one), as Dify did.
//! Usage is counted locally (GPT-2 BPE).

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::errors::{body_message, from_reqwest, from_status, from_unexpected_body};
use super::stream::{Counter, complete_usage};
use super::types::{ChatMessage, CompletionParams, FinishReason, LlmChunk, LlmResult, LlmStream};
use super::wire::completion_prompt;
use super::{Credentials, required_cred};
use crate::ProviderError;
use crate::tokens::Encoding;

const LABEL: &str = "OpenLLM: ";

pub(crate) struct OpenLlmBackend {
    http: reqwest::Client,
    url: String,
}

#[derive(Debug, Serialize)]
struct LlmConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    max_new_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    presence_penalty: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frequency_penalty: Option<f32>,
}

#[derive(Debug, Serialize)]
struct Request<'a> {
    prompt: &'a str,
    llm_config: LlmConfig,
}

#[derive(Debug, Deserialize)]
struct Response {
    #[serde(default)]
    responses: Vec<String>,
}

impl OpenLlmBackend {
    pub(crate) fn new(http: &reqwest::Client, creds: &Credentials) -> Result<Self, ProviderError> {
        let server = required_cred(creds, "server_url", "OpenLLM Server URL must be provided.")?;
        let url = format!("{}/v1/generate", server.trim_end_matches('/'));
        super::openai_compat::check_url(&url)?;
        Ok(Self { http: http.clone(), url })
    }

    pub(crate) fn counter(&self) -> Counter {
        Counter { encoding: Encoding::R50kBase, chat_rule: false }
    }

    pub(crate) async fn generate(
        &self,
        messages: &[ChatMessage],
        params: &CompletionParams,
    ) -> Result<LlmResult, ProviderError> {
        let prompt = completion_prompt(messages);
        let request = Request {
            prompt: &prompt,
            llm_config: LlmConfig {
                max_new_tokens: params.max_tokens,
                temperature: params.temperature,
                top_p: params.top_p,
                presence_penalty: params.presence_penalty,
                frequency_penalty: params.frequency_penalty,
            },
        };
        let response = self.http.post(&self.url).json(&request).send().await.map_err(|e| from_reqwest(LABEL, &e))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| from_reqwest(LABEL, &e))?;
        if !status.is_success() {
            let message = format!("{LABEL}HTTP {} error: {}", status.as_u16(), body_message(&body));
            return Err(from_status(status.as_u16(), message));
        }
        let parsed: Response = serde_json::from_str(&body).map_err(|_| from_unexpected_body(LABEL, &body))?;
        let Some(mut text) = parsed.responses.into_iter().next() else {
            return Err(ProviderError::Other(format!("{LABEL}the response has no text")));
        };
        let mut finish_reason = None;
        if let Some(stop) = params.stop_words()
            && let Some(cut) = stop.iter().filter(|s| !s.is_empty()).filter_map(|s| text.find(s.as_str())).min()
        {
            text.truncate(cut);
            finish_reason = Some(FinishReason::Stop);
        }
        let usage = complete_usage(&self.counter(), messages, &text, None, None).await;
        Ok(LlmResult { text, usage, finish_reason })
    }

    /// The blocking answer as a one-delta stream (OpenLLM's API cannot stream).
    pub(crate) async fn stream(
        &self,
        messages: &[ChatMessage],
        params: &CompletionParams,
    ) -> Result<LlmStream, ProviderError> {
        let result = self.generate(messages, params).await?;
        let mut chunks = Vec::with_capacity(2);
        if !result.text.is_empty() {
            chunks.push(Ok(LlmChunk::Delta(result.text)));
        }
        chunks.push(Ok(LlmChunk::Done { usage: result.usage, finish_reason: result.finish_reason }));
        Ok(futures::stream::iter(chunks).boxed())
    }
}
