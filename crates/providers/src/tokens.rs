//! Token counting with tiktoken's BPE tables (bundled, no network).
//!
//! - OpenAI-family models (OpenAI, Azure OpenAI, LocalAI's OpenAI clients): the model's own
//!   encoding — cl100k_base for gpt-3.5/gpt-4 and text-embedding-ada-002, p50k_base for
//!   text-davinci-002/003 and code models, r50k_base for the original GPT-3 models; unknown
//!   names fall back to cl100k_base, as OpenAI's clients do.
//! - Every other provider: an estimate with r50k_base, which is GPT-2's BPE — the tokenizer Dify
//!   itself used for most non-OpenAI models (`transformers`' GPT-2 tokenizer). Anthropic counted
//!   with Claude's own tokenizer, which is not public; r50k is within a few percent on English.
//!
//! Counting uses [`kernel::bpe::Table`], a compact copy of tiktoken-rs's table (its own keeps
//! three copies of the tokens; counting needs one). Loading a table takes ~0.3 s (debug) the
//! first time. The `_async` functions do that, and any
//! text over a few KB, on the blocking pool so they never stall an async worker.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::runtime::ChatMessage;
use kernel::bpe::Table;

/// Texts longer than this are tokenized off the async threads.
const INLINE_LIMIT: usize = 4 * 1024;

/// Tokens OpenAI adds per chat message (`<|start|>{role}\n ... <|end|>`, gpt-3.5-turbo-0613+, gpt-4).
const TOKENS_PER_MESSAGE: usize = 3;
/// Tokens that prime the reply (`<|start|>assistant<|message|>`).
const REPLY_PRIMING_TOKENS: usize = 3;

/// A BPE table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Cl100kBase,
    P50kBase,
    R50kBase,
}

static WARM: [AtomicBool; 3] = [AtomicBool::new(false), AtomicBool::new(false), AtomicBool::new(false)];

impl Encoding {
    /// The encoding of an OpenAI model name (Azure base model names too, e.g. `gpt-35-turbo`).
    pub fn for_model(model: &str) -> Self {
        let m = model.trim().to_ascii_lowercase();
        if m.starts_with("text-davinci-00") || m.starts_with("code-") || m.starts_with("text-davinci-edit") {
            Encoding::P50kBase
        } else if ["davinci", "curie", "babbage", "ada", "text-curie-001", "text-babbage-001", "text-ada-001"]
            .contains(&m.as_str())
        {
            Encoding::R50kBase
        } else {
            Encoding::Cl100kBase
        }
    }

    /// The encoding used to count for a model of a provider (see the module docs).
    pub fn for_provider_model(provider: &str, model: &str) -> Self {
        match provider {
            "openai" | "azure_openai" | "localai" => Self::for_model(model),
            _ => Encoding::R50kBase,
        }
    }

    /// tiktoken's name of the encoding.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Cl100kBase => "cl100k_base",
            Encoding::P50kBase => "p50k_base",
            Encoding::R50kBase => "r50k_base",
        }
    }

    fn index(self) -> usize {
        match self {
            Encoding::Cl100kBase => 0,
            Encoding::P50kBase => 1,
            Encoding::R50kBase => 2,
        }
    }

    /// The counting table (loaded on first use).
    pub(crate) fn table(self) -> &'static Table {
        let table = match self {
            Encoding::Cl100kBase => kernel::bpe::cl100k_base(),
            Encoding::P50kBase => kernel::bpe::p50k_base(),
            Encoding::R50kBase => kernel::bpe::r50k_base(),
        };
        WARM[self.index()].store(true, Ordering::Relaxed);
        table
    }

    fn is_warm(self) -> bool {
        WARM[self.index()].load(Ordering::Relaxed)
    }

    /// Tokens in `text`. Blocks while the table loads on first use; prefer `count_async` in async code.
    pub fn count(self, text: &str) -> usize {
        if text.is_empty() {
            return 0;
        }
        // Special-token text ("<|endoftext|>") is counted as ordinary text, never rejected.
        self.table().count(text)
    }

    /// Tokens in `text`, on the blocking pool when the table is cold or the text is large.
    pub async fn count_async(self, text: &str) -> usize {
        if self.is_warm() && text.len() <= INLINE_LIMIT {
            return self.count(text);
        }
        let owned = text.to_owned();
        match tokio::task::spawn_blocking(move || self.count(&owned)).await {
            Ok(n) => n,
            // Counting has no panic path; should the task still fail, the usual 4-bytes-a-token rule.
            Err(_) => text.len().div_ceil(4),
        }
    }

    /// Loads the table on the blocking pool so that later counts are fast.
    pub async fn warm_up(self) {
        if !self.is_warm() {
            let _ = tokio::task::spawn_blocking(move || self.table()).await;
        }
    }
}

/// Tokens in `text` for an OpenAI model name.
pub fn count_text(model: &str, text: &str) -> usize {
    Encoding::for_model(model).count(text)
}

/// Prompt tokens of chat messages for an OpenAI model, by OpenAI's rule: per message 3 tokens of
/// framing plus its role and content, plus 3 that prime the reply.
///
/// This is exactly Dify's figure for gpt-3.5-turbo; for gpt-4 Dify (via LangChain's 0314 rule
/// minus one per message) came out one token lower per message.
pub fn count_messages(model: &str, messages: &[ChatMessage]) -> usize {
    count_messages_with(Encoding::for_model(model), messages)
}

/// `count_messages` with an explicit encoding.
pub fn count_messages_with(encoding: Encoding, messages: &[ChatMessage]) -> usize {
    if messages.is_empty() {
        return 0;
    }
    let body: usize = messages
        .iter()
        .map(|m| TOKENS_PER_MESSAGE + encoding.count(m.role.as_str()) + encoding.count(&m.content))
        .sum();
    body + REPLY_PRIMING_TOKENS
}

/// `count_messages_with` on the blocking pool when the table is cold or the prompt is large.
pub async fn count_messages_async(encoding: Encoding, messages: &[ChatMessage]) -> usize {
    let size: usize = messages.iter().map(|m| m.content.len()).sum();
    if encoding.is_warm() && size <= INLINE_LIMIT {
        return count_messages_with(encoding, messages);
    }
    let owned = messages.to_vec();
    match tokio::task::spawn_blocking(move || count_messages_with(encoding, &owned)).await {
        Ok(n) => n,
        Err(_) => size.div_ceil(4) + messages.len() * TOKENS_PER_MESSAGE + REPLY_PRIMING_TOKENS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_by_model() {
        assert_eq!(Encoding::for_model("gpt-3.5-turbo"), Encoding::Cl100kBase);
        assert_eq!(Encoding::for_model("gpt-35-turbo-16k"), Encoding::Cl100kBase);
        assert_eq!(Encoding::for_model("text-embedding-ada-002"), Encoding::Cl100kBase);
        assert_eq!(Encoding::for_model("text-davinci-003"), Encoding::P50kBase);
        assert_eq!(Encoding::for_model("davinci"), Encoding::R50kBase);
        assert_eq!(Encoding::for_provider_model("anthropic", "claude-2"), Encoding::R50kBase);
        assert_eq!(Encoding::for_provider_model("azure_openai", "text-davinci-003"), Encoding::P50kBase);
    }

    #[test]
    fn counts() {
        assert_eq!(count_text("gpt-3.5-turbo", "hello world"), 2);
        assert_eq!(count_text("gpt-3.5-turbo", ""), 0);
        assert_eq!(Encoding::P50kBase.count("hello world"), 2);
        assert_eq!(Encoding::R50kBase.count("<|endoftext|>").min(1), 1);
        // 3 + "user"(1) + "hello world"(2), plus 3 priming.
        assert_eq!(count_messages("gpt-3.5-turbo", &[ChatMessage::user("hello world")]), 9);
        assert_eq!(count_messages("gpt-4", &[]), 0);
    }
}
