//! Turning a vendor's stream of events into our `LlmStream`: deltas as they arrive, then one
//! `Done` with usage (the vendor's, else counted) — or one `Err` when the stream fails, breaks
//! off before the vendor said it was done, or outlives its deadline.

use std::collections::VecDeque;

use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::time::Instant;

use super::types::{ChatMessage, FinishReason, LlmChunk, LlmStream, Usage};
use crate::ProviderError;
use crate::tokens::{self, Encoding};

/// What a vendor's stream told us, normalized.
#[derive(Debug)]
pub(crate) enum Event {
    Delta(String),
    Finish(FinishReason),
    PromptTokens(u32),
    CompletionTokens(u32),
    /// The vendor said the answer is complete (a finish reason, `message_stop`, ...).
    End,
}

/// A vendor stream, already mapped: each item is the events of one wire event.
pub(crate) type EventStream = BoxStream<'static, Result<Vec<Event>, ProviderError>>;

/// How to count tokens locally when a vendor does not report usage.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counter {
    pub(crate) encoding: Encoding,
    /// Count the prompt by OpenAI's chat rule; otherwise as one joined text.
    pub(crate) chat_rule: bool,
}

impl Counter {
    pub(crate) async fn prompt(&self, messages: &[ChatMessage]) -> u32 {
        let n = if self.chat_rule {
            tokens::count_messages_async(self.encoding, messages).await
        } else {
            self.encoding.count_async(&super::wire::completion_prompt(messages)).await
        };
        saturate(n)
    }

    pub(crate) async fn text(&self, text: &str) -> u32 {
        saturate(self.encoding.count_async(text).await)
    }
}

pub(crate) fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Usage from what the vendor reported, the missing parts counted locally.
pub(crate) async fn complete_usage(
    counter: &Counter,
    messages: &[ChatMessage],
    answer: &str,
    prompt_tokens: Option<u32>,
    completion_tokens: Option<u32>,
) -> Usage {
    let prompt_tokens = match prompt_tokens {
        Some(n) => n,
        None => counter.prompt(messages).await,
    };
    let completion_tokens = match completion_tokens {
        Some(n) => n,
        None => counter.text(answer).await,
    };
    Usage { prompt_tokens, completion_tokens }
}

/// Everything `assemble` needs besides the events.
pub(crate) struct StreamPlan {
    /// Prefix of error messages ("Azure ", "Anthropic: ", ...).
    pub(crate) label: &'static str,
    pub(crate) counter: Counter,
    /// The prompt, kept to count it if the vendor does not.
    pub(crate) prompt: Vec<ChatMessage>,
    /// Whether a stream that ends without `Event::End` has broken off (vendors that always
    /// send a finish reason) or simply finished (some OpenAI-compatible servers do not).
    pub(crate) require_end: bool,
    pub(crate) deadline: Instant,
}

struct State {
    events: EventStream,
    plan: StreamPlan,
    pending: VecDeque<LlmChunk>,
    answer: String,
    finish: Option<FinishReason>,
    prompt_tokens: Option<u32>,
    completion_tokens: Option<u32>,
    ended: bool,
    closed: bool,
}

/// Our stream over a vendor's events. Nothing is buffered: each delta is yielded as soon as
/// the wire event that carried it has been read.
pub(crate) fn assemble(events: EventStream, plan: StreamPlan) -> LlmStream {
    let state = State {
        events,
        plan,
        pending: VecDeque::new(),
        answer: String::new(),
        finish: None,
        prompt_tokens: None,
        completion_tokens: None,
        ended: false,
        closed: false,
    };
    futures::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(chunk) = s.pending.pop_front() {
                return Some((Ok(chunk), s));
            }
            if s.closed {
                return None;
            }
            let next = match tokio::time::timeout_at(s.plan.deadline, s.events.next()).await {
                Ok(next) => next,
                Err(_) => {
                    s.closed = true;
                    let label = s.plan.label;
                    let msg = format!("{label}the answer did not complete within the time limit");
                    return Some((Err(ProviderError::Connection(msg)), s));
                }
            };
            match next {
                Some(Ok(events)) => s.absorb(events),
                Some(Err(e)) => {
                    s.closed = true;
                    return Some((Err(e), s));
                }
                None => {
                    s.closed = true;
                    if s.plan.require_end && !s.ended {
                        let msg = format!("{}the stream ended before the answer was complete", s.plan.label);
                        return Some((Err(ProviderError::Connection(msg)), s));
                    }
                    let usage = complete_usage(
                        &s.plan.counter,
                        &s.plan.prompt,
                        &s.answer,
                        s.prompt_tokens,
                        s.completion_tokens,
                    )
                    .await;
                    let done = LlmChunk::Done { usage, finish_reason: s.finish.take() };
                    return Some((Ok(done), s));
                }
            }
        }
    })
    .boxed()
}

impl State {
    fn absorb(&mut self, events: Vec<Event>) {
        for event in events {
            match event {
                Event::Delta(text) if text.is_empty() => {}
                Event::Delta(text) => {
                    self.answer.push_str(&text);
                    self.pending.push_back(LlmChunk::Delta(text));
                }
                Event::Finish(reason) => {
                    self.finish = Some(reason);
                    self.ended = true;
                }
                Event::PromptTokens(n) => self.prompt_tokens = Some(n),
                Event::CompletionTokens(n) => self.completion_tokens = Some(n),
                Event::End => self.ended = true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(require_end: bool) -> StreamPlan {
        StreamPlan {
            label: "T: ",
            counter: Counter { encoding: Encoding::Cl100kBase, chat_rule: true },
            prompt: vec![ChatMessage::user("hello world")],
            require_end,
            deadline: Instant::now() + std::time::Duration::from_secs(5),
        }
    }

    fn events(items: Vec<Result<Vec<Event>, ProviderError>>) -> EventStream {
        futures::stream::iter(items).boxed()
    }

    #[tokio::test]
    async fn deltas_then_done_with_counted_usage() {
        let s = assemble(
            events(vec![
                Ok(vec![Event::Delta("hello".into())]),
                Ok(vec![Event::Delta(" world".into()), Event::Finish(FinishReason::Stop)]),
            ]),
            plan(true),
        );
        let items: Vec<_> = s.collect().await;
        assert_eq!(items.len(), 3);
        assert_eq!(items[0], Ok(LlmChunk::Delta("hello".into())));
        assert_eq!(
            items[2],
            Ok(LlmChunk::Done {
                usage: Usage { prompt_tokens: 9, completion_tokens: 2 },
                finish_reason: Some(FinishReason::Stop)
            })
        );
    }

    #[tokio::test]
    async fn early_end_is_an_error() {
        let s = assemble(events(vec![Ok(vec![Event::Delta("he".into())])]), plan(true));
        let items: Vec<_> = s.collect().await;
        assert_eq!(items.len(), 2);
        assert!(matches!(&items[1], Err(ProviderError::Connection(m)) if m.starts_with("T: ")));
        let s = assemble(events(vec![Ok(vec![Event::Delta("he".into())])]), plan(false));
        let items: Vec<_> = s.collect().await;
        assert!(matches!(items[1], Ok(LlmChunk::Done { .. })));
    }

    #[tokio::test]
    async fn error_ends_the_stream() {
        let s = assemble(
            events(vec![
                Ok(vec![Event::Delta("a".into())]),
                Err(ProviderError::Unavailable("x".into())),
                Ok(vec![Event::Delta("b".into())]),
            ]),
            plan(true),
        );
        let items: Vec<_> = s.collect().await;
        assert_eq!(items.len(), 2);
        assert_eq!(items[1], Err(ProviderError::Unavailable("x".into())));
    }
}
