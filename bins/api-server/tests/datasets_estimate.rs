//! Indexing estimates over HTTP, in both run modes: uploads about to become documents
//! (segments, embedding tokens, price, the five-segment preview; economy counts nothing;
//! Dify's validation errors; Notion is 501; Q&A previews from the model), documents and batches until they finish
//! indexing, and a deleted dataset's vectors going with it.

mod common;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::test::{self};
use api_server::app;
use common::datasets::*;
use common::*;
use providers::tokens::Encoding;
use rag::vector::collection_name_for_dataset;
use serde_json::{Value, json};
use test_support::fake_openai::FakeOpenAi;
use test_support::files;
use uuid::Uuid;

const ESTIMATE: &str = "/console/api/datasets/indexing-estimate";

fn upload_info(file_ids: &[&str]) -> Value {
    json!({"data_source_type": "upload_file", "file_info_list": {"file_ids": file_ids}})
}

fn custom_rule(max_tokens: i64) -> Value {
    json!({"mode": "custom", "rules": {
        "pre_processing_rules": [{"id": "remove_extra_spaces", "enabled": true}, {"id": "remove_urls_emails", "enabled": false}],
        "segmentation": {"separator": "\\n", "max_tokens": max_tokens}
    }})
}

fn estimate_body(file_ids: &[&str], rule: Value, technique: Value) -> Value {
    json!({"info_list": upload_info(file_ids), "process_rule": rule, "indexing_technique": technique,
           "doc_form": "text_model", "doc_language": "English"})
}

/// Eight lines, each its own segment under a "\n" custom rule.
fn lines() -> Vec<String> {
    (0..8).map(|i| format!("Line {i}: green tea is steamed,   black tea is oxidised.")).collect()
}

fn expected_tokens(segments: &[String]) -> usize {
    segments.iter().map(|s| Encoding::Cl100kBase.count(s)).sum()
}

fn ada_price(tokens: usize) -> String {
    providers::pricing::embedding_price("openai", "text-embedding-ada-002", tokens as u32).total_price.to_string()
}

#[actix_web::test]
async fn uploads_are_estimated_with_tokens_price_and_a_preview() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let txt = upload(&app, &c, "notes.txt", lines().join("\n").as_bytes()).await;
    let pdf = upload(&app, &c, "tea.pdf", &files::pdf(&["Tea grows in Assam.", "Sencha is Japanese."])).await;

    // Custom rule: a segment per line, cleaned; tokens by the embedding model, priced as ada-002.
    let r = send(
        &app,
        &mut c,
        Method::POST,
        ESTIMATE,
        Some(estimate_body(&[&txt], custom_rule(100), json!("high_quality"))),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let cleaned: Vec<String> = lines().iter().map(|l| l.replace("   ", " ")).collect();
    assert_eq!(r.body["total_segments"], 8, "{r:?}");
    assert_eq!(r.body["preview"], json!(cleaned[..5]), "the first five segments");
    let tokens = expected_tokens(&cleaned);
    assert_eq!(r.body["tokens"], tokens);
    assert_eq!(r.body["total_price"], ada_price(tokens));
    assert_eq!(r.body["currency"], "USD");
    assert!(r.body.get("qa_preview").is_none());
    assert_eq!(fake.requests().len(), 0, "estimating embeds nothing");

    // Automatic rule over two files: the text is one segment, the PDF one per page.
    let r = send(
        &app,
        &mut c,
        Method::POST,
        ESTIMATE,
        Some(estimate_body(&[&txt, &pdf], json!({"mode": "automatic"}), json!("high_quality"))),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["total_segments"], 3, "{r:?}");
    let preview = r.body["preview"].as_array().expect("preview");
    assert!(preview[1].as_str().is_some_and(|p| p.contains("Assam")), "{r:?}");
    assert!(r.body["tokens"].as_u64().is_some_and(|t| t > tokens as u64), "{r:?}");

    // Economy (or no technique): segments only, the price is the number 0.
    for technique in [json!("economy"), Value::Null] {
        let r =
            send(&app, &mut c, Method::POST, ESTIMATE, Some(estimate_body(&[&txt], custom_rule(100), technique))).await;
        assert_eq!(r.status.as_u16(), 200, "{r:?}");
        assert_eq!(
            (r.body["total_segments"].clone(), r.body["tokens"].clone(), r.body["total_price"].clone()),
            (json!(8), json!(0), json!(0)),
            "{r:?}"
        );
        assert_eq!(r.body["currency"], "USD");
    }

    // Dify's validation.
    let post = |body: Value| send_owned(&app, c.clone(), body);
    let r = post(json!({"process_rule": {"mode": "automatic"}, "indexing_technique": null})).await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["params"], "info_list");
    let mut body = estimate_body(&[&txt], json!({"mode": "automatic"}), json!("economy"));
    body["info_list"]["data_source_type"] = json!("website");
    let r = post(body.clone()).await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["message"], "Data source type not support");
    body["info_list"] = json!({"data_source_type": "notion_import", "notion_info_list": []});
    assert_error(&post(body).await, 501, "not_implemented");
    let r = post(estimate_body(&[&txt], custom_rule(20), json!("economy"))).await;
    assert_eq!(r.body["message"], "Custom segment length should be between 50 and 1000.", "{r:?}");
    let r = post(estimate_body(&[&txt], json!({"mode": "fancy"}), json!("economy"))).await;
    assert_eq!(r.body["message"], "Process rule mode is invalid", "{r:?}");
    // Q&A documents: the default model writes the first segment's pairs as the preview.
    fake.set_answer(Some("Q1: Where does tea grow?\nA1: In Assam.\nQ2: What is sencha?\nA2: A Japanese tea."));
    let mut body = estimate_body(&[&txt], custom_rule(100), json!("high_quality"));
    body["doc_form"] = json!("qa_model");
    body["doc_language"] = json!("French");
    let r = post(body).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!((r.body["total_segments"].clone(), r.body["tokens"].clone()), (json!(160), json!(16000)), "{r:?}");
    assert_eq!(
        r.body["qa_preview"],
        json!([{"question": "Where does tea grow?", "answer": "In Assam."}, {"question": "What is sencha?", "answer": "A Japanese tea."}])
    );
    assert_eq!(r.body["preview"], json!(cleaned[..5]));
    assert!(r.body["total_price"].as_str().is_some_and(|p| p.parse::<f64>().is_ok_and(|p| p > 0.0)), "{r:?}");
    let asked = fake.last_request().expect("the Q&A call");
    assert!(asked.messages.iter().any(|(role, t)| role == "system" && t.contains("French")), "{:?}", asked.messages);
    assert!(asked.messages.iter().any(|(_, t)| t == &cleaned[0]), "the first segment is sent");
    let missing = Uuid::new_v4().to_string();
    assert_error(
        &post(estimate_body(&[&missing], json!({"mode": "automatic"}), json!("economy"))).await,
        404,
        "not_found",
    );
    let mut body = estimate_body(&[&txt], json!({"mode": "automatic"}), json!("economy"));
    body["dataset_id"] = json!(Uuid::new_v4());
    let r = post(body).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (400, Some("Dataset not found.")), "{r:?}");
    let r = send(&app, &mut Client::default(), Method::POST, ESTIMATE, Some(json!({}))).await;
    assert_eq!(r.status.as_u16(), 401);

    // Another workspace: no embedding model there, and this workspace's files are not its own.
    seed_account(&env, "other@example.com", "Passw0rd999", None).await;
    let mut other = login(&app, "other@example.com", "Passw0rd999").await;
    let own = upload(&app, &other, "mine.txt", b"Only mine.").await;
    let r = send(
        &app,
        &mut other,
        Method::POST,
        ESTIMATE,
        Some(estimate_body(&[&own], json!({"mode": "automatic"}), json!("high_quality"))),
    )
    .await;
    assert_error(&r, 400, "provider_not_initialize");
    let r = send(
        &app,
        &mut other,
        Method::POST,
        ESTIMATE,
        Some(estimate_body(&[&own], json!({"mode": "automatic"}), json!("economy"))),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.body["preview"].clone()), (200, json!(["Only mine."])), "{r:?}");
    let r = send(
        &app,
        &mut other,
        Method::POST,
        ESTIMATE,
        Some(estimate_body(&[&txt], json!({"mode": "automatic"}), json!("economy"))),
    )
    .await;
    assert_error(&r, 404, "not_found");
}

/// `send` for closures that cannot borrow the client mutably.
async fn send_owned<S, B>(app: &S, mut c: Client, body: Value) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    send(app, &mut c, Method::POST, ESTIMATE, Some(body)).await
}

fn init_body(file_ids: &[&str], rule: Value) -> Value {
    json!({
        "indexing_technique": "high_quality",
        "data_source": upload_source(file_ids),
        "process_rule": rule,
        "doc_form": "text_model",
        "doc_language": "English"
    })
}

#[actix_web::test]
async fn documents_and_batches_are_estimated_until_they_finish() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let txt = upload(&app, &c, "notes.txt", lines().join("\n").as_bytes()).await;
    let md = upload(&app, &c, "more.md", b"# One\n\nFirst part.\n\n# Two\n\nSecond part.\n").await;

    // Queued, not yet indexed (no worker runs).
    let r =
        send(&app, &mut c, Method::POST, "/console/api/datasets/init", Some(init_body(&[&txt, &md], custom_rule(100))))
            .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("dataset").to_string();
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    let doc = r.body["documents"][0]["id"].as_str().expect("doc").to_string();
    let doc_uri = format!("/console/api/datasets/{dataset_id}/documents/{doc}/indexing-estimate");
    let batch_uri = format!("/console/api/datasets/{dataset_id}/batch/{batch}/indexing-estimate");

    // The document's estimate is the upload estimate under its stored rule and the dataset's model.
    let r = send(&app, &mut c, Method::GET, &doc_uri, None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let mut body = estimate_body(&[&txt], custom_rule(100), Value::Null);
    body["dataset_id"] = json!(dataset_id);
    let upload_estimate = send(&app, &mut c, Method::POST, ESTIMATE, Some(body)).await;
    assert_eq!(r.body, upload_estimate.body, "{r:?}");
    let cleaned: Vec<String> = lines().iter().map(|l| l.replace("   ", " ")).collect();
    assert_eq!(r.body["total_segments"], 8);
    assert_eq!(r.body["tokens"], expected_tokens(&cleaned));
    assert_eq!(r.body["total_price"], ada_price(expected_tokens(&cleaned)));

    // The batch counts both files; each Markdown section is cut at its newlines too.
    let r = send(&app, &mut c, Method::GET, &batch_uri, None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["total_segments"], 8 + 4, "{r:?}");
    assert_eq!(r.body["preview"].as_array().map(Vec::len), Some(5));

    let r = send(
        &app,
        &mut c,
        Method::GET,
        &format!("/console/api/datasets/{dataset_id}/batch/nope/indexing-estimate"),
        None,
    )
    .await;
    assert_error(&r, 404, "not_found");
    let r = send(
        &app,
        &mut c,
        Method::GET,
        &format!("/console/api/datasets/{dataset_id}/documents/{}/indexing-estimate", Uuid::new_v4()),
        None,
    )
    .await;
    assert_error(&r, 404, "not_found");
    seed_account(&env, "other@example.com", "Passw0rd999", None).await;
    let mut other = login(&app, "other@example.com", "Passw0rd999").await;
    assert_error(&send(&app, &mut other, Method::GET, &doc_uri, None).await, 404, "not_found");
    assert_error(&send(&app, &mut other, Method::GET, &batch_uri, None).await, 404, "not_found");

    // Once indexed, there is nothing left to estimate.
    let worker = start_worker(&env);
    let status = batch_settled(&app, &mut c, &dataset_id, &batch).await;
    assert!(status.iter().all(|s| s["indexing_status"] == "completed"), "{status:?}");
    stop_worker(worker).await;
    for uri in [&doc_uri, &batch_uri] {
        let r = send(&app, &mut c, Method::GET, uri, None).await;
        assert_error(&r, 400, "document_already_finished");
        assert_eq!(
            r.body["message"],
            "The document has been processed. Please refresh the page or go to the document details."
        );
    }
}

#[actix_web::test]
async fn deleting_a_dataset_drops_its_vectors_and_only_its_own() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state.clone())).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);
    let mut made = Vec::new();
    for name in ["gone.txt", "kept.txt"] {
        let id = upload(&app, &c, name, lines().join("\n").as_bytes()).await;
        let r =
            send(&app, &mut c, Method::POST, "/console/api/datasets/init", Some(init_body(&[&id], custom_rule(100))))
                .await;
        assert_eq!(r.status.as_u16(), 200, "{r:?}");
        let dataset_id = r.body["dataset"]["id"].as_str().expect("dataset").to_string();
        batch_settled(&app, &mut c, &dataset_id, r.body["batch"].as_str().expect("batch")).await;
        assert_eq!(vector_count(&state, &dataset_id).await, 8);
        made.push(dataset_id);
    }
    stop_worker(worker).await;

    let r = send(&app, &mut c, Method::DELETE, &format!("/console/api/datasets/{}", made[0]), None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    assert_eq!(vector_count(&state, &made[0]).await, 0, "search finds nothing");
    let store = state.indexer.vectors.get().await.expect("store");
    assert!(!store.collection_exists(&collection_name_for_dataset(&made[0])).await.expect("exists"));
    assert_eq!(vector_count(&state, &made[1]).await, 8, "other datasets keep theirs");
    let r = send(&app, &mut c, Method::DELETE, &format!("/console/api/datasets/{}", made[0]), None).await;
    assert_error(&r, 404, "not_found");
}
