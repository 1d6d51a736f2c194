//! The HTTP side of a generation on every surface: the request bodies, and answering as one
//! JSON body (blocking) or as Dify's server-sent events (streaming).

use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::http::header;
use apps::lookup::AppMode;
use bytes::Bytes;
use conversations::Caller;
use conversations::generate::{Event, Generation, Request};
use entities::apps as app_rows;
use futures::stream;
use kernel::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::http_error::HttpResult;
use crate::pyjson::dumps;

/// Quiet time after which a stream sends Dify's keep-alive `event: ping`.
const PING_AFTER: Duration = Duration::from_secs(10);

/// How the answer comes back: one JSON body, or server-sent events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", rename_all = "snake_case")]
pub enum ResponseMode {
    Blocking,
    Streaming,
}

impl TryFrom<String> for ResponseMode {
    type Error = String;

    fn try_from(mode: String) -> Result<Self, String> {
        match mode.as_str() {
            "blocking" => Ok(Self::Blocking),
            "streaming" => Ok(Self::Streaming),
            _ => Err(format!("{mode} is not a valid choice")),
        }
    }
}

/// `POST chat-messages` (web app, installed apps).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ChatBody {
    /// The values of the app's input form.
    pub inputs: Map<String, Value>,
    pub query: String,
    /// Streams only when `streaming`.
    pub response_mode: Option<ResponseMode>,
    /// The conversation to go on with; absent or `""` starts one.
    // Dify's `uuid_value` lets "" through and its services read it as no conversation: the
    // console's first debug message sends exactly that.
    #[serde(default, deserialize_with = "crate::body::uuid_value")]
    pub conversation_id: Option<Uuid>,
    /// Where the request comes from (defaults to the surface's own name).
    pub retriever_from: Option<String>,
}

/// `POST completion-messages` (web app, installed apps). A completion has no conversation:
/// `conversation_id` is not read, as in Dify.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CompletionBody {
    /// The values of the app's input form.
    pub inputs: Map<String, Value>,
    #[serde(default)]
    pub query: String,
    /// Streams only when `streaming`.
    pub response_mode: Option<ResponseMode>,
    /// Where the request comes from (defaults to the surface's own name).
    pub retriever_from: Option<String>,
}

/// The arguments every generation route passes on, whatever its body.
#[derive(Debug)]
pub struct GenerateArgs {
    pub inputs: Map<String, Value>,
    pub query: String,
    pub response_mode: Option<ResponseMode>,
    pub conversation_id: Option<Uuid>,
    pub retriever_from: String,
}

impl GenerateArgs {
    /// A chat body's arguments; `retriever_from` unless the body names its own.
    pub fn chat(body: ChatBody, retriever_from: &str) -> Self {
        let ChatBody { inputs, query, response_mode, conversation_id, retriever_from: from } = body;
        let retriever_from = from.unwrap_or_else(|| retriever_from.to_owned());
        Self { inputs, query, response_mode, conversation_id, retriever_from }
    }

    /// A completion body's arguments (no conversation); `retriever_from` unless the body
    /// names its own.
    pub fn completion(body: CompletionBody, retriever_from: &str) -> Self {
        let CompletionBody { inputs, query, response_mode, retriever_from: from } = body;
        let retriever_from = from.unwrap_or_else(|| retriever_from.to_owned());
        Self { inputs, query, response_mode, conversation_id: None, retriever_from }
    }

    /// Web, installed-app and service routes stream only when asked to.
    pub fn streams_if_asked(&self) -> bool {
        self.response_mode == Some(ResponseMode::Streaming)
    }

    /// Console debugging streams unless told `blocking`.
    pub fn streams_unless_blocking(&self) -> bool {
        self.response_mode != Some(ResponseMode::Blocking)
    }

    /// The generation request these arguments make for `caller` of `app`.
    pub fn request(self, app: app_rows::Model, caller: Caller, override_config: Option<Value>) -> Request {
        Request {
            app,
            caller,
            inputs: self.inputs,
            query: self.query,
            conversation_id: self.conversation_id,
            override_config,
            retriever_from: self.retriever_from,
            current_config: None,
        }
    }
}

/// `response_mode` of a more-like-this request (required, in the query string).
pub fn query_response_mode(query: &crate::query::QueryArgs) -> Result<bool, ApiError> {
    if !query.contains("response_mode") {
        return Err(ApiError::invalid_param("response_mode", "Missing required parameter in the query string"));
    }
    Ok(query.choice("response_mode", &["streaming", "blocking"], "blocking")? == "streaming")
}

#[derive(Serialize)]
struct MessageEvent<'a> {
    event: &'static str,
    task_id: String,
    id: String,
    answer: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Value>,
    created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_id: Option<String>,
}

#[derive(Serialize)]
struct EndEvent {
    event: &'static str,
    task_id: String,
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    retriever_resources: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_id: Option<String>,
}

/// The identifiers every event of one generation carries.
struct Ids {
    task_id: String,
    message_id: String,
    conversation_id: Option<String>,
}

impl Ids {
    fn of(g: &Generation) -> Self {
        Self {
            task_id: g.task_id.to_string(),
            message_id: g.message_id.to_string(),
            conversation_id: (g.mode == AppMode::Chat).then(|| g.conversation_id.to_string()),
        }
    }

    fn message(&self, answer: &str, metadata: Option<Value>) -> Vec<u8> {
        dumps(&MessageEvent {
            event: "message",
            task_id: self.task_id.clone(),
            id: self.message_id.clone(),
            answer,
            metadata,
            created_at: chrono::Utc::now().timestamp(),
            conversation_id: self.conversation_id.clone(),
        })
    }

    fn end(&self, retriever_resources: Option<Value>) -> Vec<u8> {
        dumps(&EndEvent {
            event: "message_end",
            task_id: self.task_id.clone(),
            id: self.message_id.clone(),
            retriever_resources,
            conversation_id: self.conversation_id.clone(),
        })
    }
}

/// Answers a started generation, streamed or at once.
pub async fn respond(generation: Generation, streaming: bool) -> HttpResult {
    if streaming { Ok(sse(generation)) } else { blocking(generation).await }
}

/// Waits for the whole answer. A stopped generation answers with what it had.
async fn blocking(mut g: Generation) -> HttpResult {
    let ids = Ids::of(&g);
    let mut answer = String::new();
    let mut resources = None;
    while let Some(event) = g.events.recv().await {
        match event {
            Event::Text(t) => answer.push_str(&t),
            Event::End { retriever_resources } => {
                resources = retriever_resources;
                break;
            }
            Event::Error(e) => return Err(e.into()),
        }
    }
    let mut metadata = Map::new();
    if let Some(r) = resources {
        metadata.insert("retriever_resources".into(), r);
    }
    Ok(HttpResponse::Ok().content_type("application/json").body(ids.message(&answer, Some(Value::Object(metadata)))))
}

fn frame(json: Vec<u8>) -> Bytes {
    let mut out = Vec::with_capacity(json.len() + 8);
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(&json);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// Counts an SSE stream as open (`sse_streams_open`) until the body is dropped: finished, or
/// the client went away.
struct OpenStream;

impl OpenStream {
    fn new() -> Self {
        metrics::gauge!("sse_streams_open").increment(1.0);
        metrics::counter!("sse_streams_total").increment(1);
        Self
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        metrics::gauge!("sse_streams_open").decrement(1.0);
    }
}

/// Dify's event stream: a `data:` line per token, `message_end`, or one error line; a ping
/// after every quiet ten seconds. Each token goes out as it arrives.
fn sse(g: Generation) -> HttpResponse {
    let ids = Ids::of(&g);
    let open = OpenStream::new();
    let body = stream::unfold((g.events, ids, false, open), |(mut rx, ids, done, open)| async move {
        if done {
            return None;
        }
        let item = match tokio::time::timeout(PING_AFTER, rx.recv()).await {
            Err(_) => (Bytes::from_static(b"event: ping\n\n"), false),
            Ok(None) => return None,
            Ok(Some(Event::Text(t))) => (frame(ids.message(&t, None)), false),
            Ok(Some(Event::End { retriever_resources })) => (frame(ids.end(retriever_resources)), true),
            Ok(Some(Event::Error(e))) => (frame(dumps(&crate::error_table::conversation(e).body())), true),
        };
        Some((Ok::<_, actix_web::Error>(item.0), (rx, ids, item.1, open)))
    });
    HttpResponse::Ok()
        .content_type("text/event-stream; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Proxies (nginx) must pass each event on at once.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}
