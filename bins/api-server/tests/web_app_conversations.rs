//! The web app's `/api` as a visitor sees it, in both run modes: passport authentication,
//! site and parameters, conversations (list, pins, rename, delete), messages with feedback and
//! quoted segments, saved messages, and isolation between visitors and apps.

mod common;
mod history_seed;

use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::*;
use conversations::Caller;
use entities::{apps as app_rows, conversations as conv_rows, message_feedbacks};
use history_seed::*;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

fn visitor(token: &str) -> Client {
    Client { cookie: None, bearer: Some(token.to_string()) }
}

/// The end user a passport names, read back through `/api/site`.
async fn end_user_of<S, B>(svc: &S, c: &mut Client) -> Uuid
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let r = send(svc, c, Method::GET, "/api/site", None).await;
    r.body["end_user_id"].as_str().expect("end user").parse().expect("uuid")
}

#[actix_web::test]
async fn passports_are_checked_on_every_request() {
    let (env, state) = state_with(&[]).await;
    let secret = state.config.secret_key.clone();
    let hot = state.hot_apps.clone();
    let svc = test::init_service(app(state)).await;
    let (_, tenant) = seed_account(&env, "owner@example.com", "Passw0rd123", None).await;
    let s = seed_app(&env, tenant, "chat").await;
    let token = passport(&svc, &s.code).await;

    // Missing, malformed and forged headers.
    let r = send(&svc, &mut Client::default(), Method::GET, "/api/conversations", None).await;
    assert_error(&r, 401, "unauthorized");
    assert_eq!(r.body["message"], "Authorization header is missing.");
    let mut c = Client::default();
    let req =
        test::TestRequest::get().uri("/api/conversations").insert_header(("Authorization", "Bearer")).to_request();
    let resp = test::call_service(&svc, req).await;
    assert_eq!(resp.status().as_u16(), 401);
    let req =
        test::TestRequest::get().uri("/api/conversations").insert_header(("Authorization", "Basic abc")).to_request();
    let body: serde_json::Value = test::call_and_read_body_json(&svc, req).await;
    assert_eq!(body["message"], "Invalid Authorization header format. Expected 'Bearer <api-key>' format.");
    c.bearer = Some("not-a-jwt".into());
    let r = send(&svc, &mut c, Method::GET, "/api/conversations", None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (401, Some("Invalid token.")));
    let mut forged = token.clone();
    forged.truncate(forged.len() - 3);
    forged.push_str("abc");
    c.bearer = Some(forged);
    let r = send(&svc, &mut c, Method::GET, "/api/conversations", None).await;
    assert_error(&r, 401, "unauthorized");
    // A token signed with another key is refused.
    let other = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"app_id": s.app.id, "app_code": s.code, "end_user_id": Uuid::new_v4()}),
        &jsonwebtoken::EncodingKey::from_secret(b"someone else's secret"),
    )
    .expect("sign");
    c.bearer = Some(other);
    let r = send(&svc, &mut c, Method::GET, "/api/conversations", None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (401, Some("Invalid token signature.")));
    // A well-signed token naming an unknown end user is 404.
    let ghost = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"app_id": s.app.id, "app_code": s.code, "end_user_id": Uuid::new_v4()}),
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign");
    c.bearer = Some(ghost);
    let r = send(&svc, &mut c, Method::GET, "/api/conversations", None).await;
    assert_error(&r, 404, "not_found");

    // The real passport works.
    let mut v = visitor(&token);
    let r = send(&svc, &mut v, Method::GET, "/api/conversations", None).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"limit": 20, "has_more": false, "data": []})));

    // Disabling the site signs visitors out; enabling it lets them back.
    let set_site = |on: bool| {
        let db = env.infra.db.clone();
        let id = s.app.id;
        let hot = hot.clone();
        async move {
            app_rows::ActiveModel { id: Set(id), enable_site: Set(on), ..Default::default() }
                .update(&db)
                .await
                .expect("app");
            // Behind the server's back: drop what it kept, as the console's change does.
            hot.changed().await;
        }
    };
    set_site(false).await;
    let r = send(&svc, &mut v, Method::GET, "/api/site", None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (401, Some("Site is disabled.")));
    set_site(true).await;
    let r = send(&svc, &mut v, Method::GET, "/api/site", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");

    // Resetting the share code stops the old passport.
    apps::site::reset_code(&env.infra.db, s.app.id).await.expect("reset");
    hot.changed().await;
    let r = send(&svc, &mut v, Method::GET, "/api/conversations", None).await;
    assert_error(&r, 401, "unauthorized");
}

#[actix_web::test]
async fn site_and_parameters_describe_the_app() {
    let (env, state) = state_with(&[]).await;
    let svc = test::init_service(app(state)).await;
    let (_, tenant) = seed_account(&env, "owner@example.com", "Passw0rd123", None).await;
    let s = seed_app(&env, tenant, "chat").await;
    let mut v = visitor(&passport(&svc, &s.code).await);
    let r = send(&svc, &mut v, Method::GET, "/api/site", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["app_id"], s.app.id.to_string());
    assert!(r.body["end_user_id"].is_string());
    assert_eq!(r.body["enable_site"], true);
    assert_eq!(
        r.body["site"],
        json!({"title": "My Site", "icon": null, "icon_background": null, "description": "A site", "copyright": null,
               "privacy_policy": null, "default_language": "en-US", "prompt_public": true})
    );
    assert_eq!(r.body["model_config"]["pre_prompt"], "You help with {{topic}}.");
    assert_eq!(r.body["model_config"]["suggested_questions"], json!(["What can you do?"]));
    assert_eq!(r.body["model_config"]["more_like_this"], json!({"enabled": false}));
    assert_eq!(r.body["plan"], "basic");

    let r = send(&svc, &mut v, Method::GET, "/api/parameters", None).await;
    assert_eq!(
        r.body,
        json!({
            "opening_statement": "Hello!",
            "suggested_questions": ["What can you do?"],
            "suggested_questions_after_answer": {"enabled": true},
            "speech_to_text": {"enabled": false},
            "retriever_resource": {"enabled": true},
            "more_like_this": {"enabled": false},
            "user_input_form": [{"text-input": {"label": "Topic", "variable": "topic"}}],
        })
    );
}

#[actix_web::test]
async fn visitors_list_pin_rename_and_delete_their_own_conversations() {
    let (env, state) = state_with(&[]).await;
    let svc = test::init_service(app(state)).await;
    let (_, tenant) = seed_account(&env, "owner@example.com", "Passw0rd123", None).await;
    let s = seed_app(&env, tenant, "chat").await;
    let mut x = visitor(&passport(&svc, &s.code).await);
    let mut y = visitor(&passport(&svc, &s.code).await);
    let xu = Caller::EndUser(end_user_of(&svc, &mut x).await);
    let yu = Caller::EndUser(end_user_of(&svc, &mut y).await);

    // X has five conversations, two made in the same second; Y has one.
    let mut mine = Vec::new();
    for i in 0..5 {
        let t = if i == 4 { at(3) } else { at(i) };
        mine.push(seed_conversation(&env, &s.app, xu, &format!("c{i}"), t).await.to_string());
    }
    let theirs = seed_conversation(&env, &s.app, yu, "y", at(10)).await;
    // Newest first; the tie at t=3 keeps a stable order without skipping either.
    let r = send(&svc, &mut x, Method::GET, "/api/conversations?limit=2", None).await;
    assert_eq!((r.body["limit"].as_u64(), r.body["has_more"].as_bool()), (Some(2), Some(true)));
    let first = ids(&r.body);
    assert_eq!(first.len(), 2);
    let mut seen = first.clone();
    let mut last = first[1].clone();
    loop {
        let r = send(&svc, &mut x, Method::GET, &format!("/api/conversations?limit=2&last_id={last}"), None).await;
        assert_eq!(r.status.as_u16(), 200, "{r:?}");
        let page = ids(&r.body);
        seen.extend(page.iter().cloned());
        if !r.body["has_more"].as_bool().expect("has_more") {
            break;
        }
        last = page.last().expect("item").clone();
    }
    let mut expected: Vec<String> = mine.clone();
    expected.reverse();
    assert_eq!(seen.len(), 5);
    let mut sorted_seen = seen.clone();
    sorted_seen.sort();
    let mut sorted_expected = expected.clone();
    sorted_expected.sort();
    assert_eq!(sorted_seen, sorted_expected, "every conversation exactly once");
    assert_eq!(seen[4], mine[0]);
    let r = send(&svc, &mut x, Method::GET, "/api/conversations", None).await;
    let item = &r.body["data"][4];
    assert_eq!(item["name"], "c0");
    assert_eq!(item["inputs"], json!({"topic": "rust"}));
    assert_eq!(item["status"], "normal");
    assert_eq!(item["introduction"], "Hello!");
    assert_eq!(item["created_at"], kernel::time::unix_seconds(at(0)));

    // Bad arguments.
    let r = send(&svc, &mut x, Method::GET, "/api/conversations?limit=0", None).await;
    assert_eq!((r.status.as_u16(), r.body["params"].as_str()), (400, Some("limit")));
    let r = send(&svc, &mut x, Method::GET, "/api/conversations?limit=abc", None).await;
    assert_eq!(r.status.as_u16(), 400);
    let r = send(&svc, &mut x, Method::GET, "/api/conversations?pinned=maybe", None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (400, Some("maybe is not a valid choice")));
    let r = send(&svc, &mut x, Method::GET, "/api/conversations?last_id=nope", None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (400, Some("nope is not a valid uuid.")));
    let r = send(&svc, &mut x, Method::GET, &format!("/api/conversations?last_id={theirs}"), None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (404, Some("Last Conversation Not Exists.")));

    // Pins: idempotent, filter both ways.
    for _ in 0..2 {
        let r = send(&svc, &mut x, Method::PATCH, &format!("/api/conversations/{}/pin", mine[1]), None).await;
        assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"result": "success"})));
    }
    let r = send(&svc, &mut x, Method::GET, "/api/conversations?pinned=true", None).await;
    assert_eq!(ids(&r.body), vec![mine[1].clone()]);
    let r = send(&svc, &mut x, Method::GET, "/api/conversations?pinned=false", None).await;
    assert_eq!(ids(&r.body).len(), 4);
    assert!(!ids(&r.body).contains(&mine[1]));
    let r = send(&svc, &mut x, Method::PATCH, &format!("/api/conversations/{}/unpin", mine[1]), None).await;
    assert_eq!(r.status.as_u16(), 200);
    let r = send(&svc, &mut x, Method::PATCH, &format!("/api/conversations/{}/unpin", mine[1]), None).await;
    assert_eq!(r.status.as_u16(), 200, "unpin is idempotent");
    let r = send(&svc, &mut x, Method::GET, "/api/conversations?pinned=true", None).await;
    assert_eq!(ids(&r.body), Vec::<String>::new());

    // Rename.
    let r = send(
        &svc,
        &mut x,
        Method::POST,
        &format!("/api/conversations/{}/name", mine[2]),
        Some(json!({"name": "Renamed"})),
    )
    .await;
    assert_eq!((r.status.as_u16(), &r.body["name"]), (200, &json!("Renamed")), "{r:?}");
    assert_eq!(r.body["id"], mine[2]);
    let r = send(&svc, &mut x, Method::POST, &format!("/api/conversations/{}/name", mine[2]), Some(json!({}))).await;
    assert_eq!((r.status.as_u16(), r.body["params"].as_str()), (400, Some("name")));

    // Soft delete: 204, gone from lists and pins, still in the table.
    send(&svc, &mut x, Method::PATCH, &format!("/api/conversations/{}/pin", mine[3]), None).await;
    let r = send(&svc, &mut x, Method::DELETE, &format!("/api/conversations/{}", mine[3]), None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    let r = send(&svc, &mut x, Method::GET, "/api/conversations?pinned=true", None).await;
    assert_eq!(ids(&r.body), Vec::<String>::new());
    let r = send(&svc, &mut x, Method::GET, "/api/conversations", None).await;
    assert!(!ids(&r.body).contains(&mine[3]));
    let row = conv_rows::Entity::find_by_id(mine[3].parse::<Uuid>().expect("uuid"))
        .one(&env.infra.db)
        .await
        .expect("q")
        .expect("row kept");
    assert!(row.is_deleted);
    let r = send(&svc, &mut x, Method::DELETE, &format!("/api/conversations/{}", mine[3]), None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (404, Some("Conversation Not Exists.")));
    let r = send(&svc, &mut x, Method::PATCH, &format!("/api/conversations/{}/pin", mine[3]), None).await;
    assert_eq!(r.status.as_u16(), 404);

    // Y sees only theirs and cannot touch X's.
    let r = send(&svc, &mut y, Method::GET, "/api/conversations", None).await;
    assert_eq!(ids(&r.body), vec![theirs.to_string()]);
    let c = &mine[0];
    let r =
        send(&svc, &mut y, Method::POST, &format!("/api/conversations/{c}/name"), Some(json!({"name": "mine"}))).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = send(&svc, &mut y, Method::PATCH, &format!("/api/conversations/{c}/pin"), None).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = send(&svc, &mut y, Method::DELETE, &format!("/api/conversations/{c}"), None).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = send(&svc, &mut y, Method::GET, &format!("/api/messages?conversation_id={c}"), None).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = send(&svc, &mut x, Method::GET, "/api/conversations", None).await;
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(4), "X's conversations untouched");

    // A completion app has no conversation list.
    let comp = seed_app(&env, tenant, "completion").await;
    let mut z = visitor(&passport(&svc, &comp.code).await);
    let r = send(&svc, &mut z, Method::GET, "/api/conversations", None).await;
    assert_error(&r, 400, "not_chat_app");
    assert_eq!(r.body["message"], "Please check if your Chat app mode matches the right API route.");
}

#[actix_web::test]
async fn messages_carry_feedback_and_quotes_and_page_upwards() {
    let (env, state) = state_with(&[]).await;
    let svc = test::init_service(app(state)).await;
    let (_, tenant) = seed_account(&env, "owner@example.com", "Passw0rd123", None).await;
    let s = seed_app(&env, tenant, "chat").await;
    let other_app = seed_app(&env, tenant, "chat").await;
    let mut x = visitor(&passport(&svc, &s.code).await);
    let mut y = visitor(&passport(&svc, &s.code).await);
    let xu = Caller::EndUser(end_user_of(&svc, &mut x).await);
    let c = seed_conversation(&env, &s.app, xu, "chat", at(0)).await;
    let mut msgs = Vec::new();
    for i in 0..5 {
        msgs.push(seed_message(&env, &s.app, c, xu, &format!("q{i}"), at(i + 1)).await);
    }
    seed_resource(&env, msgs[4], 2, xu.id()).await;
    seed_resource(&env, msgs[4], 1, xu.id()).await;

    // The newest three, oldest first; then the two before them.
    let r = send(&svc, &mut x, Method::GET, &format!("/api/messages?conversation_id={c}&limit=3"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let want: Vec<String> = msgs[2..].iter().map(Uuid::to_string).collect();
    assert_eq!((ids(&r.body), r.body["has_more"].as_bool()), (want, Some(true)));
    let newest = &r.body["data"][2];
    assert_eq!(newest["query"], "q4");
    assert_eq!(newest["answer"], "answer to q4");
    assert_eq!(newest["conversation_id"], c.to_string());
    assert_eq!(newest["inputs"], json!({"topic": "rust"}));
    assert_eq!(newest["feedback"], json!(null));
    let quotes = newest["retriever_resources"].as_array().expect("quotes");
    assert_eq!(quotes.iter().map(|q| q["position"].as_i64()).collect::<Vec<_>>(), vec![Some(1), Some(2)]);
    assert_eq!(quotes[0]["content"], "segment 1");
    assert_eq!(quotes[0]["message_id"], msgs[4].to_string());
    assert_eq!(quotes[0]["score"], 0.5);
    assert!(quotes[0]["created_at"].is_i64());
    assert_eq!(r.body["data"][0]["retriever_resources"], json!([]));
    let r = send(
        &svc,
        &mut x,
        Method::GET,
        &format!("/api/messages?conversation_id={c}&limit=3&first_id={}", msgs[2]),
        None,
    )
    .await;
    let want: Vec<String> = msgs[..2].iter().map(Uuid::to_string).collect();
    assert_eq!((ids(&r.body), r.body["has_more"].as_bool()), (want, Some(false)));
    let r = send(
        &svc,
        &mut x,
        Method::GET,
        &format!("/api/messages?conversation_id={c}&first_id={}", Uuid::new_v4()),
        None,
    )
    .await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (404, Some("First Message Not Exists.")));
    let r = send(&svc, &mut x, Method::GET, "/api/messages", None).await;
    assert_eq!((r.status.as_u16(), r.body["params"].as_str()), (400, Some("conversation_id")));

    // Feedback: like, change to dislike, take back; nothing to take back is a 400.
    let fb = format!("/api/messages/{}/feedbacks", msgs[4]);
    let r = send(&svc, &mut x, Method::POST, &fb, Some(json!({"rating": "like"}))).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"result": "success"})), "{r:?}");
    let r = send(&svc, &mut x, Method::GET, &format!("/api/messages?conversation_id={c}&limit=1"), None).await;
    assert_eq!(r.body["data"][0]["feedback"], json!({"rating": "like"}));
    send(&svc, &mut x, Method::POST, &fb, Some(json!({"rating": "dislike"}))).await;
    let rows = message_feedbacks::Entity::find()
        .filter(message_feedbacks::Column::MessageId.eq(msgs[4]))
        .all(&env.infra.db)
        .await
        .expect("q");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].rating.as_str(), rows[0].from_source, rows[0].from_end_user_id, rows[0].from_account_id),
        ("dislike", entities::message_feedbacks::FeedbackSide::User, Some(xu.id()), None)
    );
    let r = send(&svc, &mut x, Method::POST, &fb, Some(json!({"rating": "meh"}))).await;
    assert_eq!((r.status.as_u16(), r.body["params"].as_str()), (400, Some("rating")));
    let r = send(&svc, &mut x, Method::POST, &fb, Some(json!({"rating": null}))).await;
    assert_eq!(r.status.as_u16(), 200);
    let r = send(&svc, &mut x, Method::GET, &format!("/api/messages?conversation_id={c}&limit=1"), None).await;
    assert_eq!(r.body["data"][0]["feedback"], json!(null));
    let r = send(&svc, &mut x, Method::POST, &fb, Some(json!({}))).await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["message"], "rating cannot be None when feedback not exists");

    // Someone else's message, or one of another app, is not found.
    let r = send(&svc, &mut y, Method::POST, &fb, Some(json!({"rating": "like"}))).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (404, Some("Message Not Exists.")));
    let mut o = visitor(&passport(&svc, &other_app.code).await);
    let r = send(&svc, &mut o, Method::POST, &fb, Some(json!({"rating": "like"}))).await;
    assert_eq!(r.status.as_u16(), 404);
    let r = send(&svc, &mut o, Method::GET, &format!("/api/messages?conversation_id={c}"), None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (404, Some("Conversation Not Exists.")));
}

#[actix_web::test]
async fn saved_messages_are_per_visitor_and_completion_only() {
    let (env, state) = state_with(&[]).await;
    let svc = test::init_service(app(state)).await;
    let (_, tenant) = seed_account(&env, "owner@example.com", "Passw0rd123", None).await;
    let s = seed_app(&env, tenant, "completion").await;
    let mut x = visitor(&passport(&svc, &s.code).await);
    let mut y = visitor(&passport(&svc, &s.code).await);
    let xu = Caller::EndUser(end_user_of(&svc, &mut x).await);
    let yu = Caller::EndUser(end_user_of(&svc, &mut y).await);
    let mut msgs = Vec::new();
    for i in 0..3 {
        let c = seed_conversation(&env, &s.app, xu, "", at(i)).await;
        msgs.push(seed_message(&env, &s.app, c, xu, &format!("q{i}"), at(i)).await);
    }
    let yc = seed_conversation(&env, &s.app, yu, "", at(9)).await;
    let ym = seed_message(&env, &s.app, yc, yu, "y", at(9)).await;

    for m in &msgs {
        for _ in 0..2 {
            let r = send(&svc, &mut x, Method::POST, "/api/saved-messages", Some(json!({"message_id": m}))).await;
            assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"result": "success"})), "{r:?}");
        }
    }
    send(&svc, &mut x, Method::POST, &format!("/api/messages/{}/feedbacks", msgs[2]), Some(json!({"rating": "like"})))
        .await;
    let r = send(&svc, &mut x, Method::GET, "/api/saved-messages?limit=2", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(ids(&r.body), vec![msgs[2].to_string(), msgs[1].to_string()]);
    assert_eq!(r.body["has_more"], true);
    assert_eq!(
        r.body["data"][0],
        json!({"id": msgs[2], "inputs": {"topic": "rust"}, "query": "q2", "answer": "answer to q2",
               "feedback": {"rating": "like"}, "created_at": kernel::time::unix_seconds(at(2))})
    );
    let r = send(&svc, &mut x, Method::GET, &format!("/api/saved-messages?limit=2&last_id={}", msgs[1]), None).await;
    assert_eq!((ids(&r.body), r.body["has_more"].as_bool()), (vec![msgs[0].to_string()], Some(false)));
    let r = send(&svc, &mut x, Method::GET, &format!("/api/saved-messages?last_id={ym}"), None).await;
    assert_eq!(r.status.as_u16(), 404);

    // Y cannot save X's message and sees none of X's saves.
    let r = send(&svc, &mut y, Method::POST, "/api/saved-messages", Some(json!({"message_id": msgs[0]}))).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (404, Some("Message Not Exists.")));
    let r = send(&svc, &mut y, Method::GET, "/api/saved-messages", None).await;
    assert_eq!(ids(&r.body), Vec::<String>::new());
    let r = send(&svc, &mut y, Method::DELETE, &format!("/api/saved-messages/{}", msgs[0]), None).await;
    assert_eq!(r.status.as_u16(), 200);

    // Bad input.
    let r = send(&svc, &mut x, Method::POST, "/api/saved-messages", Some(json!({}))).await;
    assert_eq!((r.status.as_u16(), r.body["params"].as_str()), (400, Some("message_id")));
    let r = send(&svc, &mut x, Method::POST, "/api/saved-messages", Some(json!({"message_id": "x"}))).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (400, Some("x is not a valid uuid.")));

    // Unsave (200, idempotent).
    for _ in 0..2 {
        let r = send(&svc, &mut x, Method::DELETE, &format!("/api/saved-messages/{}", msgs[1]), None).await;
        assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"result": "success"})));
    }
    let r = send(&svc, &mut x, Method::GET, "/api/saved-messages", None).await;
    assert_eq!(ids(&r.body), vec![msgs[2].to_string(), msgs[0].to_string()]);

    // Chat apps have none.
    let chat = seed_app(&env, tenant, "chat").await;
    let mut z = visitor(&passport(&svc, &chat.code).await);
    let r = send(&svc, &mut z, Method::GET, "/api/saved-messages", None).await;
    assert_error(&r, 400, "not_completion_app");
}
