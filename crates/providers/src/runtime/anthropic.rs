//! Anthropic through its Messages API (`POST /v1/messages`, `anthropic-version: 2023-06-01`),
//! blocking and SSE streaming, with plain reqwest.
//!
//! Dify 0.3.23 used the legacy Text Completions API (`/v1/complete` with a
//! "\n\nHuman: … \n\nAssistant:" prompt). We use Messages instead: it is the API Anthropic
//! supports for every model, it carries a system prompt and usage in both modes, and its
//! streaming events are explicit. Mapping: system messages are joined into `system`; user and
//! assistant messages are sent in order, consecutive ones of the same role merged; `max_tokens`
//! (required by the API) defaults to 256, Dify's default for Anthropic; penalties are not sent
//! (Anthropic has none; Dify's rules disable them too).

use eventsource_stream::{EventStreamError, Eventsource};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;

use super::errors::{body_message, from_reqwest, from_status, from_unexpected_body};
use super::stream::{Counter, Event, StreamPlan, assemble, complete_usage};
use super::types::{ChatMessage, CompletionParams, FinishReason, LlmResult, LlmStream, Role};
use super::{Credentials, cred, required_cred};
use crate::ProviderError;
use crate::tokens::Encoding;

pub(crate) const ANTHROPIC_API_URL: &str = "https://api.anthropic.com";
const API_VERSION: &str = "2023-06-01";
const DEFAULT_MAX_TOKENS: u32 = 256;
pub(crate) const LABEL: &str = "Anthropic: ";

pub(crate) struct AnthropicBackend {
    http: reqwest::Client,
    url: String,
    key: String,
    model: String,
}

#[derive(Debug, Serialize)]
struct Message {
    role: &'static str,
    content: String,
}

#[derive(Debug, Serialize)]
struct Request<'a> {
    model: &'a str,
    max_tokens: u32,
    messages: Vec<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_sequences: Option<&'a [String]>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
}

#[derive(Debug, Default, Deserialize)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u32>,
    #[serde(default)]
    output_tokens: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct ContentBlock {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Response {
    #[serde(default)]
    content: Vec<ContentBlock>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

impl AnthropicBackend {
    pub(crate) fn new(http: &reqwest::Client, model: &str, creds: &Credentials) -> Result<Self, ProviderError> {
        let key = required_cred(creds, "anthropic_api_key", "Anthropic API Key must be provided.")?;
        let base = cred(creds, "anthropic_api_url").unwrap_or(ANTHROPIC_API_URL).trim_end_matches('/');
        let url = format!("{base}/v1/messages");
        super::openai_compat::check_url(&url)?;
        if reqwest::header::HeaderValue::from_str(key).is_err() {
            return Err(ProviderError::BadRequest("The API key contains characters that cannot be sent".into()));
        }
        Ok(Self { http: http.clone(), url, key: key.to_owned(), model: model.to_owned() })
    }

    pub(crate) fn counter(&self) -> Counter {
        Counter { encoding: Encoding::R50kBase, chat_rule: false }
    }

    fn request<'a>(&'a self, messages: &[ChatMessage], params: &'a CompletionParams, stream: bool) -> Request<'a> {
        let (system, messages) = split_messages(messages);
        Request {
            model: &self.model,
            max_tokens: params.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            messages,
            system,
            temperature: params.temperature,
            top_p: params.top_p,
            stop_sequences: params.stop_words(),
            stream,
        }
    }

    async fn send_raw(&self, body: &Request<'_>) -> Result<reqwest::Response, ProviderError> {
        self.http
            .post(&self.url)
            .header("x-api-key", &self.key)
            .header("anthropic-version", API_VERSION)
            .json(body)
            .send()
            .await
            .map_err(|e| from_reqwest(LABEL, &e))
    }

    async fn send(&self, body: &Request<'_>) -> Result<reqwest::Response, ProviderError> {
        let response = self.send_raw(body).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default();
        Err(from_status(status.as_u16(), format!("{LABEL}{}", body_message(&body))))
    }

    /// The credential check: Dify's "ping" to `model` (10 tokens, temperature 0).
    ///
    /// Dify pinged claude-instant-1, which Anthropic has since retired: a 404 `not_found_error`
    /// about the model still proves the key was accepted (Anthropic authenticates first), so
    /// it counts as valid.
    pub(crate) async fn validate(&self) -> Result<(), ProviderError> {
        let params = CompletionParams { max_tokens: Some(10), temperature: Some(0.0), ..Default::default() };
        let response = self.send_raw(&self.request(&[ChatMessage::user("ping")], &params, false)).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        if status == reqwest::StatusCode::NOT_FOUND && is_unknown_model(&body) {
            return Ok(());
        }
        Err(from_status(status.as_u16(), format!("{LABEL}{}", body_message(&body))))
    }

    pub(crate) async fn generate(
        &self,
        messages: &[ChatMessage],
        params: &CompletionParams,
    ) -> Result<LlmResult, ProviderError> {
        let response = self.send(&self.request(messages, params, false)).await?;
        let body = response.text().await.map_err(|e| from_reqwest(LABEL, &e))?;
        let parsed: Response = serde_json::from_str(&body).map_err(|_| from_unexpected_body(LABEL, &body))?;
        let text: String =
            parsed.content.iter().filter(|b| b.kind == "text").filter_map(|b| b.text.as_deref()).collect();
        let usage = parsed.usage.unwrap_or_default();
        let usage = complete_usage(&self.counter(), messages, &text, usage.input_tokens, usage.output_tokens).await;
        Ok(LlmResult { text, usage, finish_reason: parsed.stop_reason.as_deref().map(FinishReason::parse) })
    }

    pub(crate) async fn stream(
        &self,
        messages: &[ChatMessage],
        params: &CompletionParams,
        deadline: Instant,
    ) -> Result<LlmStream, ProviderError> {
        let response = self.send(&self.request(messages, params, true)).await?;
        let events = response
            .bytes_stream()
            .eventsource()
            .map(|item| match item {
                Ok(event) => sse_events(&event.data),
                Err(EventStreamError::Transport(e)) => Err(from_reqwest(LABEL, &e)),
                Err(e) => Err(ProviderError::Connection(format!("{LABEL}the stream broke off: {e}"))),
            })
            .boxed();
        let plan = StreamPlan {
            label: LABEL,
            counter: self.counter(),
            prompt: messages.to_vec(),
            require_end: true,
            deadline,
        };
        Ok(assemble(events, plan))
    }
}

/// Anthropic's answer for a model it does not serve (to this key).
fn is_unknown_model(body: &str) -> bool {
    let Ok(json) = serde_json::from_str::<Value>(body) else { return false };
    let kind = json.pointer("/error/type").and_then(Value::as_str);
    let message = json.pointer("/error/message").and_then(Value::as_str).unwrap_or_default();
    kind == Some("not_found_error") && message.contains("model")
}

/// `system` text and the user/assistant turns, consecutive turns of one role merged.
fn split_messages(messages: &[ChatMessage]) -> (Option<String>, Vec<Message>) {
    let mut system: Vec<&str> = Vec::new();
    let mut turns: Vec<Message> = Vec::new();
    for m in messages {
        let role = match m.role {
            Role::System => {
                system.push(&m.content);
                continue;
            }
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        match turns.last_mut() {
            Some(last) if last.role == role => {
                last.content.push_str("\n\n");
                last.content.push_str(&m.content);
            }
            _ => turns.push(Message { role, content: m.content.clone() }),
        }
    }
    let system = (!system.is_empty()).then(|| system.join("\n"));
    if turns.is_empty() {
        // A prompt of system text only: send it as the user's turn, as Dify's single-message prompts are.
        return (None, vec![Message { role: "user", content: system.unwrap_or_default() }]);
    }
    (system, turns)
}

/// The events of one SSE event of the Messages stream.
fn sse_events(data: &str) -> Result<Vec<Event>, ProviderError> {
    let Ok(json) = serde_json::from_str::<Value>(data) else {
        return Ok(Vec::new());
    };
    let kind = json.get("type").and_then(Value::as_str).unwrap_or_default();
    let tokens = |v: Option<&Value>| v.and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok());
    let mut events = Vec::new();
    match kind {
        "message_start" => {
            let usage = json.pointer("/message/usage");
            events.extend(tokens(usage.and_then(|u| u.get("input_tokens"))).map(Event::PromptTokens));
        }
        "content_block_delta" => {
            if let Some(text) = json.pointer("/delta/text").and_then(Value::as_str) {
                events.push(Event::Delta(text.to_owned()));
            }
        }
        "message_delta" => {
            if let Some(reason) = json.pointer("/delta/stop_reason").and_then(Value::as_str) {
                events.push(Event::Finish(FinishReason::parse(reason)));
            }
            events.extend(tokens(json.pointer("/usage/output_tokens")).map(Event::CompletionTokens));
        }
        "message_stop" => events.push(Event::End),
        "error" => return Err(from_unexpected_body(LABEL, data)),
        // ping, content_block_start, content_block_stop
        _ => {}
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_split_and_merged() {
        let (system, turns) = split_messages(&[
            ChatMessage::system("be brief"),
            ChatMessage::user("a"),
            ChatMessage::user("b"),
            ChatMessage::assistant("c"),
        ]);
        assert_eq!(system.as_deref(), Some("be brief"));
        assert_eq!(turns.len(), 2);
        assert_eq!(turns[0].content, "a\n\nb");
        let (system, turns) = split_messages(&[ChatMessage::system("only")]);
        assert_eq!((system, turns[0].role, turns[0].content.as_str()), (None, "user", "only"));
    }

    #[test]
    fn stream_events() {
        let delta = r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#;
        assert!(matches!(sse_events(delta).as_deref(), Ok([Event::Delta(t)]) if t == "Hi"));
        let error = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(sse_events(error).err(), Some(ProviderError::Unavailable("Anthropic: Overloaded".into())));
    }
}
