//! One document and its segments through the console: detail views, metadata, pause and
//! resume, status actions with the keyword table following, the segment listing with its
//! filters and cursor, deletes, workspace isolation and roles — in both run modes. Economy
//! datasets, so no embeddings are needed; documents and segments are seeded as indexing
//! leaves them.

mod common;

use std::collections::BTreeSet;

use accounts::TenantRole;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::*;
use entities::{dataset_keyword_tables, document_segments, documents, upload_files};
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};
use test_support::TestEnv;
use uuid::Uuid;

/// Sets up the instance and signs its admin in: (client, account id, workspace id).
async fn admin<S, B>(app: &S) -> (Client, Uuid, Uuid)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut c = Client::default();
    let r = send(app, &mut c, Method::POST, "/console/api/setup", Some(setup_body())).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let mut c = login(app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r = send(app, &mut c, Method::GET, "/console/api/workspaces/current", None).await;
    let tenant = r.body["id"].as_str().expect("workspace id").parse().expect("uuid");
    let r = send(app, &mut c, Method::GET, "/console/api/account/profile", None).await;
    let account = r.body["id"].as_str().expect("account id").parse().expect("uuid");
    (c, account, tenant)
}

/// An economy dataset shared with the team.
async fn economy_dataset<S, B>(app: &S, c: &mut Client) -> Uuid
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let body = json!({"name": "Handbook", "indexing_technique": "economy"});
    let r = send(app, c, Method::POST, "/console/api/datasets", Some(body)).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let id = r.body["id"].as_str().expect("id").to_string();
    let r = send(
        app,
        c,
        Method::PATCH,
        &format!("/console/api/datasets/{id}"),
        Some(json!({"permission": "all_team_members"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    id.parse().expect("uuid")
}

struct Seeded {
    tenant: Uuid,
    dataset: Uuid,
    account: Uuid,
}

/// A document of the dataset in `status`, made from an upload file row.
async fn seed_document(env: &TestEnv, s: &Seeded, status: &str, words: i32) -> Uuid {
    let db = &env.infra.db;
    let now = now_naive();
    let file = Uuid::new_v4();
    upload_files::ActiveModel {
        id: Set(file),
        tenant_id: Set(s.tenant),
        storage_type: Set("local".into()),
        key: Set(format!("upload_files/{}/{file}.txt", s.tenant)),
        name: Set("guide.txt".into()),
        size: Set(1234),
        extension: Set("txt".into()),
        mime_type: Set(Some("text/plain".into())),
        created_by: Set(s.account),
        created_at: Set(now),
        used: Set(true),
        used_by: Set(Some(s.account)),
        used_at: Set(Some(now)),
        hash: Set(None),
    }
    .insert(db)
    .await
    .expect("file");
    let done = status == "completed";
    let id = Uuid::new_v4();
    documents::ActiveModel {
        id: Set(id),
        tenant_id: Set(s.tenant),
        dataset_id: Set(s.dataset),
        position: Set(1),
        data_source_type: Set(entities::kinds::DataSourceType::UploadFile),
        data_source_info: Set(Some(json!({"upload_file_id": file.to_string()}).to_string())),
        dataset_process_rule_id: Set(None),
        batch: Set("20231001000000123456".into()),
        name: Set("guide.txt".into()),
        created_from: Set(entities::documents::CreatedFrom::Web),
        created_by: Set(s.account),
        created_api_request_id: Set(None),
        created_at: Set(now),
        processing_started_at: Set(Some(now)),
        file_id: Set(None),
        word_count: Set(Some(words)),
        parsing_completed_at: Set(Some(now)),
        cleaning_completed_at: Set(Some(now)),
        splitting_completed_at: Set(Some(now)),
        tokens: Set(Some(0)),
        indexing_latency: Set(done.then_some(0.5)),
        completed_at: Set(done.then_some(now)),
        is_paused: Set(Some(false)),
        paused_by: Set(None),
        paused_at: Set(None),
        error: Set(None),
        stopped_at: Set(None),
        indexing_status: Set(sea_orm::ActiveEnum::try_from_value(&status.to_owned()).expect("a status")),
        enabled: Set(true),
        disabled_at: Set(None),
        disabled_by: Set(None),
        archived: Set(false),
        archived_reason: Set(None),
        archived_by: Set(None),
        archived_at: Set(None),
        updated_at: Set(now),
        doc_type: Set(None),
        doc_metadata: Set(None),
        doc_form: Set(entities::documents::DocForm::TextModel),
        doc_language: Set(Some("English".into())),
    }
    .insert(db)
    .await
    .expect("document");
    id
}

/// A segment as indexing leaves it; an enabled completed one is put in the keyword table.
/// Returns (segment id, index node id).
#[allow(clippy::too_many_arguments)]
async fn seed_segment(
    env: &TestEnv,
    s: &Seeded,
    doc: Uuid,
    position: i32,
    content: &str,
    status: &str,
    enabled: bool,
    hits: i32,
) -> (Uuid, String) {
    let db = &env.infra.db;
    let now = now_naive();
    let id = Uuid::new_v4();
    let node = Uuid::new_v4().to_string();
    let keywords: Vec<String> = content.split_whitespace().map(str::to_lowercase).collect();
    document_segments::ActiveModel {
        id: Set(id),
        tenant_id: Set(s.tenant),
        dataset_id: Set(s.dataset),
        document_id: Set(doc),
        position: Set(position),
        content: Set(content.into()),
        word_count: Set(content.chars().count() as i32),
        tokens: Set(0),
        keywords: Set(Some(json!(keywords))),
        index_node_id: Set(Some(node.clone())),
        index_node_hash: Set(Some(format!("hash-{position}"))),
        hit_count: Set(hits),
        enabled: Set(enabled),
        disabled_at: Set(None),
        disabled_by: Set(None),
        status: Set(sea_orm::ActiveEnum::try_from_value(&status.to_owned()).expect("a segment status")),
        created_by: Set(s.account),
        created_at: Set(now),
        indexing_at: Set(Some(now)),
        completed_at: Set((status == "completed").then_some(now)),
        error: Set(None),
        stopped_at: Set(None),
        answer: Set(None),
        updated_by: Set(None),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("segment");
    if enabled && status == "completed" {
        ::datasets::indexing::add_keywords(db, s.dataset, &[(node.clone(), keywords)]).await.expect("keywords");
    }
    (id, node)
}

/// Every node id the dataset's keyword table points at.
async fn keyword_nodes(env: &TestEnv, dataset: Uuid) -> BTreeSet<String> {
    let row = dataset_keyword_tables::Entity::find()
        .filter(dataset_keyword_tables::Column::DatasetId.eq(dataset))
        .one(&env.infra.db)
        .await
        .expect("query");
    let Some(row) = row else { return BTreeSet::new() };
    let table: Value = serde_json::from_str(&row.keyword_table).expect("json");
    assert_eq!(table["__type__"], "keyword_table");
    let mut out = BTreeSet::new();
    for nodes in table["__data__"]["table"].as_object().expect("table").values() {
        for n in nodes.as_array().expect("node list") {
            out.insert(n.as_str().expect("node id").to_owned());
        }
    }
    out
}

async fn segment_count(env: &TestEnv, doc: Uuid) -> u64 {
    document_segments::Entity::find()
        .filter(document_segments::Column::DocumentId.eq(doc))
        .count(&env.infra.db)
        .await
        .expect("count")
}

fn set(nodes: &[&String]) -> BTreeSet<String> {
    nodes.iter().map(|n| (*n).clone()).collect()
}

#[actix_web::test]
async fn detail_views_and_metadata() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut c, account, tenant) = admin(&app).await;
    let dataset = economy_dataset(&app, &mut c).await;
    let s = Seeded { tenant, dataset, account };
    let doc = seed_document(&env, &s, "completed", 90).await;
    seed_segment(&env, &s, doc, 1, "alpha beta", "completed", true, 2).await;
    seed_segment(&env, &s, doc, 2, "gamma delta", "completed", true, 3).await;
    let uri = format!("/console/api/datasets/{dataset}/documents/{doc}");

    let r = send(&app, &mut c, Method::GET, &format!("{uri}?metadata=without"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let b = &r.body;
    assert_eq!(b["id"], doc.to_string());
    assert_eq!(b["data_source_info"]["upload_file"]["name"], "guide.txt");
    assert_eq!(b["data_source_info"]["upload_file"]["size"], 1234);
    assert!(b["data_source_info"]["upload_file"]["created_at"].is_f64(), "{b}");
    assert!(b["created_at"].is_f64(), "{b}");
    assert!(b["completed_at"].is_i64(), "{b}");
    assert_eq!(b["dataset_process_rule"]["mode"], "custom", "the defaults without a rule");
    assert_eq!(b["segment_count"], 2);
    assert_eq!(b["average_segment_length"], 45);
    assert_eq!(b["hit_count"], 5);
    assert_eq!(b["display_status"], "available");
    assert_eq!(b["doc_form"], "text_model");
    assert!(b.get("doc_type").is_none() && b.get("doc_metadata").is_none(), "{b}");

    // Metadata: only the schema's string fields of the type are kept.
    let meta = json!({"doc_type": "book", "doc_metadata": {"title": "Guide", "isbn": 12, "colour": "red"}});
    let r = send(&app, &mut c, Method::PUT, &format!("{uri}/metadata"), Some(meta)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body, json!({"result": "success", "message": "Document metadata updated."}));
    let r = send(&app, &mut c, Method::GET, &format!("{uri}?metadata=only"), None).await;
    assert_eq!(r.body, json!({"id": doc.to_string(), "doc_type": "book", "doc_metadata": {"title": "Guide"}}));
    let others = json!({"doc_type": "others", "doc_metadata": {"anything": [1, 2]}});
    send(&app, &mut c, Method::PUT, &format!("{uri}/metadata"), Some(others)).await;
    // `all` (Dify's default, a 500 there) is `without` plus the metadata.
    let r = send(&app, &mut c, Method::GET, &uri, None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["doc_type"], "others");
    assert_eq!(r.body["doc_metadata"], json!({"anything": [1, 2]}));
    assert_eq!(r.body["segment_count"], 2);

    for bad in [
        json!({"doc_type": "novel", "doc_metadata": {}}),
        json!({"doc_type": "book"}),
        json!({"doc_type": "book", "doc_metadata": "title"}),
    ] {
        let r = send(&app, &mut c, Method::PUT, &format!("{uri}/metadata"), Some(bad)).await;
        assert_error(&r, 400, "invalid_param");
    }
    let r = send(&app, &mut c, Method::GET, &format!("{uri}?metadata=some"), None).await;
    assert_error(&r, 400, "invalid_metadata");
    let r =
        send(&app, &mut c, Method::GET, &format!("/console/api/datasets/{dataset}/documents/{}", Uuid::new_v4()), None)
            .await;
    assert_error(&r, 404, "not_found");
}

#[actix_web::test]
async fn pause_resume_and_deleting_while_indexing() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut c, account, tenant) = admin(&app).await;
    let dataset = economy_dataset(&app, &mut c).await;
    let s = Seeded { tenant, dataset, account };
    let doc = seed_document(&env, &s, "indexing", 10).await;
    let uri = format!("/console/api/datasets/{dataset}/documents/{doc}");

    let r = send(&app, &mut c, Method::DELETE, &uri, None).await;
    assert_error(&r, 400, "document_indexing");
    assert_eq!(r.body["message"], "Cannot delete document during indexing.");

    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/processing/resume"), None).await;
    assert_error(&r, 400, "document_indexing");
    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/processing/pause"), None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    let row = documents::Entity::find_by_id(doc).one(&env.infra.db).await.expect("q").expect("doc");
    assert_eq!(row.is_paused, Some(true));
    assert_eq!(row.paused_by, Some(account));
    assert!(row.paused_at.is_some());
    let r = send(&app, &mut c, Method::GET, &format!("{uri}?metadata=without"), None).await;
    assert_eq!(r.body["display_status"], "paused");

    let pending = env.infra.queue.pending("dataset").await.expect("pending");
    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/processing/resume"), None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    assert_eq!(env.infra.queue.pending("dataset").await.expect("pending"), pending + 1, "indexing queued again");
    let row = documents::Entity::find_by_id(doc).one(&env.infra.db).await.expect("q").expect("doc");
    assert_eq!((row.is_paused, row.paused_by, row.paused_at), (Some(false), None, None));

    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/processing/stop"), None).await;
    assert_error(&r, 400, "invalid_action");

    // A finished document cannot be paused.
    let finished = seed_document(&env, &s, "completed", 10).await;
    let r = send(
        &app,
        &mut c,
        Method::PATCH,
        &format!("/console/api/datasets/{dataset}/documents/{finished}/processing/pause"),
        None,
    )
    .await;
    assert_error(&r, 400, "document_indexing");
    assert_eq!(r.body["message"], "Cannot pause completed document.");
}

#[actix_web::test]
async fn status_actions_move_keywords_out_and_back() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut c, account, tenant) = admin(&app).await;
    let dataset = economy_dataset(&app, &mut c).await;
    let s = Seeded { tenant, dataset, account };
    let doc = seed_document(&env, &s, "completed", 40).await;
    let (_, n1) = seed_segment(&env, &s, doc, 1, "refund policy", "completed", true, 0).await;
    let (seg2, n2) = seed_segment(&env, &s, doc, 2, "shipping times", "completed", true, 0).await;
    let (_, _n3) = seed_segment(&env, &s, doc, 3, "hidden note", "completed", false, 0).await;
    let other = seed_document(&env, &s, "completed", 5).await;
    let (_, n_other) = seed_segment(&env, &s, other, 1, "other doc", "completed", true, 0).await;
    let uri = format!("/console/api/datasets/{dataset}/documents/{doc}");
    assert_eq!(keyword_nodes(&env, dataset).await, set(&[&n1, &n2, &n_other]));

    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/status/enable"), None).await;
    assert_error(&r, 400, "invalid_action");
    assert_eq!(r.body["message"], "Document already enabled.");
    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/status/disable"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body, json!({"result": "success"}));
    assert_eq!(keyword_nodes(&env, dataset).await, set(&[&n_other]), "the document's keywords are gone");
    let r = send(&app, &mut c, Method::GET, &format!("{uri}?metadata=without"), None).await;
    assert_eq!((r.body["enabled"].clone(), r.body["display_status"].clone()), (json!(false), json!("disabled")));
    assert!(r.body["disabled_at"].is_i64() && r.body["disabled_by"] == account.to_string(), "{}", r.body);
    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/status/disable"), None).await;
    assert_error(&r, 400, "invalid_action");

    // Enabling puts back only the enabled segments.
    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/status/enable"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(keyword_nodes(&env, dataset).await, set(&[&n1, &n2, &n_other]));

    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/status/archive"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(keyword_nodes(&env, dataset).await, set(&[&n_other]));
    let r = send(&app, &mut c, Method::GET, &format!("{uri}?metadata=without"), None).await;
    assert_eq!(r.body["display_status"], "archived");
    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/status/archive"), None).await;
    assert_error(&r, 400, "invalid_action");
    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/processing/pause"), None).await;
    assert_error(&r, 403, "archived_document_immutable");
    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/status/un_archive"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(keyword_nodes(&env, dataset).await, set(&[&n1, &n2, &n_other]));
    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/status/un_archive"), None).await;
    assert_error(&r, 400, "invalid_action");
    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/status/explode"), None).await;
    assert_error(&r, 400, "invalid_action");

    // One segment out and back.
    let seg_uri = format!("/console/api/datasets/{dataset}/segments/{seg2}");
    let r = send(&app, &mut c, Method::PATCH, &format!("{seg_uri}/disable"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(keyword_nodes(&env, dataset).await, set(&[&n1, &n_other]));
    let r = send(&app, &mut c, Method::PATCH, &format!("{seg_uri}/disable"), None).await;
    assert_error(&r, 400, "invalid_action");
    assert_eq!(r.body["message"], "Segment is already disabled.");
    let r = send(&app, &mut c, Method::PATCH, &format!("{seg_uri}/enable"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(keyword_nodes(&env, dataset).await, set(&[&n1, &n2, &n_other]));
    let r = send(&app, &mut c, Method::PATCH, &format!("{seg_uri}/flip"), None).await;
    assert_error(&r, 400, "invalid_action");
    let r = send(
        &app,
        &mut c,
        Method::PATCH,
        &format!("/console/api/datasets/{dataset}/segments/{}/enable", Uuid::new_v4()),
        None,
    )
    .await;
    assert_error(&r, 404, "not_found");

    // A document still indexing cannot be disabled.
    let busy = seed_document(&env, &s, "indexing", 5).await;
    let r = send(
        &app,
        &mut c,
        Method::PATCH,
        &format!("/console/api/datasets/{dataset}/documents/{busy}/status/disable"),
        None,
    )
    .await;
    assert_error(&r, 400, "invalid_action");
    assert_eq!(r.body["message"], "Document is not completed.");
}

#[actix_web::test]
async fn segments_are_listed_by_position_with_filters_and_a_cursor() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut c, account, tenant) = admin(&app).await;
    let dataset = economy_dataset(&app, &mut c).await;
    let s = Seeded { tenant, dataset, account };
    let doc = seed_document(&env, &s, "completed", 100).await;
    let mut ids = Vec::new();
    for (i, (content, status, enabled, hits)) in [
        ("Refund policy", "completed", true, 0),
        ("shipping TIMES", "completed", true, 4),
        ("refund exceptions", "completed", false, 1),
        ("warranty", "error", false, 7),
        ("returns desk", "indexing", false, 0),
    ]
    .into_iter()
    .enumerate()
    {
        ids.push(seed_segment(&env, &s, doc, i as i32 + 1, content, status, enabled, hits).await.0.to_string());
    }
    let base = format!("/console/api/datasets/{dataset}/documents/{doc}/segments");
    let ids_of = |b: &Value| -> Vec<String> {
        b["data"].as_array().expect("data").iter().map(|s| s["id"].as_str().expect("id").to_owned()).collect()
    };

    let r = send(&app, &mut c, Method::GET, &base, None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(ids_of(&r.body), ids);
    assert_eq!((r.body["total"].clone(), r.body["limit"].clone()), (json!(5), json!(20)));
    assert_eq!((r.body["has_more"].clone(), r.body["doc_form"].clone()), (json!(false), json!("text_model")));
    let first = &r.body["data"][0];
    assert_eq!(first["content"], "Refund policy");
    assert_eq!(first["keywords"], json!(["refund", "policy"]));
    assert_eq!(first["document_id"], doc.to_string());
    assert!(first["created_at"].is_i64() && first["completed_at"].is_i64() && first["disabled_at"].is_null());

    // Cursor by position.
    let r = send(&app, &mut c, Method::GET, &format!("{base}?limit=2"), None).await;
    assert_eq!((ids_of(&r.body), r.body["has_more"].clone()), (ids[..2].to_vec(), json!(true)));
    let r = send(&app, &mut c, Method::GET, &format!("{base}?limit=2&last_id={}", ids[1]), None).await;
    assert_eq!((ids_of(&r.body), r.body["has_more"].clone()), (ids[2..4].to_vec(), json!(true)));
    assert_eq!(r.body["total"], 3, "total counts what follows the cursor");
    let r = send(&app, &mut c, Method::GET, &format!("{base}?limit=2&last_id={}", ids[3]), None).await;
    assert_eq!((ids_of(&r.body), r.body["has_more"].clone()), (ids[4..].to_vec(), json!(false)));
    let r = send(&app, &mut c, Method::GET, &format!("{base}?last_id={}", Uuid::new_v4()), None).await;
    assert_eq!(r.body, json!({"data": [], "has_more": false, "limit": 20}));
    let r = send(&app, &mut c, Method::GET, &format!("{base}?limit=500"), None).await;
    assert_eq!(r.body["limit"], 100, "capped");

    // Filters.
    let r = send(&app, &mut c, Method::GET, &format!("{base}?status=error&status=indexing"), None).await;
    assert_eq!(ids_of(&r.body), ids[3..].to_vec());
    let r = send(&app, &mut c, Method::GET, &format!("{base}?enabled=false"), None).await;
    assert_eq!(ids_of(&r.body), ids[2..].to_vec());
    let r = send(&app, &mut c, Method::GET, &format!("{base}?enabled=TRUE"), None).await;
    assert_eq!(ids_of(&r.body), ids[..2].to_vec());
    let r = send(&app, &mut c, Method::GET, &format!("{base}?keyword=REFUND"), None).await;
    assert_eq!(ids_of(&r.body), vec![ids[0].clone(), ids[2].clone()], "case-insensitive");
    let r = send(&app, &mut c, Method::GET, &format!("{base}?keyword=times"), None).await;
    assert_eq!(ids_of(&r.body), vec![ids[1].clone()]);
    let r = send(&app, &mut c, Method::GET, &format!("{base}?hit_count_gte=4"), None).await;
    assert_eq!(ids_of(&r.body), vec![ids[1].clone(), ids[3].clone()]);
    let r = send(&app, &mut c, Method::GET, &format!("{base}?hit_count_gte=4&enabled=true&keyword=ship"), None).await;
    assert_eq!(ids_of(&r.body), vec![ids[1].clone()]);

    for bad in ["limit=ten", "limit=0", "limit=-3", "hit_count_gte=lots"] {
        let r = send(&app, &mut c, Method::GET, &format!("{base}?{bad}"), None).await;
        assert_error(&r, 400, "invalid_param");
    }
}

#[actix_web::test]
async fn deleting_segments_and_documents_removes_their_rows_and_keywords() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut c, account, tenant) = admin(&app).await;
    let dataset = economy_dataset(&app, &mut c).await;
    let s = Seeded { tenant, dataset, account };
    let doc = seed_document(&env, &s, "completed", 30).await;
    let (seg1, n1) = seed_segment(&env, &s, doc, 1, "first part", "completed", true, 0).await;
    let (_, n2) = seed_segment(&env, &s, doc, 2, "second part", "completed", true, 0).await;
    let other = seed_document(&env, &s, "completed", 5).await;
    let (other_seg, n_other) = seed_segment(&env, &s, other, 1, "kept apart", "completed", true, 0).await;
    let uri = format!("/console/api/datasets/{dataset}/documents/{doc}");

    // A segment of another document is not found under this one.
    let r = send(&app, &mut c, Method::DELETE, &format!("{uri}/segments/{other_seg}"), None).await;
    assert_error(&r, 404, "not_found");
    let r = send(&app, &mut c, Method::DELETE, &format!("{uri}/segments/{seg1}"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body, json!({"result": "success"}));
    assert_eq!(segment_count(&env, doc).await, 1);
    assert_eq!(keyword_nodes(&env, dataset).await, set(&[&n2, &n_other]));
    let r = send(&app, &mut c, Method::DELETE, &format!("{uri}/segments/{seg1}"), None).await;
    assert_error(&r, 404, "not_found");

    let r = send(&app, &mut c, Method::DELETE, &uri, None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    assert_eq!(segment_count(&env, doc).await, 0);
    assert_eq!(keyword_nodes(&env, dataset).await, set(&[&n_other]));
    assert!(!keyword_nodes(&env, dataset).await.contains(&n1));
    let r = send(&app, &mut c, Method::GET, &uri, None).await;
    assert_error(&r, 404, "not_found");
    assert_eq!(segment_count(&env, other).await, 1, "the other document is untouched");
    let r = send(&app, &mut c, Method::DELETE, &uri, None).await;
    assert_error(&r, 404, "not_found");
}

#[actix_web::test]
async fn other_workspaces_get_404_and_normal_members_only_read() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut a, account, tenant) = admin(&app).await;
    let dataset = economy_dataset(&app, &mut a).await;
    let s = Seeded { tenant, dataset, account };
    let doc = seed_document(&env, &s, "completed", 30).await;
    let (seg, node) = seed_segment(&env, &s, doc, 1, "shared words", "completed", true, 0).await;
    let uri = format!("/console/api/datasets/{dataset}/documents/{doc}");
    let seg_uri = format!("/console/api/datasets/{dataset}/segments/{seg}");

    let writes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::DELETE, uri.clone(), None),
        (Method::PUT, format!("{uri}/metadata"), Some(json!({"doc_type": "others", "doc_metadata": {}}))),
        (Method::PATCH, format!("{uri}/processing/pause"), None),
        (Method::PATCH, format!("{uri}/processing/resume"), None),
        (Method::PATCH, format!("{uri}/status/disable"), None),
        (Method::PATCH, format!("{seg_uri}/disable"), None),
        (Method::DELETE, format!("{uri}/segments/{seg}"), None),
    ];

    seed_account(&env, "b@example.com", "Passw0rd456", None).await;
    let mut b = login(&app, "b@example.com", "Passw0rd456").await;
    for path in [uri.clone(), format!("{uri}?metadata=only"), format!("{uri}/segments")] {
        assert_error(&send(&app, &mut b, Method::GET, &path, None).await, 404, "not_found");
    }
    for (method, path, body) in &writes {
        let r = send(&app, &mut b, method.clone(), path, body.clone()).await;
        assert_error(&r, 404, "not_found");
    }

    seed_account(&env, "member@example.com", "Passw0rd789", Some((tenant, TenantRole::Normal))).await;
    let mut m = login(&app, "member@example.com", "Passw0rd789").await;
    let r = send(&app, &mut m, Method::GET, &format!("{uri}?metadata=without"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let r = send(&app, &mut m, Method::GET, &format!("{uri}/segments"), None).await;
    assert_eq!(r.body["total"], 1, "{r:?}");
    for (method, path, body) in &writes {
        let r = send(&app, &mut m, method.clone(), path, body.clone()).await;
        assert_error(&r, 403, "forbidden");
    }
    assert_eq!(segment_count(&env, doc).await, 1, "nothing changed");
    assert_eq!(keyword_nodes(&env, dataset).await, set(&[&node]));
}

#[actix_web::test]
async fn segments_are_added_and_edited_by_hand_and_indexed_at_once() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut c, account, tenant) = admin(&app).await;
    let dataset = economy_dataset(&app, &mut c).await;
    let s = Seeded { tenant, dataset, account };
    let doc = seed_document(&env, &s, "completed", 30).await;
    let (_, n1) = seed_segment(&env, &s, doc, 1, "opening hours", "completed", true, 0).await;
    let uri = format!("/console/api/datasets/{dataset}/documents/{doc}");

    let body = json!({"content": "Parcels leave the warehouse daily", "keywords": ["parcels", "warehouse"]});
    let r = send(&app, &mut c, Method::POST, &format!("{uri}/segment"), Some(body)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["doc_form"], "text_model");
    let added = r.body["data"].clone();
    assert_eq!((added["position"].clone(), added["status"].clone()), (json!(2), json!("completed")));
    assert_eq!((added["enabled"].clone(), added["word_count"].clone()), (json!(true), json!(33)));
    assert_eq!(added["keywords"], json!(["parcels", "warehouse"]));
    let node = added["index_node_id"].as_str().expect("node").to_owned();
    let seg = added["id"].as_str().expect("id").to_owned();
    assert_eq!(keyword_nodes(&env, dataset).await, set(&[&n1, &node]));

    // Without keywords they are extracted and saved.
    let r = send(
        &app,
        &mut c,
        Method::POST,
        &format!("{uri}/segment"),
        Some(json!({"content": "Returns accepted within thirty days"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert!(!r.body["data"]["keywords"].as_array().expect("keywords").is_empty(), "{r:?}");
    assert_eq!(keyword_nodes(&env, dataset).await.len(), 3);

    // New content: re-hashed, re-counted, keywords re-extracted.
    let r = send(
        &app,
        &mut c,
        Method::PATCH,
        &format!("{uri}/segments/{seg}"),
        Some(json!({"content": "Parcels ship twice a day"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["data"]["content"], "Parcels ship twice a day");
    assert_eq!(r.body["data"]["word_count"], 24);
    assert_ne!(r.body["data"]["index_node_hash"], added["index_node_hash"]);
    assert_ne!(r.body["data"]["keywords"], json!(["parcels", "warehouse"]));
    assert!(keyword_nodes(&env, dataset).await.contains(&node));
    // Same content, new keywords.
    let body = json!({"content": "Parcels ship twice a day", "keywords": ["courier"]});
    let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/segments/{seg}"), Some(body)).await;
    assert_eq!(r.body["data"]["keywords"], json!(["courier"]), "{r:?}");
    let table = dataset_keyword_tables::Entity::find()
        .filter(dataset_keyword_tables::Column::DatasetId.eq(dataset))
        .one(&env.infra.db)
        .await
        .expect("q")
        .expect("table");
    let table: Value = serde_json::from_str(&table.keyword_table).expect("json");
    assert_eq!(table["__data__"]["table"]["courier"], json!([node]));

    for bad in [json!({}), json!({"content": "   "}), json!({"content": 5}), json!({"content": "x", "keywords": "a"})] {
        let r = send(&app, &mut c, Method::POST, &format!("{uri}/segment"), Some(bad.clone())).await;
        assert_error(&r, 400, "invalid_param");
        let r = send(&app, &mut c, Method::PATCH, &format!("{uri}/segments/{seg}"), Some(bad)).await;
        assert_error(&r, 400, "invalid_param");
    }
    let r =
        send(&app, &mut c, Method::PATCH, &format!("{uri}/segments/{}", Uuid::new_v4()), Some(json!({"content": "x"})))
            .await;
    assert_error(&r, 404, "not_found");

    seed_account(&env, "member@example.com", "Passw0rd789", Some((tenant, TenantRole::Normal))).await;
    let mut m = login(&app, "member@example.com", "Passw0rd789").await;
    let r = send(&app, &mut m, Method::POST, &format!("{uri}/segment"), Some(json!({"content": "x"}))).await;
    assert_error(&r, 403, "forbidden");
    let r = send(&app, &mut m, Method::PATCH, &format!("{uri}/segments/{seg}"), Some(json!({"content": "x"}))).await;
    assert_error(&r, 403, "forbidden");
}
