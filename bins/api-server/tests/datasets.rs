//! Datasets and their upload files through the console: uploads checked on the bytes and the
//! size limit, previews, dataset create/list/paging/settings/delete, duplicate names, roles
//! and workspace isolation — in both run modes.

mod common;

use accounts::TenantRole;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::test::{self, TestRequest};
use api_server::app;
use common::*;
use entities::documents::IndexingStatus;
use entities::{app_dataset_joins, apps, dataset_queries, upload_files};
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};
use test_support::TestEnv;
use uuid::Uuid;

/// One part of a multipart body: (field name, file name, bytes).
type Part<'a> = (&'a str, Option<&'a str>, &'a [u8]);

fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "XDATASETBOUNDARYX";
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        let disposition = match filename {
            Some(f) => format!("form-data; name=\"{name}\"; filename=\"{f}\""),
            None => format!("form-data; name=\"{name}\""),
        };
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_parts<S, B>(app: &S, client: &Client, parts: &[Part<'_>]) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (content_type, body) = multipart(parts);
    let mut req = TestRequest::post()
        .uri("/console/api/files/upload")
        .insert_header((header::CONTENT_TYPE, content_type))
        .set_payload(body);
    if let Some(c) = &client.cookie {
        req = req.insert_header((header::COOKIE, format!("session={c}")));
    }
    let resp = test::call_service(app, req.to_request()).await;
    let status = resp.status();
    let bytes = test::read_body(resp).await;
    Reply { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), cookie: None }
}

async fn upload<S, B>(app: &S, client: &Client, filename: &str, bytes: &[u8]) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    post_parts(app, client, &[("file", Some(filename), bytes)]).await
}

/// A stored zip holding `entries` (enough of an office document for a type check).
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = out.len() as u32;
        let mut common = Vec::new();
        common.extend_from_slice(&20u16.to_le_bytes());
        common.extend_from_slice(&[0; 8]); // flags, method, time, date
        common.extend_from_slice(&0u32.to_le_bytes()); // crc
        common.extend_from_slice(&(data.len() as u32).to_le_bytes());
        common.extend_from_slice(&(data.len() as u32).to_le_bytes());
        common.extend_from_slice(&(name.len() as u16).to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&common);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&common);
        central.extend_from_slice(&[0; 8]); // comment len, disk, internal attrs, external attrs (part)
        central.extend_from_slice(&[0; 2]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let dir_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&dir_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn docx_bytes() -> Vec<u8> {
    zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", b"<w:document><w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p></w:body></w:document>"),
    ])
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Sets up the instance and signs its admin in: (client, workspace id).
async fn admin<S, B>(app: &S) -> (Client, Uuid)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut c = Client::default();
    let r = send(app, &mut c, Method::POST, "/console/api/setup", Some(setup_body())).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let c = login(app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut probe = c.clone();
    let r = send(app, &mut probe, Method::GET, "/console/api/workspaces/current", None).await;
    (c, r.body["id"].as_str().expect("workspace id").parse().expect("uuid"))
}

async fn create_dataset<S, B>(app: &S, c: &mut Client, name: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = send(app, c, Method::POST, "/console/api/datasets", Some(json!({"name": name}))).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    r.body["id"].as_str().expect("id").to_string()
}

#[actix_web::test]
async fn uploads_are_checked_on_their_bytes_and_stored_per_workspace() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut c, tenant) = admin(&app).await;

    let r = send(&app, &mut c, Method::GET, "/console/api/files/upload", None).await;
    assert_eq!(r.body, json!({"file_size_limit": 15, "batch_count_limit": 5}));

    let r = upload(&app, &c, "notes.txt", "Hello, world.\nSecond line.".as_bytes()).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    for field in ["id", "name", "size", "extension", "mime_type", "created_by", "created_at"] {
        assert!(r.body.get(field).is_some(), "{field} in {}", r.body);
    }
    assert_eq!((r.body["name"].as_str(), r.body["size"].as_i64()), (Some("notes.txt"), Some(26)));
    assert_eq!(r.body["extension"], "txt");
    assert!(r.body["created_at"].is_i64());
    let id: Uuid = r.body["id"].as_str().expect("id").parse().expect("uuid");
    let row = upload_files::Entity::find_by_id(id).one(&env.infra.db).await.expect("q").expect("row");
    assert_eq!(row.key, format!("upload_files/{tenant}/{id}.txt"));
    assert_eq!(row.tenant_id, tenant);
    assert!(!row.used);
    assert_eq!(row.hash.as_deref().map(str::len), Some(64), "sha3-256 hex");
    let stored = env.infra.storage.load(&row.key).await.expect("stored");
    assert_eq!(&stored[..], "Hello, world.\nSecond line.".as_bytes());

    for (name, bytes) in [
        ("README.md", "# Title\nSome *markdown*.".as_bytes().to_vec()),
        ("paper.PDF", PDF.to_vec()),
        ("letter.docx", docx_bytes()),
        ("table.csv", b"a,b\n1,2\n".to_vec()),
        ("page.html", b"<p>hi</p>".to_vec()),
    ] {
        let r = upload(&app, &c, name, &bytes).await;
        assert_eq!(r.status.as_u16(), 201, "{name}: {r:?}");
    }

    // A path in the name is dropped; the storage key is ours.
    let r = upload(&app, &c, "../../etc/evil.txt", b"harmless").await;
    assert_eq!((r.status.as_u16(), r.body["name"].as_str()), (201, Some("evil.txt")), "{r:?}");
    let id: Uuid = r.body["id"].as_str().expect("id").parse().expect("uuid");
    let row = upload_files::Entity::find_by_id(id).one(&env.infra.db).await.expect("q").expect("row");
    assert_eq!(row.key, format!("upload_files/{tenant}/{id}.txt"));

    // Refusals, each with Dify's code.
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00 This program cannot be run in DOS mode.";
    assert_error(&upload(&app, &c, "invoice.pdf", exe).await, 415, "unsupported_file_type");
    assert_error(&upload(&app, &c, "tool.exe", exe).await, 415, "unsupported_file_type");
    assert_error(&upload(&app, &c, "noextension", b"text").await, 415, "unsupported_file_type");
    assert_error(&upload(&app, &c, "empty.txt", b"").await, 400, "no_file_uploaded");
    assert_error(&upload(&app, &c, "bin.txt", b"abc\0\x01\x02").await, 415, "unsupported_file_type");
    let not_word = zip_of(&[("payload.exe", b"MZ")]);
    assert_error(&upload(&app, &c, "fake.docx", &not_word).await, 415, "unsupported_file_type");
    assert_error(&upload(&app, &c, "sheet.xlsx", &docx_bytes()).await, 415, "unsupported_file_type");
    let r = post_parts(&app, &c, &[("note", None, b"no file here")]).await;
    assert_error(&r, 400, "no_file_uploaded");
    let r = post_parts(&app, &c, &[("file", Some("a.txt"), b"one"), ("file2", Some("b.txt"), b"two")]).await;
    assert_error(&r, 400, "too_many_files");
    assert_error(&post_parts(&app, &Client::default(), &[("file", Some("a.txt"), b"x")]).await, 401, "unauthorized");
    // Not multipart at all.
    let r = send(&app, &mut c, Method::POST, "/console/api/files/upload", Some(json!({"file": "a.txt"}))).await;
    assert_error(&r, 400, "no_file_uploaded");

    // Only the accepted uploads left rows.
    let rows = upload_files::Entity::find().all(&env.infra.db).await.expect("rows");
    assert_eq!(rows.len(), 7);
}

#[actix_web::test]
async fn the_size_limit_comes_from_upload_file_size_limit() {
    let (_env, state) = state_with(&[("UPLOAD_FILE_SIZE_LIMIT", "1")]).await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = admin(&app).await;
    let r = send(&app, &mut c, Method::GET, "/console/api/files/upload", None).await;
    assert_eq!(r.body["file_size_limit"], 1);
    let exactly = vec![b'a'; 1024 * 1024];
    assert_eq!(upload(&app, &c, "max.txt", &exactly).await.status.as_u16(), 201);
    let over = vec![b'a'; 1024 * 1024 + 1];
    let r = upload(&app, &c, "big.txt", &over).await;
    assert_error(&r, 413, "file_too_large");
    assert!(r.body["message"].as_str().unwrap_or_default().contains(&format!("> {}", 1024 * 1024)), "{r:?}");
}

#[actix_web::test]
async fn previews_show_the_first_3000_characters_of_the_text() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = admin(&app).await;
    let preview = |id: &str| format!("/console/api/files/{id}/preview");
    let id_of = |r: &Reply| r.body["id"].as_str().expect("id").to_string();

    let long = "é".repeat(3500);
    let txt = id_of(&upload(&app, &c, "long.txt", long.as_bytes()).await);
    let r = send(&app, &mut c, Method::GET, &preview(&txt), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["content"].as_str().map(|s| s.chars().count()), Some(3000), "characters, not bytes");

    let md = id_of(&upload(&app, &c, "a.md", b"# Intro\nRead [the guide](http://x.test).\n").await);
    let r = send(&app, &mut c, Method::GET, &preview(&md), None).await;
    assert_eq!(r.body["content"], "\n\nIntro\nRead the guide.");

    let html = id_of(&upload(&app, &c, "a.html", b"<html><script>x()</script><p>Tom &amp; Jerry</p></html>").await);
    let r = send(&app, &mut c, Method::GET, &preview(&html), None).await;
    assert_eq!(r.body["content"], "Tom & Jerry");

    let csv = id_of(&upload(&app, &c, "a.csv", b"name,city\nAda,London\n").await);
    let r = send(&app, &mut c, Method::GET, &preview(&csv), None).await;
    assert_eq!(r.body["content"], "name: Ada\ncity: London");

    // Binary types go through the same extractors as indexing: pages and rows joined by newlines.
    let pdf = id_of(&upload(&app, &c, "a.pdf", &test_support::files::pdf(&["Page one.", "Page two."])).await);
    let r = send(&app, &mut c, Method::GET, &preview(&pdf), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let text = r.body["content"].as_str().unwrap_or_default();
    assert!(text.contains("Page one.") && text.contains("Page two."), "{r:?}");
    let docx = id_of(&upload(&app, &c, "a.docx", &test_support::files::docx(&["Dear Ada,", "Thanks."])).await);
    let r = send(&app, &mut c, Method::GET, &preview(&docx), None).await;
    assert_eq!(r.body["content"], "Dear Ada,\n\nThanks.", "{r:?}");
    let xlsx = test_support::files::xlsx(&[&["name", "city"], &["Ada", "London"], &["Bob", "Paris"]]);
    let xlsx = id_of(&upload(&app, &c, "a.xlsx", &xlsx).await);
    let r = send(&app, &mut c, Method::GET, &preview(&xlsx), None).await;
    assert_eq!(r.body["content"], "name:Ada;city:London;\nname:Bob;city:Paris;", "{r:?}");
    // A PDF its parser cannot read is the client's problem, not a 500.
    let broken = id_of(&upload(&app, &c, "b.pdf", PDF).await);
    let r = send(&app, &mut c, Method::GET, &preview(&broken), None).await;
    assert_error(&r, 400, "invalid_param");

    let r = send(&app, &mut c, Method::GET, &preview(&Uuid::new_v4().to_string()), None).await;
    assert_error(&r, 404, "not_found");

    // Another workspace cannot read it.
    seed_account(&env, "other@example.com", "Passw0rd999", None).await;
    let mut other = login(&app, "other@example.com", "Passw0rd999").await;
    assert_error(&send(&app, &mut other, Method::GET, &preview(&txt), None).await, 404, "not_found");
}

#[actix_web::test]
async fn datasets_are_created_listed_paged_edited_and_deleted() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = admin(&app).await;

    let r = send(&app, &mut c, Method::POST, "/console/api/datasets", Some(json!({"name": "Handbook"}))).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let d = r.body.clone();
    assert_eq!(d["permission"], "only_me");
    assert_eq!(d["provider"], "vendor");
    assert_eq!(
        (d["app_count"].as_i64(), d["document_count"].as_i64(), d["word_count"].as_i64()),
        (Some(0), Some(0), Some(0))
    );
    assert!(d["indexing_technique"].is_null() && d["description"].is_null() && d["embedding_available"].is_null());
    assert!(d["created_at"].is_i64() && d["updated_at"].is_i64() && d["created_by"].is_string());
    let handbook = d["id"].as_str().expect("id").to_string();

    let r = send(&app, &mut c, Method::POST, "/console/api/datasets", Some(json!({"name": "Handbook"}))).await;
    assert_error(&r, 409, "dataset_name_duplicate");
    for bad in [json!({}), json!({"name": ""}), json!({"name": "x".repeat(41)}), json!({"name": 7})] {
        let r = send(&app, &mut c, Method::POST, "/console/api/datasets", Some(bad.clone())).await;
        assert_error(&r, 400, "invalid_param");
    }
    let r = send(
        &app,
        &mut c,
        Method::POST,
        "/console/api/datasets",
        Some(json!({"name": "X", "indexing_technique": "fast"})),
    )
    .await;
    assert_error(&r, 400, "invalid_param");
    // High quality needs an embedding model.
    let r = send(
        &app,
        &mut c,
        Method::POST,
        "/console/api/datasets",
        Some(json!({"name": "Vectors", "indexing_technique": "high_quality"})),
    )
    .await;
    assert_error(&r, 400, "provider_not_initialize");

    let second = create_dataset(&app, &mut c, "Second").await;
    let third = create_dataset(&app, &mut c, "Third").await;

    let r = send(&app, &mut c, Method::GET, "/console/api/datasets?page=1&limit=2", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!((r.body["total"].as_u64(), r.body["has_more"].as_bool()), (Some(3), Some(true)));
    assert_eq!((r.body["page"].as_u64(), r.body["limit"].as_u64()), (Some(1), Some(2)));
    let names: Vec<&str> = r.body["data"].as_array().expect("data").iter().filter_map(|d| d["name"].as_str()).collect();
    assert_eq!(names, ["Third", "Second"], "newest first");
    assert_eq!(r.body["data"][0]["embedding_available"], true);
    let r = send(&app, &mut c, Method::GET, "/console/api/datasets?page=2&limit=2", None).await;
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(r.body["has_more"], false);
    let r = send(&app, &mut c, Method::GET, &format!("/console/api/datasets?ids={handbook}&ids={third}"), None).await;
    assert_eq!(r.body["total"], 2);
    let r = send(&app, &mut c, Method::GET, "/console/api/datasets?ids=nope", None).await;
    assert_error(&r, 400, "invalid_param");

    let r = send(&app, &mut c, Method::GET, &format!("/console/api/datasets/{handbook}"), None).await;
    assert_eq!((r.status.as_u16(), r.body["name"].as_str()), (200, Some("Handbook")));
    assert_eq!(r.body["embedding_available"], true);

    let uri = format!("/console/api/datasets/{handbook}");
    let edit = json!({"name": "Staff handbook", "description": "For everyone", "permission": "all_team_members", "indexing_technique": "economy"});
    let r = send(&app, &mut c, Method::PATCH, &uri, Some(edit)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(
        (r.body["name"].as_str(), r.body["description"].as_str(), r.body["permission"].as_str()),
        (Some("Staff handbook"), Some("For everyone"), Some("all_team_members"))
    );
    assert_eq!(r.body["indexing_technique"], "economy");
    let r = send(&app, &mut c, Method::PATCH, &uri, Some(json!({"description": null}))).await;
    assert!(r.body["description"].is_null() && r.body["name"] == "Staff handbook", "{r:?}");
    for bad in [
        json!({"name": ""}),
        json!({"permission": "everyone"}),
        json!({"indexing_technique": "fast"}),
        json!({"description": "d".repeat(401)}),
    ] {
        assert_error(&send(&app, &mut c, Method::PATCH, &uri, Some(bad)).await, 400, "invalid_param");
    }
    assert_error(&send(&app, &mut c, Method::PATCH, &uri, Some(json!(["name"]))).await, 400, "bad_request");
    let r = send(&app, &mut c, Method::PATCH, &uri, Some(json!({"name": "Second"}))).await;
    assert_error(&r, 409, "dataset_name_duplicate");
    let r = send(&app, &mut c, Method::PATCH, &uri, Some(json!({"indexing_technique": "high_quality"}))).await;
    assert_error(&r, 400, "provider_not_initialize");

    // Queries and related apps, with rows as the generation pipeline and app configs leave them.
    let db = &env.infra.db;
    let handbook_id: Uuid = handbook.parse().expect("uuid");
    let me = {
        let r = send(&app, &mut c, Method::GET, "/console/api/account/profile", None).await;
        r.body["id"].as_str().expect("id").parse::<Uuid>().expect("uuid")
    };
    for (i, q) in ["first question", "second question"].iter().enumerate() {
        dataset_queries::ActiveModel {
            id: Set(Uuid::new_v4()),
            dataset_id: Set(handbook_id),
            content: Set((*q).into()),
            source: Set(entities::dataset_queries::QuerySource::HitTesting),
            source_app_id: Set(None),
            created_by_role: Set(entities::kinds::CreatorRole::Account),
            created_by: Set(me),
            created_at: Set(now_naive() + chrono::Duration::seconds(i as i64)),
        }
        .insert(db)
        .await
        .expect("query row");
    }
    let r = send(&app, &mut c, Method::GET, &format!("{uri}/queries?limit=1"), None).await;
    assert_eq!((r.body["total"].as_u64(), r.body["has_more"].as_bool()), (Some(2), Some(true)), "{r:?}");
    assert_eq!(r.body["data"][0]["content"], "second question");
    assert_eq!(r.body["data"][0]["source"], "hit_testing");

    let tenant = entities::datasets::Entity::find_by_id(handbook_id).one(db).await.expect("q").expect("row").tenant_id;
    let app_id = seed_app(&env, tenant, "Helper").await;
    app_dataset_joins::ActiveModel {
        id: Set(Uuid::new_v4()),
        app_id: Set(app_id),
        dataset_id: Set(handbook_id),
        created_at: Set(now_naive()),
    }
    .insert(db)
    .await
    .expect("join");
    let r = send(&app, &mut c, Method::GET, &format!("{uri}/related-apps"), None).await;
    assert_eq!(r.body["total"], 1, "{r:?}");
    assert_eq!(
        r.body["data"][0],
        json!({"id": app_id, "name": "Helper", "mode": "chat", "icon": "🤖", "icon_background": "#FFEAD5"})
    );
    let r = send(&app, &mut c, Method::GET, &uri, None).await;
    assert_eq!(r.body["app_count"], 1);

    let r = send(&app, &mut c, Method::GET, "/console/api/datasets/process-rule", None).await;
    assert_eq!(r.body["mode"], "custom");
    assert_eq!(r.body["rules"]["segmentation"], json!({"delimiter": "\n", "max_tokens": 500}));
    let r = send(
        &app,
        &mut c,
        Method::GET,
        &format!("/console/api/datasets/process-rule?document_id={}", Uuid::new_v4()),
        None,
    )
    .await;
    assert_error(&r, 404, "not_found");
    let r = send(&app, &mut c, Method::GET, "/console/api/datasets/limit", None).await;
    assert_eq!(r.body, json!({"documents_count": 0, "documents_limit": 100}));

    let r = send(&app, &mut c, Method::DELETE, &uri, None).await;
    assert_eq!(r.status.as_u16(), 204, "{r:?}");
    assert_error(&send(&app, &mut c, Method::GET, &uri, None).await, 404, "not_found");
    assert_error(&send(&app, &mut c, Method::DELETE, &uri, None).await, 404, "not_found");
    assert!(app_dataset_joins::Entity::find().all(db).await.expect("q").is_empty(), "links go with the dataset");
    assert!(dataset_queries::Entity::find().all(db).await.expect("q").is_empty());
    let r = send(&app, &mut c, Method::GET, "/console/api/datasets", None).await;
    assert_eq!(r.body["total"], 2);
    let _ = (second, third);
}

#[actix_web::test]
async fn high_quality_datasets_take_the_default_embedding_model() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut c, tenant) = admin(&app).await;
    configure_openai_at(&env, tenant, "sk-test-embeddings-1234", None).await;
    let body = json!({"name": "Vectors", "indexing_technique": "high_quality"});
    let r = send(&app, &mut c, Method::POST, "/console/api/datasets", Some(body)).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    assert_eq!(r.body["embedding_model_provider"], "openai");
    assert!(r.body["embedding_model"].is_string(), "{r:?}");
    let id = r.body["id"].as_str().expect("id").to_string();
    let r = send(&app, &mut c, Method::GET, &format!("/console/api/datasets/{id}"), None).await;
    assert_eq!(r.body["embedding_available"], true, "{r:?}");

    let plain = create_dataset(&app, &mut c, "Plain").await;
    let uri = format!("/console/api/datasets/{plain}");
    let r = send(&app, &mut c, Method::PATCH, &uri, Some(json!({"indexing_technique": "high_quality"}))).await;
    assert_eq!(r.body["indexing_technique"], "high_quality", "{r:?}");
    let row = entities::datasets::Entity::find_by_id(plain.parse::<Uuid>().expect("uuid"))
        .one(&env.infra.db)
        .await
        .expect("q")
        .expect("row");
    assert!(row.collection_binding_id.is_some(), "a collection for the model");
    let r = send(&app, &mut c, Method::PATCH, &uri, Some(json!({"indexing_technique": "economy"}))).await;
    assert!(r.body["embedding_model"].is_null() && r.body["indexing_technique"] == "economy", "{r:?}");
}

#[actix_web::test]
async fn other_workspaces_see_nothing_and_normal_members_only_read() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (mut a, tenant_a) = admin(&app).await;
    let private = create_dataset(&app, &mut a, "Private").await;
    let shared = create_dataset(&app, &mut a, "Shared").await;
    let r = send(
        &app,
        &mut a,
        Method::PATCH,
        &format!("/console/api/datasets/{shared}"),
        Some(json!({"permission": "all_team_members"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let file = upload(&app, &a, "a.txt", b"secret").await.body["id"].as_str().expect("id").to_string();

    // Workspace B: A's ids are unknown here.
    seed_account(&env, "b@example.com", "Passw0rd456", None).await;
    let mut b = login(&app, "b@example.com", "Passw0rd456").await;
    for id in [&private, &shared] {
        let uri = format!("/console/api/datasets/{id}");
        assert_error(&send(&app, &mut b, Method::GET, &uri, None).await, 404, "not_found");
        assert_error(&send(&app, &mut b, Method::PATCH, &uri, Some(json!({"name": "Mine"}))).await, 404, "not_found");
        assert_error(&send(&app, &mut b, Method::DELETE, &uri, None).await, 404, "not_found");
        assert_error(&send(&app, &mut b, Method::GET, &format!("{uri}/queries"), None).await, 404, "not_found");
        assert_error(&send(&app, &mut b, Method::GET, &format!("{uri}/related-apps"), None).await, 404, "not_found");
    }
    let r = send(&app, &mut b, Method::GET, &format!("/console/api/datasets?ids={private}"), None).await;
    assert_eq!(r.body["total"], 0);
    let r = send(&app, &mut b, Method::GET, "/console/api/datasets", None).await;
    assert_eq!(r.body["total"], 0);
    let r = send(&app, &mut b, Method::GET, &format!("/console/api/files/{file}/preview"), None).await;
    assert_error(&r, 404, "not_found");
    // B may use A's dataset name: names are unique per workspace.
    create_dataset(&app, &mut b, "Private").await;

    // A normal member of A: reads what is shared, changes nothing.
    seed_account(&env, "member@example.com", "Passw0rd789", Some((tenant_a, TenantRole::Normal))).await;
    let mut m = login(&app, "member@example.com", "Passw0rd789").await;
    let r = send(&app, &mut m, Method::GET, "/console/api/datasets", None).await;
    let names: Vec<&str> = r.body["data"].as_array().expect("data").iter().filter_map(|d| d["name"].as_str()).collect();
    assert_eq!(names, ["Shared"], "only the shared one");
    let r = send(&app, &mut m, Method::GET, &format!("/console/api/datasets/{shared}"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let r = send(&app, &mut m, Method::GET, &format!("/console/api/datasets/{private}"), None).await;
    assert_error(&r, 403, "forbidden");
    let r = send(&app, &mut m, Method::POST, "/console/api/datasets", Some(json!({"name": "Member's"}))).await;
    assert_error(&r, 403, "forbidden");
    let uri = format!("/console/api/datasets/{shared}");
    assert_error(&send(&app, &mut m, Method::PATCH, &uri, Some(json!({"name": "Taken"}))).await, 403, "forbidden");
    assert_error(&send(&app, &mut m, Method::DELETE, &uri, None).await, 403, "forbidden");
    // Uploading is open to every member, as in Dify.
    assert_eq!(upload(&app, &m, "m.txt", b"member notes").await.status.as_u16(), 201);
    let r = send(&app, &mut a, Method::GET, &uri, None).await;
    assert_eq!(r.body["name"], "Shared", "unchanged");
}

/// An app row of `tenant_id` (enough for related-apps).
async fn seed_app(env: &TestEnv, tenant_id: Uuid, name: &str) -> Uuid {
    let now = now_naive();
    let id = Uuid::new_v4();
    apps::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        name: Set(name.into()),
        mode: Set(entities::apps::AppMode::Chat),
        icon: Set(Some("🤖".into())),
        icon_background: Set(Some("#FFEAD5".into())),
        app_model_config_id: Set(None),
        status: Set(entities::kinds::RowStatus::Normal),
        enable_site: Set(true),
        enable_api: Set(true),
        api_rpm: Set(0),
        api_rph: Set(0),
        is_demo: Set(false),
        is_public: Set(false),
        is_universal: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&env.infra.db)
    .await
    .expect("app");
    id
}

/// A completed document of `dataset_id` with `words` words, as indexing leaves one.
async fn seed_document(env: &TestEnv, tenant_id: Uuid, dataset_id: Uuid, created_by: Uuid, words: i32) -> Uuid {
    use entities::documents;
    let now = now_naive();
    let id = Uuid::new_v4();
    documents::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        dataset_id: Set(dataset_id),
        position: Set(1),
        data_source_type: Set(entities::kinds::DataSourceType::UploadFile),
        data_source_info: Set(None),
        dataset_process_rule_id: Set(None),
        batch: Set("20231001000000123456".into()),
        name: Set("doc.txt".into()),
        created_from: Set(entities::documents::CreatedFrom::Web),
        created_by: Set(created_by),
        created_api_request_id: Set(None),
        created_at: Set(now),
        processing_started_at: Set(Some(now)),
        file_id: Set(None),
        word_count: Set(Some(words)),
        parsing_completed_at: Set(Some(now)),
        cleaning_completed_at: Set(Some(now)),
        splitting_completed_at: Set(Some(now)),
        tokens: Set(Some(words)),
        indexing_latency: Set(Some(0.5)),
        completed_at: Set(Some(now)),
        is_paused: Set(Some(false)),
        paused_by: Set(None),
        paused_at: Set(None),
        error: Set(None),
        stopped_at: Set(None),
        indexing_status: Set(IndexingStatus::Completed),
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
    .insert(&env.infra.db)
    .await
    .expect("document");
    id
}

#[actix_web::test]
async fn counts_process_rules_and_the_document_limit_follow_the_documents() {
    use entities::dataset_process_rules;
    let (env, state) = state_with(&[("TENANT_DOCUMENT_COUNT", "7")]).await;
    let app = test::init_service(app(state)).await;
    let (mut c, tenant) = admin(&app).await;
    let id = create_dataset(&app, &mut c, "Counted").await;
    let dataset: Uuid = id.parse().expect("uuid");
    let me =
        entities::datasets::Entity::find_by_id(dataset).one(&env.infra.db).await.expect("q").expect("row").created_by;
    let doc = seed_document(&env, tenant, dataset, me, 120).await;
    seed_document(&env, tenant, dataset, me, 30).await;

    let r = send(&app, &mut c, Method::GET, &format!("/console/api/datasets/{id}"), None).await;
    assert_eq!((r.body["document_count"].as_i64(), r.body["word_count"].as_i64()), (Some(2), Some(150)), "{r:?}");
    let r = send(&app, &mut c, Method::GET, "/console/api/datasets", None).await;
    assert_eq!(r.body["data"][0]["word_count"], 150, "{r:?}");
    let r = send(&app, &mut c, Method::GET, "/console/api/datasets/limit", None).await;
    assert_eq!(r.body, json!({"documents_count": 2, "documents_limit": 7}));

    // The document's dataset has no rule yet: the defaults; then its latest rule.
    let uri = format!("/console/api/datasets/process-rule?document_id={doc}");
    let r = send(&app, &mut c, Method::GET, &uri, None).await;
    assert_eq!(r.body["mode"], "custom", "{r:?}");
    use entities::dataset_process_rules::ProcessMode;
    for (i, mode) in [ProcessMode::Automatic, ProcessMode::Custom].into_iter().enumerate() {
        dataset_process_rules::ActiveModel {
            id: Set(Uuid::new_v4()),
            dataset_id: Set(dataset),
            mode: Set(mode),
            rules: Set(Some(json!({"segmentation": {"separator": "\n\n", "max_tokens": 300 + i}}).to_string())),
            created_by: Set(me),
            created_at: Set(now_naive() + chrono::Duration::seconds(i as i64)),
        }
        .insert(&env.infra.db)
        .await
        .expect("rule");
    }
    let r = send(&app, &mut c, Method::GET, &uri, None).await;
    assert_eq!(r.body, json!({"mode": "custom", "rules": {"segmentation": {"separator": "\n\n", "max_tokens": 301}}}));

    // Another workspace knows neither the document nor the counts.
    seed_account(&env, "x@example.com", "Passw0rd321", None).await;
    let mut x = login(&app, "x@example.com", "Passw0rd321").await;
    assert_error(&send(&app, &mut x, Method::GET, &uri, None).await, 404, "not_found");
    let r = send(&app, &mut x, Method::GET, "/console/api/datasets/limit", None).await;
    assert_eq!(r.body["documents_count"], 0);

    // Deleting the dataset takes its documents and rules along.
    assert_eq!(
        send(&app, &mut c, Method::DELETE, &format!("/console/api/datasets/{id}"), None).await.status.as_u16(),
        204
    );
    assert!(entities::documents::Entity::find().all(&env.infra.db).await.expect("q").is_empty());
    assert!(dataset_process_rules::Entity::find().all(&env.infra.db).await.expect("q").is_empty());
}

#[actix_web::test]
async fn concurrent_creates_of_one_name_leave_one_dataset() {
    let (env, state) = state_with(&[]).await;
    let app = test::init_service(app(state)).await;
    let (c, _) = admin(&app).await;
    let attempts = (0..6).map(|_| {
        let mut c = c.clone();
        let app = &app;
        async move { send(app, &mut c, Method::POST, "/console/api/datasets", Some(json!({"name": "Race"}))).await }
    });
    let replies = futures::future::join_all(attempts).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|&&s| s == 201).count(), 1, "{replies:?}");
    assert!(statuses.iter().all(|&s| s == 201 || s == 409), "{replies:?}");
    assert_eq!(entities::datasets::Entity::find().all(&env.infra.db).await.expect("q").len(), 1);
}

/// Datasets made at once for a model nobody used yet share one collection binding (Dify's table
/// has no unique key; finding and making it is one critical section on either backend): while
/// one creation holds its binding uncommitted, another waits for it rather than making a second.
#[actix_web::test]
async fn concurrent_first_uses_of_a_model_share_one_collection_binding() {
    use sea_orm::TransactionTrait;
    let env = TestEnv::new().await;
    let model = ::datasets::embedding::EmbeddingModel { provider: "openai".into(), model: "race-embedding".into() };
    let first = env.infra.db.begin().await.expect("begin");
    let made = ::datasets::embedding::collection_binding(&first, &model).await.expect("first");
    let second = {
        let (db, model) = (env.infra.db.clone(), model.clone());
        tokio::spawn(async move { ::datasets::embedding::collection_binding(&db, &model).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "the second waits for the first's transaction");
    first.commit().await.expect("commit");
    assert_eq!(second.await.expect("join").expect("second"), made);
    let rows = entities::dataset_collection_bindings::Entity::find().all(&env.infra.db).await.expect("rows");
    assert_eq!(rows.len(), 1, "{rows:?}");
}
