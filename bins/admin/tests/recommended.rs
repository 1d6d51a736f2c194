//! `add-recommended-app` as an operator runs it: the real binary against a prepared
//! database, checked through the entities, in both run modes.

mod common;

use std::process::Output;

use common::{ok, run_admin, text};

use entities::{apps, recommended_apps, sites};
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, JsonValue, QueryFilter, Set};
use test_support::TestEnv;
use uuid::Uuid;

async fn admin(env: &TestEnv, args: &[&str]) -> Output {
    run_admin(env, args, None, &[]).await
}

fn refused(o: &Output, message: &str) {
    assert!(!o.status.success(), "admin succeeded:\n{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(err.contains(message), "expected {message:?} in stderr:\n{err}");
}

/// A private chat app with a site that has a copyright but no description.
async fn seed_app(env: &TestEnv) -> Uuid {
    let db = &env.infra.db;
    let now = now_naive();
    let id = Uuid::new_v4();
    apps::ActiveModel {
        id: Set(id),
        tenant_id: Set(Uuid::new_v4()),
        name: Set("Translator".into()),
        mode: Set(entities::apps::AppMode::Chat),
        icon: Set(None),
        icon_background: Set(None),
        app_model_config_id: Set(None),
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
    sites::ActiveModel {
        id: Set(Uuid::new_v4()),
        app_id: Set(id),
        title: Set("Translator".into()),
        icon: Set(None),
        icon_background: Set(None),
        description: Set(None),
        default_language: Set("en-US".into()),
        copyright: Set(Some("ACME".into())),
        privacy_policy: Set(None),
        customize_domain: Set(None),
        customize_token_strategy: Set("not_allow".into()),
        prompt_public: Set(false),
        status: Set(entities::kinds::RowStatus::Normal),
        created_at: Set(now),
        updated_at: Set(now),
        code: Set(Some("abcdefgh12345678".into())),
    }
    .insert(db)
    .await
    .expect("site");
    id
}

async fn listings(env: &TestEnv, app_id: Uuid) -> Vec<recommended_apps::Model> {
    recommended_apps::Entity::find()
        .filter(recommended_apps::Column::AppId.eq(app_id))
        .all(&env.infra.db)
        .await
        .expect("query")
}

async fn is_public(env: &TestEnv, app_id: Uuid) -> bool {
    apps::Entity::find_by_id(app_id).one(&env.infra.db).await.expect("query").expect("app").is_public
}

#[tokio::test]
async fn add_recommended_app_lists_the_app_then_updates_its_listing() {
    let env = TestEnv::new().await;
    let id = seed_app(&env).await;
    let app_id = id.to_string();

    let out = ok(&admin(
        &env,
        &[
            "add-recommended-app",
            "--app-id",
            &app_id,
            "--category",
            "Writing",
            "--position",
            "2",
            "--desc",
            "Translates",
        ],
    )
    .await);
    assert!(out.contains(&format!("App 'Translator' ({app_id}) added to the explore catalogue")), "{out}");
    assert!(out.contains("language en-US, category 'Writing', position 2"), "{out}");
    let rows = listings(&env, id).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.description, JsonValue::String("Translates".into()), "the site has no description");
    assert_eq!((row.copyright.as_str(), row.privacy_policy.as_str()), ("ACME", ""), "the site's copyright wins");
    assert_eq!((row.language.as_str(), row.category.as_str(), row.position), ("en-US", "Writing", 2));
    assert!(row.is_listed);
    assert_eq!(row.install_count, 0);
    assert!(is_public(&env, id).await);

    // Again with other options: the same row, updated; defaults for what is left out.
    let out =
        ok(&admin(&env, &["add-recommended-app", "--app-id", &app_id, "--language", "zh-Hans", "--position", "-1"])
            .await);
    assert!(out.contains("updated in the explore catalogue"), "{out}");
    let rows = listings(&env, id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].language.as_str(), rows[0].category.as_str(), rows[0].position), ("zh-Hans", "Other", -1));
    assert_eq!(rows[0].description, JsonValue::String(String::new()));
}

#[tokio::test]
async fn add_recommended_app_refuses_unknown_apps_and_bad_options() {
    let env = TestEnv::new().await;
    let id = seed_app(&env).await;
    let unknown = Uuid::new_v4().to_string();

    refused(
        &admin(&env, &["add-recommended-app", "--app-id", &unknown]).await,
        &format!("App '{unknown}' is not found"),
    );
    refused(&admin(&env, &["add-recommended-app", "--app-id", "not-a-uuid"]).await, "--app-id");
    refused(&admin(&env, &["add-recommended-app"]).await, "--app-id");
    let app_id = id.to_string();
    refused(&admin(&env, &["add-recommended-app", "--app-id", &app_id, "--language", "fr-FR"]).await, "fr-FR");
    refused(&admin(&env, &["add-recommended-app", "--app-id", &app_id, "--position", "first"]).await, "--position");
    let long = "x".repeat(256);
    refused(&admin(&env, &["add-recommended-app", "--app-id", &app_id, "--category", &long]).await, "category");
    refused(&admin(&env, &["add-recommended-app", "--app-id", &app_id, "--category", " "]).await, "category");
    assert!(listings(&env, id).await.is_empty(), "nothing was listed");
    assert!(!is_public(&env, id).await);
}
