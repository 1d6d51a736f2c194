//! Values a hostile user types, in both run modes, with the same answer on SQLite and
//! PostgreSQL: huge page numbers, LIKE metacharacters, NUL characters and values longer than
//! their column on every surface, and parallel deletes of one thing (one winner).

mod common;
mod history_seed;

use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::datasets::*;
use common::*;
use futures::future::join_all;
use history_seed::*;
use serde_json::{Value, json};
use test_support::fake_openai::FakeOpenAi;

fn economy(file_ids: &[String]) -> Value {
    json!({
        "indexing_technique": "economy",
        "data_source": upload_source(file_ids),
        "process_rule": {"mode": "custom", "rules": {
            "pre_processing_rules": [], "segmentation": {"separator": "\n", "max_tokens": 100}}},
        "doc_form": "text_model",
        "doc_language": "English"
    })
}

#[actix_web::test]
async fn huge_page_numbers_are_400_and_like_wildcards_match_literally() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);
    let ids = vec![
        upload(&app, &c, "50%_off.txt", b"Half price: 50% off\nNothing special here").await,
        upload(&app, &c, "500ff.txt", b"Five hundred\nplain words").await,
    ];
    let r = send(&app, &mut c, Method::POST, "/console/api/datasets/init", Some(economy(&ids))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset = r.body["dataset"]["id"].as_str().expect("dataset").to_string();
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    batch_settled(&app, &mut c, &dataset, &batch).await;

    for uri in [
        "/console/api/datasets".to_string(),
        format!("/console/api/datasets/{dataset}/documents"),
        format!("/console/api/datasets/{dataset}/queries"),
    ] {
        for query in ["page=9223372036854775807", "page=99999999999999999999999&limit=5"] {
            let r = send(&app, &mut c, Method::GET, &format!("{uri}?{query}"), None).await;
            assert_error(&r, 400, "invalid_param");
            assert_eq!(r.body["params"], "page", "{uri}?{query}: {r:?}");
        }
        // The last page an offset can reach is still a page (empty).
        let r = send(&app, &mut c, Method::GET, &format!("{uri}?page=9223372036854775807&limit=1"), None).await;
        assert_eq!((r.status.as_u16(), r.body["data"].as_array().map(Vec::len)), (200, Some(0)), "{uri}: {r:?}");
    }

    // `%` and `_` are literal in keyword searches.
    let docs_uri = format!("/console/api/datasets/{dataset}/documents");
    let r = send(&app, &mut c, Method::GET, &format!("{docs_uri}?keyword=50%25_"), None).await;
    let names: Vec<&str> = r.body["data"].as_array().expect("data").iter().filter_map(|d| d["name"].as_str()).collect();
    assert_eq!(names, vec!["50%_off.txt"], "{r:?}");
    let r = send(&app, &mut c, Method::GET, &format!("{docs_uri}?keyword=_"), None).await;
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(1), "{r:?}");
    let doc = names_to_ids(&r.body)[0].clone();
    let r = send(&app, &mut c, Method::GET, &format!("{docs_uri}/{doc}/segments?keyword=%25"), None).await;
    let contents: Vec<&str> =
        r.body["data"].as_array().expect("data").iter().filter_map(|s| s["content"].as_str()).collect();
    assert_eq!(contents, vec!["Half price: 50% off"], "{r:?}");
    // NUL in a query argument: refused by name, on both databases.
    let r = send(&app, &mut c, Method::GET, &format!("{docs_uri}?keyword=%00"), None).await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["params"], "keyword");
    stop_worker(worker).await;
}

fn names_to_ids(page: &Value) -> Vec<String> {
    page["data"].as_array().into_iter().flatten().filter_map(|d| d["id"].as_str().map(str::to_owned)).collect()
}

/// Statuses of `n` identical requests sent at once.
async fn all_at_once<S, B>(app: &S, c: &Client, method: Method, uri: &str, n: usize) -> Vec<u16>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let sends = (0..n).map(|_| {
        let mut c = c.clone();
        let method = method.clone();
        async move { send(app, &mut c, method, uri, None).await.status.as_u16() }
    });
    let mut statuses = join_all(sends).await;
    statuses.sort_unstable();
    statuses
}

fn one_winner(statuses: &[u16], ok: u16) {
    let wins = statuses.iter().filter(|s| **s == ok).count();
    let lost = statuses.iter().filter(|s| **s == 404).count();
    assert_eq!((wins, lost), (1, statuses.len() - 1), "{statuses:?}");
}

#[actix_web::test]
async fn parallel_deletes_of_one_thing_have_one_winner() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;

    let r = send(&app, &mut c, Method::POST, "/console/api/apps", Some(json!({"name": "Bot", "mode": "chat"}))).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let app_id = r.body["id"].as_str().expect("id").to_string();
    one_winner(&all_at_once(&app, &c, Method::DELETE, &format!("/console/api/apps/{app_id}"), 50).await, 204);

    let worker = start_worker(&env);
    // Lines too long to share a 100-token segment.
    let lines: String = (0..3).map(|i| format!("{}\n", format!("line {i} word ").repeat(25))).collect();
    let ids =
        vec![upload(&app, &c, "a.txt", lines.as_bytes()).await, upload(&app, &c, "b.txt", b"Another document").await];
    let r = send(&app, &mut c, Method::POST, "/console/api/datasets/init", Some(economy(&ids))).await;
    let dataset = r.body["dataset"]["id"].as_str().expect("dataset").to_string();
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    batch_settled(&app, &mut c, &dataset, &batch).await;
    let list = send(&app, &mut c, Method::GET, &format!("/console/api/datasets/{dataset}/documents"), None).await;
    let doc_named = |name: &str| {
        list.body["data"].as_array().into_iter().flatten().find(|d| d["name"] == name).and_then(|d| d["id"].as_str())
    };
    let docs = [doc_named("a.txt").expect("a.txt").to_owned(), doc_named("b.txt").expect("b.txt").to_owned()];
    let segs_uri = format!("/console/api/datasets/{dataset}/documents/{}/segments", docs[0]);
    let segs = names_to_ids(&send(&app, &mut c, Method::GET, &segs_uri, None).await.body);
    assert!(segs.len() >= 2, "{segs:?}");
    one_winner(&all_at_once(&app, &c, Method::DELETE, &format!("{segs_uri}/{}", segs[0]), 20).await, 200);
    let doc_uri = format!("/console/api/datasets/{dataset}/documents/{}", docs[1]);
    one_winner(&all_at_once(&app, &c, Method::DELETE, &doc_uri, 20).await, 204);
    one_winner(&all_at_once(&app, &c, Method::DELETE, &format!("/console/api/datasets/{dataset}"), 20).await, 204);
    stop_worker(worker).await;
}

#[actix_web::test]
async fn nul_and_overlong_values_are_400_naming_the_field_on_every_surface() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let svc = test::init_service(app(state)).await;
    let (mut c, tenant) = owner(&env, &svc, &fake).await;
    let long = "x".repeat(256);

    // Console.
    for (uri, body, field) in [
        ("/console/api/apps", json!({"name": "a\u{0}b", "mode": "chat"}), "name"),
        ("/console/api/apps", json!({"name": "ok", "mode": "chat", "icon": long}), "icon"),
        ("/console/api/apps", json!({"name": "ok", "mode": "chat", "icon_background": long}), "icon_background"),
    ] {
        let r = send(&svc, &mut c, Method::POST, uri, Some(body)).await;
        assert_error(&r, 400, "invalid_param");
        assert_eq!(r.body["params"], field, "{r:?}");
    }
    let seeded = seed_app(&env, tenant, "chat").await;
    let app_id = seeded.app.id;
    let r = send(&svc, &mut c, Method::POST, &format!("/console/api/apps/{app_id}/site"), Some(json!({"title": long})))
        .await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["params"], "title", "{r:?}");
    let r = send(&svc, &mut c, Method::POST, "/console/api/account/name", Some(json!({"name": "me\u{0}"}))).await;
    assert_error(&r, 400, "invalid_param");
    // Nothing was half-written: the site keeps its title.
    let r = send(&svc, &mut c, Method::GET, &format!("/console/api/apps/{app_id}"), None).await;
    assert_ne!(r.body["site"]["title"], json!(long), "{r:?}");

    // Service API: the `user` string and conversation names.
    let mut k = Client { cookie: None, bearer: Some(seeded.key.clone()) };
    let r = send(&svc, &mut k, Method::GET, &format!("/v1/conversations?user={long}"), None).await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["params"], "user", "{r:?}");
    let r = send(&svc, &mut k, Method::GET, "/v1/conversations?user=a%00b", None).await;
    assert_error(&r, 400, "invalid_param");
    let body = json!({"inputs": {}, "query": "hi\u{0}", "user": "alice", "response_mode": "blocking"});
    let r = send(&svc, &mut k, Method::POST, "/v1/chat-messages", Some(body)).await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["params"], "query");
    // Its 400 carries CORS headers like any answer of the surface, so browsers can read it.
    let req = test::TestRequest::post()
        .uri("/v1/chat-messages")
        .insert_header(("Origin", "https://elsewhere.example"))
        .insert_header(("Authorization", format!("Bearer {}", seeded.key)))
        .set_json(json!({"inputs": {}, "query": "\u{0}", "user": "alice", "response_mode": "blocking"}))
        .to_request();
    let resp = test::call_service(&svc, req).await;
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp.headers().contains_key("access-control-allow-origin"), "{:?}", resp.headers());
    let alice = conversations::end_user::for_service_api(
        &::apps::hot::HotApps::new(env.infra.cache.clone()),
        &env.infra.db,
        &seeded.app,
        Some("alice"),
    )
    .await
    .expect("user");
    let conv = seed_conversation(&env, &seeded.app, conversations::Caller::EndUser(alice.id), "first", at(1)).await;
    let r = send(
        &svc,
        &mut k,
        Method::POST,
        &format!("/v1/conversations/{conv}/name"),
        Some(json!({"name": long, "user": "alice"})),
    )
    .await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["params"], "name", "{r:?}");
    // Twenty deletes of it at once: one winner.
    let deletes = (0..20).map(|_| {
        let mut k = k.clone();
        let svc = &svc;
        async move {
            let uri = format!("/v1/conversations/{conv}");
            send(svc, &mut k, Method::DELETE, &uri, Some(json!({"user": "alice"}))).await.status.as_u16()
        }
    });
    let mut statuses = join_all(deletes).await;
    statuses.sort_unstable();
    assert_eq!(statuses.iter().filter(|s| **s == 404).count(), 19, "{statuses:?}");
    assert!(statuses[0] < 300, "{statuses:?}");

    // Web app.
    let token = passport(&svc, &seeded.code).await;
    let mut w = Client { cookie: None, bearer: Some(token) };
    let body = json!({"inputs": {"topic": "\u{0}"}, "query": "hi", "response_mode": "blocking"});
    let r = send(&svc, &mut w, Method::POST, "/api/chat-messages", Some(body)).await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["params"], "inputs.topic");
}
