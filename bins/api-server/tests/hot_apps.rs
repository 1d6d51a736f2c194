//! The service API's kept reads (`apps::hot`), in both run modes: two replicas (two app states
//! on one database and one shared cache) — a change made through one is seen by the other's
//! next request; and what a replica keeps is really what it answers from (a row changed behind
//! its back, as by an operator's SQL, shows only once the version moves).

mod common;
mod history_seed;

use actix_web::http::Method;
use actix_web::test;
use api_server::{AppState, app};
use common::*;
use entities::{api_tokens, app_model_configs, end_users};
use history_seed::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;

fn key(k: &str) -> Client {
    Client { cookie: None, bearer: Some(k.to_string()) }
}

/// A chat app's model config on the fake's OpenAI with `pre_prompt`.
fn chat_config(pre_prompt: &str) -> serde_json::Value {
    json!({
        "pre_prompt": pre_prompt,
        "model": {"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": {"max_tokens": 64}}
    })
}

/// A chat app made through the console of `svc` with `pre_prompt`: its id and a client with
/// its new API key.
async fn chat_app<S, B>(svc: &S, owner: &mut Client, pre_prompt: &str) -> (String, Client)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let body = json!({"name": "Tea", "mode": "chat", "model_config": chat_config(pre_prompt)});
    let r = send(svc, owner, Method::POST, "/console/api/apps", Some(body)).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let app_id = r.body["id"].as_str().expect("id").to_owned();
    let r = send(svc, owner, Method::POST, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    let k = key(r.body["token"].as_str().expect("token"));
    (app_id, k)
}

#[actix_web::test]
async fn a_change_through_one_replica_is_seen_at_the_next_request_of_another() {
    let (env, state_a) = state_with(&[]).await;
    let state_b = AppState::new(env.config.clone(), env.infra.clone());
    let a = test::init_service(app(state_a)).await;
    let b = test::init_service(app(state_b)).await;
    let mut owner = Client::default();
    let r = send(&a, &mut owner, Method::POST, "/console/api/setup", Some(setup_body())).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let r = send(&a, &mut owner, Method::GET, "/console/api/workspaces/current", None).await;
    let tenant = r.body["id"].as_str().expect("workspace id").parse().expect("uuid");
    let seeded = seed_app(&env, tenant, "chat").await;
    let mut k = key(&seeded.key);

    let r = send(&b, &mut k, Method::GET, "/v1/parameters", None).await;
    assert_eq!((r.status.as_u16(), &r.body["opening_statement"]), (200, &json!("Hello!")), "{r:?}");

    // The API switched off through replica A: B refuses at once, and serves again once it is on.
    let uri = format!("/console/api/apps/{}/api-enable", seeded.app.id);
    let r = send(&a, &mut owner, Method::POST, &uri, Some(json!({"enable_api": false}))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let r = send(&b, &mut k, Method::GET, "/v1/parameters", None).await;
    assert_eq!(r.status.as_u16(), 404, "{r:?}");
    let r = send(&a, &mut owner, Method::POST, &uri, Some(json!({"enable_api": true}))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let r = send(&b, &mut k, Method::GET, "/v1/parameters", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");

    // The key deleted through A: B no longer opens the app with it.
    let row = api_tokens::Entity::find()
        .filter(api_tokens::Column::Token.eq(seeded.key.as_str()))
        .one(&env.infra.db)
        .await
        .expect("q")
        .expect("key row");
    let uri = format!("/console/api/apps/{}/api-keys/{}", seeded.app.id, row.id);
    let r = send(&a, &mut owner, Method::DELETE, &uri, None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    let r = send(&b, &mut k, Method::GET, "/v1/parameters", None).await;
    assert_error(&r, 401, "unauthorized");
}

#[actix_web::test]
async fn a_replica_answers_from_what_it_kept_until_the_version_moves() {
    let (env, state) = state_with(&[]).await;
    let hot = state.hot_apps.clone();
    let svc = test::init_service(app(state)).await;
    let (_, tenant) = seed_account(&env, "owner@example.com", "Passw0rd123", None).await;
    let seeded = seed_app(&env, tenant, "chat").await;
    let mut k = key(&seeded.key);
    let r = send(&svc, &mut k, Method::GET, "/v1/parameters", None).await;
    assert_eq!(r.body["opening_statement"], "Hello!", "{r:?}");

    // Behind the server's back: no version bump, so the kept answer stands.
    app_model_configs::Entity::update_many()
        .col_expr(app_model_configs::Column::OpeningStatement, Expr::value("Changed behind its back"))
        .filter(app_model_configs::Column::Id.eq(seeded.app.app_model_config_id.expect("config")))
        .exec(&env.infra.db)
        .await
        .expect("update");
    let r = send(&svc, &mut k, Method::GET, "/v1/parameters", None).await;
    assert_eq!(r.body["opening_statement"], "Hello!", "answered from what it kept: {r:?}");

    hot.changed().await;
    let r = send(&svc, &mut k, Method::GET, "/v1/parameters", None).await;
    assert_eq!(r.body["opening_statement"], "Changed behind its back", "{r:?}");
}

/// The app's config and the end user are kept too: a chat through replica B runs with the
/// config saved through replica A at its next request, and one `user` stays one end user.
#[actix_web::test]
async fn a_chat_runs_with_the_config_saved_through_another_replica() {
    let (env, state_a) = state_with(&[]).await;
    let state_b = AppState::new(env.config.clone(), env.infra.clone());
    let a = test::init_service(app(state_a)).await;
    let b = test::init_service(app(state_b)).await;
    let fake = test_support::fake_openai::FakeOpenAi::start().await;
    let (mut owner, _) = common::datasets::owner(&env, &a, &fake).await;
    let (app_id, mut k) = chat_app(&a, &mut owner, "Answer as alpha.").await;
    let ask = json!({"inputs": {}, "query": "Which tea?", "user": "u1", "response_mode": "blocking"});
    let prompt = |fake: &test_support::fake_openai::FakeOpenAi| {
        fake.last_request().expect("a model call").messages.iter().map(|(_, m)| m.clone()).collect::<String>()
    };

    let r = send(&b, &mut k, Method::POST, "/v1/chat-messages", Some(ask.clone())).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert!(prompt(&fake).contains("Answer as alpha."), "{}", prompt(&fake));
    let first = r.body["conversation_id"].clone();

    let uri = format!("/console/api/apps/{app_id}/model-config");
    let r = send(&a, &mut owner, Method::POST, &uri, Some(chat_config("Answer as beta."))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let r = send(&b, &mut k, Method::POST, "/v1/chat-messages", Some(ask)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let now = prompt(&fake);
    assert!(now.contains("Answer as beta.") && !now.contains("alpha"), "{now}");

    // Both conversations belong to the one end user `u1`, as B lists them.
    let r = send(&b, &mut k, Method::GET, "/v1/conversations?user=u1&limit=20", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let ids: Vec<&serde_json::Value> = r.body["data"].as_array().expect("data").iter().map(|c| &c["id"]).collect();
    assert_eq!(ids.len(), 2, "{r:?}");
    assert!(ids.contains(&&first), "{r:?}");
    let users = end_users::Entity::find().filter(end_users::Column::SessionId.eq("u1")).all(&env.infra.db).await;
    assert_eq!(users.expect("q").len(), 1);
}

/// Provider credentials are kept per process too: saved or deleted through replica A, they
/// are what replica B's next chat uses.
#[actix_web::test]
async fn provider_credentials_changed_through_one_replica_serve_the_next_chat_of_another() {
    use test_support::fake_openai::{FAKE_API_KEY, FakeOpenAi};
    let (env, state_a) = state_with(&[]).await;
    let state_b = AppState::new(env.config.clone(), env.infra.clone());
    let a = test::init_service(app(state_a)).await;
    let b = test::init_service(app(state_b)).await;
    let (first, second) = (FakeOpenAi::start().await, FakeOpenAi::start().await);
    let (mut owner, _) = common::datasets::owner(&env, &a, &first).await;
    let (_, mut k) = chat_app(&a, &mut owner, "").await;
    let ask = json!({"inputs": {}, "query": "Which tea?", "user": "u1", "response_mode": "blocking"});
    let chats = |fake: &FakeOpenAi| fake.requests().iter().filter(|r| r.path.ends_with("/chat/completions")).count();

    let r = send(&b, &mut k, Method::POST, "/v1/chat-messages", Some(ask.clone())).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!((chats(&first), chats(&second)), (1, 0));

    let url = "/console/api/workspaces/current/model-providers/openai";
    let moved = json!({"config": {"openai_api_key": FAKE_API_KEY, "openai_api_base": second.base_url()}});
    let r = send(&a, &mut owner, Method::POST, url, Some(moved)).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    // Saving checked the key with a call of its own.
    let checked = chats(&second);
    let r = send(&b, &mut k, Method::POST, "/v1/chat-messages", Some(ask.clone())).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!((chats(&first), chats(&second)), (1, checked + 1), "B called the base saved through A");

    let r = send(&a, &mut owner, Method::DELETE, url, None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    let r = send(&b, &mut k, Method::POST, "/v1/chat-messages", Some(ask)).await;
    assert_error(&r, 400, "provider_not_initialize");
    assert_eq!((chats(&first), chats(&second)), (1, checked + 1));
}

/// A web app's site is kept too: a share code reset through replica A signs out, at replica
/// B's next request, the visitors B was serving under the old code.
#[actix_web::test]
async fn a_share_code_reset_through_one_replica_signs_visitors_out_at_another() {
    let (env, state_a) = state_with(&[]).await;
    let state_b = AppState::new(env.config.clone(), env.infra.clone());
    let a = test::init_service(app(state_a)).await;
    let b = test::init_service(app(state_b)).await;
    let fake = test_support::fake_openai::FakeOpenAi::start().await;
    let (mut owner, _) = common::datasets::owner(&env, &a, &fake).await;
    let (app_id, _) = chat_app(&a, &mut owner, "").await;
    let mut visitor = web_visitor(&a, &mut owner, &app_id).await;
    for _ in 0..2 {
        let r = send(&b, &mut visitor, Method::GET, "/api/site", None).await;
        assert_eq!(r.status.as_u16(), 200, "{r:?}");
    }

    let r =
        send(&a, &mut owner, Method::POST, &format!("/console/api/apps/{app_id}/site/access-token-reset"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let r = send(&b, &mut visitor, Method::GET, "/api/site", None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (401, Some("Site URL is no longer valid.")), "{r:?}");
    // A passport for the new code works at B.
    let mut again = web_visitor(&a, &mut owner, &app_id).await;
    let r = send(&b, &mut again, Method::GET, "/api/site", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
}
