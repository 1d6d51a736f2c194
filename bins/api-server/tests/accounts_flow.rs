//! Setup, login sessions (cookie and token), profile, workspaces, members, invitations and
//! activation, end to end through HTTP, in both run modes.

mod common;

use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::*;
use serde_json::json;

#[actix_web::test]
async fn setup_login_profile_workspace_and_logout() {
    let (_env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut anon = Client::default();

    let r = send(&app, &mut anon, Method::GET, "/console/api/setup", None).await;
    assert_eq!(r.body, json!({"step": "not_start"}));
    let r = send(&app, &mut anon, Method::GET, "/console/api/account/profile", None).await;
    assert_error(&r, 401, "not_setup");
    let r = send(
        &app,
        &mut anon,
        Method::POST,
        "/console/api/login",
        Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
    )
    .await;
    assert_error(&r, 401, "not_setup");

    // Bad input: 400 naming the field, and nothing written.
    for (body, param) in [
        (json!({"email": "nope", "name": "admin", "password": ADMIN_PASSWORD}), "email"),
        (json!({"email": ADMIN_EMAIL, "name": "admin", "password": "short"}), "password"),
        (json!({"email": ADMIN_EMAIL, "name": "x".repeat(31), "password": ADMIN_PASSWORD}), "name"),
        (json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}), "name"),
        (json!({"email": 5, "name": "admin", "password": ADMIN_PASSWORD}), "email"),
    ] {
        let r = send(&app, &mut anon, Method::POST, "/console/api/setup", Some(body)).await;
        assert_error(&r, 400, "invalid_param");
        assert_eq!(r.body["params"], param, "{r:?}");
    }
    let r = send(&app, &mut anon, Method::GET, "/console/api/setup", None).await;
    assert_eq!(r.body["step"], "not_start");

    let mut admin = Client::default();
    let r = send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    assert_eq!(r.body, json!({"result": "success"}));
    assert!(admin.cookie.is_some(), "setup signs the admin in");
    let r = send(&app, &mut anon, Method::POST, "/console/api/setup", Some(setup_body())).await;
    assert_error(&r, 403, "already_setup");
    let r = send(&app, &mut anon, Method::GET, "/console/api/setup", None).await;
    assert_eq!(r.body["step"], "finished");
    assert!(r.body["setup_at"].as_str().is_some_and(|s| s.contains('T')), "{r:?}");

    // Same answer for an unknown email and a wrong password.
    let wrong = send(
        &app,
        &mut anon,
        Method::POST,
        "/console/api/login",
        Some(json!({"email": ADMIN_EMAIL, "password": "Wrong1234"})),
    )
    .await;
    let unknown = send(
        &app,
        &mut anon,
        Method::POST,
        "/console/api/login",
        Some(json!({"email": "who@example.com", "password": "Wrong1234"})),
    )
    .await;
    assert_error(&wrong, 401, "unauthorized");
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.body["message"], "Invalid email or password");

    let mut cookie_user = Client::default();
    let r = send(
        &app,
        &mut cookie_user,
        Method::POST,
        "/console/api/login",
        Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "remember_me": true})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["result"], "success");
    let token = r.body["data"].as_str().expect("token").to_string();
    assert!(cookie_user.cookie.is_some());

    let r = send(&app, &mut cookie_user, Method::GET, "/console/api/account/profile", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["email"], ADMIN_EMAIL);
    assert_eq!(r.body["name"], "admin");
    assert_eq!(r.body["is_password_set"], true);
    assert_eq!(r.body["interface_language"], "en-US");
    assert_eq!(r.body["last_login_ip"], "10.0.0.1");
    assert!(r.body["created_at"].is_i64());
    assert!(r.body.get("password").is_none() && r.body.get("password_salt").is_none());

    let mut token_user = Client { cookie: None, bearer: Some(token.clone()) };
    let r = send(&app, &mut token_user, Method::GET, "/console/api/workspaces/current", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["role"], "owner");
    assert_eq!(r.body["name"], "admin's Workspace");
    assert_eq!(r.body["plan"], "basic");
    assert_eq!(r.body["providers"], json!([]));
    assert!(r.body["in_trial"].is_null());
    let r = send(&app, &mut token_user, Method::GET, "/console/api/workspaces", None).await;
    let list = r.body["workspaces"].as_array().expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["current"], true);

    // A forged or malformed token is refused with Dify's messages.
    let mut forged = Client { cookie: None, bearer: Some(format!("{token}x")) };
    let r = send(&app, &mut forged, Method::GET, "/console/api/account/profile", None).await;
    assert_error(&r, 401, "unauthorized");
    let r = send(
        &app,
        &mut Client { cookie: None, bearer: Some(String::new()) },
        Method::GET,
        "/console/api/account/profile",
        None,
    )
    .await;
    assert_error(&r, 401, "unauthorized");

    // Logout ends the session: the cookie and the token naming it stop working.
    let r = send(&app, &mut cookie_user, Method::GET, "/console/api/logout", None).await;
    assert_eq!(r.body, json!({"result": "success"}));
    let mut stale =
        Client { cookie: r.cookie.clone().filter(|c| !c.is_empty()).or(Some("0".repeat(64))), bearer: None };
    let r = send(&app, &mut stale, Method::GET, "/console/api/account/profile", None).await;
    assert_error(&r, 401, "unauthorized");
    let r = send(&app, &mut token_user, Method::GET, "/console/api/account/profile", None).await;
    assert_error(&r, 401, "unauthorized");
    // The setup session is a different one and still works.
    let r = send(&app, &mut admin, Method::GET, "/console/api/account/profile", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
}

#[actix_web::test]
async fn profile_edits_validate_like_dify() {
    let (_env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;

    let r =
        send(&app, &mut admin, Method::POST, "/console/api/account/name", Some(json!({"name": "Ada Lovelace"}))).await;
    assert_eq!(r.body["name"], "Ada Lovelace", "{r:?}");
    let r = send(&app, &mut admin, Method::POST, "/console/api/account/name", Some(json!({"name": "Al"}))).await;
    assert_error(&r, 400, "invalid_param");
    let r =
        send(&app, &mut admin, Method::POST, "/console/api/account/avatar", Some(json!({"avatar": "https://x/a.png"})))
            .await;
    assert_eq!(r.body["avatar"], "https://x/a.png");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/account/interface-language",
        Some(json!({"interface_language": "zh-Hans"})),
    )
    .await;
    assert_eq!(r.body["interface_language"], "zh-Hans");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/account/interface-language",
        Some(json!({"interface_language": "xx"})),
    )
    .await;
    assert_error(&r, 400, "invalid_param");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/account/interface-theme",
        Some(json!({"interface_theme": "dark"})),
    )
    .await;
    assert_eq!(r.body["interface_theme"], "dark");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/account/interface-theme",
        Some(json!({"interface_theme": "pink"})),
    )
    .await;
    assert_error(&r, 400, "invalid_param");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/account/timezone",
        Some(json!({"timezone": "Europe/Paris"})),
    )
    .await;
    assert_eq!(r.body["timezone"], "Europe/Paris");
    let r =
        send(&app, &mut admin, Method::POST, "/console/api/account/timezone", Some(json!({"timezone": "Moon/Base"})))
            .await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["message"], "Invalid timezone string.");
    let r = send(&app, &mut admin, Method::GET, "/console/api/account/integrates", None).await;
    let data = r.body["data"].as_array().expect("data");
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["provider"], "github");
    assert_eq!(data[0]["is_bound"], false);
    assert!(data[0]["link"].as_str().is_some_and(|l| l.ends_with("/console/api/oauth/login/github")));
}

#[actix_web::test]
async fn password_change_checks_the_current_one_and_signs_out_other_sessions() {
    let (_env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let mut other = Client::default();
    let r = send(
        &app,
        &mut other,
        Method::POST,
        "/console/api/login",
        Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
    )
    .await;
    let other_token = r.body["data"].as_str().expect("token").to_string();

    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/account/password",
        Some(json!({"password": "Nope12345", "new_password": "NewPass123", "repeat_new_password": "NewPass123"})),
    )
    .await;
    assert_error(&r, 400, "current_password_incorrect");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/account/password",
        Some(json!({"password": ADMIN_PASSWORD, "new_password": "NewPass123", "repeat_new_password": "Other1234"})),
    )
    .await;
    assert_error(&r, 400, "repeat_password_not_match");
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/account/password",
        Some(json!({"password": ADMIN_PASSWORD, "new_password": "NewPass123", "repeat_new_password": "NewPass123"})),
    )
    .await;
    assert_eq!(r.body, json!({"result": "success"}), "{r:?}");

    // This session stays; the other session and its token are revoked.
    let r = send(&app, &mut admin, Method::GET, "/console/api/account/profile", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let r = send(&app, &mut other, Method::GET, "/console/api/account/profile", None).await;
    assert_error(&r, 401, "unauthorized");
    let r = send(
        &app,
        &mut Client { cookie: None, bearer: Some(other_token) },
        Method::GET,
        "/console/api/account/profile",
        None,
    )
    .await;
    assert_error(&r, 401, "unauthorized");

    let mut again = Client::default();
    let r = send(
        &app,
        &mut again,
        Method::POST,
        "/console/api/login",
        Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
    )
    .await;
    assert_error(&r, 401, "unauthorized");
    let r = send(
        &app,
        &mut again,
        Method::POST,
        "/console/api/login",
        Some(json!({"email": ADMIN_EMAIL, "password": "NewPass123"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
}

#[actix_web::test]
async fn repeated_failures_are_throttled() {
    let (_env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let mut c = Client::default();
    for _ in 0..accounts::login::MAX_FAILURES_PER_EMAIL {
        let r = send(
            &app,
            &mut c,
            Method::POST,
            "/console/api/login",
            Some(json!({"email": ADMIN_EMAIL, "password": "Wrong1234"})),
        )
        .await;
        assert_error(&r, 401, "unauthorized");
    }
    // Even the right password waits out the window now.
    let r = send(
        &app,
        &mut c,
        Method::POST,
        "/console/api/login",
        Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
    )
    .await;
    assert_error(&r, 429, "too_many_requests");
}

#[actix_web::test]
async fn a_session_made_on_one_replica_works_on_another() {
    let (env, state) = state_with(&[]).await;
    if !test_support::services_mode() {
        eprintln!("skipped: replicas share sessions through Redis (DIFY_TEST_BACKEND=services)");
        return;
    }
    // A second replica: its own connections to the same database, Redis and broker.
    let other_infra = infra::Infra::connect(&env.config, &env.prefix).await.expect("second replica");
    let replica_a = test::init_service(app(state)).await;
    let replica_b = test::init_service(app(api_server::AppState::new(env.config.clone(), other_infra))).await;
    let mut admin = Client::default();
    send(&replica_a, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let r = send(&replica_b, &mut admin, Method::GET, "/console/api/account/profile", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    send(&replica_b, &mut admin, Method::GET, "/console/api/logout", None).await;
    let mut after = Client { cookie: admin.cookie.clone().or(Some("0".repeat(64))), bearer: None };
    let r = send(&replica_a, &mut after, Method::GET, "/console/api/account/profile", None).await;
    assert_error(&r, 401, "unauthorized");
}

#[actix_web::test]
async fn each_workspace_gets_its_own_key_pair_usable_for_credentials() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    use sea_orm::EntityTrait;
    let tenants = entities::tenants::Entity::find().all(&env.infra.db).await.expect("tenants");
    assert_eq!(tenants.len(), 1);
    let public = tenants[0].encrypt_public_key.as_deref().expect("public key stored");
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    let private =
        accounts::keys::load_private(env.infra.storage.as_ref(), tenants[0].id).await.expect("private key in storage");
    let sealed = kernel::crypto::encrypt("sk-secret-value", public).expect("encrypt");
    assert_eq!(kernel::crypto::decrypt(&sealed, &private).expect("decrypt"), "sk-secret-value");
}
