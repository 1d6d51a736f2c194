//! App statistics through HTTP in both run modes: the seven daily series bucketed in the
//! account's time zone (west of UTC across the 2023-11-05 DST change, and east of it), the
//! start/end window, Dify's rounding and `jsonify` rendering, and which apps can be read.
//!
//! Seed (UTC instants; LA = America/Los_Angeles, PDT -7 until 2023-11-05 09:00 UTC then PST
//! -8, so LA's 2023-11-05 runs 11-05 07:00 to 11-06 08:00 UTC; SH = Asia/Shanghai, +8).
//!
//! Chat app conversations (created, messages): c1 11-04 06:00 (m1 m2 m5), c2 11-05 08:40
//! (mA m3), c3 11-06 07:20 debug (m4), c4 11-05 12:00 (none), c5 11-06 07:40 (m6),
//! c6 11-05 10:00 (m7), c7 11-05 11:00 (m8).
//!
//! | msg | UTC         | conv | user | tokens in/out | price     | latency | feedbacks | LA day | SH day |
//! |-----|-------------|------|------|---------------|-----------|---------|-----------|--------|--------|
//! | m1  | 11-04 06:30 | c1   | e1   | 10/20         | 0.0001000 | 0.5     | 1         | 11-03  | 11-04  |
//! | m2  | 11-05 07:30 | c1   | e1   | 5/15          | 0.0000500 | 1.5     | 2         | 11-05  | 11-05  |
//! | mA  | 11-05 08:45 | c2   | e2   | 1/1           | null      | 0.25    | 0         | 11-05  | 11-05  |
//! | m7  | 11-05 10:05 | c6   | e1   | 2/2           | 0.0000100 | 1.0     | 0         | 11-05  | 11-05  |
//! | m8  | 11-05 11:05 | c7   | e1   | 3/3           | null      | 1.0     | 0         | 11-05  | 11-05  |
//! | m3  | 11-05 16:30 | c2   | e2   | 7/3           | 0.0000001 | 0.25    | 0         | 11-05  | 11-06  |
//! | m4  | 11-06 07:30 | c3   | -    | 100/50        | 0.0020000 | 2.0     | 1         | 11-05* | 11-06  |
//! | m5  | 11-06 08:30 | c1   | e1   | 0/0           | 0.0000000 | 0.0     | 0         | 11-06  | 11-06  |
//! | m6  | 11-06 17:00 | c5   | e2   | 30/60         | 0.0000300 | 3.0     | 1         | 11-06  | 11-07  |
//!
//! Completion app: p1 11-04 20:00 (3/10, 0.0000000, 0.1234), p2 11-05 03:00 (4/3, 0.0000000,
//! 0.2), p3 11-05 18:00 (0/7, null, 0.0), p4 11-06 07:59 (2/5, null, 0.0), p5 11-06 09:00
//! (1/1, 0.0000001, 0.3333). LA days: p1 p2 11-04, p3 p4* 11-05, p5 11-06. SH days: p1 p2
//! 11-05, p3 p4 p5 11-06. (* only with DST right: read as PDT they would fall on 11-06.)

mod common;

use std::str::FromStr;

use accounts::TenantRole;
use accounts::account::{NewAccount, status};
use accounts::tenant::NewTenant;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::test::{self, TestRequest};
use api_server::app;
use chrono::NaiveDateTime;
use common::*;
use entities::{accounts as account_rows, apps, conversations, end_users, message_feedbacks, messages};
use sea_orm::prelude::Decimal;
use sea_orm::{ActiveModelTrait, DatabaseConnection, IntoActiveModel, Set};
use serde_json::{Value, json};
use test_support::TestEnv;
use uuid::Uuid;

const LA: &str = "America/Los_Angeles";
const SH: &str = "Asia/Shanghai";
const STATS: [&str; 7] = [
    "daily-conversations",
    "daily-end-users",
    "token-costs",
    "average-session-interactions",
    "user-satisfaction-rate",
    "average-response-time",
    "tokens-per-second",
];

fn utc(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("datetime")
}

async fn insert_app(db: &DatabaseConnection, tenant_id: Uuid, mode: &str) -> Uuid {
    let now = utc("2023-11-01 00:00");
    let row = apps::Model {
        id: Uuid::new_v4(),
        tenant_id,
        name: format!("{mode} app"),
        mode: mode.parse().expect("mode"),
        icon: None,
        icon_background: None,
        app_model_config_id: None,
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
    row.into_active_model().insert(db).await.expect("app").id
}

async fn insert_end_user(db: &DatabaseConnection, tenant_id: Uuid, app_id: Uuid) -> Uuid {
    let now = utc("2023-11-01 00:00");
    let row = end_users::Model {
        id: Uuid::new_v4(),
        tenant_id,
        app_id: Some(app_id),
        r#type: entities::end_users::EndUserType::Browser,
        external_user_id: None,
        name: None,
        is_anonymous: true,
        session_id: Uuid::new_v4().to_string(),
        created_at: now,
        updated_at: now,
    };
    row.into_active_model().insert(db).await.expect("end user").id
}

/// A conversation; `debug` gives it `override_model_configs`, as console debugging does.
async fn insert_conversation(
    db: &DatabaseConnection,
    app_id: Uuid,
    mode: &str,
    created: &str,
    debug: bool,
    end_user: Option<Uuid>,
) -> Uuid {
    let at = utc(created);
    let row = conversations::Model {
        id: Uuid::new_v4(),
        app_id,
        app_model_config_id: Uuid::new_v4(),
        model_provider: "openai".into(),
        override_model_configs: debug.then(|| r#"{"model": {}}"#.to_string()),
        model_id: "gpt-3.5-turbo".into(),
        mode: mode.parse().expect("mode"),
        name: "conversation".into(),
        summary: None,
        inputs: Some(json!({})),
        introduction: None,
        system_instruction: None,
        system_instruction_tokens: 0,
        status: entities::kinds::RowStatus::Normal,
        from_source: if end_user.is_some() {
            entities::kinds::FromSource::Api
        } else {
            entities::kinds::FromSource::Console
        },
        from_end_user_id: end_user,
        from_account_id: None,
        read_at: None,
        read_account_id: None,
        created_at: at,
        updated_at: at,
        is_deleted: false,
    };
    row.into_active_model().insert(db).await.expect("conversation").id
}

/// One message's figures.
struct Msg<'a> {
    at: &'a str,
    conversation: Uuid,
    end_user: Option<Uuid>,
    tokens: (i32, i32),
    price: Option<&'a str>,
    latency: f64,
}

async fn insert_message(db: &DatabaseConnection, app_id: Uuid, m: Msg<'_>) -> Uuid {
    let at = utc(m.at);
    let unit = Decimal::from_str("0.001").expect("decimal");
    let row = messages::Model {
        id: Uuid::new_v4(),
        app_id,
        model_provider: "openai".into(),
        model_id: "gpt-3.5-turbo".into(),
        override_model_configs: None,
        conversation_id: m.conversation,
        inputs: Some(json!({})),
        query: "hello".into(),
        message: json!([]),
        message_tokens: m.tokens.0,
        message_unit_price: unit,
        answer: "hi".into(),
        answer_tokens: m.tokens.1,
        answer_unit_price: unit,
        provider_response_latency: m.latency,
        total_price: m.price.map(|p| Decimal::from_str(p).expect("price")),
        currency: "USD".into(),
        from_source: if m.end_user.is_some() {
            entities::kinds::FromSource::Api
        } else {
            entities::kinds::FromSource::Console
        },
        from_end_user_id: m.end_user,
        from_account_id: None,
        created_at: at,
        updated_at: at,
        agent_based: false,
        message_price_unit: unit,
        answer_price_unit: unit,
    };
    row.into_active_model().insert(db).await.expect("message").id
}

async fn insert_feedback(db: &DatabaseConnection, app_id: Uuid, conversation_id: Uuid, message_id: Uuid, from: &str) {
    let now = utc("2023-11-07 00:00");
    let row = message_feedbacks::Model {
        id: Uuid::new_v4(),
        app_id,
        conversation_id,
        message_id,
        rating: "like".into(),
        content: None,
        from_source: if from == "admin" {
            entities::message_feedbacks::FeedbackSide::Admin
        } else {
            entities::message_feedbacks::FeedbackSide::User
        },
        from_end_user_id: None,
        from_account_id: None,
        created_at: now,
        updated_at: now,
    };
    row.into_active_model().insert(db).await.expect("feedback");
}

/// The seeded apps of the admin's workspace.
struct Apps {
    chat: Uuid,
    completion: Uuid,
    empty_chat: Uuid,
    empty_completion: Uuid,
}

/// Seeds the table in the module doc into `tenant_id`.
async fn seed(db: &DatabaseConnection, tenant_id: Uuid) -> Apps {
    let chat = insert_app(db, tenant_id, "chat").await;
    let e1 = insert_end_user(db, tenant_id, chat).await;
    let e2 = insert_end_user(db, tenant_id, chat).await;
    let conv = |created: &'static str, debug: bool, user: Option<Uuid>| {
        insert_conversation(db, chat, "chat", created, debug, user)
    };
    let c1 = conv("2023-11-04 06:00", false, Some(e1)).await;
    let c2 = conv("2023-11-05 08:40", false, Some(e2)).await;
    let c3 = conv("2023-11-06 07:20", true, None).await;
    let _c4 = conv("2023-11-05 12:00", false, Some(e2)).await;
    let c5 = conv("2023-11-06 07:40", false, Some(e2)).await;
    let c6 = conv("2023-11-05 10:00", false, Some(e1)).await;
    let c7 = conv("2023-11-05 11:00", false, Some(e1)).await;
    let msg = |at, conversation, end_user, tokens, price, latency| {
        insert_message(db, chat, Msg { at, conversation, end_user, tokens, price, latency })
    };
    let m1 = msg("2023-11-04 06:30", c1, Some(e1), (10, 20), Some("0.0001000"), 0.5).await;
    let m2 = msg("2023-11-05 07:30", c1, Some(e1), (5, 15), Some("0.0000500"), 1.5).await;
    msg("2023-11-05 08:45", c2, Some(e2), (1, 1), None, 0.25).await;
    msg("2023-11-05 10:05", c6, Some(e1), (2, 2), Some("0.0000100"), 1.0).await;
    msg("2023-11-05 11:05", c7, Some(e1), (3, 3), None, 1.0).await;
    msg("2023-11-05 16:30", c2, Some(e2), (7, 3), Some("0.0000001"), 0.25).await;
    let m4 = msg("2023-11-06 07:30", c3, None, (100, 50), Some("0.0020000"), 2.0).await;
    msg("2023-11-06 08:30", c1, Some(e1), (0, 0), Some("0.0000000"), 0.0).await;
    let m6 = msg("2023-11-06 17:00", c5, Some(e2), (30, 60), Some("0.0000300"), 3.0).await;
    insert_feedback(db, chat, c1, m1, "user").await;
    insert_feedback(db, chat, c1, m2, "user").await;
    insert_feedback(db, chat, c1, m2, "admin").await;
    insert_feedback(db, chat, c3, m4, "admin").await;
    insert_feedback(db, chat, c5, m6, "user").await;

    let completion = insert_app(db, tenant_id, "completion").await;
    for (at, user, tokens, price, latency) in [
        ("2023-11-04 20:00", e1, (3, 10), Some("0.0000000"), 0.1234),
        ("2023-11-05 03:00", e1, (4, 3), Some("0.0000000"), 0.2),
        ("2023-11-05 18:00", e2, (0, 7), None, 0.0),
        ("2023-11-06 07:59", e2, (2, 5), None, 0.0),
        ("2023-11-06 09:00", e1, (1, 1), Some("0.0000001"), 0.3333),
    ] {
        let conversation = insert_conversation(db, completion, "completion", at, false, Some(user)).await;
        let m = Msg { at, conversation, end_user: Some(user), tokens, price, latency };
        insert_message(db, completion, m).await;
    }

    let empty_chat = insert_app(db, tenant_id, "chat").await;
    let empty_completion = insert_app(db, tenant_id, "completion").await;
    Apps { chat, completion, empty_chat, empty_completion }
}

/// Sets the instance up (the admin is signed in) and seeds the admin's workspace.
async fn prepare<S, B>(app: &S, env: &TestEnv) -> (Client, Apps)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut admin = Client::default();
    let r = send(app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let r = send(app, &mut admin, Method::GET, "/console/api/workspaces/current", None).await;
    let tenant_id: Uuid = r.body["id"].as_str().expect("workspace id").parse().expect("uuid");
    let apps = seed(&env.infra.db, tenant_id).await;
    (admin, apps)
}

async fn set_timezone<S, B>(app: &S, client: &mut Client, tz: &str)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = send(app, client, Method::POST, "/console/api/account/timezone", Some(json!({"timezone": tz}))).await;
    assert_eq!(r.body["timezone"], tz, "{r:?}");
}

/// GETs one statistic; `query` is the raw (already encoded) query string.
async fn stat<S, B>(app: &S, client: &mut Client, app_id: Uuid, name: &str, query: &str) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let sep = if query.is_empty() { "" } else { "?" };
    send(app, client, Method::GET, &format!("/console/api/apps/{app_id}/statistics/{name}{sep}{query}"), None).await
}

/// The body exactly as sent, with its content type.
async fn raw<S, B>(app: &S, client: &Client, app_id: Uuid, name: &str) -> (String, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let cookie = client.cookie.as_deref().expect("signed in");
    let req = TestRequest::get()
        .uri(&format!("/console/api/apps/{app_id}/statistics/{name}"))
        .insert_header((header::COOKIE, format!("session={cookie}")))
        .to_request();
    let resp = test::call_service(app, req).await;
    assert_eq!(resp.status().as_u16(), 200);
    let content_type = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = test::read_body(resp).await;
    (content_type, String::from_utf8(body.to_vec()).expect("utf-8"))
}

fn data(rows: Value) -> Value {
    json!({ "data": rows })
}

#[actix_web::test]
async fn days_follow_the_account_time_zone_west_across_dst_and_east() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut admin, apps) = prepare(&app, &env).await;
    let chat = apps.chat;
    let completion = apps.completion;

    set_timezone(&app, &mut admin, LA).await;
    let r = stat(&app, &mut admin, chat, "daily-conversations", "").await;
    // 11-03: {c1}; 11-05: m2 mA m7 m8 m3 m4 -> {c1 c2 c6 c7 c3}; 11-06: m5 m6 -> {c1 c5}.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-03", "conversation_count": 1},
            {"date": "2023-11-05", "conversation_count": 5},
            {"date": "2023-11-06", "conversation_count": 2},
        ])),
        "{r:?}"
    );
    let r = stat(&app, &mut admin, chat, "daily-end-users", "").await;
    // 11-05: {e1, e2} (m4 is the console's: no end user); 11-06: {e1, e2}.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-03", "terminal_count": 1},
            {"date": "2023-11-05", "terminal_count": 2},
            {"date": "2023-11-06", "terminal_count": 2},
        ]))
    );
    let r = stat(&app, &mut admin, chat, "token-costs", "").await;
    // 11-03: 10+20 = 30; 11-05: (5+15)+(1+1)+(2+2)+(3+3)+(7+3)+(100+50) = 192,
    // price 0.0000500 + 0.0000100 + 0.0000001 + 0.0020000 = 0.0020601 (nulls skipped);
    // 11-06: 0 + 90 = 90, price 0.0000000 + 0.0000300.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-03", "token_count": 30, "total_price": "0.0001000", "currency": "USD"},
            {"date": "2023-11-05", "token_count": 192, "total_price": "0.0020601", "currency": "USD"},
            {"date": "2023-11-06", "token_count": 90, "total_price": "0.0000300", "currency": "USD"},
        ]))
    );
    let r = stat(&app, &mut admin, chat, "average-session-interactions", "").await;
    // By conversation day, debug c3 and message-less c4 left out: 11-03 c1 = 3 messages;
    // 11-05 c2 (2), c6 (1), c7 (1), c5 (1; created 11-05 23:40 PST) -> 5 / 4 = 1.25.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-03", "interactions": 3.0},
            {"date": "2023-11-05", "interactions": 1.25},
        ]))
    );
    let r = stat(&app, &mut admin, chat, "user-satisfaction-rate", "").await;
    // Rows of messages LEFT JOIN feedbacks: 11-03 1 row, 1 feedback -> 1000.0; 11-05: m2 has
    // two feedbacks, so 7 rows, 3 feedbacks -> round(3000 / 7, 2) = 428.57; 11-06: 1000 / 2.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-03", "rate": 1000.0},
            {"date": "2023-11-05", "rate": 428.57},
            {"date": "2023-11-06", "rate": 500.0},
        ]))
    );
    let r = stat(&app, &mut admin, chat, "tokens-per-second", "").await;
    // 11-03: 20 / 0.5 = 40.0; 11-05: (15+1+2+3+3+50) / (1.5+0.25+1+1+0.25+2) = 74 / 6 ->
    // 12.3333; 11-06: (0+60) / (0+3) = 20.0.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-03", "tps": 40.0},
            {"date": "2023-11-05", "tps": 12.3333},
            {"date": "2023-11-06", "tps": 20.0},
        ]))
    );
    let r = stat(&app, &mut admin, completion, "average-response-time", "").await;
    // 11-04: (0.1234 + 0.2) / 2 * 1000 = 161.7; 11-05: p3, p4 (23:59 PST) -> 0.0;
    // 11-06: 0.3333 * 1000 = 333.3.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-04", "latency": 161.7},
            {"date": "2023-11-05", "latency": 0.0},
            {"date": "2023-11-06", "latency": 333.3},
        ]))
    );
    let r = stat(&app, &mut admin, completion, "tokens-per-second", "").await;
    // 11-04: (10+3) / 0.3234 = 40.19789.. -> 40.1979; 11-05: latency sum 0 -> 0.0;
    // 11-06: 1 / 0.3333 = 3.00030.. -> 3.0003.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-04", "tps": 40.1979},
            {"date": "2023-11-05", "tps": 0.0},
            {"date": "2023-11-06", "tps": 3.0003},
        ]))
    );
    let r = stat(&app, &mut admin, completion, "token-costs", "").await;
    // 11-04: 3+10+4+3 = 20, 0.0000000 + 0.0000000 is Decimal '0E-7'; 11-05: 0+7+2+5 = 14, no
    // price known -> null; 11-06: 1+1 = 2, Decimal '1E-7'.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-04", "token_count": 20, "total_price": "0E-7", "currency": "USD"},
            {"date": "2023-11-05", "token_count": 14, "total_price": null, "currency": "USD"},
            {"date": "2023-11-06", "token_count": 2, "total_price": "1E-7", "currency": "USD"},
        ]))
    );

    set_timezone(&app, &mut admin, SH).await;
    let r = stat(&app, &mut admin, chat, "daily-conversations", "").await;
    // 11-04 {c1}; 11-05 m2 mA m7 m8 -> {c1 c2 c6 c7}; 11-06 m3 m4 m5 -> {c2 c3 c1}; 11-07 {c5}.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-04", "conversation_count": 1},
            {"date": "2023-11-05", "conversation_count": 4},
            {"date": "2023-11-06", "conversation_count": 3},
            {"date": "2023-11-07", "conversation_count": 1},
        ]))
    );
    let r = stat(&app, &mut admin, chat, "daily-end-users", "").await;
    // 11-06: m3 e2, m4 none, m5 e1 -> 2.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-04", "terminal_count": 1},
            {"date": "2023-11-05", "terminal_count": 2},
            {"date": "2023-11-06", "terminal_count": 2},
            {"date": "2023-11-07", "terminal_count": 1},
        ]))
    );
    let r = stat(&app, &mut admin, chat, "token-costs", "").await;
    // 11-05: 20+2+4+6 = 32, 0.0000500 + 0.0000100; 11-06: 10+150+0 = 160,
    // 0.0000001 + 0.0020000 + 0.0000000; 11-07: 90.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-04", "token_count": 30, "total_price": "0.0001000", "currency": "USD"},
            {"date": "2023-11-05", "token_count": 32, "total_price": "0.0000600", "currency": "USD"},
            {"date": "2023-11-06", "token_count": 160, "total_price": "0.0020001", "currency": "USD"},
            {"date": "2023-11-07", "token_count": 90, "total_price": "0.0000300", "currency": "USD"},
        ]))
    );
    let r = stat(&app, &mut admin, chat, "average-session-interactions", "").await;
    // 11-04 c1 = 3; 11-05 c2 (2), c6 (1), c7 (1) -> 4 / 3 = 1.33; 11-06 c5 = 1.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-04", "interactions": 3.0},
            {"date": "2023-11-05", "interactions": 1.33},
            {"date": "2023-11-06", "interactions": 1.0},
        ]))
    );
    let r = stat(&app, &mut admin, chat, "user-satisfaction-rate", "").await;
    // 11-05: m2 (2 rows, 2 feedbacks), mA, m7, m8 -> 2000 / 5 = 400.0; 11-06: m3, m4 (1), m5
    // -> 1000 / 3 = 333.33; 11-07: m6 (1) -> 1000.0.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-04", "rate": 1000.0},
            {"date": "2023-11-05", "rate": 400.0},
            {"date": "2023-11-06", "rate": 333.33},
            {"date": "2023-11-07", "rate": 1000.0},
        ]))
    );
    let r = stat(&app, &mut admin, chat, "tokens-per-second", "").await;
    // 11-05: (15+1+2+3) / (1.5+0.25+1+1) = 21 / 3.75 = 5.6; 11-06: (3+50+0) / 2.25 = 23.5556.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-04", "tps": 40.0},
            {"date": "2023-11-05", "tps": 5.6},
            {"date": "2023-11-06", "tps": 23.5556},
            {"date": "2023-11-07", "tps": 20.0},
        ]))
    );
    let r = stat(&app, &mut admin, completion, "average-response-time", "").await;
    // 11-05: p1 p2 -> 161.7; 11-06: (0 + 0 + 0.3333) / 3 * 1000 = 111.1.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-05", "latency": 161.7},
            {"date": "2023-11-06", "latency": 111.1},
        ]))
    );
    let r = stat(&app, &mut admin, completion, "tokens-per-second", "").await;
    // 11-06: (7+5+1) / 0.3333 = 39.00390.. -> 39.0039.
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-05", "tps": 40.1979},
            {"date": "2023-11-06", "tps": 39.0039},
        ]))
    );

    // Flask's jsonify, byte for byte: compact, keys sorted, Decimal as str(), trailing newline.
    let (content_type, body) = raw(&app, &admin, completion, "token-costs").await;
    assert_eq!(content_type, "application/json");
    assert_eq!(
        body,
        concat!(
            r#"{"data":[{"currency":"USD","date":"2023-11-05","token_count":20,"total_price":"0E-7"},"#,
            r#"{"currency":"USD","date":"2023-11-06","token_count":16,"total_price":"1E-7"}]}"#,
            "\n"
        )
    );
    let (_, body) = raw(&app, &admin, chat, "average-session-interactions").await;
    assert_eq!(
        body,
        concat!(
            r#"{"data":[{"date":"2023-11-04","interactions":3.0},{"date":"2023-11-05","interactions":1.33},"#,
            r#"{"date":"2023-11-06","interactions":1.0}]}"#,
            "\n"
        )
    );
    let (_, body) = raw(&app, &admin, chat, "daily-conversations").await;
    assert!(body.starts_with(r#"{"data":[{"conversation_count":1,"date":"2023-11-04"},"#), "{body}");
}

#[actix_web::test]
async fn start_is_inclusive_end_exclusive_in_the_account_zone() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut admin, apps) = prepare(&app, &env).await;
    let chat = apps.chat;

    set_timezone(&app, &mut admin, LA).await;
    // 00:30 PDT = 11-05 07:30 UTC (m2, kept); 23:30 PST = 11-06 07:30 UTC (m4, left out):
    // m2 mA m7 m8 m3 -> {c1 c2 c6 c7}. One-digit fields and `+` for the space work too.
    let expected = data(json!([{"date": "2023-11-05", "conversation_count": 4}]));
    for query in ["start=2023-11-05%2000:30&end=2023-11-05%2023:30", "start=2023-11-5+0:30&end=2023-11-5+23:30"] {
        let r = stat(&app, &mut admin, chat, "daily-conversations", query).await;
        assert_eq!(r.body, expected, "{query}: {r:?}");
    }
    // 01:30 happens twice that night; Dify (pytz, is_dst=False) takes PST: 09:30 UTC, so mA
    // (08:45 UTC, 01:45 PDT) is out. 11-05: m7 m8 m3 m4 -> 4+6+10+150 = 170,
    // 0.0000100 + 0.0000001 + 0.0020000; 11-06: m5 m6 -> 90.
    let r = stat(&app, &mut admin, chat, "token-costs", "start=2023-11-05%2001:30").await;
    assert_eq!(
        r.body,
        data(json!([
            {"date": "2023-11-05", "token_count": 170, "total_price": "0.0020101", "currency": "USD"},
            {"date": "2023-11-06", "token_count": 90, "total_price": "0.0000300", "currency": "USD"},
        ]))
    );
    // The window applies to the conversations' creation: 02:00 PST = 10:00 UTC keeps c6 (at
    // 10:00), c7 and c5 with one message each -> 1.0.
    let r = stat(&app, &mut admin, chat, "average-session-interactions", "start=2023-11-05%2002:00").await;
    assert_eq!(r.body, data(json!([{"date": "2023-11-05", "interactions": 1.0}])));
    // reqparse keeps the first of repeated values.
    let r = stat(&app, &mut admin, chat, "daily-end-users", "start=2023-11-06%2000:00&start=2023-11-01%2000:00").await;
    assert_eq!(r.body, data(json!([{"date": "2023-11-06", "terminal_count": 2}])));

    set_timezone(&app, &mut admin, SH).await;
    // 11-06 00:30 CST = 11-05 16:30 UTC (m3, kept) to 15:30 CST = 07:30 UTC (m4, left out).
    let r =
        stat(&app, &mut admin, chat, "daily-conversations", "start=2023-11-06%2000:30&end=2023-11-06%2015:30").await;
    assert_eq!(r.body, data(json!([{"date": "2023-11-06", "conversation_count": 1}])));
    // 11-05 00:00 CST = 11-04 16:00 UTC: only m1 before it.
    let r = stat(&app, &mut admin, chat, "daily-conversations", "end=2023-11-05%2000:00").await;
    assert_eq!(r.body, data(json!([{"date": "2023-11-04", "conversation_count": 1}])));
    // From 11-06 00:00 CST = 11-05 16:00 UTC: m3 m4 (1 feedback) m5 -> 333.33; m6 -> 1000.0.
    let r = stat(&app, &mut admin, chat, "user-satisfaction-rate", "start=2023-11-06%2000:00").await;
    assert_eq!(r.body, data(json!([{"date": "2023-11-06", "rate": 333.33}, {"date": "2023-11-07", "rate": 1000.0}])));

    // A malformed bound is reqparse's 400 naming it; Dify's message is its helper's KeyError.
    for (query, param) in [
        ("start=2023-11-05", "start"),
        ("start=", "start"),
        ("start=2023-11-05%2000:30:00", "start"),
        ("start=2023-11-05%2024:00", "start"),
        ("start=2023-11-05%2000:30&start=later", "start"),
        ("end=2023-02-30%2000:00", "end"),
        ("start=x&end=y", "start"),
    ] {
        for name in STATS.iter().filter(|n| **n != "average-response-time") {
            let r = stat(&app, &mut admin, chat, name, query).await;
            assert_error(&r, 400, "invalid_param");
            assert_eq!((r.body["message"].as_str(), r.body["params"].as_str()), (Some("'format'"), Some(param)));
        }
    }
    // The app is loaded first: the wrong mode answers 404 even with a malformed bound.
    let r = stat(&app, &mut admin, chat, "average-response-time", "start=nope").await;
    assert_error(&r, 404, "not_found");
}

#[actix_web::test]
async fn only_the_workspace_apps_of_the_right_mode_are_read() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut admin, apps) = prepare(&app, &env).await;

    let r = stat(&app, &mut admin, apps.completion, "average-session-interactions", "").await;
    assert_error(&r, 404, "not_found");
    assert_eq!(r.body["message"], "The chat app not found");
    let r = stat(&app, &mut admin, apps.chat, "average-response-time", "").await;
    assert_error(&r, 404, "not_found");
    assert_eq!(r.body["message"], "The completion app not found");

    // Apps without messages: every series is empty.
    for name in STATS {
        let id = if name == "average-response-time" { apps.empty_completion } else { apps.empty_chat };
        let r = stat(&app, &mut admin, id, name, "").await;
        assert_eq!((r.status.as_u16(), &r.body), (200, &data(json!([]))), "{name}");
    }
    let (_, body) = raw(&app, &admin, apps.empty_chat, "token-costs").await;
    assert_eq!(body, "{\"data\":[]}\n");

    // Another workspace's app is not found, whatever the statistic; its owner reads it.
    let db = &env.infra.db;
    let hash = accounts::account::hash("Bobpass123").await.expect("hash");
    let bob = NewAccount {
        email: "bob@example.com",
        name: "bob",
        password: Some(hash),
        interface_language: "en-US",
        status: status::ACTIVE,
        initialized: true,
    }
    .insert(db)
    .await
    .expect("account");
    let tenant =
        NewTenant::prepare(env.infra.storage.as_ref()).await.expect("keys").insert(db, "Bob's").await.expect("tenant");
    accounts::tenant::add_member(db, tenant.id, bob.id, TenantRole::Owner, None).await.expect("join");
    let theirs = insert_app(db, tenant.id, "chat").await;
    let conversation = insert_conversation(db, theirs, "chat", "2023-11-06 03:00", false, None).await;
    let m = Msg { at: "2023-11-06 03:00", conversation, end_user: None, tokens: (1, 2), price: None, latency: 1.0 };
    insert_message(db, theirs, m).await;
    for name in STATS {
        let r = stat(&app, &mut admin, theirs, name, "").await;
        assert_error(&r, 404, "not_found");
        assert_eq!(r.body["message"], "App not found", "{name}");
    }
    let r = stat(&app, &mut admin, Uuid::new_v4(), "daily-conversations", "").await;
    assert_eq!(r.body["message"], "App not found");
    let r = send(&app, &mut admin, Method::GET, "/console/api/apps/not-a-uuid/statistics/token-costs", None).await;
    assert_eq!(r.status.as_u16(), 404);

    let mut bob_client = Client::default();
    let r = send(
        &app,
        &mut bob_client,
        Method::POST,
        "/console/api/login",
        Some(json!({"email": "bob@example.com", "password": "Bobpass123"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    // New accounts are on America/New_York: 03:00 UTC is 22:00 EST the day before.
    let r = stat(&app, &mut bob_client, theirs, "daily-conversations", "").await;
    assert_eq!(r.body, data(json!([{"date": "2023-11-05", "conversation_count": 1}])));
    // Without a usable zone the days are UTC days.
    for tz in [None, Some("Mars/Olympus_Mons")] {
        let row =
            account_rows::ActiveModel { id: Set(bob.id), timezone: Set(tz.map(String::from)), ..Default::default() };
        row.update(db).await.expect("timezone");
        let r = stat(&app, &mut bob_client, theirs, "daily-conversations", "").await;
        assert_eq!(r.body, data(json!([{"date": "2023-11-06", "conversation_count": 1}])), "{tz:?}");
    }
    // Bob's session does not open the admin's apps either.
    let r = stat(&app, &mut bob_client, apps.chat, "daily-conversations", "").await;
    assert_error(&r, 404, "not_found");

    let mut anonymous = Client::default();
    let r = stat(&app, &mut anonymous, apps.chat, "daily-conversations", "").await;
    assert_error(&r, 401, "unauthorized");
}
