//! Attacks on sign-in and secrets, in both run modes: parallel password guesses cannot slip
//! past the throttle, forwarded headers count only from trusted proxies, and normal members
//! do not read API keys.

mod common;
mod history_seed;

use accounts::TenantRole;
use actix_web::http::Method;
use actix_web::test::{self, TestRequest};
use api_server::app;
use common::*;
use futures::future::join_all;
use history_seed::seed_app;
use serde_json::json;

const LOGIN: &str = "/console/api/login";

/// A wrong-password login from `peer`, with an `X-Forwarded-For` when given: its status.
async fn guess<S, B>(app: &S, peer: &str, forwarded: Option<&str>, email: &str) -> u16
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let mut req = TestRequest::post()
        .uri(LOGIN)
        .peer_addr(peer.parse().expect("peer"))
        .set_json(json!({"email": email, "password": "Wrong1234"}));
    if let Some(f) = forwarded {
        req = req.insert_header(("X-Forwarded-For", f));
    }
    test::call_service(app, req.to_request()).await.status().as_u16()
}

#[actix_web::test]
async fn thirty_parallel_guesses_get_at_most_five_tries() {
    let (_env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;

    let statuses = join_all((0..30).map(|_| guess(&app, "10.0.0.1:1234", None, ADMIN_EMAIL))).await;
    let tried = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((tried, refused), (5, 25), "{statuses:?}");
    // The right password waits out the window too.
    let r = send(
        &app,
        &mut Client::default(),
        Method::POST,
        LOGIN,
        Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
    )
    .await;
    assert_error(&r, 429, "too_many_requests");
}

#[actix_web::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let (_env, state) = state_with(&[("TRUSTED_PROXIES", "172.28.0.0/16")]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let per_ip = accounts::login::MAX_FAILURES_PER_IP as usize;

    // From an untrusted peer, a new X-Forwarded-For per guess changes nothing: after the
    // address's 20 tries (over many emails, so no email runs out first), it is refused.
    let mut statuses = Vec::new();
    for i in 0..per_ip + 3 {
        let forged = format!("198.51.100.{i}");
        statuses.push(guess(&app, "203.0.113.9:5000", Some(&forged), &format!("u{i}@example.com")).await);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), per_ip, "{statuses:?}");
    assert!(statuses[per_ip..].iter().all(|s| *s == 429), "{statuses:?}");
    // Nor can a forged header lock out the address it names.
    assert_eq!(guess(&app, "198.51.100.1:5000", None, "fresh@example.com").await, 401);

    // Through the trusted proxy each client counts on its own, whatever it prepends.
    for i in 0..per_ip + 3 {
        let client = format!("6.6.6.6, 192.0.2.{i}");
        assert_eq!(guess(&app, "172.28.0.5:40000", Some(&client), &format!("v{i}@example.com")).await, 401);
    }
    // ...and one client behind it still runs out.
    let mut statuses = Vec::new();
    for i in 0..per_ip + 1 {
        statuses.push(guess(&app, "172.28.0.5:40000", Some("192.0.2.200"), &format!("w{i}@example.com")).await);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

#[actix_web::test]
async fn normal_members_see_api_keys_masked() {
    let (env, state) = state_with(&[]).await;
    let svc = test::init_service(app(state)).await;
    let mut owner = Client::default();
    send(&svc, &mut owner, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let mut owner = login(&svc, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r = send(&svc, &mut owner, Method::GET, "/console/api/workspaces/current", None).await;
    let tenant: uuid::Uuid = r.body["id"].as_str().expect("id").parse().expect("uuid");
    seed_account(&env, "normal@example.com", "Member123", Some((tenant, TenantRole::Normal))).await;
    let mut normal = login(&svc, "normal@example.com", "Member123").await;
    // An app with its one key, as the service API uses it.
    let seeded = seed_app(&env, tenant, "chat").await;
    let (keys, token) = (format!("/console/api/apps/{}/api-keys", seeded.app.id), seeded.key);

    let r = send(&svc, &mut owner, Method::GET, &keys, None).await;
    assert_eq!(r.body["data"][0]["token"], token.as_str(), "{r:?}");
    let r = send(&svc, &mut normal, Method::GET, &keys, None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let shown = r.body["data"][0]["token"].as_str().expect("token");
    assert_ne!(shown, token);
    assert!(
        shown.starts_with("app-") && shown.ends_with(&token[token.len() - 4..]) && shown.contains("****"),
        "{shown}"
    );
}

#[actix_web::test]
async fn fifty_parallel_invites_of_one_address_make_one_account() {
    let (env, state) = state_with(&[]).await;
    let svc = test::init_service(app(state)).await;
    let mut owner = Client::default();
    send(&svc, &mut owner, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let owner = login(&svc, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let invites = (0..50).map(|i| {
        let mut c = owner.clone();
        // The same address in other cases counts as the same person.
        let email = if i % 2 == 0 { "New.Person@example.com" } else { "new.person@example.com" };
        let svc = &svc;
        async move {
            let body = json!({"emails": [email], "role": "normal"});
            send(svc, &mut c, Method::POST, "/console/api/workspaces/current/members/invite-email", Some(body)).await
        }
    });
    let replies = join_all(invites).await;
    assert!(replies.iter().all(|r| r.status.as_u16() == 201), "{:?}", replies.iter().find(|r| r.status != 201));
    let ok = replies.iter().filter(|r| r.body["invitation_results"][0]["status"] == "success").count();
    assert_eq!(ok, 1, "{replies:?}");

    use sea_orm::{EntityTrait, QueryFilter, sea_query::Expr, sea_query::ExprTrait, sea_query::Func};
    let accounts = entities::accounts::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(entities::accounts::Column::Email))).eq("new.person@example.com"))
        .all(&env.infra.db)
        .await
        .expect("accounts");
    assert_eq!(accounts.len(), 1, "{accounts:?}");
}
