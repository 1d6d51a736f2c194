//! Members, invitations and activation, roles, workspace isolation, legacy Dify password
//! hashes and the operator key, through HTTP in both run modes.

mod common;

use accounts::TenantRole;
use accounts::account::status;
use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::*;
use entities::accounts as account_rows;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use test_support::TestEnv;
use uuid::Uuid;

/// A second workspace with its own owner: (owner id, workspace id).
async fn seed_workspace(env: &TestEnv, email: &str, password: &str) -> (Uuid, Uuid) {
    seed_account(env, email, password, None).await
}

fn token_from(url: &str) -> String {
    url.split("token=").nth(1).expect("token in url").split('&').next().unwrap_or_default().to_string()
}

#[actix_web::test]
async fn invite_activate_and_the_invitee_sees_the_workspace_with_its_role() {
    let (env, state) = state_with(&[("CONSOLE_WEB_URL", "http://console.test")]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;

    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/workspaces/current/members/invite-email",
        Some(json!({"emails": ["new@example.com"], "role": "owner"})),
    )
    .await;
    assert_error(&r, 400, "invalid-role");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/workspaces/current/members/invite-email",
        Some(json!({"emails": ["new@example.com", "not-an-email", ADMIN_EMAIL], "role": "normal"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let results = r.body["invitation_results"].as_array().expect("results");
    assert_eq!(results[0]["status"], "success");
    let url = results[0]["url"].as_str().expect("url");
    assert!(url.starts_with("http://console.test/activate?email=new%40example.com&token="), "{url}");
    assert_eq!(results[1]["status"], "failed");
    assert_eq!(results[2]["status"], "failed");
    assert_eq!(results[2]["message"], "Account already in tenant.");
    assert_eq!(env.infra.queue.pending("mail").await.expect("pending"), 1, "one invitation mail queued");
    let token = token_from(url);

    let r = send(&app, &mut admin, Method::GET, "/console/api/workspaces/current/members", None).await;
    let members = r.body["accounts"].as_array().expect("members").clone();
    assert_eq!(members.len(), 2);
    let invitee = members.iter().find(|m| m["email"] == "new@example.com").expect("invitee");
    assert_eq!((invitee["role"].as_str(), invitee["status"].as_str()), (Some("normal"), Some("pending")));

    let mut anon = Client::default();
    let r = send(&app, &mut anon, Method::GET, &format!("/console/api/activate/check?token={token}"), None).await;
    assert_eq!(r.body, json!({"is_valid": true, "workspace_name": "admin's Workspace"}));
    let r = send(&app, &mut anon, Method::GET, "/console/api/activate/check?token=nope", None).await;
    assert_eq!(r.body, json!({"is_valid": false, "workspace_name": null}));
    let r = send(&app, &mut anon, Method::GET, "/console/api/activate/check", None).await;
    assert_error(&r, 400, "invalid_param");

    let activation = json!({"token": token, "name": "Newbie", "password": "Welcome123", "interface_language": "zh-Hans", "timezone": "Asia/Shanghai"});
    let mut bad = activation.clone();
    bad["timezone"] = json!("Nowhere/Land");
    let r = send(&app, &mut anon, Method::POST, "/console/api/activate", Some(bad)).await;
    assert_error(&r, 400, "invalid_param");
    let r = send(&app, &mut anon, Method::POST, "/console/api/activate", Some(activation.clone())).await;
    assert_eq!(r.body, json!({"result": "success"}), "{r:?}");
    let r = send(&app, &mut anon, Method::POST, "/console/api/activate", Some(activation)).await;
    assert_error(&r, 403, "already_activate");

    let mut newbie = login(&app, "new@example.com", "Welcome123").await;
    let r = send(&app, &mut newbie, Method::GET, "/console/api/workspaces/current", None).await;
    assert_eq!((r.body["name"].as_str(), r.body["role"].as_str()), (Some("admin's Workspace"), Some("normal")));
    let r = send(&app, &mut newbie, Method::GET, "/console/api/account/profile", None).await;
    assert_eq!((r.body["name"].as_str(), r.body["interface_language"].as_str()), (Some("Newbie"), Some("zh-Hans")));

    // A normal member manages nobody.
    let newbie_id = r.body["id"].as_str().expect("id").to_string();
    let admin_id =
        members.iter().find(|m| m["email"] == ADMIN_EMAIL).expect("admin")["id"].as_str().expect("id").to_string();
    let r = send(
        &app,
        &mut newbie,
        Method::POST,
        "/console/api/workspaces/current/members/invite-email",
        Some(json!({"emails": ["x@example.com"], "role": "normal"})),
    )
    .await;
    assert_error(&r, 403, "forbidden");
    let r =
        send(&app, &mut newbie, Method::DELETE, &format!("/console/api/workspaces/current/members/{admin_id}"), None)
            .await;
    assert_error(&r, 403, "forbidden");
    let r = send(
        &app,
        &mut newbie,
        Method::PUT,
        &format!("/console/api/workspaces/current/members/{admin_id}/update-role"),
        Some(json!({"role": "normal"})),
    )
    .await;
    assert_error(&r, 403, "forbidden");

    // The owner promotes, hands over ownership, and cannot act on themselves.
    let r = send(
        &app,
        &mut admin,
        Method::PUT,
        &format!("/console/api/workspaces/current/members/{admin_id}/update-role"),
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_error(&r, 400, "invalid_param");
    let r =
        send(&app, &mut admin, Method::DELETE, &format!("/console/api/workspaces/current/members/{admin_id}"), None)
            .await;
    assert_error(&r, 400, "cannot-operate-self");
    let r = send(
        &app,
        &mut admin,
        Method::PUT,
        &format!("/console/api/workspaces/current/members/{newbie_id}/update-role"),
        Some(json!({"role": "normal"})),
    )
    .await;
    assert_error(&r, 400, "invalid_param");
    let r = send(
        &app,
        &mut admin,
        Method::PUT,
        &format!("/console/api/workspaces/current/members/{newbie_id}/update-role"),
        Some(json!({"role": "owner"})),
    )
    .await;
    assert_eq!(r.body, json!({"result": "success"}), "{r:?}");
    let r = send(&app, &mut admin, Method::GET, "/console/api/workspaces/current", None).await;
    assert_eq!(r.body["role"], "admin", "the old owner is demoted");
    // Removals sent at once: exactly one removes the member, the others find it gone.
    let uri = format!("/console/api/workspaces/current/members/{admin_id}");
    let replies = at_once(&env, &app, &newbie, Method::DELETE, &uri, 4).await;
    assert_eq!(replies.iter().map(|r| r.status.as_u16()).collect::<Vec<_>>(), [204, 404, 404, 404], "{replies:?}");
    assert!(replies[0].body.is_null(), "204 has an empty body");
    assert_error(&replies[1], 404, "member-not-found");
    let r = send(&app, &mut newbie, Method::GET, "/console/api/workspaces/current/members", None).await;
    assert_eq!(r.body["accounts"].as_array().map(Vec::len), Some(1));
}

#[actix_web::test]
async fn workspaces_are_isolated_from_each_other() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let r = send(&app, &mut admin, Method::GET, "/console/api/workspaces/current", None).await;
    let a_tenant = r.body["id"].as_str().expect("id").to_string();
    let r = send(&app, &mut admin, Method::GET, "/console/api/account/profile", None).await;
    let a_admin = r.body["id"].as_str().expect("id").to_string();
    let (b_owner, b_tenant) = seed_workspace(&env, "bob@example.com", "BobPass123").await;

    let mut bob = login(&app, "bob@example.com", "BobPass123").await;
    let r = send(&app, &mut bob, Method::GET, "/console/api/workspaces/current", None).await;
    assert_eq!((r.body["id"].as_str(), r.body["role"].as_str()), (Some(b_tenant.to_string().as_str()), Some("owner")));
    let r = send(&app, &mut bob, Method::GET, "/console/api/workspaces", None).await;
    assert_eq!(r.body["workspaces"].as_array().map(Vec::len), Some(1));
    let r = send(&app, &mut bob, Method::GET, "/console/api/workspaces/current/members", None).await;
    let emails: Vec<&Value> = r.body["accounts"].as_array().expect("list").iter().map(|m| &m["email"]).collect();
    assert_eq!(emails, vec![&json!("bob@example.com")]);

    // Workspace B's owner cannot reach into A.
    let r = send(&app, &mut bob, Method::POST, "/console/api/workspaces/switch", Some(json!({"tenant_id": a_tenant})))
        .await;
    assert_error(&r, 403, "account_not_link_tenant");
    let r =
        send(&app, &mut bob, Method::POST, "/console/api/workspaces/switch", Some(json!({"tenant_id": "not-a-uuid"})))
            .await;
    assert_error(&r, 403, "account_not_link_tenant");
    let r =
        send(&app, &mut bob, Method::DELETE, &format!("/console/api/workspaces/current/members/{a_admin}"), None).await;
    assert_error(&r, 404, "member-not-found");
    let r = send(
        &app,
        &mut bob,
        Method::PUT,
        &format!("/console/api/workspaces/current/members/{a_admin}/update-role"),
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_error(&r, 404, "member-not-found");
    // A's admin account is untouched.
    let r = send(&app, &mut admin, Method::GET, "/console/api/workspaces/current/members", None).await;
    assert_eq!(r.body["accounts"][0]["status"], "active");
    let r = send(&app, &mut admin, Method::DELETE, &format!("/console/api/workspaces/current/members/{b_owner}"), None)
        .await;
    assert_error(&r, 404, "member-not-found");

    // Once bob is also a member of A, he can switch, and the session remembers it.
    accounts::tenant::add_member(&env.infra.db, a_tenant.parse().expect("uuid"), b_owner, TenantRole::Normal, None)
        .await
        .expect("join");
    let r = send(&app, &mut bob, Method::POST, "/console/api/workspaces/switch", Some(json!({"tenant_id": a_tenant})))
        .await;
    assert_eq!(r.body["result"], "success", "{r:?}");
    assert_eq!(r.body["new_tenant"]["role"], "normal");
    let r = send(&app, &mut bob, Method::GET, "/console/api/workspaces/current", None).await;
    assert_eq!(r.body["id"].as_str(), Some(a_tenant.as_str()));
}

#[actix_web::test]
async fn a_password_hashed_by_python_dify_still_logs_in_and_is_upgraded() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;

    // Dify's scheme, computed here from its published formula:
    // base64(hex(PBKDF2-HMAC-SHA256(password, salt, 10000))), salt stored base64.
    use base64::Engine;
    use pbkdf2::pbkdf2_hmac_array;
    let salt = *b"0123456789abcdef";
    let digest = pbkdf2_hmac_array::<sha2::Sha256, 32>(b"Legacy1234", &salt, 10_000);
    let b64 = base64::engine::general_purpose::STANDARD;
    let stored_hash = b64.encode(hex::encode(digest));
    let stored_salt = b64.encode(salt);
    let row = account_rows::Entity::find()
        .filter(account_rows::Column::Email.eq(ADMIN_EMAIL))
        .one(&env.infra.db)
        .await
        .expect("q")
        .expect("admin");
    let mut m: account_rows::ActiveModel = row.into();
    m.password = Set(Some(stored_hash.clone()));
    m.password_salt = Set(Some(stored_salt));
    m.update(&env.infra.db).await.expect("update");

    let mut c = Client::default();
    let r = send(
        &app,
        &mut c,
        Method::POST,
        "/console/api/login",
        Some(json!({"email": ADMIN_EMAIL, "password": "Legacy9999"})),
    )
    .await;
    assert_error(&r, 401, "unauthorized");
    login(&app, ADMIN_EMAIL, "Legacy1234").await;
    let row = account_rows::Entity::find()
        .filter(account_rows::Column::Email.eq(ADMIN_EMAIL))
        .one(&env.infra.db)
        .await
        .expect("q")
        .expect("admin");
    assert!(row.password.as_deref().is_some_and(|p| p.starts_with("$argon2")), "legacy hash upgraded");
    login(&app, ADMIN_EMAIL, "Legacy1234").await;
}

#[actix_web::test]
async fn uninitialised_accounts_must_init_first() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let row = account_rows::Entity::find()
        .filter(account_rows::Column::Email.eq(ADMIN_EMAIL))
        .one(&env.infra.db)
        .await
        .expect("q")
        .expect("admin");
    let mut m: account_rows::ActiveModel = row.into();
    m.status = Set(status::UNINITIALIZED);
    m.update(&env.infra.db).await.expect("update");

    let r = send(&app, &mut admin, Method::GET, "/console/api/account/profile", None).await;
    assert_error(&r, 400, "account_not_initialized");
    let r =
        send(&app, &mut admin, Method::POST, "/console/api/account/init", Some(json!({"interface_language": "en-US"})))
            .await;
    assert_error(&r, 400, "invalid_param");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/account/init",
        Some(json!({"interface_language": "en-US", "timezone": "UTC"})),
    )
    .await;
    assert_eq!(r.body, json!({"result": "success"}), "{r:?}");
    let r = send(&app, &mut admin, Method::GET, "/console/api/account/profile", None).await;
    assert_eq!(r.status.as_u16(), 200);
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/account/init",
        Some(json!({"interface_language": "en-US", "timezone": "UTC"})),
    )
    .await;
    assert_error(&r, 400, "account_already_inited");
}

#[actix_web::test]
async fn operators_list_all_workspaces_with_the_admin_key_only() {
    let (env, state) = state_with(&[("ADMIN_API_KEY", "operator-key-123")]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    seed_workspace(&env, "bob@example.com", "BobPass123").await;

    let r = send(&app, &mut admin, Method::GET, "/console/api/all-workspaces", None).await;
    assert_error(&r, 401, "unauthorized");
    let mut wrong = Client { cookie: None, bearer: Some("nope".into()) };
    let r = send(&app, &mut wrong, Method::GET, "/console/api/all-workspaces", None).await;
    assert_error(&r, 401, "unauthorized");
    let mut op = Client { cookie: None, bearer: Some("operator-key-123".into()) };
    let r = send(&app, &mut op, Method::GET, "/console/api/all-workspaces?page=1&limit=1", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!((r.body["total"].as_u64(), r.body["has_more"].as_bool()), (Some(2), Some(true)));
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(1));
    let r = send(&app, &mut op, Method::GET, "/console/api/all-workspaces?limit=500", None).await;
    assert_error(&r, 400, "invalid_param");
}

#[actix_web::test]
async fn first_requests_of_an_account_without_a_workspace_make_one_workspace() {
    use entities::tenant_account_joins as joins;
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let (carol, old_tenant) = seed_workspace(&env, "carol@example.com", "CarolPass1").await;
    let carol_client = login(&app, "carol@example.com", "CarolPass1").await;
    // Removed from her only workspace, as when an owner removes a member.
    joins::Entity::delete_many().filter(joins::Column::AccountId.eq(carol)).exec(&env.infra.db).await.expect("leave");

    let replies = at_once(&env, &app, &carol_client, Method::GET, "/console/api/workspaces/current", 8).await;
    assert!(replies.iter().all(|r| r.status.as_u16() == 200), "{replies:?}");
    let ids: std::collections::BTreeSet<&str> = replies.iter().filter_map(|r| r.body["id"].as_str()).collect();
    assert_eq!(ids.len(), 1, "every request sees one new workspace: {ids:?}");
    assert_ne!(ids.first().copied(), Some(old_tenant.to_string().as_str()));
    let made =
        joins::Entity::find().filter(joins::Column::AccountId.eq(carol)).all(&env.infra.db).await.expect("joins");
    assert_eq!(made.len(), 1, "one workspace made, not one per request");
    assert_eq!(made[0].role, TenantRole::Owner);
}
