//! The HTTP ground every route stands on: error JSON, route table, CORS, headers, health.
//! Runs in both modes (embedded, and PostgreSQL/Redis/RabbitMQ with DIFY_TEST_BACKEND=services).

use actix_web::http::{Method, StatusCode, header};
use actix_web::test::{self, TestRequest};
use actix_web::{HttpResponse, web};
use api_server::{AppState, app, app_with};
use serde_json::{Value, json};
use test_support::TestEnv;

async fn state() -> (TestEnv, AppState) {
    let env =
        TestEnv::with_vars(&[("CONSOLE_WEB_URL", "http://console.test:3000"), ("MAX_REQUEST_BODY", "1024")]).await;
    let state = AppState::new(env.config.clone(), env.infra.clone());
    (env, state)
}

/// Reads a response as Dify error JSON and checks its shape.
async fn error_json(resp: actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>) -> (StatusCode, Value) {
    let status = resp.status();
    let ct = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = test::read_body(resp).await;
    assert!(ct.starts_with("application/json"), "content type {ct:?}, body {:?}", String::from_utf8_lossy(&body));
    let json: Value = serde_json::from_slice(&body).expect("json body");
    assert!(json["code"].is_string() && json["message"].is_string(), "{json}");
    assert_eq!(json["status"], status.as_u16(), "{json}");
    (status, json)
}

#[derive(serde::Deserialize)]
struct Echo {
    #[allow(dead_code)]
    name: String,
}

fn test_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/test/echo",
        web::post().to(|b: web::Json<Echo>| async move { HttpResponse::Ok().json(json!({"ok": b.name})) }),
    )
    .route("/test/bare-401", web::get().to(|| async { HttpResponse::Unauthorized().body("<html>no</html>") }));
}

#[actix_web::test]
async fn health_answers_with_version_headers() {
    let (_env, state) = state().await;
    let app = test::init_service(app(state)).await;
    let resp = test::call_service(&app, TestRequest::get().uri("/health").to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers().get("X-Version").expect("X-Version"), "0.3.23");
    assert_eq!(resp.headers().get("X-Env").expect("X-Env"), "PRODUCTION");
    let body: Value = test::read_body_json(resp).await;
    assert_eq!(body, json!({"status": "ok", "version": "0.3.23"}));
}

#[actix_web::test]
async fn unknown_routes_and_wrong_methods_answer_dify_json() {
    let (_env, state) = state().await;
    let app = test::init_service(app(state)).await;
    for uri in ["/nope", "/console/api/nope", "/v1/nope", "/api/nope", "/console/api/apps/not-a-uuid"] {
        let resp = test::call_service(&app, TestRequest::get().uri(uri).to_request()).await;
        let (status, json) = error_json(resp).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(json["code"], "not_found", "{uri}");
    }
    let resp = test::call_service(&app, TestRequest::delete().uri("/health").to_request()).await;
    let (status, json) = error_json(resp).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(json["code"], "method_not_allowed");
    // A contract path with a method the contract does not list.
    let resp = test::call_service(&app, TestRequest::put().uri("/console/api/setup").to_request()).await;
    assert_eq!(error_json(resp).await.0, StatusCode::METHOD_NOT_ALLOWED);
}

#[actix_web::test]
async fn unbuilt_contract_routes_answer_501_on_every_surface() {
    let (_env, state) = state().await;
    let app = test::init_service(app(state)).await;
    let id = uuid::Uuid::new_v4();
    let cases = [
        (Method::POST, "/console/api/datasets/notion-indexing-estimate".to_string()),
        (Method::GET, format!("/console/api/datasets/{id}/notion/sync")),
        (Method::GET, format!("/console/api/datasets/{id}/documents/{id}/notion/sync")),
    ];
    for (method, uri) in cases {
        let resp = test::call_service(&app, TestRequest::default().method(method.clone()).uri(&uri).to_request()).await;
        let (status, json) = error_json(resp).await;
        assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{method} {uri}");
        assert_eq!(json["code"], "not_implemented");
    }
    // The 501 names the endpoint; a static segment (`notion-indexing-estimate`) reaches its
    // own rule beside the built `datasets/<uuid:dataset_id>`.
    let resp = test::call_service(
        &app,
        TestRequest::post().uri("/console/api/datasets/notion-indexing-estimate").to_request(),
    )
    .await;
    let (_, json) = error_json(resp).await;
    assert!(json["message"].as_str().unwrap_or_default().contains("console.datasourcenotionapi"), "{json}");
}

#[actix_web::test]
async fn malformed_wrong_typed_oversized_and_untyped_bodies_are_4xx_json() {
    let (_env, state) = state().await;
    let app = test::init_service(app_with(state, test_routes)).await;
    let post = |body: &'static str, ct: &'static str| {
        TestRequest::post().uri("/test/echo").insert_header((header::CONTENT_TYPE, ct)).set_payload(body).to_request()
    };
    let (status, json) = error_json(test::call_service(&app, post("{not json", "application/json")).await).await;
    assert_eq!((status, json["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")), "{json}");
    let (status, json) = error_json(test::call_service(&app, post(r#"{"name": 5}"#, "application/json")).await).await;
    assert_eq!((status, json["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_param")), "{json}");
    let (status, _) = error_json(test::call_service(&app, post(r#"{"name":"x"}"#, "text/plain")).await).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let big: &'static str = Box::leak(format!(r#"{{"name":"{}"}}"#, "x".repeat(4096)).into_boxed_str());
    let (status, json) = error_json(test::call_service(&app, post(big, "application/json")).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{json}");
    let resp = test::call_service(&app, post(r#"{"name":"x"}"#, "application/json")).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[actix_web::test]
async fn non_json_error_responses_are_rewritten_as_dify_json() {
    let (_env, state) = state().await;
    let app = test::init_service(app_with(state, test_routes)).await;
    let resp = test::call_service(&app, TestRequest::get().uri("/test/bare-401").to_request()).await;
    let (status, json) = error_json(resp).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(json["code"], "unauthorized");
}

#[actix_web::test]
async fn console_cors_allows_credentials_for_its_origin_only() {
    let (_env, state) = state().await;
    let app = test::init_service(app(state)).await;
    let preflight = |origin: &'static str| {
        TestRequest::default()
            .method(Method::OPTIONS)
            .uri("/console/api/apps")
            .insert_header((header::ORIGIN, origin))
            .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "POST"))
            .insert_header((header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type"))
            .to_request()
    };
    let resp = test::call_service(&app, preflight("http://console.test:3000")).await;
    assert!(resp.status().is_success(), "{}", resp.status());
    let h = resp.headers();
    assert_eq!(h.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).expect("allow-origin"), "http://console.test:3000");
    assert_eq!(h.get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS).expect("credentials"), "true");

    let resp = test::call_service(&app, preflight("http://evil.test")).await;
    assert!(resp.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(), "foreign origin must not be allowed");

    // Actual requests expose the version headers the console reads.
    let resp = test::call_service(
        &app,
        TestRequest::get()
            .uri("/console/api/version")
            .insert_header((header::ORIGIN, "http://console.test:3000"))
            .to_request(),
    )
    .await;
    let exposed = resp
        .headers()
        .get(header::ACCESS_CONTROL_EXPOSE_HEADERS)
        .expect("expose")
        .to_str()
        .unwrap_or("")
        .to_ascii_lowercase();
    assert!(exposed.contains("x-version") && exposed.contains("x-env"), "{exposed}");
}

#[actix_web::test]
async fn service_api_is_open_to_any_origin() {
    let (_env, state) = state().await;
    let app = test::init_service(app(state)).await;
    let resp = test::call_service(
        &app,
        TestRequest::default()
            .method(Method::OPTIONS)
            .uri("/v1/chat-messages")
            .insert_header((header::ORIGIN, "http://anywhere.test"))
            .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "POST"))
            .insert_header((header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization,content-type"))
            .to_request(),
    )
    .await;
    assert!(resp.status().is_success());
    assert_eq!(resp.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).expect("allow-origin"), "*");
}

#[actix_web::test]
async fn pool_stat_reports_the_configured_pool() {
    let (env, state) = state().await;
    let app = test::init_service(app(state)).await;
    let body: Value =
        test::read_body_json(test::call_service(&app, TestRequest::get().uri("/db-pool-stat").to_request()).await)
            .await;
    assert_eq!(body["pool_size"], env.config.database_pool_size);
}

#[actix_web::test]
async fn version_reports_the_update_service_or_what_is_running() {
    // A local stand-in for Dify's update service.
    let server = actix_web::HttpServer::new(|| {
        actix_web::App::new().route(
            "/",
            web::get().to(|q: web::Query<std::collections::HashMap<String, String>>| async move {
                assert_eq!(q.get("current_version").map(String::as_str), Some("0.3.23"));
                HttpResponse::Ok().json(json!({"version": "0.3.24", "releaseDate": "2023-09-27", "releaseNotes": "notes", "canAutoUpdate": false}))
            }),
        )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .expect("bind");
    let url = format!("http://127.0.0.1:{}/", server.addrs()[0].port());
    actix_web::rt::spawn(server.run());
    for (check_url, expected) in [
        (
            url.as_str(),
            json!({"version": "0.3.24", "release_date": "2023-09-27", "release_notes": "notes", "can_auto_update": false}),
        ),
        ("", json!({"version": "0.0.0", "release_date": "", "release_notes": "", "can_auto_update": false})),
        (
            "http://127.0.0.1:9/",
            json!({"version": "0.3.23", "release_date": "", "release_notes": "", "can_auto_update": false}),
        ),
    ] {
        let env = TestEnv::with_vars(&[("CHECK_UPDATE_URL", check_url)]).await;
        let app = test::init_service(app(AppState::new(env.config.clone(), env.infra.clone()))).await;
        let resp = test::call_service(
            &app,
            TestRequest::get().uri("/console/api/version?current_version=0.3.23").to_request(),
        )
        .await;
        let body: Value = test::read_body_json(resp).await;
        assert_eq!(body, expected, "CHECK_UPDATE_URL={check_url:?}");
    }
    let env = TestEnv::new().await;
    let app = test::init_service(app(AppState::new(env.config.clone(), env.infra.clone()))).await;
    let resp = test::call_service(&app, TestRequest::get().uri("/console/api/version").to_request()).await;
    let (status, json) = error_json(resp).await;
    assert_eq!((status, json["params"].as_str()), (StatusCode::BAD_REQUEST, Some("current_version")));
}
