//! Apps in the console's Studio: create, list, detail, edits, model config, site, API keys,
//! copy, delete, roles and workspace isolation — through HTTP in both run modes.

mod common;

use accounts::TenantRole;
use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::*;
use entities::providers;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};
use test_support::TestEnv;
use uuid::Uuid;

/// Marks OpenAI as configured for the workspace, the way a saved credential leaves it.
async fn configure_openai(env: &TestEnv, tenant_id: Uuid) {
    let tenant = entities::tenants::Entity::find_by_id(tenant_id).one(&env.infra.db).await.expect("q").expect("tenant");
    let key = kernel::crypto::encrypt("sk-test-openai-key-1234", tenant.encrypt_public_key.as_deref().expect("pk"))
        .expect("enc");
    let now = kernel::time::now_naive();
    // Listing providers leaves an unconfigured placeholder row, as Dify does: replace it.
    {
        use sea_orm::{ColumnTrait, QueryFilter};
        providers::Entity::delete_many()
            .filter(providers::Column::TenantId.eq(tenant_id))
            .filter(providers::Column::ProviderName.eq("openai"))
            .exec(&env.infra.db)
            .await
            .expect("clear placeholder");
    }
    providers::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        provider_name: Set("openai".into()),
        provider_type: Set(entities::providers::ProviderType::Custom),
        encrypted_config: Set(Some(json!({"openai_api_key": key}).to_string())),
        is_valid: Set(true),
        last_used: Set(None),
        quota_type: Set(Some(entities::providers::QuotaType::NotHosted)),
        quota_limit: Set(None),
        quota_used: Set(Some(0)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&env.infra.db)
    .await
    .expect("provider row");
}

async fn current_tenant<S, B>(app: &S, c: &mut Client) -> Uuid
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let r = send(app, c, Method::GET, "/console/api/workspaces/current", None).await;
    r.body["id"].as_str().expect("id").parse().expect("uuid")
}

fn chat_config() -> Value {
    json!({
        "pre_prompt": "You help with {{topic}}.",
        "user_input_form": [{"text-input": {"label": "Topic", "variable": "topic", "required": true, "max_length": 48}}],
        "opening_statement": "Hello!",
        "suggested_questions": ["What can you do?"],
        "more_like_this": {"enabled": false},
        "model": {"provider": "openai", "name": "gpt-4", "completion_params": {"max_tokens": 256, "temperature": 0.2}}
    })
}

#[actix_web::test]
async fn apps_are_created_configured_shared_and_deleted() {
    let (env, state) = state_with(&[("APP_WEB_URL", "http://web.test"), ("SERVICE_API_URL", "http://api.test")]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let tenant = current_tenant(&app, &mut admin).await;

    // No model provider yet: creating an app says so.
    let r =
        send(&app, &mut admin, Method::POST, "/console/api/apps", Some(json!({"name": "Bot", "mode": "chat"}))).await;
    assert_error(&r, 400, "provider_not_initialize");
    configure_openai(&env, tenant).await;

    for (body, code) in [
        (json!({"mode": "chat"}), "invalid_param"),
        (json!({"name": "x", "mode": "agent"}), "invalid_param"),
        (json!({"name": "x"}), "bad_request"),
        (json!({"name": "y".repeat(300), "mode": "chat"}), "invalid_param"),
    ] {
        let r = send(&app, &mut admin, Method::POST, "/console/api/apps", Some(body.clone())).await;
        assert_error(&r, 400, code);
    }
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/apps",
        Some(json!({"name": "Bot", "mode": "chat", "icon": "🤖", "icon_background": "#FFEAD5"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let app_id = r.body["id"].as_str().expect("id").to_string();
    assert_eq!(
        (r.body["mode"].as_str(), r.body["enable_site"].as_bool(), r.body["enable_api"].as_bool()),
        (Some("chat"), Some(true), Some(true))
    );
    assert_eq!(r.body["model_config"]["model"]["name"], "gpt-3.5-turbo");
    assert_eq!(r.body["model_config"]["agent_mode"]["enabled"], false);

    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/apps",
        Some(json!({"name": "Writer", "mode": "completion"})),
    )
    .await;
    assert_eq!(r.body["model_config"]["pre_prompt"], "{{query}}");

    let r = send(&app, &mut admin, Method::GET, "/console/api/apps?page=1&limit=1", None).await;
    assert_eq!(
        (r.body["total"].as_u64(), r.body["has_more"].as_bool(), r.body["limit"].as_u64()),
        (Some(2), Some(true), Some(1))
    );
    assert_eq!(r.body["data"][0]["name"], "Writer", "newest first");
    assert!(r.body["data"][0]["model_config"]["model"].is_object());
    let r = send(&app, &mut admin, Method::GET, "/console/api/apps?limit=101", None).await;
    assert_error(&r, 400, "invalid_param");
    // Flask-RESTful's int_range names every argument "argument"; params names the field.
    assert_eq!(r.body["message"], "Invalid argument: 101. argument must be within the range 1 - 100");
    assert_eq!(r.body["params"], "limit");
    // Every value sent is checked, as reqparse checks them; a blank-padded number is a number.
    let r = send(&app, &mut admin, Method::GET, "/console/api/apps?page=1&page=x", None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (400, Some("x is not a valid integer")));
    let r = send(&app, &mut admin, Method::GET, "/console/api/apps?page=%201%20&limit=1", None).await;
    assert_eq!(r.body["page"], 1);

    let r = send(&app, &mut admin, Method::GET, &format!("/console/api/apps/{app_id}"), None).await;
    assert_eq!(r.body["api_base_url"], "http://api.test/v1");
    assert_eq!(r.body["site"]["app_base_url"], "http://web.test");
    let code = r.body["site"]["access_token"].as_str().expect("code").to_string();
    assert_eq!(code.len(), 16);
    assert_eq!(r.body["site"]["title"], "Bot");
    assert_eq!(r.body["site"]["customize_token_strategy"], "not_allow");

    // Model config: validated like Dify, stored as a new current row.
    let mut bad = chat_config();
    bad["pre_prompt"] = json!("Hi {{nobody}}");
    let r = send(&app, &mut admin, Method::POST, &format!("/console/api/apps/{app_id}/model-config"), Some(bad)).await;
    assert_error(&r, 400, "invalid_param");
    assert!(r.body["message"].as_str().is_some_and(|m| m.contains("pre_prompt")), "{r:?}");
    let mut unknown_model = chat_config();
    unknown_model["model"]["name"] = json!("gpt-9");
    let r =
        send(&app, &mut admin, Method::POST, &format!("/console/api/apps/{app_id}/model-config"), Some(unknown_model))
            .await;
    assert_error(&r, 400, "invalid_param");
    let mut foreign_dataset = chat_config();
    foreign_dataset["agent_mode"] =
        json!({"enabled": true, "tools": [{"dataset": {"enabled": true, "id": Uuid::new_v4().to_string()}}]});
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        &format!("/console/api/apps/{app_id}/model-config"),
        Some(foreign_dataset),
    )
    .await;
    assert_error(&r, 400, "invalid_param");
    let r =
        send(&app, &mut admin, Method::POST, &format!("/console/api/apps/{app_id}/model-config"), Some(chat_config()))
            .await;
    assert_eq!(r.body, json!({"result": "success"}), "{r:?}");
    let r = send(&app, &mut admin, Method::GET, &format!("/console/api/apps/{app_id}"), None).await;
    let mc = &r.body["model_config"];
    assert_eq!((mc["model"]["name"].as_str(), mc["opening_statement"].as_str()), (Some("gpt-4"), Some("Hello!")));
    assert_eq!(
        mc["model"]["completion_params"],
        json!({"max_tokens": 256, "temperature": 0.2, "top_p": 1, "presence_penalty": 0, "frequency_penalty": 0})
    );
    assert_eq!(mc["user_input_form"][0]["text-input"]["variable"], "topic");

    // Edits.
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        &format!("/console/api/apps/{app_id}/name"),
        Some(json!({"name": "Helper"})),
    )
    .await;
    assert_eq!(r.body["name"], "Helper");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        &format!("/console/api/apps/{app_id}/icon"),
        Some(json!({"icon": "🦀", "icon_background": "#000"})),
    )
    .await;
    assert_eq!((r.body["icon"].as_str(), r.body["icon_background"].as_str()), (Some("🦀"), Some("#000")));
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        &format!("/console/api/apps/{app_id}/site-enable"),
        Some(json!({"enable_site": false})),
    )
    .await;
    assert_eq!(r.body["enable_site"], false);
    let r =
        send(&app, &mut admin, Method::POST, &format!("/console/api/apps/{app_id}/api-enable"), Some(json!({}))).await;
    assert_error(&r, 400, "invalid_param");

    // Site: only given fields change; title renames the app; the share code can be reset.
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        &format!("/console/api/apps/{app_id}/site"),
        Some(
            json!({"title": "Public Helper", "description": "d", "default_language": "zh-Hans", "prompt_public": true}),
        ),
    )
    .await;
    assert_eq!(
        (r.body["title"].as_str(), r.body["description"].as_str(), r.body["prompt_public"].as_bool()),
        (Some("Public Helper"), Some("d"), Some(true))
    );
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        &format!("/console/api/apps/{app_id}/site"),
        Some(json!({"customize_token_strategy": "sometimes"})),
    )
    .await;
    assert_error(&r, 400, "invalid_param");
    let r = send(&app, &mut admin, Method::POST, &format!("/console/api/apps/{app_id}/site/access-token-reset"), None)
        .await;
    let new_code = r.body["access_token"].as_str().expect("code");
    assert_ne!(new_code, code);
    let r = send(&app, &mut admin, Method::GET, &format!("/console/api/apps/{app_id}"), None).await;
    assert_eq!(r.body["name"], "Public Helper");

    // API keys: shown in full, app- prefix, at most ten, deletable.
    let r = send(&app, &mut admin, Method::POST, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    assert_eq!(r.status.as_u16(), 201);
    let token = r.body["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("app-") && token.len() == 28, "{token}");
    let key_id = r.body["id"].as_str().expect("id").to_string();
    for _ in 1..10 {
        send(&app, &mut admin, Method::POST, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    }
    let r = send(&app, &mut admin, Method::POST, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    assert_error(&r, 400, "max_keys_exceeded");
    let r = send(&app, &mut admin, Method::GET, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(10));
    let r =
        send(&app, &mut admin, Method::DELETE, &format!("/console/api/apps/{app_id}/api-keys/{key_id}"), None).await;
    assert_eq!(r.status.as_u16(), 204);
    let r =
        send(&app, &mut admin, Method::DELETE, &format!("/console/api/apps/{app_id}/api-keys/{key_id}"), None).await;
    assert_error(&r, 404, "not_found");

    // Copy and delete.
    let r = send(&app, &mut admin, Method::POST, &format!("/console/api/apps/{app_id}/copy"), None).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    assert_eq!(r.body["name"], "Public Helper copy");
    assert_eq!(r.body["model_config"]["model"]["name"], "gpt-4");
    let copy_id = r.body["id"].as_str().expect("id").to_string();
    assert_ne!(copy_id, app_id);
    let r = send(&app, &mut admin, Method::DELETE, &format!("/console/api/apps/{app_id}"), None).await;
    assert_eq!(r.status.as_u16(), 204);
    let r = send(&app, &mut admin, Method::GET, &format!("/console/api/apps/{app_id}"), None).await;
    assert_error(&r, 404, "app_not_found");
    let r = send(&app, &mut admin, Method::GET, &format!("/console/api/apps/{copy_id}"), None).await;
    assert_eq!(r.status.as_u16(), 200, "the copy stands alone");

    // Templates follow the account's language.
    let r = send(&app, &mut admin, Method::GET, "/console/api/app-templates", None).await;
    let names: Vec<&str> = r.body["data"].as_array().expect("data").iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, vec!["Translation Assistant", "AI Front-end Interviewer"]);
}

#[actix_web::test]
async fn normal_members_read_and_other_workspaces_see_nothing() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let tenant = current_tenant(&app, &mut admin).await;
    configure_openai(&env, tenant).await;
    let r =
        send(&app, &mut admin, Method::POST, "/console/api/apps", Some(json!({"name": "Bot", "mode": "chat"}))).await;
    let app_id = r.body["id"].as_str().expect("id").to_string();
    let r = send(&app, &mut admin, Method::POST, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    let key_id = r.body["id"].as_str().expect("id").to_string();

    // A normal member of the same workspace.
    seed_account(&env, "m@example.com", "Member123", Some((tenant, TenantRole::Normal))).await;
    let mut m = Client::default();
    send(
        &app,
        &mut m,
        Method::POST,
        "/console/api/login",
        Some(json!({"email": "m@example.com", "password": "Member123"})),
    )
    .await;
    let r = send(&app, &mut m, Method::GET, &format!("/console/api/apps/{app_id}"), None).await;
    assert_eq!(r.status.as_u16(), 200);
    let r = send(&app, &mut m, Method::GET, "/console/api/apps", None).await;
    assert_eq!(r.body["total"], 1);
    for (method, uri, body) in [
        (Method::POST, "/console/api/apps".to_string(), Some(json!({"name": "x", "mode": "chat"}))),
        (Method::DELETE, format!("/console/api/apps/{app_id}"), None),
        (Method::POST, format!("/console/api/apps/{app_id}/name"), Some(json!({"name": "x"}))),
        (Method::POST, format!("/console/api/apps/{app_id}/site-enable"), Some(json!({"enable_site": false}))),
        (Method::POST, format!("/console/api/apps/{app_id}/api-enable"), Some(json!({"enable_api": false}))),
        (Method::POST, format!("/console/api/apps/{app_id}/model-config"), Some(chat_config())),
        (Method::POST, format!("/console/api/apps/{app_id}/site"), Some(json!({"title": "x"}))),
        (Method::POST, format!("/console/api/apps/{app_id}/api-keys"), None),
        (Method::DELETE, format!("/console/api/apps/{app_id}/api-keys/{key_id}"), None),
        (Method::POST, format!("/console/api/apps/{app_id}/copy"), None),
    ] {
        let r = send(&app, &mut m, method.clone(), &uri, body).await;
        assert_error(&r, 403, "forbidden");
    }

    // The owner of another workspace.
    seed_account(&env, "bob@example.com", "BobPass123", None).await;
    let mut b = Client::default();
    send(
        &app,
        &mut b,
        Method::POST,
        "/console/api/login",
        Some(json!({"email": "bob@example.com", "password": "BobPass123"})),
    )
    .await;
    let r = send(&app, &mut b, Method::GET, "/console/api/apps", None).await;
    assert_eq!(r.body["total"], 0);
    for (method, uri, body) in [
        (Method::GET, format!("/console/api/apps/{app_id}"), None),
        (Method::DELETE, format!("/console/api/apps/{app_id}"), None),
        (Method::POST, format!("/console/api/apps/{app_id}/copy"), None),
        (Method::POST, format!("/console/api/apps/{app_id}/model-config"), Some(chat_config())),
        (Method::GET, format!("/console/api/apps/{app_id}/api-keys"), None),
        (Method::POST, format!("/console/api/apps/{app_id}/api-keys"), None),
        (Method::DELETE, format!("/console/api/apps/{app_id}/api-keys/{key_id}"), None),
        (Method::POST, format!("/console/api/apps/{app_id}/site/access-token-reset"), None),
    ] {
        let r = send(&app, &mut b, method.clone(), &uri, body).await;
        assert_error(&r, 404, "app_not_found");
    }
    // The key still works for its owner's app: nothing was touched.
    let r = send(&app, &mut admin, Method::GET, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(1));
}

#[actix_web::test]
async fn dataset_api_keys_are_ds_prefixed_and_scoped_to_the_workspace() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let tenant = current_tenant(&app, &mut admin).await;
    let profile = send(&app, &mut admin, Method::GET, "/console/api/account/profile", None).await;
    let now = kernel::time::now_naive();
    let dataset_id = Uuid::new_v4();
    entities::datasets::ActiveModel {
        id: Set(dataset_id),
        tenant_id: Set(tenant),
        name: Set("Docs".into()),
        description: Set(None),
        provider: Set("vendor".into()),
        permission: Set(entities::datasets::Permission::OnlyMe),
        data_source_type: Set(None),
        indexing_technique: Set(None),
        index_struct: Set(None),
        created_by: Set(profile.body["id"].as_str().expect("id").parse().expect("uuid")),
        created_at: Set(now),
        updated_by: Set(None),
        updated_at: Set(now),
        embedding_model: Set(None),
        embedding_model_provider: Set(None),
        collection_binding_id: Set(None),
    }
    .insert(&env.infra.db)
    .await
    .expect("dataset");

    let r = send(&app, &mut admin, Method::POST, &format!("/console/api/datasets/{dataset_id}/api-keys"), None).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let token = r.body["token"].as_str().expect("token");
    assert!(token.starts_with("ds-") && token.len() == 27, "{token}");
    assert_eq!(r.body["type"], "dataset");
    let key_id = r.body["id"].as_str().expect("id").to_string();
    let r = send(&app, &mut admin, Method::GET, &format!("/console/api/datasets/{dataset_id}/api-keys"), None).await;
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(1));
    let r =
        send(&app, &mut admin, Method::GET, &format!("/console/api/datasets/{}/api-keys", Uuid::new_v4()), None).await;
    assert_error(&r, 404, "not_found");

    // Another workspace's owner sees nothing and deletes nothing.
    seed_account(&env, "bob@example.com", "BobPass123", None).await;
    let mut b = Client::default();
    send(
        &app,
        &mut b,
        Method::POST,
        "/console/api/login",
        Some(json!({"email": "bob@example.com", "password": "BobPass123"})),
    )
    .await;
    for (method, uri) in [
        (Method::GET, format!("/console/api/datasets/{dataset_id}/api-keys")),
        (Method::POST, format!("/console/api/datasets/{dataset_id}/api-keys")),
        (Method::DELETE, format!("/console/api/datasets/{dataset_id}/api-keys/{key_id}")),
    ] {
        let r = send(&app, &mut b, method, &uri, None).await;
        assert_error(&r, 404, "not_found");
    }
    let r =
        send(&app, &mut admin, Method::DELETE, &format!("/console/api/datasets/{dataset_id}/api-keys/{key_id}"), None)
            .await;
    assert_eq!(r.status.as_u16(), 204);
    let r = send(&app, &mut admin, Method::GET, &format!("/console/api/datasets/{dataset_id}/api-keys"), None).await;
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(0));
}

#[actix_web::test]
async fn an_app_key_opens_its_app_until_deleted_or_api_disabled() {
    let (env, state) = state_with(&[]).await;
    let hot = state.hot_apps.clone();
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let tenant = current_tenant(&app, &mut admin).await;
    configure_openai(&env, tenant).await;
    let r =
        send(&app, &mut admin, Method::POST, "/console/api/apps", Some(json!({"name": "Bot", "mode": "chat"}))).await;
    let app_id = r.body["id"].as_str().expect("id").to_string();
    send(&app, &mut admin, Method::POST, &format!("/console/api/apps/{app_id}/model-config"), Some(chat_config()))
        .await;
    let r = send(&app, &mut admin, Method::POST, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    let (token, key_id) =
        (r.body["token"].as_str().expect("t").to_string(), r.body["id"].as_str().expect("id").to_string());

    let mut service = Client { cookie: None, bearer: Some(token.clone()) };
    let r = send(&app, &mut service, Method::GET, "/v1/parameters", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["opening_statement"], "Hello!");
    assert_eq!(r.body["user_input_form"][0]["text-input"]["variable"], "topic");
    assert_eq!(r.body["suggested_questions"], json!(["What can you do?"]));
    let r = send(&app, &mut admin, Method::GET, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    assert!(r.body["data"][0]["last_used_at"].is_i64(), "use is recorded: {r:?}");
    // Within the minute a request reads the key without writing its use again.
    let recent = kernel::time::now_naive() - chrono::Duration::seconds(30);
    set_last_use(&env, &token, recent).await;
    send(&app, &mut service, Method::GET, "/v1/parameters", None).await;
    let r = send(&app, &mut admin, Method::GET, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    assert_eq!(r.body["data"][0]["last_used_at"], recent.and_utc().timestamp(), "not written again: {r:?}");
    let stale = kernel::time::now_naive() - chrono::Duration::seconds(61);
    set_last_use(&env, &token, stale).await;
    // A minute on, the key row this process kept (30 s at most) is read again.
    hot.changed().await;
    send(&app, &mut service, Method::GET, "/v1/parameters", None).await;
    let r = send(&app, &mut admin, Method::GET, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    assert!(r.body["data"][0]["last_used_at"].as_i64() > Some(stale.and_utc().timestamp()), "written again: {r:?}");

    for (bearer, message) in [
        (Some(format!("{token}x")), "Access token is invalid"),
        (None, "Authorization header must be provided and start with 'Bearer'"),
    ] {
        let r = send(&app, &mut Client { cookie: None, bearer }, Method::GET, "/v1/parameters", None).await;
        assert_error(&r, 401, "unauthorized");
        assert_eq!(r.body["message"], message);
    }
    // A dataset key never opens an app.
    let mut wrong_scope = Client { cookie: None, bearer: Some(token.replacen("app-", "ds-", 1)) };
    let r = send(&app, &mut wrong_scope, Method::GET, "/v1/parameters", None).await;
    assert_error(&r, 401, "unauthorized");

    send(
        &app,
        &mut admin,
        Method::POST,
        &format!("/console/api/apps/{app_id}/api-enable"),
        Some(json!({"enable_api": false})),
    )
    .await;
    let r = send(&app, &mut service, Method::GET, "/v1/parameters", None).await;
    assert_error(&r, 404, "not_found");
    send(
        &app,
        &mut admin,
        Method::POST,
        &format!("/console/api/apps/{app_id}/api-enable"),
        Some(json!({"enable_api": true})),
    )
    .await;
    let r = send(&app, &mut service, Method::GET, "/v1/parameters", None).await;
    assert_eq!(r.status.as_u16(), 200);

    // Deleted: refused on the very next request.
    send(&app, &mut admin, Method::DELETE, &format!("/console/api/apps/{app_id}/api-keys/{key_id}"), None).await;
    let r = send(&app, &mut service, Method::GET, "/v1/parameters", None).await;
    assert_error(&r, 401, "unauthorized");
    assert_eq!(r.body["message"], "Access token is invalid");
}

#[actix_web::test]
async fn concurrent_key_creations_stop_at_ten_without_a_500() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let tenant = current_tenant(&app, &mut admin).await;
    configure_openai(&env, tenant).await;
    let r =
        send(&app, &mut admin, Method::POST, "/console/api/apps", Some(json!({"name": "Bot", "mode": "chat"}))).await;
    let uri = format!("/console/api/apps/{}/api-keys", r.body["id"].as_str().expect("id"));
    let calls = (0..15).map(|_| {
        let mut c = admin.clone();
        let (app, uri) = (&app, uri.clone());
        async move { send(app, &mut c, Method::POST, &uri, None).await.status.as_u16() }
    });
    let mut statuses = futures::future::join_all(calls).await;
    statuses.sort_unstable();
    assert_eq!(statuses, [vec![201; 10], vec![400; 5]].concat(), "the count is taken in turn");
}

/// Sets when an API key was last used, as if a request had written it then.
async fn set_last_use(env: &TestEnv, token: &str, at: chrono::NaiveDateTime) {
    use sea_orm::{ColumnTrait, QueryFilter};
    entities::api_tokens::Entity::update_many()
        .col_expr(entities::api_tokens::Column::LastUsedAt, sea_orm::sea_query::Expr::value(at))
        .filter(entities::api_tokens::Column::Token.eq(token))
        .exec(&env.infra.db)
        .await
        .expect("set last use");
}
