//! Q&A documents, CSV segment imports and re-processing, in both run modes: a `qa_model`
//! document becomes one segment per generated question (hit testing finds them); a failing
//! model ends the document in `error`; CSV rows become indexed segments after the last one,
//! with the job's status readable; and re-processing an available document replaces its
//! segments and vectors.

mod common;

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::test::{self};
use api_server::app;
use common::datasets::*;
use common::*;
use entities::dataset_keyword_tables;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use test_support::fake_openai::FakeOpenAi;
use uuid::Uuid;

const PAIRS: &str = "Q1: Where do purple elephants dance?\nA1: At dawn beside the silver river.\n\
Q2: What colour are the elephants?\nA2: Purple, like plums.";

/// Polls an import job until it is no longer waiting.
async fn import_done<S, B>(app: &S, c: &mut Client, job_id: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let uri = format!("/console/api/datasets/batch_import_status/{job_id}");
    for _ in 0..300 {
        let r = send(app, c, Method::GET, &uri, None).await;
        assert_eq!(r.status.as_u16(), 200, "{r:?}");
        assert_eq!(r.body["job_id"], job_id);
        let status = r.body["job_status"].as_str().expect("status").to_string();
        if status != "waiting" {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("import {job_id} never finished");
}

async fn segments_of<S, B>(app: &S, c: &mut Client, dataset_id: &str, document_id: &str) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let uri = format!("/console/api/datasets/{dataset_id}/documents/{document_id}/segments?limit=100");
    let r = send(app, c, Method::GET, &uri, None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    r.body
}

fn source(file_id: &str) -> Value {
    upload_source(&[file_id])
}

fn init_body(technique: &str, file_id: &str, doc_form: &str) -> Value {
    json!({
        "indexing_technique": technique,
        "data_source": source(file_id),
        "process_rule": {"mode": "automatic", "rules": {}},
        "doc_form": doc_form,
        "doc_language": "Chinese"
    })
}

#[actix_web::test]
async fn qa_documents_imports_and_reprocessing() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state.clone())).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);

    // Q&A: every generated question is a segment, its answer beside it.
    fake.set_answer(Some(PAIRS));
    let file = upload(&app, &c, "elephants.txt", b"Purple elephants dance at dawn beside the silver river.").await;
    let r = send(
        &app,
        &mut c,
        Method::POST,
        "/console/api/datasets/init",
        Some(init_body("high_quality", &file, "qa_model")),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("dataset").to_string();
    let doc_id = r.body["documents"][0]["id"].as_str().expect("document").to_string();
    assert_eq!(r.body["documents"][0]["doc_form"], "qa_model");
    let status = document_settled(&app, &mut c, &dataset_id, &doc_id).await;
    assert_eq!(status["indexing_status"], "completed", "{status}");
    assert_eq!((status["completed_segments"].as_i64(), status["total_segments"].as_i64()), (Some(2), Some(2)));
    let segs = segments_of(&app, &mut c, &dataset_id, &doc_id).await;
    assert_eq!(segs["doc_form"], "qa_model");
    let data = segs["data"].as_array().expect("segments");
    let pairs: Vec<(&str, &str)> =
        data.iter().map(|s| (s["content"].as_str().unwrap_or(""), s["answer"].as_str().unwrap_or(""))).collect();
    assert_eq!(
        pairs,
        [
            ("Where do purple elephants dance?", "At dawn beside the silver river."),
            ("What colour are the elephants?", "Purple, like plums.")
        ]
    );
    assert!(data.iter().all(|s| s["enabled"] == true && s["status"] == "completed"), "{data:?}");
    assert_eq!(data[0]["word_count"], "Where do purple elephants dance?".len());
    // The chunk went to the default model with Dify's prompt in the document's language.
    let asked = fake.requests().into_iter().find(|r| r.path.ends_with("/chat/completions")).expect("a QA call");
    assert_eq!(asked.body["max_tokens"], 2000, "{:?}", asked.body);
    assert_eq!(asked.messages[0].0, "system");
    assert!(asked.messages[0].1.contains("Answer according to the the language:Chinese"), "{:?}", asked.messages);
    assert!(asked.messages[1].1.contains("Purple elephants dance"), "{:?}", asked.messages);
    // Only the questions are embedded, and hit testing finds them.
    assert_eq!(vector_count(&state, &dataset_id).await, 2);
    let hit = format!("/console/api/datasets/{dataset_id}/hit-testing");
    let r = send(&app, &mut c, Method::POST, &hit, Some(json!({"query": "Where do purple elephants dance?"}))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let best = &r.body["records"][0]["segment"];
    assert_eq!(best["content"], "Where do purple elephants dance?", "{r:?}");
    assert_eq!(best["answer"], "At dawn beside the silver river.");

    // CSV import: rows after the last segment, indexed; the job's status is readable.
    let import = format!("/console/api/datasets/{dataset_id}/documents/{doc_id}/segments/batch_import");
    let csv = "question,answer\nWhat do elephants eat?,\"Grass, mostly\"\nDo elephants swim?,Yes\n";
    let r = post_file(&app, &c, &import, "pairs.csv", csv.as_bytes()).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["job_status"], "waiting");
    let job_id = r.body["job_id"].as_str().expect("job").to_string();
    assert_eq!(import_done(&app, &mut c, &job_id).await, "completed");
    let segs = segments_of(&app, &mut c, &dataset_id, &doc_id).await;
    let data = segs["data"].as_array().expect("segments");
    assert_eq!(data.len(), 4, "{data:?}");
    assert_eq!((data[2]["position"].as_i64(), data[2]["answer"].as_str()), (Some(3), Some("Grass, mostly")));
    assert_eq!(
        (data[3]["content"].as_str(), data[3]["status"].as_str()),
        (Some("Do elephants swim?"), Some("completed"))
    );
    assert!(data[3]["keywords"].as_array().is_some_and(|k| !k.is_empty()), "{:?}", data[3]);
    assert_eq!(vector_count(&state, &dataset_id).await, 4);
    let r = send(&app, &mut c, Method::POST, &hit, Some(json!({"query": "What do elephants eat?"}))).await;
    assert_eq!(r.body["records"][0]["segment"]["answer"], "Grass, mostly", "{r:?}");
    // Refusals: not a CSV, a Q&A row without an answer, an empty file, an unknown job.
    let r = post_file(&app, &c, &import, "pairs.txt", csv.as_bytes()).await;
    assert_error(&r, 400, "invalid_param");
    let r = post_file(&app, &c, &import, "pairs.csv", b"question,answer\nNo answer here\n").await;
    assert_error(&r, 400, "invalid_param");
    let r = post_file(&app, &c, &import, "pairs.csv", b"question,answer\n").await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["message"], "The CSV file is empty.");
    let r =
        send(&app, &mut c, Method::GET, &format!("/console/api/datasets/batch_import_status/{}", Uuid::new_v4()), None)
            .await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["message"], "The job is not exist.");
    let r =
        send(&app, &mut c, Method::POST, &format!("/console/api/datasets/batch_import_status/{job_id}"), None).await;
    assert_eq!(r.status.as_u16(), 405, "{r:?}");

    // Re-processing replaces the segments and their vectors, here with a new file. The model
    // is slow meanwhile, so the document is seen on its way, refusing a second request.
    fake.set_first_token_latency(Duration::from_millis(1500));
    fake.set_answer(Some("Q1: Where is the silver river?\nA1: Beyond the hills."));
    let new_file = upload(&app, &c, "river.txt", b"The silver river runs beyond the hills.").await;
    let docs = format!("/console/api/datasets/{dataset_id}/documents");
    let body = json!({
        "original_document_id": doc_id,
        "data_source": source(&new_file),
        "process_rule": {"mode": "custom", "rules": {"pre_processing_rules": [], "segmentation": {"separator": "\n", "max_tokens": 500}}},
        "doc_form": "qa_model"
    });
    let r = send(&app, &mut c, Method::POST, &docs, Some(body.clone())).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let doc = &r.body["documents"][0];
    assert_eq!((doc["id"].as_str(), doc["indexing_status"].as_str()), (Some(doc_id.as_str()), Some("waiting")));
    assert_eq!(doc["name"], "river.txt");
    assert!(r.body["batch"].is_string(), "{r:?}");
    // While it waits it is not available, so it cannot be re-processed again.
    let again = send(&app, &mut c, Method::POST, &docs, Some(body)).await;
    assert_error(&again, 400, "invalid_param");
    assert_eq!(again.body["message"], "Document is not available");
    // The old segments wait as `re_segment`, which the progress counts leave out.
    let segs = segments_of(&app, &mut c, &dataset_id, &doc_id).await;
    assert!(segs["data"].as_array().is_some_and(|d| d.len() == 4 && d.iter().all(|s| s["status"] == "re_segment")));
    let r = send(&app, &mut c, Method::GET, &format!("{docs}/{doc_id}/indexing-status"), None).await;
    assert!(r.body["indexing_status"] != "completed" && r.body["total_segments"] == 0, "{r:?}");
    let status = document_settled(&app, &mut c, &dataset_id, &doc_id).await;
    fake.set_first_token_latency(Duration::ZERO);
    assert_eq!(status["indexing_status"], "completed", "{status}");
    let segs = segments_of(&app, &mut c, &dataset_id, &doc_id).await;
    let data = segs["data"].as_array().expect("segments");
    assert_eq!(data.len(), 1, "{data:?}");
    assert_eq!(
        (data[0]["content"].as_str(), data[0]["answer"].as_str()),
        (Some("Where is the silver river?"), Some("Beyond the hills."))
    );
    assert_eq!(vector_count(&state, &dataset_id).await, 1);
    let r = send(
        &app,
        &mut c,
        Method::GET,
        &format!("/console/api/datasets/{dataset_id}/documents/{doc_id}?metadata=without"),
        None,
    )
    .await;
    assert_eq!(r.body["dataset_process_rule"]["mode"], "custom", "{r:?}");

    // A disabled document is not available for re-processing; an unknown one is not found.
    let r = send(&app, &mut c, Method::PATCH, &format!("{docs}/{doc_id}/status/disable"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let r =
        send(&app, &mut c, Method::POST, &docs, Some(json!({"original_document_id": doc_id, "doc_form": "qa_model"})))
            .await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["message"], "Document is not available");
    let r = send(
        &app,
        &mut c,
        Method::POST,
        &docs,
        Some(json!({"original_document_id": Uuid::new_v4().to_string(), "doc_form": "qa_model"})),
    )
    .await;
    assert_error(&r, 404, "not_found");
    // Importing into a document that is not available ends the job in `error`.
    let r = post_file(&app, &c, &import, "pairs.csv", csv.as_bytes()).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let job_id = r.body["job_id"].as_str().expect("job").to_string();
    assert_eq!(import_done(&app, &mut c, &job_id).await, "error");
    stop_worker(worker).await;
}

#[actix_web::test]
async fn a_failing_model_fails_the_qa_document_and_text_imports_are_keyword_indexed() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state.clone())).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);

    fake.fail_next(400, "The model is overloaded today.");
    let file = upload(&app, &c, "tea.txt", b"Green tea is steamed, black tea is oxidised.").await;
    let r =
        send(&app, &mut c, Method::POST, "/console/api/datasets/init", Some(init_body("economy", &file, "qa_model")))
            .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("dataset").to_string();
    let doc_id = r.body["documents"][0]["id"].as_str().expect("document").to_string();
    let status = document_settled(&app, &mut c, &dataset_id, &doc_id).await;
    assert_eq!(status["indexing_status"], "error", "{status}");
    assert!(status["error"].as_str().is_some_and(|e| e.contains("The model is overloaded today.")), "{status}");
    assert_eq!(status["total_segments"], 0);

    // A text document takes CSV rows as plain segments, keyword-indexed (economy).
    let file = upload(&app, &c, "oolong.txt", b"Oolong sits between green and black tea.").await;
    let body = json!({
        "data_source": source(&file),
        "process_rule": {"mode": "automatic", "rules": {}},
        "doc_form": "text_model"
    });
    let r =
        send(&app, &mut c, Method::POST, &format!("/console/api/datasets/{dataset_id}/documents"), Some(body)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let text_doc = r.body["documents"][0]["id"].as_str().expect("document").to_string();
    assert_eq!(document_settled(&app, &mut c, &dataset_id, &text_doc).await["indexing_status"], "completed");
    let import = format!("/console/api/datasets/{dataset_id}/documents/{text_doc}/segments/batch_import");
    let r = post_file(&app, &c, &import, "rows.csv", b"content,ignored\nMatcha is powdered zucchinitea,x\n").await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let job_id = r.body["job_id"].as_str().expect("job").to_string();
    assert_eq!(import_done(&app, &mut c, &job_id).await, "completed");
    let data = segments_of(&app, &mut c, &dataset_id, &text_doc).await["data"].as_array().cloned().expect("segments");
    assert_eq!(data.len(), 2, "{data:?}");
    assert_eq!(
        (data[1]["content"].as_str(), &data[1]["answer"]),
        (Some("Matcha is powdered zucchinitea"), &Value::Null)
    );
    let dataset_uuid: Uuid = dataset_id.parse().expect("uuid");
    let kw = dataset_keyword_tables::Entity::find()
        .filter(dataset_keyword_tables::Column::DatasetId.eq(dataset_uuid))
        .one(&env.infra.db)
        .await
        .expect("q")
        .expect("keyword table");
    assert!(kw.keyword_table.contains("zucchinitea"), "{}", kw.keyword_table);

    // Another workspace neither sees the job nor reaches the document.
    seed_account(&env, "other@example.com", "Passw0rd123", None).await;
    let mut other = login(&app, "other@example.com", "Passw0rd123").await;
    let r =
        send(&app, &mut other, Method::GET, &format!("/console/api/datasets/batch_import_status/{job_id}"), None).await;
    assert_error(&r, 400, "invalid_param");
    let r = post_file(&app, &other, &import, "rows.csv", b"content\nx\n").await;
    assert_eq!(r.status.as_u16(), 404, "{r:?}");
    stop_worker(worker).await;
}
