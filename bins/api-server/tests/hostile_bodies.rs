//! Malformed bodies on every JSON route built so far: wrong types, missing fields, huge
//! strings, deep nesting, invalid UTF-8, non-object JSON. Each answers 4xx with Dify's
//! error JSON, never a 500, and writes nothing.

mod common;

use actix_web::http::{Method, header};
use actix_web::test::{self, TestRequest};
use api_server::app;
use common::*;
use serde_json::{Value, json};

/// Every JSON route of the console built so far, with the method it takes.
const JSON_ROUTES: &[(&str, &str)] = &[
    ("POST", "/console/api/setup"),
    ("POST", "/console/api/login"),
    ("POST", "/console/api/activate"),
    ("POST", "/console/api/account/init"),
    ("POST", "/console/api/account/name"),
    ("POST", "/console/api/account/avatar"),
    ("POST", "/console/api/account/interface-language"),
    ("POST", "/console/api/account/interface-theme"),
    ("POST", "/console/api/account/timezone"),
    ("POST", "/console/api/account/password"),
    ("POST", "/console/api/workspaces/switch"),
    ("POST", "/console/api/workspaces/current/members/invite-email"),
    ("PUT", "/console/api/workspaces/current/members/00000000-0000-0000-0000-000000000000/update-role"),
];

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

#[actix_web::test]
async fn malformed_bodies_never_reach_a_500() {
    let (_env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    let r = send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    assert_eq!(r.status.as_u16(), 201);
    let cookie = format!("session={}", admin.cookie.clone().expect("cookie"));

    let huge = format!(
        r#"{{"email":"{}","name":"{}","password":"{}","emails":["{}"]}}"#,
        "a".repeat(64),
        "n".repeat(10 << 20),
        "p".repeat(1000),
        "e".repeat(1000)
    );
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("not json", b"{not json".to_vec()),
        ("array", b"[1,2,3]".to_vec()),
        ("string", br#""hello""#.to_vec()),
        ("null", b"null".to_vec()),
        ("empty", Vec::new()),
        ("wrong types", br#"{"email":1,"name":[],"password":{},"emails":5,"role":true,"token":1.5,"tenant_id":[],"timezone":7,"interface_language":false,"interface_theme":0,"avatar":{},"new_password":1,"repeat_new_password":2}"#.to_vec()),
        ("deep nesting", nested(10_000).into_bytes()),
        ("invalid utf-8", vec![b'{', b'"', b'e', 0xff, 0xfe, b'"', b':', b'1', b'}']),
        ("huge strings", huge.into_bytes()),
    ];
    for (method, uri) in JSON_ROUTES {
        for (what, body) in &bodies {
            let req = TestRequest::default()
                .method(Method::from_bytes(method.as_bytes()).expect("method"))
                .uri(uri)
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .insert_header((header::COOKIE, cookie.clone()))
                .set_payload(body.clone())
                .to_request();
            let resp = test::call_service(&app, req).await;
            let status = resp.status().as_u16();
            let bytes = test::read_body(resp).await;
            assert!(
                (400..500).contains(&status),
                "{method} {uri} with {what}: {status} {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
            );
            let json: Value =
                serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("{method} {uri} with {what}: not JSON"));
            assert!(json["code"].is_string() && json["message"].is_string(), "{method} {uri} with {what}: {json}");
            assert_eq!(json["status"], status, "{method} {uri} with {what}");
        }
    }
    // Nothing was changed by any of it.
    let r = send(&app, &mut admin, Method::GET, "/console/api/account/profile", None).await;
    assert_eq!((r.body["name"].as_str(), r.body["timezone"].as_str()), (Some("admin"), Some("America/New_York")));
    let r = send(&app, &mut admin, Method::GET, "/console/api/workspaces/current/members", None).await;
    assert_eq!(r.body["accounts"].as_array().map(Vec::len), Some(1));
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/login",
        Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "the password is unchanged");
}

#[actix_web::test]
async fn bodies_over_the_limit_are_413() {
    let (_env, state) = state_with(&[("MAX_REQUEST_BODY", "65536")]).await;
    let app = test::init_service(app(state)).await;
    let body = format!(r#"{{"email":"a@b.co","password":"{}"}}"#, "x".repeat(100_000));
    let req = TestRequest::post()
        .uri("/console/api/login")
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .set_payload(body)
        .to_request();
    let resp = test::call_service(&app, req).await;
    // The body is refused before any handler logic runs.
    let status = resp.status().as_u16();
    let json: Value = serde_json::from_slice(&test::read_body(resp).await).expect("json");
    assert_eq!((status, json["code"].as_str()), (413, Some("request_entity_too_large")), "{json}");
}
