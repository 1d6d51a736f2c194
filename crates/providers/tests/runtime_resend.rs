//! A model server that closes a connection before answering (as one closing an idle kept-alive
//! connection does, in the instant the pool hands it out): the request goes again on a new
//! connection, at most twice more.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;
use providers::ProviderError;
use providers::runtime::{self, ChatMessage, CompletionParams, LlmChunk, ModelRef};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CHUNK: &str = r#"{"id":"c","object":"chat.completion.chunk","created":0,"model":"gpt-3.5-turbo","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"finish_reason":null}]}"#;
const LAST: &str = r#"{"id":"c","object":"chat.completion.chunk","created":0,"model":"gpt-3.5-turbo","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#;
const EMBEDDING: &str = r#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.6,0.8]}],"model":"text-embedding-ada-002","usage":{"prompt_tokens":1,"total_tokens":1}}"#;
const ANSWER: &str = r#"{"id":"c","object":"chat.completion","created":0,"model":"gpt-3.5-turbo","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9}}"#;

/// An OpenAI-style server whose first `closing` connections read the request and close
/// without a byte of answer; later ones answer it. Counts the connections it accepted.
async fn server(closing: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(socket, n < closing));
        }
    });
    (base, accepted)
}

async fn serve(mut socket: TcpStream, close: bool) {
    let request = read_request(&mut socket).await;
    if close {
        return;
    }
    let response = if request.contains("\"stream\":true") {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n\
             data: {CHUNK}\n\ndata: {LAST}\n\ndata: [DONE]\n\n"
        )
    } else {
        let body = if request.starts_with("POST /v1/embeddings") { EMBEDDING } else { ANSWER };
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}

/// The request's head and body (by its content-length).
async fn read_request(socket: &mut TcpStream) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = socket.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&seen);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if seen.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

fn model(base: &str) -> ModelRef {
    named(base, "gpt-3.5-turbo")
}

fn named(base: &str, name: &str) -> ModelRef {
    let credentials = json!({"openai_api_key": "sk-test", "openai_api_base": base});
    ModelRef::new("openai", name, credentials.as_object().cloned().expect("object"))
}

fn question() -> Vec<ChatMessage> {
    vec![ChatMessage::user("hi")]
}

#[tokio::test]
async fn a_blocking_request_met_by_a_closed_connection_is_sent_again() {
    let (base, accepted) = server(1).await;
    let http = runtime::http_client().expect("client");
    let result =
        runtime::generate(&http, &model(&base), &question(), &CompletionParams::default()).await.expect("answered");
    assert_eq!(result.text, "Hello");
    assert_eq!(accepted.load(Ordering::SeqCst), 2, "one closed connection, then one that answered");
}

#[tokio::test]
async fn a_stream_met_by_closed_connections_is_sent_again() {
    let (base, accepted) = server(2).await;
    let http = runtime::http_client().expect("client");
    let stream =
        runtime::stream(&http, &model(&base), &question(), &CompletionParams::default()).await.expect("started");
    let items: Vec<_> = stream.collect().await;
    let deltas: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            Ok(LlmChunk::Delta(d)) => Some(d.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, vec!["Hello".to_owned()]);
    assert!(matches!(items.last(), Some(Ok(LlmChunk::Done { .. }))), "{items:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 3, "two closed connections, then one that answered");
}

#[tokio::test]
async fn an_embedding_request_met_by_a_closed_connection_is_sent_again() {
    let (base, accepted) = server(1).await;
    let http = runtime::http_client().expect("client");
    let texts = vec!["hi".to_owned()];
    let result = runtime::embed(&http, &named(&base, "text-embedding-ada-002"), &texts).await.expect("embedded");
    assert_eq!(result.vectors, vec![vec![0.6_f32, 0.8]]);
    assert_eq!(accepted.load(Ordering::SeqCst), 2, "one closed connection, then one that answered");
}

#[tokio::test]
async fn a_server_that_always_closes_is_tried_three_times() {
    let (base, accepted) = server(usize::MAX).await;
    let http = runtime::http_client().expect("client");
    let e = runtime::generate(&http, &model(&base), &question(), &CompletionParams::default())
        .await
        .expect_err("never answered");
    assert!(matches!(e, ProviderError::Connection(_)), "{e:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 3, "the first try and two more");
}
