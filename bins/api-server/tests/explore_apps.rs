//! Explore and installed apps through HTTP in both run modes: the catalogue per language,
//! listing and unlisting by owners and by the operators' admin routes, installing, pinning
//! and uninstalling, roles, and workspace isolation.

mod common;

use accounts::TenantRole;
use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::*;
use entities::{app_model_configs, apps, installed_apps, recommended_apps, sites};
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};
use test_support::TestEnv;
use uuid::Uuid;

/// An app as `POST /apps` leaves it: the app, its model config, its site (with `site_desc`)
/// and the owner workspace's installed-app entry. Not public, not listed.
async fn seed_app(env: &TestEnv, tenant_id: Uuid, name: &str, site_desc: Option<&str>) -> Uuid {
    let db = &env.infra.db;
    let now = now_naive();
    let app_id = Uuid::new_v4();
    let config_id = Uuid::new_v4();
    apps::ActiveModel {
        id: Set(app_id),
        tenant_id: Set(tenant_id),
        name: Set(name.into()),
        mode: Set(entities::apps::AppMode::Chat),
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
        suggested_questions_after_answer: Set(None),
        more_like_this: Set(Some(json!({"enabled": true}).to_string())),
        model: Set(Some(
            json!({"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": {"max_tokens": 512}})
                .to_string(),
        )),
        user_input_form: Set(Some(json!([{"text-input": {"label": "Topic", "variable": "topic"}}]).to_string())),
        pre_prompt: Set(Some("You help with {{topic}}.".into())),
        agent_mode: Set(None),
        speech_to_text: Set(None),
        sensitive_word_avoidance: Set(None),
        retriever_resource: Set(None),
    }
    .insert(db)
    .await
    .expect("config");
    sites::ActiveModel {
        id: Set(Uuid::new_v4()),
        app_id: Set(app_id),
        title: Set(name.into()),
        icon: Set(None),
        icon_background: Set(None),
        description: Set(site_desc.map(str::to_string)),
        default_language: Set("en-US".into()),
        copyright: Set(Some("ACME".into())),
        privacy_policy: Set(None),
        customize_domain: Set(None),
        customize_token_strategy: Set("not_allow".into()),
        prompt_public: Set(false),
        status: Set(entities::kinds::RowStatus::Normal),
        created_at: Set(now),
        updated_at: Set(now),
        code: Set(Some(Uuid::new_v4().simple().to_string()[..16].to_string())),
    }
    .insert(db)
    .await
    .expect("site");
    installed_apps::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        app_id: Set(app_id),
        app_owner_tenant_id: Set(tenant_id),
        position: Set(0),
        is_pinned: Set(false),
        last_used_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .expect("owner entry");
    app_id
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

async fn app_row(env: &TestEnv, id: Uuid) -> apps::Model {
    apps::Entity::find_by_id(id).one(&env.infra.db).await.expect("q").expect("app")
}

async fn catalogue_row(env: &TestEnv, app_id: Uuid) -> Option<recommended_apps::Model> {
    recommended_apps::Entity::find()
        .filter(recommended_apps::Column::AppId.eq(app_id))
        .one(&env.infra.db)
        .await
        .expect("q")
}

async fn installs_of(env: &TestEnv, app_id: Uuid) -> u64 {
    installed_apps::Entity::find()
        .filter(installed_apps::Column::AppId.eq(app_id))
        .count(&env.infra.db)
        .await
        .expect("count")
}

fn ids(list: &Value, key: &str, field: &str) -> Vec<String> {
    list[key].as_array().expect("list").iter().map(|i| i[field].as_str().expect("id").to_string()).collect()
}

#[actix_web::test]
async fn owners_list_apps_and_other_workspaces_install_pin_and_uninstall_them() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let a = current_tenant(&app, &mut admin).await;
    let x = seed_app(&env, a, "Translator", Some("Translates anything")).await;
    let z = seed_app(&env, a, "Interviewer", None).await;
    seed_account(&env, "bob@example.com", "BobPass123", None).await;
    let mut bob = login(&app, "bob@example.com", "BobPass123").await;

    // The owner lists X: created, then updated in place; the site's texts win.
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        &format!("/console/api/explore/apps/{x}"),
        Some(json!({"category": "Writing", "position": 2, "desc": "ignored", "privacy_policy": "https://p.test"})),
    )
    .await;
    assert_eq!((r.status.as_u16(), &r.body), (201, &json!({"result": "success"})), "{r:?}");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        &format!("/console/api/explore/apps/{x}"),
        Some(json!({"category": "Writing", "position": "1"})),
    )
    .await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"result": "success"})), "{r:?}");
    let row = catalogue_row(&env, x).await.expect("listed");
    assert_eq!((row.description.clone(), row.copyright.as_str()), (json!("Translates anything"), "ACME"));
    assert_eq!((row.category.as_str(), row.position, row.language.as_str()), ("Writing", 1, "en-US"));
    assert_eq!(row.privacy_policy, "", "the update had no privacy policy and the site has none");
    assert!(app_row(&env, x).await.is_public);
    // Defaults: the account's language, category "Other", position 0; the desc arg is used
    // when the site has none.
    let r =
        send(&app, &mut admin, Method::POST, &format!("/console/api/explore/apps/{z}"), Some(json!({"desc": "Asks"})))
            .await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let row = catalogue_row(&env, z).await.expect("listed");
    assert_eq!((row.category.as_str(), row.position, row.description.clone()), ("Other", 0, json!("Asks")));

    // The catalogue, seen from A (owner of both apps) and from B.
    let r = send(&app, &mut admin, Method::GET, "/console/api/explore/apps", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["categories"], json!(["Other", "Writing"]), "in position order");
    let items = r.body["recommended_apps"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[1],
        json!({
            "app": {"id": x, "name": "Translator", "mode": "chat", "icon": "🤖", "icon_background": "#FFEAD5"},
            "app_id": x,
            "description": "Translates anything",
            "copyright": "ACME",
            "privacy_policy": null,
            "category": "Writing",
            "position": 1,
            "is_listed": true,
            "install_count": 0,
            "installed": true,
            "editable": true,
        })
    );
    assert_eq!(items[0]["description"], Value::Null, "description comes from the site");
    let r = send(&app, &mut bob, Method::GET, "/console/api/explore/apps", None).await;
    let items = r.body["recommended_apps"].as_array().expect("items");
    assert!(items.iter().all(|i| i["installed"] == false && i["editable"] == true), "{items:?}");

    // Detail: the app and the explore subset of its configuration.
    let r = send(&app, &mut bob, Method::GET, &format!("/console/api/explore/apps/{x}"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(
        (r.body["id"].as_str(), r.body["name"].as_str(), r.body["mode"].as_str()),
        (Some(&*x.to_string()), Some("Translator"), Some("chat"))
    );
    let config = r.body["app_model_config"].as_object().expect("config");
    let mut keys: Vec<&str> = config.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "agent_mode",
            "model",
            "more_like_this",
            "opening_statement",
            "pre_prompt",
            "suggested_questions",
            "suggested_questions_after_answer",
            "user_input_form"
        ]
    );
    assert_eq!(config["suggested_questions"], json!(["What can you do?"]));
    assert_eq!(config["suggested_questions_after_answer"], json!({"enabled": false}));
    assert_eq!(config["agent_mode"], json!({"enabled": false, "strategy": null, "tools": []}));
    assert_eq!(config["model"]["name"], "gpt-3.5-turbo");
    let r = send(&app, &mut bob, Method::GET, &format!("/console/api/explore/apps/{}", Uuid::new_v4()), None).await;
    assert_error(&r, 404, "app_not_found");

    // B installs X twice (counted once), then Z.
    let r = send(&app, &mut bob, Method::GET, "/console/api/installed-apps", None).await;
    assert_eq!(r.body, json!({"installed_apps": []}));
    for _ in 0..2 {
        let r = send(&app, &mut bob, Method::POST, "/console/api/installed-apps", Some(json!({"app_id": x}))).await;
        assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"message": "App installed successfully"})), "{r:?}");
    }
    assert_eq!(catalogue_row(&env, x).await.expect("row").install_count, 1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = send(&app, &mut bob, Method::POST, "/console/api/installed-apps", Some(json!({"app_id": z}))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let r = send(&app, &mut bob, Method::GET, "/console/api/explore/apps", None).await;
    let xi = r.body["recommended_apps"].as_array().expect("items").iter().find(|i| i["app_id"] == json!(x)).cloned();
    assert_eq!(xi.as_ref().map(|i| (&i["installed"], &i["install_count"])), Some((&json!(true), &json!(1))));

    let r = send(&app, &mut bob, Method::GET, "/console/api/installed-apps", None).await;
    let list = r.body["installed_apps"].as_array().expect("list").clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["app"]["id"], json!(x), "least recently used first");
    assert_eq!(list[0]["app_owner_tenant_id"], json!(a));
    assert_eq!(
        (&list[0]["is_pinned"], &list[0]["editable"], &list[0]["uninstallable"]),
        (&json!(false), &json!(true), &json!(false))
    );
    assert!(list[0]["last_used_at"].is_i64(), "{list:?}");
    let (bx, bz) = (list[0]["id"].as_str().expect("id").to_string(), list[1]["id"].as_str().expect("id").to_string());

    // Pinning moves Z first; a bad value is refused; leaving it out changes nothing.
    let r = send(
        &app,
        &mut bob,
        Method::PATCH,
        &format!("/console/api/installed-apps/{bz}"),
        Some(json!({"is_pinned": true})),
    )
    .await;
    assert_eq!(r.body, json!({"result": "success", "message": "App info updated successfully"}), "{r:?}");
    let r = send(
        &app,
        &mut bob,
        Method::PATCH,
        &format!("/console/api/installed-apps/{bz}"),
        Some(json!({"is_pinned": "maybe"})),
    )
    .await;
    assert_error(&r, 400, "invalid_param");
    let r = send(&app, &mut bob, Method::PATCH, &format!("/console/api/installed-apps/{bz}"), Some(json!({}))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let r = send(&app, &mut bob, Method::GET, "/console/api/installed-apps", None).await;
    assert_eq!(ids(&r.body, "installed_apps", "id"), vec![bz.clone(), bx.clone()]);
    assert_eq!(r.body["installed_apps"][0]["is_pinned"], true);
    let r = send(
        &app,
        &mut bob,
        Method::PATCH,
        &format!("/console/api/installed-apps/{bz}"),
        Some(json!({"is_pinned": "false"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let r = send(&app, &mut bob, Method::GET, "/console/api/installed-apps", None).await;
    assert_eq!(ids(&r.body, "installed_apps", "id"), vec![bx.clone(), bz.clone()]);

    // A sees its own entries, never-used first, and cannot uninstall them.
    let r = send(&app, &mut admin, Method::GET, "/console/api/installed-apps", None).await;
    let own = r.body["installed_apps"].as_array().expect("list").clone();
    assert_eq!(own.len(), 2);
    assert!(own.iter().all(|i| i["uninstallable"] == true && i["last_used_at"].is_null()), "{own:?}");
    let ax = own.iter().find(|i| i["app"]["id"] == json!(x)).expect("x")["id"].as_str().expect("id").to_string();
    let r = send(&app, &mut admin, Method::DELETE, &format!("/console/api/installed-apps/{ax}"), None).await;
    assert_error(&r, 400, "bad_request");
    assert_eq!(r.body["message"], "You can't uninstall an app owned by the current tenant");

    // Neither workspace reaches the other's entries or apps.
    for (method, body) in [(Method::PATCH, Some(json!({"is_pinned": true}))), (Method::DELETE, None)] {
        let r =
            send(&app, &mut admin, method.clone(), &format!("/console/api/installed-apps/{bx}"), body.clone()).await;
        assert_error(&r, 404, "not_found");
        let r = send(&app, &mut bob, method, &format!("/console/api/installed-apps/{ax}"), body).await;
        assert_error(&r, 404, "not_found");
    }
    let r = send(&app, &mut bob, Method::POST, &format!("/console/api/explore/apps/{x}"), Some(json!({}))).await;
    assert_error(&r, 404, "app_not_found");
    let r = send(&app, &mut bob, Method::DELETE, &format!("/console/api/explore/apps/{x}"), None).await;
    assert_error(&r, 404, "app_not_found");
    assert!(catalogue_row(&env, x).await.is_some());
    let r = send(&app, &mut admin, Method::GET, "/console/api/installed-apps", None).await;
    assert_eq!(r.body["installed_apps"].as_array().map(Vec::len), Some(2), "B's installs are not A's");

    // B uninstalls X, four times at once: exactly one succeeds, the others find it gone.
    let uri = format!("/console/api/installed-apps/{bx}");
    let replies = at_once(&env, &app, &bob, Method::DELETE, &uri, 4).await;
    let r = &replies[0];
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (200, &json!({"result": "success", "message": "App uninstalled successfully"})),
        "{r:?}"
    );
    for r in &replies[1..] {
        assert_error(r, 404, "not_found");
    }
    let r = send(&app, &mut bob, Method::GET, "/console/api/installed-apps", None).await;
    assert_eq!(ids(&r.body, "installed_apps", "id"), vec![bz.clone()]);

    // The owner unlists Z: not public, gone from the catalogue and from B, kept by A.
    let r = send(&app, &mut admin, Method::DELETE, &format!("/console/api/explore/apps/{z}"), None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    assert!(r.body.is_null());
    assert!(!app_row(&env, z).await.is_public);
    assert!(catalogue_row(&env, z).await.is_none());
    assert_eq!(installs_of(&env, z).await, 1, "only the owner's entry is left");
    let r = send(&app, &mut bob, Method::GET, "/console/api/installed-apps", None).await;
    assert_eq!(r.body, json!({"installed_apps": []}));
    let r = send(&app, &mut bob, Method::GET, "/console/api/explore/apps", None).await;
    assert_eq!(ids(&r.body, "recommended_apps", "app_id"), vec![x.to_string()]);
    assert_eq!(r.body["categories"], json!(["Writing"]));
    let r = send(&app, &mut bob, Method::GET, &format!("/console/api/explore/apps/{z}"), None).await;
    assert_error(&r, 404, "app_not_found");
    let r = send(&app, &mut bob, Method::POST, "/console/api/installed-apps", Some(json!({"app_id": z}))).await;
    assert_error(&r, 404, "not_found");
    let r = send(&app, &mut admin, Method::DELETE, &format!("/console/api/explore/apps/{z}"), None).await;
    assert_eq!(r.status.as_u16(), 204, "unlisting twice is fine");
}

#[actix_web::test]
async fn the_catalogue_follows_the_interface_language_and_only_public_apps_install() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let a = current_tenant(&app, &mut admin).await;
    let en = seed_app(&env, a, "English", Some("en")).await;
    let zh = seed_app(&env, a, "中文", Some("zh")).await;
    seed_account(&env, "bob@example.com", "BobPass123", None).await;
    let mut bob = login(&app, "bob@example.com", "BobPass123").await;

    let r = send(
        &app,
        &mut admin,
        Method::POST,
        &format!("/console/api/explore/apps/{zh}"),
        Some(json!({"language": "fr-FR"})),
    )
    .await;
    assert_error(&r, 400, "invalid_param");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        &format!("/console/api/explore/apps/{zh}"),
        Some(json!({"position": "first"})),
    )
    .await;
    assert_error(&r, 400, "invalid_param");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        &format!("/console/api/explore/apps/{zh}"),
        Some(json!({"category": "x".repeat(256)})),
    )
    .await;
    assert_error(&r, 400, "invalid_param");
    assert!(catalogue_row(&env, zh).await.is_none() && !app_row(&env, zh).await.is_public, "refusals change nothing");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        &format!("/console/api/explore/apps/{zh}"),
        Some(json!({"language": "zh-Hans", "category": "助手"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        &format!("/console/api/explore/apps/{en}"),
        Some(json!({"category": "Assistant"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");

    let r = send(&app, &mut bob, Method::GET, "/console/api/explore/apps", None).await;
    assert_eq!(ids(&r.body, "recommended_apps", "app_id"), vec![en.to_string()]);
    assert_eq!(r.body["categories"], json!(["Assistant"]));
    let r = send(
        &app,
        &mut bob,
        Method::POST,
        "/console/api/account/interface-language",
        Some(json!({"interface_language": "zh-Hans"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let r = send(&app, &mut bob, Method::GET, "/console/api/explore/apps", None).await;
    assert_eq!(ids(&r.body, "recommended_apps", "app_id"), vec![zh.to_string()]);
    assert_eq!(r.body["categories"], json!(["助手"]));

    // An app made private again is hidden and cannot be installed.
    let mut m: apps::ActiveModel = app_row(&env, zh).await.into();
    m.is_public = Set(false);
    m.update(&env.infra.db).await.expect("update");
    let r = send(&app, &mut bob, Method::GET, "/console/api/explore/apps", None).await;
    assert_eq!(r.body, json!({"recommended_apps": [], "categories": []}));
    let r = send(&app, &mut bob, Method::GET, &format!("/console/api/explore/apps/{zh}"), None).await;
    assert_error(&r, 404, "app_not_found");
    let r = send(&app, &mut bob, Method::POST, "/console/api/installed-apps", Some(json!({"app_id": zh}))).await;
    assert_error(&r, 403, "forbidden");
    assert_eq!(r.body["message"], "You can't install a non-public app");
    assert_eq!(installs_of(&env, zh).await, 1);
    assert_eq!(catalogue_row(&env, zh).await.expect("row").install_count, 0);

    // A listed app without a site is left out of the list (its detail still shows).
    sites::Entity::delete_many().filter(sites::Column::AppId.eq(en)).exec(&env.infra.db).await.expect("delete site");
    let r = send(&app, &mut admin, Method::GET, "/console/api/explore/apps", None).await;
    assert_eq!(r.body["recommended_apps"], json!([]));
    let r = send(&app, &mut admin, Method::GET, &format!("/console/api/explore/apps/{en}"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");

    // Apps outside the catalogue, unknown ids and missing ids.
    let other = seed_app(&env, a, "Unlisted", None).await;
    let r = send(&app, &mut bob, Method::POST, "/console/api/installed-apps", Some(json!({"app_id": other}))).await;
    assert_error(&r, 404, "not_found");
    let r = send(&app, &mut bob, Method::POST, "/console/api/installed-apps", Some(json!({"app_id": "nope"}))).await;
    assert_error(&r, 404, "not_found");
    let r = send(&app, &mut bob, Method::POST, "/console/api/installed-apps", Some(json!({}))).await;
    assert_error(&r, 400, "invalid_param");
    let r = send(&app, &mut bob, Method::GET, "/console/api/installed-apps", None).await;
    assert_eq!(r.body, json!({"installed_apps": []}));
}

#[actix_web::test]
async fn normal_members_browse_and_install_but_do_not_list() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let a = current_tenant(&app, &mut admin).await;
    let x = seed_app(&env, a, "Translator", Some("Translates")).await;
    seed_account(&env, "member@example.com", "Member123", Some((a, TenantRole::Normal))).await;
    let mut member = login(&app, "member@example.com", "Member123").await;

    let r = send(&app, &mut member, Method::POST, &format!("/console/api/explore/apps/{x}"), Some(json!({}))).await;
    assert_error(&r, 403, "forbidden");
    assert!(catalogue_row(&env, x).await.is_none() && !app_row(&env, x).await.is_public);
    let r = send(&app, &mut admin, Method::POST, &format!("/console/api/explore/apps/{x}"), Some(json!({}))).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let r = send(&app, &mut member, Method::DELETE, &format!("/console/api/explore/apps/{x}"), None).await;
    assert_error(&r, 403, "forbidden");
    assert!(catalogue_row(&env, x).await.is_some() && app_row(&env, x).await.is_public);

    let r = send(&app, &mut member, Method::GET, "/console/api/explore/apps", None).await;
    assert_eq!(r.body["recommended_apps"][0]["editable"], false, "{r:?}");
    assert_eq!(r.body["recommended_apps"][0]["installed"], true, "the workspace owns it");
    let r = send(&app, &mut member, Method::POST, "/console/api/installed-apps", Some(json!({"app_id": x}))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(catalogue_row(&env, x).await.expect("row").install_count, 0, "already installed in the workspace");
    let r = send(&app, &mut member, Method::GET, "/console/api/installed-apps", None).await;
    let list = r.body["installed_apps"].as_array().expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!((&list[0]["editable"], &list[0]["uninstallable"]), (&json!(false), &json!(true)));
    let r = send(&app, &mut admin, Method::GET, "/console/api/installed-apps", None).await;
    assert_eq!(r.body["installed_apps"][0]["editable"], true);
}

#[actix_web::test]
async fn admin_routes_are_cloud_only() {
    let (env, state) = state_with(&[("ADMIN_API_KEY", "k")]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let a = current_tenant(&app, &mut admin).await;
    let x = seed_app(&env, a, "Translator", None).await;
    let mut operator = Client { cookie: None, bearer: Some("k".into()) };
    let body = json!({"app_id": x, "language": "en-US", "category": "Writing", "position": 1});
    let r = send(&app, &mut operator, Method::POST, "/console/api/admin/insert-explore-apps", Some(body)).await;
    assert_error(&r, 404, "not_found");
    let r =
        send(&app, &mut operator, Method::DELETE, &format!("/console/api/admin/insert-explore-apps/{x}"), None).await;
    assert_error(&r, 404, "not_found");
    assert!(catalogue_row(&env, x).await.is_none());
}

/// Stripe's webhook: a self-hosted instance has no payments. Before setup it answers
/// `not_setup`, then 404 as Dify's `only_edition_cloud`; the CLOUD edition's payments are not
/// built (501).
#[actix_web::test]
async fn the_stripe_webhook_answers_as_self_hosted_dify() {
    let (_env, state) = state_with(&[]).await;
    let hosted = test::init_service(app(state)).await;
    let mut stripe = Client::default();
    let uri = "/console/api/webhook/stripe";
    let r = send(&hosted, &mut stripe, Method::POST, uri, Some(json!({"type": "checkout.session.completed"}))).await;
    assert_error(&r, 401, "not_setup");
    let mut admin = Client::default();
    send(&hosted, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let r = send(&hosted, &mut stripe, Method::POST, uri, Some(json!({"type": "checkout.session.completed"}))).await;
    assert_error(&r, 404, "not_found");

    let (env, state) = state_with(&[("EDITION", "CLOUD")]).await;
    let cloud = test::init_service(app(state)).await;
    accounts::setup::run(&env.infra.db, env.infra.storage.as_ref(), ADMIN_EMAIL, "admin", ADMIN_PASSWORD)
        .await
        .expect("account");
    let r = send(&cloud, &mut stripe, Method::POST, uri, Some(json!({}))).await;
    assert_error(&r, 501, "not_implemented");
}

#[actix_web::test]
async fn admin_routes_need_the_key_then_list_and_unlist_any_app() {
    let (env, state) = state_with(&[("EDITION", "CLOUD"), ("ADMIN_API_KEY", "k")]).await;
    let app = test::init_service(app(state)).await;
    accounts::setup::run(&env.infra.db, env.infra.storage.as_ref(), ADMIN_EMAIL, "admin", ADMIN_PASSWORD)
        .await
        .expect("account");
    let mut user = login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let a = current_tenant(&app, &mut user).await;
    let x = seed_app(&env, a, "Translator", Some("From the site")).await;
    seed_account(&env, "bob@example.com", "BobPass123", None).await;
    let mut bob = login(&app, "bob@example.com", "BobPass123").await;
    let uri = "/console/api/admin/insert-explore-apps";
    let body = json!({"app_id": x, "desc": "From the operator", "privacy_policy": "https://p.test", "language": "en-US", "category": "Writing", "position": 3});

    let mut anon = Client::default();
    let r = send(&app, &mut anon, Method::POST, uri, Some(body.clone())).await;
    assert_eq!(
        (r.status.as_u16(), r.body["message"].as_str()),
        (401, Some("Authorization header is missing.")),
        "{r:?}"
    );
    for token in ["wrong", "k2"] {
        let mut c = Client { cookie: None, bearer: Some(token.into()) };
        let r = send(&app, &mut c, Method::POST, uri, Some(body.clone())).await;
        assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (401, Some("API key is invalid.")), "{r:?}");
    }
    // A session is not the admin key.
    let r = send(&app, &mut user, Method::POST, uri, Some(body.clone())).await;
    assert_error(&r, 401, "unauthorized");
    assert!(catalogue_row(&env, x).await.is_none());

    let mut operator = Client { cookie: None, bearer: Some("k".into()) };
    for missing in ["app_id", "language", "category", "position"] {
        let mut partial = body.clone();
        partial.as_object_mut().expect("object").remove(missing);
        let r = send(&app, &mut operator, Method::POST, uri, Some(partial)).await;
        assert_error(&r, 400, "invalid_param");
    }
    let mut bad = body.clone();
    bad["language"] = json!("de-DE");
    let r = send(&app, &mut operator, Method::POST, uri, Some(bad)).await;
    assert_error(&r, 400, "invalid_param");
    let unknown = Uuid::new_v4();
    let mut other = body.clone();
    other["app_id"] = json!(unknown);
    let r = send(&app, &mut operator, Method::POST, uri, Some(other)).await;
    assert_error(&r, 404, "not_found");
    assert_eq!(r.body["message"], format!("App '{unknown}' is not found"));

    let r = send(&app, &mut operator, Method::POST, uri, Some(body.clone())).await;
    assert_eq!((r.status.as_u16(), &r.body), (201, &json!({"result": "success"})), "{r:?}");
    let r = send(&app, &mut operator, Method::POST, uri, Some(body.clone())).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"result": "success"})), "{r:?}");
    let row = catalogue_row(&env, x).await.expect("row");
    assert_eq!(
        (row.description.clone(), row.copyright.as_str(), row.privacy_policy.as_str()),
        (json!("From the site"), "ACME", "https://p.test")
    );
    assert_eq!((row.category.as_str(), row.position), ("Writing", 3));
    assert!(app_row(&env, x).await.is_public);

    // CLOUD users see it and install it.
    let r = send(&app, &mut bob, Method::GET, "/console/api/explore/apps", None).await;
    assert_eq!(ids(&r.body, "recommended_apps", "app_id"), vec![x.to_string()], "{r:?}");
    let r = send(&app, &mut bob, Method::POST, "/console/api/installed-apps", Some(json!({"app_id": x}))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(installs_of(&env, x).await, 2);

    // Unlisting removes the row, B's install, and the public flag; the owner keeps its entry.
    let del = format!("{uri}/{x}");
    let r = send(&app, &mut anon, Method::DELETE, &del, None).await;
    assert_eq!(r.status.as_u16(), 401, "{r:?}");
    let r = send(&app, &mut operator, Method::DELETE, &del, None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    assert!(catalogue_row(&env, x).await.is_none());
    assert!(!app_row(&env, x).await.is_public);
    let left =
        installed_apps::Entity::find().filter(installed_apps::Column::AppId.eq(x)).all(&env.infra.db).await.expect("q");
    assert_eq!(left.iter().map(|i| i.tenant_id).collect::<Vec<_>>(), vec![a]);
    let r = send(&app, &mut operator, Method::DELETE, &del, None).await;
    assert_eq!(r.status.as_u16(), 204, "an unlisted app is fine too");
}

#[actix_web::test]
async fn a_missing_admin_key_closes_the_admin_routes() {
    let (_env, state) = state_with(&[("EDITION", "CLOUD")]).await;
    let app = test::init_service(app(state)).await;
    let mut c = Client { cookie: None, bearer: Some("anything".into()) };
    let body = json!({"app_id": Uuid::new_v4(), "language": "en-US", "category": "C", "position": 0});
    let r = send(&app, &mut c, Method::POST, "/console/api/admin/insert-explore-apps", Some(body)).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (401, Some("API key is invalid.")), "{r:?}");
    let r =
        send(&app, &mut c, Method::DELETE, &format!("/console/api/admin/insert-explore-apps/{}", Uuid::new_v4()), None)
            .await;
    assert_eq!(r.status.as_u16(), 401, "{r:?}");
}
