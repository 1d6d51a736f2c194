//! The service API's conversations and messages, in both run modes: the `user` string picks
//! the end user, an app key opens only its app, and `GET /v1/conversations/<id>` answers
//! what Dify meant.

mod common;
mod history_seed;

use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::*;
use conversations::Caller;
use entities::{end_users, message_feedbacks};
use history_seed::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use test_support::TestEnv;
use uuid::Uuid;

fn key(k: &str) -> Client {
    Client { cookie: None, bearer: Some(k.to_string()) }
}

/// The service-API end user `user` names (made on first use).
async fn end_user(env: &TestEnv, app: &entities::apps::Model, user: &str) -> Caller {
    let u = conversations::end_user::for_service_api(
        &::apps::hot::HotApps::new(env.infra.cache.clone()),
        &env.infra.db,
        app,
        Some(user),
    )
    .await
    .expect("end user");
    Caller::EndUser(u.id)
}

#[actix_web::test]
async fn an_app_key_reads_and_manages_its_users_conversations() {
    let (env, state) = state_with(&[]).await;
    let svc = test::init_service(app(state)).await;
    let (_, tenant) = seed_account(&env, "owner@example.com", "Passw0rd123", None).await;
    let a = seed_app(&env, tenant, "chat").await;
    let b = seed_app(&env, tenant, "chat").await;
    let alice = end_user(&env, &a.app, "alice").await;
    let bob = end_user(&env, &a.app, "bob").await;
    let c1 = seed_conversation(&env, &a.app, alice, "first", at(1)).await;
    let c2 = seed_conversation(&env, &a.app, alice, "second", at(2)).await;
    let cb = seed_conversation(&env, &a.app, bob, "bob's", at(3)).await;
    let m1 = seed_message(&env, &a.app, c1, alice, "hi", at(4)).await;
    let mut k = key(&a.key);

    // Without a user: an empty page, as Dify.
    let r = send(&svc, &mut k, Method::GET, "/v1/conversations?limit=5", None).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"limit": 5, "has_more": false, "data": []})));
    let r = send(&svc, &mut k, Method::GET, "/v1/conversations?user=alice&limit=1", None).await;
    assert_eq!((ids(&r.body), r.body["has_more"].as_bool()), (vec![c2.to_string()], Some(true)), "{r:?}");
    let r = send(&svc, &mut k, Method::GET, &format!("/v1/conversations?user=alice&last_id={c2}"), None).await;
    assert_eq!(ids(&r.body), vec![c1.to_string()]);
    let r = send(&svc, &mut k, Method::GET, &format!("/v1/conversations?user=alice&last_id={cb}"), None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (404, Some("Last Conversation Not Exists.")));
    // A new user string makes a new end user with nothing yet.
    let r = send(&svc, &mut k, Method::GET, "/v1/conversations?user=carol", None).await;
    assert_eq!(ids(&r.body), Vec::<String>::new());
    let carol = end_users::Entity::find()
        .filter(end_users::Column::SessionId.eq("carol"))
        .filter(end_users::Column::Type.eq("service_api"))
        .one(&env.infra.db)
        .await
        .expect("q");
    assert!(carol.is_some());

    // One conversation: the user's own, else 404 (Dify answered 500 here).
    let r = send(&svc, &mut k, Method::GET, &format!("/v1/conversations/{c1}?user=alice"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(
        r.body,
        json!({"id": c1, "name": "first", "inputs": {"topic": "rust"}, "status": "normal", "introduction": "Hello!",
               "created_at": kernel::time::unix_seconds(at(1))})
    );
    let r = send(&svc, &mut k, Method::GET, &format!("/v1/conversations/{c1}?user=bob"), None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (404, Some("Conversation Not Exists.")));
    let r = send(&svc, &mut k, Method::GET, &format!("/v1/conversations/{c1}"), None).await;
    assert_eq!(r.status.as_u16(), 404);

    // Rename: the user's own only.
    let path = format!("/v1/conversations/{c1}/name");
    let r = send(&svc, &mut k, Method::POST, &path, Some(json!({"name": "Renamed", "user": "alice"}))).await;
    assert_eq!((r.status.as_u16(), &r.body["name"]), (200, &json!("Renamed")), "{r:?}");
    let r = send(&svc, &mut k, Method::POST, &path, Some(json!({"name": "Mine", "user": "bob"}))).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = send(&svc, &mut k, Method::POST, &path, Some(json!({"user": "alice"}))).await;
    assert_eq!((r.status.as_u16(), r.body["params"].as_str()), (400, Some("name")));

    // Messages and feedback.
    let r = send(&svc, &mut k, Method::GET, &format!("/v1/messages?conversation_id={c1}&user=alice"), None).await;
    assert_eq!(ids(&r.body), vec![m1.to_string()], "{r:?}");
    let r = send(&svc, &mut k, Method::GET, &format!("/v1/messages?conversation_id={c1}&user=bob"), None).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = send(&svc, &mut k, Method::GET, &format!("/v1/messages?conversation_id={c1}"), None).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"limit": 20, "has_more": false, "data": []})));
    let fb = format!("/v1/messages/{m1}/feedbacks");
    let r = send(&svc, &mut k, Method::POST, &fb, Some(json!({"rating": "like", "user": "alice"}))).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"result": "success"})), "{r:?}");
    let r = send(&svc, &mut k, Method::GET, &format!("/v1/messages?conversation_id={c1}&user=alice"), None).await;
    assert_eq!(r.body["data"][0]["feedback"], json!({"rating": "like"}));
    let r = send(&svc, &mut k, Method::POST, &fb, Some(json!({"rating": "like", "user": "bob"}))).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (404, Some("Message Not Exists.")));
    let r = send(&svc, &mut k, Method::POST, &fb, Some(json!({"rating": "like"}))).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (400, Some("user cannot be None")));
    let rows = message_feedbacks::Entity::find()
        .filter(message_feedbacks::Column::MessageId.eq(m1))
        .all(&env.infra.db)
        .await
        .expect("q");
    assert_eq!(rows.len(), 1);

    // App B's key reaches none of app A's conversations, even naming the same user.
    let mut kb = key(&b.key);
    let r = send(&svc, &mut kb, Method::GET, "/v1/conversations?user=alice", None).await;
    assert_eq!(ids(&r.body), Vec::<String>::new());
    let r = send(&svc, &mut kb, Method::GET, &format!("/v1/conversations/{c1}?user=alice"), None).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = send(&svc, &mut kb, Method::POST, &path, Some(json!({"name": "x", "user": "alice"}))).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = send(&svc, &mut kb, Method::GET, &format!("/v1/messages?conversation_id={c1}&user=alice"), None).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = send(&svc, &mut kb, Method::POST, &fb, Some(json!({"rating": "dislike", "user": "alice"}))).await;
    assert_eq!(r.status.as_u16(), 404);
    let r =
        send(&svc, &mut kb, Method::DELETE, &format!("/v1/conversations/{c1}"), Some(json!({"user": "alice"}))).await;
    assert_eq!(r.status.as_u16(), 404);

    // Delete: the user comes in the body.
    let del = format!("/v1/conversations/{c2}");
    let r = send(&svc, &mut k, Method::DELETE, &del, Some(json!({"user": "bob"}))).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = send(&svc, &mut k, Method::DELETE, &del, None).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = send(&svc, &mut k, Method::DELETE, &del, Some(json!({"user": "alice"}))).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    let r = send(&svc, &mut k, Method::GET, "/v1/conversations?user=alice", None).await;
    assert_eq!(ids(&r.body), vec![c1.to_string()]);

    // Bad keys and modes.
    let r = send(&svc, &mut key("app-nope"), Method::GET, "/v1/conversations", None).await;
    assert_error(&r, 401, "unauthorized");
    let comp = seed_app(&env, tenant, "completion").await;
    let r = send(&svc, &mut key(&comp.key), Method::GET, "/v1/conversations?user=alice", None).await;
    assert_error(&r, 400, "not_chat_app");
    let r =
        send(&svc, &mut k, Method::GET, &format!("/v1/conversations?user=alice&limit=101&x={}", Uuid::new_v4()), None)
            .await;
    assert_eq!((r.status.as_u16(), r.body["params"].as_str()), (400, Some("limit")));
}

/// Two first requests for one new `user` at once, at different replicas, make one end user
/// (finding and making it is one critical section; Dify's table has no unique key to decide).
#[actix_web::test]
async fn first_requests_for_one_user_at_once_make_one_end_user() {
    let (env, _state) = state_with(&[]).await;
    let (_, tenant) = seed_account(&env, "owner@example.com", "Passw0rd123", None).await;
    let a = seed_app(&env, tenant, "chat").await;
    let replicas: Vec<_> = (0..16).map(|_| ::apps::hot::HotApps::new(env.infra.cache.clone())).collect();
    // Open the pool's connections first, so the calls below run side by side.
    futures::future::join_all((0..16).map(|_| end_users::Entity::find().all(&env.infra.db))).await;
    let made = futures::future::join_all(
        replicas.iter().map(|hot| conversations::end_user::for_service_api(hot, &env.infra.db, &a.app, Some("dave"))),
    )
    .await;
    let ids: std::collections::HashSet<Uuid> = made.into_iter().map(|u| u.expect("end user").id).collect();
    let rows =
        end_users::Entity::find().filter(end_users::Column::SessionId.eq("dave")).all(&env.infra.db).await.expect("q");
    assert_eq!((ids.len(), rows.len()), (1, 1), "{rows:?}");
}
