//! `/metrics` after a streamed chat and an indexed document: the request by its route
//! template, the stream, the model's tokens and first-token time, and the indexing job are
//! all counted, in Prometheus's text format.

mod common;

use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::datasets::*;
use common::*;
use serde_json::json;
use test_support::fake_openai::FakeOpenAi;

/// The value of the first sample line that starts with `series` (name and labels).
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find(|l| l.starts_with(series)).and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse().ok())
}

#[actix_web::test]
async fn a_scrape_counts_the_request_the_stream_the_tokens_and_the_job() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;

    let config = json!({
        "pre_prompt": "",
        "model": {"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": {"max_tokens": 64}}
    });
    let r = send(
        &app,
        &mut c,
        Method::POST,
        "/console/api/apps",
        Some(json!({"name": "Tea", "mode": "chat", "model_config": config})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let app_id = r.body["id"].as_str().expect("id").to_owned();
    let r = send(&app, &mut c, Method::POST, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    let mut key = Client { bearer: Some(r.body["token"].as_str().expect("token").to_owned()), ..Client::default() };
    let ask = json!({"inputs": {}, "query": "Which tea?", "user": "u1", "response_mode": "streaming"});
    let r = send(&app, &mut key, Method::POST, "/v1/chat-messages", Some(ask)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");

    let worker = start_worker(&env);
    let file = upload(&app, &c, "tea.txt", b"Oolong is partly oxidised.\n\nSencha is steamed.").await;
    let (dataset_id, settled) = init_settled(&app, &mut c, "high_quality", &[file]).await;
    assert_eq!(settled[0]["indexing_status"], "completed", "{settled:?}");
    stop_worker(worker).await;

    // Whatever a client sends, it cannot make series of its own.
    let odd = actix_web::http::Method::from_bytes(b"BREW4a1c").expect("method");
    test::call_service(&app, test::TestRequest::default().method(odd).uri("/v1/no/such/4a1c").to_request()).await;
    let r = test::call_service(&app, test::TestRequest::get().uri("/metrics").to_request()).await;
    assert_eq!(r.status().as_u16(), 200);
    let kind = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(kind.starts_with("text/plain"), "{kind}");
    let scrape = String::from_utf8(test::read_body(r).await.to_vec()).expect("utf8");
    let at_least_one = |series: &str| {
        assert!(sample(&scrape, series).is_some_and(|v| v >= 1.0), "no {series} in the scrape:\n{scrape}");
    };
    at_least_one(r#"http_requests_total{surface="service",route="/v1/chat-messages",method="POST",status="200"}"#);
    at_least_one(r#"http_request_duration_seconds_count{surface="service",route="/v1/chat-messages",method="POST"}"#);
    at_least_one("sse_streams_total");
    assert!(scrape.lines().any(|l| l.starts_with("sse_streams_open")), "{scrape}");
    at_least_one(r#"llm_tokens_total{provider="openai",model="gpt-3.5-turbo",kind="completion"}"#);
    at_least_one(r#"llm_time_to_first_token_seconds_count{provider="openai",model="gpt-3.5-turbo"}"#);
    at_least_one(r#"jobs_total{queue="dataset",outcome="done"}"#);
    at_least_one(r#"job_duration_seconds_count{queue="dataset"}"#);
    assert!(scrape.contains(r#"db_pool_connections{state="idle"}"#), "{scrape}");
    at_least_one(r#"db_pool_connections{state="max"}"#);
    assert!(scrape.contains(r#"queue_depth{queue="dataset"}"#), "{scrape}");
    // The embedded store's collection, on disk.
    at_least_one("vector_collections");
    at_least_one("vector_store_bytes");
    // Ids never become labels: the route is its template.
    assert!(!scrape.contains(&dataset_id), "a path id leaked into a label");
    assert!(!scrape.contains("4a1c"), "a client's method or path became a label");
    at_least_one(r#"http_requests_total{surface="service",route="unmatched",method="other",status="404"}"#);
}
