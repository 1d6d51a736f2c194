//! The model runtime against the fake OpenAI server: OpenAI and Azure OpenAI.

use std::time::{Duration, Instant};

use futures::StreamExt;
use providers::runtime::{self, ChatMessage, CompletionParams, Credentials, FinishReason, LlmChunk, ModelRef, Usage};
use providers::{ModelType, ProviderError, pricing, tokens};
use serde_json::json;
use test_support::fake_openai::{FAKE_API_KEY, FakeOpenAi, FakeOpenAiConfig, embedding_for};

fn http() -> reqwest::Client {
    runtime::http_client().expect("http client")
}

fn creds(value: serde_json::Value) -> Credentials {
    value.as_object().cloned().expect("credentials object")
}

fn openai(fake: &FakeOpenAi, model: &str) -> ModelRef {
    ModelRef::new(
        "openai",
        model,
        creds(json!({ "openai_api_key": FAKE_API_KEY, "openai_api_base": fake.base_url(), "openai_organization": "" })),
    )
}

fn azure(fake: &FakeOpenAi, deployment: &str, base_model: &str, key: &str) -> ModelRef {
    ModelRef::new(
        "azure_openai",
        deployment,
        creds(json!({ "openai_api_key": key, "openai_api_base": fake.base_url(), "base_model_name": base_model })),
    )
}

/// Collects a stream: the deltas, then the final item (Done or Err).
async fn drain(stream: runtime::LlmStream) -> (Vec<String>, Result<LlmChunk, ProviderError>) {
    let items: Vec<_> = stream.collect().await;
    let mut deltas = Vec::new();
    let mut last = Err(ProviderError::Other("empty stream".into()));
    for item in items {
        match item {
            Ok(LlmChunk::Delta(d)) => deltas.push(d),
            other => last = other,
        }
    }
    (deltas, last)
}

#[tokio::test]
async fn validate_accepts_a_good_key_with_a_ping() {
    let fake = FakeOpenAi::start().await;
    let http = http();
    let model = openai(&fake, "gpt-3.5-turbo");
    runtime::validate_credentials(&http, "openai", None, &model.credentials).await.expect("valid");
    let req = fake.last_request().expect("a request");
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(req.model.as_deref(), Some("gpt-3.5-turbo"));
    assert_eq!(req.messages, vec![("user".to_owned(), "ping".to_owned())]);
    assert_eq!(req.body["max_tokens"], 20);
}

#[tokio::test]
async fn validate_rejects_a_bad_key_with_openais_message() {
    let fake = FakeOpenAi::start().await;
    let bad = creds(json!({ "openai_api_key": "sk-wrong-key-123456", "openai_api_base": fake.base_url() }));
    let err = runtime::validate_credentials(&http(), "openai", None, &bad).await.expect_err("invalid");
    match err {
        ProviderError::Authentication(m) => assert!(m.starts_with("Incorrect API key provided: sk-***3456"), "{m}"),
        other => panic!("expected Authentication, got {other:?}"),
    }
    let missing = creds(json!({ "openai_api_base": fake.base_url() }));
    let err = runtime::validate_credentials(&http(), "openai", None, &missing).await.expect_err("missing");
    assert_eq!(err, ProviderError::NotInitialized("OpenAI API key is required".into()));
}

#[tokio::test]
async fn blocking_generation_returns_text_usage_and_sends_only_set_parameters() {
    let fake = FakeOpenAi::start().await;
    let messages = [ChatMessage::system("You are terse."), ChatMessage::user("hello world")];
    let params = CompletionParams { temperature: Some(0.5), max_tokens: Some(100), ..Default::default() };
    let result = runtime::generate(&http(), &openai(&fake, "gpt-3.5-turbo"), &messages, &params).await.expect("answer");
    assert_eq!(result.text, "Echo: hello world");
    // The fake counts words: 3 + 2 in the prompt, 3 tokens answered.
    assert_eq!(result.usage, Usage { prompt_tokens: 5, completion_tokens: 3 });
    assert_eq!(result.finish_reason, Some(FinishReason::Stop));
    let req = fake.last_request().expect("a request");
    assert_eq!(req.body["temperature"], 0.5);
    assert_eq!(req.body["max_tokens"], 100);
    assert_eq!(req.body["stream"], false);
    assert!(req.body.get("top_p").is_none() && req.body.get("stop").is_none());
    assert_eq!(req.messages[0], ("system".to_owned(), "You are terse.".to_owned()));
}

#[tokio::test]
async fn completion_models_use_the_completions_endpoint() {
    let fake = FakeOpenAi::start().await;
    let params = CompletionParams { max_tokens: Some(2), stop: Some(vec!["\nHuman:".into()]), ..Default::default() };
    let model = openai(&fake, "text-davinci-003");
    let result = runtime::generate(&http(), &model, &[ChatMessage::user("one two three")], &params).await.expect("ok");
    assert_eq!(result.text, "Echo: one");
    assert_eq!(result.finish_reason, Some(FinishReason::Length));
    let req = fake.last_request().expect("a request");
    assert_eq!(req.path, "/v1/completions");
    assert_eq!(req.prompt.as_deref(), Some("one two three"));
    assert_eq!(req.body["stop"], json!(["\nHuman:"]));
}

#[tokio::test]
async fn streaming_yields_each_token_as_it_arrives() {
    let fake = FakeOpenAi::start_with(FakeOpenAiConfig { tokens_per_second: Some(20.0), ..Default::default() }).await;
    let question = "one two three four five six seven eight nine ten";
    let model = openai(&fake, "gpt-3.5-turbo");
    let started = Instant::now();
    let mut stream = runtime::stream(&http(), &model, &[ChatMessage::user(question)], &CompletionParams::default())
        .await
        .expect("stream");
    let mut first_delta = None;
    let mut deltas = Vec::new();
    let mut done = None;
    while let Some(item) = stream.next().await {
        match item.expect("no error") {
            LlmChunk::Delta(d) => {
                first_delta.get_or_insert_with(|| started.elapsed());
                deltas.push(d);
            }
            LlmChunk::Done { usage, finish_reason } => done = Some((usage, finish_reason)),
        }
    }
    let total = started.elapsed();
    assert_eq!(deltas.len(), 11, "{deltas:?}");
    assert_eq!(deltas.concat(), format!("Echo: {question}"));
    assert_eq!(deltas[0], "Echo:");
    // 11 tokens at 20/s take ~0.5 s; the first must not wait for the rest.
    let first = first_delta.expect("a delta");
    assert!(total >= Duration::from_millis(400), "total {total:?}");
    assert!(first < total / 2, "first delta after {first:?} of {total:?}");
    // OpenAI reports usage in the stream (stream_options.include_usage).
    let (usage, finish) = done.expect("done");
    assert_eq!(usage, Usage { prompt_tokens: 10, completion_tokens: 11 });
    assert_eq!(finish, Some(FinishReason::Stop));
    assert_eq!(fake.last_request().expect("request").body["stream_options"]["include_usage"], true);
}

#[tokio::test]
async fn provider_errors_map_to_our_variants() {
    let fake = FakeOpenAi::start().await;
    let http = http();
    let model = openai(&fake, "gpt-3.5-turbo");
    let messages = [ChatMessage::user("hi")];
    let params = CompletionParams::default();

    // async-openai retries 429s and 5xx three times (short backoff) before giving up.
    for _ in 0..4 {
        fake.fail_next(429, "Rate limit reached for default-gpt-3.5-turbo");
    }
    let err = runtime::generate(&http, &model, &messages, &params).await.expect_err("429");
    assert_eq!(err, ProviderError::RateLimited("Rate limit reached for default-gpt-3.5-turbo".into()));
    assert_eq!(fake.requests().len(), 4);

    for _ in 0..4 {
        fake.fail_next(500, "The server had an error while processing your request.");
    }
    let err = runtime::generate(&http, &model, &messages, &params).await.expect_err("500");
    assert_eq!(err, ProviderError::Unavailable("The server had an error while processing your request.".into()));

    // A transient failure is retried away.
    fake.fail_next(503, "busy");
    runtime::generate(&http, &model, &messages, &params).await.expect("retried");

    fake.fail_next(400, "This model's maximum context length is 4097 tokens.");
    let err = runtime::stream(&http, &model, &messages, &params).await.err().expect("400 on stream start");
    assert_eq!(err, ProviderError::BadRequest("This model's maximum context length is 4097 tokens.".into()));

    fake.fail_next(404, "The model `gpt-5` does not exist");
    let err = runtime::generate(&http, &model, &messages, &params).await.expect_err("404");
    assert!(matches!(err, ProviderError::BadRequest(_)));

    // Nothing listens on a port we just released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port");
    let gone = ModelRef::new(
        "openai",
        "gpt-3.5-turbo",
        creds(json!({ "openai_api_key": FAKE_API_KEY, "openai_api_base": format!("http://{closed}") })),
    );
    let err = runtime::generate(&http, &gone, &messages, &params).await.expect_err("no server");
    assert!(matches!(err, ProviderError::Connection(_)), "{err:?}");
}

#[tokio::test]
async fn a_stream_broken_midway_yields_an_error_and_ends() {
    let fake = FakeOpenAi::start().await;
    fake.break_next_stream_after(2);
    let model = openai(&fake, "gpt-3.5-turbo");
    let stream = runtime::stream(&http(), &model, &[ChatMessage::user("a b c d e")], &CompletionParams::default())
        .await
        .expect("stream starts");
    let (deltas, last) = drain(stream).await;
    assert_eq!(deltas, vec!["Echo:".to_owned(), " a".to_owned()]);
    assert!(matches!(last, Err(ProviderError::Connection(_))), "{last:?}");
}

#[tokio::test]
async fn embeddings_are_batched_deterministic_and_in_order() {
    let fake = FakeOpenAi::start().await;
    let model = openai(&fake, "text-embedding-ada-002");
    let texts: Vec<String> = ["alpha", "beta gamma", "delta"].iter().map(|s| (*s).to_owned()).collect();
    let first = runtime::embed(&http(), &model, &texts).await.expect("embeddings");
    assert_eq!(first.vectors.len(), 3);
    assert!(first.vectors.iter().all(|v| v.len() == 1536));
    for (text, vector) in texts.iter().zip(&first.vectors) {
        assert_eq!(vector, &embedding_for(text, 1536));
    }
    assert_eq!(first.total_tokens, 4);
    // Asked as base64, as Dify's openai-python did: the vectors above came back that way.
    assert_eq!(fake.last_request().expect("request").body["encoding_format"], "base64");
    let again = runtime::embed(&http(), &model, &texts).await.expect("embeddings");
    assert_eq!(first.vectors, again.vectors);

    // A long list goes out in provider-sized requests, and comes back in order.
    let small = FakeOpenAi::start_with(FakeOpenAiConfig { embedding_dim: 4, ..Default::default() }).await;
    let many: Vec<String> = (0..600).map(|i| format!("text {i}")).collect();
    let result = runtime::embed(&http(), &openai(&small, "text-embedding-ada-002"), &many).await.expect("many");
    assert_eq!(small.requests().len(), 2);
    assert_eq!(result.vectors.len(), 600);
    assert_eq!(result.vectors[599], embedding_for("text 599", 4));
    assert!(runtime::embed(&http(), &model, &[]).await.expect("none").vectors.is_empty());
}

#[tokio::test]
async fn moderation_flags_only_offending_text() {
    let fake = FakeOpenAi::start().await;
    let model = openai(&fake, "text-moderation-stable");
    assert!(runtime::moderate(&http(), &model, "this is Forbidden stuff").await.expect("moderation"));
    assert!(!runtime::moderate(&http(), &model, "hello there").await.expect("moderation"));
    // Long texts are checked in 2000-character pieces.
    let long = format!("{}forbidden", "a ".repeat(1500));
    assert!(runtime::moderate(&http(), &model, &long).await.expect("moderation"));
    assert_eq!(fake.last_request().expect("request").body["input"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn speech_to_text_uploads_the_file() {
    let fake = FakeOpenAi::start().await;
    let audio = bytes::Bytes::from(vec![7u8; 1234]);
    let text = runtime::transcribe(&http(), &openai(&fake, "whisper-1"), audio, "voice.mp3").await.expect("text");
    assert_eq!(text, "Fake transcription of voice.mp3 (1234 bytes).");
    let req = fake.last_request().expect("request");
    assert_eq!(req.path, "/v1/audio/transcriptions");
    assert_eq!(req.file, Some(("voice.mp3".to_owned(), 1234)));
}

#[tokio::test]
async fn azure_uses_deployment_paths_and_the_api_key_header() {
    let fake = FakeOpenAi::start().await;
    let http = http();
    let model = azure(&fake, "my-gpt35", "gpt-35-turbo", FAKE_API_KEY);
    let result = runtime::generate(&http, &model, &[ChatMessage::user("hi")], &CompletionParams::default())
        .await
        .expect("answer");
    assert_eq!(result.text, "Echo: hi");
    let req = fake.last_request().expect("request");
    assert_eq!(req.path, "/openai/deployments/my-gpt35/chat/completions");
    assert!(req.query.contains("api-version=2023-07-01-preview"), "{}", req.query);
    assert_eq!(model.base_model_name(), "gpt-35-turbo");

    let stream = runtime::stream(&http, &model, &[ChatMessage::user("a b")], &CompletionParams::default())
        .await
        .expect("stream");
    let (deltas, last) = drain(stream).await;
    assert_eq!(deltas.concat(), "Echo: a b");
    // No usage in Azure streams at this API version: counted locally (cl100k, chat rule).
    let expected_prompt = runtime::count_prompt_tokens(&model, &[ChatMessage::user("a b")]).await;
    match last {
        Ok(LlmChunk::Done { usage, .. }) => assert_eq!(usage.prompt_tokens, expected_prompt),
        other => panic!("{other:?}"),
    }

    let embedder = azure(&fake, "ada", "text-embedding-ada-002", FAKE_API_KEY);
    let vectors = runtime::embed(&http, &embedder, &["x".to_owned()]).await.expect("embedding");
    assert_eq!(vectors.vectors[0], embedding_for("x", 1536));
    assert_eq!(fake.last_request().expect("request").path, "/openai/deployments/ada/embeddings");

    let bad = azure(&fake, "my-gpt35", "gpt-35-turbo", "wrong");
    let err = runtime::generate(&http, &bad, &[ChatMessage::user("hi")], &CompletionParams::default())
        .await
        .expect_err("bad key");
    assert!(matches!(&err, ProviderError::Authentication(m) if m.starts_with("Azure Access denied")), "{err:?}");
}

#[tokio::test]
async fn azure_validation_calls_the_deployment() {
    let fake = FakeOpenAi::start().await;
    let http = http();
    let good = azure(&fake, "my-gpt35", "gpt-35-turbo", FAKE_API_KEY);
    let target = Some(("my-gpt35", ModelType::TextGeneration));
    runtime::validate_credentials(&http, "azure_openai", target, &good.credentials).await.expect("valid");
    assert_eq!(fake.last_request().expect("request").body["max_tokens"], 15);

    let bad = azure(&fake, "my-gpt35", "gpt-35-turbo", "wrong");
    let err = runtime::validate_credentials(&http, "azure_openai", target, &bad.credentials).await.expect_err("bad");
    assert!(
        matches!(&err, ProviderError::Authentication(m)
            if m.starts_with("Azure OpenAI deployment my-gpt35 not exists, cause: AuthenticationError:Access denied")),
        "{err:?}"
    );

    let odd = azure(&fake, "my-gpt35", "gpt-5", FAKE_API_KEY);
    let err = runtime::validate_credentials(&http, "azure_openai", target, &odd.credentials).await.expect_err("base");
    assert_eq!(err, ProviderError::BadRequest("Base Model Name is invalid".into()));
    // Provider-level check of a per-model provider: nothing to check, as in Dify.
    runtime::validate_credentials(&http, "azure_openai", None, &Credentials::new()).await.expect("no-op");
}

#[tokio::test]
async fn unsupported_providers_and_capabilities_are_refused() {
    let http = http();
    let model = ModelRef::new("minimax", "abab5.5-chat", Credentials::new());
    let err = runtime::generate(&http, &model, &[ChatMessage::user("hi")], &CompletionParams::default())
        .await
        .expect_err("unsupported");
    assert_eq!(err, ProviderError::NotInitialized("provider minimax is not supported by dify-rs yet".into()));
    let err = runtime::validate_credentials(&http, "spark", None, &Credentials::new()).await.expect_err("spark");
    assert!(matches!(err, ProviderError::NotInitialized(_)));
    let claude = ModelRef::new("anthropic", "claude-2", creds(json!({ "anthropic_api_key": "k" })));
    let err = runtime::embed(&http, &claude, &["x".to_owned()]).await.expect_err("no embeddings");
    assert!(matches!(err, ProviderError::ModelNotSupported(_)));
}

#[tokio::test]
async fn token_counts_and_prices_follow_dify() {
    assert_eq!(tokens::count_text("gpt-3.5-turbo", "hello world"), 2);
    assert_eq!(tokens::Encoding::Cl100kBase.count_async("hello world").await, 2);
    let model = ModelRef::new("openai", "gpt-3.5-turbo", Credentials::new());
    assert_eq!(runtime::count_text_tokens(&model, "hello world").await, 2);

    let price = pricing::message_price("openai", "gpt-3.5-turbo", 1000, 1000);
    // 1000 × 0.0015 × 0.001 + 1000 × 0.002 × 0.001
    assert_eq!(price.message_price.to_string(), "0.0015000");
    assert_eq!(price.answer_price.to_string(), "0.0020000");
    assert_eq!(price.total_price.to_string(), "0.0035000");
    assert_eq!(price.message_unit_price.to_string(), "0.0015");
    assert_eq!(price.answer_unit_price.to_string(), "0.0020");
    assert_eq!(price.message_price_unit.to_string(), "0.001000");
    assert_eq!(price.currency, "USD");
    let azure = ModelRef::new("azure_openai", "prod", creds(json!({ "base_model_name": "gpt-35-turbo" })));
    let usage = Usage { prompt_tokens: 1000, completion_tokens: 1000 };
    assert_eq!(pricing::message_price_for(&azure, usage).total_price.to_string(), "0.0035000");
}
