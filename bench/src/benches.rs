//! The benchmarks. Each measures the server through its HTTP API and, where there is one, the
//! fake model directly with the same client, so a table shows what the server costs on top of
//! the model and whether the client could keep up.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use test_support::fake_openai::FAKE_API_KEY;

use crate::load::{self, DifyStream, OpenAiStream, Run, Template};
use crate::report::{Section, ms, num};
use crate::setup::ChatApp;
use crate::stack::{Fake, Memory, Stack};

/// What every load benchmark shares.
pub struct Ctx {
    pub http: reqwest::Client,
    pub stack: Stack,
    pub fake: Fake,
    pub app: ChatApp,
    pub warmup: Duration,
    pub duration: Duration,
    /// The question every chat asks.
    pub query: Arc<str>,
    /// The app's pre-prompt; the fake's answer is `Echo:` and these words, one token each.
    pub pre_prompt: String,
    /// The answer the fake gives to `query` through the server.
    pub answer: Arc<str>,
}

/// An HTTP client for many concurrent connections to loopback servers.
pub fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(4096)
        .timeout(Duration::from_secs(120))
        .http1_only()
        .build()?)
}

/// `words` words.
pub fn words(words: usize) -> String {
    (0..words).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ")
}

impl Ctx {
    pub async fn new(
        stack: Stack,
        fake: Fake,
        words: usize,
        warmup: Duration,
        duration: Duration,
    ) -> anyhow::Result<Self> {
        let http = client()?;
        let pre_prompt = self::words(words);
        let app = crate::setup::chat_app(&http, &stack.base, &fake.base, &pre_prompt).await?;
        let query: Arc<str> = "What grows in the tea garden?".into();
        let first = http
            .post(format!("{}/v1/chat-messages", stack.base))
            .header("authorization", &app.key)
            .json(&json!({"inputs": {}, "query": &*query, "user": "bench", "response_mode": "blocking"}))
            .send()
            .await?;
        let status = first.status();
        let first: Value = first.json().await?;
        let answer: Arc<str> =
            first["answer"].as_str().with_context(|| format!("first chat: {status} {first}"))?.into();
        Ok(Self { http, stack, fake, app, warmup, duration, query, pre_prompt, answer })
    }

    fn chat(&self, mode: &str, conversation: Option<&str>) -> reqwest::RequestBuilder {
        let mut body = json!({"inputs": {}, "query": &*self.query, "user": "bench", "response_mode": mode});
        if let Some(id) = conversation {
            body["conversation_id"] = json!(id);
        }
        self.http
            .post(format!("{}/v1/chat-messages", self.stack.base))
            .header("authorization", &self.app.key)
            .json(&body)
    }

    /// The request the server makes of the model for a chat, sent to the fake directly.
    fn direct(&self, stream: bool) -> reqwest::RequestBuilder {
        let prompt = format!("{}\n\nHuman: {}\n\nAssistant: ", self.pre_prompt, self.query);
        let body = json!({
            "model": "gpt-3.5-turbo",
            "stream": stream,
            "max_tokens": 512,
            "stop": ["\nHuman:"],
            "messages": [{"role": "user", "content": prompt}],
        });
        self.http
            .post(format!("{}/v1/chat/completions", self.fake.base))
            .header("authorization", format!("Bearer {FAKE_API_KEY}"))
            .json(&body)
    }

    async fn run<F, Fut>(&self, concurrency: usize, request: F) -> Run
    where
        F: Fn() -> Fut + Clone + Send + Sync + 'static,
        Fut: std::future::Future<Output = load::Outcome> + Send + 'static,
    {
        let run = load::closed_loop(concurrency, self.warmup, self.duration, request).await;
        for why in &run.failures {
            eprintln!("  failure at {concurrency}: {why}");
        }
        run
    }

    pub fn memory(&self) -> Memory {
        self.stack.memory()
    }
}

/// Runs `request` against the server, with what each answer cost it: CPU milliseconds, and
/// PostgreSQL transactions and rows written (services mode).
async fn on_server<F, Fut>(ctx: &Ctx, concurrency: usize, request: F) -> (Run, Option<f64>, Option<(f64, f64)>)
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = load::Outcome> + Send + 'static,
{
    let db_before = ctx.stack.db_counters().await;
    let cpu_before = ctx.stack.cpu();
    let run = ctx.run(concurrency, request).await;
    let cpu = per_answer(ctx.stack.cpu() - cpu_before, &run);
    let db = db_per(ctx, db_before, &run).await;
    (run, cpu, db)
}

/// Server CPU milliseconds per complete answer (warm-up included in the CPU, so slightly high).
fn per_answer(cpu_seconds: f64, run: &Run) -> Option<f64> {
    (run.complete > 0).then(|| cpu_seconds * 1000.0 / run.complete as f64)
}

/// PostgreSQL transactions and rows written per request of `run` (services mode only).
async fn db_per(ctx: &Ctx, before: Option<crate::stack::DbCounters>, run: &Run) -> Option<(f64, f64)> {
    let after = ctx.stack.db_counters().await?;
    after.per(before?, run.sent)
}

fn db_cell(db: Option<(f64, f64)>) -> String {
    db.map_or_else(|| "—".into(), |(x, w)| format!("{x:.1} / {w:.1}"))
}

fn counts(run: &Run) -> String {
    format!("{} / {} / {} / {}", run.complete, run.incomplete, run.cut, run.invalid)
}

fn ratio(server: &Run, direct: &Run) -> String {
    if direct.per_second > 0.0 { format!("{:.2}", server.per_second / direct.per_second) } else { "—".into() }
}

/// Streamed chats (`response_mode: streaming`) at each concurrency, and the fake's own
/// stream rate with the same client.
pub async fn stream(ctx: &Ctx, levels: &[usize]) -> Section {
    let mut s = Section::new(
        format!("Streamed chats ({} tokens per answer)", ctx.answer.split_whitespace().count()),
        &[
            "concurrent",
            "streams/s",
            "fake direct/s",
            "ratio",
            "first event p50",
            "first event p99",
            "added first-event p50",
            "complete / incomplete / cut / invalid",
            "server CPU per stream",
            "PG transactions / rows written per stream",
            "server RSS",
        ],
    );
    for &c in levels {
        let (http, expected) = (Template::new(ctx.chat("streaming", None)), ctx.answer.clone());
        let (server, cpu, db) = on_server(ctx, c, move || {
            let (req, expected) = (http.clone(), expected.clone());
            async move { load::stream(req, DifyStream::new(Some(expected))).await }
        })
        .await;
        let direct_req = Template::new(ctx.direct(true));
        let direct = ctx
            .run(c, move || {
                let req = direct_req.clone();
                async move { load::stream(req, OpenAiStream::default()).await }
            })
            .await;
        let p50 = |r: &Run| r.first_ms.as_ref().map(|p| p.p50);
        let added = p50(&server).zip(p50(&direct)).map(|(a, b)| a - b);
        let mem = ctx.memory();
        s.row(
            vec![
                c.to_string(),
                num(server.per_second),
                num(direct.per_second),
                ratio(&server, &direct),
                ms(p50(&server)),
                ms(server.first_ms.as_ref().map(|p| p.p99)),
                ms(added),
                counts(&server),
                ms(cpu),
                db_cell(db),
                format!("{:.0} MB", mem.server_rss),
            ],
            json!({"concurrency": c, "server": server, "direct": direct, "memory": mem, "server_cpu_ms_per_answer": cpu, "db_per_answer": db}),
        );
    }
    s
}

/// Blocking chats at each concurrency, and the fake's own blocking rate.
pub async fn blocking(ctx: &Ctx, levels: &[usize]) -> Section {
    let mut s = Section::new(
        "Blocking chats",
        &[
            "concurrent",
            "req/s",
            "fake direct/s",
            "ratio",
            "p50",
            "p99",
            "complete / incomplete / cut / invalid",
            "server CPU per answer",
            "PG transactions / rows written per answer",
        ],
    );
    for &c in levels {
        let (http, expected) = (Template::new(ctx.chat("blocking", None)), ctx.answer.clone());
        let (server, cpu, db) = on_server(ctx, c, move || {
            let (req, expected) = (http.clone(), expected.clone());
            async move { load::json(req, move |v| answer_is(v, &expected)).await }
        })
        .await;
        let direct_req = Template::new(ctx.direct(false));
        let direct = ctx
            .run(c, move || {
                let req = direct_req.clone();
                async move {
                    load::json(req, |v| match v["choices"][0]["message"]["content"].as_str() {
                        Some(t) if !t.is_empty() => Ok(()),
                        _ => Err(format!("no content: {v}")),
                    })
                    .await
                }
            })
            .await;
        s.row(
            vec![
                c.to_string(),
                num(server.per_second),
                num(direct.per_second),
                ratio(&server, &direct),
                ms(server.total_ms.as_ref().map(|p| p.p50)),
                ms(server.total_ms.as_ref().map(|p| p.p99)),
                counts(&server),
                ms(cpu),
                db_cell(db),
            ],
            json!({"concurrency": c, "server": server, "direct": direct, "server_cpu_ms_per_answer": cpu, "db_per_answer": db}),
        );
    }
    s
}

fn answer_is(v: &Value, expected: &str) -> Result<(), String> {
    match v["answer"].as_str() {
        Some(a) if a == expected => Ok(()),
        _ => Err(format!("answer is not {expected:?}: {v}")),
    }
}

/// `GET /v1/parameters`: the app key's lookup and the app's model config, nothing else.
pub async fn read(ctx: &Ctx, levels: &[usize]) -> Section {
    let mut s = Section::new("GET /v1/parameters", &["concurrent", "req/s", "p50", "p99", "complete / cut / invalid"]);
    for &c in levels {
        let req = Template::new(
            ctx.http.get(format!("{}/v1/parameters?user=bench", ctx.stack.base)).header("authorization", &ctx.app.key),
        );
        let run = ctx
            .run(c, move || {
                let req = req.clone();
                async move {
                    load::json(req, |v| {
                        if v.get("user_input_form").is_some() {
                            Ok(())
                        } else {
                            Err(format!("no user_input_form: {v}"))
                        }
                    })
                    .await
                }
            })
            .await;
        s.row(
            vec![
                c.to_string(),
                num(run.per_second),
                ms(run.total_ms.as_ref().map(|p| p.p50)),
                ms(run.total_ms.as_ref().map(|p| p.p99)),
                format!("{} / {} / {}", run.complete, run.cut, run.invalid),
            ],
            json!({"concurrency": c, "run": run}),
        );
    }
    s
}

/// One long conversation: its messages listed a page at a time, and chats continuing it (each
/// builds its prompt from the history).
pub async fn history(ctx: &Ctx, turns: usize, concurrency: usize) -> anyhow::Result<Section> {
    let first: Value = ctx.chat("blocking", None).send().await?.json().await?;
    let conversation = first["conversation_id"].as_str().context("conversation id")?.to_owned();
    for _ in 1..turns {
        let r = ctx.chat("blocking", Some(&conversation)).send().await?;
        if !r.status().is_success() {
            bail!("seeding the conversation: {}", r.status());
        }
    }
    let mut s = Section::new(
        format!("A conversation of {turns}+ messages"),
        &["request", "concurrent", "req/s", "p50", "p99", "complete / cut / invalid"],
    );
    let list = Template::new(
        ctx.http
            .get(format!("{}/v1/messages?user=bench&conversation_id={conversation}&limit=20", ctx.stack.base))
            .header("authorization", &ctx.app.key),
    );
    let listed = ctx
        .run(concurrency, move || {
            let req = list.clone();
            async move {
                load::json(req, |v| match v["data"].as_array() {
                    Some(page) if page.len() == 20 => Ok(()),
                    _ => Err(format!("not a page of 20: {v}")),
                })
                .await
            }
        })
        .await;
    let (chat, expected) = (Template::new(ctx.chat("blocking", Some(&conversation))), ctx.answer.clone());
    let continued = ctx
        .run(concurrency, move || {
            let (req, expected) = (chat.clone(), expected.clone());
            // The echo now runs on into the history the prompt carries.
            async move {
                load::json(req, move |v| match v["answer"].as_str() {
                    Some(a) if a.starts_with(&*expected) => Ok(()),
                    _ => Err(format!("answer does not start with {expected:?}: {v}")),
                })
                .await
            }
        })
        .await;
    for (name, run) in [("GET /v1/messages (limit 20)", &listed), ("blocking chat in it", &continued)] {
        s.row(
            vec![
                name.into(),
                concurrency.to_string(),
                num(run.per_second),
                ms(run.total_ms.as_ref().map(|p| p.p50)),
                ms(run.total_ms.as_ref().map(|p| p.p99)),
                format!("{} / {} / {}", run.complete, run.cut, run.invalid),
            ],
            json!({"request": name, "run": run}),
        );
    }
    Ok(s)
}

/// Memory at the points a run passed.
pub fn memory(points: &[(String, Memory)]) -> Section {
    let mut s = Section::new("Memory", &["after", "api-server RSS", "api-server peak", "worker RSS", "worker peak"]);
    for (at, m) in points {
        let mb = |v: f64| if v > 0.0 { format!("{v:.1} MB") } else { "—".into() };
        s.row(
            vec![at.clone(), mb(m.server_rss), mb(m.server_peak), mb(m.worker_rss), mb(m.worker_peak)],
            json!({"after": at, "memory": m}),
        );
    }
    s
}
