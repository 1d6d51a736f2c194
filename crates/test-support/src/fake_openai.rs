//! A fake model vendor on a random loopback port, speaking the wire protocols the runtime uses:
//!
//! - OpenAI: `POST /v1/chat/completions`, `/v1/completions` (blocking JSON with usage, or
//!   `stream: true` SSE chunks ending with `data: [DONE]`, plus a usage chunk when
//!   `stream_options.include_usage`), `/v1/embeddings`, `/v1/moderations`,
//!   `/v1/audio/transcriptions` (multipart); auth `Authorization: Bearer <key>`.
//! - Azure OpenAI: `POST /openai/deployments/{deployment}/{chat/completions|completions|embeddings}?api-version=…`;
//!   auth `api-key: <key>`.
//! - Anthropic: `POST /v1/messages` (blocking, or SSE events `message_start` … `message_stop`);
//!   auth `x-api-key: <key>` and an `anthropic-version` header.
//! - Xinference's `GET /v1/models/{uid}` (ability `generate` for uids starting with
//!   `generate-`, else `chat`) and OpenLLM's `POST /v1/generate`.
//!
//! The answer is deterministic: `"Echo: "` and the last user message (or the prompt), sent as
//! word tokens (`"Echo:"`, `" hello"`, `" world"`); `max_tokens` cuts it (finish `length`) and
//! a stop word cuts it (finish `stop`). Usage counts whitespace-separated words: prompt tokens
//! are the words of every message, completion tokens the tokens sent. Embeddings are unit
//! vectors seeded by a hash of the text ([`embedding_for`]).
//!
//! Knobs: latency before the first token, token rate, a fixed answer, failures queued for the
//! next requests (any status, in the vendor's error JSON), a stream broken after N tokens.
//! Every request is recorded for assertions.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use serde_json::{Value, json};

/// The key a default server accepts.
pub const FAKE_API_KEY: &str = "sk-fake0123456789abcdefghijklmnop";

/// Largest request body the fake accepts (audio uploads).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// How the server behaves at start; the `set_*` methods change it later.
#[derive(Debug, Clone)]
pub struct FakeOpenAiConfig {
    /// The key requests must carry; `None` accepts any request (LocalAI, Xinference, OpenLLM).
    pub api_key: Option<String>,
    /// Dimensions of the embeddings.
    pub embedding_dim: usize,
    /// Moderation flags texts containing this word (case-insensitive).
    pub flagged_word: String,
    /// Wait before the first token (for blocking answers: before answering).
    pub first_token_latency: Duration,
    /// Tokens per second after the first; `None` sends them as fast as possible.
    pub tokens_per_second: Option<f64>,
    /// Wait before answering an embeddings request.
    pub embedding_latency: Duration,
    /// Keep every request for [`FakeOpenAi::requests`]; benchmarks turn it off so memory stays
    /// flat under load.
    pub record: bool,
    /// Server worker threads.
    pub workers: usize,
}

impl Default for FakeOpenAiConfig {
    fn default() -> Self {
        Self {
            api_key: Some(FAKE_API_KEY.to_owned()),
            embedding_dim: 1536,
            flagged_word: "forbidden".to_owned(),
            first_token_latency: Duration::ZERO,
            tokens_per_second: None,
            embedding_latency: Duration::ZERO,
            record: true,
            workers: 2,
        }
    }
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    pub query: String,
    /// The body's `model`, or the Azure deployment.
    pub model: Option<String>,
    /// Chat messages as `(role, content)`; Anthropic's `system` comes first as a "system" message.
    pub messages: Vec<(String, String)>,
    /// The prompt of a legacy completion (or OpenLLM generate).
    pub prompt: Option<String>,
    pub stream: bool,
    /// The JSON body (`Null` for multipart); sampling parameters are read from here.
    pub body: Value,
    /// For transcriptions: the uploaded file's name and size.
    pub file: Option<(String, usize)>,
}

#[derive(Debug, Clone)]
struct Failure {
    status: u16,
    message: String,
}

struct Inner {
    config: FakeOpenAiConfig,
    answer: Option<String>,
    failures: VecDeque<Failure>,
    break_after: Option<usize>,
    hold: Option<(usize, Arc<tokio::sync::Notify>)>,
    requests: Vec<RecordedRequest>,
    next_id: u64,
    /// Embedding requests being answered now, and the most there ever were at once.
    embeddings_in_flight: usize,
    embeddings_peak: usize,
}

struct State {
    inner: Mutex<Inner>,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Holds a stream of the fake until opened.
#[derive(Debug, Clone)]
pub struct StreamGate(Arc<tokio::sync::Notify>);

impl StreamGate {
    pub fn open(&self) {
        self.0.notify_one();
    }
}

/// A running fake vendor server; stops when dropped.
pub struct FakeOpenAi {
    base: String,
    state: Arc<State>,
    handle: ServerHandle,
}

impl std::fmt::Debug for FakeOpenAi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeOpenAi").field("base", &self.base).finish()
    }
}

impl FakeOpenAi {
    /// Starts a server that accepts [`FAKE_API_KEY`].
    pub async fn start() -> Self {
        Self::start_with(FakeOpenAiConfig::default()).await
    }

    /// Starts a server that accepts any request, as self-hosted servers do.
    pub async fn start_open() -> Self {
        Self::start_with(FakeOpenAiConfig { api_key: None, ..FakeOpenAiConfig::default() }).await
    }

    pub async fn start_with(config: FakeOpenAiConfig) -> Self {
        let workers = config.workers.max(1);
        let state = Arc::new(State {
            inner: Mutex::new(Inner {
                config,
                answer: None,
                failures: VecDeque::new(),
                break_after: None,
                hold: None,
                requests: Vec::new(),
                next_id: 1,
                embeddings_in_flight: 0,
                embeddings_peak: 0,
            }),
        });
        let data = web::Data::from(Arc::clone(&state));
        let (base, handle) = crate::serve::serve("fake-openai", workers, move |cfg| {
            cfg.app_data(data.clone()).app_data(web::PayloadConfig::new(MAX_BODY)).default_service(web::to(handle));
        })
        .await;
        Self { base, state, handle }
    }

    /// `http://127.0.0.1:<port>`, without `/v1`: the value for Dify's `openai_api_base` (the
    /// runtime appends `/v1`), LocalAI/Xinference/OpenLLM `server_url`, Azure's
    /// `openai_api_base` and Anthropic's `anthropic_api_url`.
    pub fn base_url(&self) -> String {
        self.base.clone()
    }

    /// The key requests must carry, if any.
    pub fn api_key(&self) -> Option<String> {
        self.state.lock().config.api_key.clone()
    }

    pub fn set_first_token_latency(&self, latency: Duration) {
        self.state.lock().config.first_token_latency = latency;
    }

    pub fn set_embedding_latency(&self, latency: Duration) {
        self.state.lock().config.embedding_latency = latency;
    }

    /// The most embedding requests this server was answering at once.
    pub fn embeddings_peak(&self) -> usize {
        self.state.lock().embeddings_peak
    }

    pub fn set_tokens_per_second(&self, rate: Option<f64>) {
        self.state.lock().config.tokens_per_second = rate;
    }

    /// Answers with this text instead of the echo (`None`: echo again).
    pub fn set_answer(&self, answer: Option<&str>) {
        self.state.lock().answer = answer.map(str::to_owned);
    }

    /// Makes the next request fail with `status` and `message` in the vendor's error JSON
    /// (OpenAI's shape, or Anthropic's on `/v1/messages`). Calls queue up.
    pub fn fail_next(&self, status: u16, message: &str) {
        self.state.lock().failures.push_back(Failure { status, message: message.to_owned() });
    }

    /// Makes the next streamed answer break off (connection dropped, no end marker) after
    /// `tokens` content tokens.
    pub fn break_next_stream_after(&self, tokens: usize) {
        self.state.lock().break_after = Some(tokens);
    }

    /// The next stream sends `tokens` tokens, then waits until the returned gate is opened
    /// (lets a test see what reached it before the model's stream ends).
    pub fn hold_next_stream_after(&self, tokens: usize) -> StreamGate {
        let gate = Arc::new(tokio::sync::Notify::new());
        self.state.lock().hold = Some((tokens, gate.clone()));
        StreamGate(gate)
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().requests.clone()
    }

    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.state.lock().requests.last().cloned()
    }

    pub fn clear_requests(&self) {
        self.state.lock().requests.clear();
    }
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// The fake's embedding of `text`: a unit vector of `dim` values, the sum of one seeded
/// random vector per word (lowercased letters and digits), so texts sharing words score
/// closer — enough for retrieval tests to find the segment holding a query's words. A text
/// without words is seeded by the whole text. Deterministic across runs and platforms.
pub fn embedding_for(text: &str, dim: usize) -> Vec<f32> {
    let words: Vec<String> =
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    let mut values = vec![0f64; dim];
    if words.is_empty() {
        add_seeded(&mut values, text);
    }
    for w in &words {
        add_word(&mut values, w);
    }
    let norm = values.iter().map(|v| v * v).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
    values.into_iter().map(|v| (v / norm) as f32).collect()
}

/// Adds a word's seeded vector, kept once made: a vendor's own compute is not on the machine
/// under test, so the fake should spend as little of it as it can.
fn add_word(values: &mut [f64], word: &str) {
    type Kept = std::collections::HashMap<(String, usize), Arc<[f64]>>;
    static KEPT: std::sync::LazyLock<Mutex<Kept>> = std::sync::LazyLock::new(Mutex::default);
    let key = (word.to_owned(), values.len());
    let kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner).get(&key).cloned();
    let seeded = kept.unwrap_or_else(|| {
        let mut fresh = vec![0f64; values.len()];
        add_seeded(&mut fresh, word);
        let fresh: Arc<[f64]> = fresh.into();
        let mut all = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
        if all.len() >= 4096 {
            all.clear();
        }
        all.insert(key, fresh.clone());
        fresh
    });
    values.iter_mut().zip(seeded.iter()).for_each(|(v, s)| *v += s);
}

/// Adds the unit-ish random vector seeded by `key` (FNV-1a into splitmix64).
fn add_seeded(values: &mut [f64], key: &str) {
    let mut seed =
        key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    for v in values.iter_mut() {
        seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        *v += (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vendor {
    OpenAi,
    Azure,
    Anthropic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Chat,
    Completion,
    Embeddings,
    Moderations,
    Transcriptions,
    Messages,
    XinferenceModel,
    OpenLlmGenerate,
}

async fn handle(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let Some((vendor, endpoint, deployment)) = route(req.method(), &path) else {
        return openai_error(StatusCode::NOT_FOUND, &format!("Invalid URL ({} {path})", req.method()), None);
    };
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let file = (endpoint == Endpoint::Transcriptions).then(|| multipart_file(&req, &body)).flatten();
    let record = record(&req, &path, &query, &json, deployment, file.clone(), vendor);
    let (failure, config, answer_override, break_after, hold) = {
        let mut inner = state.lock();
        if inner.config.record {
            inner.requests.push(record.clone());
        }
        let failure = inner.failures.pop_front();
        let break_after = if record.stream { inner.break_after.take() } else { None };
        let hold = if record.stream { inner.hold.take() } else { None };
        (failure, inner.config.clone(), inner.answer.clone(), break_after, hold)
    };
    if let Some(e) = check_auth(&req, vendor, &config) {
        return e;
    }
    if let Some(f) = failure {
        let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return vendor_error(vendor, status, &f.message);
    }
    if vendor == Vendor::Azure && !query.contains("api-version=") {
        return openai_error(StatusCode::NOT_FOUND, "Resource not found", Some("404"));
    }
    let id = {
        let mut inner = state.lock();
        inner.next_id += 1;
        inner.next_id
    };
    match endpoint {
        Endpoint::Chat | Endpoint::Completion | Endpoint::Messages | Endpoint::OpenLlmGenerate => {
            let answer = Answer::plan(&record, &json, answer_override.as_deref());
            let timing = Timing { first: config.first_token_latency, rate: config.tokens_per_second };
            match (endpoint, record.stream) {
                (Endpoint::Messages, true) => {
                    sse(anthropic_events(id, &record, &answer), timing, break_after, hold.clone())
                }
                (Endpoint::Messages, false) => {
                    timing.wait_all(answer.tokens.len()).await;
                    HttpResponse::Ok().json(anthropic_message(id, &record, &answer))
                }
                (Endpoint::OpenLlmGenerate, _) => {
                    timing.wait_all(answer.tokens.len()).await;
                    HttpResponse::Ok()
                        .json(json!({ "responses": [answer.text()], "configuration": json["llm_config"] }))
                }
                (_, true) => {
                    sse(openai_chunks(id, endpoint, &record, &json, &answer), timing, break_after, hold.clone())
                }
                (_, false) => {
                    timing.wait_all(answer.tokens.len()).await;
                    HttpResponse::Ok().json(openai_completion(id, endpoint, &record, &answer))
                }
            }
        }
        Endpoint::Embeddings => {
            {
                let mut inner = state.lock();
                inner.embeddings_in_flight += 1;
                inner.embeddings_peak = inner.embeddings_peak.max(inner.embeddings_in_flight);
            }
            tokio::time::sleep(config.embedding_latency).await;
            state.lock().embeddings_in_flight -= 1;
            embeddings(&json, &record, config.embedding_dim)
        }
        Endpoint::Moderations => moderations(&json, &config.flagged_word),
        Endpoint::Transcriptions => match file {
            Some((name, size)) => {
                HttpResponse::Ok().json(json!({ "text": format!("Fake transcription of {name} ({size} bytes).") }))
            }
            None => openai_error(StatusCode::BAD_REQUEST, "'file' is a required property", None),
        },
        Endpoint::XinferenceModel => {
            let uid = path.trim_start_matches("/v1/models/");
            let ability = if uid.starts_with("generate-") { "generate" } else { "chat" };
            HttpResponse::Ok().json(json!({
                "id": uid, "object": "model", "model_type": "LLM", "model_name": uid,
                "model_format": "pytorch", "model_ability": [ability]
            }))
        }
    }
}

fn route(method: &Method, path: &str) -> Option<(Vendor, Endpoint, Option<String>)> {
    if method == Method::GET {
        return path.strip_prefix("/v1/models/").map(|_| (Vendor::OpenAi, Endpoint::XinferenceModel, None));
    }
    if method != Method::POST {
        return None;
    }
    if let Some(rest) = path.strip_prefix("/openai/deployments/") {
        let (deployment, op) = rest.split_once('/')?;
        let endpoint = match op {
            "chat/completions" => Endpoint::Chat,
            "completions" => Endpoint::Completion,
            "embeddings" => Endpoint::Embeddings,
            _ => return None,
        };
        return Some((Vendor::Azure, endpoint, Some(deployment.to_owned())));
    }
    let endpoint = match path {
        "/v1/chat/completions" => Endpoint::Chat,
        "/v1/completions" => Endpoint::Completion,
        "/v1/embeddings" => Endpoint::Embeddings,
        "/v1/moderations" => Endpoint::Moderations,
        "/v1/audio/transcriptions" => Endpoint::Transcriptions,
        "/v1/generate" => Endpoint::OpenLlmGenerate,
        "/v1/messages" => return Some((Vendor::Anthropic, Endpoint::Messages, None)),
        _ => return None,
    };
    Some((Vendor::OpenAi, endpoint, None))
}

fn record(
    req: &HttpRequest,
    path: &str,
    query: &str,
    json: &Value,
    deployment: Option<String>,
    file: Option<(String, usize)>,
    vendor: Vendor,
) -> RecordedRequest {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        // Anthropic content blocks.
        Value::Array(blocks) => blocks.iter().filter_map(|b| b["text"].as_str()).collect(),
        _ => String::new(),
    };
    let mut messages: Vec<(String, String)> = Vec::new();
    if vendor == Vendor::Anthropic && !json["system"].is_null() {
        messages.push(("system".to_owned(), text(&json["system"])));
    }
    if let Some(list) = json["messages"].as_array() {
        messages.extend(list.iter().map(|m| (m["role"].as_str().unwrap_or_default().to_owned(), text(&m["content"]))));
    }
    RecordedRequest {
        method: req.method().to_string(),
        path: path.to_owned(),
        query: query.to_owned(),
        model: deployment.or_else(|| json["model"].as_str().map(str::to_owned)),
        messages,
        prompt: json["prompt"].as_str().map(str::to_owned),
        stream: json["stream"].as_bool().unwrap_or(false),
        body: json.clone(),
        file,
    }
}

fn check_auth(req: &HttpRequest, vendor: Vendor, config: &FakeOpenAiConfig) -> Option<HttpResponse> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if vendor == Vendor::Anthropic && header("anthropic-version").is_none() {
        return Some(anthropic_error(StatusCode::BAD_REQUEST, "anthropic-version: header is required"));
    }
    let expected = config.api_key.as_deref()?;
    let given = match vendor {
        Vendor::OpenAi => header("authorization").and_then(|h| h.strip_prefix("Bearer ").map(str::to_owned)),
        Vendor::Azure => header("api-key"),
        Vendor::Anthropic => header("x-api-key"),
    };
    if given.as_deref() == Some(expected) {
        return None;
    }
    Some(match vendor {
        Vendor::OpenAi => {
            let shown = obfuscate(given.as_deref().unwrap_or_default());
            let message = format!(
                "Incorrect API key provided: {shown}. You can find your API key at https://platform.openai.com/account/api-keys."
            );
            HttpResponse::Unauthorized().json(json!({
                "error": { "message": message, "type": "invalid_request_error", "param": null, "code": "invalid_api_key" }
            }))
        }
        Vendor::Azure => openai_error(
            StatusCode::UNAUTHORIZED,
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key \
             for an active subscription and use a correct regional API endpoint for your resource.",
            Some("401"),
        ),
        Vendor::Anthropic => anthropic_error(StatusCode::UNAUTHORIZED, "invalid x-api-key"),
    })
}

/// OpenAI shows keys as `sk-abc***...xyz`.
fn obfuscate(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}***{tail}")
}

fn vendor_error(vendor: Vendor, status: StatusCode, message: &str) -> HttpResponse {
    match vendor {
        Vendor::Anthropic => anthropic_error(status, message),
        Vendor::OpenAi | Vendor::Azure => openai_error(status, message, None),
    }
}

fn openai_error(status: StatusCode, message: &str, code: Option<&str>) -> HttpResponse {
    let kind = match status.as_u16() {
        429 => "requests",
        500..=599 => "server_error",
        _ => "invalid_request_error",
    };
    HttpResponse::build(status)
        .json(json!({ "error": { "message": message, "type": kind, "param": null, "code": code } }))
}

fn anthropic_error(status: StatusCode, message: &str) -> HttpResponse {
    let kind = match status.as_u16() {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        500..=599 => "api_error",
        _ => "invalid_request_error",
    };
    HttpResponse::build(status).json(json!({ "type": "error", "error": { "type": kind, "message": message } }))
}

/// The answer of one generation request, in tokens.
struct Answer {
    tokens: Vec<String>,
    /// OpenAI's reason (`stop`, `length`); Anthropic's is derived.
    finish: &'static str,
    prompt_tokens: usize,
}

impl Answer {
    fn plan(record: &RecordedRequest, json: &Value, answer: Option<&str>) -> Self {
        let input = match &record.prompt {
            Some(prompt) => prompt.clone(),
            None => record
                .messages
                .iter()
                .rev()
                .find(|(role, _)| role == "user")
                .map(|(_, c)| c.clone())
                .unwrap_or_default(),
        };
        let text = answer.map_or_else(|| format!("Echo: {input}"), str::to_owned);
        let mut full: String = text;
        let mut finish = "stop";
        let stops: Vec<String> = match &json["stop"] {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect(),
            _ => json["stop_sequences"]
                .as_array()
                .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
        };
        if let Some(cut) = stops.iter().filter(|s| !s.is_empty()).filter_map(|s| full.find(s.as_str())).min() {
            full.truncate(cut);
        }
        let mut tokens: Vec<String> = full
            .split_whitespace()
            .enumerate()
            .map(|(i, w)| if i == 0 { w.to_owned() } else { format!(" {w}") })
            .collect();
        let limit = json["max_tokens"].as_u64().or_else(|| json["llm_config"]["max_new_tokens"].as_u64());
        if let Some(limit) = limit.and_then(|l| usize::try_from(l).ok())
            && tokens.len() > limit
        {
            tokens.truncate(limit);
            finish = "length";
        }
        let mut prompt_words: usize = record.messages.iter().map(|(_, c)| c.split_whitespace().count()).sum();
        prompt_words += record.prompt.as_deref().map_or(0, |p| p.split_whitespace().count());
        Self { tokens, finish, prompt_tokens: prompt_words }
    }

    fn text(&self) -> String {
        self.tokens.concat()
    }
}

#[derive(Debug, Clone, Copy)]
struct Timing {
    first: Duration,
    rate: Option<f64>,
}

impl Timing {
    fn between(&self) -> Duration {
        self.rate.filter(|r| *r > 0.0).map_or(Duration::ZERO, |r| Duration::from_secs_f64(1.0 / r))
    }

    /// A blocking answer takes as long as streaming it would.
    async fn wait_all(&self, tokens: usize) {
        let total = self.first + self.between() * u32::try_from(tokens.saturating_sub(1)).unwrap_or(u32::MAX);
        if !total.is_zero() {
            actix_web::rt::time::sleep(total).await;
        }
    }
}

/// One SSE frame; `token` frames are paced and counted for `break_after`.
struct Frame {
    data: String,
    token: bool,
}

fn sse(
    frames: Vec<Frame>,
    timing: Timing,
    break_after: Option<usize>,
    hold: Option<(usize, Arc<tokio::sync::Notify>)>,
) -> HttpResponse {
    struct Cursor {
        frames: std::vec::IntoIter<Frame>,
        timing: Timing,
        break_after: Option<usize>,
        hold: Option<(usize, Arc<tokio::sync::Notify>)>,
        sent_tokens: usize,
    }
    let cursor = Cursor { frames: frames.into_iter(), timing, break_after, hold, sent_tokens: 0 };
    let body = futures::stream::unfold(cursor, |mut c| async move {
        let frame = c.frames.next()?;
        if frame.token {
            if c.hold.as_ref().is_some_and(|(after, _)| *after == c.sent_tokens)
                && let Some((_, gate)) = c.hold.take()
            {
                gate.notified().await;
            }
            if c.break_after == Some(c.sent_tokens) {
                // Pausing first lets actix flush what was sent, as a real network would have;
                // then an error from the body stream makes it drop the connection mid-response.
                actix_web::rt::time::sleep(Duration::from_millis(20)).await;
                let broken = std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "fake stream broken");
                return Some((Err(actix_web::error::ErrorInternalServerError(broken)), c));
            }
            let wait = if c.sent_tokens == 0 { c.timing.first } else { c.timing.between() };
            if !wait.is_zero() {
                actix_web::rt::time::sleep(wait).await;
            }
            c.sent_tokens += 1;
        }
        Some((Ok::<_, actix_web::Error>(Bytes::from(frame.data)), c))
    });
    HttpResponse::Ok().content_type("text/event-stream").insert_header(("cache-control", "no-cache")).streaming(body)
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn openai_usage(answer: &Answer) -> Value {
    let (p, c) = (answer.prompt_tokens, answer.tokens.len());
    json!({ "prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c })
}

fn openai_completion(id: u64, endpoint: Endpoint, record: &RecordedRequest, answer: &Answer) -> Value {
    let model = record.model.clone().unwrap_or_default();
    let usage = openai_usage(answer);
    if endpoint == Endpoint::Chat {
        json!({
            "id": format!("chatcmpl-fake{id}"), "object": "chat.completion", "created": now(), "model": model,
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": answer.text() },
                          "finish_reason": answer.finish }],
            "usage": usage
        })
    } else {
        json!({
            "id": format!("cmpl-fake{id}"), "object": "text_completion", "created": now(), "model": model,
            "choices": [{ "index": 0, "text": answer.text(), "logprobs": null, "finish_reason": answer.finish }],
            "usage": usage
        })
    }
}

fn openai_chunks(id: u64, endpoint: Endpoint, record: &RecordedRequest, json: &Value, answer: &Answer) -> Vec<Frame> {
    let model = record.model.clone().unwrap_or_default();
    let created = now();
    let chat = endpoint == Endpoint::Chat;
    let chunk = |choice: Value| {
        let (cid, object) = if chat {
            (format!("chatcmpl-fake{id}"), "chat.completion.chunk")
        } else {
            (format!("cmpl-fake{id}"), "text_completion")
        };
        json!({ "id": cid, "object": object, "created": created, "model": model, "choices": [choice] })
    };
    let data = |v: Value| format!("data: {v}\n\n");
    let mut frames = Vec::new();
    if chat {
        let first =
            chunk(json!({ "index": 0, "delta": { "role": "assistant", "content": "" }, "finish_reason": null }));
        frames.push(Frame { data: data(first), token: false });
    }
    for token in &answer.tokens {
        let choice = if chat {
            json!({ "index": 0, "delta": { "content": token }, "finish_reason": null })
        } else {
            json!({ "index": 0, "text": token, "logprobs": null, "finish_reason": null })
        };
        frames.push(Frame { data: data(chunk(choice)), token: true });
    }
    let last = if chat {
        json!({ "index": 0, "delta": {}, "finish_reason": answer.finish })
    } else {
        json!({ "index": 0, "text": "", "logprobs": null, "finish_reason": answer.finish })
    };
    frames.push(Frame { data: data(chunk(last)), token: false });
    if json["stream_options"]["include_usage"].as_bool() == Some(true) {
        let mut usage = chunk(Value::Null);
        usage["choices"] = json!([]);
        usage["usage"] = openai_usage(answer);
        frames.push(Frame { data: data(usage), token: false });
    }
    frames.push(Frame { data: "data: [DONE]\n\n".to_owned(), token: false });
    frames
}

fn anthropic_stop_reason(answer: &Answer) -> &'static str {
    if answer.finish == "length" { "max_tokens" } else { "end_turn" }
}

fn anthropic_message(id: u64, record: &RecordedRequest, answer: &Answer) -> Value {
    json!({
        "id": format!("msg_fake{id}"), "type": "message", "role": "assistant", "model": record.model,
        "content": [{ "type": "text", "text": answer.text() }],
        "stop_reason": anthropic_stop_reason(answer), "stop_sequence": null,
        "usage": { "input_tokens": answer.prompt_tokens, "output_tokens": answer.tokens.len() }
    })
}

fn anthropic_events(id: u64, record: &RecordedRequest, answer: &Answer) -> Vec<Frame> {
    let event = |name: &str, v: Value| Frame { data: format!("event: {name}\ndata: {v}\n\n"), token: false };
    let start = json!({ "type": "message_start", "message": {
        "id": format!("msg_fake{id}"), "type": "message", "role": "assistant", "model": record.model, "content": [],
        "stop_reason": null, "stop_sequence": null,
        "usage": { "input_tokens": answer.prompt_tokens, "output_tokens": 1 } } });
    let mut frames = vec![
        event("message_start", start),
        event(
            "content_block_start",
            json!({ "type": "content_block_start", "index": 0, "content_block": { "type": "text", "text": "" } }),
        ),
        event("ping", json!({ "type": "ping" })),
    ];
    for token in &answer.tokens {
        let delta =
            json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": token } });
        frames.push(Frame { token: true, ..event("content_block_delta", delta) });
    }
    frames.push(event("content_block_stop", json!({ "type": "content_block_stop", "index": 0 })));
    frames.push(event(
        "message_delta",
        json!({ "type": "message_delta", "delta": { "stop_reason": anthropic_stop_reason(answer), "stop_sequence": null },
                "usage": { "output_tokens": answer.tokens.len() } }),
    ));
    frames.push(event("message_stop", json!({ "type": "message_stop" })));
    frames
}

fn inputs(json: &Value) -> Vec<String> {
    match &json["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

fn embeddings(json: &Value, record: &RecordedRequest, dim: usize) -> HttpResponse {
    let texts = inputs(json);
    if texts.is_empty() {
        return openai_error(StatusCode::BAD_REQUEST, "'input' is a required property", None);
    }
    let base64 = match json.get("encoding_format").and_then(Value::as_str) {
        None | Some("float") => false,
        Some("base64") => true,
        Some(other) => {
            let message = format!("'{other}' is not one of ['float', 'base64'] - 'encoding_format'");
            return openai_error(StatusCode::BAD_REQUEST, &message, None);
        }
    };
    let tokens: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
    // Typed, not a `Value`: the vendor sends each value as its shortest f32 text, not the
    // 17 digits of the f64 a `Value` would widen it to.
    #[derive(serde::Serialize)]
    #[serde(untagged)]
    enum Vector {
        Floats(Vec<f32>),
        /// Little-endian f32 bytes, as OpenAI answers `"encoding_format": "base64"`.
        Base64(String),
    }
    #[derive(serde::Serialize)]
    struct Item {
        object: &'static str,
        index: usize,
        embedding: Vector,
    }
    let vector = |t: &str| {
        let v = embedding_for(t, dim);
        if !base64 {
            return Vector::Floats(v);
        }
        use base64::Engine;
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        Vector::Base64(base64::engine::general_purpose::STANDARD.encode(bytes))
    };
    let data: Vec<Item> =
        texts.iter().enumerate().map(|(i, t)| Item { object: "embedding", index: i, embedding: vector(t) }).collect();
    #[derive(serde::Serialize)]
    struct List<'a> {
        object: &'static str,
        data: Vec<Item>,
        model: &'a Option<String>,
        usage: Value,
    }
    HttpResponse::Ok().json(List {
        object: "list",
        data,
        model: &record.model,
        usage: json!({ "prompt_tokens": tokens, "total_tokens": tokens }),
    })
}

fn moderations(json: &Value, word: &str) -> HttpResponse {
    let word = word.to_lowercase();
    let results: Vec<Value> = inputs(json)
        .iter()
        .map(|t| {
            let flagged = !word.is_empty() && t.to_lowercase().contains(&word);
            json!({ "flagged": flagged, "categories": { "violence": flagged },
                    "category_scores": { "violence": if flagged { 0.98 } else { 0.001 } } })
        })
        .collect();
    HttpResponse::Ok().json(json!({ "id": "modr-fake", "model": "text-moderation-stable", "results": results }))
}

/// The name and size of the `file` part of a multipart body.
fn multipart_file(req: &HttpRequest, body: &[u8]) -> Option<(String, usize)> {
    let content_type = req.headers().get("content-type")?.to_str().ok()?;
    let boundary = content_type.split(';').find_map(|p| p.trim().strip_prefix("boundary="))?.trim_matches('"');
    let delimiter = format!("--{boundary}");
    let mut rest = body;
    while let Some(start) = find(rest, delimiter.as_bytes()) {
        rest = &rest[start + delimiter.len()..];
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&rest[..head_end]).into_owned();
        let content = &rest[head_end + 4..];
        let end = find(content, format!("\r\n{delimiter}").as_bytes())?;
        if head.contains("name=\"file\"") {
            let name = head.split("filename=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("file");
            return Some((name.to_owned(), end));
        }
        rest = &content[end..];
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_are_deterministic_unit_vectors() {
        let a = embedding_for("hello", 8);
        assert_eq!(a, embedding_for("hello", 8));
        assert_ne!(a, embedding_for("goodbye", 8));
        let norm: f32 = a.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        let cos = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>();
        let q = embedding_for("purple elephants dance", 256);
        let near = embedding_for("At dawn purple elephants dance by the river.", 256);
        let far = embedding_for("Quarterly revenue grew in the northern region.", 256);
        assert!(cos(&q, &near) > cos(&q, &far) + 0.2, "shared words score closer");
    }

    #[test]
    fn keys_are_obfuscated() {
        assert_eq!(obfuscate("sk-abcdefghijklmnop"), "sk-***mnop");
        assert_eq!(obfuscate("bad"), "***");
    }
}
