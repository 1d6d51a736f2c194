//! A console member's own history in installed apps, and admin feedback from the logs, in
//! both run modes: the account is the user; other members and other workspaces see nothing.

mod common;
mod history_seed;

use accounts::TenantRole;
use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::*;
use conversations::Caller;
use entities::{installed_apps, message_feedbacks};
use history_seed::*;
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use test_support::TestEnv;
use uuid::Uuid;

async fn install(env: &TestEnv, tenant_id: Uuid, app: &entities::apps::Model) -> Uuid {
    let id = Uuid::new_v4();
    installed_apps::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        app_id: Set(app.id),
        app_owner_tenant_id: Set(app.tenant_id),
        position: Set(0),
        is_pinned: Set(false),
        last_used_at: Set(None),
        created_at: Set(now_naive()),
    }
    .insert(&env.infra.db)
    .await
    .expect("installed");
    id
}

async fn feedback_rows(env: &TestEnv, message_id: Uuid) -> Vec<message_feedbacks::Model> {
    message_feedbacks::Entity::find()
        .filter(message_feedbacks::Column::MessageId.eq(message_id))
        .all(&env.infra.db)
        .await
        .expect("q")
}

#[actix_web::test]
async fn members_use_installed_apps_as_themselves() {
    let (env, state) = state_with(&[]).await;
    let svc = test::init_service(app(state)).await;
    let mut admin = Client::default();
    let r = send(&svc, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let r = send(&svc, &mut admin, Method::GET, "/console/api/workspaces/current", None).await;
    let tenant: Uuid = r.body["id"].as_str().expect("id").parse().expect("uuid");
    let r = send(&svc, &mut admin, Method::GET, "/console/api/account/profile", None).await;
    let admin_id: Uuid = r.body["id"].as_str().expect("id").parse().expect("uuid");
    let (carol_id, _) = seed_account(&env, "carol@example.com", "CarolPass1", Some((tenant, TenantRole::Normal))).await;
    let mut carol = login(&svc, "carol@example.com", "CarolPass1").await;
    seed_account(&env, "bob@example.com", "BobPass123", None).await;
    let mut bob = login(&svc, "bob@example.com", "BobPass123").await;

    let chat = seed_app(&env, tenant, "chat").await;
    let ia = install(&env, tenant, &chat.app).await;
    let me = Caller::Account(admin_id);
    let c1 = seed_conversation(&env, &chat.app, me, "one", at(1)).await;
    let c2 = seed_conversation(&env, &chat.app, me, "two", at(2)).await;
    let cc = seed_conversation(&env, &chat.app, Caller::Account(carol_id), "carol's", at(3)).await;
    // A web visitor's conversation in the same app is not the account's either.
    let visitor = conversations::end_user::for_service_api(
        &::apps::hot::HotApps::new(env.infra.cache.clone()),
        &env.infra.db,
        &chat.app,
        Some("v"),
    )
    .await
    .expect("eu");
    seed_conversation(&env, &chat.app, Caller::EndUser(visitor.id), "visitor's", at(4)).await;
    let m1 = seed_message(&env, &chat.app, c1, me, "hello", at(5)).await;
    let base = format!("/console/api/installed-apps/{ia}");

    let r = send(&svc, &mut admin, Method::GET, &format!("{base}/parameters"), None).await;
    assert_eq!((r.status.as_u16(), &r.body["opening_statement"]), (200, &json!("Hello!")), "{r:?}");

    let r = send(&svc, &mut admin, Method::GET, &format!("{base}/conversations"), None).await;
    assert_eq!(ids(&r.body), vec![c2.to_string(), c1.to_string()], "{r:?}");
    let r = send(&svc, &mut admin, Method::PATCH, &format!("{base}/conversations/{c1}/pin"), None).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"result": "success"})));
    let r = send(&svc, &mut admin, Method::GET, &format!("{base}/conversations?pinned=true"), None).await;
    assert_eq!(ids(&r.body), vec![c1.to_string()]);
    let r = send(&svc, &mut admin, Method::GET, &format!("{base}/conversations?pinned=false"), None).await;
    assert_eq!(ids(&r.body), vec![c2.to_string()]);
    let r = send(&svc, &mut admin, Method::PATCH, &format!("{base}/conversations/{c1}/unpin"), None).await;
    assert_eq!(r.status.as_u16(), 200);
    let r =
        send(&svc, &mut admin, Method::POST, &format!("{base}/conversations/{c2}/name"), Some(json!({"name": "Two"})))
            .await;
    assert_eq!(r.body["name"], "Two", "{r:?}");

    // Messages, and the account's feedback (admin side), shown back to it.
    let r = send(&svc, &mut admin, Method::GET, &format!("{base}/messages?conversation_id={c1}"), None).await;
    assert_eq!(ids(&r.body), vec![m1.to_string()], "{r:?}");
    let fb = format!("{base}/messages/{m1}/feedbacks");
    let r = send(&svc, &mut admin, Method::POST, &fb, Some(json!({"rating": "dislike"}))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let rows = feedback_rows(&env, m1).await;
    assert_eq!(
        rows.iter().map(|f| (f.from_source.as_str(), f.from_account_id, f.from_end_user_id)).collect::<Vec<_>>(),
        vec![("admin", Some(admin_id), None)]
    );
    let r = send(&svc, &mut admin, Method::GET, &format!("{base}/messages?conversation_id={c1}"), None).await;
    assert_eq!(r.body["data"][0]["feedback"], json!({"rating": "dislike"}));

    // Carol, in the same workspace, sees only her own.
    let r = send(&svc, &mut carol, Method::GET, &format!("{base}/conversations"), None).await;
    assert_eq!(ids(&r.body), vec![cc.to_string()]);
    let r = send(&svc, &mut carol, Method::GET, &format!("{base}/messages?conversation_id={c1}"), None).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = send(&svc, &mut carol, Method::DELETE, &format!("{base}/conversations/{c1}"), None).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = send(&svc, &mut carol, Method::POST, &fb, Some(json!({"rating": "like"}))).await;
    assert_eq!(r.status.as_u16(), 404);

    // Another workspace's installed app does not exist for Bob.
    for path in
        [format!("{base}/conversations"), format!("{base}/parameters"), format!("{base}/messages?conversation_id={c1}")]
    {
        let r = send(&svc, &mut bob, Method::GET, &path, None).await;
        assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (404, Some("Installed app not found")), "{path}");
    }
    let r = send(&svc, &mut bob, Method::DELETE, &format!("{base}/conversations/{c1}"), None).await;
    assert_eq!(r.status.as_u16(), 404);

    // Delete: 204, then gone.
    let r = send(&svc, &mut admin, Method::DELETE, &format!("{base}/conversations/{c1}"), None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    let r = send(&svc, &mut admin, Method::GET, &format!("{base}/conversations"), None).await;
    assert_eq!(ids(&r.body), vec![c2.to_string()]);

    // Explore's wording for wrong modes.
    let r = send(&svc, &mut admin, Method::GET, &format!("{base}/saved-messages"), None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (400, Some("Not Completion App")));

    // Saved messages on a completion app.
    let comp = seed_app(&env, tenant, "completion").await;
    let ic = install(&env, tenant, &comp.app).await;
    let cm = seed_conversation(&env, &comp.app, me, "", at(6)).await;
    let mm = seed_message(&env, &comp.app, cm, me, "write", at(6)).await;
    let saved = format!("/console/api/installed-apps/{ic}/saved-messages");
    let r = send(&svc, &mut admin, Method::POST, &saved, Some(json!({"message_id": mm}))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let r = send(&svc, &mut admin, Method::GET, &saved, None).await;
    assert_eq!(ids(&r.body), vec![mm.to_string()]);
    let r = send(&svc, &mut carol, Method::GET, &saved, None).await;
    assert_eq!(ids(&r.body), Vec::<String>::new());
    let r = send(&svc, &mut carol, Method::POST, &saved, Some(json!({"message_id": mm}))).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = send(&svc, &mut admin, Method::DELETE, &format!("{saved}/{mm}"), None).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"result": "success"})));
    let r = send(&svc, &mut admin, Method::GET, &saved, None).await;
    assert_eq!(ids(&r.body), Vec::<String>::new());
    let r = send(&svc, &mut admin, Method::GET, &format!("/console/api/installed-apps/{ic}/conversations"), None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (400, Some("Not Chat App")));
}

#[actix_web::test]
async fn console_members_rate_any_message_of_their_apps() {
    let (env, state) = state_with(&[]).await;
    let svc = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&svc, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    let r = send(&svc, &mut admin, Method::GET, "/console/api/workspaces/current", None).await;
    let tenant: Uuid = r.body["id"].as_str().expect("id").parse().expect("uuid");
    seed_account(&env, "bob@example.com", "BobPass123", None).await;
    let mut bob = login(&svc, "bob@example.com", "BobPass123").await;
    let s = seed_app(&env, tenant, "chat").await;
    let u = conversations::end_user::for_service_api(
        &::apps::hot::HotApps::new(env.infra.cache.clone()),
        &env.infra.db,
        &s.app,
        Some("u"),
    )
    .await
    .expect("eu");
    let visitor = Caller::EndUser(u.id);
    let c = seed_conversation(&env, &s.app, visitor, "", at(1)).await;
    let m = seed_message(&env, &s.app, c, visitor, "q", at(1)).await;
    let path = format!("/console/api/apps/{}/feedbacks", s.app.id);

    // The visitor's own like stays; the admin's sits beside it.
    conversations::feedback::rate_own(&env.infra.db, s.app.id, visitor, m, Some(conversations::feedback::Rating::Like))
        .await
        .expect("user like");
    let r = send(&svc, &mut admin, Method::POST, &path, Some(json!({"message_id": m, "rating": null}))).await;
    assert_eq!(
        (r.status.as_u16(), r.body["message"].as_str()),
        (400, Some("rating cannot be None when feedback not exists"))
    );
    let r = send(&svc, &mut admin, Method::POST, &path, Some(json!({"message_id": m, "rating": "dislike"}))).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"result": "success"})), "{r:?}");
    let r = send(&svc, &mut admin, Method::POST, &path, Some(json!({"message_id": m, "rating": "like"}))).await;
    assert_eq!(r.status.as_u16(), 200);
    let mut rows: Vec<_> =
        feedback_rows(&env, m).await.into_iter().map(|f| (f.from_source.as_str().to_owned(), f.rating)).collect();
    rows.sort();
    assert_eq!(rows, vec![("admin".to_string(), "like".to_string()), ("user".to_string(), "like".to_string())]);
    let r = send(&svc, &mut admin, Method::POST, &path, Some(json!({"message_id": m}))).await;
    assert_eq!(r.status.as_u16(), 200);
    let rows: Vec<_> = feedback_rows(&env, m).await.into_iter().map(|f| f.from_source.as_str().to_owned()).collect();
    assert_eq!(rows, vec!["user".to_string()]);

    // Bad input, unknown message, another workspace.
    let r = send(&svc, &mut admin, Method::POST, &path, Some(json!({"rating": "like"}))).await;
    assert_eq!((r.status.as_u16(), r.body["params"].as_str()), (400, Some("message_id")));
    let r = send(&svc, &mut admin, Method::POST, &path, Some(json!({"message_id": Uuid::new_v4(), "rating": "like"})))
        .await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (404, Some("Message Not Exists.")));
    let r = send(&svc, &mut bob, Method::POST, &path, Some(json!({"message_id": m, "rating": "like"}))).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (404, Some("App not found")));
}
