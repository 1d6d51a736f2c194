//! The generation task: streams the model's answer into the event channel, watches the stop
//! flag, and saves the message whichever way it ends (done, stopped, failed, client gone).

use std::time::Duration;

use crate::ConversationError;
use futures::StreamExt;
use kernel::ApiError;
use kernel::jobs::Job;
use providers::ProviderError;
use providers::runtime::{ChatMessage, CompletionParams, LlmChunk, Usage};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};
use uuid::Uuid;

use super::{Event, persist};
use crate::Caller;
use crate::engine::Engine;
use crate::models::TextModel;
use crate::stop::{is_stopped, stop_key};

/// How often a running generation looks for a stop request.
const STOP_POLL: Duration = Duration::from_millis(200);

/// Everything the task needs, owned.
pub struct Plan {
    pub task_id: Uuid,
    pub message_id: Uuid,
    pub conversation_id: Uuid,
    /// The query of a new chat conversation, which a job then names.
    pub names_conversation: Option<String>,
    pub tenant_id: Uuid,
    pub caller: Caller,
    pub model: TextModel,
    pub messages: Vec<ChatMessage>,
    pub params: CompletionParams,
    /// The answer when sensitive-word avoidance caught the query (no model call).
    pub canned: Option<String>,
    /// The prompt as the message row records it.
    pub prompt_json: Value,
    /// The sources `message_end` reports.
    pub retriever_resources: Option<Value>,
}

enum Outcome {
    Finished,
    Stopped,
    Failed(ConversationError),
}

/// A client that went away does not stop the generation (as in Dify): sends just fail.
async fn emit(tx: &mpsc::Sender<Event>, event: Event) {
    let _ = tx.send(event).await;
}

/// `rows_committed` says the message row exists: the answer is written only after.
pub async fn run(engine: Engine, plan: Plan, rows_committed: oneshot::Receiver<()>, tx: mpsc::Sender<Event>) {
    let started = Instant::now();
    let mut answer = String::new();
    let mut usage = None;
    let outcome = match &plan.canned {
        Some(canned) => {
            answer.clone_from(canned);
            emit(&tx, Event::Text(canned.clone())).await;
            Outcome::Finished
        }
        None => stream_answer(&engine, &plan, &tx, &mut answer, &mut usage).await,
    };
    let latency = started.elapsed().as_secs_f64();
    // A new conversation that got its answer is named by a job saved with that answer.
    let naming = plan.names_conversation.as_deref().filter(|_| matches!(outcome, Outcome::Finished)).map(|query| {
        Job::GenerateConversationName {
            conversation_id: plan.conversation_id,
            tenant_id: Some(plan.tenant_id),
            query: Some(crate::naming::shorten(query)),
        }
    });
    if rows_committed.await.is_err() {
        // The rows did not commit; the request that started this has failed.
        return;
    }
    let staged = match persist::finish(&engine, &plan, &answer, usage, latency, naming.as_ref()).await {
        Ok(staged) => staged,
        Err(e) => {
            tracing::error!(error = %e, message_id = %plan.message_id, "cannot save the answer");
            emit(&tx, Event::Error(ApiError::internal().into())).await;
            return;
        }
    };
    match outcome {
        Outcome::Finished => {
            emit(&tx, Event::End { retriever_resources: plan.retriever_resources.clone() }).await;
            engine.outbox.send(staged).await;
        }
        // Dify ends a stopped stream without message_end.
        Outcome::Stopped => {}
        Outcome::Failed(e) => emit(&tx, Event::Error(e)).await,
    }
}

async fn stream_answer(
    engine: &Engine,
    plan: &Plan,
    tx: &mpsc::Sender<Event>,
    answer: &mut String,
    usage: &mut Option<Usage>,
) -> Outcome {
    let key = stop_key(plan.caller, &plan.task_id.to_string());
    let model = &plan.model.model;
    let labels = [("provider", model.provider.clone()), ("model", model.model.clone())];
    let started = std::time::Instant::now();
    let mut first_token: Option<std::time::Instant> = None;
    let failed = |e: ProviderError| {
        let code = provider_error_code(&e);
        metrics::counter!("llm_errors_total", "provider" => model.provider.clone(), "code" => code).increment(1);
        Outcome::Failed(generation_error(e))
    };
    let mut stream = match providers::runtime::stream(&engine.http, model, &plan.messages, &plan.params).await {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    // The first look is one period in: a stop cannot come before the task id is sent, and
    // most answers end before then (one cache round trip fewer per answer).
    let mut poll = tokio::time::interval_at(tokio::time::Instant::now() + STOP_POLL, STOP_POLL);
    poll.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            item = stream.next() => match item {
                Some(Ok(LlmChunk::Delta(text))) => {
                    if first_token.is_none() {
                        let now = std::time::Instant::now();
                        metrics::histogram!("llm_time_to_first_token_seconds", &labels)
                            .record(now.duration_since(started).as_secs_f64());
                        first_token = Some(now);
                    }
                    answer.push_str(&text);
                    emit(tx, Event::Text(text)).await;
                }
                Some(Ok(LlmChunk::Done { usage: u, .. })) => {
                    record_usage(&labels, &u, first_token);
                    *usage = Some(u);
                }
                Some(Err(e)) => return failed(e),
                None => return Outcome::Finished,
            },
            _ = poll.tick() => {
                if is_stopped(engine.cache.as_ref(), &key).await {
                    // Dropping the stream closes the vendor connection.
                    return Outcome::Stopped;
                }
            }
        }
    }
}

/// Tokens billed, and how fast the answer came once it started.
fn record_usage(labels: &[(&'static str, String); 2], usage: &Usage, first_token: Option<std::time::Instant>) {
    metrics::counter!("llm_tokens_total", "provider" => labels[0].1.clone(), "model" => labels[1].1.clone(), "kind" => "prompt")
        .increment(u64::from(usage.prompt_tokens));
    metrics::counter!("llm_tokens_total", "provider" => labels[0].1.clone(), "model" => labels[1].1.clone(), "kind" => "completion")
        .increment(u64::from(usage.completion_tokens));
    if let Some(first) = first_token {
        let seconds = first.elapsed().as_secs_f64();
        if seconds > 0.0 && usage.completion_tokens > 0 {
            metrics::histogram!("llm_tokens_per_second", labels).record(f64::from(usage.completion_tokens) / seconds);
        }
    }
}

/// A provider failure's kind, as a metric label.
fn provider_error_code(e: &ProviderError) -> &'static str {
    match e {
        ProviderError::NotInitialized(_) => "not_initialized",
        ProviderError::QuotaExceeded(_) => "quota_exceeded",
        ProviderError::ModelNotSupported(_) => "model_not_supported",
        ProviderError::Authentication(_) => "authentication",
        ProviderError::RateLimited(_) => "rate_limited",
        ProviderError::BadRequest(_) => "bad_request",
        ProviderError::Connection(_) => "connection",
        ProviderError::Unavailable(_) => "unavailable",
        _ => "other",
    }
}

/// A vendor failure as the surfaces report it; a refused key reads as Dify words it.
fn generation_error(e: ProviderError) -> ConversationError {
    match e {
        ProviderError::Authentication(_) => ProviderError::Authentication("Incorrect API key provided".into()),
        other => other,
    }
    .into()
}
