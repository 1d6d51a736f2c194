//! An app's Logs & Annotations through HTTP in both run modes: the completion and chat
//! conversation lists (keyword, annotation, message-count and date filters, pages), details
//! and their first read, soft deletion, a chat's message history scrolled back with
//! `first_id`, message details with feedbacks and annotations, annotation upserts and the
//! count, argument errors, and other workspaces' ids.
//!
//! Rows are seeded directly: the account's zone is Asia/Shanghai (UTC+8), so the window
//! `2023-11-05 10:00`..`11:00` local is 02:00:00..03:00:59 UTC.

mod common;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use chrono::NaiveDateTime;
use common::*;
use entities::kinds::FromSource;
use entities::message_feedbacks::FeedbackSide;
use entities::{app_model_configs, apps, conversations, end_users, message_annotations, message_feedbacks, messages};
use sea_orm::prelude::Decimal;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel};
use serde_json::{Value, json};
use uuid::Uuid;

fn utc(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("datetime")
}

/// An app with one model config version; returns (app id, config id).
async fn insert_app(db: &DatabaseConnection, tenant_id: Uuid, mode: &str) -> (Uuid, Uuid) {
    let now = utc("2023-11-01 00:00:00");
    let app_id = Uuid::new_v4();
    let config = app_model_configs::Model {
        id: Uuid::new_v4(),
        app_id,
        provider: String::new(),
        model_id: String::new(),
        configs: json!({}),
        created_at: now,
        updated_at: now,
        opening_statement: Some("Hello!".into()),
        suggested_questions: Some(r#"["What can you do?"]"#.into()),
        suggested_questions_after_answer: None,
        more_like_this: None,
        model: Some(r#"{"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": {}}"#.into()),
        user_input_form: Some(r#"[{"text-input": {"label": "Topic", "variable": "topic"}}]"#.into()),
        pre_prompt: Some("You help with {{topic}}.".into()),
        agent_mode: None,
        speech_to_text: None,
        sensitive_word_avoidance: None,
        retriever_resource: None,
    };
    let config_id = config.into_active_model().insert(db).await.expect("config").id;
    let row = apps::Model {
        id: app_id,
        tenant_id,
        name: format!("{mode} app"),
        mode: mode.parse().expect("mode"),
        icon: None,
        icon_background: None,
        app_model_config_id: Some(config_id),
        status: entities::kinds::RowStatus::Normal,
        enable_site: true,
        enable_api: true,
        api_rpm: 0,
        api_rph: 0,
        is_demo: false,
        is_public: false,
        created_at: now,
        updated_at: now,
        is_universal: false,
    };
    row.into_active_model().insert(db).await.expect("app");
    (app_id, config_id)
}

async fn insert_end_user(db: &DatabaseConnection, tenant_id: Uuid, app_id: Uuid, session: &str) -> Uuid {
    let now = utc("2023-11-01 00:00:00");
    let row = end_users::Model {
        id: Uuid::new_v4(),
        tenant_id,
        app_id: Some(app_id),
        r#type: entities::end_users::EndUserType::Browser,
        external_user_id: None,
        name: None,
        is_anonymous: true,
        session_id: session.into(),
        created_at: now,
        updated_at: now,
    };
    row.into_active_model().insert(db).await.expect("end user").id
}

/// What a seeded conversation differs in.
#[derive(Default)]
struct Conv<'a> {
    name: &'a str,
    summary: Option<&'a str>,
    introduction: Option<&'a str>,
    debug: Option<Value>,
    end_user: Option<Uuid>,
}

async fn insert_conversation(
    db: &DatabaseConnection,
    (app_id, config_id): (Uuid, Uuid),
    mode: &str,
    created: &str,
    c: Conv<'_>,
) -> Uuid {
    let at = utc(created);
    let row = conversations::Model {
        id: Uuid::new_v4(),
        app_id,
        app_model_config_id: config_id,
        model_provider: "openai".into(),
        override_model_configs: c.debug.map(|d| d.to_string()),
        model_id: "gpt-3.5-turbo".into(),
        mode: mode.parse().expect("mode"),
        name: c.name.into(),
        summary: c.summary.map(str::to_string),
        inputs: Some(json!({"topic": "x"})),
        introduction: c.introduction.map(str::to_string),
        system_instruction: None,
        system_instruction_tokens: 0,
        status: entities::kinds::RowStatus::Normal,
        from_source: if c.end_user.is_some() { FromSource::Api } else { FromSource::Console },
        from_end_user_id: c.end_user,
        from_account_id: None,
        read_at: None,
        read_account_id: None,
        created_at: at,
        updated_at: at,
        is_deleted: false,
    };
    row.into_active_model().insert(db).await.expect("conversation").id
}

async fn insert_message(
    db: &DatabaseConnection,
    app_id: Uuid,
    conversation: Uuid,
    at: &str,
    query: &str,
    answer: &str,
) -> Uuid {
    let at = utc(at);
    let unit = Decimal::new(1, 3);
    let row = messages::Model {
        id: Uuid::new_v4(),
        app_id,
        model_provider: "openai".into(),
        model_id: "gpt-3.5-turbo".into(),
        override_model_configs: None,
        conversation_id: conversation,
        inputs: Some(json!({"topic": "x"})),
        query: query.into(),
        message: json!([{"role": "user", "text": format!("Prompt: {query}"), "files": []}]),
        message_tokens: 7,
        message_unit_price: unit,
        answer: answer.into(),
        answer_tokens: 5,
        answer_unit_price: unit,
        provider_response_latency: 1.25,
        total_price: Some(Decimal::new(12, 6)),
        currency: "USD".into(),
        from_source: FromSource::Api,
        from_end_user_id: None,
        from_account_id: None,
        created_at: at,
        updated_at: at,
        agent_based: false,
        message_price_unit: unit,
        answer_price_unit: unit,
    };
    row.into_active_model().insert(db).await.expect("message").id
}

async fn insert_feedback(
    db: &DatabaseConnection,
    app_id: Uuid,
    (conversation_id, message_id): (Uuid, Uuid),
    from: &str,
    rating: &str,
    account: Option<Uuid>,
) {
    let now = utc("2023-11-07 00:00:00");
    let row = message_feedbacks::Model {
        id: Uuid::new_v4(),
        app_id,
        conversation_id,
        message_id,
        rating: rating.into(),
        content: None,
        from_source: if from == "admin" { FeedbackSide::Admin } else { FeedbackSide::User },
        from_end_user_id: None,
        from_account_id: account,
        created_at: now,
        updated_at: now,
    };
    row.into_active_model().insert(db).await.expect("feedback");
}

/// Sets the instance up with the admin signed in, in Asia/Shanghai; returns the client, the
/// admin's account and workspace.
async fn prepare<S, B>(app: &S) -> (Client, Uuid, Uuid)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut admin = Client::default();
    let r = send(app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let r = send(app, &mut admin, Method::GET, "/console/api/workspaces/current", None).await;
    let tenant: Uuid = r.body["id"].as_str().expect("workspace id").parse().expect("uuid");
    let r = send(app, &mut admin, Method::GET, "/console/api/account/profile", None).await;
    let account: Uuid = r.body["id"].as_str().expect("account id").parse().expect("uuid");
    let tz = json!({"timezone": "Asia/Shanghai"});
    let r = send(app, &mut admin, Method::POST, "/console/api/account/timezone", Some(tz)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    (admin, account, tenant)
}

async fn get<S, B>(app: &S, c: &mut Client, uri: &str) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    send(app, c, Method::GET, uri, None).await
}

/// The ids of a list reply, in order.
fn ids(r: &Reply) -> Vec<String> {
    r.body["data"].as_array().expect("data").iter().map(|c| c["id"].as_str().expect("id").to_string()).collect()
}

fn s(ids: &[Uuid]) -> Vec<String> {
    ids.iter().map(Uuid::to_string).collect()
}

#[actix_web::test]
async fn completion_logs_filter_page_open_annotate_and_delete() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut admin, admin_id, tenant) = prepare(&app).await;
    let db = &env.infra.db;
    let completion = insert_app(db, tenant, "completion").await;
    let (chat_app, _) = insert_app(db, tenant, "chat").await;
    let app_id = completion.0;
    let visitor = insert_end_user(db, tenant, app_id, "visitor-session").await;
    let conv = |at, c| insert_conversation(db, completion, "completion", at, c);

    let p1 = conv("2023-11-05 01:00:00", Conv { end_user: Some(visitor), ..Conv::default() }).await;
    let p2 = conv("2023-11-05 02:00:00", Conv::default()).await;
    let p3 = conv("2023-11-05 03:00:00", Conv::default()).await;
    let debug = json!({"model": {"provider": "openai", "name": "gpt-4"}, "pre_prompt": "Debug prompt", "agent_mode": {}, "opening_statement": "", "suggested_questions": [], "user_input_form": []});
    let p4 = conv("2023-11-05 04:00:00", Conv { debug: Some(debug), ..Conv::default() }).await;
    let m1 = insert_message(db, app_id, p1, "2023-11-05 01:00:01", "What is 50% OFF?", "Half the price").await;
    let m2 = insert_message(db, app_id, p2, "2023-11-05 02:00:01", "weather", "sunny_day").await;
    let m3 = insert_message(db, app_id, p3, "2023-11-05 03:00:01", "hello", "world").await;
    insert_message(db, app_id, p4, "2023-11-05 04:00:01", "ping", "pong").await;
    insert_feedback(db, app_id, (p1, m1), "user", "like", None).await;
    insert_feedback(db, app_id, (p1, m1), "user", "dislike", None).await;
    insert_feedback(db, app_id, (p1, m1), "admin", "like", Some(admin_id)).await;

    let base = format!("/console/api/apps/{app_id}/completion-conversations");
    // Nothing annotated yet; then an annotation on p3 through the API.
    let r = get(&app, &mut admin, &format!("/console/api/apps/{app_id}/annotations/count")).await;
    assert_eq!(r.body, json!({"count": 0}), "{r:?}");
    let body = json!({"message_id": m3.to_string(), "content": "Hello there."});
    let r = send(&app, &mut admin, Method::POST, &format!("/console/api/apps/{app_id}/annotations"), Some(body)).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"result": "success"})), "{r:?}");

    // Newest first, in pages.
    let r = get(&app, &mut admin, &base).await;
    assert_eq!(ids(&r), s(&[p4, p3, p2, p1]), "{r:?}");
    assert_eq!(
        (r.body["page"].as_u64(), r.body["limit"].as_u64(), r.body["total"].as_u64()),
        (Some(1), Some(20), Some(4))
    );
    assert_eq!(r.body["has_more"], false);
    let r = get(&app, &mut admin, &format!("{base}?page=1&limit=3")).await;
    assert_eq!((ids(&r), r.body["has_more"].as_bool()), (s(&[p4, p3, p2]), Some(true)), "{r:?}");
    let r = get(&app, &mut admin, &format!("{base}?page=2&limit=3")).await;
    assert_eq!((ids(&r), r.body["has_more"].as_bool(), r.body["total"].as_u64()), (s(&[p1]), Some(false), Some(4)));
    let r = get(&app, &mut admin, &format!("{base}?page=9&limit=3")).await;
    assert_eq!((ids(&r), r.body["total"].as_u64()), (vec![], Some(4)));

    // The item's shape.
    let r = get(&app, &mut admin, &format!("{base}?page=2&limit=3")).await;
    let item = &r.body["data"][0];
    assert_eq!(item["from_end_user_id"], visitor.to_string());
    assert_eq!(item["from_end_user_session_id"], "visitor-session");
    assert_eq!(item["from_source"], "api");
    assert_eq!(item["status"], "normal");
    assert_eq!(item["read_at"], Value::Null);
    assert_eq!(item["created_at"], utc("2023-11-05 01:00:00").and_utc().timestamp());
    assert_eq!(item["annotation"], Value::Null);
    // Dify's list reads `model_dict`, which the conversation's config lacks: always null.
    assert_eq!(item["model_config"]["model"], Value::Null);
    assert_eq!(item["model_config"]["pre_prompt"], "You help with {{topic}}.");
    assert_eq!(item["user_feedback_stats"], json!({"like": 1, "dislike": 1}));
    assert_eq!(item["admin_feedback_stats"], json!({"like": 1, "dislike": 0}));
    assert_eq!(
        item["message"],
        json!({"inputs": {"topic": "x"}, "query": "What is 50% OFF?", "message": "Prompt: What is 50% OFF?", "answer": "Half the price"})
    );
    let r = get(&app, &mut admin, &base).await;
    let (debug_item, annotated_item) = (&r.body["data"][0], &r.body["data"][1]);
    assert_eq!(
        debug_item["model_config"],
        json!({"model": null, "pre_prompt": "Debug prompt"}),
        "the debug override's prompt; the model is null in every list item, as in Dify"
    );
    assert_eq!(annotated_item["annotation"]["content"], "Hello there.");
    assert_eq!(annotated_item["annotation"]["account"]["email"], ADMIN_EMAIL);
    assert_eq!(annotated_item["annotation"]["account"]["id"], admin_id.to_string());
    assert!(annotated_item["annotation"]["created_at"].is_i64());

    // Keywords match query or answer, case-insensitively, with `%` and `_` taken literally.
    for (keyword, expect) in [
        ("50%25", vec![p1]),
        ("half", vec![p1]),
        ("_", vec![p2]),
        ("%25", vec![p1]),
        ("WORLD", vec![p3]),
        ("nothing", vec![]),
        ("", vec![p4, p3, p2, p1]),
    ] {
        let r = get(&app, &mut admin, &format!("{base}?keyword={keyword}")).await;
        assert_eq!((ids(&r), r.body["total"].as_u64()), (s(&expect), Some(expect.len() as u64)), "{keyword}: {r:?}");
    }
    let r = get(&app, &mut admin, &format!("{base}?annotation_status=annotated")).await;
    assert_eq!(ids(&r), s(&[p3]));
    let r = get(&app, &mut admin, &format!("{base}?annotation_status=not_annotated")).await;
    assert_eq!(ids(&r), s(&[p4, p2, p1]));
    // Local 10:00..11:00 (+08:00): from 02:00:00 UTC, before 03:00:59 UTC.
    let r = get(&app, &mut admin, &format!("{base}?start=2023-11-05%2010:00&end=2023-11-05%2011:00")).await;
    assert_eq!(ids(&r), s(&[p3, p2]), "{r:?}");
    let r = get(&app, &mut admin, &format!("{base}?end=2023-11-05%2009:59")).await;
    assert_eq!(ids(&r), s(&[p1]), "{r:?}");

    // Opening a conversation marks it read, once.
    let r = get(&app, &mut admin, &format!("{base}/{p1}")).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["id"], p1.to_string());
    assert_eq!(
        r.body["model_config"],
        json!({
            "opening_statement": "Hello!",
            "suggested_questions": ["What can you do?"],
            "model": {"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": {}},
            "user_input_form": [{"text-input": {"label": "Topic", "variable": "topic"}}],
            "pre_prompt": "You help with {{topic}}.",
            "agent_mode": {"enabled": false, "strategy": null, "tools": []},
        })
    );
    let message = &r.body["message"];
    assert_eq!(message["id"], m1.to_string());
    assert_eq!(message["conversation_id"], p1.to_string());
    assert_eq!(message["message"][0]["text"], "Prompt: What is 50% OFF?");
    assert_eq!((message["message_tokens"].as_i64(), message["answer_tokens"].as_i64()), (Some(7), Some(5)));
    assert_eq!(message["provider_response_latency"], 1.25);
    assert_eq!(message["annotation"], Value::Null);
    let feedbacks = message["feedbacks"].as_array().expect("feedbacks");
    assert_eq!(feedbacks.len(), 3, "{message:?}");
    let by_admin: Vec<_> = feedbacks.iter().filter(|f| f["from_source"] == "admin").collect();
    assert_eq!(by_admin[0]["from_account"], json!({"id": admin_id.to_string(), "name": "admin", "email": ADMIN_EMAIL}));
    assert!(feedbacks.iter().filter(|f| f["from_source"] == "user").all(|f| f["from_account"].is_null()));
    let row = conversations::Entity::find_by_id(p1).one(db).await.expect("q").expect("row");
    let read_at = row.read_at.expect("read");
    assert_eq!(row.read_account_id, Some(admin_id));
    get(&app, &mut admin, &format!("{base}/{p1}")).await;
    let again = conversations::Entity::find_by_id(p1).one(db).await.expect("q").expect("row");
    assert_eq!(again.read_at, Some(read_at));
    let r = get(&app, &mut admin, &format!("{base}?page=2&limit=3")).await;
    assert_eq!(r.body["data"][0]["read_at"], read_at.and_utc().timestamp());

    // Annotations: an update keeps one row per message.
    let annotations = format!("/console/api/apps/{app_id}/annotations");
    for content in ["Sunny.", "Sunny, 25°C."] {
        let body = json!({"message_id": m2.to_string(), "content": content});
        let r = send(&app, &mut admin, Method::POST, &annotations, Some(body)).await;
        assert_eq!(r.status.as_u16(), 200, "{r:?}");
    }
    let r = get(&app, &mut admin, &format!("{annotations}/count")).await;
    assert_eq!(r.body, json!({"count": 2}));
    let r = get(&app, &mut admin, &format!("{base}?keyword=weather")).await;
    assert_eq!(r.body["data"][0]["annotation"]["content"], "Sunny, 25°C.");
    for (body, param) in [
        (json!({"content": "x"}), "message_id"),
        (json!({"message_id": "nope", "content": "x"}), "message_id"),
        (json!({"message_id": m2.to_string()}), "content"),
    ] {
        let r = send(&app, &mut admin, Method::POST, &annotations, Some(body)).await;
        assert_error(&r, 400, "invalid_param");
        assert_eq!(r.body["params"], param, "{r:?}");
    }
    for id in [Uuid::new_v4().to_string(), String::new()] {
        let body = json!({"message_id": id, "content": "x"});
        let r = send(&app, &mut admin, Method::POST, &annotations, Some(body)).await;
        assert_error(&r, 404, "not_found");
    }

    // Argument errors name the argument.
    for (query, param) in [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("limit=101", "limit"),
        ("annotation_status=some", "annotation_status"),
        ("start=yesterday", "start"),
        ("end=2023-11-05", "end"),
    ] {
        let r = get(&app, &mut admin, &format!("{base}?{query}")).await;
        assert_error(&r, 400, "invalid_param");
        assert_eq!(r.body["params"], param, "{query}: {r:?}");
    }
    // A completion view of a chat app, or an unknown app, is not found.
    let r = get(&app, &mut admin, &format!("/console/api/apps/{chat_app}/completion-conversations")).await;
    assert_eq!(r.body["message"], "The completion app not found", "{r:?}");
    assert_error(&r, 404, "not_found");
    let r = get(&app, &mut admin, &format!("/console/api/apps/{}/completion-conversations", Uuid::new_v4())).await;
    assert_error(&r, 404, "not_found");
    let r = get(&app, &mut admin, &format!("{base}/{}", Uuid::new_v4())).await;
    assert_eq!(r.body["message"], "Conversation Not Exists.");

    // Deleting hides the conversation everywhere; a second delete finds nothing.
    let r = send(&app, &mut admin, Method::DELETE, &format!("{base}/{p1}"), None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    let row = conversations::Entity::find_by_id(p1).one(db).await.expect("q").expect("kept");
    assert!(row.is_deleted);
    let r = get(&app, &mut admin, &base).await;
    assert_eq!((ids(&r), r.body["total"].as_u64()), (s(&[p4, p3, p2]), Some(3)));
    let r = get(&app, &mut admin, &format!("{base}/{p1}")).await;
    assert_error(&r, 404, "not_found");
    let r = send(&app, &mut admin, Method::DELETE, &format!("{base}/{p1}"), None).await;
    assert_error(&r, 404, "not_found");
    // A chat route cannot delete a completion conversation.
    let r =
        send(&app, &mut admin, Method::DELETE, &format!("/console/api/apps/{app_id}/chat-conversations/{p2}"), None)
            .await;
    assert_error(&r, 404, "not_found");
}

#[actix_web::test]
async fn chat_logs_list_open_and_scroll_messages() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut admin, admin_id, tenant) = prepare(&app).await;
    let db = &env.infra.db;
    let chat = insert_app(db, tenant, "chat").await;
    let (completion_app, _) = insert_app(db, tenant, "completion").await;
    let app_id = chat.0;
    let conv = |at, c| insert_conversation(db, chat, "chat", at, c);
    let c1 = conv("2023-11-05 01:00:00", Conv { name: "Trip planning", ..Conv::default() }).await;
    let c2 = conv(
        "2023-11-05 02:00:00",
        Conv { name: "New chat", summary: Some("About cats"), introduction: Some("Meow intro"), ..Conv::default() },
    )
    .await;
    let c3 = conv("2023-11-05 03:00:00", Conv { name: "Empty", ..Conv::default() }).await;
    // Five messages in c1; two share a second, so the history orders them by id too.
    let mut history = Vec::new();
    for (at, q) in [
        ("2023-11-05 01:00:01", "Where to go?"),
        ("2023-11-05 01:00:05", "Paris?"),
        ("2023-11-05 01:00:05", "Or Rome?"),
        ("2023-11-05 01:00:09", "Book it"),
        ("2023-11-05 01:00:12", "Thanks"),
    ] {
        history.push((utc(at), insert_message(db, app_id, c1, at, q, &format!("Answer to {q}")).await));
    }
    history.sort();
    let h: Vec<Uuid> = history.iter().map(|(_, id)| *id).collect();
    let d1 = insert_message(db, app_id, c2, "2023-11-05 02:00:01", "Do cats purr?", "Yes, often").await;
    insert_feedback(db, app_id, (c1, h[4]), "user", "like", None).await;
    insert_feedback(db, app_id, (c1, h[3]), "admin", "dislike", Some(admin_id)).await;
    let annotations = format!("/console/api/apps/{app_id}/annotations");
    let body = json!({"message_id": h[0].to_string(), "content": "Anywhere warm."});
    let r = send(&app, &mut admin, Method::POST, &annotations, Some(body)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");

    let base = format!("/console/api/apps/{app_id}/chat-conversations");
    let r = get(&app, &mut admin, &base).await;
    assert_eq!(ids(&r), s(&[c3, c2, c1]), "{r:?}");
    let [i3, i2, i1] = [&r.body["data"][0], &r.body["data"][1], &r.body["data"][2]];
    assert_eq!(
        (i1["summary"].as_str(), i2["summary"].as_str(), i3["summary"].as_str()),
        (Some("Where to go?"), Some("About cats"), Some(""))
    );
    assert_eq!(
        (i1["message_count"].as_i64(), i2["message_count"].as_i64(), i3["message_count"].as_i64()),
        (Some(5), Some(1), Some(0))
    );
    assert_eq!((i1["annotated"].as_bool(), i2["annotated"].as_bool()), (Some(true), Some(false)));
    assert_eq!(i1["user_feedback_stats"], json!({"like": 1, "dislike": 0}));
    assert_eq!(i1["admin_feedback_stats"], json!({"like": 0, "dislike": 1}));
    assert_eq!(i1["model_config"]["model"], Value::Null, "as Dify's list shows it");
    assert_eq!(i1["from_end_user_session_id"], Value::Null);
    assert!(i1.get("message").is_none() && i1.get("annotation").is_none());

    for (query, expect) in [
        ("message_count_gte=2", vec![c1]),
        ("message_count_gte=1", vec![c2, c1]),
        ("keyword=trip", vec![c1]),
        ("keyword=meow", vec![c2]),
        ("keyword=rome", vec![c1]),
        ("keyword=answer%20to", vec![c1]),
        ("annotation_status=annotated", vec![c1]),
        ("annotation_status=not_annotated&message_count_gte=1", vec![c2]),
        ("start=2023-11-05%2009:00&end=2023-11-05%2010:00", vec![c2, c1]),
        ("limit=1&page=2", vec![c2]),
    ] {
        let r = get(&app, &mut admin, &format!("{base}?{query}")).await;
        assert_eq!(ids(&r), s(&expect), "{query}: {r:?}");
    }
    for (query, param) in [("message_count_gte=0", "message_count_gte"), ("message_count_gte=x", "message_count_gte")] {
        let r = get(&app, &mut admin, &format!("{base}?{query}")).await;
        assert_error(&r, 400, "invalid_param");
        assert_eq!(r.body["params"], param);
    }

    // The detail, and its first read.
    let r = get(&app, &mut admin, &format!("{base}/{c1}")).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!((r.body["annotated"].as_bool(), r.body["message_count"].as_i64()), (Some(true), Some(5)));
    assert_eq!(r.body["admin_feedback_stats"], json!({"like": 0, "dislike": 1}));
    assert_eq!(r.body["model_config"]["opening_statement"], "Hello!");
    let row = conversations::Entity::find_by_id(c1).one(db).await.expect("q").expect("row");
    assert_eq!((row.read_at.is_some(), row.read_account_id), (true, Some(admin_id)));
    let r = get(&app, &mut admin, &format!("/console/api/apps/{completion_app}/chat-conversations/{c1}")).await;
    assert_error(&r, 404, "not_found");

    // History: the latest page, then older ones, each oldest first.
    let msgs = format!("/console/api/apps/{app_id}/chat-messages?conversation_id={c1}");
    let r = get(&app, &mut admin, &format!("{msgs}&limit=2")).await;
    assert_eq!(
        (ids(&r), r.body["has_more"].as_bool(), r.body["limit"].as_u64()),
        (s(&[h[3], h[4]]), Some(true), Some(2)),
        "{r:?}"
    );
    let r = get(&app, &mut admin, &format!("{msgs}&limit=2&first_id={}", h[3])).await;
    assert_eq!((ids(&r), r.body["has_more"].as_bool()), (s(&[h[1], h[2]]), Some(true)), "{r:?}");
    let r = get(&app, &mut admin, &format!("{msgs}&limit=2&first_id={}", h[1])).await;
    assert_eq!((ids(&r), r.body["has_more"].as_bool()), (s(&[h[0]]), Some(false)), "{r:?}");
    let r = get(&app, &mut admin, &format!("{msgs}&limit=4&first_id={}", h[4])).await;
    assert_eq!((ids(&r), r.body["has_more"].as_bool()), (s(&h[..4]), Some(false)), "exactly full: {r:?}");
    let r = get(&app, &mut admin, &msgs).await;
    assert_eq!((ids(&r), r.body["has_more"].as_bool(), r.body["limit"].as_u64()), (s(&h), Some(false), Some(20)));
    let first = &r.body["data"][0];
    assert_eq!(first["annotation"]["content"], "Anywhere warm.");
    assert_eq!(first["annotation"]["account"]["id"], admin_id.to_string());
    assert_eq!(first["feedbacks"], json!([]));
    assert_eq!(first["query"], "Where to go?");
    assert_eq!(first["inputs"], json!({"topic": "x"}));
    assert_eq!(first["created_at"], history[0].0.and_utc().timestamp());
    assert_eq!(r.body["data"][3]["feedbacks"][0]["rating"], "dislike");
    assert_eq!(r.body["data"][3]["feedbacks"][0]["from_account"]["email"], ADMIN_EMAIL);

    let r = get(&app, &mut admin, &format!("{msgs}&first_id={d1}")).await;
    assert_error(&r, 404, "not_found");
    assert_eq!(r.body["message"], "First message not found");
    let r = get(&app, &mut admin, &format!("{msgs}&first_id={}", Uuid::new_v4())).await;
    assert_error(&r, 404, "not_found");
    let bare = format!("/console/api/apps/{app_id}/chat-messages");
    for query in [
        "",
        "?conversation_id=nope",
        &format!("?conversation_id={c1}&limit=0"),
        &format!("?conversation_id={c1}&first_id=x"),
    ] {
        let r = get(&app, &mut admin, &format!("{bare}{query}")).await;
        assert_error(&r, 400, "invalid_param");
    }
    for query in [format!("?conversation_id={}", Uuid::new_v4()), "?conversation_id=".to_string()] {
        let r = get(&app, &mut admin, &format!("{bare}{query}")).await;
        assert_eq!(r.body["message"], "Conversation Not Exists.", "{r:?}");
    }
    let r =
        get(&app, &mut admin, &format!("/console/api/apps/{completion_app}/chat-messages?conversation_id={c1}")).await;
    assert_error(&r, 404, "not_found");

    // One message's detail.
    let r = get(&app, &mut admin, &format!("/console/api/apps/{app_id}/messages/{}", h[4])).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["id"], h[4].to_string());
    assert_eq!(r.body["answer"], "Answer to Thanks");
    assert_eq!(
        r.body["feedbacks"],
        json!([{"rating": "like", "content": null, "from_source": "user", "from_end_user_id": null, "from_account": null}])
    );
    assert_eq!(r.body["annotation"], Value::Null);
    let r = get(&app, &mut admin, &format!("/console/api/apps/{app_id}/messages/{}", Uuid::new_v4())).await;
    assert_eq!(r.body["message"], "Message Not Exists.");

    // Deleting a chat conversation drops it from the list and its history.
    let r = send(&app, &mut admin, Method::DELETE, &format!("{base}/{c1}"), None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    let r = get(&app, &mut admin, &base).await;
    assert_eq!(ids(&r), s(&[c3, c2]));
    let r = get(&app, &mut admin, &msgs).await;
    assert_error(&r, 404, "not_found");
    let r = get(&app, &mut admin, &format!("{annotations}/count")).await;
    assert_eq!(r.body, json!({"count": 1}));
    let row = message_annotations::Entity::find().one(db).await.expect("q").expect("annotation");
    assert_eq!((row.conversation_id, row.account_id), (c1, admin_id));
}

#[actix_web::test]
async fn other_workspaces_apps_conversations_and_messages_are_not_found() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut admin, _, tenant) = prepare(&app).await;
    let db = &env.infra.db;
    let mine = insert_app(db, tenant, "chat").await;
    let (_, other_tenant) = seed_account(&env, "other@example.com", ADMIN_PASSWORD, None).await;
    let theirs = insert_app(db, other_tenant, "chat").await;
    let their_completion = insert_app(db, other_tenant, "completion").await;
    let their_conv = insert_conversation(db, theirs, "chat", "2023-11-05 01:00:00", Conv::default()).await;
    let their_msg = insert_message(db, theirs.0, their_conv, "2023-11-05 01:00:01", "secret", "answer").await;
    let their_pconv =
        insert_conversation(db, their_completion, "completion", "2023-11-05 01:00:00", Conv::default()).await;
    let (a, b, pc) = (theirs.0, mine.0, their_completion.0);

    for uri in [
        format!("/console/api/apps/{a}/chat-conversations"),
        format!("/console/api/apps/{a}/chat-conversations/{their_conv}"),
        format!("/console/api/apps/{b}/chat-conversations/{their_conv}"),
        format!("/console/api/apps/{pc}/completion-conversations"),
        format!("/console/api/apps/{pc}/completion-conversations/{their_pconv}"),
        format!("/console/api/apps/{a}/chat-messages?conversation_id={their_conv}"),
        format!("/console/api/apps/{b}/chat-messages?conversation_id={their_conv}"),
        format!("/console/api/apps/{a}/messages/{their_msg}"),
        format!("/console/api/apps/{b}/messages/{their_msg}"),
        format!("/console/api/apps/{a}/annotations/count"),
    ] {
        let r = get(&app, &mut admin, &uri).await;
        assert_error(&r, 404, "not_found");
    }
    for uri in [
        format!("/console/api/apps/{a}/chat-conversations/{their_conv}"),
        format!("/console/api/apps/{b}/chat-conversations/{their_conv}"),
        format!("/console/api/apps/{pc}/completion-conversations/{their_pconv}"),
    ] {
        let r = send(&app, &mut admin, Method::DELETE, &uri, None).await;
        assert_error(&r, 404, "not_found");
    }
    for app_id in [a, b] {
        let body = json!({"message_id": their_msg.to_string(), "content": "mine now"});
        let r =
            send(&app, &mut admin, Method::POST, &format!("/console/api/apps/{app_id}/annotations"), Some(body)).await;
        assert_error(&r, 404, "not_found");
    }
    let row = conversations::Entity::find_by_id(their_conv).one(db).await.expect("q").expect("row");
    assert!(!row.is_deleted && row.read_at.is_none());
    assert!(message_annotations::Entity::find().one(db).await.expect("q").is_none());

    // Their owner sees their own.
    let mut other = login(&app, "other@example.com", ADMIN_PASSWORD).await;
    let r = get(&app, &mut other, &format!("/console/api/apps/{a}/chat-conversations")).await;
    assert_eq!(ids(&r), s(&[their_conv]), "{r:?}");
}
