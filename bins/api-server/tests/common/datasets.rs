//! Helpers of the dataset tests: uploads, the `dataset` worker, waiting for indexing, and the
//! vectors a dataset holds.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::test::{self, TestRequest};
use rag::vector::{SearchQuery, collection_name_for_dataset};
use serde_json::{Value, json};
use test_support::TestEnv;
use test_support::fake_openai::{FAKE_API_KEY, FakeOpenAi, embedding_for};
use test_support::files;
use tokio::sync::watch;
use uuid::Uuid;

use super::{ADMIN_EMAIL, ADMIN_PASSWORD, Client, Reply, configure_openai_at, login, send, setup_body};

/// Posts one file as multipart `file` to `uri`.
pub async fn post_file<S, B>(app: &S, client: &Client, uri: &str, filename: &str, bytes: &[u8]) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (content_type, body) = files::multipart(&[("file", filename, bytes)]);
    let mut req = TestRequest::post().uri(uri).insert_header((header::CONTENT_TYPE, content_type)).set_payload(body);
    if let Some(c) = &client.cookie {
        req = req.insert_header((header::COOKIE, format!("session={c}")));
    }
    let resp = test::call_service(app, req.to_request()).await;
    let status = resp.status();
    let body = serde_json::from_slice(&test::read_body(resp).await).unwrap_or(Value::Null);
    Reply { status, body, cookie: None }
}

/// Uploads a file through the console; its id.
pub async fn upload<S, B>(app: &S, client: &Client, filename: &str, bytes: &[u8]) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = post_file(app, client, "/console/api/files/upload", filename, bytes).await;
    assert_eq!(r.status.as_u16(), 201, "upload {filename}: {r:?}");
    r.body["id"].as_str().expect("file id").to_string()
}

/// The worker consuming the `dataset` queue, as `indexer-worker` runs it.
pub type Worker = (watch::Sender<bool>, tokio::task::JoinHandle<()>);

pub fn start_worker(env: &TestEnv) -> Worker {
    let (stop, rx) = watch::channel(false);
    let handle = tokio::spawn(indexer_worker::run(env.config.clone(), env.infra.clone(), vec!["dataset".into()], rx));
    (stop, handle)
}

pub async fn stop_worker(worker: Worker) {
    let _ = worker.0.send(true);
    tokio::time::timeout(Duration::from_secs(20), worker.1).await.expect("worker stops").expect("join");
}

fn finished(status: &Value) -> bool {
    matches!(status["indexing_status"].as_str(), Some("completed" | "error"))
}

/// Polls a batch's indexing status until none of its documents is still on its way.
pub async fn batch_settled<S, B>(app: &S, c: &mut Client, dataset_id: &str, batch: &str) -> Vec<Value>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let uri = format!("/console/api/datasets/{dataset_id}/batch/{batch}/indexing-status");
    for _ in 0..300 {
        let r = send(app, c, Method::GET, &uri, None).await;
        assert_eq!(r.status.as_u16(), 200, "{r:?}");
        let data = r.body["data"].as_array().cloned().unwrap_or_default();
        if !data.is_empty() && data.iter().all(finished) {
            return data;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("documents of batch {batch} never settled");
}

/// `POST /datasets/init` with the uploaded files and `technique`, then waits for the batch:
/// the new dataset's id and its documents' settled statuses.
pub async fn init_settled<S, B>(app: &S, c: &mut Client, technique: &str, file_ids: &[String]) -> (String, Vec<Value>)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let body = automatic_documents(technique, file_ids);
    let r = send(app, c, Method::POST, "/console/api/datasets/init", Some(body)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("dataset id").to_owned();
    let batch = r.body["batch"].as_str().expect("batch").to_owned();
    let settled = batch_settled(app, c, &dataset_id, &batch).await;
    (dataset_id, settled)
}

/// Polls one document's indexing status until it is completed or failed.
pub async fn document_settled<S, B>(app: &S, c: &mut Client, dataset_id: &str, document_id: &str) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let uri = format!("/console/api/datasets/{dataset_id}/documents/{document_id}/indexing-status");
    for _ in 0..300 {
        let r = send(app, c, Method::GET, &uri, None).await;
        assert_eq!(r.status.as_u16(), 200, "{r:?}");
        if finished(&r.body) {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("document {document_id} never settled");
}

/// Vectors stored for the dataset (every point, by a search wider than the dataset).
pub async fn vector_count(state: &api_server::AppState, dataset_id: &str) -> usize {
    let store = state.indexer.vectors.get().await.expect("vector store");
    let query = SearchQuery {
        vector: embedding_for("anything", 1536),
        top_k: 10_000,
        score_threshold: None,
        dataset_id: Some(dataset_id.to_string()),
    };
    store.search(&collection_name_for_dataset(dataset_id), &query).await.expect("search").len()
}

/// The installation's owner, signed in, with OpenAI at `fake`: the client and workspace id.
pub async fn owner<S, B>(env: &TestEnv, app: &S, fake: &FakeOpenAi) -> (Client, Uuid)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut c = Client::default();
    let r = send(app, &mut c, Method::POST, "/console/api/setup", Some(setup_body())).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let mut c = login(app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r = send(app, &mut c, Method::GET, "/console/api/workspaces/current", None).await;
    let tenant: Uuid = r.body["id"].as_str().expect("id").parse().expect("uuid");
    configure_openai_at(env, tenant, FAKE_API_KEY, Some(&fake.base_url())).await;
    (c, tenant)
}

/// A document request's `data_source` for uploaded files.
pub fn upload_source<S: AsRef<str>>(file_ids: &[S]) -> Value {
    let ids: Vec<&str> = file_ids.iter().map(AsRef::as_ref).collect();
    json!({"type": "upload_file", "info_list": {"data_source_type": "upload_file", "file_info_list": {"file_ids": ids}}})
}

/// A `datasets/init` or documents body for uploaded files with the automatic process rule.
pub fn automatic_documents(technique: &str, file_ids: &[String]) -> Value {
    json!({
        "indexing_technique": technique,
        "data_source": upload_source(file_ids),
        "process_rule": {"mode": "automatic", "rules": {}},
        "doc_form": "text_model",
        "doc_language": "English"
    })
}
