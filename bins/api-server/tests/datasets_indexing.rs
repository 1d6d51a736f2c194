//! Documents through the whole pipeline, in both run modes: uploads the test builds itself
//! (PDF, DOCX, Markdown, CSV) → `datasets/init` → the worker indexes them → hit testing
//! finds the planted sentence; re-indexing pays no embedding twice; a document left mid-way
//! by a dead process is finished at the next start; a file with no text ends in `error`
//! without touching the others; economy datasets and workspace isolation.

mod common;

use entities::documents::IndexingStatus;
use std::time::Duration;

use actix_web::http::Method;
use actix_web::test::{self};
use api_server::app;
use common::datasets::*;
use common::*;
use entities::{
    dataset_keyword_sync, dataset_keyword_tables, dataset_keywords, dataset_queries, document_segments, documents,
};
use kernel::jobs::Job;
use rag::vector::collection_name_for_dataset;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};
use test_support::fake_openai::FakeOpenAi;
use test_support::files;
use test_support::{TestEnv, services_mode};
use uuid::Uuid;

const PLANTED: &str = "Purple elephants dance at dawn beside the silver river.";

async fn segment_count(env: &TestEnv, document_id: Uuid) -> u64 {
    document_segments::Entity::find()
        .filter(document_segments::Column::DocumentId.eq(document_id))
        .count(&env.infra.db)
        .await
        .expect("count")
}

/// The dataset's keyword rows counted, its bookkeeping row and its JSON as Dify reads it.
async fn keyword_state(
    env: &TestEnv,
    dataset: Uuid,
) -> (u64, dataset_keyword_sync::Model, rag::keywords::KeywordTable) {
    let db = &env.infra.db;
    let rows = dataset_keywords::Entity::find()
        .filter(dataset_keywords::Column::DatasetId.eq(dataset))
        .count(db)
        .await
        .expect("count");
    let sync = dataset_keyword_sync::Entity::find_by_id(dataset).one(db).await.expect("read").expect("sync");
    let json = dataset_keyword_tables::Entity::find()
        .filter(dataset_keyword_tables::Column::DatasetId.eq(dataset))
        .one(db)
        .await
        .expect("read")
        .expect("the JSON");
    (rows, sync, rag::keywords::KeywordTable::from_json(&json.keyword_table).expect("Dify's JSON"))
}

/// Queues the document's indexing again (as re-processing does: `waiting`, then a job) and
/// waits up to 10 s for it to complete.
async fn index_again(env: &TestEnv, dataset: Uuid, doc: Uuid) {
    documents::ActiveModel { id: Set(doc), indexing_status: Set(IndexingStatus::Waiting), ..Default::default() }
        .update(&env.infra.db)
        .await
        .expect("reset");
    let job = Job::IndexDocuments { dataset_id: dataset, document_ids: vec![doc] };
    env.infra.queue.publish(job.queue(), &job.to_bytes()).await.expect("publish");
    for _ in 0..100 {
        let d = documents::Entity::find_by_id(doc).one(&env.infra.db).await.expect("q").expect("doc");
        if d.indexing_status == IndexingStatus::Completed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn embedding_calls(fake: &FakeOpenAi) -> usize {
    fake.requests().iter().filter(|r| r.path.ends_with("/embeddings")).count()
}

#[actix_web::test]
async fn uploads_are_indexed_and_hit_testing_finds_the_planted_sentence() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state.clone())).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);

    let pdf = files::pdf(&["Tea grows on hillsides in Assam.", "Green tea is steamed, black tea is oxidised."]);
    let docx = files::docx(&["Field notes from the river trip.", PLANTED]);
    let md = "# Brewing\n\nUse water just off the boil.\n\n# Storing\n\nKeep leaves dry and dark.\n";
    let csv = "name,origin\nDarjeeling,India\nSencha,Japan\nKeemun,China\n";
    let empty_docx = files::docx(&[]);
    let ids = vec![
        upload(&app, &c, "tea.pdf", &pdf).await,
        upload(&app, &c, "notes.docx", &docx).await,
        upload(&app, &c, "brewing.md", md.as_bytes()).await,
        upload(&app, &c, "teas.csv", csv.as_bytes()).await,
        upload(&app, &c, "blank.docx", &empty_docx).await,
    ];

    let r =
        send(&app, &mut c, Method::POST, "/console/api/datasets/init", Some(automatic_documents("high_quality", &ids)))
            .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("dataset").to_string();
    assert_eq!(r.body["dataset"]["name"], "tea.pdf...");
    assert_eq!(r.body["dataset"]["indexing_technique"], "high_quality");
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    let docs = r.body["documents"].as_array().expect("documents").clone();
    assert_eq!(docs.len(), 5);
    assert!(docs.iter().all(|d| d["indexing_status"] == "waiting" && d["display_status"] == "queuing"), "{docs:?}");

    let status = batch_settled(&app, &mut c, &dataset_id, &batch).await;
    let by_name = |name: &str| -> Uuid {
        let d = docs.iter().find(|d| d["name"] == name).expect(name);
        d["id"].as_str().expect("id").parse().expect("uuid")
    };
    let status_of = |name: &str| -> &Value {
        let id = by_name(name).to_string();
        status.iter().find(|s| s["id"] == id.as_str()).expect("status")
    };
    for name in ["tea.pdf", "notes.docx", "brewing.md", "teas.csv"] {
        let s = status_of(name);
        assert_eq!(s["indexing_status"], "completed", "{name}: {s}");
        assert_eq!(s["completed_segments"], s["total_segments"], "{name}: {s}");
        assert!(s["completed_at"].is_number() && s["parsing_completed_at"].is_number(), "{s}");
    }
    // Bad input is the document's error, and nothing else is affected.
    let blank = status_of("blank.docx");
    assert_eq!(blank["indexing_status"], "error", "{blank}");
    assert!(blank["error"].as_str().is_some_and(|e| !e.is_empty()), "{blank}");

    // One segment per PDF page, Markdown section and CSV row; the short DOCX is one.
    let counts = [
        segment_count(&env, by_name("tea.pdf")).await,
        segment_count(&env, by_name("notes.docx")).await,
        segment_count(&env, by_name("brewing.md")).await,
        segment_count(&env, by_name("teas.csv")).await,
    ];
    assert_eq!(counts, [2, 1, 2, 3]);
    let total: u64 = counts.iter().sum();
    assert_eq!(vector_count(&state, &dataset_id).await, total as usize);
    let r =
        send(&app, &mut c, Method::GET, &format!("/console/api/datasets/{dataset_id}/documents?limit=10"), None).await;
    assert_eq!(r.body["total"], 5, "{r:?}");
    let listed = r.body["data"].as_array().expect("data");
    assert!(listed.iter().filter(|d| d["display_status"] == "available").count() == 4, "{listed:?}");
    let kw = dataset_keyword_tables::Entity::find()
        .filter(dataset_keyword_tables::Column::DatasetId.eq(dataset_id.parse::<Uuid>().expect("uuid")))
        .one(&env.infra.db)
        .await
        .expect("q")
        .expect("keyword table");
    assert!(kw.keyword_table.contains("elephants"), "keywords are indexed for high quality too");

    // Hit testing ranks the planted sentence first and records the query.
    let hit = format!("/console/api/datasets/{dataset_id}/hit-testing");
    let r = send(&app, &mut c, Method::POST, &hit, Some(json!({"query": "Where do purple elephants dance?"}))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let records = r.body["records"].as_array().expect("records");
    // Dify retrieves with a score threshold of 0: unrelated segments may be left out.
    assert!((2..=10).contains(&records.len()), "{records:?}");
    assert!(records.iter().all(|r| r["score"].as_f64().is_some_and(|s| s >= 0.0)), "{records:?}");
    let best = &records[0];
    assert!(best["segment"]["content"].as_str().is_some_and(|t| t.contains(PLANTED)), "{best}");
    assert_eq!(best["segment"]["document"]["name"], "notes.docx");
    assert!(best["score"].as_f64() > records[1]["score"].as_f64(), "{records:?}");
    let queries = dataset_queries::Entity::find().all(&env.infra.db).await.expect("q");
    assert_eq!(queries.len(), 1);
    assert_eq!(
        (queries[0].source, queries[0].content.as_str()),
        (dataset_queries::QuerySource::HitTesting, "Where do purple elephants dance?")
    );
    let r = send(&app, &mut c, Method::POST, &hit, Some(json!({"query": ""}))).await;
    assert_error(&r, 400, "invalid_param");

    // Indexing the same document again replaces its segments and pays no embedding twice.
    let calls = embedding_calls(&fake);
    let notes = by_name("notes.docx");
    index_again(&env, dataset_id.parse().expect("uuid"), notes).await;
    batch_settled(&app, &mut c, &dataset_id, &batch).await;
    assert_eq!(embedding_calls(&fake), calls, "cached embeddings are reused");
    assert_eq!(segment_count(&env, notes).await, 1);
    assert_eq!(vector_count(&state, &dataset_id).await, total as usize, "no duplicate vectors");
    stop_worker(worker).await;
}

#[actix_web::test]
async fn a_document_left_mid_way_is_finished_at_the_next_start() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state.clone())).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let text: String = (0..40).map(|i| format!("Paragraph {i} talks about tea number {i}.\n\n")).collect();
    let id = upload(&app, &c, "long.txt", text.repeat(30).as_bytes()).await;
    let worker = start_worker(&env);
    let r = send(
        &app,
        &mut c,
        Method::POST,
        "/console/api/datasets/init",
        Some(automatic_documents("high_quality", &[id])),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("id").to_string();
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    let doc: Uuid = r.body["documents"][0]["id"].as_str().expect("doc").parse().expect("uuid");
    batch_settled(&app, &mut c, &dataset_id, &batch).await;
    stop_worker(worker).await;
    let clean = segment_count(&env, doc).await;
    assert!(clean > 1, "{clean}");

    // As a process killed while indexing leaves it: status `indexing`, half its segments.
    documents::ActiveModel { id: Set(doc), indexing_status: Set(IndexingStatus::Indexing), ..Default::default() }
        .update(&env.infra.db)
        .await
        .expect("mid-way");
    let segs = document_segments::Entity::find()
        .filter(document_segments::Column::DocumentId.eq(doc))
        .all(&env.infra.db)
        .await
        .expect("segments");
    for s in segs.iter().take(segs.len() / 2) {
        document_segments::Entity::delete_by_id(s.id).exec(&env.infra.db).await.expect("delete");
    }

    if services_mode() {
        // RabbitMQ still holds an unacked job for it after a crash; here we re-send it.
        let job = Job::IndexDocuments { dataset_id: dataset_id.parse().expect("uuid"), document_ids: vec![doc] };
        env.infra.queue.publish(job.queue(), &job.to_bytes()).await.expect("publish");
    }
    let worker = start_worker(&env);
    batch_settled(&app, &mut c, &dataset_id, &batch).await;
    let d = documents::Entity::find_by_id(doc).one(&env.infra.db).await.expect("q").expect("doc");
    assert_eq!(d.indexing_status, IndexingStatus::Completed);
    assert_eq!(segment_count(&env, doc).await, clean, "same segments as a clean run");
    assert_eq!(vector_count(&state, &dataset_id).await, clean as usize);
    stop_worker(worker).await;
}

#[actix_web::test]
async fn economy_datasets_index_keywords_and_other_workspaces_see_nothing() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);
    let r = send(&app, &mut c, Method::POST, "/console/api/datasets", Some(json!({"name": "Cheap"}))).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let dataset_id = r.body["id"].as_str().expect("id").to_string();
    let id = upload(&app, &c, "kw.md", format!("# Notes\n\n{PLANTED}\n").as_bytes()).await;
    let docs_uri = format!("/console/api/datasets/{dataset_id}/documents");
    let mut body = automatic_documents("economy", std::slice::from_ref(&id));
    let r = send(&app, &mut c, Method::POST, &docs_uri, Some(body.clone())).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    let status = batch_settled(&app, &mut c, &dataset_id, &batch).await;
    assert_eq!(status[0]["indexing_status"], "completed", "{status:?}");
    assert_eq!(embedding_calls(&fake), 0, "economy datasets embed nothing");
    let hits =
        ::datasets::indexing::search_keywords(&env.infra.db, dataset_id.parse().expect("uuid"), "purple elephants", 5)
            .await
            .expect("search");
    assert_eq!(hits.len(), 1);
    let r = send(
        &app,
        &mut c,
        Method::POST,
        &format!("/console/api/datasets/{dataset_id}/hit-testing"),
        Some(json!({"query": "x"})),
    )
    .await;
    assert_error(&r, 400, "high_quality_dataset_only");

    // Bad requests name the problem.
    body["process_rule"] = json!({"mode": "custom", "rules": {"pre_processing_rules": [], "segmentation": {"separator": "\n", "max_tokens": 5}}});
    let r = send(&app, &mut c, Method::POST, &docs_uri, Some(body.clone())).await;
    assert_error(&r, 400, "invalid_param");
    body["data_source"]["info_list"]["file_info_list"]["file_ids"] = json!([Uuid::new_v4().to_string()]);
    body["process_rule"] = json!({"mode": "automatic"});
    let r = send(&app, &mut c, Method::POST, &docs_uri, Some(body.clone())).await;
    assert_error(&r, 404, "file_not_exists");

    // Another workspace reaches neither the dataset nor its documents.
    let (_, _) = seed_account(&env, "other@example.com", ADMIN_PASSWORD, None).await;
    let mut other = login(&app, "other@example.com", ADMIN_PASSWORD).await;
    let r = send(&app, &mut other, Method::GET, &docs_uri, None).await;
    assert_error(&r, 404, "not_found");
    let r = send(
        &app,
        &mut other,
        Method::GET,
        &format!("/console/api/datasets/{dataset_id}/batch/{batch}/indexing-status"),
        None,
    )
    .await;
    assert_error(&r, 404, "not_found");
    // Their own dataset cannot take this workspace's upload.
    let r = send(&app, &mut other, Method::POST, "/console/api/datasets", Some(json!({"name": "Theirs"}))).await;
    let theirs = r.body["id"].as_str().expect("id").to_string();
    let r = send(
        &app,
        &mut other,
        Method::POST,
        &format!("/console/api/datasets/{theirs}/documents"),
        Some(automatic_documents("economy", &[id])),
    )
    .await;
    assert_error(&r, 404, "file_not_exists");
    stop_worker(worker).await;
}

/// A document's keyword rows commit with its segments' completion, batch by batch; a JSON
/// Python Dify wrote for the dataset is imported before the first batch, so the JSON written
/// afterwards keeps its segments beside the new ones, and the row count stays exact.
#[actix_web::test]
async fn indexing_into_a_dataset_python_dify_indexed_keeps_its_keyword_table() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);
    let r = send(&app, &mut c, Method::POST, "/console/api/datasets", Some(json!({"name": "Taken over"}))).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let dataset_id = r.body["id"].as_str().expect("id").to_string();
    let dataset: Uuid = dataset_id.parse().expect("uuid");
    let dify = format!(
        r#"{{"__type__": "keyword_table", "__data__": {{"index_id": "{dataset}", "summary": null, "table": {{"river": ["py-1", "py-2"], "kettle": ["py-2"]}}}}}}"#
    );
    dataset_keyword_tables::ActiveModel { id: Set(Uuid::new_v4()), dataset_id: Set(dataset), keyword_table: Set(dify) }
        .insert(&env.infra.db)
        .await
        .expect("Python Dify's row");

    let id = upload(&app, &c, "kw.md", format!("# Notes\n\n{PLANTED}\n").as_bytes()).await;
    let r = send(
        &app,
        &mut c,
        Method::POST,
        &format!("/console/api/datasets/{dataset_id}/documents"),
        Some(automatic_documents("economy", &[id])),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    let status = batch_settled(&app, &mut c, &dataset_id, &batch).await;
    assert_eq!(status[0]["indexing_status"], "completed", "{status:?}");

    let (rows, sync, json) = keyword_state(&env, dataset).await;
    let river: Vec<&String> = json.nodes("river").expect("river").iter().collect();
    assert_eq!(river.len(), 3, "Python Dify's two segments and the new one: {river:?}");
    assert!(river.contains(&&"py-1".to_owned()) && river.contains(&&"py-2".to_owned()), "{river:?}");
    assert_eq!(json.nodes("kettle").map(|n| n.len()), Some(1));
    assert_eq!(sync.pairs, i64::try_from(rows).expect("rows"), "the rows are counted as they are added");
    assert_eq!(sync.written, sync.changes, "the JSON is current");

    // Indexed again: its old segments' rows go with them (new node ids), Python Dify's stay,
    // and the count and the JSON follow.
    let doc: Uuid = status[0]["id"].as_str().expect("doc").parse().expect("uuid");
    let node_of = |segments: Vec<document_segments::Model>| segments[0].index_node_id.clone().expect("node id");
    let old_node = node_of(::datasets::indexing::document_segments(&env.infra.db, doc).await.expect("segments"));
    index_again(&env, dataset, doc).await;
    let new_node = node_of(::datasets::indexing::document_segments(&env.infra.db, doc).await.expect("segments"));
    assert_ne!(new_node, old_node);
    let table = ::datasets::indexing::keyword_table(&env.infra.db, dataset).await.expect("rows");
    let river: Vec<&String> = table.nodes("river").expect("river").iter().collect();
    assert_eq!(river.len(), 3, "{river:?}");
    assert!(river.contains(&&new_node) && !river.contains(&&old_node), "{river:?}");
    assert!(river.contains(&&"py-1".to_owned()) && river.contains(&&"py-2".to_owned()), "{river:?}");
    assert!(!table.iter().any(|(_, nodes)| nodes.contains(&old_node)), "no row of the old segments is left");
    let (rows, sync, json) = keyword_state(&env, dataset).await;
    assert_eq!(sync.pairs, i64::try_from(rows).expect("rows"), "removed rows are counted off");
    assert_eq!(sync.written, sync.changes, "the JSON is current");
    assert_eq!(json, table);
    stop_worker(worker).await;
}

/// A pause stops the run between batches; the batches whose embeddings were fetched ahead
/// (or were still in flight) are cached on the way out, so resuming pays only for the batches
/// never sent.
#[actix_web::test]
async fn a_paused_document_resumes_without_paying_twice() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);
    // 250 segments: three batches; each embedding call takes long enough to pause during it.
    fake.set_embedding_latency(Duration::from_millis(400));
    let text: String = (0..250).map(|n| format!("Paragraph {n} is about pausing a long indexing run in the middle of its work, then resuming it later on, without paying the embedding vendor for any segment twice over.\n\n")).collect();
    let id = upload(&app, &c, "long.txt", text.as_bytes()).await;
    let mut body = automatic_documents("high_quality", &[id]);
    body["process_rule"] = json!({"mode": "custom", "rules": {"pre_processing_rules": [],
        "segmentation": {"separator": "\n\n", "max_tokens": 50}}});
    let r = send(&app, &mut c, Method::POST, "/console/api/datasets/init", Some(body)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("dataset").to_string();
    let doc_id = r.body["documents"][0]["id"].as_str().expect("id").to_string();
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    let uri = format!("/console/api/datasets/{dataset_id}/documents/{doc_id}/processing");

    // Paused while the first two batches are being embedded (fetched ahead of their storing).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while embedding_calls(&fake) < 2 {
        assert!(tokio::time::Instant::now() < deadline, "the second batch was never sent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/pause"), None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    let cached = || async { entities::embeddings::Entity::find().count(&env.infra.db).await.expect("count") };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while cached().await < 200 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the batches fetched ahead were not cached: {}",
            cached().await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(embedding_calls(&fake), 2, "stopped at the pause");

    fake.set_embedding_latency(Duration::ZERO);
    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/resume"), None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    let status = batch_settled(&app, &mut c, &dataset_id, &batch).await;
    assert_eq!(status[0]["indexing_status"], "completed", "{status:?}");
    assert_eq!(embedding_calls(&fake), 3, "only the third batch was sent after resuming");
    assert_eq!(cached().await, 250);
    stop_worker(worker).await;
}

#[actix_web::test]
async fn a_chat_app_with_the_dataset_answers_from_it_and_shows_its_sources() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    fake.set_answer(Some("They dance at dawn."));
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);
    let docx = files::docx(&["Field notes from the river trip.", PLANTED]);
    let other = "# Weather\n\nRain falls mostly in the northern valleys during spring.\n";
    let ids = vec![upload(&app, &c, "notes.docx", &docx).await, upload(&app, &c, "weather.md", other.as_bytes()).await];
    let r =
        send(&app, &mut c, Method::POST, "/console/api/datasets/init", Some(automatic_documents("high_quality", &ids)))
            .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("id").to_string();
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    batch_settled(&app, &mut c, &dataset_id, &batch).await;

    let config = json!({
        "pre_prompt": "",
        "model": {"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": {"max_tokens": 256}},
        "agent_mode": {"enabled": true, "strategy": "router", "tools": [{"dataset": {"enabled": true, "id": dataset_id}}]},
        "retriever_resource": {"enabled": true}
    });
    let r = send(
        &app,
        &mut c,
        Method::POST,
        "/console/api/apps",
        Some(json!({"name": "Guide", "mode": "chat", "icon": "🤖", "icon_background": "#FFEAD5", "model_config": config})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let app_id = r.body["id"].as_str().expect("id").to_string();
    let r = send(&app, &mut c, Method::POST, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    let mut key = Client { bearer: Some(r.body["token"].as_str().expect("token").to_string()), ..Client::default() };

    fake.clear_requests();
    let ask = json!({"inputs": {}, "query": "When do the purple elephants dance?", "user": "visitor", "response_mode": "blocking"});
    let r = send(&app, &mut key, Method::POST, "/v1/chat-messages", Some(ask)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["answer"], "They dance at dawn.");
    let chat = fake.requests().into_iter().find(|q| q.path.ends_with("/chat/completions")).expect("chat call");
    let prompt: String = chat.messages.iter().map(|(_, t)| t.as_str()).collect();
    assert!(prompt.contains("<context>") && prompt.contains(PLANTED), "{prompt}");
    let sources = r.body["metadata"]["retriever_resources"].as_array().expect("sources").clone();
    assert_eq!(sources[0]["document_name"], "notes.docx", "{sources:?}");
    // The service API reports as `dev` (Dify's default there), with the segment's details.
    assert_eq!((sources[0]["position"].as_i64(), sources[0]["retriever_from"].as_str()), (Some(1), Some("dev")));
    assert!(sources[0]["score"].as_f64().is_some_and(|s| s > 0.0) && sources[0]["index_node_hash"].is_string());
    assert!(sources[0]["content"].as_str().is_some_and(|t| t.contains(PLANTED)));

    // The hit is counted, the query recorded, and the sources kept with the message.
    let seg_id: Uuid = sources[0]["segment_id"].as_str().expect("segment").parse().expect("uuid");
    let seg = document_segments::Entity::find_by_id(seg_id).one(&env.infra.db).await.expect("q").expect("segment");
    assert_eq!(seg.hit_count, 1);
    let q = dataset_queries::Entity::find().all(&env.infra.db).await.expect("q");
    assert_eq!(
        (q.len(), q[0].source, q[0].created_by_role),
        (1, entities::dataset_queries::QuerySource::App, entities::kinds::CreatorRole::EndUser)
    );
    let message_id = r.body["id"].as_str().expect("id");
    let conversation_id = r.body["conversation_id"].as_str().expect("cid");
    let r = send(
        &app,
        &mut key,
        Method::GET,
        &format!("/v1/messages?user=visitor&conversation_id={conversation_id}"),
        None,
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let listed = &r.body["data"][0];
    assert_eq!(listed["id"], message_id);
    assert_eq!(listed["retriever_resources"][0]["segment_id"], seg_id.to_string(), "{listed}");
    stop_worker(worker).await;
}

#[actix_web::test]
async fn switching_the_indexing_technique_builds_or_drops_the_vectors() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state.clone())).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);
    let docx = files::docx(&["Field notes from the river trip.", PLANTED]);
    let ids = vec![
        upload(&app, &c, "notes.docx", &docx).await,
        upload(&app, &c, "other.md", b"# Rain\n\nRain falls in spring.\n").await,
    ];
    let r = send(&app, &mut c, Method::POST, "/console/api/datasets/init", Some(automatic_documents("economy", &ids)))
        .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("id").to_string();
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    batch_settled(&app, &mut c, &dataset_id, &batch).await;
    assert_eq!(vector_count(&state, &dataset_id).await, 0, "economy: keywords only");

    let uri = format!("/console/api/datasets/{dataset_id}");
    let r = send(&app, &mut c, Method::PATCH, &uri, Some(json!({"indexing_technique": "high_quality"}))).await;
    assert_eq!((r.status.as_u16(), r.body["indexing_technique"].as_str()), (200, Some("high_quality")), "{r:?}");
    let hit = format!("/console/api/datasets/{dataset_id}/hit-testing");
    let mut found = Value::Null;
    for _ in 0..100 {
        let r = send(&app, &mut c, Method::POST, &hit, Some(json!({"query": "purple elephants dance"}))).await;
        assert_eq!(r.status.as_u16(), 200, "{r:?}");
        if r.body["records"].as_array().is_some_and(|a| !a.is_empty()) {
            found = r.body;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found["records"][0]["segment"]["content"].as_str().is_some_and(|t| t.contains(PLANTED)), "{found}");
    assert_eq!(vector_count(&state, &dataset_id).await, 2);

    let r = send(&app, &mut c, Method::PATCH, &uri, Some(json!({"indexing_technique": "economy"}))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    for _ in 0..100 {
        if vector_count(&state, &dataset_id).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(vector_count(&state, &dataset_id).await, 0, "vectors dropped");
    let r = send(&app, &mut c, Method::POST, &hit, Some(json!({"query": "purple"}))).await;
    assert_error(&r, 400, "high_quality_dataset_only");
    let hits =
        ::datasets::indexing::search_keywords(&env.infra.db, dataset_id.parse().expect("uuid"), "purple elephants", 3)
            .await
            .expect("keywords");
    assert_eq!(hits.len(), 1, "keywords stay");
    stop_worker(worker).await;
}

#[actix_web::test]
async fn with_weaviate_configured_vectors_live_in_dify_s_classes() {
    let weaviate = test_support::fake_weaviate::FakeWeaviate::start(Some("wv-key")).await;
    let endpoint = weaviate.endpoint();
    let (env, state) =
        state_with(&[("VECTOR_STORE", "weaviate"), ("WEAVIATE_ENDPOINT", &endpoint), ("WEAVIATE_API_KEY", "wv-key")])
            .await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);
    let docx = files::docx(&["Field notes from the river trip.", PLANTED]);
    let md = "# Rain\n\nRain falls in spring.\n\n# Sun\n\nSummers are dry.\n";
    let ids = vec![upload(&app, &c, "notes.docx", &docx).await, upload(&app, &c, "weather.md", md.as_bytes()).await];
    let r =
        send(&app, &mut c, Method::POST, "/console/api/datasets/init", Some(automatic_documents("high_quality", &ids)))
            .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("id").to_string();
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    let status = batch_settled(&app, &mut c, &dataset_id, &batch).await;
    assert!(status.iter().all(|s| s["indexing_status"] == "completed"), "{status:?}");
    let class = collection_name_for_dataset(&dataset_id);
    assert_eq!(weaviate.count(&class), 3, "one object per segment in Dify's class");

    let hit = format!("/console/api/datasets/{dataset_id}/hit-testing");
    let r = send(&app, &mut c, Method::POST, &hit, Some(json!({"query": "purple elephants dance"}))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert!(r.body["records"][0]["segment"]["content"].as_str().is_some_and(|t| t.contains(PLANTED)), "{}", r.body);

    // Deleting a document takes its objects out; switching to economy drops the class.
    let notes = r.body["records"][0]["segment"]["document_id"].clone();
    let weather = status.iter().find(|s| s["id"] != notes).map(|s| s["id"].clone()).expect("the other document");
    let r = send(
        &app,
        &mut c,
        Method::DELETE,
        &format!("/console/api/datasets/{dataset_id}/documents/{}", weather.as_str().expect("id")),
        None,
    )
    .await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    assert_eq!(weaviate.count(&class), 1);
    let r = send(
        &app,
        &mut c,
        Method::PATCH,
        &format!("/console/api/datasets/{dataset_id}"),
        Some(json!({"indexing_technique": "economy"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    for _ in 0..100 {
        if !weaviate.has_class(&class) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!weaviate.has_class(&class), "class dropped");
    stop_worker(worker).await;
}

#[actix_web::test]
async fn with_qdrant_configured_datasets_of_one_model_share_dify_s_collection() {
    let qdrant = test_support::fake_qdrant::FakeQdrant::start(Some("qd-key")).await;
    let url = qdrant.url();
    let (env, state) =
        state_with(&[("VECTOR_STORE", "qdrant"), ("QDRANT_URL", &url), ("QDRANT_API_KEY", "qd-key")]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);
    let mut datasets = Vec::new();
    for (name, text) in
        [("notes.md", format!("# Notes\n\n{PLANTED}\n")), ("weather.md", "# Rain\n\nRain falls in spring.\n".into())]
    {
        let ids = vec![upload(&app, &c, name, text.as_bytes()).await];
        let (dataset_id, status) = init_settled(&app, &mut c, "high_quality", &ids).await;
        assert!(status.iter().all(|s| s["indexing_status"] == "completed"), "{status:?}");
        datasets.push(dataset_id);
    }
    // One embedding model, one binding, one collection: each point says its dataset.
    let bindings = entities::dataset_collection_bindings::Entity::find().all(&env.infra.db).await.expect("bindings");
    assert_eq!(bindings.len(), 1, "{bindings:?}");
    let collection = bindings[0].collection_name.clone();
    assert_eq!(qdrant.collections(), std::slice::from_ref(&collection));
    let groups: Vec<String> = qdrant
        .payloads(&collection)
        .iter()
        .map(|(_, p)| p["group_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(groups.contains(&datasets[0]) && groups.contains(&datasets[1]), "{groups:?}");
    assert_eq!(qdrant.indexed_fields(&collection), ["group_id"]);

    // Hit testing searches its own dataset only.
    let hit = |d: &str| format!("/console/api/datasets/{d}/hit-testing");
    let r =
        send(&app, &mut c, Method::POST, &hit(&datasets[1]), Some(json!({"query": "purple elephants dance"}))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let records = r.body["records"].as_array().expect("records");
    assert!(
        records.iter().all(|h| !h["segment"]["content"].as_str().unwrap_or_default().contains(PLANTED)),
        "{records:?}"
    );
    let r =
        send(&app, &mut c, Method::POST, &hit(&datasets[0]), Some(json!({"query": "purple elephants dance"}))).await;
    assert!(r.body["records"][0]["segment"]["content"].as_str().is_some_and(|t| t.contains(PLANTED)), "{}", r.body);

    // Deleting a dataset takes out its points and leaves the shared collection to the other.
    let before = qdrant.count(&collection);
    let r = send(&app, &mut c, Method::DELETE, &format!("/console/api/datasets/{}", datasets[1]), None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    assert!(qdrant.has_collection(&collection));
    let left = qdrant.payloads(&collection);
    assert!(left.len() < before && left.iter().all(|(_, p)| p["group_id"] == datasets[0].as_str()), "{left:?}");
    // Economy drops the dataset's points, not the collection.
    let r = send(
        &app,
        &mut c,
        Method::PATCH,
        &format!("/console/api/datasets/{}", datasets[0]),
        Some(json!({"indexing_technique": "economy"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    for _ in 0..100 {
        if qdrant.count(&collection) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(qdrant.count(&collection), 0);
    assert!(qdrant.has_collection(&collection));
    assert_eq!(qdrant.violations(), Vec::<String>::new());
    stop_worker(worker).await;
}

#[actix_web::test]
async fn with_several_datasets_the_model_picks_the_one_to_search() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);
    let mut dataset_ids = Vec::new();
    for (name, bytes) in [
        ("notes.docx", files::docx(&["Field notes from the river trip.", PLANTED])),
        ("weather.md", b"# Rain\n\nRain falls mostly in the northern valleys during spring.\n".to_vec()),
    ] {
        let id = upload(&app, &c, name, &bytes).await;
        let r = send(
            &app,
            &mut c,
            Method::POST,
            "/console/api/datasets/init",
            Some(automatic_documents("high_quality", &[id])),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{r:?}");
        let dataset_id = r.body["dataset"]["id"].as_str().expect("id").to_string();
        batch_settled(&app, &mut c, &dataset_id, r.body["batch"].as_str().expect("batch")).await;
        dataset_ids.push(dataset_id);
    }
    let tools: Vec<Value> = dataset_ids.iter().map(|id| json!({"dataset": {"enabled": true, "id": id}})).collect();
    let config = json!({
        "pre_prompt": "",
        "model": {"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": {"max_tokens": 256}},
        "agent_mode": {"enabled": true, "strategy": "router", "tools": tools},
    });
    let r = send(
        &app,
        &mut c,
        Method::POST,
        "/console/api/apps",
        Some(json!({"name": "Router", "mode": "chat", "icon": "🤖", "icon_background": "#FFEAD5", "model_config": config})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let app_id = r.body["id"].as_str().expect("id").to_string();
    let r = send(&app, &mut c, Method::POST, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    let mut key = Client { bearer: Some(r.body["token"].as_str().expect("token").to_string()), ..Client::default() };

    // The fake answers the router's question and the chat alike: "2" picks the weather.
    for (pick, expect, absent) in [("2", "northern valleys", PLANTED), ("1", PLANTED, "northern valleys")] {
        fake.set_answer(Some(pick));
        fake.clear_requests();
        let ask = json!({"inputs": {}, "query": "What falls in spring by the river?", "user": "u", "response_mode": "blocking"});
        let r = send(&app, &mut key, Method::POST, "/v1/chat-messages", Some(ask)).await;
        assert_eq!(r.status.as_u16(), 200, "{r:?}");
        let calls: Vec<_> = fake.requests().into_iter().filter(|q| q.path.ends_with("/chat/completions")).collect();
        assert_eq!(calls.len(), 2, "the router's call, then the answer");
        let router: String = calls[0].messages.iter().map(|(_, t)| t.as_str()).collect();
        assert!(router.contains("notes.docx...") && router.contains("weather.md..."), "{router}");
        let prompt: String = calls[1].messages.iter().map(|(_, t)| t.as_str()).collect();
        assert!(prompt.contains(expect) && !prompt.contains(absent), "pick {pick}: {prompt}");
    }
    // None fits: no context at all.
    fake.set_answer(Some("0"));
    fake.clear_requests();
    let ask = json!({"inputs": {}, "query": "What is the time?", "user": "u", "response_mode": "blocking"});
    let r = send(&app, &mut key, Method::POST, "/v1/chat-messages", Some(ask)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let last = fake.requests().into_iter().rfind(|q| q.path.ends_with("/chat/completions")).expect("answer");
    assert!(!last.messages.iter().any(|(_, t)| t.contains("<context>")), "{:?}", last.messages);
    stop_worker(worker).await;
}

#[actix_web::test]
async fn deleting_documents_and_datasets_removes_the_uploads_nothing_else_uses() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);
    let ids = vec![
        upload(&app, &c, "a.md", b"# A\n\nApples are red.\n").await,
        upload(&app, &c, "b.md", b"# B\n\nBananas are yellow.\n").await,
    ];
    let r = send(&app, &mut c, Method::POST, "/console/api/datasets/init", Some(automatic_documents("economy", &ids)))
        .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("id").to_string();
    let docs = r.body["documents"].as_array().expect("docs").clone();
    batch_settled(&app, &mut c, &dataset_id, r.body["batch"].as_str().expect("batch")).await;
    let stored = |id: &str| {
        let id: Uuid = id.parse().expect("uuid");
        let db = env.infra.db.clone();
        let storage = env.infra.storage.clone();
        async move {
            match entities::upload_files::Entity::find_by_id(id).one(&db).await.expect("q") {
                Some(f) => storage.exists(&f.key).await.expect("exists"),
                None => false,
            }
        }
    };
    assert!(stored(&ids[0]).await && stored(&ids[1]).await);

    let doc_a = docs.iter().find(|d| d["name"] == "a.md").expect("a")["id"].as_str().expect("id").to_string();
    let r = send(&app, &mut c, Method::DELETE, &format!("/console/api/datasets/{dataset_id}/documents/{doc_a}"), None)
        .await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    assert!(!stored(&ids[0]).await, "a.md's upload is gone with its document");
    assert!(stored(&ids[1]).await, "b.md is still used");
    let r = send(&app, &mut c, Method::DELETE, &format!("/console/api/datasets/{dataset_id}"), None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    assert!(!stored(&ids[1]).await, "the dataset's uploads go with it");
    stop_worker(worker).await;
}

#[actix_web::test]
async fn a_document_of_several_batches_gets_each_segment_its_own_keywords_and_vector() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);
    // 250 segments: three batches, the next embedded while the one before is stored.
    let word = |n: usize| -> String { (0..3).map(|i| char::from(b'a' + ((n / 26usize.pow(i)) % 26) as u8)).collect() };
    let paragraph = |n: usize| (0..12).map(|i| word(n * 12 + i)).collect::<Vec<_>>().join(" ");
    let text: String = (0..250).map(|n| format!("{}.\n\n", paragraph(n))).collect();
    let id = upload(&app, &c, "many.txt", text.as_bytes()).await;
    let mut body = automatic_documents("high_quality", &[id]);
    body["process_rule"] = json!({"mode": "custom", "rules": {"pre_processing_rules": [],
        "segmentation": {"separator": "\n\n", "max_tokens": 50}}});
    let r = send(&app, &mut c, Method::POST, "/console/api/datasets/init", Some(body)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("dataset").to_string();
    let doc_id: Uuid = r.body["documents"][0]["id"].as_str().expect("id").parse().expect("uuid");
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    let status = batch_settled(&app, &mut c, &dataset_id, &batch).await;
    assert_eq!(status[0]["indexing_status"], "completed", "{status:?}");
    assert_eq!(embedding_calls(&fake), 3, "one call per batch");

    let segments = ::datasets::indexing::document_segments(&env.infra.db, doc_id).await.expect("segments");
    assert_eq!(segments.len(), 250);
    for s in &segments {
        assert!(s.enabled && s.completed_at.is_some(), "{s:?}");
        let words: Vec<String> = serde_json::from_value(s.keywords.clone().expect("keywords")).expect("list");
        assert!(!words.is_empty(), "{s:?}");
        for w in &words {
            assert!(s.content.to_lowercase().contains(w.as_str()), "{w} is not in its segment: {s:?}");
        }
    }
    // Each segment's vector is its own: its text finds it first.
    let last = segments.last().expect("last");
    let r = send(
        &app,
        &mut c,
        Method::POST,
        &format!("/console/api/datasets/{dataset_id}/hit-testing"),
        Some(json!({"query": last.content})),
    )
    .await;
    assert_eq!(r.body["records"][0]["segment"]["id"], json!(last.id.to_string()), "{r:?}");
    stop_worker(worker).await;
}
