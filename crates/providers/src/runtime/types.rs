//! What the runtime takes and gives back: messages, sampling parameters, results and stream items.

use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::ProviderError;

/// Who wrote a message of a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    /// The role as OpenAI's wire format names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One message of a prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self { role, content: content.into() }
    }

    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content)
    }

    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content)
    }
}

/// Sampling parameters of a generation; `None` leaves the parameter out of the request.
///
/// Values are sent as given: clamping to a model's parameter rules is the caller's job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompletionParams {
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub presence_penalty: Option<f32>,
    pub frequency_penalty: Option<f32>,
    pub stop: Option<Vec<String>>,
}

impl CompletionParams {
    /// The stop words, or `None` when there are none (an empty list is never sent).
    pub(crate) fn stop_words(&self) -> Option<&[String]> {
        self.stop.as_deref().filter(|s| !s.is_empty())
    }
}

/// Token usage of one call: as the provider reported it, else counted locally.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
}

impl Usage {
    pub fn total_tokens(&self) -> u32 {
        self.prompt_tokens.saturating_add(self.completion_tokens)
    }
}

/// Why a generation stopped, in OpenAI's vocabulary (Anthropic's reasons are translated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model finished, or hit a stop word.
    Stop,
    /// `max_tokens` was reached.
    Length,
    /// The provider's content filter cut the answer.
    ContentFilter,
    /// Any other reason, as the provider named it.
    Other(String),
}

impl FinishReason {
    pub(crate) fn parse(raw: &str) -> Self {
        match raw {
            "stop" | "end_turn" | "stop_sequence" | "eos" => FinishReason::Stop,
            "length" | "max_tokens" => FinishReason::Length,
            "content_filter" => FinishReason::ContentFilter,
            other => FinishReason::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::Other(s) => s,
        }
    }
}

/// The answer of a blocking generation.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmResult {
    pub text: String,
    pub usage: Usage,
    pub finish_reason: Option<FinishReason>,
}

/// One item of a streamed generation: text deltas in order, then exactly one `Done`.
///
/// A stream that fails yields one `Err` and ends; it never yields `Done` after that.
#[derive(Debug, Clone, PartialEq)]
pub enum LlmChunk {
    /// The next piece of the answer, as the provider sent it.
    Delta(String),
    /// The end of the answer.
    Done { usage: Usage, finish_reason: Option<FinishReason> },
}

/// A streamed generation.
pub type LlmStream = BoxStream<'static, Result<LlmChunk, ProviderError>>;

/// Vectors for a list of texts, in the order of the texts.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingResult {
    pub vectors: Vec<Vec<f32>>,
    /// Tokens billed: the provider's figure when it reports one, else counted locally.
    pub total_tokens: u32,
}
