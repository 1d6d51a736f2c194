//! The dataset service API over HTTP, in both run modes: `ds-…` keys, `POST /v1/documents`
//! (text stored as a `.txt` upload, indexed under the dataset's latest rule, metadata kept by
//! Dify's schema) and `DELETE /v1/documents/<id>` with its refusals, vectors and keywords gone.

mod common;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::test::{self};
use api_server::app;
use common::datasets::*;
use common::*;
use entities::documents::IndexingStatus;
use entities::{document_segments, documents, upload_files};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};
use test_support::TestEnv;
use test_support::fake_openai::{FAKE_API_KEY, FakeOpenAi};
use uuid::Uuid;

fn lines(word: &str) -> String {
    (0..8).map(|i| format!("Line {i} about {word}.")).collect::<Vec<_>>().join("\n")
}

fn init_body(file_id: &str) -> Value {
    json!({
        "indexing_technique": "high_quality",
        "data_source": upload_source(&[file_id]),
        "process_rule": {"mode": "custom", "rules": {
            "pre_processing_rules": [{"id": "remove_extra_spaces", "enabled": true}],
            "segmentation": {"separator": "\\n", "max_tokens": 100}
        }},
        "doc_form": "text_model",
        "doc_language": "English"
    })
}

async fn key_for<S, B>(app: &S, c: &mut Client, dataset_id: &str) -> Client
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = send(app, c, Method::POST, &format!("/console/api/datasets/{dataset_id}/api-keys"), None).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let token = r.body["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("ds-"), "{token}");
    Client { cookie: None, bearer: Some(token) }
}

async fn segments_of(env: &TestEnv, document_id: Uuid) -> u64 {
    document_segments::Entity::find()
        .filter(document_segments::Column::DocumentId.eq(document_id))
        .count(&env.infra.db)
        .await
        .expect("count")
}

#[actix_web::test]
async fn dataset_keys_add_text_documents_and_delete_them() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state.clone())).await;
    let mut c = Client::default();
    let r = send(&app, &mut c, Method::POST, "/console/api/setup", Some(setup_body())).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let mut c = login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r = send(&app, &mut c, Method::GET, "/console/api/workspaces/current", None).await;
    let tenant: Uuid = r.body["id"].as_str().expect("id").parse().expect("uuid");
    configure_openai_at(&env, tenant, FAKE_API_KEY, Some(&fake.base_url())).await;
    let worker = start_worker(&env);

    // A dataset with documents (so a process rule), and one still empty.
    let file = upload(&app, &c, "seed.txt", lines("oolong").as_bytes()).await;
    let r = send(&app, &mut c, Method::POST, "/console/api/datasets/init", Some(init_body(&file))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("dataset").to_string();
    let seed_doc = r.body["documents"][0]["id"].as_str().expect("doc").to_string();
    document_settled(&app, &mut c, &dataset_id, &seed_doc).await;
    let r = send(&app, &mut c, Method::POST, "/console/api/datasets", Some(json!({"name": "Empty"}))).await;
    let empty_id = r.body["id"].as_str().expect("id").to_string();
    let mut key = key_for(&app, &mut c, &dataset_id).await;
    let mut empty_key = key_for(&app, &mut c, &empty_id).await;

    // Authentication, as for app keys.
    let body = json!({"name": "api note", "text": lines("matcha"), "doc_type": "book",
                      "doc_metadata": {"title": "Tea", "isbn": 5, "colour": "green"}});
    let r = send(&app, &mut Client::default(), Method::POST, "/v1/documents", Some(body.clone())).await;
    assert_eq!(
        (r.status.as_u16(), r.body["message"].as_str()),
        (401, Some("Authorization header must be provided and start with 'Bearer'"))
    );
    let bad = Client { cookie: None, bearer: Some("app-notadatasetkey".into()) };
    let r = send(&app, &mut bad.clone(), Method::POST, "/v1/documents", Some(body.clone())).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (401, Some("Access token is invalid")));

    // A dataset without an indexing technique cannot take documents yet.
    let r = send(&app, &mut empty_key, Method::POST, "/v1/documents", Some(body.clone())).await;
    assert_error(&r, 403, "dataset_not_inited");

    // Validation.
    let r = send(&app, &mut key, Method::POST, "/v1/documents", Some(json!({"text": "x"}))).await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["params"], "name");
    let r = send(
        &app,
        &mut key,
        Method::POST,
        "/v1/documents",
        Some(json!({"name": "n", "text": "x", "doc_type": "comic"})),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (400, Some("Invalid doc_type.")), "{r:?}");

    // Created from text: a .txt upload of the dataset's creator, indexed under the latest rule.
    let r = send(&app, &mut key, Method::POST, "/v1/documents", Some(body)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let doc_id = r.body["id"].as_str().expect("id").to_string();
    assert_eq!(r.body.as_object().map(|o| o.len()), Some(1), "only the id: {r:?}");
    let status = document_settled(&app, &mut c, &dataset_id, &doc_id).await;
    assert_eq!(status["indexing_status"], "completed", "{status}");
    let doc_uuid: Uuid = doc_id.parse().expect("uuid");
    let doc = documents::Entity::find_by_id(doc_uuid).one(&env.infra.db).await.expect("q").expect("doc");
    assert_eq!((doc.created_from, doc.name.as_str()), (entities::documents::CreatedFrom::Api, "api note.txt"));
    assert_eq!(doc.doc_type.as_deref(), Some("book"));
    assert_eq!(doc.doc_metadata, Some(json!({"title": "Tea"})), "schema keys with string values only");
    let info: Value = serde_json::from_str(doc.data_source_info.as_deref().unwrap_or("{}")).expect("info");
    let file_id: Uuid = info["upload_file_id"].as_str().expect("file").parse().expect("uuid");
    let file = upload_files::Entity::find_by_id(file_id).one(&env.infra.db).await.expect("q").expect("file");
    assert_eq!((file.extension.as_str(), file.used, file.tenant_id), ("txt", true, tenant));
    assert!(file.key.starts_with(&format!("upload_files/{tenant}/")) && file.key.ends_with(".txt"), "{}", file.key);
    assert_eq!(segments_of(&env, doc_uuid).await, 8, "the dataset's custom rule: a segment per line");
    assert_eq!(vector_count(&state, &dataset_id).await, 16);
    let hit = send(
        &app,
        &mut c,
        Method::POST,
        &format!("/console/api/datasets/{dataset_id}/hit-testing"),
        Some(json!({"query": "Line 3 about matcha."})),
    )
    .await;
    assert_eq!(hit.body["records"][0]["segment"]["document"]["name"], "api note.txt", "{hit:?}");

    // Deleting: another dataset's key cannot see it; then it goes with its vectors and segments.
    let uri = format!("/v1/documents/{doc_id}");
    let r = send(&app, &mut empty_key, Method::DELETE, &uri, None).await;
    assert_eq!((r.status.as_u16(), r.body["message"].as_str()), (404, Some("Document Not Exists.")), "{r:?}");
    let r = send(&app, &mut key, Method::DELETE, &uri, None).await;
    assert_eq!((r.status.as_u16(), r.body.clone()), (actix_web::http::StatusCode::NO_CONTENT.as_u16(), Value::Null));
    assert!(documents::Entity::find_by_id(doc_uuid).one(&env.infra.db).await.expect("q").is_none());
    assert_eq!(segments_of(&env, doc_uuid).await, 0);
    assert_eq!(vector_count(&state, &dataset_id).await, 8, "only the seed document's vectors remain");
    let kw = ::datasets::indexing::search_keywords(&env.infra.db, dataset_id.parse().expect("uuid"), "matcha", 5)
        .await
        .expect("keywords");
    assert!(kw.is_empty(), "{kw:?}");
    assert_error(&send(&app, &mut key, Method::DELETE, &uri, None).await, 404, "not_found");
    stop_worker(worker).await;

    // Refusals: archived, then mid-indexing.
    let seed: Uuid = seed_doc.parse().expect("uuid");
    let seed_uri = format!("/v1/documents/{seed_doc}");
    documents::ActiveModel { id: Set(seed), archived: Set(true), ..Default::default() }
        .update(&env.infra.db)
        .await
        .expect("archive");
    let r = send(&app, &mut key, Method::DELETE, &seed_uri, None).await;
    assert_error(&r, 403, "archived_document_immutable");
    assert_eq!(r.body["message"], "Cannot operate when document was archived.");
    documents::ActiveModel {
        id: Set(seed),
        archived: Set(false),
        indexing_status: Set(IndexingStatus::Indexing),
        ..Default::default()
    }
    .update(&env.infra.db)
    .await
    .expect("indexing");
    let r = send(&app, &mut key, Method::DELETE, &seed_uri, None).await;
    assert_error(&r, 403, "document_indexing");
    assert_eq!(r.body["message"], "Cannot delete document during indexing.");
    assert_eq!(segments_of(&env, seed).await, 8, "nothing was deleted");
}
