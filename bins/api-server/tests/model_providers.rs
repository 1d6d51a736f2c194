//! Model providers through HTTP in both run modes: credentials saved, validated against the
//! fake OpenAI server, encrypted at rest as Dify stores them and shown obfuscated; rows written
//! by Python Dify; per-model providers; default and valid models; roles and workspace isolation.

mod common;

use accounts::TenantRole;
use accounts::account::{NewAccount, status};
use accounts::tenant::NewTenant;
use actix_web::http::Method;
use actix_web::test;
use api_server::{AppState, app};
use common::*;
use entities::{provider_models, providers as provider_rows, tenant_default_models};
use kernel::time::now_naive;
use providers::runtime::{self, ChatMessage, CompletionParams, ModelRef};
use providers::{ModelType, ProviderError, store};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use test_support::TestEnv;
use test_support::fake_openai::{FAKE_API_KEY, FakeOpenAi};
use uuid::Uuid;

fn url(path: &str) -> String {
    format!("/console/api/workspaces/current/{path}")
}

/// An account joined to `tenant_id` with `role`.
async fn add_account(env: &TestEnv, tenant_id: Uuid, email: &str, password: &str, role: TenantRole) {
    let db = &env.infra.db;
    let hash = accounts::account::hash(password).await.expect("hash");
    let account = NewAccount {
        email,
        name: "someone",
        password: Some(hash),
        interface_language: "en-US",
        status: status::ACTIVE,
        initialized: true,
    }
    .insert(db)
    .await
    .expect("account");
    accounts::tenant::add_member(db, tenant_id, account.id, role, None).await.expect("join");
}

/// A second workspace owned by a new account.
async fn other_workspace(env: &TestEnv, email: &str, password: &str) -> Uuid {
    let tenant = NewTenant::prepare(env.infra.storage.as_ref())
        .await
        .expect("keys")
        .insert(&env.infra.db, "Other Workspace")
        .await
        .expect("tenant");
    add_account(env, tenant.id, email, password, TenantRole::Owner).await;
    tenant.id
}

fn tenant_id_of(r: &Reply) -> Uuid {
    r.body["id"].as_str().and_then(|s| s.parse().ok()).expect("workspace id")
}

/// The entry of `provider` with `provider_type` in a `model-providers` answer.
fn entry<'a>(list: &'a Value, provider: &str, provider_type: &str) -> &'a Value {
    list[provider]["providers"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["provider_type"] == provider_type))
        .unwrap_or_else(|| panic!("{provider} {provider_type} in {list}"))
}

async fn custom_row(env: &TestEnv, tenant_id: Uuid, provider: &str) -> Option<provider_rows::Model> {
    provider_rows::Entity::find()
        .filter(provider_rows::Column::TenantId.eq(tenant_id))
        .filter(provider_rows::Column::ProviderName.eq(provider))
        .filter(provider_rows::Column::ProviderType.eq("custom"))
        .one(&env.infra.db)
        .await
        .expect("query")
}

async fn credentials(
    env: &TestEnv,
    state: &AppState,
    tenant_id: Uuid,
    provider: &str,
    model: &str,
    model_type: ModelType,
) -> Result<providers::credentials::Credentials, ProviderError> {
    store::get_credentials(
        &env.infra.db,
        env.infra.storage.as_ref(),
        &state.provider_credentials,
        &state.engine.hosting,
        tenant_id,
        provider,
        model,
        model_type,
    )
    .await
    .map(|call| call.credentials)
}

#[actix_web::test]
async fn openai_credentials_are_validated_encrypted_obfuscated_and_used() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state.clone())).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let tenant_id = tenant_id_of(&send(&app, &mut admin, Method::GET, "/console/api/workspaces/current", None).await);

    // Nothing configured: every provider listed, in Dify's order, hosted quotas unusable.
    let r = send(&app, &mut admin, Method::GET, &url("model-providers"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let names: Vec<_> = r.body.as_object().expect("object").keys().cloned().collect();
    assert_eq!(names.len(), 14);
    assert_eq!(r.body["openai"]["preferred_provider_type"], "custom");
    assert_eq!(r.body["openai"]["model_flexibility"], "fixed");
    assert_eq!(r.body["azure_openai"]["model_flexibility"], "configurable");
    assert_eq!(
        entry(&r.body, "openai", "system"),
        &json!({"provider_name": "openai", "provider_type": "system", "config": null, "is_valid": false,
                "quota_type": "trial", "quota_unit": "times", "quota_limit": 200, "quota_used": 0, "last_used": null})
    );
    let anthropic: Vec<_> =
        r.body["anthropic"]["providers"].as_array().expect("entries").iter().map(|p| p["quota_type"].clone()).collect();
    assert_eq!(anthropic, [json!("paid"), json!("trial"), Value::Null]);
    assert_eq!(
        entry(&r.body, "openai", "custom"),
        &json!({"provider_name": "openai", "provider_type": "custom", "config": null, "models": [],
                "is_valid": false, "last_used": null})
    );
    // As in Dify, resolving the trial providers leaves invalid placeholder rows.
    let placeholder = custom_row(&env, tenant_id, "openai").await.expect("placeholder");
    assert!(!placeholder.is_valid && placeholder.encrypted_config.is_none());

    // A bad key: the provider's message, and saving it is refused.
    let bad = json!({"config": {"openai_api_key": "sk-wrong-key-123456", "openai_api_base": fake.base_url()}});
    let r = send(&app, &mut admin, Method::POST, &url("model-providers/openai/validate"), Some(bad.clone())).await;
    assert_eq!(r.body["result"], "error", "{r:?}");
    assert!(r.body["error"].as_str().is_some_and(|e| e.starts_with("Incorrect API key provided")), "{r:?}");
    let r = send(&app, &mut admin, Method::POST, &url("model-providers/openai"), Some(bad)).await;
    assert_error(&r, 400, "invalid_param");
    assert!(r.body["message"].as_str().is_some_and(|m| m.starts_with("Incorrect API key provided")), "{r:?}");

    let good = json!({"config": {"openai_api_key": FAKE_API_KEY, "openai_api_base": fake.base_url()}});
    let r = send(&app, &mut admin, Method::POST, &url("model-providers/openai/validate"), Some(good.clone())).await;
    assert_eq!(r.body, json!({"result": "success"}));
    let r = send(&app, &mut admin, Method::POST, &url("model-providers/openai"), Some(good)).await;
    assert_eq!((r.status.as_u16(), &r.body), (201, &json!({"result": "success"})));

    // Listed as configured, the key obfuscated and never in clear.
    let r = send(&app, &mut admin, Method::GET, &url("model-providers"), None).await;
    let custom = entry(&r.body, "openai", "custom");
    assert_eq!(custom["is_valid"], true);
    assert_eq!(custom["config"]["openai_api_key"], kernel::crypto::obfuscate(FAKE_API_KEY));
    assert_eq!(custom["config"]["openai_api_base"], fake.base_url());
    assert_eq!(custom["config"]["openai_organization"], Value::Null);
    assert!(!r.body.to_string().contains(FAKE_API_KEY));
    let r = send(&app, &mut admin, Method::GET, &url("providers"), None).await;
    let legacy = r.body.as_array().expect("list");
    let openai = legacy.iter().find(|p| p["provider_name"] == "openai" && p["provider_type"] == "custom").expect("row");
    assert_eq!(
        openai,
        &json!({"provider_name": "openai", "provider_type": "custom", "is_valid": true, "last_used": null,
                "is_enabled": true, "token": kernel::crypto::obfuscate(FAKE_API_KEY)})
    );
    let trial = legacy.iter().find(|p| p["provider_name"] == "openai" && p["provider_type"] == "system").expect("row");
    assert_eq!(
        (&trial["quota_type"], &trial["quota_limit"], &trial["token"]),
        (&json!("trial"), &json!(200), &Value::Null)
    );

    // At rest: Dify's JSON, the key as hybrid ciphertext that the workspace's private key opens.
    let row = custom_row(&env, tenant_id, "openai").await.expect("row");
    assert!(row.is_valid);
    assert_eq!(row.quota_type, Some(entities::providers::QuotaType::NotHosted));
    let stored = row.encrypted_config.expect("config");
    assert!(!stored.contains(FAKE_API_KEY), "{stored}");
    let stored: Value = serde_json::from_str(&stored).expect("json");
    assert_eq!(stored["openai_api_base"], fake.base_url());
    let private = accounts::keys::load_private(env.infra.storage.as_ref(), tenant_id).await.expect("key");
    let cipher = stored["openai_api_key"].as_str().expect("cipher");
    assert_eq!(kernel::crypto::decrypt(cipher, &private).expect("decrypt"), FAKE_API_KEY);

    // The runtime's callers get the key in clear, decrypted once per cache lifetime.
    let before = state.provider_credentials.decryptions();
    let creds = credentials(&env, &state, tenant_id, "openai", "gpt-3.5-turbo", ModelType::TextGeneration)
        .await
        .expect("credentials");
    assert_eq!(creds["openai_api_key"], FAKE_API_KEY);
    for _ in 0..5 {
        credentials(&env, &state, tenant_id, "openai", "gpt-4", ModelType::TextGeneration).await.expect("again");
    }
    assert!(state.provider_credentials.decryptions() - before <= 1, "decrypted once at most");
    let answer = runtime::generate(
        &state.http,
        &ModelRef::new("openai", "gpt-3.5-turbo", creds),
        &[ChatMessage::user("hello world")],
        &CompletionParams::default(),
    )
    .await
    .expect("answer");
    assert_eq!(answer.text, "Echo: hello world");

    // Valid models, parameter rules and the default model.
    let r = send(&app, &mut admin, Method::GET, &url("models/model-type/text-generation"), None).await;
    let models: Vec<_> = r.body.as_array().expect("list").iter().map(|m| m["model_name"].clone()).collect();
    assert_eq!(
        models,
        ["gpt-3.5-turbo", "gpt-3.5-turbo-instruct", "gpt-3.5-turbo-16k", "gpt-4", "gpt-4-32k", "text-davinci-003"]
    );
    assert_eq!(
        r.body[0],
        json!({"model_name": "gpt-3.5-turbo", "model_display_name": "gpt-3.5-turbo", "model_type": "text-generation",
               "model_provider": {"provider_name": "openai", "provider_type": "custom"}, "features": ["agent_thought"]})
    );
    assert_eq!(r.body[1]["model_display_name"], "GPT-3.5-Turbo-Instruct");
    assert_eq!(r.body[1]["features"], json!([]));
    let r = send(&app, &mut admin, Method::GET, &url("models/model-type/embeddings"), None).await;
    assert_eq!(r.body[0]["model_name"], "text-embedding-ada-002");
    let r = send(&app, &mut admin, Method::GET, &url("models/model-type/image"), None).await;
    assert_eq!(r.body, json!([]));
    let r = send(&app, &mut admin, Method::GET, &url("models/model-type/bogus"), None).await;
    assert_error(&r, 400, "invalid_param");

    let r = send(
        &app,
        &mut admin,
        Method::GET,
        &url("model-providers/openai/models/parameter-rules?model_name=gpt-4"),
        None,
    )
    .await;
    assert_eq!(r.body["max_tokens"], json!({"enabled": true, "min": 10, "max": 8192, "default": 16, "precision": 0}));
    assert_eq!(r.body["temperature"], json!({"enabled": true, "min": 0.0, "max": 2.0, "default": 1.0, "precision": 2}));
    let r = send(
        &app,
        &mut admin,
        Method::GET,
        &url("model-providers/anthropic/models/parameter-rules?model_name=claude-2"),
        None,
    )
    .await;
    assert_eq!(r.body["max_tokens"]["enabled"], false, "anthropic is not configured: {r:?}");

    let r = send(&app, &mut admin, Method::GET, &url("default-model?model_type=text-generation"), None).await;
    assert_eq!(
        r.body,
        json!({"model_name": "gpt-3.5-turbo", "model_type": "text-generation",
               "model_provider": {"provider_name": "openai", "provider_type": "custom"}})
    );
    let stored_defaults = tenant_default_models::Entity::find()
        .filter(tenant_default_models::Column::TenantId.eq(tenant_id))
        .all(&env.infra.db)
        .await
        .expect("defaults");
    assert_eq!(stored_defaults.len(), 1, "the auto-picked default is stored");
    let set = |model: &str, provider: &str| json!({"model_name": model, "model_type": "text-generation", "provider_name": provider});
    let r = send(&app, &mut admin, Method::POST, &url("default-model"), Some(set("gpt-4", "openai"))).await;
    assert_eq!(r.body, json!({"result": "success"}));
    let r = send(&app, &mut admin, Method::GET, &url("default-model?model_type=text-generation"), None).await;
    assert_eq!(r.body["model_name"], "gpt-4");
    let r = send(&app, &mut admin, Method::POST, &url("default-model"), Some(set("gpt-9", "openai"))).await;
    assert_error(&r, 400, "invalid_param");
    let r = send(&app, &mut admin, Method::POST, &url("default-model"), Some(set("gpt-4", "nope"))).await;
    assert_error(&r, 400, "invalid_param");
    let r = send(&app, &mut admin, Method::POST, &url("default-model"), Some(set("claude-2", "anthropic"))).await;
    assert_error(&r, 400, "provider_not_initialize");
    let r = send(&app, &mut admin, Method::GET, &url("default-model?model_type=speech2text"), None).await;
    assert_eq!(r.body["model_name"], "whisper-1");
    let r = send(&app, &mut admin, Method::GET, &url("default-model?model_type=moderation"), None).await;
    assert_error(&r, 400, "invalid_param");
    let r = send(&app, &mut admin, Method::GET, &url("default-model"), None).await;
    assert_error(&r, 400, "invalid_param");

    // Deleting removes the credentials everywhere.
    let r = send(&app, &mut admin, Method::DELETE, &url("model-providers/openai"), None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    let r = send(&app, &mut admin, Method::GET, &url("model-providers"), None).await;
    assert_eq!(entry(&r.body, "openai", "custom")["is_valid"], false);
    assert_eq!(entry(&r.body, "openai", "custom")["config"], Value::Null);
    let r = send(&app, &mut admin, Method::GET, &url("models/model-type/text-generation"), None).await;
    assert_eq!(r.body, json!([]));
    let r = send(&app, &mut admin, Method::GET, &url("default-model?model_type=text-generation"), None).await;
    assert_eq!(
        r.body,
        json!({"model_name": "gpt-4", "model_type": "text-generation",
                              "model_provider": {"provider_name": "openai"}})
    );
    let err =
        credentials(&env, &state, tenant_id, "openai", "gpt-4", ModelType::TextGeneration).await.expect_err("gone");
    assert_eq!(err, ProviderError::NotInitialized("Model gpt-4 provider credentials is not initialized.".into()));
}

#[actix_web::test]
async fn rows_written_by_python_dify_decrypt_and_show_obfuscated() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state.clone())).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let tenant_id = tenant_id_of(&send(&app, &mut admin, Method::GET, "/console/api/workspaces/current", None).await);
    let public = entities::tenants::Entity::find_by_id(tenant_id)
        .one(&env.infra.db)
        .await
        .expect("query")
        .and_then(|t| t.encrypt_public_key)
        .expect("public key");

    // As Python Dify writes them: json.dumps of the config with the secret encrypted
    // (`rsa.encrypt` + base64), and Dify's oldest OpenAI form, the encrypted key alone.
    let anthropic_key = "sk-ant-written-by-python-0123456789";
    let anthropic_cipher = kernel::crypto::encrypt(anthropic_key, &public).expect("encrypt");
    let openai_key = "sk-legacy-openai-key-abcdefghijkl";
    let azure_key = "azure-key-0123456789abcdef";
    let rows = [
        ("anthropic", Some(format!(r#"{{"anthropic_api_key": "{anthropic_cipher}", "anthropic_api_url": null}}"#))),
        ("openai", Some(kernel::crypto::encrypt(openai_key, &public).expect("encrypt"))),
        ("azure_openai", None),
    ];
    for (provider, config) in rows {
        let now = now_naive();
        provider_rows::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(tenant_id),
            provider_name: Set(provider.into()),
            provider_type: Set(entities::providers::ProviderType::Custom),
            encrypted_config: Set(config),
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
    let azure_cipher = kernel::crypto::encrypt(azure_key, &public).expect("encrypt");
    let now = now_naive();
    provider_models::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        provider_name: Set("azure_openai".into()),
        model_name: Set("my-gpt35".into()),
        model_type: Set(entities::kinds::ModelType::TextGeneration),
        encrypted_config: Set(Some(format!(
            r#"{{"openai_api_base": "https://example.openai.azure.com", "openai_api_key": "{azure_cipher}", "base_model_name": "gpt-35-turbo", "extra": 1}}"#
        ))),
        is_valid: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&env.infra.db)
    .await
    .expect("model row");

    let r = send(&app, &mut admin, Method::GET, &url("model-providers"), None).await;
    assert_eq!(
        entry(&r.body, "anthropic", "custom")["config"],
        json!({"anthropic_api_key": kernel::crypto::obfuscate(anthropic_key), "anthropic_api_url": null})
    );
    assert_eq!(
        entry(&r.body, "openai", "custom")["config"],
        json!({"openai_api_key": kernel::crypto::obfuscate(openai_key), "openai_api_base": null, "openai_organization": null})
    );
    let azure = entry(&r.body, "azure_openai", "custom");
    assert_eq!((&azure["is_valid"], &azure["config"]), (&json!(true), &Value::Null));
    assert_eq!(
        azure["models"],
        json!([{"model_name": "my-gpt35", "model_type": "text-generation", "is_valid": true,
                "config": {"openai_api_base": "https://example.openai.azure.com",
                           "openai_api_key": kernel::crypto::obfuscate(azure_key), "base_model_name": "gpt-35-turbo"}}])
    );
    let text = r.body.to_string();
    assert!(!text.contains(anthropic_key) && !text.contains(openai_key) && !text.contains(azure_key));

    let creds = credentials(&env, &state, tenant_id, "anthropic", "claude-2", ModelType::TextGeneration).await;
    assert_eq!(creds.expect("anthropic")["anthropic_api_key"], anthropic_key);
    let creds = credentials(&env, &state, tenant_id, "openai", "gpt-4", ModelType::TextGeneration).await;
    assert_eq!(creds.expect("openai")["openai_api_key"], openai_key);
    let creds = credentials(&env, &state, tenant_id, "azure_openai", "my-gpt35", ModelType::TextGeneration).await;
    assert_eq!(creds.expect("azure")["openai_api_key"], azure_key);
    let err = credentials(&env, &state, tenant_id, "azure_openai", "other", ModelType::TextGeneration).await;
    assert_eq!(
        err.expect_err("unknown deployment"),
        ProviderError::BadRequest("The model other does not exist. Please check the configuration.".into())
    );

    // The Azure deployment is listed with Dify's agent feature and its base model's limits.
    let r = send(&app, &mut admin, Method::GET, &url("models/model-type/text-generation"), None).await;
    let azure: Vec<_> = r
        .body
        .as_array()
        .expect("list")
        .iter()
        .filter(|m| m["model_provider"]["provider_name"] == "azure_openai")
        .collect();
    assert_eq!(azure.len(), 1);
    assert_eq!((&azure[0]["model_name"], &azure[0]["features"]), (&json!("my-gpt35"), &json!(["agent_thought"])));
    let rules = url("model-providers/azure_openai/models/parameter-rules?model_name=my-gpt35");
    let r = send(&app, &mut admin, Method::GET, &rules, None).await;
    assert_eq!(r.body["max_tokens"]["max"], 4096, "{r:?}");
    let rules = url("model-providers/azure_openai/models/parameter-rules?model_name=missing");
    let r = send(&app, &mut admin, Method::GET, &rules, None).await;
    assert_error(&r, 400, "provider_not_initialize");
    assert_eq!(r.body["message"], "Current Text Generation Model is invalid. Please switch to the available model.");
}

#[actix_web::test]
async fn per_model_providers_save_list_and_delete_models() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start_open().await;
    let app = test::init_service(app(state.clone())).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let tenant_id = tenant_id_of(&send(&app, &mut admin, Method::GET, "/console/api/workspaces/current", None).await);

    let config = json!({"server_url": fake.base_url(), "completion_type": "chat_completion"});
    let r =
        send(&app, &mut admin, Method::POST, &url("model-providers/localai/validate"), Some(json!({"config": config})))
            .await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["message"], "Only support fixed model provider");

    let body = json!({"model_name": "llama-2", "model_type": "text-generation", "config": config});
    let r =
        send(&app, &mut admin, Method::POST, &url("model-providers/localai/models/validate"), Some(body.clone())).await;
    assert_eq!(r.body, json!({"result": "success"}), "{r:?}");
    let mut bad = body.clone();
    bad["config"]["completion_type"] = json!("whatever");
    let r = send(&app, &mut admin, Method::POST, &url("model-providers/localai/models/validate"), Some(bad)).await;
    assert_eq!(r.body, json!({"result": "error", "error": "LocalAI Completion Type must be provided."}));
    let mut wrong_type = body.clone();
    wrong_type["model_type"] = json!("moderation");
    let r = send(&app, &mut admin, Method::POST, &url("model-providers/localai/models"), Some(wrong_type)).await;
    assert_error(&r, 400, "invalid_param");

    let r = send(&app, &mut admin, Method::POST, &url("model-providers/localai/models"), Some(body)).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"result": "success"})));
    let r = send(&app, &mut admin, Method::GET, &url("model-providers"), None).await;
    let localai = entry(&r.body, "localai", "custom");
    assert_eq!(localai["is_valid"], true);
    assert_eq!(
        localai["models"],
        json!([{"model_name": "llama-2", "model_type": "text-generation", "is_valid": true,
                "config": {"server_url": kernel::crypto::obfuscate(&fake.base_url()), "completion_type": "chat_completion"}}])
    );
    // Dify encrypts LocalAI's server URL too.
    let row = provider_models::Entity::find()
        .filter(provider_models::Column::TenantId.eq(tenant_id))
        .one(&env.infra.db)
        .await
        .expect("query")
        .expect("row");
    assert!(!row.encrypted_config.as_deref().unwrap_or_default().contains(&fake.base_url()));
    let creds = credentials(&env, &state, tenant_id, "localai", "llama-2", ModelType::TextGeneration).await;
    assert_eq!(creds.expect("creds")["server_url"], fake.base_url());

    let r = send(&app, &mut admin, Method::GET, &url("models/model-type/text-generation"), None).await;
    assert_eq!(
        r.body,
        json!([{"model_name": "llama-2", "model_display_name": "llama-2", "model_type": "text-generation",
                "model_provider": {"provider_name": "localai", "provider_type": "custom"}, "features": []}])
    );
    let r = send(&app, &mut admin, Method::GET, &url("default-model?model_type=text-generation"), None).await;
    assert_eq!(r.body["model_provider"], json!({"provider_name": "localai", "provider_type": "custom"}));
    let r = send(&app, &mut admin, Method::GET, &url("default-model?model_type=embeddings"), None).await;
    assert_eq!(r.body, Value::Null, "no embedding model configured");
    let r = send(
        &app,
        &mut admin,
        Method::GET,
        &url("model-providers/localai/models/parameter-rules?model_name=any"),
        None,
    )
    .await;
    assert_eq!(r.body["max_tokens"]["max"], 4097);

    let delete = url("model-providers/localai/models?model_name=llama-2&model_type=text-generation");
    let r = send(&app, &mut admin, Method::DELETE, &delete, None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    let r = send(&app, &mut admin, Method::GET, &url("models/model-type/text-generation"), None).await;
    assert_eq!(r.body, json!([]));
    let r =
        send(&app, &mut admin, Method::DELETE, &url("model-providers/localai/models?model_name=llama-2"), None).await;
    assert_error(&r, 400, "invalid_param");
}

#[actix_web::test]
async fn members_cannot_change_providers_and_workspaces_are_isolated() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state.clone())).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let tenant_a = tenant_id_of(&send(&app, &mut admin, Method::GET, "/console/api/workspaces/current", None).await);
    let good = json!({"config": {"openai_api_key": FAKE_API_KEY, "openai_api_base": fake.base_url()}});
    let r = send(&app, &mut admin, Method::POST, &url("model-providers/openai"), Some(good.clone())).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let r = send(&app, &mut admin, Method::GET, &url("default-model?model_type=text-generation"), None).await;
    assert_eq!(r.body["model_name"], "gpt-3.5-turbo");

    add_account(&env, tenant_a, "member@example.com", "Member1234", TenantRole::Normal).await;
    let mut member = login(&app, "member@example.com", "Member1234").await;
    let r = send(&app, &mut member, Method::GET, &url("model-providers"), None).await;
    assert_eq!(entry(&r.body, "openai", "custom")["is_valid"], true, "members read");
    let local = json!({"model_name": "m", "model_type": "text-generation", "config": {"server_url": fake.base_url()}});
    let writes = [
        (Method::POST, url("model-providers/openai"), Some(good.clone())),
        (Method::DELETE, url("model-providers/openai"), None),
        (Method::POST, url("model-providers/localai/models"), Some(local)),
        (Method::DELETE, url("model-providers/localai/models?model_name=m&model_type=text-generation"), None),
        (
            Method::POST,
            url("model-providers/openai/preferred-provider-type"),
            Some(json!({"preferred_provider_type": "custom"})),
        ),
        (Method::POST, url("providers/openai/token"), Some(json!({"token": FAKE_API_KEY}))),
    ];
    for (method, path, body) in writes {
        let r = send(&app, &mut member, method.clone(), &path, body).await;
        assert_error(&r, 403, "forbidden");
    }
    assert!(custom_row(&env, tenant_a, "openai").await.expect("row").is_valid, "still configured");

    // Workspace B sees none of A's settings, and A's are untouched by B.
    let tenant_b = other_workspace(&env, "bob@example.com", "Bobpass123").await;
    let mut bob = login(&app, "bob@example.com", "Bobpass123").await;
    let r = send(&app, &mut bob, Method::GET, "/console/api/workspaces/current", None).await;
    assert_eq!(tenant_id_of(&r), tenant_b);
    let r = send(&app, &mut bob, Method::GET, &url("model-providers"), None).await;
    assert_eq!(
        entry(&r.body, "openai", "custom"),
        &json!({"provider_name": "openai", "provider_type": "custom",
        "config": null, "models": [], "is_valid": false, "last_used": null})
    );
    let r = send(&app, &mut bob, Method::GET, &url("providers"), None).await;
    assert!(r.body.as_array().expect("list").iter().all(|p| p["token"].is_null() && p["is_valid"] == false), "{r:?}");
    let r = send(&app, &mut bob, Method::GET, &url("models/model-type/text-generation"), None).await;
    assert_eq!(r.body, json!([]));
    let r = send(&app, &mut bob, Method::GET, &url("default-model?model_type=text-generation"), None).await;
    assert_eq!(r.body, Value::Null);
    let set = json!({"model_name": "gpt-4", "model_type": "text-generation", "provider_name": "openai"});
    let r = send(&app, &mut bob, Method::POST, &url("default-model"), Some(set)).await;
    assert_error(&r, 400, "provider_not_initialize");
    let err = credentials(&env, &state, tenant_b, "openai", "gpt-4", ModelType::TextGeneration).await;
    assert!(matches!(err, Err(ProviderError::NotInitialized(_))), "{err:?}");
    let r = send(&app, &mut bob, Method::DELETE, &url("model-providers/openai"), None).await;
    assert_eq!(r.status.as_u16(), 204);

    let r = send(&app, &mut admin, Method::GET, &url("model-providers"), None).await;
    assert_eq!(entry(&r.body, "openai", "custom")["is_valid"], true, "B's delete left A alone");
    let r = send(&app, &mut admin, Method::GET, &url("default-model?model_type=text-generation"), None).await;
    assert_eq!(r.body["model_name"], "gpt-3.5-turbo");
    let creds = credentials(&env, &state, tenant_a, "openai", "gpt-4", ModelType::TextGeneration).await;
    assert_eq!(creds.expect("A's credentials")["openai_api_key"], FAKE_API_KEY);
}

#[actix_web::test]
async fn legacy_routes_unsupported_providers_and_cloud_only_routes() {
    let (_env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;

    // Listed like Dify, but dify-rs cannot call them: their credentials are refused.
    let minimax = json!({"config": {"minimax_group_id": "g", "minimax_api_key": "k"}});
    let r = send(&app, &mut admin, Method::POST, &url("model-providers/minimax/validate"), Some(minimax.clone())).await;
    assert_eq!(r.body, json!({"result": "error", "error": "provider minimax is not supported by dify-rs yet"}));
    let r = send(&app, &mut admin, Method::POST, &url("model-providers/minimax"), Some(minimax)).await;
    assert_error(&r, 400, "invalid_param");
    let r =
        send(&app, &mut admin, Method::POST, &url("model-providers/nope/validate"), Some(json!({"config": {}}))).await;
    assert_error(&r, 400, "invalid_param");
    let r = send(&app, &mut admin, Method::POST, &url("model-providers/openai/validate"), Some(json!({"config": "x"})))
        .await;
    assert_error(&r, 400, "invalid_param");
    let r = send(&app, &mut admin, Method::POST, &url("model-providers/openai/validate"), Some(json!({}))).await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["params"], "config");

    // Without hosted providers, the preferred type does not change (a SELF_HOSTED Dify's no-op).
    let pref = url("model-providers/openai/preferred-provider-type");
    let r = send(&app, &mut admin, Method::POST, &pref, Some(json!({"preferred_provider_type": "system"}))).await;
    assert_eq!(r.body, json!({"result": "success"}));
    let r = send(&app, &mut admin, Method::GET, &url("model-providers"), None).await;
    assert_eq!(r.body["openai"]["preferred_provider_type"], "custom");
    let r = send(&app, &mut admin, Method::POST, &pref, Some(json!({"preferred_provider_type": "other"}))).await;
    assert_error(&r, 400, "invalid_param");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        &url("model-providers/tongyi/preferred-provider-type"),
        Some(json!({"preferred_provider_type": "system"})),
    )
    .await;
    assert_error(&r, 400, "invalid_param");

    // Legacy token routes: OpenAI's key as a plain string, other providers' config objects.
    let r =
        send(&app, &mut admin, Method::POST, &url("providers/openai/token"), Some(json!({"token": {"a": 1}}))).await;
    assert_error(&r, 400, "invalid_param");
    let r =
        send(&app, &mut admin, Method::POST, &url("providers/anthropic/token-validate"), Some(json!({"token": "k"})))
            .await;
    assert_error(&r, 400, "invalid_param");
    let token = |key: &str| json!({"token": {"anthropic_api_key": key, "anthropic_api_url": fake.base_url()}});
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        &url("providers/anthropic/token-validate"),
        Some(token("sk-ant-bad-0123")),
    )
    .await;
    assert_eq!(r.body["result"], "error", "{r:?}");
    assert!(r.body["error"].as_str().is_some_and(|e| !e.is_empty()), "{r:?}");
    let r = send(&app, &mut admin, Method::POST, &url("providers/anthropic/token-validate"), Some(token(FAKE_API_KEY)))
        .await;
    assert_eq!(r.body, json!({"result": "success"}), "{r:?}");
    let r = send(&app, &mut admin, Method::POST, &url("providers/anthropic/token"), Some(token(FAKE_API_KEY))).await;
    assert_eq!((r.status.as_u16(), &r.body), (201, &json!({"result": "success"})));
    let r = send(&app, &mut admin, Method::GET, &url("providers"), None).await;
    let legacy = r.body.as_array().expect("list");
    assert_eq!(legacy.len(), 14 + 6, "one custom row per provider, plus 6 hosted quotas");
    let anthropic =
        legacy.iter().find(|p| p["provider_name"] == "anthropic" && p["provider_type"] == "custom").expect("row");
    assert_eq!(anthropic["is_enabled"], true);
    assert_eq!(
        anthropic["token"],
        json!({"anthropic_api_key": kernel::crypto::obfuscate(FAKE_API_KEY), "anthropic_api_url": fake.base_url()})
    );
    let r = send(&app, &mut admin, Method::GET, &url("models/model-type/text-generation"), None).await;
    let names: Vec<_> = r.body.as_array().expect("list").iter().map(|m| m["model_name"].clone()).collect();
    assert_eq!(names, ["claude-instant-1", "claude-2"]);
    drop(fake);

    // Cloud-only routes, answered as on a self-hosted install.
    let r = send(&app, &mut admin, Method::GET, &url("model-providers/anthropic/checkout-url"), None).await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["message"], "provider name anthropic not support payment");
    let r = send(&app, &mut admin, Method::POST, &url("model-providers/minimax/free-quota-submit"), None).await;
    assert_error(&r, 404, "not_found");
    let r = send(
        &app,
        &mut admin,
        Method::GET,
        &url("model-providers/spark/free-quota-qualification-verify?token=t"),
        None,
    )
    .await;
    assert_error(&r, 404, "not_found");
    let r = send(&app, &mut admin, Method::GET, &url("model-providers/openai/models/parameter-rules"), None).await;
    assert_error(&r, 400, "invalid_param");

    let mut anon = Client::default();
    let r = send(&app, &mut anon, Method::GET, &url("model-providers"), None).await;
    assert_error(&r, 401, "unauthorized");
}

#[actix_web::test]
async fn malformed_bodies_on_provider_routes_never_reach_a_500() {
    use actix_web::http::header;
    use actix_web::test::TestRequest;

    let (_env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let cookie = format!("session={}", admin.cookie.clone().expect("cookie"));
    let routes = [
        "model-providers/openai/validate",
        "model-providers/openai",
        "model-providers/localai/models/validate",
        "model-providers/localai/models",
        "model-providers/openai/preferred-provider-type",
        "default-model",
        "providers/openai/token",
        "providers/openai/token-validate",
    ];
    let huge = format!(r#"{{"model_name":"{}","config":"{}"}}"#, "m".repeat(1 << 20), "c".repeat(1000));
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("not json", b"{not json".to_vec()),
        ("array", b"[1,2,3]".to_vec()),
        ("null", b"null".to_vec()),
        ("empty", Vec::new()),
        (
            "wrong types",
            br#"{"config":[1],"model_name":5,"model_type":true,"provider_name":{},"token":1.5,"preferred_provider_type":[]}"#
                .to_vec(),
        ),
        ("deep nesting", format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes()),
        ("invalid utf-8", vec![b'{', b'"', b'c', 0xff, 0xfe, b'"', b':', b'1', b'}']),
        ("huge strings", huge.into_bytes()),
    ];
    for route in routes {
        for (what, body) in &bodies {
            let req = TestRequest::default()
                .method(Method::POST)
                .uri(&url(route))
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .insert_header((header::COOKIE, cookie.clone()))
                .set_payload(body.clone())
                .to_request();
            let resp = test::call_service(&app, req).await;
            let status = resp.status().as_u16();
            let bytes = test::read_body(resp).await;
            assert!(
                (400..500).contains(&status),
                "{route} with {what}: {status} {:?}",
                String::from_utf8_lossy(&bytes)
            );
            let json: Value =
                serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("{route} with {what}: not JSON"));
            assert!(json["code"].is_string() && json["message"].is_string(), "{route} with {what}: {json}");
        }
    }
    let r = send(&app, &mut admin, Method::GET, &url("model-providers"), None).await;
    assert_eq!(entry(&r.body, "openai", "custom")["is_valid"], false, "nothing was saved");
    assert_eq!(entry(&r.body, "localai", "custom")["models"], json!([]));
}
