//! The model runtime against the fake server's OpenAI-compatible side: LocalAI, Xinference, OpenLLM.

use futures::StreamExt;
use providers::runtime::{self, ChatMessage, CompletionParams, Credentials, FinishReason, LlmChunk, ModelRef};
use providers::{ModelType, ProviderError};
use serde_json::json;
use test_support::fake_openai::{FakeOpenAi, embedding_for};

fn http() -> reqwest::Client {
    runtime::http_client().expect("http client")
}

fn creds(value: serde_json::Value) -> Credentials {
    value.as_object().cloned().expect("credentials object")
}

#[tokio::test]
async fn localai_chat_and_completion_models() {
    let fake = FakeOpenAi::start_open().await;
    let http = http();
    let chat = ModelRef::new(
        "localai",
        "ggml-gpt4all-j",
        creds(json!({ "server_url": fake.base_url(), "completion_type": "chat_completion" })),
    );
    let result =
        runtime::generate(&http, &chat, &[ChatMessage::user("hi")], &CompletionParams::default()).await.expect("chat");
    assert_eq!(result.text, "Echo: hi");
    let req = fake.last_request().expect("request");
    assert_eq!((req.path.as_str(), req.model.as_deref()), ("/v1/chat/completions", Some("ggml-gpt4all-j")));

    let completion = ModelRef::new(
        "localai",
        "ggml-gpt4all-j",
        creds(json!({ "server_url": format!("{}/", fake.base_url()), "completion_type": "completion" })),
    );
    let stream = runtime::stream(&http, &completion, &[ChatMessage::user("a b c")], &CompletionParams::default())
        .await
        .expect("stream");
    let items: Vec<_> = stream.collect().await;
    let text: String = items
        .iter()
        .filter_map(|i| match i {
            Ok(LlmChunk::Delta(d)) => Some(d.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, "Echo: a b c");
    match items.last() {
        // No usage from the server without stream_options: counted locally.
        Some(Ok(LlmChunk::Done { usage, finish_reason })) => {
            assert_eq!(usage.completion_tokens, runtime::count_text_tokens(&completion, "Echo: a b c").await);
            assert_eq!(*finish_reason, Some(FinishReason::Stop));
        }
        other => panic!("{other:?}"),
    }
    let req = fake.last_request().expect("request");
    assert_eq!((req.path.as_str(), req.prompt.as_deref()), ("/v1/completions", Some("a b c")));
    assert!(req.body.get("stream_options").is_none());

    let embedder = ModelRef::new("localai", "bert", creds(json!({ "server_url": fake.base_url() })));
    let result = runtime::embed(&http, &embedder, &["x".to_owned(), "y".to_owned()]).await.expect("embeddings");
    assert_eq!(result.vectors[1], embedding_for("y", 1536));
}

#[tokio::test]
async fn localai_validation_follows_dify() {
    let fake = FakeOpenAi::start_open().await;
    let http = http();
    let target = Some(("ggml", ModelType::TextGeneration));
    let ok = creds(json!({ "server_url": fake.base_url(), "completion_type": "completion" }));
    runtime::validate_credentials(&http, "localai", target, &ok).await.expect("valid");
    assert_eq!(fake.last_request().expect("request").body["max_tokens"], 10);
    let no_type = creds(json!({ "server_url": fake.base_url() }));
    let err = runtime::validate_credentials(&http, "localai", target, &no_type).await.expect_err("type");
    assert_eq!(err, ProviderError::BadRequest("LocalAI Completion Type must be provided.".into()));
    let err = runtime::validate_credentials(&http, "localai", target, &Credentials::new()).await.expect_err("url");
    assert_eq!(err, ProviderError::NotInitialized("LocalAI Server URL must be provided.".into()));
    let embeddings = Some(("bert", ModelType::Embeddings));
    runtime::validate_credentials(&http, "localai", embeddings, &no_type).await.expect("embedding model valid");
}

#[tokio::test]
async fn xinference_calls_the_model_uid() {
    let fake = FakeOpenAi::start_open().await;
    let http = http();
    // What the credentials hold once saved: the derived handle type.
    let mut saved = creds(json!({ "server_url": fake.base_url(), "model_uid": "uid-1" }));
    let extra = runtime::xinference_model_info(&http, &fake.base_url(), "uid-1").await.expect("model info");
    assert_eq!(extra.get("model_handle_type"), Some(&json!("chat")));
    assert_eq!(extra.get("model_format"), Some(&json!("pytorch")));
    saved.extend(extra);
    let chat = ModelRef::new("xinference", "my-llama", saved);
    let result =
        runtime::generate(&http, &chat, &[ChatMessage::user("hi")], &CompletionParams::default()).await.expect("chat");
    assert_eq!(result.text, "Echo: hi");
    let req = fake.last_request().expect("request");
    assert_eq!((req.path.as_str(), req.model.as_deref()), ("/v1/chat/completions", Some("uid-1")));

    let generate = ModelRef::new(
        "xinference",
        "my-base",
        creds(json!({ "server_url": fake.base_url(), "model_uid": "generate-1", "model_handle_type": "generate" })),
    );
    runtime::generate(&http, &generate, &[ChatMessage::user("hi")], &CompletionParams::default()).await.expect("gen");
    assert_eq!(fake.last_request().expect("request").path, "/v1/completions");

    // Validation derives the handle type first, then calls the model that way.
    fake.clear_requests();
    let fresh = creds(json!({ "server_url": fake.base_url(), "model_uid": "generate-2" }));
    let target = Some(("my-base", ModelType::TextGeneration));
    runtime::validate_credentials(&http, "xinference", target, &fresh).await.expect("valid");
    let paths: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, vec!["/v1/models/generate-2".to_owned(), "/v1/completions".to_owned()]);

    // Embeddings are normalized, as Dify did.
    let embedder =
        ModelRef::new("xinference", "bge", creds(json!({ "server_url": fake.base_url(), "model_uid": "bge-uid" })));
    let result = runtime::embed(&http, &embedder, &["x".to_owned()]).await.expect("embedding");
    let norm: f32 = result.vectors[0].iter().map(|v| v * v).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4);
    // Dify's Xinference client asked for plain numbers.
    assert!(fake.last_request().expect("request").body.get("encoding_format").is_none());
}

#[tokio::test]
async fn openllm_generates_through_its_json_api() {
    let fake = FakeOpenAi::start_open().await;
    let http = http();
    let model = ModelRef::new("openllm", "dolly", creds(json!({ "server_url": fake.base_url() })));
    let params = CompletionParams { max_tokens: Some(64), stop: Some(vec!["world".into()]), ..Default::default() };
    let result = runtime::generate(&http, &model, &[ChatMessage::user("hello world")], &params).await.expect("ok");
    // The stop word is applied here: OpenLLM's API has none.
    assert_eq!(result.text, "Echo: hello ");
    assert_eq!(result.finish_reason, Some(FinishReason::Stop));
    let req = fake.last_request().expect("request");
    assert_eq!(req.path, "/v1/generate");
    assert_eq!(req.body["llm_config"]["max_new_tokens"], 64);

    let stream = runtime::stream(&http, &model, &[ChatMessage::user("hey")], &CompletionParams::default())
        .await
        .expect("stream");
    let items: Vec<_> = stream.collect().await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0], Ok(LlmChunk::Delta("Echo: hey".into())));

    fake.fail_next(500, "boom");
    let err = runtime::generate(&http, &model, &[ChatMessage::user("x")], &CompletionParams::default())
        .await
        .expect_err("500");
    assert_eq!(err, ProviderError::Unavailable("OpenLLM: HTTP 500 error: boom".into()));
}
