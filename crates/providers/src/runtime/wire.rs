//! OpenAI's JSON wire format, as we send it and as leniently as we read it.
//!
//! We bring our own types to async-openai (`*_byot` calls) rather than its generated ones:
//! OpenAI-compatible servers (LocalAI, Xinference) omit or reshape fields the strict types
//! require, and a few fields we send (`max_tokens`) are deprecated there.

use serde::{Deserialize, Serialize};

use super::types::{ChatMessage, CompletionParams, FinishReason};

#[derive(Debug, Serialize)]
pub(crate) struct WireMessage<'a> {
    role: &'static str,
    content: &'a str,
}

/// Sampling fields shared by chat and legacy completion requests.
#[derive(Debug, Serialize)]
pub(crate) struct Sampling<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    presence_penalty: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frequency_penalty: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop: Option<&'a [String]>,
}

impl<'a> Sampling<'a> {
    pub(crate) fn new(params: &'a CompletionParams) -> Self {
        Self {
            max_tokens: params.max_tokens,
            temperature: params.temperature,
            top_p: params.top_p,
            presence_penalty: params.presence_penalty,
            frequency_penalty: params.frequency_penalty,
            stop: params.stop_words(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct StreamOptions {
    pub(crate) include_usage: bool,
}

/// `POST /chat/completions`.
#[derive(Debug, Serialize)]
pub(crate) struct ChatRequest<'a> {
    pub(crate) model: &'a str,
    pub(crate) messages: Vec<WireMessage<'a>>,
    #[serde(flatten)]
    pub(crate) sampling: Sampling<'a>,
    pub(crate) stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stream_options: Option<StreamOptions>,
}

pub(crate) fn wire_messages(messages: &[ChatMessage]) -> Vec<WireMessage<'_>> {
    messages.iter().map(|m| WireMessage { role: m.role.as_str(), content: &m.content }).collect()
}

/// `POST /completions` (text-davinci-003, gpt-3.5-turbo-instruct, LocalAI "completion").
#[derive(Debug, Serialize)]
pub(crate) struct CompletionRequest<'a> {
    pub(crate) model: &'a str,
    pub(crate) prompt: &'a str,
    #[serde(flatten)]
    pub(crate) sampling: Sampling<'a>,
    pub(crate) stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stream_options: Option<StreamOptions>,
}

/// The prompt of a completion-mode model. Dify sends completion models exactly one message;
/// should there be more, their contents are joined with blank lines, system first as given.
pub(crate) fn completion_prompt(messages: &[ChatMessage]) -> String {
    match messages {
        [one] => one.content.clone(),
        many => many.iter().map(|m| m.content.as_str()).collect::<Vec<_>>().join("\n\n"),
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub(crate) prompt_tokens: Option<u32>,
    #[serde(default)]
    pub(crate) completion_tokens: Option<u32>,
    #[serde(default)]
    pub(crate) total_tokens: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireText {
    #[serde(default)]
    pub(crate) content: Option<String>,
}

/// A choice of a blocking response or of a stream chunk, chat (`message`/`delta`) or legacy
/// completion (`text`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireChoice {
    #[serde(default)]
    pub(crate) message: Option<WireText>,
    #[serde(default)]
    pub(crate) delta: Option<WireText>,
    #[serde(default)]
    pub(crate) text: Option<String>,
    #[serde(default)]
    pub(crate) finish_reason: Option<String>,
}

impl WireChoice {
    /// The text this choice carries, whichever field it is in.
    pub(crate) fn take_text(&mut self) -> Option<String> {
        self.message
            .take()
            .and_then(|m| m.content)
            .or_else(|| self.delta.take().and_then(|d| d.content))
            .or_else(|| self.text.take())
    }

    pub(crate) fn finish(&self) -> Option<FinishReason> {
        self.finish_reason.as_deref().map(FinishReason::parse)
    }
}

/// A blocking response or one stream chunk; both have the same shape for what we read.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireResponse {
    #[serde(default)]
    pub(crate) choices: Vec<WireChoice>,
    #[serde(default)]
    pub(crate) usage: Option<WireUsage>,
    /// Set when a server reports a failure inside a stream instead of with a status.
    #[serde(default)]
    pub(crate) error: Option<serde_json::Value>,
}

/// `POST /embeddings`.
#[derive(Debug, Serialize)]
pub(crate) struct EmbeddingRequest<'a> {
    pub(crate) model: &'a str,
    pub(crate) input: &'a [String],
    /// `base64` asks for each vector as its little-endian f32 bytes, what Dify's OpenAI client
    /// (openai-python 0.28) asked for by default: a quarter of the bytes of decimal floats, and
    /// no float parsing. A server that ignores it answers arrays, which are read as well.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) encoding_format: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct EmbeddingData {
    #[serde(default)]
    pub(crate) index: Option<usize>,
    #[serde(deserialize_with = "vector")]
    pub(crate) embedding: Vec<f32>,
}

/// An embedding as an array of numbers or as base64 of little-endian f32s.
fn vector<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
    struct Vector;
    impl<'de> serde::de::Visitor<'de> for Vector {
        type Value = Vec<f32>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array of numbers or a base64 string of f32s")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<f32>, A::Error> {
            let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(1536).min(1 << 16));
            while let Some(x) = seq.next_element::<f32>()? {
                v.push(x);
            }
            Ok(v)
        }

        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Vec<f32>, E> {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD.decode(s).map_err(E::custom)?;
            if bytes.len() % 4 != 0 {
                return Err(E::custom(format!("{} bytes are not whole f32s", bytes.len())));
            }
            Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
        }
    }
    d.deserialize_any(Vector)
}

#[derive(Debug, Deserialize)]
pub(crate) struct EmbeddingResponse {
    pub(crate) data: Vec<EmbeddingData>,
    #[serde(default)]
    pub(crate) usage: Option<WireUsage>,
}

/// `POST /moderations`; the model is left to the provider's default, as Dify did.
#[derive(Debug, Serialize)]
pub(crate) struct ModerationRequest<'a> {
    pub(crate) input: &'a [String],
}

#[derive(Debug, Deserialize)]
pub(crate) struct ModerationResult {
    #[serde(default)]
    pub(crate) flagged: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ModerationResponse {
    #[serde(default)]
    pub(crate) results: Vec<ModerationResult>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Role;

    #[test]
    fn request_omits_unset_parameters() {
        let params = CompletionParams { temperature: Some(0.7), stop: Some(vec![]), ..Default::default() };
        let messages = [ChatMessage::user("hi")];
        let req = ChatRequest {
            model: "gpt-3.5-turbo",
            messages: wire_messages(&messages),
            sampling: Sampling::new(&params),
            stream: false,
            stream_options: None,
        };
        // The writer formats f32 as the shortest decimal that round-trips: 0.7, not 0.699999988.
        let json = serde_json::to_string(&req).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"hi"}],"temperature":0.7,"stream":false}"#
        );
    }

    /// An embedding reads the same as numbers or as base64 of its f32s (what a server that
    /// honours `"encoding_format": "base64"` answers); base64 that is not whole f32s is refused.
    #[test]
    fn an_embedding_is_read_as_numbers_or_as_base64() {
        use base64::Engine;
        let v = [0.25f32, -1.5, 3.0e-7];
        let b64 = base64::engine::general_purpose::STANDARD
            .encode(v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>());
        let read = |embedding: &str| serde_json::from_str::<EmbeddingData>(&format!(r#"{{"embedding":{embedding}}}"#));
        assert_eq!(read("[0.25,-1.5,3e-7]").expect("numbers").embedding, v);
        assert_eq!(read(&format!("\"{b64}\"")).expect("base64").embedding, v);
        assert!(read(r#""AAAA=""#).is_err(), "3 bytes are no f32");
        assert!(read(r#""not base64!""#).is_err());
        let req = EmbeddingRequest { model: "m", input: &["a".to_owned()], encoding_format: Some("base64") };
        assert_eq!(
            serde_json::to_string(&req).unwrap_or_default(),
            r#"{"model":"m","input":["a"],"encoding_format":"base64"}"#
        );
    }

    #[test]
    fn lenient_chunks() {
        let chunk: WireResponse =
            serde_json::from_str(r#"{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#)
                .unwrap_or_default();
        let mut choices = chunk.choices;
        assert_eq!(choices[0].take_text().as_deref(), Some("Hi"));
        let done: WireResponse =
            serde_json::from_str(r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}"#)
                .unwrap_or_default();
        assert_eq!(done.usage.and_then(|u| u.completion_tokens), Some(2));
        assert_eq!(Role::Assistant.as_str(), "assistant");
    }
}
