//! The load client: `concurrency` tasks, each sending its next request as soon as the last one
//! ends (closed loop), for a fixed time; every answer is checked, not only counted.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The whole answer arrived and passed every check.
    Complete,
    /// The stream closed cleanly before its end event.
    Incomplete,
    /// A transport error, a non-2xx status or an error event.
    Cut,
    /// An answer arrived but broke a check (shape, ids, text).
    Invalid,
}

/// One request's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ending: Ending,
    /// Until the first content (first `message` event, or the headers of a JSON answer).
    pub first: Option<Duration>,
    pub total: Duration,
    /// What went wrong, for the first few failures to be printed.
    pub why: Option<String>,
}

impl Outcome {
    pub fn cut(started: Instant, why: impl Into<String>) -> Self {
        Self { ending: Ending::Cut, first: None, total: started.elapsed(), why: Some(why.into()) }
    }
}

/// Percentiles in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    fn of(mut ms: Vec<f64>) -> Option<Self> {
        if ms.is_empty() {
            return None;
        }
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
        Some(Self { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: ms[ms.len() - 1] })
    }
}

/// One closed-loop run.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub concurrency: usize,
    pub seconds: f64,
    pub complete: u64,
    pub incomplete: u64,
    pub cut: u64,
    pub invalid: u64,
    /// Complete answers per second.
    pub per_second: f64,
    pub first_ms: Option<Percentiles>,
    pub total_ms: Option<Percentiles>,
    /// The first failures' reasons.
    pub failures: Vec<String>,
    /// Requests sent in all, warm-up included (what server-side counters saw).
    pub sent: u64,
}

/// Runs `request` from `concurrency` tasks for `duration` (after `warmup`, not counted).
pub async fn closed_loop<F, Fut>(concurrency: usize, warmup: Duration, duration: Duration, request: F) -> Run
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let begin = Instant::now();
    let counted_from = begin + warmup;
    let deadline = counted_from + duration;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                let (mut mine, mut sent) = (Vec::new(), 0u64);
                while Instant::now() < deadline {
                    let started = Instant::now();
                    let outcome = request().await;
                    sent += 1;
                    if started >= counted_from {
                        mine.push(outcome);
                    }
                }
                (mine, sent)
            })
        })
        .collect();
    let (mut outcomes, mut sent) = (Vec::new(), 0);
    for task in tasks {
        let (mine, n) = task.await.unwrap_or_default();
        outcomes.extend(mine);
        sent += n;
    }
    let seconds = (Instant::now() - counted_from).as_secs_f64();
    let count = |e: Ending| outcomes.iter().filter(|o| o.ending == e).count() as u64;
    let complete = count(Ending::Complete);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let done = outcomes.iter().filter(|o| o.ending == Ending::Complete);
    Run {
        concurrency,
        seconds,
        complete,
        incomplete: count(Ending::Incomplete),
        cut: count(Ending::Cut),
        invalid: count(Ending::Invalid),
        per_second: complete as f64 / seconds,
        first_ms: Percentiles::of(done.clone().filter_map(|o| o.first.map(ms)).collect()),
        total_ms: Percentiles::of(done.map(|o| ms(o.total)).collect()),
        failures: outcomes.iter().filter_map(|o| o.why.clone()).take(5).collect(),
        sent,
    }
}

/// One request to send again and again (its body is bytes, so it can be cloned).
#[derive(Clone)]
pub struct Template {
    client: reqwest::Client,
    request: std::sync::Arc<reqwest::Request>,
}

impl Template {
    pub fn new(builder: reqwest::RequestBuilder) -> Self {
        let (client, request) = builder.build_split();
        Self { client, request: std::sync::Arc::new(request.expect("a well-formed request")) }
    }

    async fn send(&self) -> reqwest::Result<reqwest::Response> {
        self.client.execute(self.request.try_clone().expect("a body of bytes")).await
    }
}

/// What a stream's events must show.
pub trait EventCheck: Send {
    /// One `data:` payload; `Ok(true)` when it was content (the first one times the answer).
    fn event(&mut self, data: &str) -> Result<bool, String>;
    /// Whether the end event came; `Err` when the whole answer breaks a check.
    fn finish(&self) -> Result<bool, String>;
}

/// Sends `req` and reads its SSE body event by event through `check`.
pub async fn stream(req: Template, mut check: impl EventCheck) -> Outcome {
    let started = Instant::now();
    let resp = match req.send().await {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => return Outcome::cut(started, format!("status {}", r.status())),
        Err(e) => return Outcome::cut(started, e.to_string()),
    };
    let mut body = resp.bytes_stream();
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut first = None;
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => return Outcome::cut(started, e.to_string()),
        };
        buf.extend_from_slice(&chunk);
        while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = buf.drain(..end + 2).collect();
            let Ok(block) = std::str::from_utf8(&block) else {
                return invalid(started, first, "an event that is not UTF-8".into());
            };
            for line in block.lines() {
                let Some(data) = line.strip_prefix("data:") else { continue };
                match check.event(data.trim_start()) {
                    Ok(true) if first.is_none() => first = Some(started.elapsed()),
                    Ok(_) => {}
                    Err(why) if why.starts_with("error event") => return Outcome::cut(started, why),
                    Err(why) => return invalid(started, first, why),
                }
            }
        }
    }
    let total = started.elapsed();
    match check.finish() {
        Ok(true) => Outcome { ending: Ending::Complete, first, total, why: None },
        Ok(false) => Outcome { ending: Ending::Incomplete, first, total, why: Some("no end event".into()) },
        Err(why) => invalid(started, first, why),
    }
}

fn invalid(started: Instant, first: Option<Duration>, why: String) -> Outcome {
    Outcome { ending: Ending::Invalid, first, total: started.elapsed(), why: Some(why) }
}

/// Sends `req` and checks its JSON answer with `check`.
pub async fn json(req: Template, check: impl FnOnce(&Value) -> Result<(), String>) -> Outcome {
    let started = Instant::now();
    let resp = match req.send().await {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => return Outcome::cut(started, format!("status {}", r.status())),
        Err(e) => return Outcome::cut(started, e.to_string()),
    };
    let first = Some(started.elapsed());
    let body = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => return Outcome::cut(started, e.to_string()),
    };
    let checked = serde_json::from_slice::<Value>(&body).map_err(|e| format!("not JSON: {e}")).and_then(|v| check(&v));
    match checked {
        Ok(()) => Outcome { ending: Ending::Complete, first, total: started.elapsed(), why: None },
        Err(why) => invalid(started, first, why),
    }
}

/// Dify's chat stream: `message` events with one conversation and message id, then
/// `message_end`; the answer put together must be `expected` when given.
pub struct DifyStream {
    pub expected: Option<std::sync::Arc<str>>,
    answer: String,
    ids: Option<(String, String)>,
    ended: bool,
}

impl DifyStream {
    pub fn new(expected: Option<std::sync::Arc<str>>) -> Self {
        Self { expected, answer: String::new(), ids: None, ended: false }
    }
}

impl EventCheck for DifyStream {
    fn event(&mut self, data: &str) -> Result<bool, String> {
        let v: Value = serde_json::from_str(data).map_err(|e| format!("event not JSON ({e}): {data}"))?;
        let event = v["event"].as_str().unwrap_or_default();
        if event == "error" {
            return Err(format!("error event: {data}"));
        }
        if event == "ping" {
            return Ok(false);
        }
        let ids = (
            v["conversation_id"].as_str().unwrap_or_default().to_owned(),
            v["id"].as_str().unwrap_or_default().to_owned(),
        );
        if ids.1.is_empty() {
            return Err(format!("event without id: {data}"));
        }
        match &self.ids {
            None => self.ids = Some(ids),
            Some(seen) if *seen != ids => return Err(format!("ids changed mid-stream: {data}")),
            Some(_) => {}
        }
        if self.ended {
            return Err(format!("event after message_end: {data}"));
        }
        match event {
            "message" => {
                self.answer.push_str(v["answer"].as_str().ok_or_else(|| format!("message without answer: {data}"))?);
                Ok(true)
            }
            "message_end" => {
                self.ended = true;
                Ok(false)
            }
            other => Err(format!("unknown event {other:?}")),
        }
    }

    fn finish(&self) -> Result<bool, String> {
        if let Some(expected) = &self.expected
            && self.ended
            && self.answer != **expected
        {
            return Err(format!("answer {:?}, expected {expected:?}", self.answer));
        }
        Ok(self.ended && !self.answer.is_empty())
    }
}

/// OpenAI's chat stream, as the model server sends it: content deltas, then `[DONE]`.
#[derive(Default)]
pub struct OpenAiStream {
    answer: String,
    done: bool,
}

impl EventCheck for OpenAiStream {
    fn event(&mut self, data: &str) -> Result<bool, String> {
        if data == "[DONE]" {
            self.done = true;
            return Ok(false);
        }
        let v: Value = serde_json::from_str(data).map_err(|e| format!("chunk not JSON ({e}): {data}"))?;
        match v["choices"][0]["delta"]["content"].as_str() {
            Some(t) if !t.is_empty() => {
                self.answer.push_str(t);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn finish(&self) -> Result<bool, String> {
        Ok(self.done && !self.answer.is_empty())
    }
}
