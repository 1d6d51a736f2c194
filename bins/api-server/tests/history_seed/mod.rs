//! Seeds for the conversation tests: apps with a site and key, conversations, messages and
//! quoted segments written directly, as the generation pipeline would leave them.

#![allow(dead_code)]

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::{self, TestRequest};
use chrono::{Duration, NaiveDateTime};
use conversations::Caller;
use entities::{
    api_tokens, app_model_configs, apps, conversations as conv_rows, dataset_retriever_resources, messages, sites,
};
use kernel::time::now_naive;
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};
use test_support::TestEnv;
use uuid::Uuid;

/// A seeded app: the row, its share code and its API key.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub app: apps::Model,
    pub code: String,
    pub key: String,
}

/// A `mode` app of `tenant_id` with a config, a shared site (prompt public) and an API key.
pub async fn seed_app(env: &TestEnv, tenant_id: Uuid, mode: &str) -> Seeded {
    let db = &env.infra.db;
    let now = now_naive();
    let (app_id, config_id) = (Uuid::new_v4(), Uuid::new_v4());
    let app = apps::ActiveModel {
        id: Set(app_id),
        tenant_id: Set(tenant_id),
        name: Set(format!("{mode} app")),
        mode: Set(mode.parse().expect("mode")),
        icon: Set(Some("🤖".into())),
        icon_background: Set(Some("#FFEAD5".into())),
        app_model_config_id: Set(Some(config_id)),
        status: Set(entities::kinds::RowStatus::Normal),
        enable_site: Set(true),
        enable_api: Set(true),
        api_rpm: Set(0),
        api_rph: Set(0),
        is_demo: Set(false),
        is_public: Set(false),
        is_universal: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("app");
    app_model_configs::ActiveModel {
        id: Set(config_id),
        app_id: Set(app_id),
        provider: Set(String::new()),
        model_id: Set(String::new()),
        configs: Set(json!({})),
        created_at: Set(now),
        updated_at: Set(now),
        opening_statement: Set(Some("Hello!".into())),
        suggested_questions: Set(Some(json!(["What can you do?"]).to_string())),
        suggested_questions_after_answer: Set(Some(json!({"enabled": true}).to_string())),
        more_like_this: Set(None),
        model: Set(Some(json!({"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": {}}).to_string())),
        user_input_form: Set(Some(json!([{"text-input": {"label": "Topic", "variable": "topic"}}]).to_string())),
        pre_prompt: Set(Some("You help with {{topic}}.".into())),
        agent_mode: Set(None),
        speech_to_text: Set(None),
        sensitive_word_avoidance: Set(None),
        retriever_resource: Set(Some(json!({"enabled": true}).to_string())),
    }
    .insert(db)
    .await
    .expect("config");
    let code = Uuid::new_v4().simple().to_string()[..16].to_string();
    sites::ActiveModel {
        id: Set(Uuid::new_v4()),
        app_id: Set(app_id),
        title: Set("My Site".into()),
        icon: Set(None),
        icon_background: Set(None),
        description: Set(Some("A site".into())),
        default_language: Set("en-US".into()),
        copyright: Set(None),
        privacy_policy: Set(None),
        customize_domain: Set(None),
        customize_token_strategy: Set("not_allow".into()),
        prompt_public: Set(true),
        status: Set(entities::kinds::RowStatus::Normal),
        created_at: Set(now),
        updated_at: Set(now),
        code: Set(Some(code.clone())),
    }
    .insert(db)
    .await
    .expect("site");
    let key = format!("app-{}", &Uuid::new_v4().simple().to_string()[..24]);
    api_tokens::ActiveModel {
        id: Set(Uuid::new_v4()),
        app_id: Set(Some(app_id)),
        dataset_id: Set(None),
        r#type: Set(entities::api_tokens::TokenType::App),
        token: Set(key.clone()),
        last_used_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .expect("key");
    Seeded { app, code, key }
}

/// `GET /api/passport` with the share code: (status, access token if any).
pub async fn passport<S, B>(svc: &S, code: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let req = TestRequest::get().uri("/api/passport").insert_header(("X-App-Code", code)).to_request();
    let body: Value = test::call_and_read_body_json(svc, req).await;
    body["access_token"].as_str().expect("token").to_string()
}

/// A point in time `secs` seconds after a fixed base, so orders are deterministic.
pub fn at(secs: i64) -> NaiveDateTime {
    let base = chrono::NaiveDate::from_ymd_opt(2023, 9, 20).and_then(|d| d.and_hms_opt(12, 0, 0)).expect("base");
    base + Duration::seconds(secs)
}

/// A conversation of `caller` in `app`, made at `created`.
pub async fn seed_conversation(
    env: &TestEnv,
    app: &apps::Model,
    caller: Caller,
    name: &str,
    created: NaiveDateTime,
) -> Uuid {
    let id = Uuid::new_v4();
    conv_rows::ActiveModel {
        id: Set(id),
        app_id: Set(app.id),
        app_model_config_id: Set(app.app_model_config_id.unwrap_or_default()),
        model_provider: Set("openai".into()),
        override_model_configs: Set(None),
        model_id: Set("gpt-3.5-turbo".into()),
        mode: Set(app.mode),
        name: Set(name.into()),
        summary: Set(None),
        inputs: Set(Some(json!({"topic": "rust"}))),
        introduction: Set(Some("Hello!".into())),
        system_instruction: Set(None),
        system_instruction_tokens: Set(0),
        status: Set(entities::kinds::RowStatus::Normal),
        from_source: Set(caller.from_source()),
        from_end_user_id: Set(caller.end_user_id()),
        from_account_id: Set(caller.account_id()),
        read_at: Set(None),
        read_account_id: Set(None),
        created_at: Set(created),
        updated_at: Set(created),
        is_deleted: Set(false),
    }
    .insert(&env.infra.db)
    .await
    .expect("conversation");
    id
}

/// A message of `caller` in `conversation_id`, made at `created`.
pub async fn seed_message(
    env: &TestEnv,
    app: &apps::Model,
    conversation_id: Uuid,
    caller: Caller,
    query: &str,
    created: NaiveDateTime,
) -> Uuid {
    let id = Uuid::new_v4();
    messages::ActiveModel {
        id: Set(id),
        app_id: Set(app.id),
        model_provider: Set("openai".into()),
        model_id: Set("gpt-3.5-turbo".into()),
        override_model_configs: Set(None),
        conversation_id: Set(conversation_id),
        inputs: Set(Some(json!({"topic": "rust"}))),
        query: Set(query.into()),
        message: Set(json!([{"role": "user", "text": query}])),
        message_tokens: Set(3),
        message_unit_price: Set(Decimal::new(15, 4)),
        answer: Set(format!("answer to {query}")),
        answer_tokens: Set(5),
        answer_unit_price: Set(Decimal::new(2, 3)),
        provider_response_latency: Set(0.5),
        total_price: Set(Some(Decimal::new(1, 5))),
        currency: Set("USD".into()),
        from_source: Set(caller.from_source()),
        from_end_user_id: Set(caller.end_user_id()),
        from_account_id: Set(caller.account_id()),
        created_at: Set(created),
        updated_at: Set(created),
        agent_based: Set(false),
        message_price_unit: Set(Decimal::new(1, 3)),
        answer_price_unit: Set(Decimal::new(1, 3)),
    }
    .insert(&env.infra.db)
    .await
    .expect("message");
    id
}

/// A segment `message_id` quoted, at `position`.
pub async fn seed_resource(env: &TestEnv, message_id: Uuid, position: i32, by: Uuid) -> Uuid {
    let id = Uuid::new_v4();
    dataset_retriever_resources::ActiveModel {
        id: Set(id),
        message_id: Set(message_id),
        position: Set(position),
        dataset_id: Set(Uuid::new_v4()),
        dataset_name: Set("Docs".into()),
        document_id: Set(Uuid::new_v4()),
        document_name: Set("guide.md".into()),
        data_source_type: Set(entities::kinds::DataSourceType::UploadFile),
        segment_id: Set(Uuid::new_v4()),
        score: Set(Some(0.5)),
        content: Set(format!("segment {position}")),
        hit_count: Set(Some(1)),
        word_count: Set(Some(2)),
        segment_position: Set(Some(position)),
        index_node_hash: Set(Some("hash".into())),
        retriever_from: Set("web_app".into()),
        created_by: Set(by),
        created_at: Set(now_naive()),
    }
    .insert(&env.infra.db)
    .await
    .expect("resource");
    id
}

/// The `id`s of a page's `data`, in order.
pub fn ids(page: &Value) -> Vec<String> {
    page["data"].as_array().expect("data").iter().map(|i| i["id"].as_str().expect("id").to_string()).collect()
}
