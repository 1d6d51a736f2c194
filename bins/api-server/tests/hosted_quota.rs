//! Hosted (system) model providers on a CLOUD install, through HTTP in both run modes: the
//! trial quota a workspace gets, generation on the operator's key, the quota it uses up, the
//! switch to the workspace's own key, and isolation between workspaces.

mod common;

use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::*;
use entities::providers as provider_rows;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use test_support::TestEnv;
use test_support::fake_openai::{FAKE_API_KEY, FakeOpenAi};
use uuid::Uuid;

const HOSTED_ANSWER: &str = "Answered on the hosted key.";
const OWN_ANSWER: &str = "Answered on your own key.";

fn url(path: &str) -> String {
    format!("/console/api/workspaces/current/{path}")
}

fn chat_config() -> Value {
    json!({
        "pre_prompt": "",
        "model": {"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": {"max_tokens": 64}}
    })
}

fn ask() -> Value {
    json!({"inputs": {}, "query": "Hello?", "user": "end-user-1", "response_mode": "blocking"})
}

/// A CLOUD install whose operator hosts OpenAI at `hosted` with a quota limit set.
async fn cloud(hosted: &FakeOpenAi) -> (TestEnv, api_server::AppState) {
    state_with(&[
        ("EDITION", "CLOUD"),
        ("HOSTED_OPENAI_ENABLED", "true"),
        ("HOSTED_OPENAI_API_KEY", FAKE_API_KEY),
        ("HOSTED_OPENAI_API_BASE", &hosted.base_url()),
        ("HOSTED_OPENAI_QUOTA_LIMIT", "200"),
    ])
    .await
}

async fn trial_row(env: &TestEnv, tenant_id: Uuid) -> provider_rows::Model {
    provider_rows::Entity::find()
        .filter(provider_rows::Column::TenantId.eq(tenant_id))
        .filter(provider_rows::Column::ProviderName.eq("openai"))
        .filter(provider_rows::Column::ProviderType.eq("system"))
        .filter(provider_rows::Column::QuotaType.eq("trial"))
        .one(&env.infra.db)
        .await
        .expect("query")
        .expect("trial row")
}

fn system_entry(list: &Value) -> &Value {
    list["openai"]["providers"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["provider_type"] == "system"))
        .unwrap_or_else(|| panic!("openai system entry in {list}"))
}

#[actix_web::test]
async fn cloud_workspaces_chat_on_the_hosted_trial_until_it_runs_out() {
    let hosted = FakeOpenAi::start().await;
    hosted.set_answer(Some(HOSTED_ANSWER));
    let own = FakeOpenAi::start().await;
    own.set_answer(Some(OWN_ANSWER));
    let (env, state) = cloud(&hosted).await;
    let app = test::init_service(app(state)).await;
    let (_, tenant) = seed_account(&env, "cloud@example.com", ADMIN_PASSWORD, None).await;
    let (_, other_tenant) = seed_account(&env, "other@example.com", ADMIN_PASSWORD, None).await;
    let mut c = login(&app, "cloud@example.com", ADMIN_PASSWORD).await;

    // The list gives the workspace its trial quota and prefers it.
    let r = send(&app, &mut c, Method::GET, &url("model-providers"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["openai"]["preferred_provider_type"], "system", "{}", r.body);
    let trial = system_entry(&r.body);
    assert_eq!(
        (&trial["quota_type"], &trial["is_valid"], &trial["quota_limit"], &trial["quota_used"], &trial["config"]),
        (&json!("trial"), &json!(true), &json!(200), &json!(0), &Value::Null),
        "{trial}"
    );
    let r = send(&app, &mut c, Method::GET, &url("models/model-type/text-generation"), None).await;
    let names: Vec<&str> = r.body.as_array().expect("models").iter().filter_map(|m| m["model_name"].as_str()).collect();
    assert!(names.contains(&"gpt-3.5-turbo") && !names.contains(&"gpt-4"), "GPT-4 is hidden on trials: {names:?}");
    assert!(r.body.as_array().expect("models").iter().all(|m| m["model_provider"]["provider_type"] == "system"));

    // An app made and answered with no key of the workspace's own, one quota unit per answer.
    let r = send(
        &app,
        &mut c,
        Method::POST,
        "/console/api/apps",
        Some(json!({"name": "Bot", "mode": "chat", "icon": "🤖", "icon_background": "#FFEAD5", "model_config": chat_config()})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let app_id = r.body["id"].as_str().expect("id").to_string();
    let r = send(&app, &mut c, Method::POST, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    let mut key = Client { bearer: Some(r.body["token"].as_str().expect("token").to_string()), ..Client::default() };
    let chat = "/v1/chat-messages";
    for n in 1..=2 {
        let r = send(&app, &mut key, Method::POST, chat, Some(ask())).await;
        assert_eq!((r.status.as_u16(), r.body["answer"].as_str()), (200, Some(HOSTED_ANSWER)), "{r:?}");
        assert_eq!(trial_row(&env, tenant).await.quota_used, Some(n));
    }
    assert_eq!(hosted.requests().len(), 2);
    let r = send(&app, &mut c, Method::GET, &url("model-providers"), None).await;
    assert_eq!(system_entry(&r.body)["quota_used"], 2);
    // Another workspace's quota is its own.
    let other = send(
        &app,
        &mut login(&app, "other@example.com", ADMIN_PASSWORD).await,
        Method::GET,
        &url("model-providers"),
        None,
    )
    .await;
    assert_eq!(system_entry(&other.body)["quota_used"], 0, "{}", other.body);
    assert_eq!(trial_row(&env, other_tenant).await.quota_used, Some(0));

    // Used up, with no key of its own: Dify's quota error, and no call to the vendor.
    let row = trial_row(&env, tenant).await;
    provider_rows::ActiveModel { id: Set(row.id), quota_used: Set(Some(200)), ..Default::default() }
        .update(&env.infra.db)
        .await
        .expect("use up");
    let r = send(&app, &mut key, Method::POST, chat, Some(ask())).await;
    assert_error(&r, 400, "provider_quota_exceeded");
    assert!(r.body["message"].as_str().is_some_and(|m| m.contains("exhausted")), "{r:?}");
    assert_eq!(hosted.requests().len(), 2);

    // With its own key the workspace prefers it and pays nothing from the quota.
    configure_openai_at(&env, tenant, FAKE_API_KEY, Some(&own.base_url())).await;
    let r = send(&app, &mut c, Method::GET, &url("model-providers"), None).await;
    assert_eq!(r.body["openai"]["preferred_provider_type"], "custom", "{}", r.body);
    let r = send(&app, &mut key, Method::POST, chat, Some(ask())).await;
    assert_eq!((r.status.as_u16(), r.body["answer"].as_str()), (200, Some(OWN_ANSWER)), "{r:?}");
    assert_eq!(own.requests().len(), 1);

    // Preferring the hosted quota again: a fresh quota is used first, a used-up one falls back
    // to the workspace's key.
    let r = send(
        &app,
        &mut c,
        Method::POST,
        &url("model-providers/openai/preferred-provider-type"),
        Some(json!({"preferred_provider_type": "system"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let r = send(&app, &mut key, Method::POST, chat, Some(ask())).await;
    assert_eq!(r.body["answer"], OWN_ANSWER, "used-up quota falls back: {r:?}");
    provider_rows::ActiveModel { id: Set(row.id), quota_used: Set(Some(10)), ..Default::default() }
        .update(&env.infra.db)
        .await
        .expect("reset");
    let r = send(&app, &mut key, Method::POST, chat, Some(ask())).await;
    assert_eq!(r.body["answer"], HOSTED_ANSWER, "{r:?}");
    assert_eq!(trial_row(&env, tenant).await.quota_used, Some(11));
    let r = send(&app, &mut c, Method::GET, &url("model-providers"), None).await;
    assert_eq!(r.body["openai"]["preferred_provider_type"], "system", "{}", r.body);

    // Removing its own key keeps the hosted quota preferred.
    let r = send(&app, &mut c, Method::DELETE, &url("model-providers/openai"), None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    let r = send(&app, &mut key, Method::POST, chat, Some(ask())).await;
    assert_eq!(r.body["answer"], HOSTED_ANSWER, "{r:?}");
}

#[actix_web::test]
async fn helper_prompts_on_the_default_model_are_free() {
    let hosted = FakeOpenAi::start().await;
    hosted.set_answer(Some(
        "```json\n{\"prompt\": \"You are {{role}}.\", \"variables\": [\"role\"], \"opening_statement\": \"Hi\"}\n```",
    ));
    let (env, state) = cloud(&hosted).await;
    let app = test::init_service(app(state)).await;
    let (_, tenant) = seed_account(&env, "helper@example.com", ADMIN_PASSWORD, None).await;
    let mut c = login(&app, "helper@example.com", ADMIN_PASSWORD).await;
    let r = send(&app, &mut c, Method::GET, &url("default-model?model_type=text-generation"), None).await;
    assert_eq!(r.body["model_provider"], json!({"provider_name": "openai", "provider_type": "system"}), "{r:?}");
    let r = send(
        &app,
        &mut c,
        Method::POST,
        "/console/api/rule-generate",
        Some(json!({"audiences": "students", "hoping_to_solve": "homework"})),
    )
    .await;
    assert_eq!((r.status.as_u16(), &r.body["variables"]), (200, &json!(["role"])), "{r:?}");
    assert_eq!(hosted.requests().len(), 1);
    assert_eq!(trial_row(&env, tenant).await.quota_used, Some(0), "Dify does not charge the default model");
}

#[actix_web::test]
async fn self_hosted_never_offers_the_operators_key() {
    let hosted = FakeOpenAi::start().await;
    let (_env, state) = state_with(&[
        ("HOSTED_OPENAI_ENABLED", "true"),
        ("HOSTED_OPENAI_API_KEY", FAKE_API_KEY),
        ("HOSTED_OPENAI_API_BASE", &hosted.base_url()),
        ("HOSTED_OPENAI_QUOTA_LIMIT", "200"),
    ])
    .await;
    let app = test::init_service(app(state)).await;
    let mut c = Client::default();
    let r = send(&app, &mut c, Method::POST, "/console/api/setup", Some(setup_body())).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let mut c = login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r = send(&app, &mut c, Method::GET, &url("model-providers"), None).await;
    assert_eq!(r.body["openai"]["preferred_provider_type"], "custom");
    assert_eq!(system_entry(&r.body)["is_valid"], false, "{}", r.body);
    let r = send(&app, &mut c, Method::GET, &url("models/model-type/text-generation"), None).await;
    assert_eq!(r.body, json!([]));
    let r = send(
        &app,
        &mut c,
        Method::POST,
        &url("model-providers/openai/preferred-provider-type"),
        Some(json!({"preferred_provider_type": "system"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let r = send(&app, &mut c, Method::GET, &url("model-providers"), None).await;
    assert_eq!(r.body["openai"]["preferred_provider_type"], "custom", "stored nowhere on SELF_HOSTED");
    assert!(hosted.requests().is_empty());
}
