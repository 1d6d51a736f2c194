//! The model runtime against the fake server's Anthropic Messages API.

use futures::StreamExt;
use providers::ProviderError;
use providers::runtime::{self, ChatMessage, CompletionParams, Credentials, FinishReason, LlmChunk, ModelRef, Usage};
use serde_json::json;
use test_support::fake_openai::{FAKE_API_KEY, FakeOpenAi};

fn http() -> reqwest::Client {
    runtime::http_client().expect("http client")
}

fn claude(fake: &FakeOpenAi, key: &str) -> ModelRef {
    let creds = json!({ "anthropic_api_key": key, "anthropic_api_url": fake.base_url() });
    ModelRef::new("anthropic", "claude-2", creds.as_object().cloned().unwrap_or_default())
}

#[tokio::test]
async fn blocking_messages_call() {
    let fake = FakeOpenAi::start().await;
    let messages = [ChatMessage::system("Be kind."), ChatMessage::user("hi there")];
    let params = CompletionParams { temperature: Some(0.3), presence_penalty: Some(1.0), ..Default::default() };
    let result = runtime::generate(&http(), &claude(&fake, FAKE_API_KEY), &messages, &params).await.expect("answer");
    assert_eq!(result.text, "Echo: hi there");
    assert_eq!(result.usage, Usage { prompt_tokens: 4, completion_tokens: 3 });
    assert_eq!(result.finish_reason, Some(FinishReason::Stop));
    let req = fake.last_request().expect("request");
    assert_eq!(req.path, "/v1/messages");
    assert_eq!(req.body["system"], "Be kind.");
    assert_eq!(req.body["max_tokens"], 256);
    assert_eq!(req.body["temperature"], 0.3);
    assert!(req.body.get("presence_penalty").is_none());
    assert_eq!(req.body["messages"], json!([{ "role": "user", "content": "hi there" }]));
}

#[tokio::test]
async fn streaming_messages_call() {
    let fake = FakeOpenAi::start().await;
    let params = CompletionParams { max_tokens: Some(3), ..Default::default() };
    let stream = runtime::stream(&http(), &claude(&fake, FAKE_API_KEY), &[ChatMessage::user("a b c d")], &params)
        .await
        .expect("stream");
    let items: Vec<_> = stream.collect().await;
    let deltas: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            Ok(LlmChunk::Delta(d)) => Some(d.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, vec!["Echo:", " a", " b"]);
    assert_eq!(
        items.last(),
        Some(&Ok(LlmChunk::Done {
            usage: Usage { prompt_tokens: 4, completion_tokens: 3 },
            finish_reason: Some(FinishReason::Length)
        }))
    );
    assert_eq!(fake.last_request().expect("request").body["stream"], true);

    fake.break_next_stream_after(1);
    let stream = runtime::stream(&http(), &claude(&fake, FAKE_API_KEY), &[ChatMessage::user("x y")], &params)
        .await
        .expect("stream");
    let items: Vec<_> = stream.collect().await;
    assert!(matches!(items.last(), Some(Err(ProviderError::Connection(_)))), "{items:?}");
}

#[tokio::test]
async fn errors_and_validation() {
    let fake = FakeOpenAi::start().await;
    let http = http();
    let err = runtime::generate(&http, &claude(&fake, "bad"), &[ChatMessage::user("x")], &CompletionParams::default())
        .await
        .expect_err("bad key");
    assert_eq!(err, ProviderError::Authentication("Anthropic: invalid x-api-key".into()));

    fake.fail_next(529, "Overloaded");
    let err = runtime::generate(&http, &claude(&fake, FAKE_API_KEY), &[ChatMessage::user("x")], &Default::default())
        .await
        .expect_err("overloaded");
    assert_eq!(err, ProviderError::Unavailable("Anthropic: Overloaded".into()));

    let good = claude(&fake, FAKE_API_KEY).credentials;
    runtime::validate_credentials(&http, "anthropic", None, &good).await.expect("valid");
    let req = fake.last_request().expect("request");
    assert_eq!((req.model.as_deref(), req.body["max_tokens"].as_u64()), (Some("claude-instant-1"), Some(10)));
    // Anthropic has retired claude-instant-1: its 404 still proves the key was accepted.
    fake.fail_next(404, "model: claude-instant-1");
    runtime::validate_credentials(&http, "anthropic", None, &good).await.expect("valid despite retired model");
    let bad = claude(&fake, "bad").credentials;
    let err = runtime::validate_credentials(&http, "anthropic", None, &bad).await.expect_err("invalid");
    assert_eq!(err, ProviderError::Authentication("Anthropic: invalid x-api-key".into()));
    let err = runtime::validate_credentials(&http, "anthropic", None, &Credentials::new()).await.expect_err("missing");
    assert_eq!(err, ProviderError::NotInitialized("Anthropic API Key must be provided.".into()));
}
