//! The generation engine through HTTP against the fake model vendor, in both run modes:
//! console debugging, installed apps and the service API, blocking and streamed; history,
//! stop, client disconnect, vendor failures, input validation, isolation and naming.

mod common;

use std::pin::Pin;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::test::{self, TestRequest};
use api_server::app;
use common::*;
use entities::{conversations, messages};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use test_support::TestEnv;
use test_support::fake_openai::{FAKE_API_KEY, FakeOpenAi};
use uuid::Uuid;

const ANSWER: &str = "Tea is a drink made from leaves, and it is lovely.";

fn chat_config() -> Value {
    json!({
        "pre_prompt": "You help with {{topic}}.",
        "user_input_form": [{"text-input": {"label": "Topic", "variable": "topic", "required": true, "max_length": 20}}],
        "opening_statement": "Hi, let us talk about {{topic}}.",
        "model": {"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": {"max_tokens": 256, "temperature": 0.2}}
    })
}

fn completion_config() -> Value {
    json!({
        "pre_prompt": "Translate to {{lang}}: ",
        "user_input_form": [
            {"select": {"label": "Language", "variable": "lang", "options": ["French", "German"], "required": true}},
        ],
        "model": {"provider": "openai", "name": "gpt-3.5-turbo-instruct", "completion_params": {"max_tokens": 128}}
    })
}

/// Raw request: returns the response for streaming reads.
async fn call<S, B>(app: &S, client: &Client, method: Method, uri: &str, body: Value) -> ServiceResponse<B>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut req = TestRequest::default().method(method).uri(uri).set_json(body);
    if let Some(c) = &client.cookie {
        req = req.insert_header((header::COOKIE, format!("session={c}")));
    }
    if let Some(t) = &client.bearer {
        req = req.insert_header((header::AUTHORIZATION, format!("Bearer {t}")));
    }
    test::call_service(app, req.to_request()).await
}

/// Reads the next chunk of a streamed body (None at its end).
async fn next_chunk<B: MessageBody>(body: &mut Pin<Box<B>>) -> Option<String> {
    let chunk = std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await?;
    Some(String::from_utf8_lossy(&chunk.ok()?).into_owned())
}

/// The JSON of each `data:` event of an SSE text, in order (pings dropped).
fn events(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).expect("event JSON"))
        .collect()
}

fn answer_of(events: &[Value]) -> String {
    events.iter().filter(|e| e["event"] == "message").filter_map(|e| e["answer"].as_str()).collect()
}

async fn stream_all<S, B>(app: &S, client: &Client, uri: &str, body: Value) -> (String, Vec<Value>)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let resp = call(app, client, Method::POST, uri, body).await;
    assert_eq!(resp.status().as_u16(), 200);
    let ct = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert_eq!(ct, "text/event-stream; charset=utf-8");
    let text = String::from_utf8_lossy(&test::read_body(resp).await).into_owned();
    let ev = events(&text);
    (text, ev)
}

/// A workspace owner with OpenAI pointed at `fake`, signed in, and an app made from `config`.
async fn world<S, B>(
    env: &TestEnv,
    app: &S,
    fake: &FakeOpenAi,
    email: &str,
    mode: &str,
    config: Value,
) -> (Client, Uuid, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut c = Client::default();
    let r = send(
        app,
        &mut c,
        Method::POST,
        "/console/api/setup",
        Some(json!({"email": email, "name": "owner", "password": ADMIN_PASSWORD})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let mut c = login(app, email, ADMIN_PASSWORD).await;
    let r = send(app, &mut c, Method::GET, "/console/api/workspaces/current", None).await;
    let tenant: Uuid = r.body["id"].as_str().expect("id").parse().expect("uuid");
    configure_openai_at(env, tenant, FAKE_API_KEY, Some(&fake.base_url())).await;
    let r = send(
        app,
        &mut c,
        Method::POST,
        "/console/api/apps",
        Some(json!({"name": "Bot", "mode": mode, "icon": "🤖", "icon_background": "#FFEAD5", "model_config": config})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    (c, tenant, r.body["id"].as_str().expect("id").to_string())
}

async fn message_row(env: &TestEnv, id: &str) -> messages::Model {
    messages::Entity::find_by_id(id.parse::<Uuid>().expect("uuid")).one(&env.infra.db).await.expect("q").expect("row")
}

#[actix_web::test]
async fn console_debug_streams_what_blocking_answers_and_carries_history() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    fake.set_answer(Some(ANSWER));
    let app = test::init_service(app(state)).await;
    let (mut c, _, app_id) = world(&env, &app, &fake, "debug@example.com", "chat", chat_config()).await;
    let uri = format!("/console/api/apps/{app_id}/chat-messages");
    let body = json!({"inputs": {"topic": "tea"}, "query": "What is tea?", "model_config": chat_config(), "response_mode": "blocking"});

    let r = send(&app, &mut c, Method::POST, &uri, Some(body.clone())).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!((r.body["event"].as_str(), r.body["answer"].as_str()), (Some("message"), Some(ANSWER)));
    assert_eq!(r.body["metadata"], json!({}));
    let conversation_id = r.body["conversation_id"].as_str().expect("conversation").to_string();
    let prompt = fake.last_request().expect("request").messages;
    assert_eq!(prompt.len(), 1, "Dify sends one user message");
    assert_eq!(prompt[0].1, "You help with tea.\n\nHuman: What is tea?\n\nAssistant: ");

    let row = message_row(&env, r.body["id"].as_str().expect("id")).await;
    assert_eq!(row.answer, ANSWER);
    assert!(row.message_tokens > 0 && row.answer_tokens > 0, "{row:?}");
    assert!(row.total_price.is_some_and(|p| p > rust_decimal::Decimal::ZERO), "{row:?}");
    assert_eq!((row.from_source, row.from_end_user_id), (entities::kinds::FromSource::Console, None));
    assert_eq!(
        row.message,
        json!([{"role": "user", "text": "You help with tea.\n\nHuman: What is tea?\n\nAssistant: "}])
    );
    let conv = conversations::Entity::find_by_id(row.conversation_id).one(&env.infra.db).await.expect("q").expect("c");
    assert!(conv.override_model_configs.is_some(), "debug conversations keep their config");
    assert_eq!(conv.introduction.as_deref(), Some("Hi, let us talk about tea."));

    // Streaming (the default on the console) gives the same answer, token by token.
    let mut streamed = body.clone();
    streamed["response_mode"] = json!("streaming");
    let (text, ev) = stream_all(&app, &c, &uri, streamed).await;
    assert!(ev.len() > 3, "{text}");
    assert_eq!(answer_of(&ev), ANSWER);
    let end = ev.last().expect("end");
    assert_eq!(end["event"], "message_end", "{text}");
    assert!(end["conversation_id"].is_string() && end["task_id"] == ev[0]["task_id"]);
    assert!(text.starts_with("data: {\"event\": \"message\", \"task_id\": "), "Python's json.dumps spacing: {text}");

    // The next turn carries the first one as history.
    let mut next = body.clone();
    next["query"] = json!("And green tea?");
    next["conversation_id"] = json!(conversation_id);
    next["inputs"] = json!({"topic": "coffee"});
    let r = send(&app, &mut c, Method::POST, &uri, Some(next.clone())).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["conversation_id"].as_str(), Some(conversation_id.as_str()));
    let prompt = &fake.last_request().expect("request").messages[0].1;
    // The conversation keeps the inputs it started with.
    assert!(prompt.starts_with("You help with tea.\nHere is the chat histories"), "{prompt}");
    assert!(
        prompt.contains(&format!("<histories>\nHuman: What is tea?\nAssistant: {ANSWER}\n</histories>")),
        "{prompt}"
    );
    assert!(prompt.ends_with("Human: And green tea?\n\nAssistant: "), "{prompt}");

    // Errors before the stream are plain JSON errors.
    let mut bad = body.clone();
    bad["inputs"] = json!({});
    let r = send(&app, &mut c, Method::POST, &uri, Some(bad)).await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["message"], "topic is required in input form");
    let mut bad = body.clone();
    bad["inputs"] = json!({"topic": "x".repeat(21)});
    let r = send(&app, &mut c, Method::POST, &uri, Some(bad)).await;
    assert_eq!(r.body["message"], "topic in input form must be less than 20 characters");
    let mut unknown = body.clone();
    unknown["conversation_id"] = json!(Uuid::new_v4().to_string());
    let r = send(&app, &mut c, Method::POST, &uri, Some(unknown)).await;
    assert_error(&r, 404, "not_found");
    assert_eq!(r.body["message"], "Conversation Not Exists.");
    let mut no_query = body.clone();
    no_query["query"] = json!("");
    let r = send(&app, &mut c, Method::POST, &uri, Some(no_query)).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (400, Some("query is required")));
    let r = send(&app, &mut c, Method::POST, &uri, Some(json!({"query": "x", "model_config": chat_config()}))).await;
    assert_eq!((r.status.as_u16(), r.body["params"].as_str()), (400, Some("inputs")));
    let r =
        send(&app, &mut c, Method::POST, &format!("/console/api/apps/{app_id}/completion-messages"), Some(body)).await;
    assert_eq!(r.status.as_u16(), 404, "a chat app has no completion route: {r:?}");
}

#[actix_web::test]
async fn service_api_and_installed_apps_generate_for_their_own_users() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut owner, _, writer_id) =
        world(&env, &app, &fake, "owner@example.com", "completion", completion_config()).await;
    let r = send(&app, &mut owner, Method::POST, &format!("/console/api/apps/{writer_id}/api-keys"), None).await;
    let mut writer_key =
        Client { bearer: Some(r.body["token"].as_str().expect("token").to_string()), ..Client::default() };

    // Completion, blocking by default: the fake echoes the prompt it was given.
    let body = json!({"inputs": {"lang": "French"}, "query": "good morning", "user": "alice"});
    let r = send(&app, &mut writer_key, Method::POST, "/v1/completion-messages", Some(body.clone())).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["answer"], "Echo: Translate to French: good morning");
    assert!(r.body.get("conversation_id").is_none(), "completion answers name no conversation");
    let row = message_row(&env, r.body["id"].as_str().expect("id")).await;
    assert_eq!(row.from_source, entities::kinds::FromSource::Api);
    let alice = row.from_end_user_id.expect("end user");
    let mut streamed = body.clone();
    streamed["response_mode"] = json!("streaming");
    let (_, ev) = stream_all(&app, &writer_key, "/v1/completion-messages", streamed).await;
    assert_eq!(answer_of(&ev), "Echo: Translate to French: good morning");
    let row = message_row(&env, ev[0]["id"].as_str().expect("id")).await;
    assert_eq!(row.from_end_user_id, Some(alice), "the same `user` is the same end user");

    for (inputs, message) in [
        (json!({"lang": "Klingon"}), "lang in input form must be one of the following: ['French', 'German']"),
        (json!({}), "lang is required in input form"),
    ] {
        let r = send(
            &app,
            &mut writer_key,
            Method::POST,
            "/v1/completion-messages",
            Some(json!({"inputs": inputs, "user": "alice"})),
        )
        .await;
        assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (400, Some(message)), "{r:?}");
    }
    let r =
        send(&app, &mut writer_key, Method::POST, "/v1/chat-messages", Some(json!({"inputs": {}, "query": "q"}))).await;
    assert_error(&r, 400, "not_chat_app");
    let r = send(
        &app,
        &mut writer_key,
        Method::POST,
        "/v1/completion-messages",
        Some(json!({"inputs": {"lang": "French"}, "response_mode": "fast"})),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.body["params"].as_str()), (400, Some("response_mode")));

    // A chat app, through the service API and from the console's Explore page.
    let r = send(
        &app,
        &mut owner,
        Method::POST,
        "/console/api/apps",
        Some(json!({"name": "Chat", "mode": "chat", "icon": "🤖", "icon_background": "#FFEAD5", "model_config": chat_config()})),
    )
    .await;
    let chat_id = r.body["id"].as_str().expect("id").to_string();
    let r = send(&app, &mut owner, Method::POST, &format!("/console/api/apps/{chat_id}/api-keys"), None).await;
    let mut chat_key =
        Client { bearer: Some(r.body["token"].as_str().expect("token").to_string()), ..Client::default() };
    let ask = json!({"inputs": {"topic": "tea"}, "query": "hello", "user": "alice"});
    let r = send(&app, &mut chat_key, Method::POST, "/v1/chat-messages", Some(ask.clone())).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let alice_conversation = r.body["conversation_id"].as_str().expect("cid").to_string();
    let mut bob = ask.clone();
    bob["user"] = json!("bob");
    bob["conversation_id"] = json!(alice_conversation);
    let r = send(&app, &mut chat_key, Method::POST, "/v1/chat-messages", Some(bob)).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (404, Some("Conversation Not Exists.")));
    let mut other_app = ask.clone();
    other_app["conversation_id"] = json!(alice_conversation);
    other_app["inputs"] = json!({"lang": "French"});
    let r = send(&app, &mut writer_key, Method::POST, "/v1/completion-messages", Some(other_app)).await;
    assert_eq!(r.status.as_u16(), 200, "a completion route ignores conversation_id: {r:?}");
    let mut continued = ask.clone();
    continued["conversation_id"] = json!(alice_conversation);
    continued["query"] = json!("again");
    let r = send(&app, &mut chat_key, Method::POST, "/v1/chat-messages", Some(continued)).await;
    assert_eq!(r.body["conversation_id"].as_str(), Some(alice_conversation.as_str()), "{r:?}");

    let installed = installed_app_id(&app, &mut owner, &chat_id).await;
    let uri = format!("/console/api/installed-apps/{installed}/chat-messages");
    let r = send(&app, &mut owner, Method::POST, &uri, Some(json!({"inputs": {"topic": "tea"}, "query": "hi there"})))
        .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    // The echo stops at the chat stop word "\nHuman:".
    assert_eq!(r.body["answer"], "Echo: You help with tea.", "{r:?}");
    let prompt = &fake.last_request().expect("request").messages[0].1;
    assert_eq!(prompt, "You help with tea.\n\nHuman: hi there\n\nAssistant: ");
    let streamed = json!({"inputs": {"topic": "tea"}, "query": "hi there", "response_mode": "streaming"});
    let (_, ev) = stream_all(&app, &owner, &uri, streamed).await;
    assert_eq!(answer_of(&ev), "Echo: You help with tea.", "streamed as it blocked: {ev:?}");
    assert_eq!(ev.last().map(|e| e["event"].clone()), Some(json!("message_end")));
    let row = message_row(&env, ev[0]["id"].as_str().expect("id")).await;
    assert_eq!((row.from_source, row.from_end_user_id), (entities::kinds::FromSource::Console, None), "{row:?}");
    assert!(row.from_account_id.is_some());
    let r = send(
        &app,
        &mut owner,
        Method::POST,
        &format!("/console/api/installed-apps/{installed}/completion-messages"),
        Some(json!({"inputs": {}})),
    )
    .await;
    assert_error(&r, 400, "not_completion_app");
    let mut steal = json!({"inputs": {"topic": "tea"}, "query": "hi", "conversation_id": alice_conversation});
    let r = send(&app, &mut owner, Method::POST, &uri, Some(steal.take())).await;
    assert_eq!(r.status.as_u16(), 404, "an account cannot continue an end user's conversation");

    // Another workspace reaches none of it.
    let (_, _) = seed_account(&env, "other@example.com", ADMIN_PASSWORD, None).await;
    let mut other = login(&app, "other@example.com", ADMIN_PASSWORD).await;
    let r = send(&app, &mut other, Method::POST, &uri, Some(json!({"inputs": {"topic": "tea"}, "query": "hi"}))).await;
    assert_eq!(r.status.as_u16(), 404, "{r:?}");
    let r = send(
        &app,
        &mut other,
        Method::POST,
        &format!("/console/api/apps/{chat_id}/chat-messages"),
        Some(json!({"inputs": {"topic": "tea"}, "query": "hi", "model_config": chat_config()})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 404, "{r:?}");
}

#[actix_web::test]
async fn a_stop_from_another_request_ends_a_slow_stream_with_the_partial_answer() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let long: String = (0..80).map(|i| format!("word{i} ")).collect();
    fake.set_answer(Some(long.trim()));
    fake.set_tokens_per_second(Some(40.0));
    let app = test::init_service(app(state)).await;
    let (c, _, app_id) = world(&env, &app, &fake, "stop@example.com", "chat", chat_config()).await;
    let body = json!({"inputs": {"topic": "tea"}, "query": "talk", "model_config": chat_config()});
    let resp = call(&app, &c, Method::POST, &format!("/console/api/apps/{app_id}/chat-messages"), body).await;
    let mut stream = Box::pin(resp.into_body());
    let first = next_chunk(&mut stream).await.expect("first event");
    let first = &events(&first)[0];
    let task_id = first["task_id"].as_str().expect("task").to_string();
    let message_id = first["id"].as_str().expect("id").to_string();

    // Someone else cannot stop it; its owner can.
    let (_, _) = seed_account(&env, "intruder@example.com", ADMIN_PASSWORD, None).await;
    let mut intruder = login(&app, "intruder@example.com", ADMIN_PASSWORD).await;
    let stop_uri = format!("/console/api/apps/{app_id}/chat-messages/{task_id}/stop");
    let r = send(&app, &mut intruder, Method::POST, &stop_uri, None).await;
    assert_eq!(r.status.as_u16(), 404, "another workspace's app: {r:?}");
    let mut owner = c.clone();
    let r = send(&app, &mut owner, Method::POST, &stop_uri, None).await;
    assert_eq!(r.body, json!({"result": "success"}));

    let mut rest = String::new();
    let started = std::time::Instant::now();
    while let Some(chunk) = next_chunk(&mut stream).await {
        rest.push_str(&chunk);
    }
    assert!(started.elapsed() < Duration::from_secs(1), "the stream ends within a moment of the stop");
    let ev = events(&rest);
    assert!(ev.iter().all(|e| e["event"] == "message"), "no message_end after a stop: {rest}");
    let row = message_row(&env, &message_id).await;
    assert!(!row.answer.is_empty() && row.answer.len() < long.trim().len(), "partial answer saved: {row:?}");
    assert!(row.answer_tokens > 0);
}

#[actix_web::test]
async fn a_client_that_goes_away_still_gets_its_message_written() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    fake.set_answer(Some(ANSWER));
    fake.set_tokens_per_second(Some(50.0));
    let app = test::init_service(app(state)).await;
    let (c, _, app_id) = world(&env, &app, &fake, "gone@example.com", "chat", chat_config()).await;
    let body = json!({"inputs": {"topic": "tea"}, "query": "talk", "model_config": chat_config()});
    let resp = call(&app, &c, Method::POST, &format!("/console/api/apps/{app_id}/chat-messages"), body).await;
    let mut stream = Box::pin(resp.into_body());
    let first = next_chunk(&mut stream).await.expect("first event");
    let message_id = events(&first)[0]["id"].as_str().expect("id").to_string();
    drop(stream);
    let mut row = message_row(&env, &message_id).await;
    for _ in 0..100 {
        if row.answer_tokens > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        row = message_row(&env, &message_id).await;
    }
    assert_eq!(row.answer, ANSWER, "the generation finished and was saved");
}

#[actix_web::test]
async fn vendor_failures_end_the_stream_with_an_error_event_and_keep_the_row() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    fake.set_answer(Some(ANSWER));
    let credentials = state.provider_credentials.clone();
    let app = test::init_service(app(state)).await;
    let (mut c, _, app_id) = world(&env, &app, &fake, "fail@example.com", "chat", chat_config()).await;
    let uri = format!("/console/api/apps/{app_id}/chat-messages");
    let body = json!({"inputs": {"topic": "tea"}, "query": "talk", "model_config": chat_config()});

    fake.break_next_stream_after(3);
    let (text, ev) = stream_all(&app, &c, &uri, body.clone()).await;
    let last = ev.last().expect("events");
    assert_eq!(last["code"], "completion_request_error", "{text}");
    assert_eq!(last["status"], 400);
    assert!(last.get("event").is_none(), "Dify's error line has no event key");
    let row = message_row(&env, ev[0]["id"].as_str().expect("id")).await;
    assert_eq!(row.answer, answer_of(&ev).trim(), "the partial answer is saved");

    fake.fail_next(401, "Incorrect API key provided: sk-***");
    let mut blocking = body.clone();
    blocking["response_mode"] = json!("blocking");
    let r = send(&app, &mut c, Method::POST, &uri, Some(blocking.clone())).await;
    assert_error(&r, 400, "completion_request_error");
    assert_eq!(r.body["message"], "Incorrect API key provided");

    fake.fail_next(400, "This model's maximum context length is 4097 tokens.");
    let (text, ev) = stream_all(&app, &c, &uri, body.clone()).await;
    assert_eq!(ev.len(), 1, "{text}");
    assert_eq!(ev[0]["message"], "This model's maximum context length is 4097 tokens.");

    // Without usable credentials nothing is written and the answer says why.
    let before = messages::Entity::find()
        .filter(messages::Column::AppId.eq(app_id.parse::<Uuid>().expect("uuid")))
        .all(&env.infra.db)
        .await
        .expect("q")
        .len();
    let r = send(&app, &mut c, Method::POST, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    let mut key = Client { bearer: Some(r.body["token"].as_str().expect("token").to_string()), ..Client::default() };
    entities::providers::Entity::delete_many().exec(&env.infra.db).await.expect("delete providers");
    // Behind the server's back: drop what it kept, as a change through the API does.
    credentials.kept().changed().await;
    let r = send(
        &app,
        &mut key,
        Method::POST,
        "/v1/chat-messages",
        Some(json!({"inputs": {"topic": "tea"}, "query": "hi"})),
    )
    .await;
    assert_error(&r, 400, "provider_not_initialize");
    let after = messages::Entity::find()
        .filter(messages::Column::AppId.eq(app_id.parse::<Uuid>().expect("uuid")))
        .all(&env.infra.db)
        .await
        .expect("q")
        .len();
    assert_eq!(before, after, "no half-written rows");
}

#[actix_web::test]
async fn the_first_answer_names_the_conversation_in_a_generation_job() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker =
        tokio::spawn(indexer_worker::run(env.config.clone(), env.infra.clone(), vec!["generation".into()], stop_rx));
    let app = test::init_service(app(state)).await;
    let (mut c, _, app_id) = world(&env, &app, &fake, "names@example.com", "chat", chat_config()).await;
    // The fake answers the chat and the naming prompt alike.
    fake.set_answer(Some("{\"Your Output\": \"Brewing tea\"}"));
    let body = json!({"inputs": {"topic": "tea"}, "query": "How do I brew tea?", "model_config": chat_config(), "response_mode": "blocking"});
    let r = send(&app, &mut c, Method::POST, &format!("/console/api/apps/{app_id}/chat-messages"), Some(body)).await;
    let id: Uuid = r.body["conversation_id"].as_str().expect("cid").parse().expect("uuid");
    let mut name = String::new();
    for _ in 0..200 {
        let conv = conversations::Entity::find_by_id(id).one(&env.infra.db).await.expect("q").expect("c");
        name = conv.name;
        if name != "New conversation" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(name, "Brewing tea");
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), worker).await;
}

/// The naming job carries the workspace and query; a rename that lands before it runs wins,
/// and a job queued in the older shape (the conversation id alone) still names.
#[actix_web::test]
async fn a_rename_before_the_naming_job_wins_and_old_naming_jobs_still_run() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _, app_id) = world(&env, &app, &fake, "rename@example.com", "chat", chat_config()).await;
    fake.set_answer(Some("{\"Your Output\": \"Brewing tea\"}"));
    let ask = json!({"inputs": {"topic": "tea"}, "query": "How do I brew tea?", "model_config": chat_config(), "response_mode": "blocking"});
    let uri = format!("/console/api/apps/{app_id}/chat-messages");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = send(&app, &mut c, Method::POST, &uri, Some(ask.clone())).await;
        assert_eq!(r.status.as_u16(), 200, "{r:?}");
        ids.push(r.body["conversation_id"].as_str().expect("cid").parse::<Uuid>().expect("uuid"));
    }
    // The user renames the first before any job runs.
    conversations::Entity::update_many()
        .col_expr(conversations::Column::Name, sea_orm::sea_query::Expr::value("Mine"))
        .col_expr(conversations::Column::UpdatedAt, sea_orm::sea_query::Expr::value(kernel::time::now_naive()))
        .filter(conversations::Column::Id.eq(ids[0]))
        .exec(&env.infra.db)
        .await
        .expect("rename");
    // A job for the second as a server before this change queued it.
    let old = kernel::jobs::Job::GenerateConversationName { conversation_id: ids[1], tenant_id: None, query: None };
    env.infra.queue.publish(old.queue(), &old.to_bytes()).await.expect("publish");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker =
        tokio::spawn(indexer_worker::run(env.config.clone(), env.infra.clone(), vec!["generation".into()], stop_rx));
    let name_of = |id: Uuid| {
        let db = env.infra.db.clone();
        async move { conversations::Entity::find_by_id(id).one(&db).await.expect("q").expect("c").name }
    };
    for _ in 0..200 {
        if name_of(ids[1]).await != "New conversation" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(name_of(ids[1]).await, "Brewing tea");
    let naming = || fake.requests().iter().filter(|r| r.messages.iter().any(|m| m.1.contains("Your Output"))).count();
    for _ in 0..200 {
        if naming() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(name_of(ids[0]).await, "Mine", "the rename came first");
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), worker).await;
}

#[actix_web::test]
async fn an_empty_conversation_id_starts_a_conversation_listed_as_new_on_every_surface() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    // Not Dify's JSON: the naming job must keep the fallback name.
    fake.set_answer(Some(ANSWER));
    let app = test::init_service(app(state)).await;
    let (mut owner, _, chat_id) = world(&env, &app, &fake, "empty@example.com", "chat", chat_config()).await;
    let ask = |extra: Value| {
        let mut body =
            json!({"inputs": {"topic": "tea"}, "query": "hello", "conversation_id": "", "response_mode": "blocking"});
        if let (Some(b), Value::Object(e)) = (body.as_object_mut(), extra) {
            b.extend(e);
        }
        body
    };

    // The console's first debug message on Prompt Eng. sends exactly this.
    let uri = format!("/console/api/apps/{chat_id}/chat-messages");
    let r = send(&app, &mut owner, Method::POST, &uri, Some(ask(json!({"model_config": chat_config()})))).await;
    assert_eq!(r.status.as_u16(), 200, "console: {r:?}");
    assert!(r.body["conversation_id"].as_str().is_some_and(|c| !c.is_empty()), "{r:?}");

    let r = send(&app, &mut owner, Method::GET, "/console/api/installed-apps", None).await;
    let installed = r.body["installed_apps"][0]["id"].as_str().expect("installed").to_string();
    let uri = format!("/console/api/installed-apps/{installed}/chat-messages");
    let r = send(&app, &mut owner, Method::POST, &uri, Some(ask(json!({})))).await;
    assert_eq!(r.status.as_u16(), 200, "explore: {r:?}");

    let mut visitor = web_visitor(&app, &mut owner, &chat_id).await;
    let r = send(&app, &mut visitor, Method::POST, "/api/chat-messages", Some(ask(json!({})))).await;
    assert_eq!(r.status.as_u16(), 200, "web app: {r:?}");

    let r = send(&app, &mut owner, Method::POST, &format!("/console/api/apps/{chat_id}/api-keys"), None).await;
    let mut key = Client { bearer: Some(r.body["token"].as_str().expect("token").to_string()), ..Client::default() };
    let r = send(&app, &mut key, Method::POST, "/v1/chat-messages", Some(ask(json!({"user": "alice"})))).await;
    assert_eq!(r.status.as_u16(), 200, "service API: {r:?}");

    // Listed at once, before any job ran, never blank.
    let lists = [
        (format!("/console/api/installed-apps/{installed}/conversations?limit=20"), &mut owner),
        ("/api/conversations?limit=20".to_string(), &mut visitor),
        ("/v1/conversations?user=alice&limit=20".to_string(), &mut key),
    ];
    let mut clients = Vec::new();
    for (uri, client) in lists {
        let r = send(&app, client, Method::GET, &uri, None).await;
        assert_eq!(r.status.as_u16(), 200, "{uri}: {r:?}");
        let names: Vec<&str> =
            r.body["data"].as_array().expect("data").iter().filter_map(|c| c["name"].as_str()).collect();
        // Explore also lists the owner's debug conversation, as Dify does (both are the account's).
        assert!(!names.is_empty() && names.iter().all(|n| *n == "New conversation"), "{uri}: {r:?}");
        clients.push((uri, client.clone()));
    }

    // The naming jobs run; an answer that is not Dify's JSON keeps the name.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker =
        tokio::spawn(indexer_worker::run(env.config.clone(), env.infra.clone(), vec!["generation".into()], stop_rx));
    let naming = || fake.requests().iter().filter(|r| r.messages.iter().any(|m| m.1.contains("Your Output"))).count();
    // Generous: under a full parallel test run the jobs can take seconds to come round.
    for _ in 0..600 {
        if naming() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(naming(), 4, "one naming call per new conversation");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = conversations::Entity::find().all(&env.infra.db).await.expect("q");
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|c| c.name == "New conversation"), "{:?}", all.iter().map(|c| &c.name).collect::<Vec<_>>());
    for (uri, mut client) in clients {
        let r = send(&app, &mut client, Method::GET, &uri, None).await;
        assert_eq!(r.body["data"][0]["name"], "New conversation", "{uri}: {r:?}");
    }
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), worker).await;
}

/// A multipart body with one `file` part.
fn audio_form(mime: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "XBOUNDARYX";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\nContent-Type: {mime}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload<S, B>(app: &S, client: &Client, uri: &str, mime: &str, bytes: &[u8]) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (content_type, body) = audio_form(mime, bytes);
    let mut req = TestRequest::post().uri(uri).insert_header((header::CONTENT_TYPE, content_type)).set_payload(body);
    if let Some(c) = &client.cookie {
        req = req.insert_header((header::COOKIE, format!("session={c}")));
    }
    if let Some(t) = &client.bearer {
        req = req.insert_header((header::AUTHORIZATION, format!("Bearer {t}")));
    }
    let resp = test::call_service(app, req.to_request()).await;
    let status = resp.status();
    let bytes = test::read_body(resp).await;
    Reply { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), cookie: None }
}

#[actix_web::test]
async fn more_like_this_suggested_questions_and_audio() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let mut config = completion_config();
    config["more_like_this"] = json!({"enabled": true});
    let (mut c, _, writer) = world(&env, &app, &fake, "more@example.com", "completion", config.clone()).await;
    let body =
        json!({"inputs": {"lang": "German"}, "query": "hello", "model_config": config, "response_mode": "blocking"});
    let r =
        send(&app, &mut c, Method::POST, &format!("/console/api/apps/{writer}/completion-messages"), Some(body)).await;
    let first = r.body["id"].as_str().expect("id").to_string();
    let uri = format!("/console/api/apps/{writer}/completion-messages/{first}/more-like-this?response_mode=blocking");
    let r = send(&app, &mut c, Method::GET, &uri, None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_ne!(r.body["id"].as_str(), Some(first.as_str()), "a new message");
    let prompt = fake.last_request().expect("request").prompt.expect("a completion model gets a prompt");
    assert!(prompt.starts_with("-----\nEcho: Translate to German: hello\n-----\n"), "{prompt}");
    assert!(prompt.ends_with("-----\nTranslate to German: hello\n"), "{prompt}");
    let r = send(&app, &mut c, Method::GET, &uri.replace("blocking", "streaming"), None).await;
    assert_eq!(r.status.as_u16(), 200, "SSE parses as no JSON: {r:?}");
    let r = send(&app, &mut c, Method::GET, &uri.replace("?response_mode=blocking", ""), None).await;
    assert_eq!((r.status.as_u16(), r.body["params"].as_str()), (400, Some("response_mode")));
    let r = send(&app, &mut c, Method::GET, &uri.replace(&first, &Uuid::new_v4().to_string()), None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (404, Some("Message Not Exists.")));

    // A chat app with follow-up suggestions and speech to text.
    let mut chat = chat_config();
    chat["suggested_questions_after_answer"] = json!({"enabled": true});
    chat["speech_to_text"] = json!({"enabled": true});
    let r = send(
        &app,
        &mut c,
        Method::POST,
        "/console/api/apps",
        Some(json!({"name": "Chat", "mode": "chat", "icon": "🤖", "icon_background": "#FFEAD5", "model_config": chat})),
    )
    .await;
    let chat_id = r.body["id"].as_str().expect("id").to_string();
    fake.set_answer(Some("[\"How strong?\", \"Which cup?\", \"Hot or iced?\"]"));
    let r = send(&app, &mut c, Method::POST, "/console/api/installed-apps", None).await;
    let _ = r;
    let installed = installed_app_id(&app, &mut c, &chat_id).await;
    let r = send(
        &app,
        &mut c,
        Method::POST,
        &format!("/console/api/installed-apps/{installed}/chat-messages"),
        Some(json!({"inputs": {"topic": "tea"}, "query": "brew?"})),
    )
    .await;
    let mid = r.body["id"].as_str().expect("id").to_string();
    let r = send(
        &app,
        &mut c,
        Method::GET,
        &format!("/console/api/installed-apps/{installed}/messages/{mid}/suggested-questions"),
        None,
    )
    .await;
    assert_eq!(r.body, json!({"data": ["How strong?", "Which cup?", "Hot or iced?"]}), "{r:?}");
    let prompt = &fake.last_request().expect("request").messages[0].1;
    assert!(prompt.starts_with("Human: brew?\nAssistant: "), "the last turns lead the prompt: {prompt}");
    let r = send(
        &app,
        &mut c,
        Method::GET,
        &format!("/console/api/apps/{chat_id}/chat-messages/{mid}/suggested-questions"),
        None,
    )
    .await;
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(3), "{r:?}");
    fake.set_answer(Some("no list here"));
    let r = send(
        &app,
        &mut c,
        Method::GET,
        &format!("/console/api/apps/{chat_id}/chat-messages/{mid}/suggested-questions"),
        None,
    )
    .await;
    assert_eq!(r.body, json!({"data": []}), "an unusable answer is no suggestion");

    // Audio: type, size and presence are checked; the default speech2text model transcribes.
    let audio_uri = format!("/console/api/installed-apps/{installed}/audio-to-text");
    let r = upload(&app, &c, &audio_uri, "audio/mpeg", b"ID3fakeaudio").await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["text"], "Fake transcription of audio.mpeg (12 bytes).");
    let r = upload(&app, &c, &audio_uri, "application/x-msdownload", b"MZ").await;
    assert_error(&r, 415, "unsupported_audio_type");
    let big = vec![0u8; 15 * 1024 * 1024 + 1];
    let r = upload(&app, &c, &audio_uri, "audio/wav", &big).await;
    assert_error(&r, 413, "audio_too_large");
    let r = upload(&app, &c, &audio_uri, "audio/wav", b"").await;
    assert_error(&r, 400, "no_audio_uploaded");
    let r = send(&app, &mut c, Method::POST, &format!("/console/api/apps/{writer}/api-keys"), None).await;
    let key = Client { bearer: Some(r.body["token"].as_str().expect("token").to_string()), ..Client::default() };
    let r = upload(&app, &key, "/v1/audio-to-text", "audio/mpeg", b"abc").await;
    assert_error(&r, 400, "app_unavailable");
}

#[actix_web::test]
async fn web_app_visitors_chat_stream_stop_and_get_suggestions() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    fake.set_answer(Some(ANSWER));
    let app = test::init_service(app(state)).await;
    let mut config = chat_config();
    config["suggested_questions_after_answer"] = json!({"enabled": true});
    let (mut owner, _, chat_id) = world(&env, &app, &fake, "web@example.com", "chat", config).await;
    let mut alice = web_visitor(&app, &mut owner, &chat_id).await;
    let mut bob = web_visitor(&app, &mut owner, &chat_id).await;

    // Blocking and streamed answers agree, and the stream is Dify's event sequence.
    let ask = json!({"inputs": {"topic": "tea"}, "query": "hello"});
    let r = send(&app, &mut alice, Method::POST, "/api/chat-messages", Some(ask.clone())).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["answer"], ANSWER);
    let conversation = r.body["conversation_id"].as_str().expect("cid").to_string();
    let row = message_row(&env, r.body["id"].as_str().expect("id")).await;
    assert_eq!(row.from_source, entities::kinds::FromSource::Api);
    let alice_id = row.from_end_user_id.expect("a web visitor is an end user");
    let mut streamed = ask.clone();
    streamed["response_mode"] = json!("streaming");
    streamed["conversation_id"] = json!(conversation);
    streamed["query"] = json!("and then?");
    let (_, ev) = stream_all(&app, &alice, "/api/chat-messages", streamed.clone()).await;
    assert_eq!(answer_of(&ev), ANSWER);
    assert_eq!(ev.last().map(|e| e["event"].clone()), Some(json!("message_end")), "{ev:?}");
    assert!(ev.iter().all(|e| e["conversation_id"] == conversation.as_str() && e["task_id"].is_string()));
    let prompt = &fake.last_request().expect("request").messages[0].1;
    assert!(prompt.contains("Human: hello") && prompt.contains(ANSWER), "history reaches the model: {prompt}");
    let row = message_row(&env, ev[0]["id"].as_str().expect("id")).await;
    assert_eq!(row.from_end_user_id, Some(alice_id), "the same passport is the same end user");

    // Bob cannot continue Alice's conversation, nor stop her task.
    let r = send(&app, &mut bob, Method::POST, "/api/chat-messages", Some(streamed.clone())).await;
    assert_eq!((r.status.as_u16(), r.body["code"].as_str()), (404, Some("not_found")), "{r:?}");
    assert_eq!(r.body["message"], "Conversation Not Exists.");

    // Suggested questions come from the model's JSON list.
    fake.set_answer(Some("[\"Is green tea healthy?\", \"How to brew?\", \"Where is it grown?\"]"));
    let last = ev[0]["id"].as_str().expect("id");
    let r = send(&app, &mut alice, Method::GET, &format!("/api/messages/{last}/suggested-questions"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["data"], json!(["Is green tea healthy?", "How to brew?", "Where is it grown?"]));
    let r = send(&app, &mut bob, Method::GET, &format!("/api/messages/{last}/suggested-questions"), None).await;
    assert_eq!(r.status.as_u16(), 404, "another visitor's message: {r:?}");

    // A completion route on a chat app is the wrong mode.
    let r = send(&app, &mut alice, Method::POST, "/api/completion-messages", Some(json!({"inputs": {}}))).await;
    assert_error(&r, 400, "not_completion_app");
    let r = send(&app, &mut alice, Method::GET, &format!("/api/messages/{last}/more-like-this"), None).await;
    assert_error(&r, 400, "not_completion_app");
    let r = send(&app, &mut alice, Method::POST, "/api/chat-messages", Some(json!({"inputs": {}, "query": "q"}))).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (400, Some("topic is required in input form")));

    // A slow stream stopped from another request ends early with its partial answer saved;
    // another visitor's stop does not touch it.
    let long: String = (0..80).map(|i| format!("word{i} ")).collect();
    fake.set_answer(Some(long.trim()));
    fake.set_tokens_per_second(Some(40.0));
    let mut fresh = ask.clone();
    fresh["response_mode"] = json!("streaming");
    let resp = call(&app, &alice, Method::POST, "/api/chat-messages", fresh).await;
    let mut stream = Box::pin(resp.into_body());
    let first = next_chunk(&mut stream).await.expect("first event");
    let first = &events(&first)[0];
    let task_id = first["task_id"].as_str().expect("task").to_string();
    let message_id = first["id"].as_str().expect("id").to_string();
    let stop_uri = format!("/api/chat-messages/{task_id}/stop");
    let r = send(&app, &mut bob, Method::POST, &stop_uri, None).await;
    assert_eq!(r.body, json!({"result": "success"}), "Dify answers success whoever asks");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let r = send(&app, &mut alice, Method::POST, &stop_uri, None).await;
    assert_eq!(r.body, json!({"result": "success"}));
    let mut rest = String::new();
    while let Some(chunk) = next_chunk(&mut stream).await {
        rest.push_str(&chunk);
    }
    assert!(events(&rest).iter().all(|e| e["event"] == "message"), "no message_end after a stop: {rest}");
    let row = message_row(&env, &message_id).await;
    assert!(row.answer.split(' ').count() > 3, "bob's stop did not end alice's stream: {:?}", row.answer);
    assert!(row.answer.len() < long.trim().len(), "partial answer saved: {:?}", row.answer);

    // A completion app's site: blocking, streamed, more-like-this.
    fake.set_tokens_per_second(None);
    fake.set_answer(None);
    let mut config = completion_config();
    config["more_like_this"] = json!({"enabled": true});
    let r = send(
        &app,
        &mut owner,
        Method::POST,
        "/console/api/apps",
        Some(json!({"name": "Writer", "mode": "completion", "icon": "🤖", "icon_background": "#FFEAD5", "model_config": config})),
    )
    .await;
    let writer_id = r.body["id"].as_str().expect("id").to_string();
    let mut reader = web_visitor(&app, &mut owner, &writer_id).await;
    let body = json!({"inputs": {"lang": "German"}, "query": "good night"});
    let r = send(&app, &mut reader, Method::POST, "/api/completion-messages", Some(body.clone())).await;
    assert_eq!(r.body["answer"], "Echo: Translate to German: good night", "{r:?}");
    let mut streamed = body.clone();
    streamed["response_mode"] = json!("streaming");
    let (_, ev) = stream_all(&app, &reader, "/api/completion-messages", streamed).await;
    assert_eq!(answer_of(&ev), "Echo: Translate to German: good night");
    let id = ev[0]["id"].as_str().expect("id");
    let r = send(
        &app,
        &mut reader,
        Method::GET,
        &format!("/api/messages/{id}/more-like-this?response_mode=blocking"),
        None,
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let answer = r.body["answer"].as_str().expect("answer");
    assert!(
        answer.starts_with("Echo: ----- Echo: Translate to German: good night -----"),
        "the sample leads: {answer}"
    );
    let r = send(&app, &mut reader, Method::POST, "/api/chat-messages", Some(ask)).await;
    assert_error(&r, 400, "not_chat_app");
    // Alice's passport for the chat app does not open the writer's messages.
    let r =
        send(&app, &mut alice, Method::GET, &format!("/api/messages/{id}/more-like-this?response_mode=blocking"), None)
            .await;
    assert_error(&r, 400, "not_completion_app");
}

#[actix_web::test]
async fn prompt_helpers_draft_rules_and_introductions_with_the_default_model() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let credentials = state.provider_credentials.clone();
    let app = test::init_service(app(state)).await;
    let (mut c, _, _) = world(&env, &app, &fake, "helper@example.com", "chat", chat_config()).await;

    let r = send(&app, &mut c, Method::POST, "/console/api/rule-generate", Some(json!({"audiences": "kids"}))).await;
    assert_eq!((r.status.as_u16(), r.body["params"].as_str()), (400, Some("hoping_to_solve")), "{r:?}");
    let ask = json!({"audiences": "travellers", "hoping_to_solve": "translate menus"});
    fake.set_answer(Some(
        "Sure!\n```json\n{\"prompt\": \"Translate this menu into {{lang}}\", \"variables\": [\"lang\"], \"opening_statement\": \"Bon appétit!\"}\n```",
    ));
    let r = send(&app, &mut c, Method::POST, "/console/api/rule-generate", Some(ask.clone())).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(
        r.body,
        json!({"prompt": "Translate this menu into {{lang}}", "variables": ["lang"], "opening_statement": "Bon appétit!"})
    );
    let seen = fake.last_request().expect("request");
    let prompt = &seen.messages[0].1;
    assert!(prompt.contains("travellers") && prompt.contains("translate menus"), "{prompt}");

    fake.set_answer(Some("I would rather not."));
    let r = send(&app, &mut c, Method::POST, "/console/api/rule-generate", Some(ask.clone())).await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["message"], "Please give a valid input for intended audience or hoping to solve problems.");
    fake.fail_next(401, "Incorrect API key provided: sk-***");
    let r = send(&app, &mut c, Method::POST, "/console/api/rule-generate", Some(ask)).await;
    assert_error(&r, 400, "completion_request_error");

    let r = send(&app, &mut c, Method::POST, "/console/api/introduction-generate", Some(json!({}))).await;
    assert_eq!((r.status.as_u16(), r.body["params"].as_str()), (400, Some("prompt_template")), "{r:?}");
    fake.set_answer(Some("  Hello! I can help you plan trips.\n"));
    let body = json!({"prompt_template": "You plan trips to {{city}}."});
    let r = send(&app, &mut c, Method::POST, "/console/api/introduction-generate", Some(body.clone())).await;
    assert_eq!(r.body, json!({"introduction": "Hello! I can help you plan trips."}), "{r:?}");
    assert!(fake.last_request().expect("request").messages[0].1.contains("You plan trips to {{city}}."));

    // Without a configured model the helpers say so instead of failing.
    entities::providers::Entity::delete_many().exec(&env.infra.db).await.expect("delete providers");
    // Behind the server's back: drop what it kept, as a change through the API does.
    credentials.kept().changed().await;
    let r = send(&app, &mut c, Method::POST, "/console/api/introduction-generate", Some(body)).await;
    assert!(r.status.as_u16() == 400, "{r:?}");
    let r =
        send(&app, &mut Client::default(), Method::POST, "/console/api/introduction-generate", Some(json!({}))).await;
    assert_eq!(r.status.as_u16(), 401);
}

#[actix_web::test]
async fn sensitive_queries_get_the_canned_answer_without_a_model_call() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    fake.set_answer(Some(ANSWER));
    let app = test::init_service(app(state)).await;
    let mut config = chat_config();
    config["sensitive_word_avoidance"] =
        json!({"enabled": true, "words": "gin, rum", "canned_response": "Tea only, please."});
    let (mut c, _, app_id) = world(&env, &app, &fake, "swa@example.com", "chat", config.clone()).await;
    let uri = format!("/console/api/apps/{app_id}/chat-messages");
    let chat_calls = || fake.requests().iter().filter(|r| r.path.ends_with("/chat/completions")).count();

    let before = chat_calls();
    let ask = |query: &str, config: &Value| json!({"inputs": {"topic": "tea"}, "query": query, "model_config": config, "response_mode": "blocking"});
    let r = send(&app, &mut c, Method::POST, &uri, Some(ask("a glass of rum?", &config))).await;
    assert_eq!(r.body["answer"], "Tea only, please.", "{r:?}");
    let row = message_row(&env, r.body["id"].as_str().expect("id")).await;
    assert_eq!(row.answer, "Tea only, please.");
    let mut streamed = ask("gin and tonic", &config);
    streamed["response_mode"] = json!("streaming");
    let (_, ev) = stream_all(&app, &c, &uri, streamed).await;
    assert_eq!(answer_of(&ev), "Tea only, please.");
    assert_eq!(chat_calls(), before, "caught queries never reach the model");
    let r = send(&app, &mut c, Method::POST, &uri, Some(ask("green or black?", &config))).await;
    assert_eq!(r.body["answer"], ANSWER);
    assert_eq!(chat_calls(), before + 1);

    // The moderation variant asks OpenAI's moderation model; the fake flags "forbidden".
    config["sensitive_word_avoidance"] = json!({"enabled": true, "type": "moderation", "canned_response": ""});
    let r = send(&app, &mut c, Method::POST, &uri, Some(ask("something forbidden", &config))).await;
    assert_eq!(r.body["answer"], "Your content violates our usage policy. Please revise and try again.", "{r:?}");
    let moderation = fake.requests().into_iter().rev().find(|r| r.path.ends_with("/moderations")).expect("moderated");
    assert_eq!(moderation.body["input"], json!(["something forbidden"]));
    let r = send(&app, &mut c, Method::POST, &uri, Some(ask("something fine", &config))).await;
    assert_eq!(r.body["answer"], ANSWER);
    fake.fail_next(401, "Incorrect API key provided");
    let r = send(&app, &mut c, Method::POST, &uri, Some(ask("anything", &config))).await;
    assert_error(&r, 400, "completion_request_error");
}

/// Reads from `stream` into `seen` until `done` holds for what arrived (or the peer closes).
async fn read_until(stream: &mut tokio::net::TcpStream, seen: &mut String, done: impl Fn(&str) -> bool) {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    // A guard against hanging forever, not a timing assertion.
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        while !done(seen) {
            let n = stream.read(&mut buf).await.expect("read");
            if n == 0 {
                break;
            }
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    read.await.unwrap_or_else(|_| panic!("nothing more arrived; so far: {seen}"));
}

#[actix_web::test]
async fn a_streamed_event_leaves_the_socket_before_the_model_finishes() {
    use tokio::io::AsyncWriteExt;
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let svc = test::init_service(app(state.clone())).await;
    let (mut owner, _, chat_id) = world(&env, &svc, &fake, "owner@example.com", "chat", chat_config()).await;
    let r = send(&svc, &mut owner, Method::POST, &format!("/console/api/apps/{chat_id}/api-keys"), None).await;
    let key = r.body["token"].as_str().expect("token").to_string();

    // The server as main.rs runs it: a real port, the same connection settings.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = actix_web::HttpServer::new(move || app(state.clone()))
        .on_connect(api_server::net::on_connect)
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let gate = fake.hold_next_stream_after(1);
    let body =
        json!({"inputs": {"topic": "tea"}, "query": "hi", "response_mode": "streaming", "user": "u"}).to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST /v1/chat-messages HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, |s| s.contains("\"answer\"")).await;
    assert!(seen.contains("\"message\""), "the first token's event arrived: {seen}");
    assert!(!seen.contains("message_end"), "the model has not finished: {seen}");
    gate.open();
    read_until(&mut stream, &mut seen, |s| s.contains("message_end")).await;
    assert!(seen.contains("message_end"), "{seen}");
    handle.stop(true).await;
}

#[actix_web::test]
async fn the_model_is_asked_while_the_first_write_waits_for_the_database() {
    use sea_orm::{ConnectionTrait, DbBackend, PaginatorTrait, TransactionTrait};
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    fake.set_answer(Some(ANSWER));
    let svc = test::init_service(app(state)).await;
    let (c, _, app_id) = world(&env, &svc, &fake, "overlap@example.com", "chat", chat_config()).await;
    let app_uuid: Uuid = app_id.parse().expect("uuid");
    let db = &env.infra.db;

    // Another transaction holds the lock every insert into `messages` needs.
    let lock = db.begin().await.expect("begin");
    let taken = match lock.get_database_backend() {
        DbBackend::Postgres => lock.execute_unprepared("LOCK TABLE messages IN SHARE MODE").await,
        _ => lock.execute_unprepared("UPDATE messages SET rowid = rowid WHERE 0").await,
    };
    taken.expect("lock");
    fake.clear_requests();
    let body = json!({"inputs": {"topic": "tea"}, "query": "talk", "model_config": chat_config()});
    let uri = format!("/console/api/apps/{app_id}/chat-messages");
    let chat = call(&svc, &c, Method::POST, &uri, body);
    let watch = async {
        // A guard against waiting forever, not a timing assertion.
        let mut asked = false;
        for _ in 0..150 {
            asked = !fake.requests().is_empty();
            if asked {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let written =
            messages::Entity::find().filter(messages::Column::AppId.eq(app_uuid)).count(db).await.expect("count");
        lock.commit().await.expect("release");
        (asked, written)
    };
    let (resp, (asked, written)) = futures::join!(chat, watch);
    assert_eq!(written, 0, "the first write waited for the lock");
    assert!(asked, "the model was asked while the first write waited");
    assert_eq!(resp.status().as_u16(), 200);
    let ev = events(&String::from_utf8_lossy(&test::read_body(resp).await));
    assert_eq!(answer_of(&ev), ANSWER);
    let id = ev[0]["id"].as_str().expect("id");
    assert_eq!(message_row(&env, id).await.answer, ANSWER, "the answer was written once the rows were");
}
