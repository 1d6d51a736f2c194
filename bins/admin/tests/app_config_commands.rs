//! `update-app-model-configs` (and Dify's `update_app_model_configs`) as an operator runs it:
//! the real binary on a seeded database, checked through the entities.

mod common;

use common::{ok, run_admin};
use entities::apps::AppMode;
use entities::{accounts as account_rows, app_model_configs, apps, tenant_account_joins as joins};
use kernel::time::now_naive;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use test_support::TestEnv;
use uuid::Uuid;

/// An app of `mode` in `tenant` whose current config has this prompt and form.
async fn app(env: &TestEnv, tenant: Uuid, mode: AppMode, pre_prompt: Option<&str>, form: Value) -> Uuid {
    let db = &env.infra.db;
    let (app_id, config_id) = (Uuid::new_v4(), Uuid::new_v4());
    let now = now_naive();
    apps::ActiveModel {
        id: Set(app_id),
        tenant_id: Set(tenant),
        name: Set("old app".into()),
        mode: Set(mode),
        icon: Set(None),
        icon_background: Set(None),
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
    let mut config =
        json!({"model": {"provider": "openai", "name": "gpt-3.5-turbo-instruct", "completion_params": {}}});
    if let Some(p) = pre_prompt {
        config["pre_prompt"] = json!(p);
    }
    if !form.is_null() {
        config["user_input_form"] = form;
    }
    ::apps::model_config::new_row(config_id, app_id, &config).insert(db).await.expect("config");
    config_id
}

async fn config(env: &TestEnv, id: Uuid) -> (Option<String>, Value) {
    let row = app_model_configs::Entity::find_by_id(id).one(&env.infra.db).await.expect("query").expect("config");
    let form = row.user_input_form.as_deref().map_or(Value::Null, |f| serde_json::from_str(f).expect("json form"));
    (row.pre_prompt, form)
}

#[tokio::test]
async fn old_completion_apps_get_the_paragraph_variable_once() {
    let env = TestEnv::new().await;
    let db = &env.infra.db;
    let owner = accounts::setup::run(&db.clone(), env.infra.storage.as_ref(), "owner@example.com", "Owner", "Passw0rd")
        .await
        .expect("setup");
    account_rows::Entity::update_many()
        .col_expr(account_rows::Column::InterfaceLanguage, Expr::value("zh-Hans"))
        .filter(account_rows::Column::Id.eq(owner.id))
        .exec(db)
        .await
        .expect("language");
    let tenant = joins::Entity::find()
        .filter(joins::Column::AccountId.eq(owner.id))
        .one(db)
        .await
        .expect("query")
        .expect("membership")
        .tenant_id;
    let topic = json!([{"text-input": {"label": "Topic", "variable": "topic", "required": true}}]);
    let old = app(&env, tenant, AppMode::Completion, Some("Write about {{topic}}. "), topic.clone()).await;
    let bare = app(&env, tenant, AppMode::Completion, None, Value::Null).await;
    let done = app(&env, tenant, AppMode::Completion, Some("{{default_input}}"), json!([])).await;
    let chat = app(&env, tenant, AppMode::Chat, Some("You chat."), json!([])).await;
    let orphan = app(&env, Uuid::new_v4(), AppMode::Completion, Some("No owner."), json!([])).await;

    let out = ok(&run_admin(&env, &["update-app-model-configs", "--batch-size", "2"], None, &[]).await);
    assert!(out.contains("[2/2] Successfully migrated batch 2 (2 records)."), "{out}");
    assert!(out.contains("Migrated 2 of 4 configs (1 already had the variable, 1 have no owner)."), "{out}");
    let paragraph =
        json!({"paragraph": {"label": "查询内容", "variable": "default_input", "required": false, "default": ""}});
    let mut with_paragraph = topic.as_array().cloned().expect("list");
    with_paragraph.push(paragraph.clone());
    assert_eq!(
        config(&env, old).await,
        (Some("Write about {{topic}}. {{default_input}}".into()), Value::Array(with_paragraph.clone()))
    );
    assert_eq!(config(&env, bare).await, (Some("{{default_input}}".into()), json!([paragraph])));
    assert_eq!(config(&env, done).await, (Some("{{default_input}}".into()), json!([])));
    assert_eq!(config(&env, chat).await, (Some("You chat.".into()), json!([])));
    assert_eq!(config(&env, orphan).await, (Some("No owner.".into()), json!([])));

    // Dify's spelling, a second time: nothing is appended twice.
    let out = ok(&run_admin(&env, &["update_app_model_configs"], None, &[]).await);
    assert!(out.contains("Migrated 0 of 4 configs (3 already had the variable, 1 have no owner)."), "{out}");
    assert_eq!(config(&env, old).await.1, Value::Array(with_paragraph));

    let refused = run_admin(&env, &["update-app-model-configs", "--batch-size", "0"], None, &[]).await;
    assert!(!refused.status.success());
}
